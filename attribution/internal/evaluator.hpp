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

namespace flywheel::attribution::internal {

//! A fixed set of worker threads running index-parallel loops; the calling thread helps. With one
//! thread, tasks run inline on the caller.
class ThreadPool {
 public:
  //! `threads` ≥ 1 threads take part in each run (the caller plus threads − 1 workers).
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  //! Runs task(i) for every i in [0, count) and returns when all have finished. `task` must not
  //! throw. Not reentrant.
  void run(std::size_t count, const std::function<void(std::size_t)>& task);

 private:
  void work();
  void drain(const std::function<void(std::size_t)>& task, std::size_t count);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t count_ = 0;
  std::size_t next_ = 0;
  std::size_t active_ = 0;
  std::size_t generation_ = 0;
  bool stopping_ = false;
};

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
