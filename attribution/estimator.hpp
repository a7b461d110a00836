// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Attribution estimators behind one interface: per-round values of the FL game U_t(S), where
//! U_t(S) is a metric (validation accuracy or negative validation loss) of the coalition model
//! w_t + strategy({Δ_i : i ∈ S}) and U_t(∅) is the metric of w_t (FedSV, Wang et al. 2020).
//!
//!   EstimatorOptions options{.seed = round_seed(round, start_model_hash, participants),
//!                            .max_evaluations = 400, .threads = 4};
//!   auto est = estimate_checked(Method::stratified, participants.size(), utility, options);
//!   // utility: Result<double>(Coalition); est->values[i] is φ_i of the i-th participant
//!
//! References:
//!  - exact Shapley: L. S. Shapley, "A value for n-person games" (1953).
//!  - TMC: A. Ghorbani & J. Zou, "Data Shapley: Equitable valuation of data for machine learning",
//!    ICML 2019 (truncated Monte Carlo over permutations).
//!  - GTG-Shapley: Z. Liu, Y. Chen, H. Yu, Y. Liu & L. Cui, "GTG-Shapley: Efficient and accurate
//!    participant contribution evaluation in federated learning", ACM TIST 2022 (guided
//!    truncation gradient Shapley: between-round and within-round truncation, guided
//!    sampling); here with position-stratified (Latin-square) antithetic permutation batches
//!    and a stratified estimate reusing every memoised coalition.
//!  - Data Banzhaf / MSR: J. T. Wang & R. Jia, "Data Banzhaf: A robust data valuation framework
//!    for machine learning", AISTATS 2023 (maximum-sample-reuse estimator).
//!  - leave-one-out: φ_i = U(N) − U(N∖{i}) (Cook's distance style baseline; see Ghorbani & Zou).
//!  - stratified: P. Kolpaczki, V. Bengs, M. Muschalik & E. Hüllermeier, "Approximating the Shapley
//!    value without marginal contributions", AAAI 2024 (Stratified SVARM: every sampled coalition
//!    updates every participant's stratum means), with exact border strata and a control variate:
//!    the caller's (ControlVariate) or a fitted FedAvg-mixture surrogate (docs/attribution.md).
//!
//! All methods memoise U(S) (each coalition is evaluated at most once per call), evaluate
//! coalitions in parallel on `threads` std::threads, and are deterministic: for a given seed the
//! values, standard errors and evaluation count do not depend on the number of threads or on
//! scheduling. Derive the seed from the round's inputs with round_seed().
//!
//! Each estimator is one file in attribution/internal/ (exact.cpp, loo.cpp, tmc.cpp, gtg.cpp,
//! banzhaf.cpp, stratified.cpp), its tests beside it; estimator.cpp holds these entry points.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attribution/shapley.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace flywheel::attribution {

//! The largest number of participants per round any estimator accepts: coalitions are 128-bit
//! masks (bit i = the round's i-th participant).
inline constexpr std::size_t kMaxParticipants = kCoalitionBits;

//! U(S) for utilities that can fail (e.g. rebuilding a coalition model). Must be deterministic and
//! safe to call from several threads at once.
using CheckedUtility = std::function<Result<double>(Coalition)>;

//! U for several coalitions at once (e.g. one pass over precomputed data serving the whole batch):
//! one value per coalition, in order. A coalition's value must not depend on the rest of the batch
//! (deterministic per coalition); safe to call from several threads at once.
using BatchUtility = std::function<Result<std::vector<double>>(std::span<const Coalition>)>;

//! Which estimator to run.
enum class Method {
  exact,    //!< exact Shapley over all 2^n coalitions; refused for n > kMaxExactParticipants
  tmc,      //!< truncated Monte Carlo permutation sampling (Ghorbani & Zou 2019)
  gtg,      //!< GTG-Shapley: guided permutations + within/between-round truncation (Liu et al. 2022)
  loo,      //!< leave-one-out: U(N) − U(N∖{i}); n + 2 evaluations
  banzhaf,  //!< Data Banzhaf values by maximum sample reuse (Wang & Jia 2023); not efficient
  //! Stratified sampling with exact border strata, every evaluated coalition reused for every
  //! participant (Stratified SVARM, Kolpaczki et al. 2024) and, for n ≤ kMaxSurrogateParticipants,
  //! a control variate: the caller's (ControlVariate) or a fitted FedAvg-mixture surrogate
  //! (docs/attribution.md)
  stratified,
};

//! Up to this many participants the stratified estimator fits its quadratic mixture surrogate
//! (n(n+1)/2 coefficients) and takes the surrogate's exact Shapley values by enumerating its 2^n
//! coalitions; above, it estimates U itself (no control variate).
inline constexpr std::size_t kMaxSurrogateParticipants = 16;

//! The method's name as parse_method accepts it: "exact", "tmc", "gtg", "loo", "banzhaf",
//! "stratified".
std::string_view method_name(Method method);

//! Parses a method name (as method_name writes it). Errc::invalid_argument naming the valid names
//! when `name` is not one of them.
Result<Method> parse_method(std::string_view name);

//! A game f close to U, tabulated over all 2^n coalitions (f[mask], bit i = participant i), for
//! the stratified and gtg estimators to use as their control variate (stratified: in place of its
//! fitted mixture surrogate): φ = φ(f), exact from the table, plus the estimate of φ(U − f). Any f
//! keeps the estimate unbiased as long as f does not depend on the sampled middle coalitions; the
//! closer f is to U, the smaller the error. Called once, after every coalition of sizes 0, 1, 2,
//! n − 1 and n is evaluated, so a utility that keeps what it computed for those (e.g. their
//! validation logits) can build f from them. An empty table declines (stratified then fits its
//! mixture surrogate, gtg runs without a control variate); an error ends the estimate with it; a
//! table of the wrong size or with a value that is not finite ends it with Errc::internal.
using ControlVariate = std::function<Result<std::vector<double>>()>;

//! How an estimator runs. Unset optionals take the method's default, listed per field.
//!
//! Stopping (sampling methods tmc, gtg, banzhaf, stratified): samples are drawn in batches (n
//! permutations for tmc; 2n for gtg — the n rows of a random Latin square, every participant at
//! every position once, each followed by its reverse; max(32, n) coalitions for banzhaf; one sweep
//! over the coalition sizes not enumerated for stratified). After each batch the estimator stops
//! when any of these holds (gtg also checks the standard-error target after every 8 permutations):
//!  - the number of samples reached max_samples;
//!  - max_evaluations > 0 and the distinct evaluations reached it: a hard cap for gtg and
//!    stratified, which never evaluate past it (gtg ends the permutation walks whose next
//!    coalition would pass it and stops); a soft cap for tmc and banzhaf, where the batch that
//!    crosses it completes, so the count may exceed it by at most one batch's evaluations;
//!  - at least min_samples were drawn and target_std_error > 0 and every standard error ≤ it;
//!  - at least min_samples were drawn and convergence_tolerance > 0 and the running averages
//!    converged: the mean absolute change of the values over the last batch, divided by the mean
//!    absolute value, is below convergence_tolerance (the GTG-Shapley paper's criterion: relative
//!    change of the running average), for two consecutive batches.
struct EstimatorOptions {
  //! Seed of the sampling methods' portable RNG (xoshiro256** seeded by SplitMix64). Use
  //! round_seed() so anyone holding the round's inputs can recompute the estimate.
  std::uint64_t seed = 0;
  //! Cap on distinct utility evaluations; 0 = no cap. Soft for tmc and banzhaf (see above), hard
  //! for gtg and stratified. For gtg and stratified it also decides the exact border: with a cap of at
  //! least 2·(2n + 2 + C(n, 2)) (or no cap) every coalition of size 2 is evaluated first too.
  std::size_t max_evaluations = 0;
  //! Most permutations (tmc, gtg) or sampled coalitions (banzhaf, stratified). Default: tmc, gtg
  //! 50·n permutations; banzhaf and stratified 400·n coalitions.
  std::optional<std::size_t> max_samples;
  //! Fewest samples before a convergence or standard-error stop. Default: tmc, gtg 3·n
  //! permutations (three guided cycles); banzhaf and stratified 64 coalitions. At least 2.
  std::optional<std::size_t> min_samples;
  //! Within-round truncation, absolute, in utility units: a permutation's remaining marginal
  //! contributions are taken as 0 once |U(N) − U(prefix)| < this. 0 disables truncation.
  //! Default: gtg 0.001 (0.1 percentage point of accuracy); tmc 0.001. Ignored by other methods,
  //! and by gtg while it uses a control variate (control_variate).
  std::optional<double> truncation_tolerance;
  //! Between-round truncation (GTG-Shapley), absolute, in utility units: when
  //! |U(N) − U(∅)| < this, the round is skipped: every value is 0, Estimate::truncated_round is
  //! set and a note says why (2 evaluations). Default: gtg 0.001; every other method 0 (off);
  //! may be set for tmc, banzhaf and stratified too.
  std::optional<double> round_truncation_tolerance;
  //! Relative-change convergence threshold (see above); 0 disables. Default 0.01 for every
  //! sampling method.
  std::optional<double> convergence_tolerance;
  //! Stop once every participant's standard error is ≤ this (utility units); 0 disables (default).
  double target_std_error = 0;
  //! Per-participant weights of the merge (FedAvg: training samples n_i), used by the stratified
  //! estimator's mixture surrogate f(S) = Σ_{i,j∈S} n_i n_j G_ij / (Σ_{i∈S} n_i)²; empty = equal
  //! weights. Any weights keep the estimate's expectation; matching ones lower its variance.
  //! Errc::invalid_argument unless empty or one positive finite number per participant.
  std::vector<double> weights;
  //! Threads evaluating coalitions in parallel; 0 = std::thread::hardware_concurrency(). Results do
  //! not depend on it.
  std::size_t threads = 0;
  //! A control variate for stratified and gtg (see ControlVariate); unset = stratified fits its
  //! mixture surrogate, gtg has none. Used when n ≤ kMaxSurrogateParticipants and every pair is
  //! evaluated first: stratified with no cap or a cap of at least 2·(2n + 2 + C(n, 2)); gtg with
  //! such a cap only. gtg then turns within-round truncation off (its skipped coalitions would bias
  //! the residual means). Ignored by other methods.
  ControlVariate control_variate;
};

//! One round's attribution estimate.
struct Estimate {
  std::vector<double> values;  //!< φ_i per participant in the round's order (utility units)
  //! Standard error of each value: std of the sampled marginals / √samples for tmc; for gtg the
  //! stratified standard error over prefix sizes with a finite-population correction (0 once
  //! every coalition is memoised); the two-sample standard error of the difference of means for
  //! banzhaf; for stratified the stratified standard error of its "with" and "without" means
  //! (docs/attribution.md); 0 for exact, loo and skipped rounds.
  std::vector<double> std_errors;
  std::size_t evaluations = 0;     //!< distinct coalitions whose utility was computed
  std::size_t samples = 0;         //!< permutations (tmc, gtg) or coalitions (banzhaf) drawn; 0 otherwise
  double empty_utility = 0;        //!< U(∅): the metric of the round's starting model
  double grand_utility = 0;        //!< U(N): the metric of the aggregated model
  Method method = Method::exact;   //!< the estimator that produced this
  std::uint64_t seed = 0;          //!< the seed used
  bool truncated_round = false;    //!< between-round truncation skipped the round (all values 0)
  std::vector<std::string> notes;  //!< human-readable remarks (truncation, stopping reason)
};

//! Estimates the round's values for `n` participants with `method`; U(S) = utility(S).
//!
//! Efficiency: for exact, and for tmc with truncation_tolerance = 0 and no round skip, each
//! permutation's marginals telescope, so Σ φ_i = U(N) − U(∅) up to float rounding; with
//! truncation the sum differs by less than the tolerance. gtg's stratified estimate (mean over
//! every memoised pair (S, S ∪ {i}) per prefix size, docs/attribution.md) is unbiased per
//! participant, so efficient in expectation, and exact (equal to exact Shapley) once every
//! coalition is memoised; so is stratified's without its surrogate (n > 16), and with it up to the
//! small bias of fitting the surrogate to the sampled coalitions themselves (tested: within the
//! sampling noise on a 10-player game). Banzhaf and LOO values are not efficient.
//!
//! Errors: Errc::invalid_argument when n is 0, n > kMaxParticipants, n > kMaxExactParticipants
//! for Method::exact (2^n evaluations), or an option is out of range (negative tolerance,
//! min_samples > max_samples, max_samples < 2); Errc::internal when the utility throws.
Result<Estimate> estimate(Method method, std::size_t n, const Utility& utility, const EstimatorOptions& options = {});

//! estimate() for a utility that can fail (e.g. rebuilding a coalition model fails): the first
//! failing coalition's error is returned, prefixed with the coalition. Same other errors.
Result<Estimate> estimate_checked(Method method, std::size_t n, const CheckedUtility& utility,
                                  const EstimatorOptions& options = {});

//! estimate_checked() for a batch utility: each parallel batch of coalitions is split into one
//! contiguous chunk per thread (at most 256 coalitions each) and each chunk is one utility call.
//! Same results as estimate_checked() with the same per-coalition values. Errors as
//! estimate_checked(), plus Errc::internal when the utility returns the wrong number of values.
Result<Estimate> estimate_batched(Method method, std::size_t n, const BatchUtility& utility,
                                  const EstimatorOptions& options = {});

//! A seed derived from arbitrary round inputs: the first 8 bytes (big-endian) of
//! keccak256("flywheel.attribution.seed" ‖ inputs).
std::uint64_t round_seed(ByteView inputs);

//! The seed for round `round` of a job: round_seed over the round number (8 bytes big-endian),
//! the content hash (SHA-256, fedtrain::hash_floats) of the model the round started from (w_t)
//! and the participants' addresses in the round's order. Everyone holding the round record and
//! the published model can recompute it.
std::uint64_t round_seed(std::uint64_t round, const Hash32& start_model_hash, std::span<const Address> participants);

}  // namespace flywheel::attribution
