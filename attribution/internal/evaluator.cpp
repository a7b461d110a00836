// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/internal/evaluator.hpp"

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <exception>
#include <string>

namespace flywheel::attribution::internal {

ThreadPool::ThreadPool(std::size_t threads) {
  const std::size_t workers = threads > 1 ? threads - 1 : 0;
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

void ThreadPool::drain(const std::function<void(std::size_t)>& task, std::size_t count) {
  std::unique_lock lock(mutex_);
  while (next_ < count) {
    const std::size_t index = next_++;
    lock.unlock();
    task(index);
    lock.lock();
  }
}

void ThreadPool::run(std::size_t count, const std::function<void(std::size_t)>& task) {
  if (count == 0) return;
  if (workers_.empty() || count == 1) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    task_ = &task;
    count_ = count;
    next_ = 0;
    ++generation_;
  }
  wake_.notify_all();
  drain(task, count);
  std::unique_lock lock(mutex_);
  // Workers that picked up this generation hold `active_`; wait until they have all left it.
  done_.wait(lock, [this] { return active_ == 0; });
  task_ = nullptr;
}

void ThreadPool::work() {
  std::size_t seen = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    const auto* task = task_;
    const std::size_t count = count_;
    ++active_;
    while (next_ < count) {
      const std::size_t index = next_++;
      lock.unlock();
      (*task)(index);
      lock.lock();
    }
    if (--active_ == 0) done_.notify_all();
  }
}

const double* CoalitionCache::find(Coalition coalition) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find(coalition);
  // unordered_map never moves its nodes on insert, so the pointer stays valid.
  return it == values_.end() ? nullptr : &it->second;
}

void CoalitionCache::insert(Coalition coalition, double utility) {
  std::lock_guard lock(mutex_);
  values_.emplace(coalition, utility);
}

std::size_t CoalitionCache::size() const {
  std::lock_guard lock(mutex_);
  return values_.size();
}

Evaluator::Evaluator(const CheckedUtility& utility, std::size_t threads)
    : utility_(&utility), threads_(threads), pool_(threads) {}

Evaluator::Evaluator(const BatchUtility& utility, std::size_t threads)
    : batch_(&utility), threads_(threads), pool_(threads) {}

Result<void> Evaluator::evaluate(std::span<const Coalition> batch) {
  std::vector<Coalition> missing;
  {
    std::unordered_map<Coalition, bool, CoalitionHash> queued;
    for (Coalition s : batch) {
      if (cache_.find(s) == nullptr && queued.emplace(s, true).second) missing.push_back(s);
    }
  }
  if (missing.empty()) return {};
  std::vector<Result<double>> results(missing.size(), fail(Errc::internal, "not evaluated"));
  if (batch_ != nullptr) {
    // Contiguous chunks, the same for every run with the same thread count; each coalition's value
    // does not depend on its chunk (BatchUtility's contract), so neither do the results.
    const std::size_t per = std::min(kMaxChunk, (missing.size() + threads_ - 1) / threads_);
    const std::size_t chunks = (missing.size() + per - 1) / per;
    pool_.run(chunks, [&](std::size_t c) {
      const std::size_t begin = c * per, end = std::min(missing.size(), begin + per);
      const std::span<const Coalition> chunk(missing.data() + begin, end - begin);
      Result<std::vector<double>> values = fail(Errc::internal, "not evaluated");
      try {
        values = (*batch_)(chunk);
      } catch (const std::exception& e) {
        values = fail(Errc::internal, std::string("the utility threw: ") + e.what());
      } catch (...) {
        values = fail(Errc::internal, "the utility threw a non-standard exception");
      }
      if (values && values->size() != chunk.size()) {
        values = fail(Errc::internal, "the batch utility returned " + std::to_string(values->size()) +
                                          " values for " + std::to_string(chunk.size()) + " coalitions");
      }
      for (std::size_t k = begin; k < end; ++k) {
        results[k] = values ? Result<double>((*values)[k - begin]) : Result<double>(tl::unexpected(values.error()));
      }
    });
  } else {
  pool_.run(missing.size(), [&](std::size_t k) {
    try {
      results[k] = (*utility_)(missing[k]);
    } catch (const std::exception& e) {
      results[k] = fail(Errc::internal, std::string("the utility threw: ") + e.what());
    } catch (...) {
      results[k] = fail(Errc::internal, "the utility threw a non-standard exception");
    }
  });
  }
  for (std::size_t k = 0; k < missing.size(); ++k) {
    if (!results[k]) {
      return tl::unexpected(with_context(results[k].error(),
                                         "evaluating coalition 0x" + coalition_hex(missing[k])));
    }
    cache_.insert(missing[k], *results[k]);
  }
  return {};
}

double Evaluator::at(Coalition coalition) const {
  const double* value = cache_.find(coalition);
  if (value == nullptr) std::abort();
  return *value;
}

std::size_t resolve_threads(std::size_t requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

}  // namespace flywheel::attribution::internal
