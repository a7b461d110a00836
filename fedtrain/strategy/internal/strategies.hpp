// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The built-in strategies' factories (one .cpp each family) and the checks they share.

#include <memory>
#include <span>

#include "common/result.hpp"
#include "fedtrain/strategy/strategy.hpp"

namespace flywheel::fedtrain::internal {

//! Errc::invalid_argument unless `updates` is non-empty and every delta has global.size() floats.
Result<void> check_updates(std::span<const float> global, std::span<const ClientUpdate> updates);

//! Errc::config naming strategy.<field> unless lo <= value < hi (or <= hi when `closed`).
Result<void> check_range(const char* field, double value, double lo, double hi, bool closed);

// strategy.cpp
Result<std::unique_ptr<Strategy>> make_fedavg(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_fedprox(const StrategyConfig& config);
// strategy_fedopt.cpp
Result<std::unique_ptr<Strategy>> make_fedavgm(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_fedadagrad(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_fedadam(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_fedyogi(const StrategyConfig& config);
// strategy_robust.cpp
Result<std::unique_ptr<Strategy>> make_fedmedian(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_fedtrimmedavg(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_krum(const StrategyConfig& config);
Result<std::unique_ptr<Strategy>> make_multikrum(const StrategyConfig& config);

}  // namespace flywheel::fedtrain::internal
