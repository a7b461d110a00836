// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Keystore v3: the two test vectors of the Web3 Secret Storage Definition, round trips, error
// reporting, and interoperability with Foundry's cast (which writes and decrypts keystores).
#include "common/keystore.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#ifndef FLYWHEEL_SOURCE_DIR
#define FLYWHEEL_SOURCE_DIR "."
#endif

namespace flywheel {
namespace {

namespace fs = std::filesystem;

// Web3 Secret Storage Definition, "Test Vectors": password "testpassword", secret below.
constexpr std::string_view kVectorSecret = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
constexpr std::string_view kVectorPassword = "testpassword";

constexpr std::string_view kPbkdf2Vector = R"({
  "crypto" : {
    "cipher" : "aes-128-ctr",
    "cipherparams" : { "iv" : "6087dab2f9fdbbfaddc31a909735c1e6" },
    "ciphertext" : "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    "kdf" : "pbkdf2",
    "kdfparams" : {
      "c" : 262144,
      "dklen" : 32,
      "prf" : "hmac-sha256",
      "salt" : "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
    },
    "mac" : "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
  },
  "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version" : 3
})";

constexpr std::string_view kScryptVector = R"({
  "crypto" : {
    "cipher" : "aes-128-ctr",
    "cipherparams" : { "iv" : "83dbcc02d8ccb40e466191a123791e0e" },
    "ciphertext" : "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    "kdf" : "scrypt",
    "kdfparams" : {
      "dklen" : 32,
      "n" : 262144,
      "r" : 1,
      "p" : 8,
      "salt" : "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"
    },
    "mac" : "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
  },
  "id" : "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version" : 3
})";

// Small parameters keep round trips fast; the official vectors cover the real ones.
const KeystoreOptions kFastScrypt{.kdf = KeystoreKdf::scrypt, .n = 1024, .r = 8, .p = 1};
const KeystoreOptions kFastPbkdf2{.kdf = KeystoreKdf::pbkdf2, .c = 1000};

std::string cast_path() {
  return std::string(FLYWHEEL_SOURCE_DIR) + "/node_modules/@foundry-rs/cast-linux-amd64/bin/cast";
}

// Runs a command without a shell; returns its exit status and stdout.
struct Run {
  int status = -1;
  std::string out;
};
Run run(std::vector<std::string> args) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  Run result;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buf.data(), buf.size())) > 0) result.out.append(buf.data(), n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!result.out.empty() && (result.out.back() == '\n' || result.out.back() == ' ')) {
    result.out.pop_back();
  }
  return result;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "flywheel-keystore-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

nlohmann::json parse(std::string_view text) { return nlohmann::json::parse(text); }

TEST(Keystore, OfficialPbkdf2VectorDecryptsToTheKnownKey) {
  auto key = decrypt_keystore(kPbkdf2Vector, kVectorPassword);
  ASSERT_TRUE(key) << key.error().to_string();
  EXPECT_EQ(to_hex(key->secret(), false), kVectorSecret);
}

TEST(Keystore, OfficialScryptVectorDecryptsToTheKnownKey) {
  auto key = decrypt_keystore(kScryptVector, kVectorPassword);
  ASSERT_TRUE(key) << key.error().to_string();
  EXPECT_EQ(to_hex(key->secret(), false), kVectorSecret);
}

TEST(Keystore, WrongPasswordIsAMacMismatch) {
  auto key = decrypt_keystore(kPbkdf2Vector, "not the password");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::crypto);
  EXPECT_EQ(key.error().message, "wrong password (MAC mismatch)");
}

TEST(Keystore, TamperedCiphertextIsAMacMismatch) {
  auto doc = parse(kPbkdf2Vector);
  doc["crypto"]["ciphertext"] = "6318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46";
  auto key = decrypt_keystore(doc.dump(), kVectorPassword);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::crypto);
}

TEST(Keystore, MissingFieldIsAParseErrorNamingIt) {
  auto doc = parse(kPbkdf2Vector);
  doc["crypto"]["kdfparams"].erase("salt");
  auto key = decrypt_keystore(doc.dump(), kVectorPassword);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::parse);
  EXPECT_NE(key.error().message.find("crypto.kdfparams.salt"), std::string::npos) << key.error().message;
}

TEST(Keystore, MalformedHexIsAParseErrorNamingTheField) {
  auto doc = parse(kScryptVector);
  doc["crypto"]["cipherparams"]["iv"] = "zz";
  auto key = decrypt_keystore(doc.dump(), kVectorPassword);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::parse);
  EXPECT_NE(key.error().message.find("crypto.cipherparams.iv"), std::string::npos) << key.error().message;
}

TEST(Keystore, UnsupportedCipherKdfAndVersionAreParseErrors) {
  auto cipher = parse(kPbkdf2Vector);
  cipher["crypto"]["cipher"] = "aes-128-cbc";
  EXPECT_EQ(decrypt_keystore(cipher.dump(), kVectorPassword).error().code, Errc::parse);
  auto kdf = parse(kPbkdf2Vector);
  kdf["crypto"]["kdf"] = "argon2";
  auto k = decrypt_keystore(kdf.dump(), kVectorPassword);
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("crypto.kdf"), std::string::npos);
  auto version = parse(kPbkdf2Vector);
  version["version"] = 1;
  EXPECT_EQ(decrypt_keystore(version.dump(), kVectorPassword).error().code, Errc::parse);
}

TEST(Keystore, ScryptCostThatIsNotAPowerOfTwoIsRejectedBeforeDeriving) {
  auto doc = parse(kScryptVector);
  doc["crypto"]["kdfparams"]["n"] = 1000;
  auto key = decrypt_keystore(doc.dump(), kVectorPassword);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::parse);
  EXPECT_NE(key.error().message.find("crypto.kdfparams.n"), std::string::npos);
}

TEST(Keystore, NotJsonIsAParseError) { EXPECT_EQ(decrypt_keystore("{nope", "pw").error().code, Errc::parse); }

TEST(Keystore, AddressFieldThatDoesNotMatchTheKeyIsRejected) {
  auto doc = parse(kPbkdf2Vector);
  doc["address"] = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266";
  auto key = decrypt_keystore(doc.dump(), kVectorPassword);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, Errc::crypto);
}

TEST(Keystore, ScryptRoundTripRestoresTheKey) {
  const PrivateKey key = PrivateKey::random();
  auto text = encrypt_keystore(key, "pw", kFastScrypt);
  ASSERT_TRUE(text) << text.error().to_string();
  const auto doc = parse(*text);
  EXPECT_EQ(doc["crypto"]["kdf"], "scrypt");
  EXPECT_EQ(doc["crypto"]["kdfparams"]["n"], 1024);
  EXPECT_EQ(doc["address"], to_hex(key.address().view(), false));
  auto back = decrypt_keystore(*text, "pw");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->secret(), key.secret());
}

TEST(Keystore, Pbkdf2RoundTripRestoresTheKey) {
  const PrivateKey key = PrivateKey::random();
  auto text = encrypt_keystore(key, "correct horse", kFastPbkdf2);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(parse(*text)["crypto"]["kdfparams"]["prf"], "hmac-sha256");
  auto back = decrypt_keystore(*text, "correct horse");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->secret(), key.secret());
}

TEST(Keystore, TwoEncryptionsOfOneKeyUseFreshSaltAndIv) {
  const PrivateKey key = PrivateKey::random();
  const auto a = parse(encrypt_keystore(key, "pw", kFastPbkdf2).value());
  const auto b = parse(encrypt_keystore(key, "pw", kFastPbkdf2).value());
  EXPECT_NE(a["crypto"]["kdfparams"]["salt"], b["crypto"]["kdfparams"]["salt"]);
  EXPECT_NE(a["crypto"]["cipherparams"]["iv"], b["crypto"]["cipherparams"]["iv"]);
  EXPECT_NE(a["id"], b["id"]);
}

TEST(Keystore, OutOfRangeOptionsAreInvalidArguments) {
  const PrivateKey key = PrivateKey::random();
  EXPECT_EQ(encrypt_keystore(key, "pw", {.kdf = KeystoreKdf::scrypt, .n = 1000}).error().code, Errc::invalid_argument);
  EXPECT_EQ(encrypt_keystore(key, "pw", {.kdf = KeystoreKdf::pbkdf2, .c = 0}).error().code, Errc::invalid_argument);
}

TEST(Keystore, SaveWritesAPrivateFileAndRefusesToOverwrite) {
  TempDir dir;
  const fs::path file = dir.path() / "key.json";
  const PrivateKey key = PrivateKey::random();
  ASSERT_TRUE(save_keystore(file, key, "pw", kFastScrypt));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = save_keystore(file, PrivateKey::random(), "pw", kFastScrypt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::io);
  EXPECT_EQ(load_keystore(file, "pw").value().secret(), key.secret());
  // Only the keystore is left in the folder: no temp file.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(Keystore, LoadingAMissingFileIsNotFound) {
  EXPECT_EQ(load_keystore("/nonexistent/keystore.json", "pw").error().code, Errc::not_found);
}

class KeystoreWithCast : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(cast_path().c_str(), X_OK) != 0) {
      GTEST_SKIP() << "cast not installed at " << cast_path() << " (run `npm ci`)";
    }
  }
  TempDir dir_;
};

TEST_F(KeystoreWithCast, KeystoreImportedByCastLoadsToTheSameKey) {
  const PrivateKey key = PrivateKey::random();
  const std::string key_hex = to_hex(key.secret());
  auto imported = run({cast_path(), "wallet", "import", "imported", "--private-key", key_hex, "--unsafe-password", "pw",
                       "--keystore-dir", dir_.path().string()});
  ASSERT_EQ(imported.status, 0) << imported.out;
  auto loaded = load_keystore(dir_.path() / "imported", "pw");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->secret(), key.secret());
}

TEST_F(KeystoreWithCast, KeystoreCreatedByCastLoadsToTheAddressCastReports) {
  auto created = run({cast_path(), "wallet", "new", dir_.path().string(), "--unsafe-password", "pw"});
  ASSERT_EQ(created.status, 0) << created.out;
  ASSERT_EQ(std::distance(fs::directory_iterator(dir_.path()), fs::directory_iterator()), 1);
  const fs::path file = fs::directory_iterator(dir_.path())->path();
  auto cast_address = run({cast_path(), "wallet", "address", "--keystore", file.string(), "--password", "pw"});
  ASSERT_EQ(cast_address.status, 0) << cast_address.out;
  auto loaded = load_keystore(file, "pw");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(to_checksum(loaded->address()), cast_address.out);
  EXPECT_EQ(load_keystore(file, "wrong").error().code, Errc::crypto);
}

TEST_F(KeystoreWithCast, CastDecryptsAScryptKeystoreSavedHere) {
  const PrivateKey key = PrivateKey::random();
  const fs::path file = dir_.path() / "scrypt.json";
  ASSERT_TRUE(save_keystore(file, key, "pw", kFastScrypt));
  auto address = run({cast_path(), "wallet", "address", "--keystore", file.string(), "--password", "pw"});
  ASSERT_EQ(address.status, 0) << address.out;
  EXPECT_EQ(address.out, to_checksum(key.address()));
}

TEST_F(KeystoreWithCast, CastDecryptsAPbkdf2KeystoreSavedHere) {
  const PrivateKey key = PrivateKey::random();
  const fs::path file = dir_.path() / "pbkdf2.json";
  ASSERT_TRUE(save_keystore(file, key, "pw", kFastPbkdf2));
  auto address = run({cast_path(), "wallet", "address", "--keystore", file.string(), "--password", "pw"});
  ASSERT_EQ(address.status, 0) << address.out;
  EXPECT_EQ(address.out, to_checksum(key.address()));
}

TEST_F(KeystoreWithCast, CastRejectsTheWrongPasswordForAKeystoreSavedHere) {
  const fs::path file = dir_.path() / "k.json";
  ASSERT_TRUE(save_keystore(file, PrivateKey::random(), "pw", kFastScrypt));
  auto address = run({cast_path(), "wallet", "address", "--keystore", file.string(), "--password", "nope"});
  EXPECT_NE(address.status, 0);
}

}  // namespace
}  // namespace flywheel
