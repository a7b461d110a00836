// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {ModelShares} from "./ModelShares.sol";

/// @title AttributionLedger
/// @notice On-chain record of Flywheel federated-training jobs (see docs: DESIGN.md, "On-chain contracts").
///         Per job: the aggregator records one (model hash, attribution Merkle root) pair per round, in
///         order and each exactly once; then it proposes a shares Merkle root, which opens a challenge
///         window during which the DAO may veto; after the window anyone may finalize, which deploys the
///         job's ModelShares token as an EIP-1167 minimal-proxy clone; contributors then claim their
///         shares with Merkle proofs.
/// @dev Leaves of the shares tree are `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))`
///      (double hashing prevents second-preimage attacks with inner nodes) and inner nodes hash the
///      sorted pair, as OpenZeppelin's MerkleProof expects. Storage per round is two words, so the gas
///      of `recordRound` does not depend on the number of participants.
///      Share policy: every job records how its shares are meant to be split between data
///      contributors, compute providers and the sponsor (basis points summing to 10,000) and the asset
///      its revenue is paid in. The shares Merkle root itself is computed OFF-CHAIN by the aggregator
///      from the attribution record and this policy; the ledger does not (and, with per-round gas
///      independent of the number of participants, cannot) recompute it. Recording the policy lets
///      anyone re-derive the split from the published attribution data during the challenge window
///      and ask the DAO to veto a root that does not follow it.
///      Lifecycle of a job: Registered -> (rounds) -> Proposed -> [Vetoed -> Proposed]* -> Finalized.
///      While a proposal is live no further rounds can be recorded; after finalization nothing but
///      claims can change.
contract AttributionLedger {
    // ------------------------------------------------------------------------------------- errors

    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice No job with id `jobId` exists (ids start at 1).
    error UnknownJob(uint256 jobId);
    /// @notice `caller` is not the aggregator of job `jobId`.
    error NotAggregator(uint256 jobId, address caller);
    /// @notice `caller` is not the DAO.
    error NotDao(address caller);
    /// @notice Rounds must be recorded consecutively starting at 1: `expected` was due, `got` was given.
    error RoundOutOfOrder(uint256 expected, uint256 got);
    /// @notice Job `jobId` is finalized; its record can no longer change.
    error AlreadyFinalized(uint256 jobId);
    /// @notice Job `jobId` has a live shares proposal (veto or finalize it first).
    error ProposalLive(uint256 jobId);
    /// @notice Job `jobId` has no recorded round yet, so there is nothing to attribute.
    error NoRoundsRecorded(uint256 jobId);
    /// @notice Job `jobId` has no live shares proposal.
    error NoProposal(uint256 jobId);
    /// @notice A shares root of zero was proposed.
    error ZeroSharesRoot();
    /// @notice A total of zero shares was proposed.
    error ZeroTotalShares();
    /// @notice The proposed `totalShares` does not fit 128 bits (the width of a ModelShares balance).
    error TotalSharesTooLarge(uint256 totalShares);
    /// @notice The challenge window of job `jobId` is still open until timestamp `endsAt` (seconds).
    error ChallengeWindowOpen(uint256 jobId, uint256 endsAt);
    /// @notice The challenge window of job `jobId` closed at timestamp `endedAt` (seconds).
    error ChallengeWindowClosed(uint256 jobId, uint256 endedAt);
    /// @notice Job `jobId` is not finalized yet, so shares cannot be claimed.
    error NotFinalized(uint256 jobId);
    /// @notice `account` already claimed its shares of job `jobId`.
    error AlreadyClaimed(uint256 jobId, address account);
    /// @notice The Merkle proof does not prove (msg.sender, amount) against the finalized shares root.
    error InvalidProof();
    /// @notice Claiming `requested` would exceed the job's total; only `remaining` shares are left.
    error ClaimExceedsTotal(uint256 jobId, uint256 requested, uint256 remaining);
    /// @notice The share policy's basis points do not sum to 10,000.
    error InvalidSharePolicy(uint16 dataBps, uint16 computeBps, uint16 sponsorBps);
    /// @notice `token` has no code, so it cannot be a revenue ERC-20 (use address(0) for ETH).
    error InvalidRevenueToken(address token);

    // ------------------------------------------------------------------------------------- events

    /// @notice A job was registered by `sponsor`; `aggregator` may record its rounds.
    /// @param challengeWindow Seconds between a shares proposal and the earliest finalization.
    /// @param name Human-readable job name (kept in the event only, not in storage).
    event JobRegistered(
        uint256 indexed jobId, address indexed aggregator, address indexed sponsor, uint64 challengeWindow, string name
    );
    /// @notice The share policy of job `jobId` was set (once, at registration).
    /// @param sponsor Account credited with the sponsor part (`sponsorBps`) of the shares.
    /// @param dataBps Part of the shares for data contributors, in basis points.
    /// @param computeBps Part of the shares for compute providers, in basis points.
    /// @param sponsorBps Part of the shares for the sponsor, in basis points.
    /// @param revenueToken ERC-20 in which the job's model revenue is paid; zero means ETH.
    event SharePolicySet(
        uint256 indexed jobId,
        address indexed sponsor,
        uint16 dataBps,
        uint16 computeBps,
        uint16 sponsorBps,
        address indexed revenueToken
    );
    /// @notice Round `round` of job `jobId` was recorded.
    /// @param modelHash Hash of the global model produced by the round.
    /// @param attributionRoot Merkle root of the round's attribution record.
    event RoundRecorded(uint256 indexed jobId, uint256 indexed round, bytes32 modelHash, bytes32 attributionRoot);
    /// @notice The aggregator proposed the shares distribution of job `jobId`; the challenge window opens.
    /// @param proposedAt Block timestamp (seconds) at which the window opened.
    event SharesProposed(uint256 indexed jobId, bytes32 sharesRoot, uint256 totalShares, uint256 proposedAt);
    /// @notice The DAO vetoed the live proposal of job `jobId` with root `sharesRoot`.
    event SharesVetoed(uint256 indexed jobId, bytes32 sharesRoot);
    /// @notice The shares of job `jobId` were finalized and `token` (a ModelShares clone) was deployed.
    event SharesFinalized(uint256 indexed jobId, address indexed token, bytes32 sharesRoot, uint256 totalShares);
    /// @notice `account` claimed `amount` shares of job `jobId` (minted on the job's token).
    event SharesClaimed(uint256 indexed jobId, address indexed account, uint256 amount);

    // ------------------------------------------------------------------------------------- storage

    /// @dev One training job. Fields are packed so that each entry point touches few slots.
    struct Job {
        address aggregator; // slot 0
        uint64 challengeWindow; // slot 0
        address sponsor; // slot 1
        uint64 roundCount; // slot 1
        bytes32 sharesRoot; // slot 2: non-zero while a proposal is live or after finalization
        uint256 totalShares; // slot 3
        address sharesToken; // slot 4: non-zero once finalized
        uint64 proposedAt; // slot 4
        address revenueToken; // slot 5: zero means ETH
        uint16 dataBps; // slot 5
        uint16 computeBps; // slot 5
        uint16 sponsorBps; // slot 5
    }

    /// @dev What is stored per round: two words, independent of the number of participants.
    struct Round {
        bytes32 modelHash;
        bytes32 attributionRoot;
    }

    /// @notice The DAO (a TimelockController) allowed to veto proposals.
    address public immutable dao;
    /// @notice The ModelShares implementation that every job's token clones.
    address public immutable sharesImplementation;

    uint256 private _jobCount;
    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint256 jobId => mapping(uint256 round => Round)) private _rounds;
    mapping(uint256 jobId => mapping(address account => bool)) private _claimed;

    /// @notice Creates the ledger and deploys the single ModelShares implementation used as clone template.
    /// @param dao_ The account allowed to veto; reverts with `ZeroAddress` when zero.
    constructor(address dao_) {
        if (dao_ == address(0)) revert ZeroAddress();
        dao = dao_;
        sharesImplementation = address(new ModelShares());
    }

    // ------------------------------------------------------------------------------------- writes

    /// @notice Registers a training job sponsored by msg.sender with the default share policy: 100 % of
    ///         the shares to data contributors (no compute or sponsor part) and revenue paid in ETH.
    /// @dev Emits JobRegistered then SharePolicySet. Reverts with ZeroAddress.
    /// @param aggregator The only account that may record rounds and propose shares; non-zero.
    /// @param challengeWindow_ Seconds the DAO has to veto a proposal (0 waives the veto).
    /// @param name Human-readable job name, emitted in `JobRegistered`.
    /// @return jobId The new job's id: 1 for the first job, then incrementing by one.
    function registerJob(address aggregator, uint64 challengeWindow_, string calldata name)
        external
        returns (uint256 jobId)
    {
        return _registerJob(aggregator, challengeWindow_, name, msg.sender, 10_000, 0, 0, address(0));
    }

    /// @notice Registers a training job with an explicit share policy and revenue asset.
    /// @dev The policy is recorded, not enforced: the aggregator computes the shares root off-chain
    ///      from the attribution record and this split, and anyone can check it during the challenge
    ///      window (see the contract's dev notes). Emits JobRegistered then SharePolicySet. Reverts with
    ///      ZeroAddress (aggregator or sponsor zero), InvalidSharePolicy (basis points not summing to
    ///      10,000) or InvalidRevenueToken (non-zero address without code).
    /// @param aggregator The only account that may record rounds and propose shares; non-zero.
    /// @param challengeWindow_ Seconds the DAO has to veto a proposal (0 waives the veto).
    /// @param name Human-readable job name, emitted in `JobRegistered`.
    /// @param sponsor Account credited with the sponsor part of the shares; non-zero.
    /// @param dataBps Part of the shares for data contributors, in basis points.
    /// @param computeBps Part of the shares for compute providers, in basis points.
    /// @param sponsorBps Part of the shares for the sponsor, in basis points.
    /// @param revenueToken_ ERC-20 in which the model's revenue is deposited and paid; zero means ETH.
    /// @return jobId The new job's id.
    function registerJobWithPolicy(
        address aggregator,
        uint64 challengeWindow_,
        string calldata name,
        address sponsor,
        uint16 dataBps,
        uint16 computeBps,
        uint16 sponsorBps,
        address revenueToken_
    ) external returns (uint256 jobId) {
        if (sponsor == address(0)) revert ZeroAddress();
        if (uint256(dataBps) + computeBps + sponsorBps != 10_000) {
            revert InvalidSharePolicy(dataBps, computeBps, sponsorBps);
        }
        if (revenueToken_ != address(0) && revenueToken_.code.length == 0) revert InvalidRevenueToken(revenueToken_);
        return _registerJob(aggregator, challengeWindow_, name, sponsor, dataBps, computeBps, sponsorBps, revenueToken_);
    }

    /// @notice Records round `round` of job `jobId`. Only the job's aggregator; rounds start at 1 and must
    ///         be recorded consecutively, each exactly once; not while a proposal is live or after finalization.
    /// @dev Reverts with UnknownJob, NotAggregator, AlreadyFinalized, ProposalLive or
    ///      RoundOutOfOrder(expected, got).
    /// @param modelHash Hash of the global model after the round.
    /// @param attributionRoot Merkle root of the round's attribution record.
    function recordRound(uint256 jobId, uint256 round, bytes32 modelHash, bytes32 attributionRoot) external {
        Job storage job = _aggregatorJob(jobId);
        if (job.sharesRoot != bytes32(0)) {
            if (job.sharesToken != address(0)) revert AlreadyFinalized(jobId);
            revert ProposalLive(jobId);
        }
        uint256 expected = uint256(job.roundCount) + 1;
        if (round != expected) revert RoundOutOfOrder(expected, round);
        // casting to 'uint64' is safe because roundCount grows by one per transaction and cannot reach 2**64
        // forge-lint: disable-next-line(unsafe-typecast)
        job.roundCount = uint64(expected);
        _rounds[jobId][round] = Round({modelHash: modelHash, attributionRoot: attributionRoot});
        emit RoundRecorded(jobId, round, modelHash, attributionRoot);
    }

    /// @notice Proposes the shares distribution of job `jobId` and opens its challenge window.
    /// @dev Only the aggregator, after at least one round, when not finalized and no proposal is live.
    ///      Reverts with UnknownJob, NotAggregator, AlreadyFinalized, ProposalLive, NoRoundsRecorded,
    ///      ZeroSharesRoot, ZeroTotalShares or TotalSharesTooLarge.
    /// @param sharesRoot_ Merkle root over (account, amount) leaves; non-zero.
    /// @param totalShares_ Upper bound on the sum of all claims (18-decimal base units); non-zero and
    ///        below 2^128.
    function proposeShares(uint256 jobId, bytes32 sharesRoot_, uint256 totalShares_) external {
        Job storage job = _aggregatorJob(jobId);
        if (job.sharesRoot != bytes32(0)) {
            if (job.sharesToken != address(0)) revert AlreadyFinalized(jobId);
            revert ProposalLive(jobId);
        }
        if (job.roundCount == 0) revert NoRoundsRecorded(jobId);
        if (sharesRoot_ == bytes32(0)) revert ZeroSharesRoot();
        if (totalShares_ == 0) revert ZeroTotalShares();
        if (totalShares_ > type(uint128).max) revert TotalSharesTooLarge(totalShares_);
        job.sharesRoot = sharesRoot_;
        job.totalShares = totalShares_;
        job.proposedAt = uint64(block.timestamp);
        emit SharesProposed(jobId, sharesRoot_, totalShares_, block.timestamp);
    }

    /// @notice Vetoes the live proposal of job `jobId`; the aggregator may then propose again.
    /// @dev Only the DAO, only while `block.timestamp < proposedAt + challengeWindow`.
    ///      Reverts with NotDao, UnknownJob, AlreadyFinalized, NoProposal or ChallengeWindowClosed.
    function veto(uint256 jobId) external {
        if (msg.sender != dao) revert NotDao(msg.sender);
        Job storage job = _liveProposal(jobId);
        uint256 endsAt = uint256(job.proposedAt) + job.challengeWindow;
        // The window is measured in wall-clock seconds by design; validator skew (seconds) is far below it.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= endsAt) revert ChallengeWindowClosed(jobId, endsAt);
        bytes32 vetoedRoot = job.sharesRoot;
        job.sharesRoot = bytes32(0);
        job.totalShares = 0;
        job.proposedAt = 0;
        emit SharesVetoed(jobId, vetoedRoot);
    }

    /// @notice Finalizes the live proposal of job `jobId` once its challenge window has passed and deploys
    ///         the job's ModelShares token ("Flywheel Job <id> Shares", "FWS<id>"), whose revenue pool
    ///         pays in the job's revenue token and divides by the job's total shares. Callable by anyone.
    /// @dev Requires `block.timestamp >= proposedAt + challengeWindow`.
    ///      Reverts with UnknownJob, AlreadyFinalized, NoProposal or ChallengeWindowOpen.
    /// @return token The address of the new ModelShares clone.
    function finalize(uint256 jobId) external returns (address token) {
        Job storage job = _liveProposal(jobId);
        uint256 endsAt = uint256(job.proposedAt) + job.challengeWindow;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < endsAt) revert ChallengeWindowOpen(jobId, endsAt);
        token = Clones.clone(sharesImplementation);
        job.sharesToken = token;
        string memory id = Strings.toString(jobId);
        ModelShares(token)
            .initialize(
                string.concat("Flywheel Job ", id, " Shares"),
                string.concat("FWS", id),
                address(this),
                job.revenueToken,
                job.totalShares
            );
        emit SharesFinalized(jobId, token, job.sharesRoot, job.totalShares);
    }

    /// @notice Claims msg.sender's `amount` shares of finalized job `jobId` and mints them to msg.sender.
    /// @dev The leaf is `keccak256(bytes.concat(keccak256(abi.encode(msg.sender, amount))))`, proven with
    ///      sorted-pair hashing against the finalized shares root. Each account claims once, and the sum of
    ///      claims never exceeds `totalShares`. Reverts with UnknownJob, NotFinalized, AlreadyClaimed,
    ///      InvalidProof or ClaimExceedsTotal.
    /// @param amount Shares (18-decimal base units) assigned to msg.sender in the tree.
    /// @param proof Sibling hashes from the leaf up to the root.
    function claimShares(uint256 jobId, uint256 amount, bytes32[] calldata proof) external {
        // A job with a token exists, so the existence check (one more cold read) is only needed on failure.
        Job storage job = _jobs[jobId];
        address token = job.sharesToken;
        if (token == address(0)) {
            _existingJob(jobId);
            revert NotFinalized(jobId);
        }
        if (_claimed[jobId][msg.sender]) revert AlreadyClaimed(jobId, msg.sender);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender, amount))));
        if (!MerkleProof.verifyCalldata(proof, job.sharesRoot, leaf)) revert InvalidProof();
        _claimed[jobId][msg.sender] = true;
        emit SharesClaimed(jobId, msg.sender, amount);
        // The token's supply is exactly the sum of claims (only this ledger mints, only here). Checking
        // the supply returned by mint, and reverting the whole claim when it exceeds the total, saves
        // a separate call; the token is this ledger's own clone and mint makes no external calls.
        uint256 supply = ModelShares(token).mint(msg.sender, amount);
        uint256 total = job.totalShares;
        if (supply > total) revert ClaimExceedsTotal(jobId, amount, total - (supply - amount));
    }

    // ------------------------------------------------------------------------------------- reads

    /// @notice Attribution Merkle root recorded for `round` of job `jobId`; zero if not recorded.
    function roundRoot(uint256 jobId, uint256 round) external view returns (bytes32) {
        return _rounds[jobId][round].attributionRoot;
    }

    /// @notice Model hash recorded for `round` of job `jobId`; zero if not recorded.
    function roundModelHash(uint256 jobId, uint256 round) external view returns (bytes32) {
        return _rounds[jobId][round].modelHash;
    }

    /// @notice Number of rounds recorded for job `jobId` (also the last recorded round); zero if unknown.
    function roundCount(uint256 jobId) external view returns (uint256) {
        return _jobs[jobId].roundCount;
    }

    /// @notice Shares root of the live or finalized proposal of job `jobId`; zero if none (or vetoed).
    function sharesRoot(uint256 jobId) external view returns (bytes32) {
        return _jobs[jobId].sharesRoot;
    }

    /// @notice ModelShares token of job `jobId`; zero until the job is finalized.
    function sharesToken(uint256 jobId) external view returns (address) {
        return _jobs[jobId].sharesToken;
    }

    /// @notice Total shares of the live or finalized proposal of job `jobId`; zero if none.
    function totalShares(uint256 jobId) external view returns (uint256) {
        return _jobs[jobId].totalShares;
    }

    /// @notice Sum of the shares claimed so far for job `jobId`; never exceeds `totalShares(jobId)`.
    function totalClaimed(uint256 jobId) external view returns (uint256) {
        address token = _jobs[jobId].sharesToken;
        return token == address(0) ? 0 : IERC20(token).totalSupply();
    }

    /// @notice Block timestamp (seconds) of the live or finalized proposal of job `jobId`; zero if none.
    function proposedAt(uint256 jobId) external view returns (uint256) {
        return _jobs[jobId].proposedAt;
    }

    /// @notice Whether job `jobId` has been finalized (its shares token exists).
    function isFinalized(uint256 jobId) external view returns (bool) {
        return _jobs[jobId].sharesToken != address(0);
    }

    /// @notice Whether `account` has claimed its shares of job `jobId`.
    function hasClaimed(uint256 jobId, address account) external view returns (bool) {
        return _claimed[jobId][account];
    }

    /// @notice Aggregator of job `jobId`; zero if the job does not exist.
    function jobAggregator(uint256 jobId) external view returns (address) {
        return _jobs[jobId].aggregator;
    }

    /// @notice Sponsor (registering account) of job `jobId`; zero if the job does not exist.
    function jobSponsor(uint256 jobId) external view returns (address) {
        return _jobs[jobId].sponsor;
    }

    /// @notice Challenge window of job `jobId` in seconds; zero if the job does not exist.
    function challengeWindow(uint256 jobId) external view returns (uint64) {
        return _jobs[jobId].challengeWindow;
    }

    /// @notice Share policy of job `jobId`; all zero if the job does not exist.
    /// @return sponsor Account credited with the sponsor part.
    /// @return dataBps Data contributors' part in basis points.
    /// @return computeBps Compute providers' part in basis points.
    /// @return sponsorBps Sponsor's part in basis points.
    /// @return revenueToken_ ERC-20 in which revenue is paid; zero means ETH.
    function sharePolicy(uint256 jobId)
        external
        view
        returns (address sponsor, uint16 dataBps, uint16 computeBps, uint16 sponsorBps, address revenueToken_)
    {
        Job storage job = _jobs[jobId];
        return (job.sponsor, job.dataBps, job.computeBps, job.sponsorBps, job.revenueToken);
    }

    /// @notice ERC-20 in which job `jobId`'s revenue is paid; zero means ETH (or an unknown job).
    function revenueToken(uint256 jobId) external view returns (address) {
        return _jobs[jobId].revenueToken;
    }

    /// @notice Number of registered jobs, which is also the id of the latest job.
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    // ------------------------------------------------------------------------------------- internal

    /// @dev Stores a new job with a validated policy and emits JobRegistered and SharePolicySet.
    function _registerJob(
        address aggregator,
        uint64 challengeWindow_,
        string calldata name,
        address sponsor,
        uint16 dataBps,
        uint16 computeBps,
        uint16 sponsorBps,
        address revenueToken_
    ) private returns (uint256 jobId) {
        if (aggregator == address(0)) revert ZeroAddress();
        jobId = ++_jobCount;
        Job storage job = _jobs[jobId];
        job.aggregator = aggregator;
        job.challengeWindow = challengeWindow_;
        job.sponsor = sponsor;
        job.revenueToken = revenueToken_;
        job.dataBps = dataBps;
        job.computeBps = computeBps;
        job.sponsorBps = sponsorBps;
        emit JobRegistered(jobId, aggregator, sponsor, challengeWindow_, name);
        emit SharePolicySet(jobId, sponsor, dataBps, computeBps, sponsorBps, revenueToken_);
    }

    /// @dev The job `jobId`, reverting with UnknownJob when it does not exist.
    function _existingJob(uint256 jobId) private view returns (Job storage job) {
        if (jobId == 0 || jobId > _jobCount) revert UnknownJob(jobId);
        return _jobs[jobId];
    }

    /// @dev The job `jobId` when msg.sender is its aggregator; reverts with UnknownJob or NotAggregator.
    function _aggregatorJob(uint256 jobId) private view returns (Job storage job) {
        job = _existingJob(jobId);
        if (msg.sender != job.aggregator) revert NotAggregator(jobId, msg.sender);
    }

    /// @dev The job `jobId` when it has a live proposal; reverts with UnknownJob, AlreadyFinalized or NoProposal.
    function _liveProposal(uint256 jobId) private view returns (Job storage job) {
        job = _existingJob(jobId);
        if (job.sharesToken != address(0)) revert AlreadyFinalized(jobId);
        if (job.sharesRoot == bytes32(0)) revert NoProposal(jobId);
    }
}
