// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A fixed set of worker threads that run index-parallel loops. Workers live as long as the pool,
//! so per-thread state (the torch model buffers in torch_model.cpp) is built once per worker.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace flywheel::fedtrain::internal {

class ThreadPool {
 public:
  //! Starts `workers` threads (at least one).
  explicit ThreadPool(std::size_t workers) {
    if (workers == 0) workers = 1;
    threads_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }

  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  [[nodiscard]] std::size_t size() const { return threads_.size(); }

  //! Runs task(i) for every i in [0, count) on the workers, in no particular order, and returns
  //! when all have finished. The task must not throw. One run at a time (not reentrant).
  void run(std::size_t count, const std::function<void(std::size_t)>& task) {
    std::unique_lock lock(mutex_);
    task_ = &task;
    count_ = count;
    next_ = 0;
    unfinished_ = count;
    ++generation_;
    wake_.notify_all();
    done_.wait(lock, [this] { return unfinished_ == 0; });
    task_ = nullptr;
  }

 private:
  void work() {
    std::size_t seen = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && next_ < count_); });
      if (stopping_) return;
      const std::size_t index = next_++;
      if (next_ >= count_) seen = generation_;
      const auto* task = task_;
      lock.unlock();
      (*task)(index);
      lock.lock();
      if (--unfinished_ == 0) done_.notify_all();
    }
  }

  std::vector<std::thread> threads_;
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

}  // namespace flywheel::fedtrain::internal
