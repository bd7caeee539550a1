// `loyalty import purchases`: a CSV history through the tool, run as a
// subprocess on a ledger whose members the test enrols through the Engine;
// the results are read back through the Engine.
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "testing/temp_dir.h"
#include "tests/tool_runner.h"

namespace loyalty {
namespace {

using ::loyalty::testing::Lines;
using ::loyalty::testing::RunTool;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ToolRun;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// 2024-01-01T00:00:00Z.
constexpr int64_t kJan2024Us = 1704067200LL * 1000000;
constexpr char kHeader[] = "purchase_id,member_id,store_id,amount,occurred_at,refund_of\n";

class ImportCliTest : public ::testing::Test {
 protected:
  // M1 and M2 enrol on 2024-01-01, without personal data (which would need
  // a master key and plays no part in an import); the ledger is closed for
  // the tool.
  void SetUp() override {
    std::unique_ptr<Engine> engine = Open();
    ASSERT_NE(engine, nullptr);
    for (const char* member_id : {"M1", "M2"}) {
      EnrolMember command;
      command.member_id = member_id;
      command.occurred_at_us = kJan2024Us;
      command.actor_id = "counter";
      ASSERT_TRUE(engine->Execute(command).ok());
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

TEST_F(ImportCliTest, ImportsPurchasesAndRefundsInFileOrder) {
  ToolRun run = Import(kHistory);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(Lines(run.out), ElementsAre("imported 4, rejected 0, duplicates skipped 0 (4 rows)"));
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
              ElementsAre("imported 0, rejected 0, duplicates skipped 4 (4 rows)"));
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
  EXPECT_THAT(Lines(run.out), ElementsAre("imported 2, rejected 3, duplicates skipped 0 (5 rows)"));
  const std::vector<std::string> errors = Lines(run.err);
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
  EXPECT_THAT(Lines(run.out), ElementsAre("imported 3, rejected 0, duplicates skipped 0 (3 rows)"));
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
