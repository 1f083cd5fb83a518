// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title RewardDistributor: protocol fees (and slashed stake, emissions) paid out per epoch.
/// @notice Allocations are computed off-chain (stake weighted by reputation). Per epoch a validator
///         posts the Merkle root of (epoch, account, amount) leaves and the epoch's total, which is
///         reserved from the unallocated balance; each account claims once with a proof. Leaves are
///         OpenZeppelin StandardMerkleTree leaves of types (uint64, address, uint256). After the
///         claim window anyone may expire an epoch, which returns its unclaimed rest to the pool.
contract RewardDistributor is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant VALIDATOR_ROLE = keccak256("VALIDATOR_ROLE");
    uint64 public constant MIN_CLAIM_WINDOW = 1 days;

    struct Epoch {
        bytes32 root;
        uint256 total;
        uint256 claimed;
        uint64 postedAt;
        bool expired;
    }

    IERC20 public immutable token;
    uint64 public claimWindow;
    /// @notice The next epoch to be posted; epochs are posted in order starting at 1.
    uint64 public nextEpoch = 1;
    /// @notice Posted but not yet claimed or expired: part of the balance that is already owed.
    uint256 public reserved;

    mapping(uint64 epoch => Epoch) private _epochs;
    mapping(uint64 epoch => mapping(address account => bool)) public claimed;

    event RewardsDeposited(address indexed from, uint256 amount);
    event EpochPosted(uint64 indexed epoch, bytes32 indexed root, uint256 total, address indexed validator);
    event Claimed(uint64 indexed epoch, address indexed account, uint256 amount);
    event EpochExpired(uint64 indexed epoch, uint256 unclaimed);
    event ClaimWindowChanged(uint64 claimWindow);

    error ZeroAmount();
    error ZeroAddress();
    error EpochOutOfOrder(uint64 expected, uint64 given);
    error EmptyRoot();
    error InsufficientRewards(uint256 available, uint256 requested);
    error UnknownEpoch(uint64 epoch);
    error AlreadyClaimed(uint64 epoch, address account);
    error InvalidProof(uint64 epoch, address account, uint256 amount);
    error EpochOverclaimed(uint64 epoch, uint256 total, uint256 wouldBeClaimed);
    error EpochClosed(uint64 epoch);
    error ClaimWindowOpen(uint64 epoch, uint64 closesAt);
    error ClaimWindowTooShort(uint64 requested, uint64 min);

    constructor(IERC20 token_, address admin, uint64 claimWindow_) {
        if (address(token_) == address(0)) revert ZeroAddress();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setClaimWindow(claimWindow_);
    }

    /// @notice Pulls `amount` of rewards from the caller (the escrow's fees, emissions) and records
    ///         what actually arrived.
    function depositRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit RewardsDeposited(msg.sender, token.balanceOf(address(this)) - before);
    }

    function postEpoch(uint64 epoch, bytes32 root, uint256 total) external onlyRole(VALIDATOR_ROLE) {
        if (epoch != nextEpoch) revert EpochOutOfOrder(nextEpoch, epoch);
        if (root == bytes32(0)) revert EmptyRoot();
        uint256 free = available();
        if (total > free) revert InsufficientRewards(free, total);
        _epochs[epoch] = Epoch({root: root, total: total, claimed: 0, postedAt: uint64(block.timestamp), expired: false});
        reserved += total;
        nextEpoch = epoch + 1;
        emit EpochPosted(epoch, root, total, msg.sender);
    }

    /// @notice Pays `account` its allocation for `epoch`. Anyone may submit the claim; the tokens
    ///         always go to `account`, so a payee that reverts only delays its own claim.
    function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external nonReentrant {
        Epoch storage e = _epochs[epoch];
        if (e.root == bytes32(0)) revert UnknownEpoch(epoch);
        if (e.expired) revert EpochClosed(epoch);
        if (claimed[epoch][account]) revert AlreadyClaimed(epoch, account);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(epoch, account, amount))));
        if (!MerkleProof.verifyCalldata(proof, e.root, leaf)) revert InvalidProof(epoch, account, amount);
        // A malformed tree could allocate more than the total posted; never pay out of other epochs.
        if (e.claimed + amount > e.total) revert EpochOverclaimed(epoch, e.total, e.claimed + amount);

        claimed[epoch][account] = true;
        e.claimed += amount;
        reserved -= amount;
        emit Claimed(epoch, account, amount);
        token.safeTransfer(account, amount);
    }

    /// @notice Returns an epoch's unclaimed rest to the unallocated pool once its window has passed.
    function expireEpoch(uint64 epoch) external {
        Epoch storage e = _epochs[epoch];
        if (e.root == bytes32(0)) revert UnknownEpoch(epoch);
        if (e.expired) revert EpochClosed(epoch);
        uint64 closesAt = e.postedAt + claimWindow;
        if (block.timestamp < closesAt) revert ClaimWindowOpen(epoch, closesAt);
        e.expired = true;
        uint256 unclaimed = e.total - e.claimed;
        reserved -= unclaimed;
        emit EpochExpired(epoch, unclaimed);
    }

    function setClaimWindow(uint64 claimWindow_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setClaimWindow(claimWindow_);
    }

    /// @notice Balance not yet promised to any epoch.
    function available() public view returns (uint256) {
        return token.balanceOf(address(this)) - reserved;
    }

    function epochOf(uint64 epoch) external view returns (Epoch memory) {
        return _epochs[epoch];
    }

    function _setClaimWindow(uint64 claimWindow_) private {
        if (claimWindow_ < MIN_CLAIM_WINDOW) revert ClaimWindowTooShort(claimWindow_, MIN_CLAIM_WINDOW);
        claimWindow = claimWindow_;
        emit ClaimWindowChanged(claimWindow_);
    }
}
