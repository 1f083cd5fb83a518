// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface ITokenHook {
    function onTokenReceived(address from, uint256 value) external;
    function onTokenSent(address to, uint256 value) external;
}

/// @notice ERC-20 that calls into hooked senders and receivers on every transfer (as ERC-777 and
///         ERC-1363 tokens do), giving a payee a chance to reenter or to revert.
contract HookToken is ERC20 {
    mapping(address => bool) public hooked;

    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 value) external {
        _mint(to, value);
    }

    function setHooked(address account, bool on) external {
        hooked[account] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (to != address(0) && hooked[to]) ITokenHook(to).onTokenReceived(from, value);
        if (from != address(0) && hooked[from]) ITokenHook(from).onTokenSent(to, value);
    }
}

/// @notice ERC-20 that burns 1% of every transfer, so recipients get less than was sent.
contract FeeOnTransferToken is ERC20 {
    constructor() ERC20("Fee Token", "FEE") {}

    function mint(address to, uint256 value) external {
        _mint(to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
