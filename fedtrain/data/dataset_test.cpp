// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <zlib.h>

#include "fedtrain/internal/test_paths.hpp"

namespace flywheel::fedtrain {
namespace {

void write_gz(const std::filesystem::path& path, const std::vector<unsigned char>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
}

TEST(FashionMnist, TestSplitHasTenThousandLabelledImages) {
  auto test = load_fashion_mnist(kDefaultFashionMnistRoot, Split::test);
  ASSERT_TRUE(test) << test.error().to_string();
  EXPECT_EQ(test->size(), 10000U);
  EXPECT_EQ(test->images.size(), 10000U * Dataset::kFeatures);
  EXPECT_EQ(*std::min_element(test->labels.begin(), test->labels.end()), 0);
  EXPECT_EQ(*std::max_element(test->labels.begin(), test->labels.end()), 9);
  // The test split is balanced: 1000 images per class.
  EXPECT_EQ(std::count(test->labels.begin(), test->labels.end(), 3), 1000);
}

TEST(FashionMnist, TrainSplitHasSixtyThousandNormalisedImages) {
  auto train = load_fashion_mnist(kDefaultFashionMnistRoot, Split::train);
  ASSERT_TRUE(train) << train.error().to_string();
  EXPECT_EQ(train->size(), 60000U);
  double sum = 0;
  for (float v : train->images) sum += v;
  // Normalised with the training set's own mean, so the mean is close to zero.
  EXPECT_NEAR(sum / static_cast<double>(train->images.size()), 0.0, 0.01);
  EXPECT_FLOAT_EQ(*std::min_element(train->images.begin(), train->images.end()), -kFashionMnistMean / kFashionMnistStd);
}

TEST(FashionMnist, LimitReadsOnlyTheFirstSamples) {
  auto full = load_fashion_mnist(kDefaultFashionMnistRoot, Split::test);
  auto head = load_fashion_mnist(kDefaultFashionMnistRoot, Split::test, 100);
  ASSERT_TRUE(full && head);
  ASSERT_EQ(head->size(), 100U);
  EXPECT_TRUE(std::equal(head->labels.begin(), head->labels.end(), full->labels.begin()));
  EXPECT_TRUE(std::equal(head->images.begin(), head->images.end(), full->images.begin()));
}

TEST(FashionMnist, MissingDirectoryNamesThePackageToInstall) {
  auto missing = load_fashion_mnist("/nonexistent/fashion-mnist", Split::test);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::data);
  EXPECT_NE(missing.error().message.find("/nonexistent/fashion-mnist"), std::string::npos);
  EXPECT_NE(missing.error().message.find("apt-get install dataset-fashion-mnist"), std::string::npos);
}

TEST(FashionMnist, MissingFileIsNamed) {
  const auto dir = internal::fresh_temp_dir("fedtrain-dataset-missing");
  auto missing = load_fashion_mnist(dir, Split::test);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::data);
  EXPECT_NE(missing.error().message.find("t10k-labels-idx1-ubyte.gz"), std::string::npos);
}

TEST(FashionMnist, WrongMagicIsRejected) {
  const auto dir = internal::fresh_temp_dir("fedtrain-dataset-magic");
  // A labels header (0x801) where an images file is expected.
  write_gz(dir / "images.gz", {0, 0, 8, 1, 0, 0, 0, 1, 3});
  auto images = read_idx_images(dir / "images.gz");
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error().code, Errc::data);
  EXPECT_NE(images.error().message.find("magic 0x00000801"), std::string::npos);
}

TEST(FashionMnist, TruncatedFileIsRejected) {
  const auto dir = internal::fresh_temp_dir("fedtrain-dataset-truncated");
  // Claims 2 images of 28×28 but holds only 10 pixel bytes.
  std::vector<unsigned char> bytes{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
  bytes.resize(bytes.size() + 10, 7);
  write_gz(dir / "images.gz", bytes);
  auto images = read_idx_images(dir / "images.gz");
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error().code, Errc::data);
  EXPECT_NE(images.error().message.find("truncated"), std::string::npos);
}

TEST(FashionMnist, GarbageThatIsNotGzipIsRejected) {
  const auto dir = internal::fresh_temp_dir("fedtrain-dataset-garbage");
  std::ofstream(dir / "labels.gz") << "this is not an IDX file";
  auto labels = read_idx_labels(dir / "labels.gz");
  ASSERT_FALSE(labels);
  EXPECT_EQ(labels.error().code, Errc::data);
}

TEST(FashionMnist, LabelOutOfRangeIsRejected) {
  const auto dir = internal::fresh_temp_dir("fedtrain-dataset-label");
  write_gz(dir / "labels.gz", {0, 0, 8, 1, 0, 0, 0, 2, 3, 12});
  auto labels = read_idx_labels(dir / "labels.gz");
  ASSERT_FALSE(labels);
  EXPECT_EQ(labels.error().code, Errc::data);
  EXPECT_NE(labels.error().message.find("label 12"), std::string::npos);
}

}  // namespace
}  // namespace flywheel::fedtrain
