// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A fixed set of worker threads that run index-parallel loops: the one thread pool of every
//! module.
//!
//!   ThreadPool pool(4, ThreadPool::Caller::helps);   // the caller and 3 workers
//!   pool.run(items.size(), [&](std::size_t i) { out[i] = f(items[i]); });
//!
//! Caller::helps: the calling thread takes tasks too (threads − 1 workers; with 1 thread every
//! task runs inline on the caller). Caller::waits: `threads` workers run every task and the caller
//! only waits, so per-thread state (a worker's libtorch model buffers) lives on the workers alone
//! and is built once per worker for the pool's lifetime.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flywheel {

class ThreadPool {
 public:
  enum class Caller { helps, waits };

  //! `threads` ≥ 1 threads run each loop (0 counts as 1), the caller among them when it helps.
  ThreadPool(std::size_t threads, Caller caller);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  //! Threads that run a loop, the helping caller included.
  [[nodiscard]] std::size_t size() const { return threads_; }

  //! Runs task(i) for every i in [0, count), in no particular order, and returns when all have
  //! finished. `task` must not throw. One run at a time: not reentrant, not to be called from two
  //! threads at once.
  void run(std::size_t count, const std::function<void(std::size_t)>& task);

 private:
  void work();

  std::size_t threads_ = 1;
  Caller caller_ = Caller::helps;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t count_ = 0;
  std::size_t next_ = 0;
  std::size_t unfinished_ = 0;
  std::size_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace flywheel
