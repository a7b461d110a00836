// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A small network for fault tests (tests/network_fault_test.cpp): one Linux network namespace for
//! the aggregator and one per participant, each participant joined to the aggregator by its own
//! veth pair (participant i: 10.201.i.2/24 on its side, 10.201.i.1/24 on the aggregator's), so a
//! test can cut, slow or thin one participant's link while the others run untouched. Needs root
//! and iproute2's `ip` and `tc`.
//!
//!   std::string why;
//!   auto lab = NetworkLab::create(3, &why);
//!   if (!lab) GTEST_SKIP() << why;
//!   ChildProcess agg("/usr/sbin/ip", lab->in_aggregator({flywheel, "aggregator", ...}), log);
//!   lab->partition(0);   // participant 0's link goes down
//!   lab->heal(0);
//!
//! Names carry the test process's id ("fwnf<pid>-<k>-agg"), so parallel test runs never collide;
//! the destructor deletes every namespace it made (and with them the veths), and create() first
//! deletes namespaces left by test processes that no longer exist (a test killed by ctest).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace flywheel::testing {

//! What impair() put on a link, for the test's report.
struct Impairment {
  std::string method;    //!< e.g. "netem delay 40ms loss 5%" or "tbf 2mbit + cBPF random drop 5%"
  bool delay = false;    //!< packets are delayed (netem) or queued behind a slow rate (tbf)
  bool loss = false;     //!< packets are dropped at random
  std::string not_done;  //!< what could not be applied in this kernel, and why (empty when all was)
};

class NetworkLab {
 public:
  //! Creates the namespaces and links for `participants` participants, or nullptr with the reason
  //! in `why` (not root, no `ip`, a namespace or veth that cannot be created).
  static std::unique_ptr<NetworkLab> create(std::size_t participants, std::string* why);
  ~NetworkLab();
  NetworkLab(const NetworkLab&) = delete;
  NetworkLab& operator=(const NetworkLab&) = delete;

  //! `ip` followed by "netns exec <aggregator namespace>" and `command`: argv for ChildProcess.
  [[nodiscard]] std::vector<std::string> in_aggregator(const std::vector<std::string>& command) const;
  //! The same for participant i's namespace.
  [[nodiscard]] std::vector<std::string> in_participant(std::size_t i, const std::vector<std::string>& command) const;
  //! The `ip` binary that in_aggregator/in_participant argv start with.
  [[nodiscard]] const std::string& ip_binary() const { return ip_; }
  //! The aggregator's address as participant i dials it ("10.201.i.1").
  [[nodiscard]] static std::string aggregator_address_for(std::size_t i);

  //! Cuts participant i off: its side of the veth goes down (in-flight TCP segments are lost and
  //! retransmitted once the link is back). False, with the output in `why`, when `ip` fails.
  bool partition(std::size_t i, std::string* why);
  //! Brings participant i's link back up.
  bool heal(std::size_t i, std::string* why);
  //! Limits participant i's link to `kbit` kbit/s in both directions (tbf): a slow link, whose
  //! queue also delays packets. False, with the output in `why`, when `tc` fails.
  bool limit_rate(std::size_t i, int kbit, std::string* why);
  //! Bytes participant i's side of its link has sent so far (its uploads, on the wire), or -1.
  [[nodiscard]] long long bytes_sent(std::size_t i) const;
  //! Delays and drops participant i's packets in both directions: netem `delay_ms` and `loss_percent`
  //! where the kernel has sch_netem; otherwise a token-bucket rate of `fallback_rate_kbit` (tbf, a
  //! slow link whose queue delays packets) and a classic-BPF filter that redirects a random
  //! `loss_percent` of packets to a link that is down, where they are dropped (no gact or police
  //! needed). What was applied, and what could not be, is in the result.
  Impairment impair(std::size_t i, int delay_ms, int loss_percent, int fallback_rate_kbit);
  //! Packets the loss filter dropped on participant i's link so far (both directions; 0 without one).
  [[nodiscard]] long dropped_packets(std::size_t i) const;

 private:
  NetworkLab() = default;
  [[nodiscard]] std::string participant_ns(std::size_t i) const;
  [[nodiscard]] std::string participant_dev(std::size_t i) const;
  [[nodiscard]] std::string aggregator_dev(std::size_t i) const;

  std::string ip_;
  std::string tc_;
  std::string prefix_;
  std::string aggregator_ns_;
  std::size_t participants_ = 0;
  std::vector<std::string> created_;  // namespaces to delete
};

}  // namespace flywheel::testing
