// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title AGPU, the token clients pay GPU time with and providers stake.
/// @notice ERC-20 with EIP-2612 permit, so a client can approve and fund an escrow in one transaction.
///         Supply grows only by MINTER_ROLE (the initial allocation and, later, reward emissions).
contract AGPU is ERC20, ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor(address admin, address initialHolder, uint256 initialSupply)
        ERC20("StarMiner GPU", "AGPU")
        ERC20Permit("StarMiner GPU")
    {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
        if (initialSupply > 0) _mint(initialHolder, initialSupply);
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
