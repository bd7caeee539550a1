#include "privacy/member_key_store.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "privacy/member_keys.h"
#include "testing/temp_dir.h"

namespace loyalty::privacy {
namespace {

using ::loyalty::testing::FilesHolding;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

// The keys in the store at `directory` (created first when it does not
// exist), through `master`.
absl::StatusOr<std::unique_ptr<MemberKeys>> OpenKeys(const std::string& directory,
                                                     std::optional<std::string> master,
                                                     bool read_only = false) {
  if (!std::filesystem::exists(directory)) {
    absl::Status created = MemberKeyStore::Create(directory);
    if (!created.ok()) return created;
  }
  absl::StatusOr<std::unique_ptr<MemberKeyStore>> store =
      MemberKeyStore::Open(directory, read_only);
  if (!store.ok()) return store.status();
  return MemberKeys::Open(std::move(*store), std::move(master));
}

// Every file under `directory` with its size and modification time.
std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> Snapshot(
    const std::string& directory) {
  std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    files[entry.path().string()] = {entry.is_regular_file() ? entry.file_size() : 0,
                                    entry.last_write_time()};
  }
  return files;
}

TEST(MemberKeysTest, KeysAreCreatedReadAndDestroyedAndAWrongMasterKeyIsRefused) {
  testing::TempDir root;
  const std::string keys_dir = root.Sub("keys");
  const std::string master(32, 'm');
  std::string wrapped;
  {
    auto keys = OpenKeys(keys_dir, master);
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_EQ((*keys)->DataKey("M1", false, "test").status().code(), absl::StatusCode::kNotFound);
    absl::StatusOr<std::string> key = (*keys)->DataKey("M1", true, "test");
    ASSERT_TRUE(key.ok()) << key.status();
    absl::StatusOr<std::string> again = (*keys)->DataKey("M1", false, "test");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *key);
    ASSERT_TRUE((*keys)->DataKey("M2", true, "test").ok());
    auto stored = (*keys)->store()->Get("M1");
    ASSERT_TRUE(stored.ok() && stored->has_value());
    wrapped = **stored;
  }
  // The wrapped key is on disk (in the log or a table) before erasure.
  EXPECT_THAT(FilesHolding(keys_dir, wrapped), Not(IsEmpty()));
  // A wrong master key: PermissionDenied, the store unchanged.
  auto wrong = OpenKeys(keys_dir, std::string(32, 'w'));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(OpenKeys(keys_dir, std::string(31, 'm')).status().code(),
            absl::StatusCode::kInvalidArgument);
  {
    auto without = OpenKeys(keys_dir, std::nullopt);
    ASSERT_TRUE(without.ok());
    absl::Status status = (*without)->DataKey("M1", false, "reading M1").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(status.message().substr(0, 14), "no master key:");
    // Destroying needs no master key.
    ASSERT_TRUE((*without)->Destroy({std::string("M1")}).ok());
    auto ids = (*without)->store()->MemberIds();
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, std::vector<std::string>{"M2"});
  }
  EXPECT_THAT(FilesHolding(keys_dir, wrapped), IsEmpty());
  auto keys = OpenKeys(keys_dir, master);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)->DataKey("M1", false, "test").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*keys)->DataKey("M2", false, "test").ok());
}

TEST(MemberKeyStoreTest, OpenNeverCreatesAStore) {
  testing::TempDir root;
  EXPECT_FALSE(MemberKeyStore::Open(root.Sub("none"), /*read_only=*/false).ok());
  EXPECT_FALSE(MemberKeyStore::Open(root.Sub("none"), /*read_only=*/true).ok());
  EXPECT_FALSE(std::filesystem::exists(root.Sub("none")));
}

TEST(MemberKeyStoreTest, CreateRefusesADirectoryThatHoldsFiles) {
  testing::TempDir root;
  std::filesystem::create_directories(root.Sub("keys"));
  { std::ofstream(root.Sub("keys/000012.sst")) << "wrapped keys"; }
  EXPECT_FALSE(MemberKeyStore::Create(root.Sub("keys")).ok());
  std::ifstream kept(root.Sub("keys/000012.sst"));
  std::string content;
  std::getline(kept, content);
  EXPECT_EQ(content, "wrapped keys");
}

TEST(MemberKeyStoreTest, ReadOnlyOpenWritesNothingAndRefusesWrites) {
  testing::TempDir root;
  const std::string directory = root.Sub("keys");
  {
    auto keys = OpenKeys(directory, std::string(32, 'm'));
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_TRUE((*keys)->DataKey("M1", true, "test").ok());
  }
  const auto before = Snapshot(directory);
  {
    auto keys = OpenKeys(directory, std::string(32, 'm'), /*read_only=*/true);
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_TRUE((*keys)->DataKey("M1", false, "test").ok());
    EXPECT_EQ((*keys)->DataKey("M2", true, "test").status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ((*keys)->Destroy({std::string("M1")}).code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ((*keys)->store()->MarkErasurePending("M1").code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(Snapshot(directory), before);
}

TEST(MemberKeyStoreTest, PendingErasuresAreMarkedAndClearedWithTheKey) {
  testing::TempDir root;
  auto keys = OpenKeys(root.Sub("keys"), std::string(32, 'm'));
  ASSERT_TRUE(keys.ok()) << keys.status();
  MemberKeyStore& store = *(*keys)->store();
  ASSERT_TRUE((*keys)->DataKey("M1", true, "test").ok());
  ASSERT_TRUE((*keys)->DataKey("M2", true, "test").ok());
  ASSERT_TRUE(store.MarkErasurePending("M1").ok());
  ASSERT_TRUE(store.MarkErasurePending("M2").ok());
  EXPECT_THAT(*store.PendingErasures(), ElementsAre("M1", "M2"));
  // The marks are not keys.
  EXPECT_THAT(*store.MemberIds(), ElementsAre("M1", "M2"));
  ASSERT_TRUE((*keys)->Destroy({std::string("M1")}).ok());
  ASSERT_TRUE(store.ClearPendingErasures({std::string("M2")}).ok());
  EXPECT_THAT(*store.PendingErasures(), IsEmpty());
  EXPECT_THAT(*store.MemberIds(), ElementsAre("M2"));
}

}  // namespace
}  // namespace loyalty::privacy
