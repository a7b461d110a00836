// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// IDX reader for Fashion-MNIST, https://github.com/zalandoresearch/fashion-mnist (file format as
// documented for MNIST at http://yann.lecun.com/exdb/mnist/). zlib's gzread also reads plain,
// uncompressed files, so an unpacked copy works too.
#include "fedtrain/data/dataset.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <system_error>

#include <zlib.h>

namespace flywheel::fedtrain {
namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;
constexpr std::uint32_t kLabelsMagic = 0x00000801;
constexpr std::uint32_t kSide = 28;
constexpr const char* kInstallHint =
    "install the Debian package dataset-fashion-mnist: apt-get install dataset-fashion-mnist";

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

Result<GzFile> open_gz(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(Errc::data, "dataset file " + file.string() + " does not exist; " + kInstallHint +
                                " (or point data.root at a directory holding the IDX files)");
  }
  GzFile handle(gzopen(file.c_str(), "rb"));
  if (!handle) return fail(Errc::data, "cannot open dataset file " + file.string());
  gzbuffer(handle.get(), 1U << 17);
  return handle;
}

// Reads exactly `size` bytes; a short read means a truncated or corrupt file.
Result<void> read_exact(gzFile_s* file, void* out, std::size_t size, const std::filesystem::path& path) {
  auto* cursor = static_cast<unsigned char*>(out);
  while (size > 0) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size, 1U << 30));
    const int got = gzread(file, cursor, chunk);
    if (got <= 0) {
      int errnum = 0;
      const char* message = gzerror(file, &errnum);
      return fail(Errc::data, "dataset file " + path.string() + " is truncated or corrupt (" +
                                  (errnum != Z_OK && message ? message : "unexpected end of file") +
                                  "); reinstall it: " + kInstallHint);
    }
    cursor += got;
    size -= static_cast<std::size_t>(got);
  }
  return {};
}

Result<std::uint32_t> read_be32(gzFile_s* file, const std::filesystem::path& path) {
  std::array<unsigned char, 4> raw{};
  FLYWHEEL_TRY(read_exact(file, raw.data(), raw.size(), path));
  return (std::uint32_t{raw[0]} << 24) | (std::uint32_t{raw[1]} << 16) | (std::uint32_t{raw[2]} << 8) |
         std::uint32_t{raw[3]};
}

std::string hex32(std::uint32_t value) {
  std::array<char, 11> text{};
  std::snprintf(text.data(), text.size(), "0x%08x", value);
  return text.data();
}

Result<void> expect_magic(gzFile_s* file, std::uint32_t expected, const std::filesystem::path& path) {
  auto magic = read_be32(file, path);
  if (!magic) return tl::unexpected(magic.error());
  if (*magic != expected) {
    return fail(Errc::data, "dataset file " + path.string() + " has magic " + hex32(*magic) + ", expected " +
                                hex32(expected) + " (not an IDX file of this kind)");
  }
  return {};
}

}  // namespace

Result<std::vector<float>> read_idx_images(const std::filesystem::path& file, std::size_t limit) {
  auto handle = open_gz(file);
  if (!handle) return tl::unexpected(handle.error());
  gzFile_s* gz = handle->get();
  FLYWHEEL_TRY(expect_magic(gz, kImagesMagic, file));
  auto count = read_be32(gz, file);
  if (!count) return tl::unexpected(count.error());
  auto rows = read_be32(gz, file);
  if (!rows) return tl::unexpected(rows.error());
  auto cols = read_be32(gz, file);
  if (!cols) return tl::unexpected(cols.error());
  if (*rows != kSide || *cols != kSide) {
    return fail(Errc::data, "dataset file " + file.string() + " holds " + std::to_string(*rows) + "x" +
                                std::to_string(*cols) + " images, expected 28x28");
  }
  std::size_t n = *count;
  if (limit > 0 && limit < n) n = limit;
  std::vector<unsigned char> raw(n * Dataset::kFeatures);
  FLYWHEEL_TRY(read_exact(gz, raw.data(), raw.size(), file));
  std::vector<float> images(raw.size());
  constexpr float kScale = 1.0F / (255.0F * kFashionMnistStd);
  constexpr float kShift = kFashionMnistMean / kFashionMnistStd;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    images[i] = static_cast<float>(raw[i]) * kScale - kShift;
  }
  return images;
}

Result<std::vector<std::int64_t>> read_idx_labels(const std::filesystem::path& file, std::size_t limit) {
  auto handle = open_gz(file);
  if (!handle) return tl::unexpected(handle.error());
  gzFile_s* gz = handle->get();
  FLYWHEEL_TRY(expect_magic(gz, kLabelsMagic, file));
  auto count = read_be32(gz, file);
  if (!count) return tl::unexpected(count.error());
  std::size_t n = *count;
  if (limit > 0 && limit < n) n = limit;
  std::vector<unsigned char> raw(n);
  FLYWHEEL_TRY(read_exact(gz, raw.data(), raw.size(), file));
  std::vector<std::int64_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (raw[i] >= Dataset::kClasses) {
      return fail(Errc::data, "dataset file " + file.string() + " has label " + std::to_string(raw[i]) + " at index " +
                                  std::to_string(i) + ", expected 0..9");
    }
    labels[i] = raw[i];
  }
  return labels;
}

Result<Dataset> load_fashion_mnist(const std::filesystem::path& root, Split split, std::size_t limit) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    return fail(Errc::data, "dataset directory " + root.string() + " does not exist; " + kInstallHint +
                                " (or point data.root at a directory holding the IDX files)");
  }
  const char* prefix = split == Split::train ? "train" : "t10k";
  const auto images_path = root / (std::string(prefix) + "-images-idx3-ubyte.gz");
  const auto labels_path = root / (std::string(prefix) + "-labels-idx1-ubyte.gz");
  auto labels = read_idx_labels(labels_path, limit);
  if (!labels) return tl::unexpected(labels.error());
  auto images = read_idx_images(images_path, limit);
  if (!images) return tl::unexpected(images.error());
  if (images->size() != labels->size() * Dataset::kFeatures) {
    return fail(Errc::data, images_path.string() + " holds " + std::to_string(images->size() / Dataset::kFeatures) +
                                " images but " + labels_path.string() + " holds " + std::to_string(labels->size()) +
                                " labels");
  }
  return Dataset{.images = std::move(*images), .labels = std::move(*labels)};
}

}  // namespace flywheel::fedtrain
