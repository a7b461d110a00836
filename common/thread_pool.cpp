// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/thread_pool.hpp"

namespace flywheel {

ThreadPool::ThreadPool(std::size_t threads, Caller caller) : threads_(threads == 0 ? 1 : threads), caller_(caller) {
  const std::size_t workers = caller_ == Caller::helps ? threads_ - 1 : threads_;
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run(std::size_t count, const std::function<void(std::size_t)>& task) {
  if (count == 0) return;
  if (caller_ == Caller::helps && (workers_.empty() || count == 1)) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::unique_lock lock(mutex_);
  task_ = &task;
  count_ = count;
  next_ = 0;
  unfinished_ = count;
  ++generation_;
  wake_.notify_all();
  if (caller_ == Caller::helps) {
    while (next_ < count_) {
      const std::size_t index = next_++;
      lock.unlock();
      task(index);
      lock.lock();
      --unfinished_;
    }
  }
  // Every index counts down `unfinished_` once its task has returned, whoever ran it.
  done_.wait(lock, [this] { return unfinished_ == 0; });
  task_ = nullptr;
}

void ThreadPool::work() {
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

}  // namespace flywheel
