// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// GTG-Shapley (Z. Liu, Y. Chen, H. Yu, Y. Liu & L. Cui, "GTG-Shapley: Efficient and accurate
// participant contribution evaluation in federated learning", ACM TIST 2022): guided permutations
// with within-round truncation (between-round truncation is estimator.cpp's, before any
// estimator runs), here drawn as position-stratified (Latin-square) antithetic batches, with a
// stratified estimate reusing every memoised coalition: Method::gtg of estimate()
// (attribution/estimator.hpp).
#include "attribution/internal/estimators.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "attribution/internal/control_variate.hpp"
#include "attribution/internal/random.hpp"
#include "attribution/internal/sampling.hpp"
#include "attribution/internal/strata.hpp"

namespace flywheel::attribution::internal {
namespace {

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
  RunningStats pooled(n);                                // every pair of participant i
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

}  // namespace

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
  auto over_cap = [&] { return options.max_evaluations > 0 && evaluator.evaluations() >= options.max_evaluations; };
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
          out.notes.push_back("stopped at max_evaluations (" + std::to_string(evaluator.evaluations()) + ") after " +
                              std::to_string(samples) + " permutations");
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
          out.notes.push_back("stopped at max_evaluations (" + std::to_string(evaluator.evaluations()) + ") after " +
                              std::to_string(samples) + " permutations");
          break;
        }
      }
      if (finished) break;
      const bool batch_end = c0 + count == rows.size();
      if (batch_end || (options.target_std_error > 0 && samples >= settings.min_samples)) estimate_now();
      if (!batch_end && options.target_std_error > 0 && samples >= settings.min_samples &&
          *std::max_element(errors.begin(), errors.end()) <= options.target_std_error) {
        out.notes.push_back(format("stopped: every standard error <= %g", options.target_std_error) + " after " +
                            std::to_string(samples) + " permutations");
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

}  // namespace flywheel::attribution::internal
