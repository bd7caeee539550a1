// `loyalty backup` and `loyalty restore` as a stranger runs them: a round
// trip, a damaged backup, a backup killed at any moment, and flags that make
// no sense. Runs the built tool as a subprocess (docs/backup.md).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

namespace fs = std::filesystem;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Every file under `directory` with its size and last write: what a command
// that only reads must leave as it was.
std::vector<std::string> Snapshot(const std::string& directory) {
  std::vector<std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    std::string line = fs::relative(entry.path(), directory).string();
    if (entry.is_regular_file()) {
      absl::StrAppend(&line, " ", entry.file_size(), " ",
                      entry.last_write_time().time_since_epoch().count());
    }
    entries.push_back(line);
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

class BackupCliTest : public ::testing::Test {
 protected:
  // A small demo ledger (its key file beside it, as the demo leaves it).
  void SetUp() override {
    ToolRun demo = Loyalty({"--db", db_, "demo", "--members", "40", "--days", "45", "--no-sync"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
  }

  ToolRun Loyalty(const std::vector<std::string>& args) {
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(),
                   dir_.Sub(absl::StrCat("run", ++runs_)));
  }

  TempDir dir_;
  std::string db_ = dir_.Sub("db");
  std::string backups_ = dir_.Sub("backups");
  int runs_ = 0;
};

TEST_F(BackupCliTest, ABackupRestoresIntoALedgerWithTheSameHeadAndDigests) {
  ToolRun backup = Loyalty({"--db", db_, "backup", "--to", backups_});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_THAT(backup.out, StartsWith("backup 1: sequences 1.."));
  EXPECT_THAT(backup.out, HasSubstr("ledger, member-keys, projections"));

  ToolRun list = Loyalty({"backup", "list", "--from", backups_, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, StartsWith("{\"backup_id\":1,"));
  ToolRun verify = Loyalty({"backup", "verify", "--from", backups_});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, StartsWith("ok: backup 1 "));

  const std::string restored = dir_.Sub("restored");
  ToolRun restore = Loyalty({"restore", "--from", backups_, "--db", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.out, HasSubstr("ok: verified sequences 1.."));
  EXPECT_THAT(restore.err, HasSubstr(restored + ".key"));

  ToolRun head = Loyalty({"--db", db_, "head"});
  ToolRun restored_head = Loyalty({"--db", restored, "head"});
  ASSERT_EQ(restored_head.exit_code, 0) << restored_head.err;
  EXPECT_EQ(restored_head.out, head.out);
  ToolRun digests = Loyalty({"--db", db_, "digests"});
  ToolRun restored_digests = Loyalty({"--db", restored, "digests"});
  ASSERT_EQ(restored_digests.exit_code, 0) << restored_digests.err;
  EXPECT_EQ(restored_digests.out, digests.out);
  ToolRun rebuild = Loyalty({"--db", restored, "rebuild"});
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.err;
}

TEST_F(BackupCliTest, ListingAndVerifyingWriteNothing) {
  ASSERT_EQ(Loyalty({"--db", db_, "backup", "--to", backups_}).exit_code, 0);
  const std::vector<std::string> before = Snapshot(backups_);
  EXPECT_EQ(Loyalty({"backup", "list", "--from", backups_}).exit_code, 0);
  EXPECT_EQ(Loyalty({"backup", "verify", "--from", backups_, "--backup-id", "1"}).exit_code, 0);
  EXPECT_EQ(Snapshot(backups_), before);
}

TEST_F(BackupCliTest, ADamagedBackupIsExitTwoForVerifyAndRestoreAndRestoresNothing) {
  ASSERT_EQ(Loyalty({"--db", db_, "backup", "--to", backups_}).exit_code, 0);
  std::string table;
  for (const auto& entry : fs::recursive_directory_iterator(backups_ + "/ledger")) {
    if (entry.path().extension() == ".sst" &&
        (table.empty() || entry.file_size() > fs::file_size(table))) {
      table = entry.path().string();
    }
  }
  ASSERT_FALSE(table.empty());
  {
    std::fstream file(table, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(table) / 3));
    file.put('\x5c');
  }
  ToolRun verify = Loyalty({"backup", "verify", "--from", backups_});
  EXPECT_EQ(verify.exit_code, 2) << verify.err;
  EXPECT_THAT(verify.err, HasSubstr("the ledger"));
  ToolRun restore = Loyalty({"restore", "--from", backups_, "--db", dir_.Sub("restored")});
  EXPECT_EQ(restore.exit_code, 2) << restore.err;
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
}

// Runs the tool with `args` and kills it after `delay_ms`; returns whether
// it was still running.
bool KillToolAfter(const std::vector<std::string>& args, int delay_ms) {
  const pid_t pid = loyalty::testing::SpawnTool(LOYALTY_BINARY, args);
  if (pid == 0) return false;
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  const bool running = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return running && WIFSIGNALED(status);
}

TEST_F(BackupCliTest, ABackupKilledAtAnyMomentLeavesTheLedgerWholeAndOnlyWholeBackupsListed) {
  int killed = 0;
  for (int delay_ms : {5, 20, 40, 60, 90, 120, 160, 220}) {
    killed += KillToolAfter({"--db", db_, "backup", "--to", backups_}, delay_ms) ? 1 : 0;
    ToolRun verify = Loyalty({"--db", db_, "verify"});
    ASSERT_EQ(verify.exit_code, 0) << "after a kill at " << delay_ms << " ms: " << verify.err;
    if (!fs::exists(backups_ + "/FORMAT")) continue;
    // Whatever was listed is whole.
    ToolRun check = Loyalty({"backup", "verify", "--from", backups_});
    if (check.exit_code != 0) {
      EXPECT_THAT(check.err, HasSubstr("no backups")) << "after a kill at " << delay_ms << " ms";
    }
  }
  EXPECT_GT(killed, 0);
  ToolRun backup = Loyalty({"--db", db_, "backup", "--to", backups_});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_FALSE(fs::exists(db_ + "/backup-staging"));
  ToolRun restore = Loyalty({"restore", "--from", backups_, "--db", dir_.Sub("restored")});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(Loyalty({"--db", dir_.Sub("restored"), "head"}).out, Loyalty({"--db", db_, "head"}).out);
}

TEST_F(BackupCliTest, FlagsThatMakeNoSenseAreExitOneAndChangeNothing) {
  const std::vector<std::vector<std::string>> wrong = {
      {"--db", db_, "backup"},
      {"--db", db_, "backup", "--to", backups_, "--backup-id", "1"},
      {"backup", "list"},
      {"backup", "list", "--from", backups_, "--backup-id", "1"},
      {"backup", "verify", "--from", backups_, "--backup-id", "0"},
      {"backup", "verify", "--from", backups_, "--to", backups_},
      {"backup", "prune", "--from", backups_},
      {"backup", "purge", "--from", backups_},
      {"backup", "purge", "--from", backups_, "--keep", "0"},
      {"backup", "list", "--from", backups_, "--keep", "1"},
      {"restore", "--db", dir_.Sub("restored")},
      {"restore", "--from", backups_, "--backup-id", "4294967296", "--db", dir_.Sub("restored")},
  };
  for (const std::vector<std::string>& args : wrong) {
    ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 1) << absl::StrJoin(args, " ") << ": " << run.err;
    EXPECT_THAT(run.err, StartsWith("loyalty: ")) << absl::StrJoin(args, " ");
  }
  EXPECT_FALSE(fs::exists(backups_));
  EXPECT_FALSE(fs::exists(dir_.Sub("restored")));
}

// `loyalty copy` (include/loyalty/copy.h) between directories: the same
// head and digests, the source untouched, personal data opened with the
// source's key.
TEST_F(BackupCliTest, ACopyHasTheSameHeadAndDigestsAndLeavesTheSourceAsItWas) {
  const std::vector<std::string> before = Snapshot(db_);
  const std::string copy = dir_.Sub("copy");
  ToolRun copied = Loyalty({"--db", db_, "copy", "--to", copy});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_THAT(copied.out, StartsWith("copied "));
  EXPECT_THAT(copied.out, HasSubstr("ok: verified sequences 1.."));
  EXPECT_THAT(copied.err, HasSubstr(copy + ".key"));
  EXPECT_EQ(Snapshot(db_), before);
  EXPECT_EQ(Loyalty({"--db", copy, "head"}).out, Loyalty({"--db", db_, "head"}).out);
  EXPECT_EQ(Loyalty({"--db", copy, "digests"}).out, Loyalty({"--db", db_, "digests"}).out);
  // The same member with the same personal data (but for the instant of
  // "now" each was shown at).
  const std::vector<std::string> show = {"member", "show", "M000001", "--personal",
                                         "--master-key", db_ + ".key"};
  const auto without_now = [](const std::string& text) {
    std::vector<std::string> lines = loyalty::testing::Lines(text);
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [](const std::string& line) { return line.rfind("as of ", 0) == 0; }),
                lines.end());
    return lines;
  };
  std::vector<std::string> on_copy = {"--db", copy};
  on_copy.insert(on_copy.end(), show.begin(), show.end());
  std::vector<std::string> on_source = {"--db", db_};
  on_source.insert(on_source.end(), show.begin(), show.end());
  ToolRun personal = Loyalty(on_copy);
  EXPECT_EQ(personal.exit_code, 0) << personal.err;
  EXPECT_THAT(personal.out, HasSubstr("birth date"));
  EXPECT_EQ(without_now(personal.out), without_now(Loyalty(on_source).out));

  // Nothing new: nothing copied. A directory of other files: refused, kept.
  ToolRun again = Loyalty({"--db", db_, "copy", "--to", copy});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, StartsWith("copied 0 events after the "));
  fs::create_directories(dir_.Sub("notes"));
  std::ofstream(dir_.Sub("notes/todo.txt")) << "keep me\n";
  ToolRun refused = Loyalty({"--db", db_, "copy", "--to", dir_.Sub("notes")});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("copy: destination"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_.Sub("notes")), fs::directory_iterator()), 1);
  ToolRun no_destination = Loyalty({"--db", db_, "copy"});
  EXPECT_EQ(no_destination.exit_code, 1) << no_destination.err;
  EXPECT_THAT(no_destination.err, HasSubstr("--to DEST"));
}

TEST_F(BackupCliTest, ACopyKilledAtAnyMomentIsFinishedByTheNextRun) {
  const std::string copy = dir_.Sub("copy");
  int killed = 0;
  for (int delay_ms : {5, 15, 30, 50, 80, 120, 170, 240}) {
    killed += KillToolAfter({"--db", db_, "copy", "--to", copy}, delay_ms) ? 1 : 0;
    // Whatever is there is a ledger that verifies (or none yet).
    if (fs::exists(copy + "/CURRENT")) {
      ToolRun verify = Loyalty({"--db", copy, "verify"});
      EXPECT_EQ(verify.exit_code, 0) << "after a kill at " << delay_ms << " ms: " << verify.err;
    }
  }
  EXPECT_GT(killed, 0);
  ToolRun copied = Loyalty({"--db", db_, "copy", "--to", copy});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_EQ(Loyalty({"--db", copy, "head"}).out, Loyalty({"--db", db_, "head"}).out);
  EXPECT_EQ(Loyalty({"--db", copy, "digests"}).out, Loyalty({"--db", db_, "digests"}).out);
}

}  // namespace
}  // namespace loyalty
