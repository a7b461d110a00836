// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// TLS in deployment mode, end to end with real processes on loopback: `flywheel keys tls` makes a
// CA and certificates that verify (RFC 5280 path validation) and name the right hosts (RFC 6125
// subjectAltName); a job completes over TLS and over mutual TLS; and each misconfiguration (no
// client certificate, another CA, plaintext against TLS) ends the participant with a clear error
// instead of a hang.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/keystore.hpp"
#include "common/tls_certs.hpp"
#include "tests/internal/child_process.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

PrivateKey participant_key(std::size_t i) { return testing::family_key(0x17, i); }

using testing::read_text;
using testing::wait_until;

testing::CommandResult flywheel(const std::string& args) {
  return testing::run_command(std::string(FLYWHEEL_BINARY) + " " + args);
}

std::size_t count_lines(const fs::path& p) { return testing::json_lines(p).size(); }

// A tiny deployment job with `participants` keystores, a TLS setup made by `flywheel keys tls`,
// and one job file per process so that each can carry its own "tls" section.
class TlsJob {
 public:
  TlsJob(std::size_t participants, std::uint64_t rounds) : participants_(participants) {
    job_ = json::parse(R"({
      "job": {"name": "tls-test", "seed": 11},
      "data": {"partition": "iid", "validation_size": 100, "train_limit": 600},
      "model": {"name": "mlp", "hidden": [8]},
      "training": {"local_epochs": 1, "batch_size": 32, "learning_rate": 0.05},
      "deployment": {"listen": "127.0.0.1:0", "start_timeout_s": 60, "round_timeout_s": 60,
                     "liveness_s": 5}
    })");
    job_["job"]["rounds"] = rounds;
    job_["deployment"]["min_updates"] = participants;
    for (std::size_t i = 0; i < participants; ++i) {
      job_["deployment"]["allowlist"].push_back(participant_key(i).address().hex());
    }
    std::ofstream(root_ / "password") << "test-password\n";
    for (std::size_t i = 0; i < participants; ++i) {
      EXPECT_TRUE(
          save_keystore(keystore(i), participant_key(i), "test-password", {.kdf = KeystoreKdf::pbkdf2, .c = 2}));
    }
  }

  [[nodiscard]] const fs::path& root() const { return root_; }
  [[nodiscard]] fs::path keystore(std::size_t i) const { return root_ / ("key" + std::to_string(i) + ".json"); }

  //! Makes certificates in root/<folder> with `flywheel keys tls`.
  testing::CommandResult make_certs(const std::string& folder, const std::string& extra = "") const {
    return flywheel("keys tls --out " + (root_ / folder).string() + " " + extra);
  }

  std::unique_ptr<testing::ChildProcess> aggregator(const json& tls) {
    const fs::path file = write_job("aggregator", tls);
    return std::make_unique<testing::ChildProcess>(
        FLYWHEEL_BINARY,
        std::vector<std::string>{"aggregator", "--config", file.string(), "--out", (root_ / "run").string(),
                                 "--threads", "2"},
        root_ / "aggregator.log");
  }

  [[nodiscard]] bool serving() const { return fs::exists(root_ / "run" / "endpoint"); }

  std::string endpoint() const {
    std::string e = read_text(root_ / "run" / "endpoint");
    while (!e.empty() && e.back() == '\n') e.pop_back();
    return e;
  }

  std::unique_ptr<testing::ChildProcess> participant(std::size_t i, const json& tls) {
    const fs::path file = write_job("participant" + std::to_string(i), tls);
    return std::make_unique<testing::ChildProcess>(
        FLYWHEEL_BINARY,
        std::vector<std::string>{"participant", "--config", file.string(), "--keystore", keystore(i).string(),
                                 "--password-file", (root_ / "password").string(), "--aggregator", endpoint(), "--out",
                                 (root_ / ("p" + std::to_string(i))).string()},
        root_ / ("participant" + std::to_string(i) + ".log"));
  }

  [[nodiscard]] std::string path(const std::string& relative) const { return (root_ / relative).string(); }

 private:
  fs::path write_job(const std::string& name, const json& tls) {
    json job = job_;
    if (!tls.is_null()) job["deployment"]["tls"] = tls;
    const fs::path file = root_ / (name + ".json");
    std::ofstream(file) << job.dump(2);
    return file;
  }

  testing::TempDir dir_;
  fs::path root_{dir_.path()};
  std::size_t participants_ = 0;
  json job_;
};

// ---- flywheel keys tls -------------------------------------------------------------------------

TEST(KeysTls, WritesACaAServerAndClientCertificatesThatVerifyAgainstTheCa) {
  testing::TempDir dir;
  const fs::path out = fs::path(dir.path()) / "tls";
  auto r =
      flywheel("keys tls --out " + out.string() + " --hosts localhost,127.0.0.1,::1 --days 30 --clients alice,bob");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"server.pem", "client-alice.pem", "client-bob.pem"}) {
    EXPECT_TRUE(verify_certificate(out / "ca.pem", out / name)) << name;
    const bool have_openssl = testing::run_command("command -v openssl").exit_code == 0;
    if (have_openssl) {
      auto v =
          testing::run_command("openssl verify -CAfile " + (out / "ca.pem").string() + " " + (out / name).string());
      EXPECT_EQ(v.exit_code, 0) << v.output;
      EXPECT_NE(v.output.find(": OK"), std::string::npos) << v.output;
    }
  }
}

TEST(KeysTls, TheServerCertificateNamesExactlyTheGivenHosts) {
  testing::TempDir dir;
  const fs::path out = fs::path(dir.path()) / "tls";
  auto r = flywheel("keys tls --out " + out.string() + " --hosts localhost,127.0.0.1,agg.example.org,::1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto names = subject_alt_names(out / "server.pem");
  ASSERT_TRUE(names) << names.error().to_string();
  EXPECT_EQ(*names, (std::vector<std::string>{"DNS:localhost", "IP:127.0.0.1", "DNS:agg.example.org", "IP:::1"}));
  if (testing::run_command("command -v openssl").exit_code == 0) {
    auto text = testing::run_command("openssl x509 -noout -ext subjectAltName -in " + (out / "server.pem").string());
    EXPECT_NE(text.output.find("DNS:localhost, IP Address:127.0.0.1, DNS:agg.example.org, IP Address:0:0:0:0:0:0:0:1"),
              std::string::npos)
        << text.output;
  }
}

TEST(KeysTls, AClientCountNamesTheClientsOneToN) {
  testing::TempDir dir;
  const fs::path out = fs::path(dir.path()) / "tls";
  auto r = flywheel("keys tls --out " + out.string() + " --clients 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"client-client1.pem", "client-client2.pem", "client-client3.pem"}) {
    EXPECT_TRUE(verify_certificate(out / "ca.pem", out / name)) << name;
  }
  EXPECT_FALSE(fs::exists(out / "client-client4.pem"));
}

TEST(KeysTls, PrivateKeysAreReadableByTheOwnerOnly) {
  testing::TempDir dir;
  const fs::path out = fs::path(dir.path()) / "tls";
  ASSERT_EQ(flywheel("keys tls --out " + out.string() + " --clients 1").exit_code, 0);
  for (const char* name : {"ca.key", "server.key", "client-client1.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat((out / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600U) << name;
  }
}

TEST(KeysTls, RefusesToOverwriteAnExistingSetup) {
  testing::TempDir dir;
  const fs::path out = fs::path(dir.path()) / "tls";
  ASSERT_EQ(flywheel("keys tls --out " + out.string()).exit_code, 0);
  const std::string ca_before = read_text(out / "ca.pem");
  auto again = flywheel("keys tls --out " + out.string() + " --clients 1");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("refusing to overwrite"), std::string::npos) << again.output;
  EXPECT_EQ(read_text(out / "ca.pem"), ca_before);
  EXPECT_FALSE(fs::exists(out / "client-client1.pem"));  // nothing of the refused run was written
}

TEST(KeysTls, RefusesAHostThatCannotGoIntoACertificate) {
  testing::TempDir dir;
  auto r = flywheel("keys tls --out " + dir.path() + "/tls --hosts 'bad host'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("neither an IP address nor a DNS name"), std::string::npos) << r.output;
}

// ---- jobs over TLS -----------------------------------------------------------------------------

TEST(DeploymentTls, AJobCompletesOverTlsWithAnAggregatorAndTwoParticipants) {
  TlsJob job(2, 2);
  ASSERT_EQ(job.make_certs("tls").exit_code, 0);
  auto aggregator = job.aggregator({{"cert", job.path("tls/server.pem")}, {"key", job.path("tls/server.key")}});
  ASSERT_TRUE(wait_until([&] { return job.serving(); }, 60s)) << aggregator->log();
  EXPECT_NE(aggregator->log().find("(TLS)"), std::string::npos) << aggregator->log();
  std::vector<std::unique_ptr<testing::ChildProcess>> participants;
  for (std::size_t i = 0; i < 2; ++i) participants.push_back(job.participant(i, {{"ca", job.path("tls/ca.pem")}}));
  ASSERT_EQ(aggregator->wait(180s), 0) << aggregator->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();
  EXPECT_EQ(count_lines(job.root() / "run" / "metrics.jsonl"), 2U);
  EXPECT_EQ(count_lines(job.root() / "p0" / "acks.jsonl"), 2U);
}

TEST(DeploymentTls, AJobCompletesOverMutualTlsWithClientCertificates) {
  TlsJob job(2, 1);
  ASSERT_EQ(job.make_certs("tls", "--clients 2").exit_code, 0);
  auto aggregator = job.aggregator({{"cert", job.path("tls/server.pem")},
                                    {"key", job.path("tls/server.key")},
                                    {"ca", job.path("tls/ca.pem")},
                                    {"require_client_cert", true}});
  ASSERT_TRUE(wait_until([&] { return job.serving(); }, 60s)) << aggregator->log();
  std::vector<std::unique_ptr<testing::ChildProcess>> participants;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string name = "tls/client-client" + std::to_string(i + 1);
    participants.push_back(job.participant(i, {{"ca", job.path("tls/ca.pem")},
                                               {"client_cert", job.path(name + ".pem")},
                                               {"client_key", job.path(name + ".key")}}));
  }
  ASSERT_EQ(aggregator->wait(180s), 0) << aggregator->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();
  EXPECT_EQ(count_lines(job.root() / "run" / "metrics.jsonl"), 1U);
}

TEST(DeploymentTls, MutualTlsRefusesAParticipantWithoutAClientCertificate) {
  TlsJob job(1, 1);
  ASSERT_EQ(job.make_certs("tls", "--clients 1").exit_code, 0);
  auto aggregator = job.aggregator({{"cert", job.path("tls/server.pem")},
                                    {"key", job.path("tls/server.key")},
                                    {"ca", job.path("tls/ca.pem")},
                                    {"require_client_cert", true}});
  ASSERT_TRUE(wait_until([&] { return job.serving(); }, 60s)) << aggregator->log();
  auto participant = job.participant(0, {{"ca", job.path("tls/ca.pem")}});
  // Refused within seconds, not after the participant's two-minute reconnect budget.
  const int code = participant->wait(60s);
  EXPECT_NE(code, 0) << participant->log();
  EXPECT_NE(code, -1) << "the participant hung: " << participant->log();
  EXPECT_NE(participant->log().find("TLS handshake"), std::string::npos) << participant->log();
  EXPECT_NE(participant->log().find("client certificate"), std::string::npos) << participant->log();
  EXPECT_FALSE(fs::exists(job.root() / "run" / "metrics.jsonl") &&
               count_lines(job.root() / "run" / "metrics.jsonl") > 0);
}

TEST(DeploymentTls, AParticipantTrustingAnotherCaRefusesTheServer) {
  TlsJob job(1, 1);
  ASSERT_EQ(job.make_certs("tls").exit_code, 0);
  ASSERT_EQ(job.make_certs("other").exit_code, 0);
  auto aggregator = job.aggregator({{"cert", job.path("tls/server.pem")}, {"key", job.path("tls/server.key")}});
  ASSERT_TRUE(wait_until([&] { return job.serving(); }, 60s)) << aggregator->log();
  auto participant = job.participant(0, {{"ca", job.path("other/ca.pem")}});
  const int code = participant->wait(60s);
  EXPECT_NE(code, 0) << participant->log();
  EXPECT_NE(code, -1) << "the participant hung: " << participant->log();
  EXPECT_NE(participant->log().find("TLS handshake"), std::string::npos) << participant->log();
  EXPECT_NE(participant->log().find("certificate"), std::string::npos) << participant->log();
  EXPECT_NE(participant->log().find("deployment.tls.ca"), std::string::npos) << participant->log();
}

TEST(DeploymentTls, APlaintextParticipantAgainstATlsAggregatorFailsWithAClearError) {
  TlsJob job(1, 1);
  ASSERT_EQ(job.make_certs("tls").exit_code, 0);
  auto aggregator = job.aggregator({{"cert", job.path("tls/server.pem")}, {"key", job.path("tls/server.key")}});
  ASSERT_TRUE(wait_until([&] { return job.serving(); }, 60s)) << aggregator->log();
  auto participant = job.participant(0, json());
  const int code = participant->wait(60s);
  EXPECT_NE(code, 0) << participant->log();
  EXPECT_NE(code, -1) << "the participant hung: " << participant->log();
  EXPECT_NE(participant->log().find("speaks TLS"), std::string::npos) << participant->log();
  EXPECT_NE(participant->log().find("deployment.tls.ca"), std::string::npos) << participant->log();
}

TEST(DeploymentTls, ATlsParticipantAgainstAPlaintextAggregatorFailsWithAClearError) {
  TlsJob job(1, 1);
  ASSERT_EQ(job.make_certs("tls").exit_code, 0);
  auto aggregator = job.aggregator(json());
  ASSERT_TRUE(wait_until([&] { return job.serving(); }, 60s)) << aggregator->log();
  auto participant = job.participant(0, {{"ca", job.path("tls/ca.pem")}});
  const int code = participant->wait(60s);
  EXPECT_NE(code, 0) << participant->log();
  EXPECT_NE(code, -1) << "the participant hung: " << participant->log();
  EXPECT_NE(participant->log().find("TLS handshake"), std::string::npos) << participant->log();
}

}  // namespace
}  // namespace flywheel
