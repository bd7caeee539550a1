// Engine::Backup and the restore, list and verify of loyalty/backup.h: a
// backup taken while commands run holds exactly a prefix of the log, with
// the member keys and projections that go with it, and restores into a
// ledger that verifies and rebuilds to the same digests.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backup/backup_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/audit.h"
#include "loyalty/backup.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "testing/commands.h"
#include "testing/engine_history.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

namespace fs = std::filesystem;
using ::loyalty::testing::FilesHolding;
using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Listing(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(directory, error)) {
    names.push_back(fs::relative(entry.path(), directory).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> DigestsOf(const std::vector<ProjectionDigest>& digests) {
  std::vector<std::string> text;
  for (const ProjectionDigest& digest : digests) {
    text.push_back(absl::StrCat(digest.name, " ", HashHex(digest.digest)));
  }
  return text;
}

class EngineBackupTest : public ::testing::Test {
 protected:
  void SetUp() override { engine_ = Open(dir_.Sub("db")); }

  std::unique_ptr<Engine> Open(const std::string& directory, bool read_only = false) {
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.ledger.read_only = read_only;
    options.master_key = MasterKeyFromBytes(master_key_);
    options.notice = [this](absl::string_view message) { notices_.emplace_back(message); };
    absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(directory, options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // A history of `commands` commands, with members enrolled with personal
  // data (sealed with keys in member-keys).
  void RunHistory(int commands) {
    for (int i = 1; i <= 3; ++i) {
      const std::string member_id = absl::StrCat("P", i);
      EnrolMember enrol = testing::EnrolBornOnCommand(member_id, 1990, 3, 4, kJan2024Us);
      enrol.personal.mutable_plain()->set_name(absl::StrCat("Name of ", member_id));
      absl::StatusOr<CommandResult> enrolled = engine_->Execute(enrol);
      ASSERT_TRUE(enrolled.ok()) << enrolled.status();
    }
    testing::EngineHistory history(engine_.get(), &clock_, /*seed=*/7);
    history.Run(commands);
  }

  // `count` more purchases by P1, after a history.
  void MorePurchases(int count) {
    for (int i = 0; i < count; ++i) {
      const int n = more_purchases_++;
      absl::StatusOr<CommandResult> result = engine_->Execute(
          testing::PurchaseCommand(absl::StrCat("more-", n), "P1", 5000, kJan2024Us + n));
      ASSERT_TRUE(result.ok()) << result.status();
    }
  }

  absl::StatusOr<BackupInfo> Backup() { return engine_->Backup(dir_.Sub("backups")); }

  // "abcdefghijklmnopqrstuvwxyz012345": bytes a scan of the files would find.
  std::string master_key_ = "abcdefghijklmnopqrstuvwxyz012345";
  TempDir dir_;
  ManualClock clock_{kJan2024Us};
  std::vector<std::string> notices_;
  std::unique_ptr<Engine> engine_;
  int more_purchases_ = 0;
};

TEST_F(EngineBackupTest, ARestoredBackupHoldsTheLogKeysAndProjectionsAndRebuildsToTheSameDigests) {
  RunHistory(400);
  const ChainHead head = engine_->ledger().Head();
  absl::StatusOr<ProgramView> program = engine_->Program(AsOf::Now());
  ASSERT_TRUE(program.ok()) << program.status();

  absl::StatusOr<BackupInfo> backup = Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_EQ(backup->backup_id, 1u);
  EXPECT_EQ(backup->head.sequence, head.sequence);
  EXPECT_EQ(backup->head.hash, head.hash);
  EXPECT_EQ(backup->created_at_us, clock_.NowMicros());
  EXPECT_THAT(backup->stores, ElementsAre("ledger", "member-keys", "projections"));
  EXPECT_GT(backup->copied_bytes, 0u);
  EXPECT_GT(backup->appends_held_us, 0);
  EXPECT_FALSE(fs::exists(dir_.Sub("db/backup-staging")));

  absl::StatusOr<BackupInfo> restored = RestoreBackup(dir_.Sub("backups"), 0, dir_.Sub("restored"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->backup_id, 1u);
  std::unique_ptr<Engine> again = Open(dir_.Sub("restored"));
  ASSERT_NE(again, nullptr);
  EXPECT_THAT(notices_, IsEmpty());  // the checkpoint came back usable: nothing set aside
  EXPECT_EQ(again->ledger().Head().hash, head.hash);
  EXPECT_TRUE(again->ledger().Verify(1, head.sequence).ok());
  absl::StatusOr<ProgramView> restored_program = again->Program(AsOf::Now());
  ASSERT_TRUE(restored_program.ok()) << restored_program.status();
  EXPECT_EQ(DigestsOf(restored_program->digests), DigestsOf(program->digests));
  absl::StatusOr<std::vector<ProjectionDigest>> rebuilt = again->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(DigestsOf(*rebuilt), DigestsOf(program->digests));
  // The member keys came back: personal data opens with the same master key.
  absl::StatusOr<v1::PersonalData> personal = again->PersonalDataOf("P1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), "Name of P1");
}

TEST_F(EngineBackupTest, ABackupTakenDuringAppendsHoldsExactlyAPrefixOfTheLog) {
  RunHistory(50);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> appenders;
  for (int t = 0; t < 4; ++t) {
    appenders.emplace_back([&, t] {
      const std::string member = absl::StrCat("C", t);
      if (!engine_->Execute(testing::EnrolCommand(member, kJan2024Us)).ok()) ++failures;
      for (int i = 0; !stop.load(); ++i) {
        absl::StatusOr<CommandResult> result = engine_->Execute(testing::PurchaseCommand(
            absl::StrCat("c", t, "-", i), member, 1000 + i, kJan2024Us + i));
        if (!result.ok()) ++failures;
      }
    });
  }
  std::vector<BackupInfo> backups;
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const ChainHead before = engine_->ledger().Head();
    absl::StatusOr<BackupInfo> backup = Backup();
    const ChainHead after = engine_->ledger().Head();
    ASSERT_TRUE(backup.ok()) << backup.status();
    // Every append acknowledged before the call is in it; nothing past what
    // was acknowledged by its end.
    EXPECT_GE(backup->head.sequence, before.sequence);
    EXPECT_LE(backup->head.sequence, after.sequence);
    absl::StatusOr<Hash> live_hash = engine_->ledger().HashAt(backup->head.sequence);
    ASSERT_TRUE(live_hash.ok()) << live_hash.status();
    EXPECT_EQ(*live_hash, backup->head.hash);
    backups.push_back(*backup);
  }
  stop = true;
  for (std::thread& appender : appenders) appender.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(engine_->ledger().Head().sequence, backups.back().head.sequence);

  for (const BackupInfo& backup : backups) {
    const std::string target = dir_.Sub(absl::StrCat("restored-", backup.backup_id));
    absl::StatusOr<BackupInfo> restored = RestoreBackup(dir_.Sub("backups"), backup.backup_id, target);
    ASSERT_TRUE(restored.ok()) << restored.status();
    std::unique_ptr<Engine> again = Open(target);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->ledger().Head().sequence, backup.head.sequence);
    EXPECT_EQ(again->ledger().Head().hash, backup.head.hash);
    absl::StatusOr<ProgramView> program = again->Program(AsOf::Now());
    ASSERT_TRUE(program.ok()) << program.status();
    absl::StatusOr<std::vector<ProjectionDigest>> rebuilt = again->Rebuild();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(DigestsOf(*rebuilt), DigestsOf(program->digests));
  }
  EXPECT_THAT(notices_, IsEmpty());
}

TEST_F(EngineBackupTest, ALaterBackupCopiesOnlyWhatIsNewAndBothAreListed) {
  RunHistory(400);
  absl::StatusOr<BackupInfo> first = Backup();
  ASSERT_TRUE(first.ok()) << first.status();
  MorePurchases(5);
  absl::StatusOr<BackupInfo> second = Backup();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->backup_id, 2u);
  EXPECT_GT(second->head.sequence, first->head.sequence);
  // The first backup's tables are shared, not copied again.
  EXPECT_LT(second->copied_bytes, first->copied_bytes / 2)
      << "first " << first->copied_bytes << " second " << second->copied_bytes;
  absl::StatusOr<std::vector<BackupInfo>> listed = ListBackups(dir_.Sub("backups"));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].head.sequence, first->head.sequence);
  EXPECT_EQ((*listed)[1].head.hash, second->head.hash);
  EXPECT_EQ((*listed)[1].size_bytes, second->size_bytes);
  EXPECT_TRUE(VerifyBackup(dir_.Sub("backups"), 0).ok());
}

TEST_F(EngineBackupTest, PurgeKeepsTheNewestBackupsWhole) {
  RunHistory(100);
  for (int i = 0; i < 3; ++i) {
    MorePurchases(2);
    ASSERT_TRUE(Backup().ok());
  }
  absl::StatusOr<std::vector<uint32_t>> deleted = PurgeBackups(dir_.Sub("backups"), 1);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_THAT(*deleted, ElementsAre(1u, 2u));
  absl::StatusOr<std::vector<BackupInfo>> listed = ListBackups(dir_.Sub("backups"));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().backup_id, 3u);
  EXPECT_TRUE(VerifyBackup(dir_.Sub("backups"), 0).ok());
  EXPECT_TRUE(RestoreBackup(dir_.Sub("backups"), 3, dir_.Sub("restored")).ok());
  // Nothing of the deleted backups is left in any store.
  for (const char* store : {"ledger", "member-keys", "projections"}) {
    EXPECT_THAT(Listing(dir_.Sub(absl::StrCat("backups/", store, "/meta"))), ElementsAre("3"))
        << store;
  }
  EXPECT_EQ(PurgeBackups(dir_.Sub("backups"), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PurgeBackups(dir_.Sub("elsewhere"), 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_.Sub("elsewhere")));
}

TEST_F(EngineBackupTest, ADamagedBackupFileIsRefusedByVerifyAndRestore) {
  RunHistory(200);
  ASSERT_TRUE(Backup().ok());
  std::string table;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.Sub("backups/ledger"))) {
    if (entry.path().extension() == ".sst") table = entry.path().string();
  }
  ASSERT_FALSE(table.empty());
  {
    std::fstream file(table, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(table) / 2));
    file.put('\x7f');
  }
  absl::Status verified = VerifyBackup(dir_.Sub("backups"), 1).status();
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("the ledger"));
  absl::StatusOr<BackupInfo> restored = RestoreBackup(dir_.Sub("backups"), 1, dir_.Sub("restored"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss) << restored.status();
  // Nothing is left where the ledger would have gone, nor beside it.
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
  EXPECT_THAT(Listing(dir_.path()), ::testing::Not(::testing::Contains(HasSubstr("creating"))));
}

TEST_F(EngineBackupTest, ABackupMissingAFileIsDamageNotAnEmptyDirectory) {
  RunHistory(200);
  ASSERT_TRUE(Backup().ok());
  for (const auto& entry : fs::recursive_directory_iterator(dir_.Sub("backups/ledger"))) {
    if (entry.path().extension() == ".sst") {
      fs::remove(entry.path());
      break;
    }
  }
  absl::Status verified = VerifyBackup(dir_.Sub("backups"), 0).status();
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;
  EXPECT_THAT(verified.message(), HasSubstr("backup 1"));
  EXPECT_EQ(ListBackups(dir_.Sub("backups")).status().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<BackupInfo> restored = RestoreBackup(dir_.Sub("backups"), 0, dir_.Sub("restored"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss) << restored.status();
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
}

TEST_F(EngineBackupTest, TheMasterKeyIsInNoFileOfABackup) {
  RunHistory(50);
  ASSERT_TRUE(Backup().ok());
  ASSERT_FALSE(Listing(dir_.Sub("backups/member-keys")).empty());
  EXPECT_THAT(FilesHolding(dir_.Sub("backups"), master_key_), IsEmpty());
}

TEST_F(EngineBackupTest, RestoreWritesOnlyIntoANewOrEmptyDirectory) {
  RunHistory(20);
  ASSERT_TRUE(Backup().ok());
  fs::create_directory(dir_.Sub("taken"));
  testing::WriteFile(dir_.Sub("taken/notes.txt"), "mine");
  absl::StatusOr<BackupInfo> restored = RestoreBackup(dir_.Sub("backups"), 1, dir_.Sub("taken"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition) << restored.status();
  EXPECT_THAT(restored.status().message(), HasSubstr("notes.txt"));
  EXPECT_THAT(Listing(dir_.Sub("taken")), ElementsAre("notes.txt"));

  fs::create_directory(dir_.Sub("empty"));
  EXPECT_TRUE(RestoreBackup(dir_.Sub("backups"), 1, dir_.Sub("empty")).ok());
}

TEST_F(EngineBackupTest, RestoreOfABackupThatIsNotThereListsThoseThatAre) {
  RunHistory(20);
  ASSERT_TRUE(Backup().ok());
  absl::StatusOr<BackupInfo> restored = RestoreBackup(dir_.Sub("backups"), 7, dir_.Sub("restored"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(restored.status().message(), HasSubstr("no backup 7"));
  EXPECT_THAT(restored.status().message(), HasSubstr("there are: 1"));
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
}

TEST_F(EngineBackupTest, BackupGoesOnlyIntoANewOrEmptyDirectoryOrOneOfBackups) {
  fs::create_directory(dir_.Sub("other"));
  testing::WriteFile(dir_.Sub("other/report.pdf"), "x");
  absl::StatusOr<BackupInfo> backup = engine_->Backup(dir_.Sub("other"));
  EXPECT_EQ(backup.status().code(), absl::StatusCode::kFailedPrecondition) << backup.status();
  EXPECT_THAT(backup.status().message(), HasSubstr("report.pdf"));
  EXPECT_THAT(Listing(dir_.Sub("other")), ElementsAre("report.pdf"));
  EXPECT_FALSE(fs::exists(dir_.Sub("db/backup-staging")));
}

TEST_F(EngineBackupTest, ABackupDirectoryWhoseCreationWasKilledIsTakenUp) {
  RunHistory(10);
  // What a backup killed between its lock and its FORMAT leaves.
  fs::create_directory(dir_.Sub("backups"));
  testing::WriteFile(dir_.Sub("backups/LOCK"), "");
  testing::WriteFile(dir_.Sub("backups/FORMAT.tmp"), "loyalty-b");
  absl::StatusOr<BackupInfo> backup = Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_TRUE(fs::exists(dir_.Sub("backups/FORMAT")));
  EXPECT_FALSE(fs::exists(dir_.Sub("backups/FORMAT.tmp")));
  EXPECT_TRUE(VerifyBackup(dir_.Sub("backups"), 0).ok());
}

TEST_F(EngineBackupTest, StoresWithoutTheirFormatFileAreNamedNotTakenUp) {
  RunHistory(10);
  ASSERT_TRUE(Backup().ok());
  fs::remove(dir_.Sub("backups/FORMAT"));
  absl::StatusOr<BackupInfo> backup = Backup();
  EXPECT_EQ(backup.status().code(), absl::StatusCode::kFailedPrecondition) << backup.status();
  EXPECT_THAT(backup.status().message(), HasSubstr("\"ledger\""));
  EXPECT_EQ(ListBackups(dir_.Sub("backups")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineBackupTest, ListingAndVerifyingSomethingElseIsNotFoundAndWritesNothing) {
  fs::create_directory(dir_.Sub("other"));
  testing::WriteFile(dir_.Sub("other/report.pdf"), "x");
  EXPECT_EQ(ListBackups(dir_.Sub("other")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(VerifyBackup(dir_.Sub("other"), 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ListBackups(dir_.Sub("nowhere")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Listing(dir_.Sub("other")), ElementsAre("report.pdf"));
  EXPECT_FALSE(fs::exists(dir_.Sub("nowhere")));
}

TEST_F(EngineBackupTest, AReadOnlyEngineTakesNoBackup) {
  RunHistory(10);
  engine_.reset();
  std::unique_ptr<Engine> reader = Open(dir_.Sub("db"), /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<BackupInfo> backup = reader->Backup(dir_.Sub("backups"));
  EXPECT_EQ(backup.status().code(), absl::StatusCode::kFailedPrecondition) << backup.status();
  EXPECT_FALSE(fs::exists(dir_.Sub("backups")));
}

TEST_F(EngineBackupTest, ABackupDirectoryInUseIsUnavailable) {
  RunHistory(10);
  absl::StatusOr<std::unique_ptr<backup::BackupDirectory>> held =
      backup::BackupDirectory::OpenForWriting(dir_.Sub("backups"), /*create=*/true);
  ASSERT_TRUE(held.ok()) << held.status();
  absl::StatusOr<BackupInfo> backup = Backup();
  EXPECT_EQ(backup.status().code(), absl::StatusCode::kUnavailable) << backup.status();
  EXPECT_EQ(ListBackups(dir_.Sub("backups")).status().code(), absl::StatusCode::kUnavailable);
  held->reset();
  EXPECT_TRUE(Backup().ok());
}

TEST_F(EngineBackupTest, WhatAnInterruptedBackupLeftIsDeletedByTheNextAndToldOnce) {
  RunHistory(10);
  fs::create_directories(dir_.Sub("db/backup-staging/ledger"));
  testing::WriteFile(dir_.Sub("db/backup-staging/ledger/000009.sst"), "half a copy");
  absl::StatusOr<BackupInfo> backup = Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_FALSE(fs::exists(dir_.Sub("db/backup-staging")));
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_THAT(notices_[0], HasSubstr("backup-staging"));
}

TEST_F(EngineBackupTest, TheAuditStoreIsBackedUpWhenTheLedgerHasOne) {
  RunHistory(50);
  {
    absl::StatusOr<std::unique_ptr<audit::AuditStore>> store =
        audit::AuditStore::Open(dir_.Sub("db/audit"), &engine_->ledger());
    ASSERT_TRUE(store.ok()) << store.status();
    // Held open (as an audit command would): the backup waits for no one.
    absl::StatusOr<BackupInfo> busy = Backup();
    EXPECT_EQ(busy.status().code(), absl::StatusCode::kUnavailable) << busy.status();
    EXPECT_THAT(busy.status().message(), HasSubstr("audit"));
  }
  absl::StatusOr<BackupInfo> backup = Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_THAT(backup->stores, ElementsAre("ledger", "member-keys", "projections", "audit"));
  ASSERT_TRUE(RestoreBackup(dir_.Sub("backups"), 0, dir_.Sub("restored")).ok());
  EXPECT_TRUE(fs::exists(dir_.Sub("restored/audit/CURRENT")));
}

}  // namespace
}  // namespace loyalty
