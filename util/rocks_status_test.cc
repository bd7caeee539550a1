// The one mapping from RocksDB's status to absl::Status.
#include "util/rocks_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/status.h"

namespace loyalty::util {
namespace {

using ::testing::HasSubstr;

TEST(FromRocksTest, EachKindHasItsCode) {
  EXPECT_TRUE(FromRocks(rocksdb::Status::OK(), "reading").ok());
  EXPECT_EQ(FromRocks(rocksdb::Status::NotFound(), "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FromRocks(rocksdb::Status::Corruption(), "x").code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(FromRocks(rocksdb::Status::InvalidArgument(), "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromRocks(rocksdb::Status::NoSpace(), "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::Busy(), "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::TimedOut(), "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::TryAgain(), "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError(), "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(FromRocks(rocksdb::Status::NotSupported(), "x").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(FromRocks(rocksdb::Status::Aborted(), "x").code(), absl::StatusCode::kInternal);
}

TEST(FromRocksTest, TheMessageSaysWhatWasBeingDoneAndWhatRocksDbSaid) {
  const absl::Status status =
      FromRocks(rocksdb::Status::Corruption("block checksum mismatch", "000012.sst"),
                "reading the head");
  EXPECT_THAT(status.message(), HasSubstr("reading the head: Corruption: "));
  EXPECT_THAT(status.message(), HasSubstr("block checksum mismatch"));
  EXPECT_THAT(status.message(), HasSubstr("000012.sst"));
}

}  // namespace
}  // namespace loyalty::util
