// The member key store on PostgreSQL (postgres_member_key_store.h), against
// a throwaway server the program starts (testing/throwaway_postgres.h).
#include "privacy/postgres_member_key_store.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "privacy/member_keys.h"
#include "testing/temp_dir.h"
#include "testing/throwaway_postgres.h"
#include "util/pg_session.h"

namespace loyalty::privacy {
namespace {

using ::loyalty::testing::FilesHolding;
using ::loyalty::testing::ThrowawayPostgres;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class PostgresMemberKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> database = ThrowawayPostgres::NewSharedDatabase();
    ASSERT_TRUE(database.ok()) << database.status();
    server_ = *ThrowawayPostgres::Shared();
    ASSERT_TRUE(database.ok()) << database.status();
    conninfo_ = *database;
  }

  absl::StatusOr<std::unique_ptr<MemberKeys>> OpenKeys(std::optional<std::string> master,
                                                       bool read_only = false) {
    absl::StatusOr<std::unique_ptr<MemberKeyStore>> store =
        OpenPostgresMemberKeyStore(conninfo_, read_only, /*create=*/!read_only);
    if (!store.ok()) return store.status();
    return MemberKeys::Open(std::move(*store), std::move(master));
  }

  // The file of the member_keys table in the server's data directory, after
  // a checkpoint has written every page there.
  std::string TableFile() {
    auto session = util::PgSession::Connect(conninfo_);
    EXPECT_TRUE(session.ok()) << session.status();
    EXPECT_TRUE((*session)->Exec("CHECKPOINT").ok());
    auto path = (*session)->Query("SELECT pg_relation_filepath('member_keys')");
    EXPECT_TRUE(path.ok()) << path.status();
    return absl::StrCat(server_->directory(), "/pgdata/", PQgetvalue(path->get(), 0, 0));
  }

  // The files of the test's database (its tables, indexes and maps) that
  // hold `bytes`.
  std::vector<std::string> DatabaseFilesHolding(const std::string& bytes) {
    return FilesHolding(std::filesystem::path(TableFile()).parent_path().string(), bytes);
  }

  ThrowawayPostgres* server_ = nullptr;
  std::string conninfo_;
};

TEST_F(PostgresMemberKeyStoreTest, KeysAreCreatedReadAndDestroyedAndAWrongMasterKeyIsRefused) {
  const std::string master(32, 'm');
  std::string wrapped;
  {
    auto keys = OpenKeys(master);
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
  EXPECT_THAT(DatabaseFilesHolding(wrapped), Not(IsEmpty()));
  EXPECT_EQ(OpenKeys(std::string(32, 'w')).status().code(), absl::StatusCode::kPermissionDenied);
  {
    auto without = OpenKeys(std::nullopt);
    ASSERT_TRUE(without.ok());
    EXPECT_EQ((*without)->DataKey("M1", false, "reading M1").status().code(),
              absl::StatusCode::kFailedPrecondition);
    ASSERT_TRUE((*without)->Destroy({std::string("M1")}).ok());
    EXPECT_THAT(*(*without)->store()->MemberIds(), ElementsAre("M2"));
  }
  // No file of the database holds the destroyed key; PostgreSQL's
  // write-ahead log still does, until its segment is recycled
  // (docs/privacy.md, "On PostgreSQL").
  EXPECT_THAT(DatabaseFilesHolding(wrapped), IsEmpty());
  EXPECT_THAT(FilesHolding(absl::StrCat(server_->directory(), "/pgdata/pg_wal"), wrapped),
              Not(IsEmpty()));
  auto keys = OpenKeys(master);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)->DataKey("M1", false, "test").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*keys)->DataKey("M2", false, "test").ok());
}

TEST_F(PostgresMemberKeyStoreTest, OpenMakesTheTableOnlyWhenAskedAndNeverReadOnly) {
  EXPECT_EQ(OpenPostgresMemberKeyStore(conninfo_, false, /*create=*/false).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(OpenPostgresMemberKeyStore(conninfo_, true, /*create=*/true).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(OpenPostgresMemberKeyStore(conninfo_, false, /*create=*/true).ok());
  EXPECT_TRUE(OpenPostgresMemberKeyStore(conninfo_, true, /*create=*/false).ok());
}

TEST_F(PostgresMemberKeyStoreTest, TheTableIsInTheFirstSchemaOfTheSearchPath) {
  auto admin = util::PgSession::Connect(conninfo_);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->Exec("CREATE SCHEMA mall").ok());
  const std::string in_mall = absl::StrCat(conninfo_, " options=-csearch_path=mall");
  auto store = OpenPostgresMemberKeyStore(in_mall, false, /*create=*/true);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Put("M1", "wrapped", "check").ok());
  auto count = (*admin)->Query("SELECT count(*) FROM mall.member_keys");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_STREQ(PQgetvalue(count->get(), 0, 0), "2");  // the key and the check value
  EXPECT_EQ(OpenPostgresMemberKeyStore(conninfo_, false, /*create=*/false).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PostgresMemberKeyStoreTest, ReadOnlyRefusesWrites) {
  {
    auto keys = OpenKeys(std::string(32, 'm'));
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_TRUE((*keys)->DataKey("M1", true, "test").ok());
  }
  auto keys = OpenKeys(std::string(32, 'm'), /*read_only=*/true);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE((*keys)->DataKey("M1", false, "test").ok());
  EXPECT_EQ((*keys)->DataKey("M2", true, "test").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*keys)->Destroy({std::string("M1")}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*keys)->store()->MarkErasurePending("M1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(*(*keys)->store()->MemberIds(), ElementsAre("M1"));
}

TEST_F(PostgresMemberKeyStoreTest, PendingErasuresAreMarkedAndClearedWithTheKey) {
  auto keys = OpenKeys(std::string(32, 'm'));
  ASSERT_TRUE(keys.ok()) << keys.status();
  MemberKeyStore& store = *(*keys)->store();
  ASSERT_TRUE((*keys)->DataKey("M1", true, "test").ok());
  ASSERT_TRUE((*keys)->DataKey("M2", true, "test").ok());
  ASSERT_TRUE(store.MarkErasurePending("M1").ok());
  ASSERT_TRUE(store.MarkErasurePending("M2").ok());
  ASSERT_TRUE(store.MarkErasurePending("M2").ok());  // again: no error
  EXPECT_THAT(*store.PendingErasures(), ElementsAre("M1", "M2"));
  EXPECT_THAT(*store.MemberIds(), ElementsAre("M1", "M2"));
  ASSERT_TRUE((*keys)->Destroy({std::string("M1")}).ok());
  ASSERT_TRUE(store.ClearPendingErasures({std::string("M2")}).ok());
  EXPECT_THAT(*store.PendingErasures(), IsEmpty());
  EXPECT_THAT(*store.MemberIds(), ElementsAre("M2"));
  EXPECT_EQ(store.CopyTo("/nonexistent/copy").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loyalty::privacy
