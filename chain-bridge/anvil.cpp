// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Runs anvil (Foundry book, "anvil" reference: --host, --port, --chain-id, --silent) as a child
// process: fork + execv (no shell, no npx), readiness by polling eth_chainId, SIGTERM then SIGKILL.
#include "chain-bridge/anvil.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "chain-bridge/rpc.hpp"

#ifndef FLYWHEEL_SOURCE_DIR
#define FLYWHEEL_SOURCE_DIR "."
#endif

namespace flywheel::chain {
namespace {

// Asks the kernel for a free loopback port. Another process could take it before anvil binds;
// start() then fails fast because anvil exits, and the caller sees its log.
Result<std::uint16_t> free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Errc::io, std::string("socket(): ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) return fail(Errc::io, std::string("finding a free port: ") + std::strerror(saved));
  return ntohs(addr.sin_port);
}

std::string tail_of_file(const std::string& path, std::size_t max_chars = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
  return text.empty() ? "(empty log)" : text;
}

}  // namespace

std::string default_anvil_path() {
  if (const char* env = std::getenv("FLYWHEEL_ANVIL"); env != nullptr && *env != '\0') return env;
  return std::string(FLYWHEEL_SOURCE_DIR) + "/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
}

Result<AnvilProcess> AnvilProcess::start(const AnvilOptions& options) {
  const std::string binary = options.binary.value_or(default_anvil_path());
  if (::access(binary.c_str(), X_OK) != 0) {
    return fail(Errc::not_found, "anvil not found at " + binary +
                                     "; run scripts/test or `npm ci` in the repository root to "
                                     "install it, or set FLYWHEEL_ANVIL to an anvil binary");
  }
  auto port = options.port ? Result<std::uint16_t>(*options.port) : free_port();
  if (!port) return tl::unexpected(port.error());

  AnvilProcess proc;
  std::string dir_template = (std::filesystem::temp_directory_path() / "flywheel-anvil-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    return fail(Errc::io, "cannot create a temp directory for anvil's log: " + std::string(std::strerror(errno)));
  }
  proc.dir_ = dir_template;
  proc.port_ = *port;
  proc.url_ = "http://127.0.0.1:" + std::to_string(*port);

  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> args = {
      binary,    "--host", "127.0.0.1", "--port", std::to_string(*port), "--chain-id", std::to_string(options.chain_id),
      "--silent"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = proc.log_path();
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return fail(Errc::io, "cannot open anvil log " + log + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return fail(Errc::io, std::string("fork(): ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Die with the parent so a crashed test leaves no orphaned node behind.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execv(binary.c_str(), argv.data());
    static constexpr char kMsg[] = "flywheel: execv of anvil failed\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  proc.pid_ = pid;

  RpcClient rpc(proc.url_, RpcOptions{.connect_timeout = std::chrono::milliseconds(500),
                                      .request_timeout = std::chrono::milliseconds(2000)});
  const auto deadline = std::chrono::steady_clock::now() + options.startup_timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      proc.pid_ = -1;
      return fail(Errc::io, "anvil exited during startup (status " + std::to_string(status) +
                                "); its log said: " + tail_of_file(log));
    }
    auto id = rpc.chain_id();
    if (id) {
      if (*id != options.chain_id) {
        return fail(Errc::io, "the node at " + proc.url_ + " reports chain id " + std::to_string(*id) + ", expected " +
                                  std::to_string(options.chain_id) + " (another process took the port?)");
      }
      return proc;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Errc::timeout, "anvil did not answer at " + proc.url_ + " within " +
                                     std::to_string(options.startup_timeout.count()) +
                                     " ms; its log said: " + tail_of_file(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

AnvilProcess::AnvilProcess(AnvilProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      port_(other.port_),
      url_(std::move(other.url_)),
      dir_(std::exchange(other.dir_, std::string())) {}

AnvilProcess& AnvilProcess::operator=(AnvilProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    port_ = other.port_;
    url_ = std::move(other.url_);
    dir_ = std::exchange(other.dir_, std::string());
  }
  return *this;
}

AnvilProcess::~AnvilProcess() { stop(); }

void AnvilProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool reaped = false;
    while (std::chrono::steady_clock::now() < deadline) {
      const pid_t r = ::waitpid(pid_, nullptr, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;  // best effort: a leftover temp dir is harmless
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace flywheel::chain
