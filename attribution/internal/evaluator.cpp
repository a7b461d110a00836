// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/internal/evaluator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace flywheel::attribution::internal {

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
    : utility_(&utility), threads_(threads), pool_(threads, ThreadPool::Caller::helps) {}

Evaluator::Evaluator(const BatchUtility& utility, std::size_t threads)
    : batch_(&utility), threads_(threads), pool_(threads, ThreadPool::Caller::helps) {}

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
        values = fail(Errc::internal, "the batch utility returned " + std::to_string(values->size()) + " values for " +
                                          std::to_string(chunk.size()) + " coalitions");
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
      return tl::unexpected(with_context(results[k].error(), "evaluating coalition 0x" + coalition_hex(missing[k])));
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
