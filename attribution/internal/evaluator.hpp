// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The memoising, parallel coalition evaluator every estimator shares: a thread-safe cache of
//! U(S) and a small pool of std::threads that evaluates a batch of coalitions at once. Estimators
//! ask for whole batches whose membership depends only on the seed and on utilities already known,
//! so what gets evaluated (and every value computed) is independent of the number of threads.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "attribution/estimator.hpp"
#include "common/thread_pool.hpp"

namespace flywheel::attribution::internal {

//! Thread-safe memo of U(S).
class CoalitionCache {
 public:
  //! The cached utility of `coalition`, or nullptr when it has not been evaluated.
  [[nodiscard]] const double* find(Coalition coalition) const;
  //! Stores U(coalition); the first stored value wins.
  void insert(Coalition coalition, double utility);
  //! Number of distinct coalitions cached.
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<Coalition, double, CoalitionHash> values_;
};

//! Evaluates coalitions through a CheckedUtility, at most once each, in parallel batches.
class Evaluator {
 public:
  Evaluator(const CheckedUtility& utility, std::size_t threads);
  //! Evaluates through a batch utility: each evaluate() call's missing coalitions are split into
  //! one contiguous chunk per thread (at most kMaxChunk each), one utility call per chunk.
  Evaluator(const BatchUtility& utility, std::size_t threads);

  //! Largest chunk handed to a batch utility in one call.
  static constexpr std::size_t kMaxChunk = 256;

  //! Evaluates every coalition of `batch` not cached yet (duplicates allowed), in parallel.
  //! On failure returns the error of the first failing coalition in batch order (deterministic);
  //! an exception thrown by the utility becomes Errc::internal.
  Result<void> evaluate(std::span<const Coalition> batch);

  //! U(S) of a coalition already evaluated (aborts otherwise: a bug in the estimator).
  [[nodiscard]] double at(Coalition coalition) const;

  //! Distinct coalitions evaluated so far.
  [[nodiscard]] std::size_t evaluations() const { return cache_.size(); }

 private:
  const CheckedUtility* utility_ = nullptr;
  const BatchUtility* batch_ = nullptr;
  std::size_t threads_ = 1;
  CoalitionCache cache_;
  ThreadPool pool_;
};

//! Number of threads to use for options.threads (0 = hardware concurrency, at least 1).
std::size_t resolve_threads(std::size_t requested);

}  // namespace flywheel::attribution::internal
