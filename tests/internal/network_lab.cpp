// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Network namespaces and veth pairs driven through iproute2 (`ip netns`, `ip link`, `tc`).
//
// Loss without netem: this project's test machines run kernels without sch_netem, act_gact and
// act_police, but with cls_bpf, act_mirred and sch_tbf. A classic-BPF program may read the
// kernel's per-packet random number (the SKF_AD_RANDOM ancillary load), and mirred redirecting to a
// device that is down drops the packet (counted as an overlimit). So "drop p % at random" is
//   ld rand; jgt #T, keep; ret #-1 (match: redirect to the down device); keep: ret #0
// with T = p/100 · 2^32, attached to the clsact egress hook of both ends of the link.
#include "tests/internal/network_lab.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/internal/run_command.hpp"

namespace flywheel::testing {
namespace {

constexpr const char* kPrefix = "fwnf";

// Runs a command; its output on failure (the command line first), empty on success.
std::string run_or_why(const std::string& command) {
  const auto r = run_command(command);
  if (r.exit_code == 0) return {};
  return command + ": " + (r.output.empty() ? "exit " + std::to_string(r.exit_code) : r.output);
}

std::string find_tool(const char* name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    const std::string path = std::string(dir) + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

// Deletes namespaces that an earlier test process (now gone) left behind, e.g. one ctest killed at
// its timeout before the destructor ran.
void delete_stale_namespaces(const std::string& ip) {
  const auto list = run_command(ip + " netns list");
  std::istringstream lines(list.output);
  for (std::string line; std::getline(lines, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) != 0) continue;
    const auto dash = name.find('-');
    if (dash == std::string::npos) continue;
    const std::string pid_text = name.substr(std::string(kPrefix).size(), dash - std::string(kPrefix).size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its test is still running
    (void)run_command(ip + " netns delete " + name);
  }
}

}  // namespace

std::unique_ptr<NetworkLab> NetworkLab::create(std::size_t participants, std::string* why) {
  if (::geteuid() != 0) {
    *why = "network namespaces need root (euid " + std::to_string(::geteuid()) + ")";
    return nullptr;
  }
  std::unique_ptr<NetworkLab> lab(new NetworkLab());
  lab->ip_ = find_tool("ip");
  lab->tc_ = find_tool("tc");
  if (lab->ip_.empty() || lab->tc_.empty()) {
    *why = "iproute2's ip and tc are needed (Debian package iproute2)";
    return nullptr;
  }
  delete_stale_namespaces(lab->ip_);
  static int serial = 0;
  lab->prefix_ = std::string(kPrefix) + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  lab->participants_ = participants;
  lab->aggregator_ns_ = lab->prefix_ + "-agg";
  const auto& ip = lab->ip_;
  auto step = [&](const std::string& command) {
    std::string failed = run_or_why(command);
    if (!failed.empty()) *why = "cannot build the test network: " + failed;
    return failed.empty();
  };
  if (!step(ip + " netns add " + lab->aggregator_ns_)) return nullptr;
  lab->created_.push_back(lab->aggregator_ns_);
  if (!step(ip + " -n " + lab->aggregator_ns_ + " link set lo up")) return nullptr;
  for (std::size_t i = 0; i < participants; ++i) {
    const std::string ns = lab->participant_ns(i);
    const std::string subnet = "10.201." + std::to_string(i) + ".";
    if (!step(ip + " netns add " + ns)) return nullptr;
    lab->created_.push_back(ns);
    // Both ends are created inside their namespaces: no name ever lives in the host's namespace.
    if (!step(ip + " -n " + ns + " link set lo up") ||
        !step(ip + " link add " + lab->participant_dev(i) + " netns " + ns + " type veth peer name " +
              lab->aggregator_dev(i) + " netns " + lab->aggregator_ns_) ||
        !step(ip + " -n " + ns + " addr add " + subnet + "2/24 dev " + lab->participant_dev(i)) ||
        !step(ip + " -n " + lab->aggregator_ns_ + " addr add " + subnet + "1/24 dev " + lab->aggregator_dev(i)) ||
        !step(ip + " -n " + ns + " link set " + lab->participant_dev(i) + " up") ||
        !step(ip + " -n " + lab->aggregator_ns_ + " link set " + lab->aggregator_dev(i) + " up")) {
      return nullptr;
    }
  }
  return lab;
}

NetworkLab::~NetworkLab() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) (void)run_command(ip_ + " netns delete " + *it);
}

std::string NetworkLab::participant_ns(std::size_t i) const { return prefix_ + "-p" + std::to_string(i); }
std::string NetworkLab::participant_dev(std::size_t i) const { return "fwp" + std::to_string(i); }
std::string NetworkLab::aggregator_dev(std::size_t i) const { return "fwa" + std::to_string(i); }

std::string NetworkLab::aggregator_address_for(std::size_t i) { return "10.201." + std::to_string(i) + ".1"; }

std::vector<std::string> NetworkLab::in_aggregator(const std::vector<std::string>& command) const {
  std::vector<std::string> argv{"netns", "exec", aggregator_ns_};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::vector<std::string> NetworkLab::in_participant(std::size_t i, const std::vector<std::string>& command) const {
  std::vector<std::string> argv{"netns", "exec", participant_ns(i)};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

bool NetworkLab::partition(std::size_t i, std::string* why) {
  *why = run_or_why(ip_ + " -n " + participant_ns(i) + " link set " + participant_dev(i) + " down");
  return why->empty();
}

bool NetworkLab::heal(std::size_t i, std::string* why) {
  *why = run_or_why(ip_ + " -n " + participant_ns(i) + " link set " + participant_dev(i) + " up");
  return why->empty();
}

Impairment NetworkLab::impair(std::size_t i, int delay_ms, int loss_percent, int fallback_rate_kbit) {
  Impairment out;
  const std::string ends[2][2] = {{participant_ns(i), participant_dev(i)}, {aggregator_ns_, aggregator_dev(i)}};
  const std::string netem = "netem delay " + std::to_string(delay_ms) + "ms loss " + std::to_string(loss_percent) + "%";
  std::string netem_failed;
  for (const auto& [ns, dev] : ends) {
    netem_failed = run_or_why(ip_ + " netns exec " + ns + " " + tc_ + " qdisc add dev " + dev + " root " + netem);
    if (!netem_failed.empty()) break;
  }
  if (netem_failed.empty()) {
    out.method = netem + " (both directions)";
    out.delay = out.loss = true;
    return out;
  }
  // No netem (e.g. "Specified qdisc kind is unknown"): a slow link for delay, cBPF for loss.
  const std::string rate = std::to_string(fallback_rate_kbit) + "kbit";
  std::string tbf_failed;
  (void)limit_rate(i, fallback_rate_kbit, &tbf_failed);
  const auto threshold =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(loss_percent) / 100.0 * 4294967296.0));
  const std::string program =
      "4,32 0 0 4294963256,37 1 0 " + std::to_string(threshold > 0 ? threshold - 1 : 0) + ",6 0 0 4294967295,6 0 0 0";
  std::string bpf_failed;
  for (const auto& [ns, dev] : ends) {
    const std::string sink = "fwsink" + std::to_string(i);
    bpf_failed = run_or_why(ip_ + " -n " + ns + " link add " + sink + " type veth peer name " + sink + "x");
    if (bpf_failed.empty())
      bpf_failed = run_or_why(ip_ + " netns exec " + ns + " " + tc_ + " qdisc add dev " + dev + " clsact");
    if (bpf_failed.empty()) {
      bpf_failed = run_or_why(ip_ + " netns exec " + ns + " " + tc_ + " filter add dev " + dev +
                              " egress bpf bytecode '" + program + "' action mirred egress redirect dev " + sink);
    }
    if (!bpf_failed.empty()) break;
  }
  std::vector<std::string> parts;
  if (tbf_failed.empty()) {
    out.delay = true;
    parts.push_back("tbf rate " + rate + " (a slow link: packets wait in its queue)");
  }
  if (bpf_failed.empty() && loss_percent > 0) {
    out.loss = true;
    parts.push_back("cBPF random drop " + std::to_string(loss_percent) + "% (mirred to a down link)");
  }
  for (const auto& p : parts) out.method += (out.method.empty() ? "" : " + ") + p;
  out.method += " (both directions)";
  out.not_done = "netem: " + netem_failed;
  if (!tbf_failed.empty()) out.not_done += "; tbf: " + tbf_failed;
  if (!bpf_failed.empty()) out.not_done += "; cBPF drop: " + bpf_failed;
  return out;
}

bool NetworkLab::limit_rate(std::size_t i, int kbit, std::string* why) {
  for (const auto& [ns, dev] :
       {std::pair{participant_ns(i), participant_dev(i)}, std::pair{aggregator_ns_, aggregator_dev(i)}}) {
    *why = run_or_why(ip_ + " netns exec " + ns + " " + tc_ + " qdisc replace dev " + dev + " root tbf rate " +
                      std::to_string(kbit) + "kbit burst 16kb latency 400ms");
    if (!why->empty()) return false;
  }
  return true;
}

long long NetworkLab::bytes_sent(std::size_t i) const {
  const auto r = run_command(ip_ + " -j -s -n " + participant_ns(i) + " link show dev " + participant_dev(i));
  const auto doc = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array() || doc.empty() || !doc[0].contains("stats64")) return -1;
  return doc[0]["stats64"]["tx"]["bytes"].get<long long>();
}

long NetworkLab::dropped_packets(std::size_t i) const {
  long total = 0;
  for (const auto& [ns, dev] :
       {std::pair{participant_ns(i), participant_dev(i)}, std::pair{aggregator_ns_, aggregator_dev(i)}}) {
    const auto r = run_command(ip_ + " netns exec " + ns + " " + tc_ + " -s filter show dev " + dev + " egress");
    const auto at = r.output.find("overlimits ");
    if (at != std::string::npos) total += std::stol(r.output.substr(at + 11));
  }
  return total;
}

}  // namespace flywheel::testing
