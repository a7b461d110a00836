// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Job configuration parsing on arbitrary text: a simulation config (fedtrain/config.hpp
// parse_simulation_config, what `flywheel simulate --config` reads) and a deployment job file
// (fedtrain/transport/protocol.hpp parse_deployment_job, what the aggregator and participants
// read); both parsers run on every input. The CLI's job-file layer (cli/job_file.hpp: --set
// overrides, then parse_job) lives in the flywheel executable, not in a library; it ends in these
// parsers. Properties of an accepted config:
//   - parsing is deterministic: the same text gives the same config_hash (it goes on-chain);
//   - every participant has a profile and a key, and the keys are distinct;
//   - the per-round client counts lie in [1, participants.count];
//   - a deployment job's min_updates lies in [1, allowlist size] and its domain is the chain's.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "fedtrain/config.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "fuzz/internal/check.hpp"

namespace {

using namespace flywheel;
using namespace flywheel::fedtrain;

void check_config(const SimulationConfig& config) {
  const std::size_t n = config.participants.count();
  FLYWHEEL_FUZZ_CHECK(n >= 1, "a job has participants");
  FLYWHEEL_FUZZ_CHECK(config.participants.keys.size() == n, "one key per participant");
  std::set<Address> addresses;
  for (const auto& key : config.participants.keys) addresses.insert(key.address());
  FLYWHEEL_FUZZ_CHECK(addresses.size() == n, "participants' keys are distinct");
  const std::size_t fit = fit_clients_per_round(config);
  FLYWHEEL_FUZZ_CHECK(fit >= 1 && fit <= n, "1 <= fit clients per round <= participants");
  FLYWHEEL_FUZZ_CHECK(evaluate_clients_per_round(config) <= n, "evaluate clients per round <= participants");
  FLYWHEEL_FUZZ_CHECK(config.job.rounds >= 1, "job.rounds >= 1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto config = parse_simulation_config(text)) {
    check_config(*config);
    auto again = parse_simulation_config(text);
    FLYWHEEL_FUZZ_CHECK(again && config_hash(*again) == config_hash(*config), "parsing is deterministic");
  }
  if (auto job = parse_deployment_job(text)) {
    check_config(job->config);
    const auto& d = job->deployment;
    FLYWHEEL_FUZZ_CHECK(!d.allowlist.empty(), "a deployment has an allowlist");
    FLYWHEEL_FUZZ_CHECK(d.min_updates >= 1 && d.min_updates <= d.allowlist.size(), "1 <= min_updates <= allowlist");
    FLYWHEEL_FUZZ_CHECK(d.chunk_bytes >= 1024 && d.chunk_bytes <= (std::size_t{64} << 20), "chunk_bytes in range");
    FLYWHEEL_FUZZ_CHECK(job->config.receipt_domain == d.domain(), "receipts are signed under the job's domain");
    auto again = parse_deployment_job(text);
    FLYWHEEL_FUZZ_CHECK(again && config_hash(again->config) == config_hash(job->config), "parsing is deterministic");
  }
  return 0;
}
