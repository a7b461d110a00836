// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/config.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "common/keccak.hpp"
#include "fedtrain/internal/test_paths.hpp"

namespace flywheel::fedtrain {
namespace {

// Expects `json` to be rejected with Errc::config and a message that names `field`.
void expect_config_error(const std::string& json, const std::string& field) {
  auto config = parse_simulation_config(json);
  ASSERT_FALSE(config) << json;
  EXPECT_EQ(config.error().code, Errc::config) << config.error().to_string();
  EXPECT_NE(config.error().message.find(field), std::string::npos)
      << "message \"" << config.error().message << "\" does not name " << field;
}

TEST(SimulationConfig, EmptyObjectGivesTheDocumentedDefaults) {
  auto config = parse_simulation_config("{}");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->job.name, "quickstart");
  EXPECT_EQ(config->job.seed, 42U);
  EXPECT_EQ(config->job.rounds, 5U);
  EXPECT_EQ(config->data.root, std::filesystem::path("/usr/share/datasets/fashion-mnist"));
  EXPECT_EQ(config->data.partition, PartitionKind::dirichlet);
  EXPECT_EQ(config->data.alpha, 0.5);
  EXPECT_EQ(config->data.validation_size, 5000U);
  EXPECT_EQ(config->data.train_limit, 0U);
  EXPECT_EQ(config->model, ModelConfig{});
  EXPECT_EQ(config->model.hidden, (std::vector<std::size_t>{200, 200}));
  EXPECT_EQ(config->training.local_epochs, 1U);
  EXPECT_EQ(config->training.batch_size, 32U);
  EXPECT_EQ(config->training.learning_rate, 0.05);
  EXPECT_EQ(config->strategy, StrategyConfig{});
  EXPECT_EQ(config->strategy.name, "fedavg");
  EXPECT_EQ(config->strategy.fraction_fit, 1.0);
  EXPECT_EQ(config->strategy.fraction_evaluate, 0.0);
  EXPECT_EQ(config->data.shards_per_participant, 2U);
  EXPECT_EQ(config->data.min_partition_size, 10U);
  EXPECT_EQ(config->attribution.method, "exact");
  EXPECT_EQ(config->attribution.utility, UtilityMetric::accuracy);
  EXPECT_EQ(config->total_shares, 1'000'000'000'000'000'000ULL);
  EXPECT_EQ(config->chain_json, "{}");
  ASSERT_EQ(config->participants.count(), 6U);
  EXPECT_EQ(config->participants.keys.size(), 6U);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(config->participants.profiles[i], Profile::honest);
  EXPECT_EQ(config->participants.profiles[5], Profile::shuffled_labels);
}

TEST(SimulationConfig, ReadsEveryField) {
  auto config = parse_simulation_config(R"({
    "job": {"name": "fmnist", "seed": 7, "rounds": 3},
    "data": {"root": "/data/fm", "partition": "iid", "alpha": 2, "validation_size": 500,
             "train_limit": 3000},
    "model": {"name": "mlp", "hidden": [64]},
    "training": {"local_epochs": 2, "batch_size": 16, "learning_rate": 0.1, "momentum": 0.9},
    "strategy": {"name": "fedavg"},
    "participants": {"count": 3, "profiles": {"1": "shuffled-labels"}},
    "attribution": {"method": "exact", "utility": "negative-loss"},
    "shares": {"total": "1000"},
    "chain": {"challenge_window": 3600}
  })");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->job.name, "fmnist");
  EXPECT_EQ(config->job.seed, 7U);
  EXPECT_EQ(config->job.rounds, 3U);
  EXPECT_EQ(config->data.root, std::filesystem::path("/data/fm"));
  EXPECT_EQ(config->data.partition, PartitionKind::iid);
  EXPECT_EQ(config->data.alpha, 2.0);
  EXPECT_EQ(config->data.validation_size, 500U);
  EXPECT_EQ(config->data.train_limit, 3000U);
  EXPECT_EQ(config->model.hidden, (std::vector<std::size_t>{64}));
  EXPECT_EQ(config->training.local_epochs, 2U);
  EXPECT_EQ(config->training.batch_size, 16U);
  EXPECT_EQ(config->training.learning_rate, 0.1);
  EXPECT_EQ(config->training.momentum, 0.9);
  EXPECT_EQ(config->participants.profiles,
            (std::vector<Profile>{Profile::honest, Profile::shuffled_labels, Profile::honest}));
  EXPECT_EQ(config->attribution.utility, UtilityMetric::negative_loss);
  EXPECT_EQ(config->total_shares, 1000U);
  EXPECT_EQ(config->chain_json, R"({"challenge_window":3600})");
}

TEST(SimulationConfig, DefaultProfilesBeyondTheCountAreDropped) {
  auto config = parse_simulation_config(R"({"participants": {"count": 3}})");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->participants.profiles, std::vector<Profile>(3, Profile::honest));
}

TEST(SimulationConfig, DerivedKeysFollowTheDocumentedRecipe) {
  auto config = parse_simulation_config(R"({"job": {"seed": 7}, "participants": {"count": 2}})");
  ASSERT_TRUE(config);
  const Hash32 expected = keccak256(as_bytes("flywheel/simulated-participant/7/1"));
  EXPECT_EQ(config->participants.keys[1].secret(), expected.bytes);
  EXPECT_NE(config->participants.keys[0].address(), config->participants.keys[1].address());
}

TEST(SimulationConfig, GivenPrivateKeysAreUsedInOrder) {
  const std::string k0 = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
  const std::string k1 = "0x0000000000000000000000000000000000000000000000000000000000000001";
  auto config =
      parse_simulation_config(R"({"participants": {"count": 2, "private_keys": [")" + k0 + R"(", ")" + k1 + R"("]}})");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->participants.keys[0].secret(), PrivateKey::from_hex(k0)->secret());
  EXPECT_EQ(config->participants.keys[1].secret(), PrivateKey::from_hex(k1)->secret());
}

TEST(SimulationConfig, UnknownTopLevelKeyIsRejected) { expect_config_error(R"({"trainig": {}})", "trainig"); }

TEST(SimulationConfig, UnknownNestedKeyIsRejectedWithItsPath) {
  expect_config_error(R"({"data": {"alpah": 0.1}})", "data.alpah");
}

TEST(SimulationConfig, InvalidJsonIsAConfigError) { expect_config_error(R"({"job": )", "not valid JSON"); }

TEST(SimulationConfig, NonObjectRootIsRejected) { expect_config_error("[1, 2]", "JSON object"); }

TEST(SimulationConfig, SectionThatIsNotAnObjectIsRejected) {
  expect_config_error(R"({"job": 5})", "job must be a JSON object");
}

TEST(SimulationConfig, EmptyJobNameIsRejected) { expect_config_error(R"({"job": {"name": ""}})", "job.name"); }

TEST(SimulationConfig, NegativeSeedIsRejected) { expect_config_error(R"({"job": {"seed": -1}})", "job.seed"); }

TEST(SimulationConfig, ZeroRoundsIsRejected) { expect_config_error(R"({"job": {"rounds": 0}})", "job.rounds"); }

TEST(SimulationConfig, FractionalRoundsIsRejected) { expect_config_error(R"({"job": {"rounds": 2.5}})", "job.rounds"); }

TEST(SimulationConfig, NonPositiveAlphaIsRejected) {
  expect_config_error(R"({"data": {"alpha": 0}})", "data.alpha must be > 0");
  expect_config_error(R"({"data": {"alpha": -0.5}})", "data.alpha must be > 0");
}

TEST(SimulationConfig, AlphaOfTheWrongTypeIsRejected) {
  expect_config_error(R"({"data": {"alpha": "0.5"}})", "data.alpha");
}

TEST(SimulationConfig, UnknownPartitionIsRejected) {
  expect_config_error(R"({"data": {"partition": "pathological"}})", "data.partition");
}

TEST(SimulationConfig, EveryPartitionKindIsRead) {
  for (auto kind :
       {PartitionKind::iid, PartitionKind::dirichlet, PartitionKind::shards, PartitionKind::quantity_skew}) {
    auto config = parse_simulation_config(R"({"data": {"partition": ")" + std::string(partition_name(kind)) +
                                          R"(", "shards_per_participant": 3}})");
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_EQ(config->data.partition, kind);
    EXPECT_EQ(config->data.shards_per_participant, 3U);
  }
}

TEST(SimulationConfig, ZeroShardsPerParticipantIsRejected) {
  expect_config_error(R"({"data": {"partition": "shards", "shards_per_participant": 0}})",
                      "data.shards_per_participant");
}

// Found by fuzz/job_config_fuzz.cpp: 2^62 participants threw std::length_error out of the parser.
TEST(SimulationConfig, AParticipantCountAboveTheLimitIsAConfigErrorNotAThrow) {
  expect_config_error(R"({"participants": {"count": 4611686018427387904},
                          "attribution": {"method": "gtg"}, "strategy": {"fraction_fit": 1e-30}})",
                      "participants.count");
  expect_config_error(R"({"participants": {"count": 100001}, "attribution": {"method": "gtg"},
                          "strategy": {"fraction_fit": 0.001}})",
                      "above the limit of 100000");
}

TEST(SimulationConfig, MoreParticipantsThanSamplesIsRejected) {
  expect_config_error(R"({"data": {"train_limit": 110, "validation_size": 100},
                          "participants": {"count": 11}})",
                      "participants.count");
}

TEST(SimulationConfig, ValidationSetAsLargeAsTheTrainLimitIsRejected) {
  expect_config_error(R"({"data": {"train_limit": 100, "validation_size": 100}})", "data.validation_size");
}

TEST(SimulationConfig, ZeroValidationSizeIsRejected) {
  expect_config_error(R"({"data": {"validation_size": 0}})", "data.validation_size");
}

TEST(SimulationConfig, EmptyDataRootIsRejected) { expect_config_error(R"({"data": {"root": ""}})", "data.root"); }

TEST(SimulationConfig, UnknownModelIsRejected) {
  expect_config_error(R"({"model": {"name": "resnet"}})", "model.name");
}

TEST(SimulationConfig, CnnGetsItsOwnDefaultWidths) {
  auto config = parse_simulation_config(R"({"model": {"name": "cnn"}})");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->model.name, "cnn");
  EXPECT_EQ(config->model.hidden, (std::vector<std::size_t>{120, 84}));
  auto narrow = parse_simulation_config(R"({"model": {"name": "cnn", "hidden": [32]}})");
  ASSERT_TRUE(narrow);
  EXPECT_EQ(narrow->model.hidden, (std::vector<std::size_t>{32}));
}

TEST(SimulationConfig, CnnWithoutFullyConnectedLayersIsRejected) {
  expect_config_error(R"({"model": {"name": "cnn", "hidden": []}})", "model.hidden");
}

TEST(SimulationConfig, ZeroHiddenWidthIsRejected) {
  expect_config_error(R"({"model": {"hidden": [200, 0]}})", "model.hidden[1]");
}

TEST(SimulationConfig, HiddenThatIsNotAnArrayIsRejected) {
  expect_config_error(R"({"model": {"hidden": 200}})", "model.hidden");
}

TEST(SimulationConfig, ZeroLocalEpochsIsRejected) {
  expect_config_error(R"({"training": {"local_epochs": 0}})", "training.local_epochs");
}

TEST(SimulationConfig, ZeroBatchSizeIsRejected) {
  expect_config_error(R"({"training": {"batch_size": 0}})", "training.batch_size");
}

TEST(SimulationConfig, NonPositiveLearningRateIsRejected) {
  expect_config_error(R"({"training": {"learning_rate": 0}})", "training.learning_rate");
}

TEST(SimulationConfig, MomentumOfOneIsRejected) {
  expect_config_error(R"({"training": {"momentum": 1}})", "training.momentum");
}

TEST(SimulationConfig, UnknownStrategyIsRejected) {
  expect_config_error(R"({"strategy": {"name": "fedsgd"}})", "strategy.name");
}

TEST(SimulationConfig, StrategyKeysAreReadOnTopOfThatStrategysDefaults) {
  auto config = parse_simulation_config(R"({"strategy": {"name": "fedyogi", "beta_1": 0.5,
      "fraction_fit": 0.5, "min_fit_clients": 2, "fraction_evaluate": 0.25,
      "min_evaluate_clients": 2}})");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->strategy.name, "fedyogi");
  EXPECT_EQ(config->strategy.server_learning_rate, 0.01);
  EXPECT_EQ(config->strategy.tau, 1e-3);
  EXPECT_EQ(config->strategy.beta_1, 0.5);
  EXPECT_EQ(config->strategy.beta_2, 0.99);
  EXPECT_EQ(config->strategy.fraction_fit, 0.5);
  EXPECT_EQ(config->strategy.min_fit_clients, 2U);
  EXPECT_EQ(fit_clients_per_round(*config), 3U);
  EXPECT_EQ(evaluate_clients_per_round(*config), 2U);
  auto prox = parse_simulation_config(R"({"strategy": {"name": "fedprox", "proximal_mu": 0.01}})");
  ASSERT_TRUE(prox);
  EXPECT_EQ(prox->strategy.proximal_mu, 0.01);
}

TEST(SimulationConfig, FitClientsFollowFlowersRule) {
  auto config = parse_simulation_config(R"({"participants": {"count": 10},
                                            "strategy": {"fraction_fit": 0.25, "min_fit_clients": 3}})");
  ASSERT_TRUE(config);
  EXPECT_EQ(fit_clients_per_round(*config), 3U);  // max(floor(2.5), 3)
  config->strategy.min_fit_clients = 1;
  EXPECT_EQ(fit_clients_per_round(*config), 2U);
  config->strategy.fraction_fit = 1.0;
  EXPECT_EQ(fit_clients_per_round(*config), 10U);
  EXPECT_EQ(evaluate_clients_per_round(*config), 0U);
}

TEST(SimulationConfig, FractionsOutsideTheUnitIntervalAreRejected) {
  expect_config_error(R"({"strategy": {"fraction_fit": 0}})", "strategy.fraction_fit");
  expect_config_error(R"({"strategy": {"fraction_fit": 1.5}})", "strategy.fraction_fit");
  expect_config_error(R"({"strategy": {"fraction_fit": -0.1}})", "strategy.fraction_fit");
  expect_config_error(R"({"strategy": {"fraction_evaluate": 1.01}})", "strategy.fraction_evaluate");
}

TEST(SimulationConfig, MinFitClientsAboveTheCountIsRejected) {
  expect_config_error(R"({"participants": {"count": 3}, "strategy": {"min_fit_clients": 4}})",
                      "strategy.min_fit_clients");
}

TEST(SimulationConfig, OutOfRangeStrategySettingsAreRejected) {
  expect_config_error(R"({"strategy": {"name": "fedadam", "beta_2": 1}})", "strategy.beta_2");
  expect_config_error(R"({"strategy": {"name": "fedtrimmedavg", "trim_beta": 0.5}})", "strategy.trim_beta");
  expect_config_error(R"({"strategy": {"name": "fedprox", "proximal_mu": -1}})", "strategy.proximal_mu");
  expect_config_error(R"({"strategy": {"server_typo": 1}})", "strategy.server_typo");
}

TEST(SimulationConfig, SamplingLetsAJobHaveMoreParticipantsThanExactShapleyPerRound) {
  auto config = parse_simulation_config(R"({"participants": {"count": 40},
                                            "strategy": {"fraction_fit": 0.25}})");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(fit_clients_per_round(*config), 10U);
  expect_config_error(R"({"participants": {"count": 40}, "strategy": {"fraction_fit": 0.5}})", "strategy.fraction_fit");
}

TEST(SimulationConfig, SamplingMethodsAcceptAHundredParticipantsPerRound) {
  auto config = parse_simulation_config(R"({"participants": {"count": 1000},
                                            "strategy": {"fraction_fit": 0.1},
                                            "attribution": {"method": "loo"}})");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(fit_clients_per_round(*config), 100U);
}

TEST(SimulationConfig, MoreThanOneHundredTwentyEightParticipantsPerRoundAreRefused) {
  auto config = parse_simulation_config(R"({"participants": {"count": 1290},
                                            "strategy": {"fraction_fit": 0.1},
                                            "attribution": {"method": "gtg"}})");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Errc::config);
  const std::string& message = config.error().message;
  EXPECT_NE(message.find("puts 129 participants in a round, more than 128"), std::string::npos) << message;
  EXPECT_NE(message.find("128-bit masks"), std::string::npos) << message;
  EXPECT_NE(message.find("strategy.fraction_fit"), std::string::npos) << message;
}

TEST(SimulationConfig, ConfigHashIgnoresRoundsAndChainButNotTraining) {
  auto a = parse_simulation_config(R"({"job": {"rounds": 3}})");
  auto b = parse_simulation_config(R"({"job": {"rounds": 9}, "chain": {"x": 1}})");
  auto c = parse_simulation_config(R"({"training": {"learning_rate": 0.1}})");
  auto d = parse_simulation_config(R"({"strategy": {"name": "fedavgm"}})");
  ASSERT_TRUE(a && b && c && d);
  EXPECT_EQ(config_hash(*a), config_hash(*b));
  EXPECT_NE(config_hash(*a), config_hash(*c));
  EXPECT_NE(config_hash(*a), config_hash(*d));
  EXPECT_EQ(canonical_config_json(*a).find("private"), std::string::npos);
}

TEST(SimulationConfig, ZeroParticipantsIsRejected) {
  expect_config_error(R"({"participants": {"count": 0}})", "participants.count");
}

TEST(SimulationConfig, MoreParticipantsThanExactShapleyHandlesIsRejected) {
  expect_config_error(R"({"participants": {"count": 17}})", "participants.count");
}

TEST(SimulationConfig, ProfileIndexOutOfRangeIsRejected) {
  expect_config_error(R"({"participants": {"count": 3, "profiles": {"3": "honest"}}})", "participants.profiles.3");
}

TEST(SimulationConfig, NonNumericProfileIndexIsRejected) {
  expect_config_error(R"({"participants": {"profiles": {"last": "honest"}}})", "participants.profiles.last");
}

TEST(SimulationConfig, UnknownProfileIsRejected) {
  expect_config_error(R"({"participants": {"profiles": {"0": "byzantine"}}})", "participants.profiles.0");
}

TEST(SimulationConfig, WrongNumberOfPrivateKeysIsRejected) {
  expect_config_error(
      R"({"participants": {"count": 2, "private_keys": ["0x0000000000000000000000000000000000000000000000000000000000000001"]}})",
      "participants.private_keys");
}

TEST(SimulationConfig, MalformedPrivateKeyIsRejectedWithItsIndex) {
  expect_config_error(
      R"({"participants": {"count": 2, "private_keys": ["0x01", "0x0000000000000000000000000000000000000000000000000000000000000002"]}})",
      "participants.private_keys[0]");
}

TEST(SimulationConfig, RepeatedPrivateKeyIsRejected) {
  expect_config_error(
      R"({"participants": {"count": 2, "private_keys": ["0x0000000000000000000000000000000000000000000000000000000000000002", "0x0000000000000000000000000000000000000000000000000000000000000002"]}})",
      "participants.private_keys[1]");
}

TEST(SimulationConfig, UnknownAttributionMethodIsRejectedNamingTheValidMethods) {
  expect_config_error(R"({"attribution": {"method": "shapley-magic"}})", "attribution.method");
  expect_config_error(R"({"attribution": {"method": "shapley-magic"}})", "exact, tmc, gtg, loo, banzhaf, stratified");
}

TEST(SimulationConfig, EverySamplingMethodAndItsOptionsAreAccepted) {
  for (const char* method : {"exact", "tmc", "gtg", "loo", "banzhaf", "stratified"}) {
    auto config = parse_simulation_config(std::string(R"({"attribution": {"method": ")") + method +
                                          R"(", "max_evaluations": 40, "truncation_tolerance": 0.002,
                                          "round_truncation_tolerance": 0.0005, "seed": 7,
                                          "keep_artifacts": false}})");
    ASSERT_TRUE(config) << method << ": " << config.error().message;
    EXPECT_EQ(config->attribution.method, method);
    EXPECT_EQ(config->attribution.max_evaluations, 40U);
    EXPECT_EQ(config->attribution.truncation_tolerance, 0.002);
    EXPECT_EQ(config->attribution.round_truncation_tolerance, 0.0005);
    EXPECT_EQ(config->attribution.seed, 7U);
    EXPECT_FALSE(config->attribution.keep_artifacts);
  }
}

TEST(SimulationConfig, AttributionDefaultsLeaveTheConfigHashUnchanged) {
  auto plain = parse_simulation_config("{}");
  auto explicit_defaults = parse_simulation_config(R"({"attribution": {"keep_artifacts": true}})");
  auto with_seed = parse_simulation_config(R"({"attribution": {"seed": 1}})");
  ASSERT_TRUE(plain && explicit_defaults && with_seed);
  EXPECT_TRUE(plain->attribution.keep_artifacts);
  EXPECT_FALSE(plain->attribution.seed.has_value());
  EXPECT_EQ(config_hash(*plain), config_hash(*explicit_defaults));
  EXPECT_NE(config_hash(*plain), config_hash(*with_seed));
}

TEST(SimulationConfig, NegativeTruncationToleranceIsRejected) {
  expect_config_error(R"({"attribution": {"method": "gtg", "truncation_tolerance": -0.1}})",
                      "attribution.truncation_tolerance");
}

TEST(SimulationConfig, SeventeenParticipantsPerRoundAreRefusedForExactButAcceptedForGtg) {
  expect_config_error(R"({"participants": {"count": 17}})", "attribution.method");
  EXPECT_TRUE(parse_simulation_config(R"({"participants": {"count": 17}, "attribution": {"method": "gtg"}})"));
  expect_config_error(R"({"participants": {"count": 129}, "attribution": {"method": "tmc"}})", "participants.count");
}

TEST(SimulationConfig, UnknownUtilityIsRejected) {
  expect_config_error(R"({"attribution": {"utility": "f1"}})", "attribution.utility");
}

TEST(SimulationConfig, NonDecimalTotalSharesIsRejected) {
  expect_config_error(R"({"shares": {"total": "1e18"}})", "shares.total");
}

TEST(SimulationConfig, ZeroTotalSharesIsRejected) {
  expect_config_error(R"({"shares": {"total": "0"}})", "shares.total");
}

TEST(SimulationConfig, TotalSharesBeyond64BitsIsRejected) {
  expect_config_error(R"({"shares": {"total": "18446744073709551616"}})", "shares.total");
}

TEST(SimulationConfig, ChainThatIsNotAnObjectIsRejected) { expect_config_error(R"({"chain": "anvil"})", "chain"); }

TEST(SimulationConfig, LoadingAFileNamesItInErrors) {
  const auto dir = internal::fresh_temp_dir("fedtrain-config");
  std::ofstream(dir / "job.json") << R"({"job": {"rounds": 0}})";
  auto config = load_simulation_config(dir / "job.json");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Errc::config);
  EXPECT_NE(config.error().message.find("job.json"), std::string::npos);
  EXPECT_NE(config.error().message.find("job.rounds"), std::string::npos);
}

TEST(SimulationConfig, MissingFileIsAnIoError) {
  auto config = load_simulation_config("/nonexistent/job.json");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, Errc::io);
}

}  // namespace
}  // namespace flywheel::fedtrain
