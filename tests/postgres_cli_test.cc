// The tool on a ledger in PostgreSQL (`--db postgresql://...`), as a
// stranger runs it, against a throwaway server the program starts
// (testing/throwaway_postgres.h): the demo's history exported from a ledger
// directory and appended to a new directory and to PostgreSQL gives the same
// answers; reading commands write nothing; what needs a ledger directory
// says so and makes none.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"
#include "testing/throwaway_postgres.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

namespace fs = std::filesystem;
using ::loyalty::testing::ReadFile;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ThrowawayPostgres;
using ::loyalty::testing::ToolRun;
using ::testing::HasSubstr;

// `jsonl` without the fields a ledger assigns (`"NAME":VALUE,`: none of
// their values holds a comma).
std::string WithoutAssignedFields(std::string jsonl) {
  for (const char* name :
       {"sequence", "stream_version", "recorded_at_us", "previous_hash", "schema_version"}) {
    const std::string key = absl::StrCat("\"", name, "\":");
    for (size_t at = jsonl.find(key); at != std::string::npos; at = jsonl.find(key, at)) {
      jsonl.erase(at, jsonl.find(',', at) + 1 - at);
    }
  }
  return jsonl;
}

// `report` without the instant each "as of ..., TIME (now)" line names.
std::string WithoutNow(std::string report) {
  for (size_t now = report.find(" (now)"); now != std::string::npos;
       now = report.find(" (now)")) {
    const size_t start = report.rfind(", ", now);
    report.erase(start, now + 6 - start);
  }
  return report;
}

class PostgresCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> database = ThrowawayPostgres::NewSharedDatabase();
    ASSERT_TRUE(database.ok()) << database.status();
    uri_ = (*ThrowawayPostgres::Shared())->UriOf(*database);
  }

  ToolRun Loyalty(const std::vector<std::string>& args) {
    return RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(),
                   dir_.Sub(absl::StrCat("run", ++runs_)));
  }

  // The demo's history as JSON Lines to append elsewhere: personal data in
  // the clear (the new ledger seals it with its own keys), without the
  // fields a ledger assigns.
  std::string DemoHistoryToAppend() {
    ToolRun demo = Loyalty({"--db", "demo", "demo", "--members", "30", "--days", "40",
                            "--no-sync"});
    EXPECT_EQ(demo.exit_code, 0) << demo.err;
    ToolRun exported = Loyalty({"--db", "demo", "export", "--reveal-personal", "--master-key",
                                "demo.key", "--out", "revealed.jsonl"});
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    const std::string stripped = WithoutAssignedFields(ReadFile(dir_.Sub("revealed.jsonl")));
    const std::string path = dir_.Sub("history.jsonl");
    std::ofstream(path) << stripped;
    return path;
  }

  TempDir dir_;
  std::string uri_;
  int runs_ = 0;
};

TEST_F(PostgresCliTest, TheSameHistoryGivesTheSameAnswersOnBothBackends) {
  const std::string history = DemoHistoryToAppend();
  ToolRun init = Loyalty({"--db", uri_, "init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr("no events yet"));
  // A key of its own for the new ledgers (the demo's stays with the demo).
  ASSERT_EQ(Loyalty({"--db", "local", "init"}).exit_code, 0);
  {
    std::ofstream key(dir_.Sub("new.key"));
    key << std::string(64, 'a') << "\n";
  }
  fs::permissions(dir_.Sub("new.key"), fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  for (const std::string& db : {std::string("local"), uri_}) {
    ToolRun appended = Loyalty({"--db", db, "append", "--master-key", "new.key", history});
    ASSERT_EQ(appended.exit_code, 0) << db << ": " << appended.err;
  }
  for (const std::vector<std::string>& query :
       std::vector<std::vector<std::string>>{{"tiers"},
                                             {"liability"},
                                             {"partners"},
                                             {"digests"},
                                             {"member", "show", "M000001"},
                                             {"sla", "report"}}) {
    std::vector<std::string> local_args = {"--db", "local"};
    local_args.insert(local_args.end(), query.begin(), query.end());
    std::vector<std::string> postgres_args = {"--db", uri_, "--checkpoint-dir", "checkpoint"};
    postgres_args.insert(postgres_args.end(), query.begin(), query.end());
    ToolRun local = Loyalty(local_args);
    ToolRun postgres = Loyalty(postgres_args);
    ASSERT_EQ(local.exit_code, 0) << query[0] << ": " << local.err;
    ASSERT_EQ(postgres.exit_code, 0) << query[0] << ": " << postgres.err;
    // Equal but for the instant of "now" each was evaluated at.
    EXPECT_EQ(WithoutNow(postgres.out), WithoutNow(local.out)) << query[0];
  }
  ToolRun verified = Loyalty({"--db", uri_, "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  ToolRun personal = Loyalty({"--db", uri_, "member", "show", "M000001", "--personal",
                              "--master-key", "new.key"});
  EXPECT_EQ(personal.exit_code, 0) << personal.err;
}

// `loyalty copy`: a demo directory into PostgreSQL and back into a second
// directory, the same head at every hop, personal data read on PostgreSQL
// with the demo's master key.
TEST_F(PostgresCliTest, ADirectoryCopiedToPostgresAndBackKeepsItsHead) {
  ToolRun demo = Loyalty({"--db", "demo", "demo", "--members", "30", "--days", "40", "--no-sync"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  ToolRun to_postgres = Loyalty({"--db", "demo", "copy", "--to", uri_});
  ASSERT_EQ(to_postgres.exit_code, 0) << to_postgres.err;
  EXPECT_THAT(to_postgres.out, HasSubstr(" member keys (0 destroyed)"));
  EXPECT_THAT(to_postgres.err, HasSubstr("--master-key FILE"));
  ToolRun back = Loyalty({"--db", uri_, "copy", "--to", "back"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  const std::string head = Loyalty({"--db", "demo", "head"}).out;
  ASSERT_THAT(head, HasSubstr("sequence "));
  EXPECT_EQ(Loyalty({"--db", uri_, "head"}).out, head);
  EXPECT_EQ(Loyalty({"--db", "back", "head"}).out, head);
  ToolRun verified = Loyalty({"--db", uri_, "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;

  ToolRun local = Loyalty({"--db", "demo", "member", "show", "M000001", "--personal",
                           "--master-key", "demo.key"});
  ToolRun postgres = Loyalty({"--db", uri_, "member", "show", "M000001", "--personal",
                              "--master-key", "demo.key"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  ASSERT_EQ(postgres.exit_code, 0) << postgres.err;
  EXPECT_EQ(WithoutNow(postgres.out), WithoutNow(local.out));
  EXPECT_EQ(Loyalty({"--db", "back", "digests"}).out, Loyalty({"--db", "demo", "digests"}).out);
}

TEST_F(PostgresCliTest, ReadingCommandsWriteNothingAndMakeNoCheckpoint) {
  // A password in the URI (unused here: the server trusts its socket) is
  // never printed.
  const std::string with_password =
      absl::StrCat("postgresql://loyalty:s3cret-pw@", uri_.substr(uri_.find(":///") + 3));
  ToolRun init = Loyalty({"--db", with_password, "init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.out, HasSubstr("postgresql://loyalty:***@/"));
  EXPECT_THAT(init.out + init.err, ::testing::Not(HasSubstr("s3cret-pw")));
  // Nor in the error of a server that cannot be reached.
  ToolRun unreachable =
      Loyalty({"--db", "postgresql://loyalty:s3cret-pw@127.0.0.1:1/none?password=s3cret-pw", "head"});
  EXPECT_EQ(unreachable.exit_code, 3);
  EXPECT_THAT(unreachable.err, HasSubstr("connecting to PostgreSQL"));
  EXPECT_THAT(unreachable.out + unreachable.err, ::testing::Not(HasSubstr("s3cret-pw")));
  ToolRun appended =
      Loyalty({"--db", uri_, "append", std::string(LOYALTY_SOURCE_DIR) + "/tests/data/sample.jsonl"});
  ASSERT_EQ(appended.exit_code, 0) << appended.err;
  const std::string head = Loyalty({"--db", uri_, "head"}).out;
  for (const std::vector<std::string>& query : std::vector<std::vector<std::string>>{
           {"head"}, {"verify"}, {"tiers"}, {"member", "show", "M1"}, {"export"}}) {
    std::vector<std::string> args = {"--db", uri_, "--checkpoint-dir", "never-made"};
    args.insert(args.end(), query.begin(), query.end());
    ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 0) << query[0] << ": " << run.err;
  }
  EXPECT_FALSE(fs::exists(dir_.Sub("never-made")));
  EXPECT_EQ(Loyalty({"--db", uri_, "head"}).out, head);
}

TEST_F(PostgresCliTest, WhatNeedsALedgerDirectorySaysSoAndMakesNone) {
  ASSERT_EQ(Loyalty({"--db", uri_, "init"}).exit_code, 0);
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"demo"}, {"backup", "--to", "backups"}, {"restore", "--from", "backups"},
           {"audit-bundle", "--out", "bundle"}}) {
    std::vector<std::string> args = {"--db", uri_};
    args.insert(args.end(), command.begin(), command.end());
    ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 1) << command[0];
    EXPECT_THAT(run.err, HasSubstr("works on a ledger directory")) << command[0];
  }
  ToolRun misplaced = Loyalty({"--db", "local", "--checkpoint-dir", "c", "head"});
  EXPECT_EQ(misplaced.exit_code, 1);
  EXPECT_THAT(misplaced.err, HasSubstr("--checkpoint-dir"));
  // Only what the runs captured is in the test's directory.
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::StartsWith("run"));
  }
  // No ledger in the database and no way to make one by reading.
  absl::StatusOr<std::string> empty = ThrowawayPostgres::NewSharedDatabase();
  ASSERT_TRUE(empty.ok());
  const std::string empty_uri = (*ThrowawayPostgres::Shared())->UriOf(*empty);
  ToolRun none = Loyalty({"--db", empty_uri, "head"});
  EXPECT_EQ(none.exit_code, 1) << none.err;
}

}  // namespace
}  // namespace loyalty
