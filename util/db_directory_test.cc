// Reading what a store's directory holds before RocksDB touches it, and
// creating one all at once.
#include "util/db_directory.h"

#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "testing/temp_dir.h"

namespace loyalty::util {
namespace {

using ::loyalty::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A real RocksDB database in `path`, with one key flushed to a table.
void MakeDatabase(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, &db).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  delete db;
}

DbDirectoryKind KindOf(const std::string& path) {
  absl::StatusOr<DbDirectory> found = InspectDbDirectory(path);
  EXPECT_TRUE(found.ok()) << found.status();
  return found.ok() ? found->kind : DbDirectoryKind::kNotADirectory;
}

TEST(DbDirectoryTest, TellsMissingEmptyAndFailedOpenLeftoversApart) {
  testing::TempDir dir;
  EXPECT_EQ(KindOf(dir.Sub("none")), DbDirectoryKind::kMissing);
  EXPECT_EQ(KindOf(dir.path()), DbDirectoryKind::kEmpty);
  WriteFile(dir.Sub("LOCK"), "");
  WriteFile(dir.Sub("LOG"), "what RocksDB said");
  EXPECT_EQ(KindOf(dir.path()), DbDirectoryKind::kEmpty);
  WriteFile(dir.Sub("file"), "x");
  EXPECT_EQ(KindOf(dir.Sub("file")), DbDirectoryKind::kNotADirectory);
}

TEST(DbDirectoryTest, ADatabaseWithoutItsCurrentFileIsDamaged) {
  testing::TempDir dir;
  MakeDatabase(dir.Sub("db"));
  EXPECT_EQ(KindOf(dir.Sub("db")), DbDirectoryKind::kDatabase);
  std::filesystem::remove(dir.Sub("db/CURRENT"));
  absl::StatusOr<DbDirectory> found = InspectDbDirectory(dir.Sub("db"));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->kind, DbDirectoryKind::kDamaged);
  EXPECT_THAT(found->database_files, ::testing::Contains(HasSubstr(".sst")));
  // An empty CURRENT is as good as none.
  WriteFile(dir.Sub("db/CURRENT"), "");
  EXPECT_EQ(KindOf(dir.Sub("db")), DbDirectoryKind::kDamaged);
}

TEST(DbDirectoryTest, OtherFilesWithoutADatabaseAreForeign) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.Sub("r1/photos"));
  WriteFile(dir.Sub("r1/photos/a.jpg"), "x");
  WriteFile(dir.Sub("r1/notes.txt"), "x");
  absl::StatusOr<DbDirectory> found = InspectDbDirectory(dir.Sub("r1"));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->kind, DbDirectoryKind::kForeign);
  EXPECT_THAT(found->other_entries, ElementsAre("notes.txt", "photos"));
  // Companions are neither.
  found = InspectDbDirectory(dir.Sub("r1"), {"photos", "notes.txt"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->kind, DbDirectoryKind::kEmpty);
}

TEST(DbDirectoryTest, MetadataWithoutDataIsAnInterruptedCreation) {
  testing::TempDir dir;
  WriteFile(dir.Sub("IDENTITY"), "id");
  WriteFile(dir.Sub("MANIFEST-000001"), "m");
  WriteFile(dir.Sub("000003.log"), "");
  EXPECT_EQ(KindOf(dir.path()), DbDirectoryKind::kInterruptedCreation);
  WriteFile(dir.Sub("000003.log"), "a record");
  EXPECT_EQ(KindOf(dir.path()), DbDirectoryKind::kDamaged);
}

TEST(DbDirectoryTest, CreationAppearsWholeUnderItsNameAndCleansEarlierLeftovers) {
  testing::TempDir dir;
  // What a creation killed midway left.
  std::filesystem::create_directories(dir.Sub(".db.creating-AAAAAA"));
  WriteFile(dir.Sub(".db.creating-AAAAAA/IDENTITY"), "id");
  // Not ours: kept.
  std::filesystem::create_directories(dir.Sub(".db.creating-BBBBBB"));
  WriteFile(dir.Sub(".db.creating-BBBBBB/photo.jpg"), "x");
  std::string filled_in;
  absl::Status created = CreateDbDirectoryAtomically(dir.Sub("db"), [&](const std::string& path) {
    filled_in = path;
    EXPECT_FALSE(std::filesystem::exists(dir.Sub("db")));
    WriteFile(path + "/CURRENT", "MANIFEST-000001\n");
    return absl::OkStatus();
  });
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_NE(filled_in, dir.Sub("db"));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("db/CURRENT")));
  EXPECT_FALSE(std::filesystem::exists(filled_in));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub(".db.creating-AAAAAA")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub(".db.creating-BBBBBB/photo.jpg")));
}

TEST(DbDirectoryTest, AFailedCreationLeavesNothing) {
  testing::TempDir dir;
  absl::Status created = CreateDbDirectoryAtomically(dir.Sub("db"), [](const std::string& path) {
    WriteFile(path + "/IDENTITY", "id");
    return absl::InternalError("disk full");
  });
  EXPECT_EQ(created.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(::loyalty::testing::FilesHolding(dir.path(), "id"), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("db")));
}

TEST(DbDirectoryTest, AnEmptyDirectoryIsReplacedByTheCreatedOne) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.Sub("db"));
  ASSERT_TRUE(CreateDbDirectoryAtomically(dir.Sub("db"), [](const std::string& path) {
                WriteFile(path + "/CURRENT", "MANIFEST-000001\n");
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("db/CURRENT")));
}

TEST(DbDirectoryTest, SettingAsideRenamesAndNeverDeletes) {
  testing::TempDir dir;
  for (int i = 0; i < 3; ++i) {
    std::filesystem::create_directories(dir.Sub("projections"));
    WriteFile(dir.Sub("projections/000001.sst"), std::to_string(i));
    absl::StatusOr<std::string> aside = SetDirectoryAside(dir.Sub("projections"));
    ASSERT_TRUE(aside.ok()) << aside.status();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("projections")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("projections.damaged/000001.sst")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("projections.damaged-2/000001.sst")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("projections.damaged-3/000001.sst")));
}

TEST(DbDirectoryTest, NamesForMessageQuotesAFew) {
  EXPECT_EQ(NamesForMessage({"a", "b"}), "\"a\", \"b\"");
  EXPECT_EQ(NamesForMessage({"a", "b", "c"}, 2), "\"a\", \"b\" and 1 more");
}

}  // namespace
}  // namespace loyalty::util
