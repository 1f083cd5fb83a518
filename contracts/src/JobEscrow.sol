// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Staking} from "./Staking.sol";
import {RewardDistributor} from "./RewardDistributor.sol";

/// @title JobEscrow: clients deposit against a signed price quote; settlement splits the deposit.
/// @notice A quote is an EIP-712 message signed by a QUOTE_SIGNER_ROLE key. It names the job and the
///         client, and the domain names the chain and this contract, so it cannot be replayed on
///         another chain, escrow or job; its nonce is spent on use. The deposit is
///         pricePerGpuSecond x maxGpuSeconds. A SETTLER_ROLE key settles once with the metered
///         GPU-seconds or refunds a failed job; if neither happens by the job's deadline the client
///         reclaims the deposit. Every payout is a credit withdrawn by its owner (pull payments),
///         so no payee can block a settlement. Fees accrue here until swept to the RewardDistributor.
///         Invariant: token balance == totalEscrowed + totalCredits + feesAccrued.
contract JobEscrow is AccessControl, ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    bytes32 public constant QUOTE_SIGNER_ROLE = keccak256("QUOTE_SIGNER_ROLE");
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(bytes32 jobId,address client,uint256 pricePerGpuSecond,uint64 maxGpuSeconds,bytes32 tier,uint64 maxDuration,uint64 expiry,uint256 nonce)"
    );
    uint16 public constant BPS = 10_000;
    uint16 public constant MAX_FEE_BPS = 2_000;
    uint64 public constant MAX_SETTLEMENT_GRACE = 30 days;

    /// @param pricePerGpuSecond token units per GPU-second
    /// @param maxGpuSeconds usage the deposit covers
    /// @param tier pricing cell (GPU class x region x urgency), opaque here
    /// @param maxDuration wall-clock seconds the job may run; the reclaim deadline counts from it
    /// @param expiry last timestamp at which the quote can fund a job
    struct Quote {
        bytes32 jobId;
        address client;
        uint256 pricePerGpuSecond;
        uint64 maxGpuSeconds;
        bytes32 tier;
        uint64 maxDuration;
        uint64 expiry;
        uint256 nonce;
    }

    enum Status {
        None,
        Funded,
        Settled,
        Refunded,
        Reclaimed
    }

    struct Job {
        address client;
        Status status;
        uint16 feeBps;
        uint64 deadline;
        uint64 maxGpuSeconds;
        uint256 pricePerGpuSecond;
        uint256 amount;
        bytes32 tier;
    }

    IERC20 public immutable token;
    Staking public immutable staking;
    RewardDistributor public immutable rewards;

    /// @notice Protocol fee on the used part of a deposit, fixed per job when it is funded.
    uint16 public feeBps;
    /// @notice Time after a job's maxDuration during which only the settler can close it.
    uint64 public settlementGrace;

    uint256 public totalEscrowed;
    uint256 public totalCredits;
    uint256 public feesAccrued;

    mapping(bytes32 jobId => Job) private _jobs;
    mapping(uint256 nonce => bool) public quoteNonceUsed;
    mapping(address account => uint256) public credits;

    event JobFunded(
        bytes32 indexed jobId,
        address indexed client,
        bytes32 indexed tier,
        uint256 amount,
        uint256 pricePerGpuSecond,
        uint64 maxGpuSeconds,
        uint64 deadline,
        uint256 nonce
    );
    event JobSettled(
        bytes32 indexed jobId,
        address indexed provider,
        address indexed client,
        uint64 gpuSeconds,
        uint256 providerAmount,
        uint256 fee,
        uint256 clientRefund
    );
    event JobRefunded(bytes32 indexed jobId, address indexed client, uint256 amount);
    event JobReclaimed(bytes32 indexed jobId, address indexed client, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    event FeesSwept(address indexed rewards, uint256 amount);
    event QuoteNonceRevoked(uint256 indexed nonce, address indexed signer);
    event FeeChanged(uint16 feeBps);
    event SettlementGraceChanged(uint64 settlementGrace);

    error ZeroAddress();
    error ZeroJobId();
    error QuoteJobMismatch(bytes32 jobId, bytes32 quoteJobId);
    error QuoteClientMismatch(address quoteClient, address caller);
    error EmptyQuote();
    error QuoteExpired(uint64 expiry);
    error QuoteNonceAlreadyUsed(uint256 nonce);
    error InvalidQuoteSignature();
    error UnauthorizedQuoteSigner(address signer);
    error JobAlreadyExists(bytes32 jobId);
    error NotAClient(address account);
    error TransferShortfall(uint256 expected, uint256 received);
    error JobNotOpen(bytes32 jobId, Status status);
    error UsageExceedsQuote(uint64 gpuSeconds, uint64 maxGpuSeconds);
    error ProviderNotActive(address provider);
    error NotJobClient(bytes32 jobId, address caller);
    error DeadlineNotReached(uint64 deadline);
    error NothingToWithdraw(address account);
    error NoFeesToSweep();
    error FeeTooHigh(uint16 feeBps, uint16 max);
    error SettlementGraceTooLong(uint64 requested, uint64 max);

    constructor(
        IERC20 token_,
        Staking staking_,
        RewardDistributor rewards_,
        address admin,
        uint16 feeBps_,
        uint64 settlementGrace_
    ) EIP712("StarMiner JobEscrow", "1") {
        if (address(token_) == address(0) || address(staking_) == address(0) || address(rewards_) == address(0)) {
            revert ZeroAddress();
        }
        token = token_;
        staking = staking_;
        rewards = rewards_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setFeeBps(feeBps_);
        _setSettlementGrace(settlementGrace_);
    }

    /// @notice Deposits pricePerGpuSecond x maxGpuSeconds for `jobId` (the caller must have approved it).
    function fund(bytes32 jobId, Quote calldata quote, bytes calldata signature) external nonReentrant {
        _fund(jobId, quote, signature);
    }

    /// @notice As fund, with an EIP-2612 permit for the deposit. A permit that fails (for example
    ///         because someone front-ran it) is ignored: the allowance it set is what counts.
    function fundWithPermit(
        bytes32 jobId,
        Quote calldata quote,
        bytes calldata signature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        uint256 amount = quote.pricePerGpuSecond * quote.maxGpuSeconds;
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, permitDeadline, v, r, s) {} catch {}
        _fund(jobId, quote, signature);
    }

    /// @notice Closes a job with its metered usage: the provider is credited the price of the usage
    ///         minus the protocol fee, the fee accrues for the RewardDistributor and the unused rest
    ///         is credited back to the client.
    function settle(bytes32 jobId, address provider, uint64 gpuSeconds) external onlyRole(SETTLER_ROLE) {
        Job storage job = _openJob(jobId);
        if (gpuSeconds > job.maxGpuSeconds) revert UsageExceedsQuote(gpuSeconds, job.maxGpuSeconds);
        if (!staking.isActive(provider)) revert ProviderNotActive(provider);

        uint256 cost = job.pricePerGpuSecond * gpuSeconds;
        uint256 fee = (cost * job.feeBps) / BPS;
        uint256 providerAmount = cost - fee;
        uint256 clientRefund = job.amount - cost;
        job.status = Status.Settled;
        totalEscrowed -= job.amount;
        totalCredits += providerAmount + clientRefund;
        feesAccrued += fee;
        credits[provider] += providerAmount;
        credits[job.client] += clientRefund;
        emit JobSettled(jobId, provider, job.client, gpuSeconds, providerAmount, fee, clientRefund);
    }

    /// @notice Refunds a failed job's whole deposit to its client.
    function refund(bytes32 jobId) external onlyRole(SETTLER_ROLE) {
        Job storage job = _openJob(jobId);
        job.status = Status.Refunded;
        _creditBack(job);
        emit JobRefunded(jobId, job.client, job.amount);
    }

    /// @notice Lets the client take back a deposit nobody settled by the job's deadline, so funds
    ///         are never stuck when the protocol is down.
    function reclaim(bytes32 jobId) external {
        Job storage job = _openJob(jobId);
        if (msg.sender != job.client) revert NotJobClient(jobId, msg.sender);
        if (block.timestamp < job.deadline) revert DeadlineNotReached(job.deadline);
        job.status = Status.Reclaimed;
        _creditBack(job);
        emit JobReclaimed(jobId, job.client, job.amount);
    }

    function withdraw() external nonReentrant {
        _withdraw(msg.sender);
    }

    /// @notice Withdraws the caller's credit to another address, for payees that cannot receive.
    function withdrawTo(address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(to);
    }

    /// @notice Moves the accrued fees to the RewardDistributor. Anyone may call it.
    function sweepFees() external nonReentrant {
        uint256 fees = feesAccrued;
        if (fees == 0) revert NoFeesToSweep();
        feesAccrued = 0;
        emit FeesSwept(address(rewards), fees);
        token.forceApprove(address(rewards), fees);
        rewards.depositRewards(fees);
    }

    /// @notice Withdraws an issued, unused quote (for example one signed by a key being rotated out).
    function revokeQuoteNonce(uint256 nonce) external onlyRole(QUOTE_SIGNER_ROLE) {
        if (quoteNonceUsed[nonce]) revert QuoteNonceAlreadyUsed(nonce);
        quoteNonceUsed[nonce] = true;
        emit QuoteNonceRevoked(nonce, msg.sender);
    }

    function setFeeBps(uint16 feeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFeeBps(feeBps_);
    }

    function setSettlementGrace(uint64 settlementGrace_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSettlementGrace(settlementGrace_);
    }

    function jobOf(bytes32 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @notice The EIP-712 digest a quote signer signs; off-chain code can check its own hashing.
    function quoteDigest(Quote calldata quote) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    QUOTE_TYPEHASH,
                    quote.jobId,
                    quote.client,
                    quote.pricePerGpuSecond,
                    quote.maxGpuSeconds,
                    quote.tier,
                    quote.maxDuration,
                    quote.expiry,
                    quote.nonce
                )
            )
        );
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _fund(bytes32 jobId, Quote calldata quote, bytes calldata signature) private {
        if (jobId == bytes32(0)) revert ZeroJobId();
        if (quote.jobId != jobId) revert QuoteJobMismatch(jobId, quote.jobId);
        if (quote.client != msg.sender) revert QuoteClientMismatch(quote.client, msg.sender);
        if (_jobs[jobId].status != Status.None) revert JobAlreadyExists(jobId);
        if (quote.pricePerGpuSecond == 0 || quote.maxGpuSeconds == 0) revert EmptyQuote();
        if (block.timestamp > quote.expiry) revert QuoteExpired(quote.expiry);
        if (quoteNonceUsed[quote.nonce]) revert QuoteNonceAlreadyUsed(quote.nonce);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(quoteDigest(quote), signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidQuoteSignature();
        if (!hasRole(QUOTE_SIGNER_ROLE, signer)) revert UnauthorizedQuoteSigner(signer);
        if (!staking.registry().isClient(msg.sender)) revert NotAClient(msg.sender);

        uint256 amount = quote.pricePerGpuSecond * quote.maxGpuSeconds;
        uint64 deadline = uint64(block.timestamp) + quote.maxDuration + settlementGrace;
        quoteNonceUsed[quote.nonce] = true;
        _jobs[jobId] = Job({
            client: msg.sender,
            status: Status.Funded,
            feeBps: feeBps,
            deadline: deadline,
            maxGpuSeconds: quote.maxGpuSeconds,
            pricePerGpuSecond: quote.pricePerGpuSecond,
            amount: amount,
            tier: quote.tier
        });
        totalEscrowed += amount;
        emit JobFunded(jobId, msg.sender, quote.tier, amount, quote.pricePerGpuSecond, quote.maxGpuSeconds, deadline, quote.nonce);

        // The escrow must hold exactly what it owes: a token that delivers less is refused.
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert TransferShortfall(amount, received);
    }

    function _openJob(bytes32 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.status != Status.Funded) revert JobNotOpen(jobId, job.status);
    }

    function _creditBack(Job storage job) private {
        totalEscrowed -= job.amount;
        totalCredits += job.amount;
        credits[job.client] += job.amount;
    }

    function _withdraw(address to) private {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        credits[msg.sender] = 0;
        totalCredits -= amount;
        emit Withdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    function _setFeeBps(uint16 feeBps_) private {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        feeBps = feeBps_;
        emit FeeChanged(feeBps_);
    }

    function _setSettlementGrace(uint64 settlementGrace_) private {
        if (settlementGrace_ > MAX_SETTLEMENT_GRACE) {
            revert SettlementGraceTooLong(settlementGrace_, MAX_SETTLEMENT_GRACE);
        }
        settlementGrace = settlementGrace_;
        emit SettlementGraceChanged(settlementGrace_);
    }
}
