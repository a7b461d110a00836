// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Reading one round's kept artifacts (the format in fedtrain/valuation/attribution_replay.hpp),
//! the step of recompute_attribution that turns files a job wrote into checked inputs. Declared
//! here, apart from the replay, so that fuzz/artifacts_fuzz.cpp can feed it hostile manifests
//! without a data set; everything else calls recompute_attribution.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace flywheel::fedtrain::internal {

//! One round's artifacts after every check of load_round passed.
struct RoundInputs {
  std::vector<Address> addresses;           //!< the round's participants, in the manifest's order
  std::vector<std::uint64_t> samples;       //!< per participant, as its signed receipt says
  std::vector<float> start;                 //!< w_t
  std::vector<float> server_state;          //!< empty when the strategy keeps none
  std::vector<std::vector<float>> updates;  //!< Δ_i, parallel to addresses
  std::vector<Hash32> receipt_digests;      //!< EIP-712 digests of the receipts, parallel to addresses
};

//! Loads run_dir/artifacts/round-NNNNNN/ for `round`, checking it against the manifest,
//! attribution.json's round record `recorded` (its "participants"), the start model hash the job's
//! model chain expects, and `parameters` floats per model and update. Errors as
//! recompute_attribution's for one round: Errc::io for a missing file, Errc::data for a malformed
//! manifest, a hash or size mismatch, or a receipt that does not back its update.
Result<RoundInputs> load_round(const std::filesystem::path& run_dir, std::uint64_t round,
                               const nlohmann::ordered_json& recorded, const Hash32& expected_start,
                               std::size_t parameters);

}  // namespace flywheel::fedtrain::internal
