// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/thread_pool.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace flywheel {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnceInBothModesAndAcrossRuns) {
  for (auto caller : {ThreadPool::Caller::helps, ThreadPool::Caller::waits}) {
    for (std::size_t threads : {1U, 2U, 3U, 8U}) {
      ThreadPool pool(threads, caller);
      for (std::size_t count : {0U, 1U, 2U, 7U, 100U, 1000U}) {
        std::vector<std::atomic<int>> hits(count);
        pool.run(count, [&](std::size_t i) { hits[i].fetch_add(1); });
        for (std::size_t i = 0; i < count; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << "index " << i << " of " << count << ", " << threads << " threads";
        }
      }
    }
  }
}

TEST(ThreadPool, AWaitingCallerRunsNoTaskAndTheWorkersAreTheSameEveryRun) {
  ThreadPool pool(3, ThreadPool::Caller::waits);
  EXPECT_EQ(pool.size(), 3U);
  std::mutex mutex;
  std::set<std::thread::id> first;
  std::set<std::thread::id> later;
  pool.run(300, [&](std::size_t) {
    std::lock_guard lock(mutex);
    first.insert(std::this_thread::get_id());
  });
  for (int r = 0; r < 20; ++r) {
    pool.run(50, [&](std::size_t) {
      std::lock_guard lock(mutex);
      later.insert(std::this_thread::get_id());
    });
  }
  EXPECT_EQ(first.count(std::this_thread::get_id()), 0U);
  EXPECT_EQ(later.count(std::this_thread::get_id()), 0U);
  std::set<std::thread::id> all = first;
  all.insert(later.begin(), later.end());
  EXPECT_LE(all.size(), 3U);
}

TEST(ThreadPool, AHelpingCallerWithOneThreadRunsEveryTaskInline) {
  ThreadPool pool(1, ThreadPool::Caller::helps);
  std::vector<std::thread::id> ran(10);
  pool.run(10, [&](std::size_t i) { ran[i] = std::this_thread::get_id(); });
  for (const auto& id : ran) EXPECT_EQ(id, std::this_thread::get_id());
}

}  // namespace
}  // namespace flywheel
