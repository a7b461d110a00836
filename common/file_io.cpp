// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace flywheel {

Result<std::string> read_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(Errc::not_found, std::string(what) + " " + path.string() + " does not exist");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return fail(Errc::io, "cannot read " + std::string(what) + " " + path.string() + ": it is a folder");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Errc::io, "cannot read " + std::string(what) + " " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(Errc::io, "error reading " + std::string(what) + " " + path.string());
  return text.str();
}

namespace {

// Writes all of `bytes` to `fd` and closes it; on failure removes `path` (the file just created).
Result<void> write_and_close(int fd, const std::filesystem::path& path, std::string_view bytes, unsigned mode) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
      return fail(Errc::io, "error writing " + path.string() + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  // The umask may have narrowed the mode (a key must end up exactly 0600).
  const bool chmod_ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0;
  const int chmod_errno = errno;
  if (::close(fd) != 0 || !chmod_ok) {
    const std::string why = std::strerror(chmod_ok ? errno : chmod_errno);
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return fail(Errc::io, "error writing " + path.string() + ": " + why);
  }
  return {};
}

}  // namespace

Result<void> write_new_file(const std::filesystem::path& path, std::string_view bytes, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    const int error = errno;
    return fail(Errc::io, "cannot create " + path.string() + ": " + std::strerror(error) +
                              (error == EEXIST ? " (refusing to overwrite it)" : ""));
  }
  return write_and_close(fd, path, bytes, mode);
}

Result<void> write_atomically(const std::filesystem::path& path, std::string_view bytes) {
  auto tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::io, "cannot write " + tmp.string() + ": " + std::strerror(errno));
  FLYWHEEL_TRY(write_and_close(fd, tmp, bytes, 0644));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Errc::io, "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return {};
}

Result<nlohmann::json> read_json_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return fail(Errc::not_found, text.error().message);
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::config, path.string() + " is not valid JSON: " + e.what());
  }
}

Result<void> write_json_atomically(const std::filesystem::path& path, const nlohmann::json& value) {
  return write_atomically(path, value.dump(2) + "\n");
}

}  // namespace flywheel
