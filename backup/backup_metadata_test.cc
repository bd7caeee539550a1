#include "backup/backup_metadata.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::backup {
namespace {

using ::testing::HasSubstr;

BackupMetadata Example() {
  BackupMetadata metadata;
  metadata.created_at_us = 1717200000000000;
  metadata.head.sequence = 53054;
  for (size_t i = 0; i < metadata.head.hash.size(); ++i) {
    metadata.head.hash[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  metadata.head.recorded_at_us = 1717199999000000;
  metadata.parts = {{"member-keys", 3}, {"projections", 4}};
  return metadata;
}

TEST(BackupMetadataTest, ReadsBackWhatItWrites) {
  const BackupMetadata metadata = Example();
  absl::StatusOr<BackupMetadata> decoded = DecodeMetadata(EncodeMetadata(metadata));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->created_at_us, metadata.created_at_us);
  EXPECT_EQ(decoded->head.sequence, metadata.head.sequence);
  EXPECT_EQ(decoded->head.hash, metadata.head.hash);
  EXPECT_EQ(decoded->head.recorded_at_us, metadata.head.recorded_at_us);
  EXPECT_EQ(decoded->parts, metadata.parts);
}

TEST(BackupMetadataTest, IsTheFormatLineAndOneFieldPerLine) {
  EXPECT_EQ(EncodeMetadata(Example()),
            "loyalty-backup/1\n"
            "created_at_us 1717200000000000\n"
            "head_sequence 53054\n"
            "head_hash " + HashHex(Example().head.hash) + "\n"
            "head_recorded_at_us 1717199999000000\n"
            "member-keys 3\n"
            "projections 4\n");
}

TEST(BackupMetadataTest, RefusesAnotherFormat) {
  std::string text = EncodeMetadata(Example());
  text.replace(0, 16, "loyalty-backup/9");
  absl::StatusOr<BackupMetadata> decoded = DecodeMetadata(text);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("line 1"));
}

TEST(BackupMetadataTest, RefusesAHashThatIsNotSixtyFourLowerCaseHexDigits) {
  for (const std::string& bad : {std::string(63, 'a'), std::string(64, 'A'), std::string(64, 'g')}) {
    std::string text = EncodeMetadata(Example());
    const size_t at = text.find("head_hash ") + 10;
    text.replace(at, 64, bad);
    absl::StatusOr<BackupMetadata> decoded = DecodeMetadata(text);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_THAT(decoded.status().message(), HasSubstr("line 4: head_hash")) << bad;
  }
}

TEST(BackupMetadataTest, RefusesAMissingField) {
  std::string text = EncodeMetadata(Example());
  const size_t at = text.find("head_sequence");
  text.erase(at, text.find('\n', at) - at + 1);
  absl::StatusOr<BackupMetadata> decoded = DecodeMetadata(text);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("\"head_sequence\" missing"));
}

TEST(BackupMetadataTest, RefusesAnUnknownStoreARepeatedOneAndBackupIdZero) {
  for (const char* extra : {"keys 3\n", "member-keys 5\n", "audit 0\n", "audit x\n"}) {
    absl::StatusOr<BackupMetadata> decoded = DecodeMetadata(EncodeMetadata(Example()) + extra);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << extra;
    EXPECT_THAT(decoded.status().message(), HasSubstr("line 8")) << extra;
  }
}

}  // namespace
}  // namespace loyalty::backup
