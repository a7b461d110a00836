// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// JSON (RFC 8259) configuration of a simulated job, read with nlohmann::json. Exceptions from the
// JSON library stop here and become Errc::config.
#include "fedtrain/config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attribution/estimator.hpp"
#include "attribution/shapley.hpp"
#include "common/file_io.hpp"
#include "common/keccak.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::json;

// The participants.profiles default when the key is absent (the quickstart job's free rider);
// entries beyond participants.count are dropped.
const std::map<std::size_t, Profile> kDefaultProfiles{{5, Profile::shuffled_labels}};

std::string join(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// A JSON object at `path` ("" for the root) and the keys it may hold.
class Section {
 public:
  Section(const Json* object, std::string path) : object_(object), path_(std::move(path)) {}

  // The child object `key`, or an absent section when the key is missing.
  Result<Section> child(const char* key) const {
    const Json* value = find(key);
    if (value != nullptr && !value->is_object()) {
      return fail(Errc::config, name(key) + " must be a JSON object");
    }
    return Section(value, name(key));
  }

  Result<void> only(std::initializer_list<const char*> allowed) const {
    if (object_ == nullptr) return {};
    for (const auto& item : object_->items()) {
      const bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return item.key() == a; });
      if (!known) {
        return fail(Errc::config, "unknown key \"" + name(item.key().c_str()) + "\"; " +
                                      (path_.empty() ? std::string("the top level") : path_) +
                                      " accepts: " + join(allowed));
      }
    }
    return {};
  }

  Result<void> read_uint(const char* key, std::uint64_t& out, std::uint64_t min = 0) const {
    const Json* value = find(key);
    if (value == nullptr) return {};
    if (!value->is_number_unsigned()) {
      return fail(Errc::config, name(key) + " must be a non-negative integer, got " + value->dump());
    }
    const auto v = value->get<std::uint64_t>();
    if (v < min) {
      return fail(Errc::config, name(key) + " must be >= " + std::to_string(min) + ", got " + std::to_string(v));
    }
    out = v;
    return {};
  }

  Result<void> read_size(const char* key, std::size_t& out, std::size_t min = 0) const {
    std::uint64_t v = out;
    FLYWHEEL_TRY(read_uint(key, v, min));
    out = static_cast<std::size_t>(v);
    return {};
  }

  Result<void> read_number(const char* key, double& out) const {
    const Json* value = find(key);
    if (value == nullptr) return {};
    if (!value->is_number()) {
      return fail(Errc::config, name(key) + " must be a number, got " + value->dump());
    }
    out = value->get<double>();
    return {};
  }

  Result<void> read_string(const char* key, std::string& out) const {
    const Json* value = find(key);
    if (value == nullptr) return {};
    if (!value->is_string()) {
      return fail(Errc::config, name(key) + " must be a string, got " + value->dump());
    }
    out = value->get<std::string>();
    return {};
  }

  Result<void> read_bool(const char* key, bool& out) const {
    const Json* value = find(key);
    if (value == nullptr) return {};
    if (!value->is_boolean()) return fail(Errc::config, name(key) + " must be true or false, got " + value->dump());
    out = value->get<bool>();
    return {};
  }

  // A string restricted to `choices`.
  Result<void> read_choice(const char* key, std::string& out, std::initializer_list<const char*> choices) const {
    FLYWHEEL_TRY(read_string(key, out));
    const bool ok = std::any_of(choices.begin(), choices.end(), [&](const char* c) { return out == c; });
    if (!ok) {
      return fail(Errc::config, name(key) + " \"" + out + "\" is not supported; use one of: " + join(choices));
    }
    return {};
  }

  [[nodiscard]] const Json* find(const char* key) const {
    if (object_ == nullptr) return nullptr;
    auto it = object_->find(key);
    return it == object_->end() ? nullptr : &*it;
  }

  [[nodiscard]] std::string name(const char* key) const { return path_.empty() ? std::string(key) : path_ + "." + key; }

 private:
  const Json* object_;
  std::string path_;
};

Result<std::uint64_t> parse_total_shares(const Json& value) {
  const char* field = "shares.total";
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v == 0) return fail(Errc::config, std::string(field) + " must be > 0");
    return v;
  }
  if (!value.is_string()) {
    return fail(Errc::config,
                std::string(field) + " must be a decimal string such as \"1000000000000000000\", got " + value.dump());
  }
  const auto text = value.get<std::string>();
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(Errc::config, std::string(field) + " must hold only decimal digits, got \"" + text + "\"");
  }
  std::uint64_t v = 0;
  for (char c : text) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) {
      return fail(Errc::config,
                  std::string(field) + " \"" + text + "\" exceeds 18446744073709551615, the largest total supported");
    }
    v = v * 10 + digit;
  }
  if (v == 0) return fail(Errc::config, std::string(field) + " must be > 0");
  return v;
}

Result<SimulationConfig> parse_object(const Json& root) {
  SimulationConfig config;
  if (!root.is_object()) return fail(Errc::config, "the configuration must be a JSON object");
  const Section top(&root, "");
  FLYWHEEL_TRY(
      top.only({"job", "data", "model", "training", "strategy", "participants", "attribution", "shares", "chain"}));

  // job
  auto job = top.child("job");
  if (!job) return tl::unexpected(job.error());
  FLYWHEEL_TRY(job->only({"name", "seed", "rounds"}));
  FLYWHEEL_TRY(job->read_string("name", config.job.name));
  if (config.job.name.empty()) return fail(Errc::config, "job.name must not be empty");
  FLYWHEEL_TRY(job->read_uint("seed", config.job.seed));
  FLYWHEEL_TRY(job->read_uint("rounds", config.job.rounds, 1));

  // data
  auto data = top.child("data");
  if (!data) return tl::unexpected(data.error());
  FLYWHEEL_TRY(data->only({"root", "partition", "alpha", "shards_per_participant", "min_partition_size",
                           "validation_size", "train_limit"}));
  std::string root_dir = config.data.root.string();
  FLYWHEEL_TRY(data->read_string("root", root_dir));
  if (root_dir.empty()) return fail(Errc::config, "data.root must not be empty");
  config.data.root = root_dir;
  std::string partition = "dirichlet";
  FLYWHEEL_TRY(data->read_choice("partition", partition, {"dirichlet", "iid", "shards", "quantity-skew"}));
  for (auto kind :
       {PartitionKind::iid, PartitionKind::dirichlet, PartitionKind::shards, PartitionKind::quantity_skew}) {
    if (partition_name(kind) == partition) config.data.partition = kind;
  }
  FLYWHEEL_TRY(data->read_number("alpha", config.data.alpha));
  if (!(config.data.alpha > 0) || !std::isfinite(config.data.alpha)) {
    return fail(Errc::config, "data.alpha must be > 0 (smaller is more skewed; 0.5 is typical)");
  }
  FLYWHEEL_TRY(data->read_size("shards_per_participant", config.data.shards_per_participant, 1));
  FLYWHEEL_TRY(data->read_size("min_partition_size", config.data.min_partition_size, 1));
  FLYWHEEL_TRY(data->read_size("validation_size", config.data.validation_size, 1));
  FLYWHEEL_TRY(data->read_size("train_limit", config.data.train_limit));
  if (config.data.train_limit > 0 && config.data.validation_size >= config.data.train_limit) {
    return fail(Errc::config, "data.validation_size (" + std::to_string(config.data.validation_size) +
                                  ") must be smaller than data.train_limit (" +
                                  std::to_string(config.data.train_limit) + ")");
  }

  // model
  auto model = top.child("model");
  if (!model) return tl::unexpected(model.error());
  FLYWHEEL_TRY(model->only({"name", "hidden"}));
  std::string model_name = config.model.name;
  FLYWHEEL_TRY(model->read_string("name", model_name));
  if (!is_model(model_name)) {
    std::string names;
    for (const auto& name : model_names()) names += (names.empty() ? "" : ", ") + name;
    return fail(Errc::config, "model.name \"" + model_name + "\" is not a known model; use one of: " + names +
                                  " (or register a libtorch module, see fedtrain/model/torch_module.hpp)");
  }
  config.model = default_model_config(model_name);
  if (const Json* hidden = model->find("hidden")) {
    if (!hidden->is_array()) {
      return fail(Errc::config, "model.hidden must be an array of layer widths, e.g. [200, 200]");
    }
    config.model.hidden.clear();
    for (std::size_t i = 0; i < hidden->size(); ++i) {
      const Json& width = (*hidden)[i];
      if (!width.is_number_unsigned() || width.get<std::uint64_t>() == 0 || width.get<std::uint64_t>() > 65536) {
        return fail(Errc::config,
                    "model.hidden[" + std::to_string(i) + "] must be an integer in 1..65536, got " + width.dump());
      }
      config.model.hidden.push_back(width.get<std::size_t>());
    }
  }
  FLYWHEEL_TRY(validate(config.model));

  // training
  auto training = top.child("training");
  if (!training) return tl::unexpected(training.error());
  FLYWHEEL_TRY(training->only({"local_epochs", "batch_size", "learning_rate", "momentum", "measure_compute_time"}));
  FLYWHEEL_TRY(training->read_size("local_epochs", config.training.local_epochs, 1));
  FLYWHEEL_TRY(training->read_size("batch_size", config.training.batch_size, 1));
  FLYWHEEL_TRY(training->read_number("learning_rate", config.training.learning_rate));
  if (!(config.training.learning_rate > 0) || !std::isfinite(config.training.learning_rate)) {
    return fail(Errc::config, "training.learning_rate must be > 0");
  }
  FLYWHEEL_TRY(training->read_number("momentum", config.training.momentum));
  FLYWHEEL_TRY(training->read_bool("measure_compute_time", config.measure_compute_time));
  if (!(config.training.momentum >= 0 && config.training.momentum < 1)) {
    return fail(Errc::config, "training.momentum must lie in [0, 1)");
  }

  // strategy: Flower's defaults for the named strategy, then the keys given.
  auto strategy = top.child("strategy");
  if (!strategy) return tl::unexpected(strategy.error());
  FLYWHEEL_TRY(strategy->only({"name", "fraction_fit", "min_fit_clients", "fraction_evaluate", "min_evaluate_clients",
                               "server_learning_rate", "server_momentum", "beta_1", "beta_2", "tau", "proximal_mu",
                               "trim_beta", "num_malicious_clients", "num_clients_to_keep"}));
  std::string strategy_name = config.strategy.name;
  FLYWHEEL_TRY(strategy->read_string("name", strategy_name));
  if (!is_strategy(strategy_name)) {
    std::string names;
    for (const auto& name : strategy_names()) names += (names.empty() ? "" : ", ") + name;
    return fail(Errc::config, "strategy.name \"" + strategy_name + "\" is not a known strategy; use one of: " + names);
  }
  config.strategy = default_strategy_config(strategy_name);
  FLYWHEEL_TRY(strategy->read_number("fraction_fit", config.strategy.fraction_fit));
  FLYWHEEL_TRY(strategy->read_size("min_fit_clients", config.strategy.min_fit_clients, 1));
  FLYWHEEL_TRY(strategy->read_number("fraction_evaluate", config.strategy.fraction_evaluate));
  FLYWHEEL_TRY(strategy->read_size("min_evaluate_clients", config.strategy.min_evaluate_clients, 1));
  FLYWHEEL_TRY(strategy->read_number("server_learning_rate", config.strategy.server_learning_rate));
  FLYWHEEL_TRY(strategy->read_number("server_momentum", config.strategy.server_momentum));
  FLYWHEEL_TRY(strategy->read_number("beta_1", config.strategy.beta_1));
  FLYWHEEL_TRY(strategy->read_number("beta_2", config.strategy.beta_2));
  FLYWHEEL_TRY(strategy->read_number("tau", config.strategy.tau));
  FLYWHEEL_TRY(strategy->read_number("proximal_mu", config.strategy.proximal_mu));
  FLYWHEEL_TRY(strategy->read_number("trim_beta", config.strategy.trim_beta));
  FLYWHEEL_TRY(strategy->read_size("num_malicious_clients", config.strategy.num_malicious_clients));
  FLYWHEEL_TRY(strategy->read_size("num_clients_to_keep", config.strategy.num_clients_to_keep));
  if (auto built = make_strategy(config.strategy); !built) return tl::unexpected(built.error());

  // attribution (before participants: the method bounds the count)
  auto attribution = top.child("attribution");
  if (!attribution) return tl::unexpected(attribution.error());
  FLYWHEEL_TRY(attribution->only({"method", "utility", "max_evaluations", "truncation_tolerance",
                                  "round_truncation_tolerance", "seed", "keep_artifacts"}));
  FLYWHEEL_TRY(attribution->read_string("method", config.attribution.method));
  const auto method = attribution::parse_method(config.attribution.method);
  if (!method) {
    return fail(Errc::config, "attribution.method \"" + config.attribution.method +
                                  "\" is not supported; use one of: exact, tmc, gtg, loo, banzhaf, stratified");
  }
  FLYWHEEL_TRY(attribution->read_size("max_evaluations", config.attribution.max_evaluations));
  for (const auto& [key, field] :
       {std::pair{"truncation_tolerance", &config.attribution.truncation_tolerance},
        std::pair{"round_truncation_tolerance", &config.attribution.round_truncation_tolerance}}) {
    if (attribution->find(key) == nullptr) continue;
    double tolerance = 0;
    FLYWHEEL_TRY(attribution->read_number(key, tolerance));
    if (!(tolerance >= 0)) {
      return fail(Errc::config, std::string("attribution.") + key +
                                    " must be ≥ 0 (utility units, e.g. 0.001 = 0.1 percentage point)");
    }
    *field = tolerance;
  }
  if (attribution->find("seed") != nullptr) {
    std::uint64_t seed = 0;
    FLYWHEEL_TRY(attribution->read_uint("seed", seed));
    config.attribution.seed = seed;
  }
  FLYWHEEL_TRY(attribution->read_bool("keep_artifacts", config.attribution.keep_artifacts));
  std::string utility = "accuracy";
  FLYWHEEL_TRY(attribution->read_choice("utility", utility, {"accuracy", "negative-loss"}));
  config.attribution.utility = utility == "accuracy" ? UtilityMetric::accuracy : UtilityMetric::negative_loss;

  // participants
  auto participants = top.child("participants");
  if (!participants) return tl::unexpected(participants.error());
  FLYWHEEL_TRY(participants->only({"count", "profiles", "private_keys"}));
  std::size_t count = 6;
  FLYWHEEL_TRY(participants->read_size("count", count, 1));
  // Before anything is sized by it: a count of 2^62 threw std::length_error out of the parser.
  // The limit is far above any job run so far (examples/scale_1000) and low enough that resolving
  // the config, a profile and a key per participant, takes seconds (docs/configuration.md).
  constexpr std::size_t kMaxJobParticipants = 100'000;
  if (count > kMaxJobParticipants) {
    return fail(Errc::config, "participants.count (" + std::to_string(count) + ") is above the limit of " +
                                  std::to_string(kMaxJobParticipants) + " participants in a job");
  }
  if (config.strategy.min_fit_clients > count) {
    return fail(Errc::config, "strategy.min_fit_clients (" + std::to_string(config.strategy.min_fit_clients) +
                                  ") exceeds participants.count (" + std::to_string(count) + ")");
  }
  if (config.strategy.fraction_evaluate > 0 && config.strategy.min_evaluate_clients > count) {
    return fail(Errc::config, "strategy.min_evaluate_clients (" + std::to_string(config.strategy.min_evaluate_clients) +
                                  ") exceeds participants.count (" + std::to_string(count) + ")");
  }
  if (config.data.train_limit > 0 && count > config.data.train_limit - config.data.validation_size) {
    return fail(Errc::config, "participants.count (" + std::to_string(count) + ") exceeds the " +
                                  std::to_string(config.data.train_limit - config.data.validation_size) +
                                  " samples left for participants (data.train_limit minus "
                                  "data.validation_size); every participant needs at least one");
  }
  {
    SimulationConfig probe;
    probe.strategy = config.strategy;
    probe.participants.profiles.assign(count, Profile::honest);
    const std::size_t per_round = fit_clients_per_round(probe);
    const bool exact = *method == attribution::Method::exact;
    const std::size_t limit = exact ? attribution::kMaxExactParticipants : attribution::kMaxParticipants;
    if (per_round > limit) {
      std::ostringstream fraction;
      fraction << config.strategy.fraction_fit;
      return fail(Errc::config, "participants.count (" + std::to_string(count) + ") with strategy.fraction_fit " +
                                    fraction.str() + " puts " + std::to_string(per_round) +
                                    " participants in a round, more than " + std::to_string(limit) +
                                    ", the most that attribution.method \"" + config.attribution.method +
                                    "\" can evaluate" +
                                    (exact ? " (2^n coalitions per round); lower strategy.fraction_fit or "
                                             "use a sampling method such as \"gtg\""
                                           : " (coalitions are 128-bit masks); lower strategy.fraction_fit"));
    }
  }
  config.participants.profiles.assign(count, Profile::honest);
  if (const Json* profiles = participants->find("profiles")) {
    if (!profiles->is_object()) {
      return fail(Errc::config,
                  "participants.profiles must be an object mapping a participant "
                  "index to a profile, e.g. {\"5\": \"shuffled-labels\", \"6\": \"duplicate:0\"}");
    }
    for (const auto& item : profiles->items()) {
      const std::string path = "participants.profiles." + item.key();
      const auto& key = item.key();
      const bool digits = !key.empty() && key.size() <= 6 &&
                          std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoul(key) >= count) {
        return fail(Errc::config,
                    path + ": \"" + key + "\" is not a participant index (0.." + std::to_string(count - 1) + ")");
      }
      if (!item.value().is_string()) {
        return fail(Errc::config, path + " must be a profile name string");
      }
      auto profile = parse_profile(item.value().get<std::string>());
      if (!profile) return tl::unexpected(with_context(profile.error(), path));
      config.participants.profiles[std::stoul(key)] = *profile;
    }
  } else {
    for (const auto& [index, profile] : kDefaultProfiles) {
      if (index < count) config.participants.profiles[index] = profile;
    }
  }
  FLYWHEEL_TRY(check_profiles(config.participants.profiles));
  if (const Json* keys = participants->find("private_keys"); keys != nullptr && !keys->empty()) {
    if (!keys->is_array()) {
      return fail(Errc::config, "participants.private_keys must be an array of hex private keys");
    }
    if (keys->size() != count) {
      return fail(Errc::config, "participants.private_keys holds " + std::to_string(keys->size()) +
                                    " keys but participants.count is " + std::to_string(count) +
                                    "; give one key per participant or none");
    }
    for (std::size_t i = 0; i < count; ++i) {
      const std::string path = "participants.private_keys[" + std::to_string(i) + "]";
      const Json& hex = (*keys)[i];
      if (!hex.is_string()) return fail(Errc::config, path + " must be a hex string");
      auto key = PrivateKey::from_hex(hex.get<std::string>());
      if (!key) {
        return fail(Errc::config, path + " is not a valid secp256k1 private key: " + key.error().message);
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (config.participants.keys[j].secret() == key->secret()) {
          return fail(Errc::config, path + " repeats the key of participant " + std::to_string(j) +
                                        "; every participant needs its own key");
        }
      }
      config.participants.keys.push_back(*key);
    }
  } else if (keys != nullptr && !keys->is_array()) {
    return fail(Errc::config, "participants.private_keys must be an array of hex private keys");
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      auto key = simulated_participant_key(config.job.seed, i);
      if (!key) return tl::unexpected(key.error());
      config.participants.keys.push_back(*key);
    }
  }

  // shares
  auto shares = top.child("shares");
  if (!shares) return tl::unexpected(shares.error());
  FLYWHEEL_TRY(shares->only({"total"}));
  if (const Json* total = shares->find("total")) {
    auto parsed = parse_total_shares(*total);
    if (!parsed) return tl::unexpected(parsed.error());
    config.total_shares = *parsed;
  }

  // chain: the CLI's
  if (const Json* chain = top.find("chain")) {
    if (!chain->is_object()) return fail(Errc::config, "chain must be a JSON object");
    config.chain_json = chain->dump();
  }
  return config;
}

}  // namespace

Result<SimulationConfig> parse_simulation_config(std::string_view json_text) {
  try {
    const Json root = Json::parse(json_text);
    return parse_object(root);
  } catch (const Json::exception& e) {
    return fail(Errc::config, std::string("configuration is not valid JSON: ") + e.what());
  }
}

Result<SimulationConfig> load_simulation_config(const std::filesystem::path& file) {
  auto text = read_file(file, "configuration file");
  if (!text) return fail(Errc::io, text.error().message);  // missing or unreadable: io, as documented
  auto config = parse_simulation_config(*text);
  if (!config) return tl::unexpected(with_context(config.error(), file.string()));
  return config;
}

Result<PrivateKey> simulated_participant_key(std::uint64_t seed, std::size_t index) {
  const std::string label = "flywheel/simulated-participant/" + std::to_string(seed) + "/" + std::to_string(index);
  const Hash32 secret = keccak256(as_bytes(label));
  return PrivateKey::from_bytes(secret.view());
}

std::string_view utility_name(UtilityMetric metric) {
  return metric == UtilityMetric::accuracy ? "accuracy" : "negative-loss";
}

std::string_view partition_name(PartitionKind kind) {
  switch (kind) {
    case PartitionKind::iid:
      return "iid";
    case PartitionKind::dirichlet:
      return "dirichlet";
    case PartitionKind::shards:
      return "shards";
    case PartitionKind::quantity_skew:
      return "quantity-skew";
  }
  return "?";
}

std::size_t fit_clients_per_round(const SimulationConfig& config) {
  const std::size_t n = config.participants.count();
  const auto sampled = static_cast<std::size_t>(config.strategy.fraction_fit * static_cast<double>(n));
  return std::min(n, std::max(sampled, config.strategy.min_fit_clients));
}

std::size_t evaluate_clients_per_round(const SimulationConfig& config) {
  if (!(config.strategy.fraction_evaluate > 0)) return 0;
  const std::size_t n = config.participants.count();
  const auto sampled = static_cast<std::size_t>(config.strategy.fraction_evaluate * static_cast<double>(n));
  return std::min(n, std::max(sampled, config.strategy.min_evaluate_clients));
}

std::string canonical_config_json(const SimulationConfig& config) {
  Json doc = Json::object();
  doc["job"] = {{"name", config.job.name}, {"seed", config.job.seed}};
  doc["data"] = {{"root", config.data.root.string()},
                 {"partition", std::string(partition_name(config.data.partition))},
                 {"alpha", config.data.alpha},
                 {"shards_per_participant", config.data.shards_per_participant},
                 {"min_partition_size", config.data.min_partition_size},
                 {"validation_size", config.data.validation_size},
                 {"train_limit", config.data.train_limit}};
  doc["model"] = {{"name", config.model.name},
                  {"hidden", config.model.hidden},
                  {"inputs", config.model.inputs},
                  {"classes", config.model.classes}};
  doc["training"] = {{"local_epochs", config.training.local_epochs},
                     {"batch_size", config.training.batch_size},
                     {"learning_rate", config.training.learning_rate},
                     {"momentum", config.training.momentum}};
  const auto& st = config.strategy;
  doc["strategy"] = {{"name", st.name},
                     {"fraction_fit", st.fraction_fit},
                     {"min_fit_clients", st.min_fit_clients},
                     {"fraction_evaluate", st.fraction_evaluate},
                     {"min_evaluate_clients", st.min_evaluate_clients},
                     {"server_learning_rate", st.server_learning_rate},
                     {"server_momentum", st.server_momentum},
                     {"beta_1", st.beta_1},
                     {"beta_2", st.beta_2},
                     {"tau", st.tau},
                     {"proximal_mu", st.proximal_mu},
                     {"trim_beta", st.trim_beta},
                     {"num_malicious_clients", st.num_malicious_clients},
                     {"num_clients_to_keep", st.num_clients_to_keep}};
  Json people = Json::array();
  for (std::size_t i = 0; i < config.participants.count(); ++i) {
    people.push_back({{"profile", std::string(profile_name(config.participants.profiles[i]))},
                      {"address", i < config.participants.keys.size() ? config.participants.keys[i].address().hex()
                                                                      : std::string()}});
  }
  doc["participants"] = std::move(people);
  doc["attribution"] = {{"method", config.attribution.method},
                        {"utility", std::string(utility_name(config.attribution.utility))}};
  // Estimator settings only when set, so a default configuration keeps its hash; keep_artifacts
  // changes no result and is left out.
  if (config.attribution.max_evaluations > 0) {
    doc["attribution"]["max_evaluations"] = config.attribution.max_evaluations;
  }
  if (config.attribution.truncation_tolerance) {
    doc["attribution"]["truncation_tolerance"] = *config.attribution.truncation_tolerance;
  }
  if (config.attribution.round_truncation_tolerance) {
    doc["attribution"]["round_truncation_tolerance"] = *config.attribution.round_truncation_tolerance;
  }
  if (config.attribution.seed) doc["attribution"]["seed"] = *config.attribution.seed;
  doc["shares"] = {{"total", std::to_string(config.total_shares)}};
  // Likewise only when they differ from a simulation's defaults.
  if (config.measure_compute_time) doc["training"]["measure_compute_time"] = true;
  if (config.receipt_domain != SimulationConfig{}.receipt_domain) {
    const auto& d = config.receipt_domain;
    doc["receipt_domain"] = {{"name", d.name},
                             {"version", d.version},
                             {"chain_id", d.chain_id},
                             {"verifying_contract", d.verifying_contract ? d.verifying_contract->hex() : ""}};
  }
  return doc.dump();  // nlohmann::json sorts object keys: canonical
}

Hash32 config_hash(const SimulationConfig& config) { return keccak256(as_bytes(canonical_config_json(config))); }

}  // namespace flywheel::fedtrain
