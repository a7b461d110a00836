// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Estimators of per-round contribution values: exact Shapley (Shapley 1953), TMC (Ghorbani & Zou,
// ICML 2019), GTG-Shapley (Liu et al., ACM TIST 2022), stratified sampling with every coalition
// reused for every participant (Stratified SVARM, Kolpaczki et al., AAAI 2024), leave-one-out and
// Data Banzhaf with the maximum-sample-reuse estimator (Wang & Jia, AISTATS 2023). See
// estimator.hpp.
#include "attribution/estimator.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "attribution/internal/evaluator.hpp"
#include "attribution/internal/random.hpp"
#include "common/keccak.hpp"

namespace flywheel::attribution {
namespace {

using internal::Evaluator;
using internal::Xoshiro256;

constexpr double kInf = std::numeric_limits<double>::infinity();

Coalition full_mask(std::size_t n) { return coalition_full(n); }
Coalition member(std::size_t i) { return coalition_member(i); }

std::string format(const char* fmt, double a, double b = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

// Per-method defaults resolved and checked once.
struct Settings {
  std::size_t max_samples = 0;
  std::size_t min_samples = 0;
  double truncation = 0;
  double round_truncation = 0;
  double convergence = 0;
};

Result<Settings> resolve(Method method, std::size_t n, const EstimatorOptions& options) {
  Settings s;
  const bool permutations = method == Method::tmc || method == Method::gtg;
  s.max_samples = options.max_samples.value_or(permutations ? 50 * n : 400 * n);
  s.min_samples = options.min_samples.value_or(permutations ? 3 * n : 64);
  s.truncation = options.truncation_tolerance.value_or(permutations ? 0.001 : 0.0);
  s.round_truncation = options.round_truncation_tolerance.value_or(method == Method::gtg ? 0.001 : 0.0);
  s.convergence = options.convergence_tolerance.value_or(0.01);
  if (s.max_samples < 2) {
    return fail(Errc::invalid_argument, "max_samples must be at least 2 (got " +
                                            std::to_string(s.max_samples) + ")");
  }
  s.min_samples = std::max<std::size_t>(s.min_samples, 2);
  if (s.min_samples > s.max_samples) {
    return fail(Errc::invalid_argument,
                "min_samples (" + std::to_string(s.min_samples) + ") exceeds max_samples (" +
                    std::to_string(s.max_samples) + "); raise max_samples or lower min_samples");
  }
  if (!(s.truncation >= 0) || !(s.round_truncation >= 0) || !(s.convergence >= 0) ||
      !(options.target_std_error >= 0)) {
    return fail(Errc::invalid_argument,
                "truncation, round truncation and convergence tolerances and target_std_error "
                "must be non-negative numbers");
  }
  return s;
}

// Welford running mean and variance, one per participant.
class RunningStats {
 public:
  explicit RunningStats(std::size_t n) : count_(n, 0), mean_(n, 0.0), m2_(n, 0.0) {}
  void add(std::size_t i, double x) {
    ++count_[i];
    const double delta = x - mean_[i];
    mean_[i] += delta / static_cast<double>(count_[i]);
    m2_[i] += delta * (x - mean_[i]);
  }
  [[nodiscard]] std::size_t count(std::size_t i) const { return count_[i]; }
  [[nodiscard]] double mean(std::size_t i) const { return mean_[i]; }
  // Unbiased sample variance; +inf below two observations (unknown).
  [[nodiscard]] double variance(std::size_t i) const {
    return count_[i] < 2 ? kInf : m2_[i] / static_cast<double>(count_[i] - 1);
  }

 private:
  std::vector<std::size_t> count_;
  std::vector<double> mean_;
  std::vector<double> m2_;
};

// Decides after each batch whether a sampling estimator may stop, and says why.
class StopRule {
 public:
  StopRule(const Settings& settings, const EstimatorOptions& options, std::string_view unit)
      : settings_(settings), options_(options), unit_(unit) {}

  // `values` and `errors` are the current estimates after `samples` samples.
  bool done(std::size_t samples, std::size_t evaluations, const std::vector<double>& values,
            const std::vector<double>& errors, std::vector<std::string>& notes) {
    double change = kInf;
    if (!previous_.empty()) {
      double moved = 0, size = 0;
      for (std::size_t i = 0; i < values.size(); ++i) {
        moved += std::abs(values[i] - previous_[i]);
        size += std::abs(values[i]);
      }
      change = size > 0 ? moved / size : (moved > 0 ? kInf : 0.0);
    }
    previous_ = values;
    stable_ = change < settings_.convergence ? stable_ + 1 : 0;
    const std::string after = " after " + std::to_string(samples) + " " + std::string(unit_);
    if (samples >= settings_.max_samples) {
      notes.push_back("stopped at max_samples" + after);
      return true;
    }
    if (options_.max_evaluations > 0 && evaluations >= options_.max_evaluations) {
      notes.push_back("stopped at max_evaluations (" + std::to_string(evaluations) + ")" + after);
      return true;
    }
    if (samples < settings_.min_samples) return false;
    if (options_.target_std_error > 0 &&
        *std::max_element(errors.begin(), errors.end()) <= options_.target_std_error) {
      notes.push_back(format("stopped: every standard error <= %g", options_.target_std_error) + after);
      return true;
    }
    if (settings_.convergence > 0 && stable_ >= 2) {
      notes.push_back(format("stopped: converged (relative change %.3g < %g for two batches)",
                             change, settings_.convergence) +
                      after);
      return true;
    }
    return false;
  }

 private:
  const Settings& settings_;
  const EstimatorOptions& options_;
  std::string_view unit_;
  std::vector<double> previous_;
  std::size_t stable_ = 0;
};

void fill_common(Estimate& out, Method method, std::size_t n, const Evaluator& evaluator,
                 const EstimatorOptions& options) {
  out.method = method;
  out.seed = options.seed;
  out.empty_utility = evaluator.at(0);
  out.grand_utility = evaluator.at(full_mask(n));
  out.evaluations = evaluator.evaluations();
}

Result<Estimate> run_exact(std::size_t n, Evaluator& evaluator, const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  std::vector<Coalition> all(static_cast<std::size_t>(full) + 1);
  std::iota(all.begin(), all.end(), Coalition{0});
  FLYWHEEL_TRY(evaluator.evaluate(all));
  std::vector<double> u(all.size());
  for (Coalition s = 0; s <= full; ++s) u[static_cast<std::size_t>(s)] = evaluator.at(s);

  // weight[k] = k!(n-k-1)!/n! = 1 / (n * C(n-1, k)), computed without factorial overflow.
  std::vector<double> weight(n);
  for (std::size_t k = 0; k < n; ++k) {
    double binom = 1;
    for (std::size_t j = 1; j <= k; ++j) {
      binom = binom * static_cast<double>(n - 1 - k + j) / static_cast<double>(j);
    }
    weight[k] = 1.0 / (static_cast<double>(n) * binom);
  }
  Estimate out;
  out.values.assign(n, 0.0);
  out.std_errors.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const Coalition bit = member(i);
    // Sum marginals grouped by coalition size first, so rounding does not depend on the order of
    // very different weights.
    std::vector<double> by_size(n, 0.0);
    for (Coalition s = 0; s <= full; ++s) {
      if (s & bit) continue;
      by_size[coalition_size(s)] += u[static_cast<std::size_t>(s | bit)] - u[static_cast<std::size_t>(s)];
    }
    double phi = 0;
    for (std::size_t k = 0; k < n; ++k) phi += weight[k] * by_size[k];
    out.values[i] = phi;
  }
  fill_common(out, Method::exact, n, evaluator, options);
  return out;
}

Result<Estimate> run_loo(std::size_t n, Evaluator& evaluator, const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  std::vector<Coalition> batch = {0, full};
  for (std::size_t i = 0; i < n; ++i) batch.push_back(full & ~member(i));
  FLYWHEEL_TRY(evaluator.evaluate(batch));
  Estimate out;
  for (std::size_t i = 0; i < n; ++i) {
    out.values.push_back(evaluator.at(full) - evaluator.at(full & ~member(i)));
  }
  out.std_errors.assign(n, 0.0);
  fill_common(out, Method::loo, n, evaluator, options);
  return out;
}

// TMC (Ghorbani & Zou 2019): averages of marginal contributions along uniformly random
// permutations, with within-round truncation. All permutations of a batch are stepped one position
// at a time, so each step's coalitions are evaluated together in parallel.
Result<Estimate> run_tmc(std::size_t n, Evaluator& evaluator, const Settings& settings,
                         const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  const double u_full = evaluator.at(full);
  const double u_empty = evaluator.at(0);
  Xoshiro256 rng(internal::derive_stream(options.seed, static_cast<std::uint64_t>(Method::tmc)));
  RunningStats stats(n);
  StopRule stop(settings, options, "permutations");
  Estimate out;
  std::size_t samples = 0;
  std::size_t truncated_steps = 0;
  const std::size_t batch_size = std::max<std::size_t>(n, 2);
  std::vector<double> values(n), errors(n);
  for (;;) {
    const std::size_t batch = std::min(batch_size, settings.max_samples - samples);
    std::vector<std::vector<std::size_t>> order(batch, std::vector<std::size_t>(n));
    for (std::size_t b = 0; b < batch; ++b) {
      std::iota(order[b].begin(), order[b].end(), std::size_t{0});
      rng.shuffle(std::span(order[b]));
    }
    std::vector<Coalition> prefix(batch, 0);
    std::vector<double> previous(batch, u_empty);
    std::vector<char> truncated(batch, 0);
    std::vector<std::vector<double>> marginal(batch, std::vector<double>(n, 0.0));
    std::vector<Coalition> needed;
    for (std::size_t k = 0; k < n; ++k) {
      needed.clear();
      for (std::size_t b = 0; b < batch; ++b) {
        if (truncated[b]) continue;
        if (settings.truncation > 0 && std::abs(u_full - previous[b]) < settings.truncation) {
          truncated[b] = 1;
          truncated_steps += n - k;
          continue;
        }
        needed.push_back(prefix[b] | member(order[b][k]));
      }
      if (needed.empty()) break;
      FLYWHEEL_TRY(evaluator.evaluate(needed));
      for (std::size_t b = 0; b < batch; ++b) {
        if (truncated[b]) continue;
        prefix[b] |= member(order[b][k]);
        const double v = evaluator.at(prefix[b]);
        marginal[b][order[b][k]] = v - previous[b];
        previous[b] = v;
      }
    }
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t i = 0; i < n; ++i) stats.add(i, marginal[b][i]);
    }
    samples += batch;
    for (std::size_t i = 0; i < n; ++i) {
      values[i] = stats.mean(i);
      errors[i] = std::sqrt(stats.variance(i) / static_cast<double>(stats.count(i)));
    }
    if (stop.done(samples, evaluator.evaluations(), values, errors, out.notes)) break;
  }
  out.values = values;
  out.std_errors = errors;
  out.samples = samples;
  if (truncated_steps > 0) {
    out.notes.push_back(format("within-round truncation (|U(N) - U(prefix)| < %g) skipped %.0f of ",
                               settings.truncation, static_cast<double>(truncated_steps)) +
                        std::to_string(samples * n) + " permutation steps");
  }
  fill_common(out, Method::tmc, n, evaluator, options);
  return out;
}

// Border strata and the caller's control variate, shared by gtg and stratified (defined with the
// stratified estimator below).
std::vector<Coalition> border_coalitions(std::size_t n, bool pairs);
bool border_pairs(std::size_t n, const EstimatorOptions& options);
Result<std::vector<double>> supplied_control_variate(std::size_t n, const EstimatorOptions& options);
std::vector<double> table_shapley(std::size_t n, const std::vector<double>& u);
void stratified_values(std::size_t n, const std::vector<std::pair<Coalition, double>>& residual,
                       const std::vector<double>& base, std::vector<double>& values,
                       std::vector<double>& errors);

// GTG-Shapley's guided permutations (Liu et al. 2022), drawn as one position-stratified,
// antithetic batch of 2n permutations: rows b = 0..n-1 of a random Latin square,
// row_b[k] = π((b + μ(k)) mod n) for uniformly random permutations π, μ of the participants and
// positions, so every participant is at every position (the front included: GTG's guided cycle)
// exactly once per batch; each row is followed by its reverse (antithetic variate). Every row is
// marginally a uniform random permutation (π is uniform), so averages over rows stay unbiased.
std::vector<std::vector<std::size_t>> guided_batch(std::size_t n, Xoshiro256& rng) {
  std::vector<std::size_t> pi(n), mu(n);
  std::iota(pi.begin(), pi.end(), std::size_t{0});
  std::iota(mu.begin(), mu.end(), std::size_t{0});
  rng.shuffle(std::span(pi));
  rng.shuffle(std::span(mu));
  std::vector<std::vector<std::size_t>> rows;
  rows.reserve(2 * n);
  for (std::size_t b = 0; b < n; ++b) {
    std::vector<std::size_t> row(n);
    for (std::size_t k = 0; k < n; ++k) row[k] = pi[(b + mu[k]) % n];
    rows.push_back(row);
    std::reverse(row.begin(), row.end());
    rows.push_back(std::move(row));
  }
  return rows;
}

// C(n, k) as a double (finite-population sizes of the strata; exact below 2^53).
double binomial(std::size_t n, std::size_t k) {
  double c = 1;
  for (std::size_t j = 1; j <= k; ++j) c = c * static_cast<double>(n - k + j) / static_cast<double>(j);
  return c;
}

// The stratified estimate over every memoised pair: for participant i and prefix size k, the mean
// of U(S ∪ {i}) − U(S) over the distinct S (|S| = k, i ∉ S) with both coalitions memoised, or that
// a truncated permutation passed i at (marginal 0 unless both are memoised); φ_i = (1/n) Σ_k mean.
// Standard error: √(Σ_k s²_k / m_k · (1 − m_k / C(n−1, k))) / n (finite-population correction: a
// fully enumerated stratum, like k = 0 and k = n − 1 after one guided batch, adds nothing); a
// stratum with one pair uses i's pooled variance. A stratum no pair reached (only in a batch cut
// short by the evaluation cap) takes the mean of that stratum over all participants.
void stratified_estimate(std::size_t n, const std::unordered_map<Coalition, double, CoalitionHash>& memo,
                         const std::vector<std::unordered_set<Coalition, CoalitionHash>>& truncated_at,
                         std::vector<double>& values, std::vector<double>& errors) {
  std::vector<RunningStats> strata(n, RunningStats(n));  // strata[i] indexed by prefix size k
  RunningStats pooled(n);                                 // every pair of participant i
  // Sorted, so the summation order (and the rounding) does not depend on the hash table.
  std::vector<std::pair<Coalition, double>> pool(memo.begin(), memo.end());
  std::sort(pool.begin(), pool.end());
  for (std::size_t i = 0; i < n; ++i) {
    const Coalition bit = member(i);
    auto add = [&](Coalition s, double x) {
      strata[i].add(coalition_size(s), x);
      pooled.add(i, x);
    };
    for (const auto& [s, v] : pool) {
      if (s & bit) continue;
      if (auto with = memo.find(s | bit); with != memo.end()) add(s, with->second - v);
    }
    std::vector<Coalition> passed(truncated_at[i].begin(), truncated_at[i].end());
    std::sort(passed.begin(), passed.end());
    for (Coalition s : passed) {
      if (!memo.contains(s) || !memo.contains(s | bit)) add(s, 0.0);
    }
  }
  std::vector<double> across(n, 0.0);  // per stratum: the mean over every participant's pairs
  for (std::size_t k = 0; k < n; ++k) {
    double total = 0;
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
      total += strata[i].mean(k) * static_cast<double>(strata[i].count(k));
      m += strata[i].count(k);
    }
    across[k] = m > 0 ? total / static_cast<double>(m) : 0.0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double pooled_var = pooled.variance(i);
    double phi = 0, var = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t m = strata[i].count(k);
      if (m == 0) {
        phi += across[k];
        var += pooled_var;
        continue;
      }
      phi += strata[i].mean(k);
      const double unseen = std::max(0.0, 1.0 - static_cast<double>(m) / binomial(n - 1, k));
      if (unseen > 0) {
        var += (m > 1 ? strata[i].variance(k) : pooled_var) / static_cast<double>(m) * unseen;
      }
    }
    values[i] = phi / static_cast<double>(n);
    errors[i] = std::sqrt(var) / static_cast<double>(n);
  }
}

// GTG-Shapley with position-stratified antithetic guided permutations (guided_batch), within-round
// truncation and the stratified estimate over every memoised coalition (stratified_estimate; with
// a caller's control variate, φ(f) plus stratified_values of U − f, truncation off).
// Permutations are walked kChunk at a time, one position per step, so each step's coalitions are
// evaluated in parallel; the evaluation cap is hard (checked within every step) and the
// standard-error target is checked after every chunk, the other stopping rules after every batch
// of 2n permutations.
Result<Estimate> run_gtg(std::size_t n, Evaluator& evaluator, const Settings& settings,
                         const EstimatorOptions& options) {
  constexpr std::size_t kChunk = 8;
  const Coalition full = full_mask(n);
  const double u_full = evaluator.at(full);
  const double u_empty = evaluator.at(0);
  Xoshiro256 rng(internal::derive_stream(options.seed, static_cast<std::uint64_t>(Method::gtg)));
  StopRule stop(settings, options, "permutations");
  Estimate out;
  std::unordered_map<Coalition, double, CoalitionHash> memo{{0, u_empty}, {full, u_full}};
  std::vector<std::unordered_set<Coalition, CoalitionHash>> truncated_at(n);
  std::size_t samples = 0;
  std::size_t truncated_steps = 0;
  std::vector<double> values(n, 0.0), errors(n, kInf);
  auto over_cap = [&] {
    return options.max_evaluations > 0 && evaluator.evaluations() >= options.max_evaluations;
  };
  // Exact border strata: with an evaluation cap at least twice the 2n + 2 + C(n, 2) border
  // coalitions, every coalition of sizes 1, 2 and n − 1 is evaluated first, so strata 0, 1 and
  // n − 1 (the marginals on the empty set, on singletons and on N ∖ {i}) are exact and the guided
  // permutations' budget goes to the middle strata. (Sizes 1 and n − 1 are reached by the first
  // guided batch anyway.)
  // With the border evaluated, a caller's control variate f (ControlVariate) turns the estimate
  // into φ(f) plus the estimate of φ(U − f), and that estimate reuses every evaluated coalition
  // for every participant (stratified_values, as the stratified estimator) instead of pairing
  // S with S ∪ {i}: a pair's difference cancels U's level, which makes it the better estimate of
  // U itself, but once f has removed the level, reuse gives each stratum n times the samples.
  // Measured on two sets of five real n = 10 rounds at a 15 % cap, 10 seeds: paired residuals
  // worst ρ 0.90 / 0.94, error 0.0015; reuse 0.95 / 0.96, error 0.0010 (without f, reuse: 0.77,
  // error 0.020). Within-round truncation is then off: a truncated walk's skipped coalitions would
  // go unsampled depending on U, which biases unpaired means (measured without it: the same worst
  // ρ and errors 0.0010 / 0.0009 / 0.0032 on three sets at 30 seeds, against 0.0010 / 0.0010 /
  // 0.0032 with it).
  std::vector<double> cv, base(n, 0.0);
  if (options.max_evaluations > 0 && border_pairs(n, options)) {
    const auto border = border_coalitions(n, true);
    FLYWHEEL_TRY(evaluator.evaluate(border));
    for (Coalition c : border) memo.emplace(c, evaluator.at(c));
    auto table = supplied_control_variate(n, options);
    if (!table) return tl::unexpected(table.error());
    cv = std::move(*table);
    if (!cv.empty()) base = table_shapley(n, cv);
  }
  const double truncation = cv.empty() ? settings.truncation : 0.0;
  auto estimate_now = [&] {
    if (cv.empty()) return stratified_estimate(n, memo, truncated_at, values, errors);
    std::vector<std::pair<Coalition, double>> residual(memo.begin(), memo.end());
    std::sort(residual.begin(), residual.end());
    for (auto& [c, u] : residual) u -= cv[static_cast<std::size_t>(c)];
    stratified_values(n, residual, base, values, errors);
  };
  bool finished = false;
  while (!finished) {
    auto rows = guided_batch(n, rng);
    rows.resize(std::min(rows.size(), settings.max_samples - samples));
    for (std::size_t c0 = 0; c0 < rows.size() && !finished; c0 += kChunk) {
      const std::size_t count = std::min(kChunk, rows.size() - c0);
      samples += count;
      std::vector<Coalition> prefix(count, 0);
      std::vector<double> previous(count, u_empty);
      std::vector<char> truncated(count, 0);
      std::vector<Coalition> needed;
      for (std::size_t k = 0; k < n; ++k) {
        needed.clear();
        for (std::size_t b = 0; b < count; ++b) {
          const std::size_t i = rows[c0 + b][k];
          if (!truncated[b] && truncation > 0 && std::abs(u_full - previous[b]) < truncation) {
            truncated[b] = 1;
          }
          if (truncated[b]) {
            truncated_at[i].insert(prefix[b]);
            prefix[b] |= member(i);
            ++truncated_steps;
            continue;
          }
          needed.push_back(prefix[b] | member(i));
        }
        if (needed.empty()) continue;
        if (over_cap()) {
          finished = true;
          out.notes.push_back("stopped at max_evaluations (" + std::to_string(evaluator.evaluations()) +
                              ") after " + std::to_string(samples) + " permutations");
          break;
        }
        // The cap is hard: a walk whose next coalition would pass it ends here, and so does the
        // estimator after this step.
        std::vector<char> ended(count, 0);
        if (options.max_evaluations > 0) {
          const std::size_t room = options.max_evaluations - evaluator.evaluations();
          std::unordered_set<Coalition, CoalitionHash> fresh;
          needed.clear();
          for (std::size_t b = 0; b < count; ++b) {
            if (truncated[b]) continue;
            const Coalition c = prefix[b] | member(rows[c0 + b][k]);
            if (!memo.contains(c) && !fresh.contains(c)) {
              if (fresh.size() == room) {
                ended[b] = 1;
                finished = true;
                continue;
              }
              fresh.insert(c);
            }
            needed.push_back(c);
          }
        }
        FLYWHEEL_TRY(evaluator.evaluate(needed));
        for (std::size_t b = 0; b < count; ++b) {
          if (truncated[b] || ended[b]) continue;
          prefix[b] |= member(rows[c0 + b][k]);
          previous[b] = evaluator.at(prefix[b]);
          memo.emplace(prefix[b], previous[b]);
        }
        if (finished) {
          out.notes.push_back("stopped at max_evaluations (" + std::to_string(evaluator.evaluations()) +
                              ") after " + std::to_string(samples) + " permutations");
          break;
        }
      }
      if (finished) break;
      const bool batch_end = c0 + count == rows.size();
      if (batch_end || (options.target_std_error > 0 && samples >= settings.min_samples)) estimate_now();
      if (!batch_end && options.target_std_error > 0 && samples >= settings.min_samples &&
          *std::max_element(errors.begin(), errors.end()) <= options.target_std_error) {
        out.notes.push_back(format("stopped: every standard error <= %g", options.target_std_error) +
                            " after " + std::to_string(samples) + " permutations");
        finished = true;
      }
    }
    if (finished) break;
    finished = stop.done(samples, evaluator.evaluations(), values, errors, out.notes);
  }
  estimate_now();
  out.values = values;
  out.std_errors = errors;
  out.samples = samples;
  if (!cv.empty()) {
    out.notes.push_back("control variate: the caller's game over 2^" + std::to_string(n) +
                        " coalitions, its Shapley values exact; within-round truncation off");
  }
  if (truncated_steps > 0) {
    out.notes.push_back(format("within-round truncation (|U(N) - U(prefix)| < %g) skipped %.0f of ",
                               settings.truncation, static_cast<double>(truncated_steps)) +
                        std::to_string(samples * n) + " permutation steps");
  }
  fill_common(out, Method::gtg, n, evaluator, options);
  return out;
}

// Data Banzhaf by maximum sample reuse: every sampled coalition (each participant in with
// probability 1/2) informs every participant's "with" or "without" mean.
Result<Estimate> run_banzhaf(std::size_t n, Evaluator& evaluator, const Settings& settings,
                             const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  Xoshiro256 rng(internal::derive_stream(options.seed, static_cast<std::uint64_t>(Method::banzhaf)));
  RunningStats with(n), without(n);
  StopRule stop(settings, options, "coalitions");
  Estimate out;
  std::size_t samples = 0;
  const std::size_t batch_size = std::max<std::size_t>(32, n);
  std::vector<double> values(n), errors(n);
  for (;;) {
    const std::size_t batch = std::min(batch_size, settings.max_samples - samples);
    std::vector<Coalition> drawn(batch);
    // Each bit of a uniform word is a fair coin. Above 64 participants a second word supplies
    // members 64..127; up to 64 one word per coalition keeps the stream of smaller rounds unchanged.
    for (auto& s : drawn) {
      s = rng.next();
      if (n > 64) s |= Coalition{rng.next()} << 64;
      s &= full;
    }
    FLYWHEEL_TRY(evaluator.evaluate(drawn));
    for (Coalition s : drawn) {
      const double v = evaluator.at(s);
      for (std::size_t i = 0; i < n; ++i) ((s & member(i)) ? with : without).add(i, v);
    }
    samples += batch;
    for (std::size_t i = 0; i < n; ++i) {
      if (with.count(i) == 0 || without.count(i) == 0) {
        values[i] = 0;
        errors[i] = kInf;
        continue;
      }
      values[i] = with.mean(i) - without.mean(i);
      errors[i] = std::sqrt(with.variance(i) / static_cast<double>(with.count(i)) +
                            without.variance(i) / static_cast<double>(without.count(i)));
    }
    if (stop.done(samples, evaluator.evaluations(), values, errors, out.notes)) break;
  }
  out.values = values;
  out.std_errors = errors;
  out.samples = samples;
  fill_common(out, Method::banzhaf, n, evaluator, options);
  return out;
}


// ---- stratified: exact border strata, balanced stratified sampling, mixture surrogate -----------

// Every coalition of size 1 and of size n − 1, then (with `pairs`) of size 2, in a fixed order.
std::vector<Coalition> border_coalitions(std::size_t n, bool pairs) {
  const Coalition full = full_mask(n);
  std::vector<Coalition> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(member(i));
  for (std::size_t i = 0; i < n; ++i) out.push_back(full & ~member(i));
  if (pairs) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) out.push_back(member(i) | member(j));
    }
  }
  return out;
}

// Whether the border adds every pair: when the 2n + 2 + C(n, 2) border coalitions take at most
// half of the evaluation cap, or (no cap) n ≤ kMaxSurrogateParticipants.
bool border_pairs(std::size_t n, const EstimatorOptions& options) {
  if (n < 4) return false;  // size 2 is then already a border size (n − 1 or n − 2 ≤ 2)
  const std::size_t cost = 2 * n + 2 + n * (n - 1) / 2;
  if (options.max_evaluations > 0) return 2 * cost <= options.max_evaluations;
  return n <= kMaxSurrogateParticipants;
}

// One sweep of samples over the sizes not enumerated: for each middle size s, with
// t = min(s, n − s), ⌈n/t⌉ independent uniform random t-subsets (the first t of a fresh uniform
// permutation); the coalitions are the subsets (s = t) or their complements (s > t), so a sweep
// holds about as many participants per size as there are participants. Independent draws, not the
// blocks of one permutation: blocks of a partition make a size's "with i" and "without i" means
// negatively correlated (their sum is fixed for an additive game), which inflates the variance of
// their difference beyond the standard error below (measured: 90 % instead of 95 % of estimates
// within two standard errors on the real n = 10 rounds; independent draws 93–95 %). The sweep
// interleaves the sizes draw by draw, so a sweep cut short by the evaluation cap still spreads over
// every size.
std::vector<Coalition> stratified_sweep(std::size_t n, const std::vector<char>& enumerated,
                                        const std::vector<std::size_t>& draws, Xoshiro256& rng) {
  const Coalition full = full_mask(n);
  std::vector<std::vector<Coalition>> by_size;
  for (std::size_t size = 1; size < n; ++size) {
    if (enumerated[size]) continue;
    const std::size_t t = std::min(size, n - size);
    std::vector<std::size_t> pi(n);
    std::iota(pi.begin(), pi.end(), std::size_t{0});
    std::vector<Coalition> blocks;
    for (std::size_t b = 0; b < draws[size]; ++b) {
      rng.shuffle(std::span(pi));  // independent draws: see the comment above
      Coalition block = 0;
      for (std::size_t j = 0; j < t; ++j) block |= member(pi[j]);
      blocks.push_back(size == t ? block : full & ~block);
    }
    by_size.push_back(std::move(blocks));
  }
  std::vector<Coalition> sweep;
  for (std::size_t b = 0;; ++b) {
    bool any = false;
    for (const auto& blocks : by_size) {
      if (b < blocks.size()) {
        sweep.push_back(blocks[b]);
        any = true;
      }
    }
    if (!any) break;
  }
  return sweep;
}

// Draws per size of the first sweep: ⌈n / min(s, n − s)⌉, about n participants per size.
std::vector<std::size_t> first_sweep_draws(std::size_t n, const std::vector<char>& enumerated) {
  std::vector<std::size_t> draws(n + 1, 0);
  for (std::size_t size = 1; size < n; ++size) {
    const std::size_t t = std::min(size, n - size);
    if (!enumerated[size]) draws[size] = (n + t - 1) / t;
  }
  return draws;
}

// Draws per size of the later sweeps (Neyman allocation): size s contributes about
// v_s n² / (d_s s (n − s)) to every participant's variance (d_s draws, each a "with" sample for s/n
// of the participants and a "without" sample for the rest), and a draw costs about
// min(s, n − s) + 10 passes over a validation-sized matrix on the FedAvg fast path; minimising the
// sum for a fixed cost gives d_s ∝ √(v_s / (s (n − s) (min(s, n − s) + 10))). `total` draws in all,
// at least one per size. Falls back to the first sweep's draws while a size lacks a variance.
std::vector<std::size_t> neyman_draws(std::size_t n, const std::vector<char>& enumerated,
                                      const std::vector<double>& variance, std::size_t total) {
  std::vector<double> weight(n + 1, 0.0);
  double sum = 0;
  for (std::size_t size = 1; size < n; ++size) {
    if (enumerated[size]) continue;
    if (!std::isfinite(variance[size])) return first_sweep_draws(n, enumerated);
    const double t = static_cast<double>(std::min(size, n - size));
    weight[size] = std::sqrt(variance[size] /
                             (static_cast<double>(size) * static_cast<double>(n - size) * (t + 10.0)));
    sum += weight[size];
  }
  std::vector<std::size_t> draws(n + 1, 0);
  for (std::size_t size = 1; size < n; ++size) {
    if (enumerated[size]) continue;
    const double share = sum > 0 ? weight[size] / sum : 0.0;
    draws[size] = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(share * static_cast<double>(total))));
  }
  return draws;
}

// Solves A x = b (P×P, row-major, symmetric positive definite after the ridge) by Gaussian
// elimination with partial pivoting; deterministic.
std::vector<double> solve_linear(std::vector<double> a, std::vector<double> b, std::size_t p) {
  for (std::size_t c = 0; c < p; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < p; ++r) {
      if (std::abs(a[r * p + c]) > std::abs(a[pivot * p + c])) pivot = r;
    }
    if (pivot != c) {
      for (std::size_t q = 0; q < p; ++q) std::swap(a[c * p + q], a[pivot * p + q]);
      std::swap(b[c], b[pivot]);
    }
    const double d = a[c * p + c];
    if (d == 0) continue;
    for (std::size_t r = c + 1; r < p; ++r) {
      const double factor = a[r * p + c] / d;
      if (factor == 0) continue;
      for (std::size_t q = c; q < p; ++q) a[r * p + q] -= factor * a[c * p + q];
      b[r] -= factor * b[c];
    }
  }
  std::vector<double> x(p, 0.0);
  for (std::size_t c = p; c-- > 0;) {
    double v = b[c];
    for (std::size_t q = c + 1; q < p; ++q) v -= a[c * p + q] * x[q];
    x[c] = a[c * p + c] != 0 ? v / a[c * p + c] : 0.0;
  }
  return x;
}

// The mixture surrogate f(S) = Σ_{i,j∈S} w_i w_j G_ij / (Σ_{i∈S} w_i)² (f(∅) = U(∅)): exact for any
// utility quadratic in the merged model w_t + Σ_{i∈S} (w_i / Σ w) Δ_i, since the mixture weights sum
// to 1. G is fitted by least squares to every evaluated non-empty coalition, with a small ridge
// toward the G that interpolates sizes 1 and 2 (G_ii = U({i}), G_ij from U({i, j})).
struct Surrogate {
  std::size_t n = 0;
  std::vector<double> w;  // weights
  std::vector<double> g;  // n×n, symmetric
  double empty = 0;

  [[nodiscard]] double operator()(Coalition s) const {
    if (s == 0) return empty;
    double q = 0, total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!coalition_contains(s, i)) continue;
      total += w[i];
      q += w[i] * w[i] * g[i * n + i];
      for (std::size_t j = i + 1; j < n; ++j) {
        if (coalition_contains(s, j)) q += 2 * w[i] * w[j] * g[i * n + j];
      }
    }
    return q / (total * total);
  }
};

Surrogate fit_surrogate(std::size_t n, const std::vector<double>& weights,
                        const std::vector<std::pair<Coalition, double>>& pool, const Evaluator& evaluator) {
  Surrogate f;
  f.n = n;
  f.w = weights;
  f.empty = evaluator.at(0);
  f.g.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) f.g[i * n + i] = evaluator.at(member(i));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double a = f.w[i] / (f.w[i] + f.w[j]), b = f.w[j] / (f.w[i] + f.w[j]);
      const double gij = (evaluator.at(member(i) | member(j)) - a * a * f.g[i * n + i] - b * b * f.g[j * n + j]) /
                         (2 * a * b);
      f.g[i * n + j] = f.g[j * n + i] = gij;
    }
  }
  constexpr double kRidge = 1e-4;
  const std::size_t p = n * (n + 1) / 2;
  std::vector<std::size_t> row(p), col(p);
  for (std::size_t i = 0, k = 0; i < n; ++i) {
    for (std::size_t j = i; j < n; ++j, ++k) {
      row[k] = i;
      col[k] = j;
    }
  }
  std::vector<double> a(p * p, 0.0), b(p, 0.0), x(p);
  std::vector<std::size_t> nonzero;
  for (const auto& [s, u] : pool) {
    if (s == 0) continue;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += coalition_contains(s, i) ? f.w[i] : 0.0;
    nonzero.clear();
    for (std::size_t k = 0; k < p; ++k) {
      if (coalition_contains(s, row[k]) && coalition_contains(s, col[k])) {
        x[k] = (row[k] == col[k] ? 1.0 : 2.0) * f.w[row[k]] * f.w[col[k]] / (total * total);
        nonzero.push_back(k);
      }
    }
    for (std::size_t k : nonzero) {
      b[k] += x[k] * u;
      for (std::size_t q : nonzero) a[k * p + q] += x[k] * x[q];
    }
  }
  for (std::size_t k = 0; k < p; ++k) {
    a[k * p + k] += kRidge;
    b[k] += kRidge * f.g[row[k] * n + col[k]];
  }
  const auto solved = solve_linear(std::move(a), std::move(b), p);
  for (std::size_t k = 0; k < p; ++k) f.g[row[k] * n + col[k]] = f.g[col[k] * n + row[k]] = solved[k];
  return f;
}

// The caller's control variate (EstimatorOptions::control_variate), checked; empty when there is
// none, the caller declines, or n > kMaxSurrogateParticipants.
Result<std::vector<double>> supplied_control_variate(std::size_t n, const EstimatorOptions& options) {
  if (!options.control_variate || n > kMaxSurrogateParticipants) return std::vector<double>{};
  auto table = options.control_variate();
  if (!table) return tl::unexpected(table.error());
  if (!table->empty() && table->size() != (std::size_t{1} << n)) {
    return fail(Errc::internal, "the control variate has " + std::to_string(table->size()) +
                                    " values, expected 2^" + std::to_string(n));
  }
  for (double v : *table) {
    if (!std::isfinite(v)) return fail(Errc::internal, "the control variate has a value that is not finite");
  }
  return table;
}

// Exact Shapley values of a game tabulated over its 2^n coalitions (index = mask).
std::vector<double> table_shapley(std::size_t n, const std::vector<double>& u) {
  const std::size_t count = std::size_t{1} << n;
  std::vector<double> weight(n);
  for (std::size_t k = 0; k < n; ++k) weight[k] = 1.0 / (static_cast<double>(n) * binomial(n - 1, k));
  std::vector<double> phi(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> by_size(n, 0.0);
    for (std::size_t s = 0; s < count; ++s) {
      if ((s >> i) & 1U) continue;
      by_size[static_cast<std::size_t>(std::popcount(s))] += u[s | (std::size_t{1} << i)] - u[s];
    }
    for (std::size_t k = 0; k < n; ++k) phi[i] += weight[k] * by_size[k];
  }
  return phi;
}

// Exact Shapley values of the surrogate over its 2^n coalitions (n ≤ kMaxSurrogateParticipants).
std::vector<double> surrogate_shapley(const Surrogate& f) {
  const std::size_t n = f.n;
  const std::size_t count = std::size_t{1} << n;
  std::vector<double> q(count, 0.0), total(count, 0.0), u(count, 0.0);
  u[0] = f.empty;
  for (std::size_t s = 1; s < count; ++s) {
    const std::size_t k = static_cast<std::size_t>(std::countr_zero(s));
    const std::size_t rest = s & (s - 1);
    double cross = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if ((rest >> j) & 1U) cross += f.w[j] * f.g[k * n + j];
    }
    q[s] = q[rest] + f.w[k] * f.w[k] * f.g[k * n + k] + 2 * f.w[k] * cross;
    total[s] = total[rest] + f.w[k];
    u[s] = q[s] / (total[s] * total[s]);
  }
  return table_shapley(n, u);
}

// The stratified estimate of the residual game r(S) = U(S) − f(S) over every evaluated coalition
// (Stratified SVARM's reuse: a coalition of size s is a "with i" sample of stratum s − 1 for each
// member i and a "without i" sample of stratum s for every other participant):
// φ_i = φ_i(f) + (1/n) Σ_{k=0}^{n−1} (mean r over evaluated S ∋ i, |S| = k + 1
//                                      − mean r over evaluated S ∌ i, |S| = k).
// Standard error: √(Σ_k v_{k+1}/m⁺ (1 − m⁺/C(n−1,k)) + v_k/m⁻ (1 − m⁻/C(n−1,k))) / n, with v_s the
// variance of r over every evaluated coalition of size s (0 for an enumerated size). A mean with no
// sample (only when the cap cut a sweep short) takes the mean of r over all evaluated coalitions of
// that size, counted as one sample; a size with none contributes 0 with an infinite error.
void stratified_values(std::size_t n, const std::vector<std::pair<Coalition, double>>& residual,
                       const std::vector<double>& base, std::vector<double>& values,
                       std::vector<double>& errors) {
  std::vector<RunningStats> with(n + 1, RunningStats(n)), without(n + 1, RunningStats(n));
  RunningStats by_size(n + 1);
  for (const auto& [s, r] : residual) {
    const std::size_t size = coalition_size(s);
    by_size.add(size, r);
    for (std::size_t i = 0; i < n; ++i) (coalition_contains(s, i) ? with : without)[size].add(i, r);
  }
  auto pooled = [&](std::size_t size) {
    const std::size_t m = by_size.count(size);
    if (m == 0) return kInf;
    if (static_cast<double>(m) >= binomial(n, size)) return 0.0;  // enumerated
    return m < 2 ? kInf : by_size.variance(size);
  };
  for (std::size_t i = 0; i < n; ++i) {
    double phi = 0, var = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double population = binomial(n - 1, k);
      for (int side = 0; side < 2; ++side) {
        const std::size_t size = side == 0 ? k + 1 : k;
        const RunningStats& stats = (side == 0 ? with : without)[size];
        const double sign = side == 0 ? 1.0 : -1.0;
        const double v = pooled(size);
        const std::size_t m = stats.count(i);
        if (m > 0) {
          phi += sign * stats.mean(i);
          const double unseen = std::max(0.0, 1.0 - static_cast<double>(m) / population);
          if (unseen > 0) var += v / static_cast<double>(m) * unseen;
        } else if (by_size.count(size) > 0) {
          phi += sign * by_size.mean(size);
          var += v;
        } else {
          var = kInf;
        }
      }
    }
    values[i] = base[i] + phi / static_cast<double>(n);
    errors[i] = std::sqrt(var) / static_cast<double>(n);
  }
}

// The stratified estimator (Method::stratified): sizes 0, 1, n − 1, n (and 2 when border_pairs)
// enumerated, then balanced sweeps (stratified_sweep) over the other sizes until a stopping rule
// holds; the estimate is stratified_values of U − f with f the fitted mixture surrogate when
// n ≤ kMaxSurrogateParticipants and every pair is enumerated, else of U itself (f = 0).
Result<Estimate> run_stratified(std::size_t n, Evaluator& evaluator, const Settings& settings,
                                const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  Xoshiro256 rng(internal::derive_stream(options.seed, static_cast<std::uint64_t>(Method::stratified)));
  StopRule stop(settings, options, "coalitions");
  Estimate out;
  const bool pairs = border_pairs(n, options);
  bool surrogate = pairs && n <= kMaxSurrogateParticipants;
  std::vector<char> enumerated(n + 1, 0);
  enumerated[0] = enumerated[1] = enumerated[n - 1] = enumerated[n] = 1;
  if (pairs) enumerated[2] = 1;
  auto border = border_coalitions(n, pairs);
  std::unordered_set<Coalition, CoalitionHash> memo{0, full};
  auto remaining = [&]() -> std::size_t {
    if (options.max_evaluations == 0) return std::numeric_limits<std::size_t>::max();
    return options.max_evaluations > memo.size() ? options.max_evaluations - memo.size() : 0;
  };
  auto evaluate_new = [&](const std::vector<Coalition>& batch) -> Result<std::size_t> {
    // The budget is taken once: memo grows inside the loop, so remaining() would count twice.
    const std::size_t budget = remaining();
    std::vector<Coalition> fresh;
    for (Coalition c : batch) {
      if (fresh.size() >= budget) break;
      if (memo.insert(c).second) fresh.push_back(c);
    }
    FLYWHEEL_TRY(evaluator.evaluate(fresh));
    return fresh.size();
  };
  if (auto added = evaluate_new(border); !added) return tl::unexpected(added.error());
  // A cap below the border's size cuts it: a size counts as enumerated only if all of it was
  // evaluated (else it is sampled like the middle sizes), and the surrogate needs every pair.
  {
    std::vector<std::size_t> evaluated_of_size(n + 1, 0);
    for (Coalition c : memo) ++evaluated_of_size[coalition_size(c)];
    const auto all_of_size = [n](std::size_t k) { return k == 2 ? n * (n - 1) / 2 : n; };
    for (std::size_t k : {std::size_t{1}, std::size_t{2}, n - 1}) {
      if (k >= 1 && k < n && enumerated[k] && evaluated_of_size[k] != all_of_size(k)) enumerated[k] = 0;
    }
    if (!enumerated[2]) surrogate = false;
  }
  std::vector<double> weights = options.weights.empty() ? std::vector<double>(n, 1.0) : options.weights;
  std::vector<double> values(n, 0.0), errors(n, kInf), base(n, 0.0);
  // A caller's control variate replaces the fitted surrogate; it is fixed before any middle
  // coalition is sampled, so it adds no bias.
  std::vector<double> supplied;
  if (surrogate) {
    auto table = supplied_control_variate(n, options);
    if (!table) return tl::unexpected(table.error());
    supplied = std::move(*table);
    if (!supplied.empty()) base = table_shapley(n, supplied);
  }
  std::size_t samples = 0;
  std::vector<double> size_variance(n + 1, kInf);
  auto refresh = [&] {
    std::vector<std::pair<Coalition, double>> pool;
    pool.reserve(memo.size());
    for (Coalition c : memo) pool.emplace_back(c, evaluator.at(c));
    std::sort(pool.begin(), pool.end());
    if (!supplied.empty()) {
      for (auto& [c, u] : pool) u -= supplied[static_cast<std::size_t>(c)];
    } else if (surrogate) {
      const Surrogate f = fit_surrogate(n, weights, pool, evaluator);
      base = surrogate_shapley(f);
      for (auto& [c, u] : pool) u -= f(c);
    }
    stratified_values(n, pool, base, values, errors);
    RunningStats by_size(n + 1);
    for (const auto& [c, r] : pool) by_size.add(coalition_size(c), r);
    for (std::size_t size = 0; size <= n; ++size) size_variance[size] = by_size.variance(size);
  };
  const std::vector<std::size_t> first_draws = first_sweep_draws(n, enumerated);
  std::size_t later_total = 0;
  for (std::size_t d : first_draws) later_total += d;
  later_total = std::max<std::size_t>(1, later_total / 2);
  std::size_t sweeps = 0;
  bool middle = false;
  for (std::size_t size = 2; size + 1 < n; ++size) middle = middle || !enumerated[size];
  if (!middle) {
    out.notes.push_back("every coalition size enumerated: exact");
  }
  while (middle) {
    if (remaining() == 0) {
      out.notes.push_back("stopped at max_evaluations (" + std::to_string(memo.size()) + ") after " +
                          std::to_string(samples) + " coalitions");
      break;
    }
    // The first sweep: about n participants per size. Later ones: the same without the surrogate
    // (n ≤ 16: the residual variances of a few dozen coalitions are too noisy to allocate on; on
    // the real n = 10 rounds Neyman allocation made the worst error 0.0051 instead of 0.0048);
    // above 16 participants half as many draws in all, allocated by neyman_draws on the variances
    // seen so far (n = 50 real round: 718 instead of 1,302 evaluations for standard errors ≤ 0.002).
    const auto draws = sweeps == 0 || surrogate ? first_draws
                                                : neyman_draws(n, enumerated, size_variance, later_total);
    ++sweeps;
    auto sweep = stratified_sweep(n, enumerated, draws, rng);
    if (sweep.size() > settings.max_samples - samples) sweep.resize(settings.max_samples - samples);
    auto added = evaluate_new(sweep);
    if (!added) return tl::unexpected(added.error());
    samples += sweep.size();
    if (n < 64 && memo.size() == (std::size_t{1} << n)) {
      out.notes.push_back("every coalition evaluated after " + std::to_string(samples) + " coalitions: exact");
      break;
    }
    refresh();
    if (samples >= settings.max_samples || stop.done(samples, memo.size(), values, errors, out.notes)) break;
  }
  refresh();
  out.values = values;
  out.std_errors = errors;
  out.samples = samples;
  if (!supplied.empty()) {
    out.notes.push_back("control variate: the caller's game over 2^" + std::to_string(n) +
                        " coalitions, its Shapley values exact");
  } else if (surrogate) {
    out.notes.push_back("control variate: mixture surrogate fitted to " + std::to_string(memo.size() - 1) +
                        " coalitions, its Shapley values exact over 2^" + std::to_string(n));
  }
  fill_common(out, Method::stratified, n, evaluator, options);
  return out;
}

}  // namespace

std::string_view method_name(Method method) {
  switch (method) {
    case Method::exact: return "exact";
    case Method::tmc: return "tmc";
    case Method::gtg: return "gtg";
    case Method::loo: return "loo";
    case Method::banzhaf: return "banzhaf";
    case Method::stratified: return "stratified";
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
    return fail(Errc::invalid_argument, std::string(method_name(method)) +
                                            " attribution needs at least one participant");
  }
  if (n > kMaxParticipants) {
    return fail(Errc::invalid_argument,
                std::to_string(n) + " participants exceeds the limit of " +
                    std::to_string(kMaxParticipants) +
                    " per round (coalitions are 128-bit masks); sample fewer participants per round");
  }
  if (method == Method::exact && n > kMaxExactParticipants) {
    return fail(Errc::invalid_argument,
                "exact Shapley costs 2^n utility evaluations; n = " + std::to_string(n) +
                    " exceeds the limit of " + std::to_string(kMaxExactParticipants) +
                    " participants per round; use stratified, gtg, tmc or banzhaf instead");
  }
  auto settings = resolve(method, n, options);
  if (!settings) return tl::unexpected(settings.error());
  if (!options.weights.empty()) {
    if (options.weights.size() != n) {
      return fail(Errc::invalid_argument, "weights has " + std::to_string(options.weights.size()) +
                                              " entries for " + std::to_string(n) + " participants");
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

Result<Estimate> estimate(Method method, std::size_t n, const Utility& utility,
                          const EstimatorOptions& options) {
  const CheckedUtility checked = [&utility](Coalition s) -> Result<double> { return utility(s); };
  return estimate_checked(method, n, checked, options);
}

std::uint64_t round_seed(ByteView inputs) {
  const Hash32 h = keccak256(as_bytes("flywheel.attribution.seed"), inputs);
  std::uint64_t seed = 0;
  for (std::size_t i = 0; i < 8; ++i) seed = (seed << 8) | h.bytes[i];
  return seed;
}

std::uint64_t round_seed(std::uint64_t round, const Hash32& start_model_hash,
                         std::span<const Address> participants) {
  Bytes inputs;
  inputs.reserve(8 + 32 + 20 * participants.size());
  for (int shift = 56; shift >= 0; shift -= 8) inputs.push_back(static_cast<std::uint8_t>(round >> shift));
  inputs.insert(inputs.end(), start_model_hash.bytes.begin(), start_model_hash.bytes.end());
  for (const auto& a : participants) inputs.insert(inputs.end(), a.bytes.begin(), a.bytes.end());
  return round_seed(inputs);
}

}  // namespace flywheel::attribution
