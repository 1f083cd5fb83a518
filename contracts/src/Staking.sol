// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title Staking: providers bond AGPU; bonded stake can be slashed for proven faults.
/// @notice Stake leaves in two steps, unbond then withdraw after `unbondingDelay`. Unbonding stake
///         stays slashable until it is withdrawn, so a provider cannot escape a pending slash by
///         unbonding first. Each provider has one unbonding bucket: a new unbond adds to it and
///         restarts its delay.
contract Staking is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    uint64 public constant MAX_UNBONDING_DELAY = 90 days;

    struct Stake {
        uint256 bonded;
        uint256 unbonding;
        uint64 unbondReadyAt;
    }

    IERC20 public immutable token;
    ProviderRegistry public immutable registry;

    uint256 public minStake;
    uint64 public unbondingDelay;
    /// @notice Receives slashed stake: the treasury or the RewardDistributor.
    address public slashRecipient;

    uint256 public totalBonded;
    uint256 public totalUnbonding;

    mapping(address provider => Stake) private _stakes;
    mapping(bytes32 evidenceHash => bool) public evidenceUsed;

    event Staked(address indexed provider, uint256 amount, uint256 bonded);
    event UnbondStarted(address indexed provider, uint256 amount, uint256 unbonding, uint64 readyAt);
    event Withdrawn(address indexed provider, uint256 amount);
    event Slashed(
        address indexed provider,
        bytes32 indexed evidenceHash,
        uint256 amount,
        uint256 fromBonded,
        uint256 fromUnbonding,
        address recipient
    );
    event MinStakeChanged(uint256 minStake);
    event UnbondingDelayChanged(uint64 unbondingDelay);
    event SlashRecipientChanged(address indexed slashRecipient);

    error ZeroAmount();
    error ZeroAddress();
    error NotAProvider(address account);
    error InsufficientBondedStake(uint256 bonded, uint256 requested);
    error NothingToWithdraw(address provider);
    error UnbondingNotReady(uint64 readyAt);
    error EmptyEvidence();
    error EvidenceAlreadyUsed(bytes32 evidenceHash);
    error SlashExceedsStake(uint256 slashable, uint256 requested);
    error UnbondingDelayTooLong(uint64 requested, uint64 max);

    constructor(
        IERC20 token_,
        ProviderRegistry registry_,
        address admin,
        address slashRecipient_,
        uint256 minStake_,
        uint64 unbondingDelay_
    ) {
        if (address(token_) == address(0) || address(registry_) == address(0)) revert ZeroAddress();
        token = token_;
        registry = registry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setSlashRecipient(slashRecipient_);
        _setMinStake(minStake_);
        _setUnbondingDelay(unbondingDelay_);
    }

    /// @notice Bonds `amount` from the caller, who must be a registered provider. Credits what
    ///         actually arrived, so a token that takes a fee on transfer cannot inflate stake.
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (!registry.isProvider(msg.sender)) revert NotAProvider(msg.sender);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        Stake storage s = _stakes[msg.sender];
        s.bonded += received;
        totalBonded += received;
        emit Staked(msg.sender, received, s.bonded);
    }

    function unbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Stake storage s = _stakes[msg.sender];
        if (amount > s.bonded) revert InsufficientBondedStake(s.bonded, amount);
        s.bonded -= amount;
        s.unbonding += amount;
        s.unbondReadyAt = uint64(block.timestamp) + unbondingDelay;
        totalBonded -= amount;
        totalUnbonding += amount;
        emit UnbondStarted(msg.sender, amount, s.unbonding, s.unbondReadyAt);
    }

    /// @notice Pays out the caller's whole unbonding bucket once its delay has passed.
    function withdraw() external nonReentrant {
        Stake storage s = _stakes[msg.sender];
        uint256 amount = s.unbonding;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        if (block.timestamp < s.unbondReadyAt) revert UnbondingNotReady(s.unbondReadyAt);
        s.unbonding = 0;
        s.unbondReadyAt = 0;
        totalUnbonding -= amount;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Takes `amount` from a provider's bonded stake, then from its unbonding stake.
    /// @param evidenceHash Hash of the off-chain evidence; each evidence slashes once.
    function slash(address provider, uint256 amount, bytes32 evidenceHash)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
    {
        if (amount == 0) revert ZeroAmount();
        if (evidenceHash == bytes32(0)) revert EmptyEvidence();
        if (evidenceUsed[evidenceHash]) revert EvidenceAlreadyUsed(evidenceHash);
        Stake storage s = _stakes[provider];
        uint256 slashable = s.bonded + s.unbonding;
        if (amount > slashable) revert SlashExceedsStake(slashable, amount);

        evidenceUsed[evidenceHash] = true;
        uint256 fromBonded = amount < s.bonded ? amount : s.bonded;
        uint256 fromUnbonding = amount - fromBonded;
        s.bonded -= fromBonded;
        s.unbonding -= fromUnbonding;
        totalBonded -= fromBonded;
        totalUnbonding -= fromUnbonding;
        address recipient = slashRecipient;
        emit Slashed(provider, evidenceHash, amount, fromBonded, fromUnbonding, recipient);
        token.safeTransfer(recipient, amount);
    }

    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStake(minStake_);
    }

    function setUnbondingDelay(uint64 unbondingDelay_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingDelay(unbondingDelay_);
    }

    function setSlashRecipient(address slashRecipient_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashRecipient(slashRecipient_);
    }

    function stakeOf(address provider) external view returns (Stake memory) {
        return _stakes[provider];
    }

    /// @notice A provider is active while registered with at least `minStake` bonded.
    function isActive(address provider) public view returns (bool) {
        uint256 bonded = _stakes[provider].bonded;
        return bonded > 0 && bonded >= minStake && registry.isProvider(provider);
    }

    function _setMinStake(uint256 minStake_) private {
        minStake = minStake_;
        emit MinStakeChanged(minStake_);
    }

    function _setUnbondingDelay(uint64 unbondingDelay_) private {
        if (unbondingDelay_ > MAX_UNBONDING_DELAY) revert UnbondingDelayTooLong(unbondingDelay_, MAX_UNBONDING_DELAY);
        unbondingDelay = unbondingDelay_;
        emit UnbondingDelayChanged(unbondingDelay_);
    }

    function _setSlashRecipient(address slashRecipient_) private {
        if (slashRecipient_ == address(0)) revert ZeroAddress();
        slashRecipient = slashRecipient_;
        emit SlashRecipientChanged(slashRecipient_);
    }
}
