// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/file_io.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace flywheel {
namespace {

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "flywheel-file-io-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FileIo, WhatIsWrittenAtomicallyReadsBackByteForByte) {
  const std::string bytes("a\0b\n\xff", 5);
  ASSERT_TRUE(write_atomically(dir_ / "f.bin", bytes));
  EXPECT_EQ(read_file(dir_ / "f.bin").value(), bytes);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "f.bin.tmp"));
}

TEST_F(FileIo, AWriteReplacesTheWholeOldFile) {
  ASSERT_TRUE(write_atomically(dir_ / "f", "a much longer first version"));
  ASSERT_TRUE(write_atomically(dir_ / "f", "short"));
  EXPECT_EQ(read_file(dir_ / "f").value(), "short");
}

TEST_F(FileIo, AMissingFileIsNotFoundNamingWhatItIs) {
  const auto r = read_file(dir_ / "nope.json", "job file");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_EQ(r.error().message, "job file " + (dir_ / "nope.json").string() + " does not exist");
}

TEST_F(FileIo, AWriteIntoAMissingFolderFailsAndLeavesNothing) {
  const auto r = write_atomically(dir_ / "missing" / "f", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().message.find("cannot write " + (dir_ / "missing" / "f.tmp").string()), std::string::npos)
      << r.error().message;
}

TEST_F(FileIo, ANewFileGetsExactlyItsModeAndNeverReplacesAnother) {
  ASSERT_TRUE(write_new_file(dir_ / "key.pem", "secret", 0600));
  EXPECT_EQ(std::filesystem::status(dir_ / "key.pem").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto again = write_new_file(dir_ / "key.pem", "other", 0600);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("(refusing to overwrite it)"), std::string::npos) << again.error().message;
  EXPECT_EQ(read_file(dir_ / "key.pem").value(), "secret");
}

TEST_F(FileIo, AFolderIsNotReadAsAFile) {
  const auto r = read_file(dir_, "config");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
}

}  // namespace
}  // namespace flywheel
