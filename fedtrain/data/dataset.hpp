// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) read from its gzip-compressed IDX files, the format
//! of LeCun's MNIST distribution: a big-endian magic (0x00000803 images, 0x00000801 labels), the
//! dimension sizes as big-endian uint32, then unsigned bytes.
//! Every mode's data comes from here; fedtrain/data/job_data.hpp splits it for a job.
//!
//!   auto train = load_fashion_mnist(kDefaultFashionMnistRoot, Split::train);  // 60 000 rows
//!   auto test = load_fashion_mnist(root, Split::test, /*limit=*/1000);         // the first 1 000
//!   std::span<const float> x = train->row(0);      // 784 normalised pixels
//!   std::int64_t y = train->labels[0];             // its class, in [0, 10)

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kDefaultFashionMnistRoot = "/usr/share/datasets/fashion-mnist";

//! Mean and standard deviation of Fashion-MNIST pixels scaled to [0, 1] (training set).
inline constexpr float kFashionMnistMean = 0.2860F;
inline constexpr float kFashionMnistStd = 0.3530F;

//! An in-memory image classification dataset: row-major N×kFeatures normalised pixels and N
//! labels in [0, kClasses).
struct Dataset {
  static constexpr std::size_t kFeatures = 784;  //!< 28×28 pixels
  static constexpr std::size_t kClasses = 10;

  std::vector<float> images;         //!< N×784, (pixel/255 − mean) / std
  std::vector<std::int64_t> labels;  //!< N class ids

  //! Number of samples.
  [[nodiscard]] std::size_t size() const { return labels.size(); }
  //! The 784 features of sample `index` (unchecked).
  [[nodiscard]] std::span<const float> row(std::size_t index) const {
    return {images.data() + index * kFeatures, kFeatures};
  }
};

//! Which half of Fashion-MNIST to read: train (60 000 samples) or test (10 000).
enum class Split { train, test };

//! Loads a Fashion-MNIST split from `root` (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
//! t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz). `limit` > 0 keeps only the first `limit`
//! samples (and reads no further). Errc::data when the directory or a file is missing (the message
//! names the path and how to install the package), when a magic number or dimension is wrong, when
//! a file is truncated, when a label is out of range, or when images and labels disagree in count.
Result<Dataset> load_fashion_mnist(const std::filesystem::path& root, Split split, std::size_t limit = 0);

//! Reads one IDX images file (magic 0x803, 28×28) and normalises it; at most `limit` images when
//! `limit` > 0. Errc::data as for load_fashion_mnist. Exposed for tests of malformed files.
Result<std::vector<float>> read_idx_images(const std::filesystem::path& file, std::size_t limit = 0);

//! Reads one IDX labels file (magic 0x801), at most `limit` labels when `limit` > 0. Errc::data when
//! missing, malformed, truncated, or when a label is ≥ Dataset::kClasses.
Result<std::vector<std::int64_t>> read_idx_labels(const std::filesystem::path& file, std::size_t limit = 0);

}  // namespace flywheel::fedtrain
