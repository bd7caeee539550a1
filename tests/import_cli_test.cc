// `loyalty import purchases`: a CSV history through the tool, run as a
// subprocess on a ledger whose members the test enrols through the Engine;
// the results are read back through the Engine.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "testing/commands.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Lines;
using ::loyalty::testing::ReadFile;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// 2024-01-01T00:00:00Z.
constexpr int64_t kJan2024Us = 1704067200LL * 1000000;
constexpr int64_t kDayUs = 86400LL * 1000000;
constexpr char kHeader[] = "purchase_id,member_id,store_id,amount,occurred_at,refund_of\n";

// The lines of standard error that report an error ("loyalty: ..."), without
// the progress and rate lines.
std::vector<std::string> ErrorLines(const std::string& err) {
  std::vector<std::string> errors;
  for (const std::string& line : Lines(err)) {
    if (absl::StartsWith(line, "loyalty: ")) errors.push_back(line);
  }
  return errors;
}

// The rate line written at the end of an import of `rows` rows.
std::string RateLinePattern(int rows) {
  return absl::StrCat("^import: ", rows, " rows in [0-9]+\\.[0-9][0-9] s \\([0-9]+ rows/s\\)$");
}

class ImportCliTest : public ::testing::Test {
 protected:
  // M1, M2 and 会员001 enrol on 2024-01-01, without personal data (which would need
  // a master key and plays no part in an import); the ledger is closed for
  // the tool.
  void SetUp() override {
    std::unique_ptr<Engine> engine = Open();
    ASSERT_NE(engine, nullptr);
    for (const char* member_id : {"M1", "M2", "会员001"}) {
      ASSERT_TRUE(engine->Execute(testing::EnrolCommand(member_id, kJan2024Us)).ok());
    }
  }

  std::unique_ptr<Engine> Open() {
    EngineOptions options;
    options.ledger.clock = &clock_;
    // Enrolments carry personal data, sealed under a master key (docs/privacy.md).
    options.master_key = MasterKeyFromBytes(std::string(kMasterKeyBytes, 'k'));
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(db_, options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  uint64_t Head() {
    std::unique_ptr<Engine> engine = Open();
    return engine == nullptr ? 0 : engine->ledger().Head().sequence;
  }

  int64_t AvailablePoints(const std::string& member_id) {
    std::unique_ptr<Engine> engine = Open();
    if (engine == nullptr) return -1;
    absl::StatusOr<MemberView> member = engine->Member(member_id, AsOf::Now());
    EXPECT_TRUE(member.ok()) << member.status();
    return member.ok() ? member->available_points : -1;
  }

  ToolRun Import(const std::string& csv, std::vector<std::string> flags = {}) {
    const std::string path = dir_.Sub(absl::StrCat("history-", runs_, ".csv"));
    std::ofstream(path, std::ios::binary) << csv;
    std::vector<std::string> args = {"--db", db_, "import", "purchases", path};
    args.insert(args.end(), flags.begin(), flags.end());
    ToolRun run = RunTool(LOYALTY_BINARY, args, "/dev/null", dir_.path(),
                          dir_.Sub(absl::StrCat("run-", runs_)));
    ++runs_;
    return run;
  }

  TempDir dir_;
  const std::string db_ = dir_.Sub("db");
  ManualClock clock_{kJan2024Us + 3600LL * 1000000};
  int runs_ = 0;
};

// M1 buys 123.45 and 6000.00 CNY (123 + 6000 points; silver after the
// second), 1000.00 CNY of the second is refunded (1000 points clawed back);
// M2 buys 50.00 CNY (50 points).
const std::string kHistory = std::string(kHeader) +
                             "P1,M1,store-7,123.45,2024-01-02T10:00:00+08:00,\n"
                             "P2,M1,store-7,6000.00,2024-01-03T10:00:00+08:00,\n"
                             "P3,M2,store-9,50,2024-01-03T11:00:00+08:00,\n"
                             "F1,M1,store-7,1000,2024-01-04T10:00:00+08:00,P2\n";

TEST_F(ImportCliTest, ImportsPurchasesAndRefunds) {
  ToolRun run = Import(kHistory);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // Standard error holds only the rate (no progress line: it is not a
  // terminal); standard output only the summary.
  EXPECT_THAT(Lines(run.err), ElementsAre(ContainsRegex(RateLinePattern(4))));
  EXPECT_THAT(Lines(run.out),
              ElementsAre("imported 4, rejected 0, duplicates skipped 0, conflicts 0 (4 rows)"));
  EXPECT_EQ(AvailablePoints("M1"), 123 + 6000 - 1000);
  EXPECT_EQ(AvailablePoints("M2"), 50);
  std::unique_ptr<Engine> engine = Open();
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<ProgramView> program = engine->Program(AsOf::Now());
  ASSERT_TRUE(program.ok()) << program.status();
  bool found = false;
  for (const PartnerScorecard& partner : program->partners) {
    if (partner.partner_id != "store-7") continue;
    found = true;
    EXPECT_EQ(partner.gross_sales_fen, 612345);
    EXPECT_EQ(partner.refunded_fen, 100000);
  }
  EXPECT_TRUE(found);
}

TEST_F(ImportCliTest, ReimportingTheSameFileChangesNothing) {
  ASSERT_EQ(Import(kHistory).exit_code, 0);
  const uint64_t head = Head();
  ToolRun again = Import(kHistory);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(Lines(again.out),
              ElementsAre("imported 0, rejected 0, duplicates skipped 4, conflicts 0 (4 rows)"));
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(AvailablePoints("M1"), 5123);
}

TEST_F(ImportCliTest, RejectedRowsAreNamedByLineAndTheOthersImported) {
  const std::string csv = std::string(kHeader) +
                          "P1,M1,store-7,100,2024-01-02T10:00:00+08:00,\n"
                          "P2,M1,store-7,12.345,2024-01-02T10:00:00+08:00,\n"
                          "P3,M9,store-7,100,2024-01-02T10:00:00+08:00,\n"
                          "F1,,,200,2024-01-03T10:00:00+08:00,P1\n"
                          "P4,M2,store-9,7,2024-01-02T10:00:00+08:00,\n";
  ToolRun run = Import(csv);
  EXPECT_EQ(run.exit_code, 1);
  // P4 (line 6) occurred before F1 (line 5): it is applied first.
  EXPECT_THAT(Lines(run.out),
              ElementsAre("reordered 2 of 4 rows by occurred_at (refunds after their purchases)",
                          "imported 2, rejected 3, duplicates skipped 0, conflicts 0 (5 rows)"));
  const std::vector<std::string> errors = ErrorLines(run.err);
  ASSERT_EQ(errors.size(), 3u) << run.err;
  EXPECT_THAT(errors[0], HasSubstr("loyalty: line 3: column amount: \"12.345\""));
  EXPECT_THAT(errors[1], HasSubstr("loyalty: line 4: "));
  EXPECT_THAT(errors[1], HasSubstr("M9"));
  EXPECT_THAT(errors[2], HasSubstr("loyalty: line 5: "));
  EXPECT_THAT(errors[2], HasSubstr("P1"));
  EXPECT_EQ(AvailablePoints("M1"), 100);
  EXPECT_EQ(AvailablePoints("M2"), 7);
}

TEST_F(ImportCliTest, AllOrNothingLeavesTheLedgerUnchangedOnAnyBadRow) {
  const uint64_t head = Head();
  // The refund on line 4 is of a purchase two lines before it (valid); the
  // one on line 5 exceeds what is left of it.
  const std::string csv = std::string(kHeader) +
                          "P1,M1,store-7,100,2024-01-02T10:00:00+08:00,\n"
                          "P2,M2,store-7,100,2024-01-02T10:00:00+08:00,\n"
                          "F1,,,60,2024-01-03T10:00:00+08:00,P1\n"
                          "F2,,,60,2024-01-04T10:00:00+08:00,P1\n";
  ToolRun run = Import(csv, {"--all-or-nothing"});
  EXPECT_EQ(run.exit_code, 1);
  // Nothing is imported, so no rate is written either.
  const std::vector<std::string> errors = Lines(run.err);
  ASSERT_EQ(errors.size(), 2u) << run.err;
  EXPECT_THAT(errors[0], HasSubstr("loyalty: line 5: "));
  EXPECT_THAT(errors[1], HasSubstr("nothing imported: 1 of 4 rows are rejected by the ledger"));
  EXPECT_EQ(Head(), head);

  ToolRun unparsable = Import(std::string(kHeader) +
                                  "P1,M1,store-7,100,2024-01-02T10:00:00+08:00,\n"
                                  "P2,M1,store-7,1.2.3,2024-01-02T10:00:00+08:00,\n",
                              {"--all-or-nothing"});
  EXPECT_EQ(unparsable.exit_code, 1);
  EXPECT_THAT(unparsable.err, HasSubstr("loyalty: line 3: column amount"));
  EXPECT_EQ(Head(), head);
}

TEST_F(ImportCliTest, AllOrNothingImportsAValidFileWithRefundsOfItsOwnPurchases) {
  const std::string csv = std::string(kHeader) +
                          "P1,M1,store-7,100,2024-01-02T10:00:00+08:00,\n"
                          "F1,,,60,2024-01-03T10:00:00+08:00,P1\n"
                          "F2,,,40,2024-01-04T10:00:00+08:00,P1\n";
  ToolRun run = Import(csv, {"--all-or-nothing"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(Lines(run.out),
              ElementsAre("imported 3, rejected 0, duplicates skipped 0, conflicts 0 (3 rows)"));
  EXPECT_EQ(AvailablePoints("M1"), 0);
}

TEST_F(ImportCliTest, FileLevelErrorsNameTheFile) {
  ToolRun run = Import("purchase_id,member_id\nP1,M1\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("history-0.csv: line 1: header: the required column"));
  ToolRun kind = RunTool(LOYALTY_BINARY, {"--db", db_, "import", "members", "x.csv"}, "/dev/null",
                         dir_.path(), dir_.Sub("kind"));
  EXPECT_EQ(kind.exit_code, 1);
  EXPECT_THAT(kind.err, HasSubstr("unknown kind \"members\""));
}

TEST_F(ImportCliTest, HelpDescribesTheCommand) {
  ToolRun list = RunTool(LOYALTY_BINARY, {"help"}, "/dev/null", dir_.path(), dir_.Sub("help"));
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("\n  import purchases FILE.csv "));
  ToolRun help =
      RunTool(LOYALTY_BINARY, {"help", "import"}, "/dev/null", dir_.path(), dir_.Sub("help2"));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--all-or-nothing"));
  EXPECT_THAT(help.out, HasSubstr("refund_of"));
}

// The same two purchases give the same points and the same upgrade in
// either order of the file: rows are applied in business-time order. (In
// file order, the later 2,000 CNY applied first earns at Regular, and the
// 5,000 CNY then applied at the member's now upgrades a day late: 7,000
// points instead of 7,500.)
TEST_F(ImportCliTest, RowOrderDoesNotChangeTheResult) {
  ToolRun in_order = Import(std::string(kHeader) +
                            "P1,M1,store-7,5000,2024-01-02T10:00:00+08:00,\n"
                            "P2,M1,store-7,2000,2024-01-03T10:00:00+08:00,\n");
  EXPECT_EQ(in_order.exit_code, 0) << in_order.err;
  EXPECT_THAT(Lines(in_order.out),
              ElementsAre("imported 2, rejected 0, duplicates skipped 0, conflicts 0 (2 rows)"));
  ToolRun reversed = Import(std::string(kHeader) +
                            "Q2,M2,store-7,2000,2024-01-03T10:00:00+08:00,\n"
                            "Q1,M2,store-7,5000,2024-01-02T10:00:00+08:00,\n");
  EXPECT_EQ(reversed.exit_code, 0) << reversed.err;
  EXPECT_THAT(Lines(reversed.out),
              ElementsAre("reordered 2 of 2 rows by occurred_at (refunds after their purchases)",
                          "imported 2, rejected 0, duplicates skipped 0, conflicts 0 (2 rows)"));

  std::unique_ptr<Engine> engine = Open();
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<MemberView> m1 = engine->Member("M1", AsOf::Now());
  absl::StatusOr<MemberView> m2 = engine->Member("M2", AsOf::Now());
  ASSERT_TRUE(m1.ok()) << m1.status();
  ASSERT_TRUE(m2.ok()) << m2.status();
  EXPECT_EQ(m1->available_points, 5000 + 2500);
  EXPECT_EQ(m2->available_points, m1->available_points);
  ASSERT_EQ(m1->tier_history.size(), 1u);
  ASSERT_EQ(m2->tier_history.size(), 1u);
  // Upgraded to Silver by the 5,000 CNY purchase, at its time.
  EXPECT_EQ(m1->tier_history[0].to, v1::TIER_SILVER);
  EXPECT_EQ(m1->tier_history[0].at_us, kJan2024Us + kDayUs + 2 * 3600LL * 1000000);
  EXPECT_EQ(m2->tier_history[0].at_us, m1->tier_history[0].at_us);
}

TEST_F(ImportCliTest, ARefundDatedBeforeItsPurchaseIsAppliedRightAfterIt) {
  // The refund's till was a day behind: its time is before the purchase's.
  const std::string csv = std::string(kHeader) +
                          "F1,,,1000,2024-01-02T09:00:00+08:00,P1\n"
                          "P0,M1,store-7,10,2024-01-01T12:00:00+08:00,\n"
                          "P1,M1,store-7,4000,2024-01-03T10:00:00+08:00,\n";
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{{"--all-or-nothing"}, {}}) {
    ToolRun run = Import(csv, flags);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(ErrorLines(run.err), IsEmpty());
  }
  EXPECT_EQ(AvailablePoints("M1"), 10 + 4000 - 1000);
}

TEST_F(ImportCliTest, MessagesNameTheColumnsAndAmountsOfTheFile) {
  const std::string csv = std::string(kHeader) +
                          "P1,M1,store-7,0.00,2024-01-02T10:00:00+08:00,\n"
                          "F1,,,10,2024-01-02T11:00:00+08:00,P8\n"
                          "P2,M1,store-7,50,2024-01-02T12:00:00+08:00,\n"
                          "F2,,,60.5,2024-01-03T10:00:00+08:00,P2\n"
                          "P3,M1,store-7,10000000000.01,2024-01-02T10:00:00+08:00,\n";
  ToolRun run = Import(csv);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(
      ErrorLines(run.err),
      ElementsAre("loyalty: line 2: column amount: 0.00 CNY is not in [0.01, 10000000000.00]",
                  "loyalty: line 3: refund_of: \"P8\" is not recorded",
                  "loyalty: line 5: amount: a refund of 60.50 CNY of purchase \"P2\" exceeds the "
                  "50.00 CNY that remain of its 50.00 CNY",
                  "loyalty: line 6: column amount: 10000000000.01 CNY is not in [0.01, "
                  "10000000000.00]"));
  EXPECT_THAT(Lines(run.out),
              ElementsAre("imported 1, rejected 4, duplicates skipped 0, conflicts 0 (5 rows)"));
}

TEST_F(ImportCliTest, AnIdRepeatedWithOtherContentIsAConflict) {
  ASSERT_EQ(Import(std::string(kHeader) + "P0,M1,store-7,70,2024-01-02T09:00:00+08:00,\n"
                                          "P1,M1,store-7,100,2024-01-02T10:00:00+08:00,\n")
                .exit_code,
            0);
  const uint64_t head = Head();
  const std::string csv = std::string(kHeader) +
                          // Recorded for another member: a conflict.
                          "P0,M2,store-7,70,2024-01-02T09:00:00+08:00,\n"
                          // Recorded with the same content: a duplicate.
                          "P1,M1,store-7,100,2024-01-02T10:00:00+08:00,\n"
                          "P2,M1,store-7,50,2024-01-02T11:00:00+08:00,\n"
                          // The row above again: a duplicate; with another amount: a conflict.
                          "P2,M1,store-7,50,2024-01-02T11:00:00+08:00,\n"
                          "P2,M1,store-7,55,2024-01-02T11:00:00+08:00,\n";
  const std::vector<std::string> conflicts = {
      "loyalty: line 2: conflict: purchase_id \"P0\" is recorded with other content: member_id "
      "\"M1\" recorded, \"M2\" here",
      "loyalty: line 6: conflict: purchase_id \"P2\" is on line 4 with other content: amount "
      "50.00 CNY there, 55.00 CNY here"};

  // With --all-or-nothing a conflict is a bad row: nothing is imported.
  ToolRun checked = Import(csv, {"--all-or-nothing"});
  EXPECT_EQ(checked.exit_code, 1);
  std::vector<std::string> expected = conflicts;
  expected.push_back(
      "loyalty: nothing imported: 2 of 5 rows conflict with a row recorded or read before");
  EXPECT_EQ(ErrorLines(checked.err), expected);
  EXPECT_EQ(Head(), head);

  ToolRun run = Import(csv);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(ErrorLines(run.err), conflicts);
  EXPECT_THAT(Lines(run.out),
              ElementsAre("imported 1, rejected 0, duplicates skipped 2, conflicts 2 (5 rows)"));
  EXPECT_EQ(AvailablePoints("M1"), 70 + 100 + 50);
  EXPECT_EQ(AvailablePoints("M2"), 0);
}

// Chinese ids and names are shown as they are written, in messages and in
// reports; a file saved with a UTF-8 byte order mark reads as without it.
TEST_F(ImportCliTest, ChineseIdsAreShownAsWritten) {
  const std::string csv = "\xEF\xBB\xBF" + std::string(kHeader) +
                          "订单1,会员001,万达店,100,2024-01-02T10:00:00+08:00,\n"
                          "订单2,会员009,万达店,5,2024-01-02T10:00:00+08:00,\n"
                          "退款1,,,1,2024-01-03T10:00:00+08:00,订单9\n"
                          "订单3,会员001,万达店,1.234,2024-01-02T10:00:00+08:00,\n";
  ToolRun run = Import(csv);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(ErrorLines(run.err),
              ElementsAre("loyalty: line 3: member_id: \"会员009\" is not enrolled",
                          "loyalty: line 4: refund_of: \"订单9\" is not recorded",
                          "loyalty: line 5: column amount: \"1.234\" is not an amount in CNY with "
                          "at most two decimals (123.45)"));
  EXPECT_THAT(run.err, Not(HasSubstr("\\x")));

  ToolRun show = RunTool(LOYALTY_BINARY, {"--db", db_, "member", "show", "会员001"}, "/dev/null",
                         dir_.path(), dir_.Sub("show"));
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("member                会员001\n"));
  EXPECT_THAT(show.out, Not(HasSubstr("\\x")));
  ToolRun partners = RunTool(LOYALTY_BINARY, {"--db", db_, "partners"}, "/dev/null", dir_.path(),
                             dir_.Sub("partners"));
  EXPECT_EQ(partners.exit_code, 0) << partners.err;
  EXPECT_THAT(partners.out, HasSubstr("万达店"));
  EXPECT_THAT(partners.out, Not(HasSubstr("\\x")));
  ToolRun unknown = RunTool(LOYALTY_BINARY, {"--db", db_, "member", "show", "会员404"},
                            "/dev/null", dir_.path(), dir_.Sub("unknown"));
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("\"会员404\""));
}

// Runs the tool as from an interactive shell: standard error on a
// pseudo-terminal, standard output to a file. Returns what the terminal
// received (its line discipline turns "\n" into "\r\n").
ToolRun RunWithStandardErrorOnATerminal(const std::vector<std::string>& args,
                                        const std::string& out_path) {
  ToolRun run;
  const int terminal = posix_openpt(O_RDWR | O_NOCTTY);
  if (terminal < 0 || grantpt(terminal) != 0 || unlockpt(terminal) != 0) {
    ADD_FAILURE() << "no pseudo-terminal: " << std::strerror(errno);
    return run;
  }
  const std::string terminal_name = ptsname(terminal);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, terminal_name.c_str(), O_RDWR | O_NOCTTY, 0);
  const pid_t pid = testing::Spawn(LOYALTY_BINARY, args, actions);
  posix_spawn_file_actions_destroy(&actions);
  if (pid == 0) {
    close(terminal);
    return run;
  }
  // Read while the tool runs, so that it never waits on a full terminal.
  char buffer[4096];
  while (true) {
    const ssize_t read_bytes = read(terminal, buffer, sizeof(buffer));
    if (read_bytes > 0) {
      run.err.append(buffer, static_cast<size_t>(read_bytes));
      continue;
    }
    if (read_bytes < 0 && errno == EINTR) continue;
    break;  // EIO: the tool closed its end.
  }
  int wait_status = 0;
  EXPECT_EQ(waitpid(pid, &wait_status, 0), pid);
  run.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  close(terminal);
  run.out = ReadFile(out_path);
  return run;
}

TEST_F(ImportCliTest, ProgressIsDrawnWhenStandardErrorIsATerminal) {
  const std::string path = dir_.Sub("terminal.csv");
  std::ofstream(path, std::ios::binary) << kHistory;
  ToolRun run = RunWithStandardErrorOnATerminal({"--db", db_, "import", "purchases", path},
                                                dir_.Sub("terminal.out"));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("\rimporting: 4 of 4 rows (100%)\r\n"));
  EXPECT_THAT(run.err, ContainsRegex("import: 4 rows in [0-9]+\\.[0-9][0-9] s \\([0-9]+ rows/s\\)"));
  // Standard output holds the summary alone.
  EXPECT_THAT(Lines(run.out),
              ElementsAre("imported 4, rejected 0, duplicates skipped 0, conflicts 0 (4 rows)"));
}

// Engine::CheckInOrder, which --all-or-nothing relies on: each command is
// checked after the ones before it, and nothing is appended or applied.
TEST_F(ImportCliTest, CheckInOrderSeesEarlierCommandsAndChangesNothing) {
  std::unique_ptr<Engine> engine = Open();
  ASSERT_NE(engine, nullptr);
  RecordPurchase purchase;
  purchase.purchase_id = "P1";
  purchase.member_id = "M1";
  purchase.partner_id = "store-7";
  purchase.amount_fen = 10000;
  purchase.occurred_at_us = kJan2024Us + 86400LL * 1000000;
  purchase.actor_id = "import";
  RecordRefund refund;
  refund.refund_id = "F1";
  refund.purchase_id = "P1";
  refund.amount_fen = 6000;
  refund.occurred_at_us = purchase.occurred_at_us + 1000000;
  refund.actor_id = "import";
  RecordRefund too_much = refund;
  too_much.refund_id = "F2";
  RecordPurchase unknown_member = purchase;
  unknown_member.purchase_id = "P2";
  unknown_member.member_id = "M9";
  const uint64_t head = engine->ledger().Head().sequence;
  const std::vector<PurchaseOrRefund> commands = {purchase, refund, too_much, unknown_member,
                                                  purchase};
  absl::StatusOr<std::vector<absl::Status>> checked = engine->CheckInOrder(commands);
  ASSERT_TRUE(checked.ok()) << checked.status();
  ASSERT_EQ(checked->size(), 5u);
  EXPECT_TRUE((*checked)[0].ok()) << (*checked)[0];
  EXPECT_TRUE((*checked)[1].ok()) << (*checked)[1];
  EXPECT_EQ((*checked)[2].code(), absl::StatusCode::kFailedPrecondition) << (*checked)[2];
  EXPECT_EQ((*checked)[3].code(), absl::StatusCode::kNotFound) << (*checked)[3];
  EXPECT_EQ((*checked)[4].code(), absl::StatusCode::kAlreadyExists) << (*checked)[4];
  EXPECT_EQ(engine->ledger().Head().sequence, head);
  absl::StatusOr<MemberView> member = engine->Member("M1", AsOf::Now());
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->earned_points_total, 0);
  // The live projections are untouched: the purchase is still unknown.
  EXPECT_EQ(engine->Execute(refund).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty
