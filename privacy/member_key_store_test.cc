#include "privacy/member_key_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "privacy/member_keys.h"
#include "testing/temp_dir.h"

namespace loyalty::privacy {
namespace {

using ::loyalty::testing::FilesHolding;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(MemberKeysTest, CreateReadDestroyAndWrongMasterKey) {
  testing::TempDir dir;
  const std::string master(32, 'm');
  std::string wrapped;
  {
    auto keys = MemberKeys::Open(dir.path(), master);
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_EQ((*keys)->DataKey("M1", false, "test").status().code(), absl::StatusCode::kNotFound);
    absl::StatusOr<std::string> key = (*keys)->DataKey("M1", true, "test");
    ASSERT_TRUE(key.ok()) << key.status();
    absl::StatusOr<std::string> again = (*keys)->DataKey("M1", false, "test");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *key);
    ASSERT_TRUE((*keys)->DataKey("M2", true, "test").ok());
    auto stored = (*keys)->store().Get("M1");
    ASSERT_TRUE(stored.ok() && stored->has_value());
    wrapped = **stored;
  }
  // The wrapped key is on disk (in the log or a table) before erasure.
  EXPECT_THAT(FilesHolding(dir.path(), wrapped), Not(IsEmpty()));
  // A wrong master key: PermissionDenied, the store unchanged.
  auto wrong = MemberKeys::Open(dir.path(), std::string(32, 'w'));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MemberKeys::Open(dir.path(), std::string(31, 'm')).status().code(),
            absl::StatusCode::kInvalidArgument);
  {
    auto without = MemberKeys::Open(dir.path(), std::nullopt);
    ASSERT_TRUE(without.ok());
    absl::Status status = (*without)->DataKey("M1", false, "reading M1").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(status.message().substr(0, 14), "no master key:");
    // Destroying needs no master key.
    ASSERT_TRUE((*without)->Destroy({std::string("M1")}).ok());
    auto ids = (*without)->store().MemberIds();
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, std::vector<std::string>{"M2"});
  }
  EXPECT_THAT(FilesHolding(dir.path(), wrapped), IsEmpty());
  auto keys = MemberKeys::Open(dir.path(), master);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)->DataKey("M1", false, "test").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*keys)->DataKey("M2", false, "test").ok());
}

}  // namespace
}  // namespace loyalty::privacy
