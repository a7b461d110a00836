// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The public entry points of the per-round estimators (estimator.hpp): method names, the request's
// checks and per-method defaults, the dispatch with GTG-Shapley's between-round truncation (Liu et
// al., ACM TIST 2022) and round_seed. Each estimator lives in its own file in attribution/internal/
// (declared in internal/estimators.hpp), its tests beside it:
//  - exact.cpp: exact Shapley (Shapley 1953);
//  - loo.cpp: leave-one-out;
//  - tmc.cpp: TMC (Ghorbani & Zou, ICML 2019);
//  - gtg.cpp: GTG-Shapley (Liu et al., ACM TIST 2022);
//  - banzhaf.cpp: Data Banzhaf with the maximum-sample-reuse estimator (Wang & Jia, AISTATS 2023);
//  - stratified.cpp: stratified sampling with every coalition reused for every participant
//    (Stratified SVARM, Kolpaczki et al., AAAI 2024);
// with what they share: sampling.cpp (running statistics and stopping rules of the sampling
// methods), strata.cpp (exact border strata and the reuse estimate, stratified and gtg),
// control_variate.cpp (the caller's control variate and the fitted mixture surrogate, stratified
// and gtg) and evaluator.cpp (the memoising, parallel coalition evaluator).
#include "attribution/estimator.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "attribution/internal/estimators.hpp"
#include "attribution/internal/evaluator.hpp"
#include "common/keccak.hpp"

namespace flywheel::attribution {
namespace {

using internal::Evaluator;
using internal::fill_common;
using internal::format;
using internal::full_mask;
using internal::run_banzhaf;
using internal::run_exact;
using internal::run_gtg;
using internal::run_loo;
using internal::run_stratified;
using internal::run_tmc;
using internal::Settings;

// Per-method defaults (EstimatorOptions), resolved and checked once.
Result<Settings> resolve(Method method, std::size_t n, const EstimatorOptions& options) {
  Settings s;
  const bool permutations = method == Method::tmc || method == Method::gtg;
  s.max_samples = options.max_samples.value_or(permutations ? 50 * n : 400 * n);
  s.min_samples = options.min_samples.value_or(permutations ? 3 * n : 64);
  s.truncation = options.truncation_tolerance.value_or(permutations ? 0.001 : 0.0);
  s.round_truncation = options.round_truncation_tolerance.value_or(method == Method::gtg ? 0.001 : 0.0);
  s.convergence = options.convergence_tolerance.value_or(0.01);
  if (s.max_samples < 2) {
    return fail(Errc::invalid_argument, "max_samples must be at least 2 (got " + std::to_string(s.max_samples) + ")");
  }
  s.min_samples = std::max<std::size_t>(s.min_samples, 2);
  if (s.min_samples > s.max_samples) {
    return fail(Errc::invalid_argument, "min_samples (" + std::to_string(s.min_samples) + ") exceeds max_samples (" +
                                            std::to_string(s.max_samples) +
                                            "); raise max_samples or lower min_samples");
  }
  if (!(s.truncation >= 0) || !(s.round_truncation >= 0) || !(s.convergence >= 0) || !(options.target_std_error >= 0)) {
    return fail(Errc::invalid_argument,
                "truncation, round truncation and convergence tolerances and target_std_error "
                "must be non-negative numbers");
  }
  return s;
}

}  // namespace

std::string_view method_name(Method method) {
  switch (method) {
    case Method::exact:
      return "exact";
    case Method::tmc:
      return "tmc";
    case Method::gtg:
      return "gtg";
    case Method::loo:
      return "loo";
    case Method::banzhaf:
      return "banzhaf";
    case Method::stratified:
      return "stratified";
  }
  return "unknown";
}

Result<Method> parse_method(std::string_view name) {
  for (Method m : {Method::exact, Method::tmc, Method::gtg, Method::loo, Method::banzhaf, Method::stratified}) {
    if (name == method_name(m)) return m;
  }
  return fail(Errc::invalid_argument, "unknown attribution method \"" + std::string(name) +
                                          "\"; valid methods: exact, tmc, gtg, loo, banzhaf, stratified");
}

namespace {

Result<Estimate> run_method(Method method, std::size_t n, Evaluator& evaluator, const Settings& settings,
                            const EstimatorOptions& options);

Result<Settings> check_request(Method method, std::size_t n, const EstimatorOptions& options) {
  if (n == 0) {
    return fail(Errc::invalid_argument,
                std::string(method_name(method)) + " attribution needs at least one participant");
  }
  if (n > kMaxParticipants) {
    return fail(Errc::invalid_argument,
                std::to_string(n) + " participants exceeds the limit of " + std::to_string(kMaxParticipants) +
                    " per round (coalitions are 128-bit masks); sample fewer participants per round");
  }
  if (method == Method::exact && n > kMaxExactParticipants) {
    return fail(Errc::invalid_argument, "exact Shapley costs 2^n utility evaluations; n = " + std::to_string(n) +
                                            " exceeds the limit of " + std::to_string(kMaxExactParticipants) +
                                            " participants per round; use stratified, gtg, tmc or banzhaf instead");
  }
  auto settings = resolve(method, n, options);
  if (!settings) return tl::unexpected(settings.error());
  if (!options.weights.empty()) {
    if (options.weights.size() != n) {
      return fail(Errc::invalid_argument, "weights has " + std::to_string(options.weights.size()) + " entries for " +
                                              std::to_string(n) + " participants");
    }
    for (double w : options.weights) {
      if (!(w > 0) || !std::isfinite(w)) {
        return fail(Errc::invalid_argument, "weights must be positive finite numbers");
      }
    }
  }

  return settings;
}

Result<Estimate> run_method(Method method, std::size_t n, Evaluator& evaluator, const Settings& settings_value,
                            const EstimatorOptions& options) {
  const Settings* settings = &settings_value;
  if (method == Method::exact) return run_exact(n, evaluator, options);
  if (method == Method::loo) return run_loo(n, evaluator, options);

  const Coalition ends[] = {0, full_mask(n)};
  FLYWHEEL_TRY(evaluator.evaluate(ends));
  const double gain = evaluator.at(full_mask(n)) - evaluator.at(0);
  if (settings->round_truncation > 0 && std::abs(gain) < settings->round_truncation) {
    Estimate out;
    out.values.assign(n, 0.0);
    out.std_errors.assign(n, 0.0);
    out.truncated_round = true;
    out.notes.push_back(format("round skipped by between-round truncation: |U(N) - U(empty)| = %.6g < %g",
                               std::abs(gain), settings->round_truncation));
    fill_common(out, method, n, evaluator, options);
    return out;
  }
  if (method == Method::banzhaf) return run_banzhaf(n, evaluator, *settings, options);
  if (method == Method::gtg) return run_gtg(n, evaluator, *settings, options);
  if (method == Method::stratified) return run_stratified(n, evaluator, *settings, options);
  return run_tmc(n, evaluator, *settings, options);
}

}  // namespace

namespace {

// The request's checks, then the method on an Evaluator over `utility` (either utility kind).
template <class AnyUtility>
Result<Estimate> checked_run(Method method, std::size_t n, const AnyUtility& utility, const EstimatorOptions& options) {
  auto settings = check_request(method, n, options);
  if (!settings) return tl::unexpected(settings.error());
  Evaluator evaluator(utility, internal::resolve_threads(options.threads));
  return run_method(method, n, evaluator, *settings, options);
}

}  // namespace

Result<Estimate> estimate_checked(Method method, std::size_t n, const CheckedUtility& utility,
                                  const EstimatorOptions& options) {
  return checked_run(method, n, utility, options);
}

Result<Estimate> estimate_batched(Method method, std::size_t n, const BatchUtility& utility,
                                  const EstimatorOptions& options) {
  return checked_run(method, n, utility, options);
}

Result<Estimate> estimate(Method method, std::size_t n, const Utility& utility, const EstimatorOptions& options) {
  const CheckedUtility checked = [&utility](Coalition s) -> Result<double> { return utility(s); };
  return estimate_checked(method, n, checked, options);
}

std::uint64_t round_seed(ByteView inputs) {
  const Hash32 h = keccak256(as_bytes("flywheel.attribution.seed"), inputs);
  std::uint64_t seed = 0;
  for (std::size_t i = 0; i < 8; ++i) seed = (seed << 8) | h.bytes[i];
  return seed;
}

std::uint64_t round_seed(std::uint64_t round, const Hash32& start_model_hash, std::span<const Address> participants) {
  Bytes inputs;
  inputs.reserve(8 + 32 + 20 * participants.size());
  for (int shift = 56; shift >= 0; shift -= 8) inputs.push_back(static_cast<std::uint8_t>(round >> shift));
  inputs.insert(inputs.end(), start_model_hash.bytes.begin(), start_model_hash.bytes.end());
  for (const auto& a : participants) inputs.insert(inputs.end(), a.bytes.begin(), a.bytes.end());
  return round_seed(inputs);
}

}  // namespace flywheel::attribution
