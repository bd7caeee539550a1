// Hostile input, the write side: events the engine would never make, fed to
// `loyalty append`, and input dated far ahead (issue 17, cases 5 and 6).
// Each is refused with its line named and exit code 1, and the ledger is
// unchanged: after such an event every engine command would fail, or every
// point would expire.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hostile/campaign.h"

namespace loyalty::hostile {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class WriteSide : public HostileCampaign {
 protected:
  void SetUp() override { db_ = MakeDemoLedger(); }

  std::string Head() {
    const ToolRun run = Loyalty({"--db", db_, "head"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out;
  }

  // Appends `lines` (a valid enrolment first, so that the refused event is
  // on line 2 of a batch that is otherwise acceptable) and checks the
  // refusal: exit code 1, line 2 named, nothing appended.
  ToolRun AppendRefused(const std::string& line) {
    const std::string before = Head();
    const std::string path = Path("input.jsonl");
    WriteFile(path,
              R"({"stream_id":"member-N1","idempotency_key":"enrol/N1","occurred_at_us":1707000000000000,"actor_id":"desk","event":{"member_enrolled":{"member_id":"N1"}}})"
              "\n" +
                  line + "\n");
    const ToolRun run = Loyalty({"--db", db_, "append", path});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_THAT(run.err, StartsWith("loyalty: line 2: ")) << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(Head(), before);
    return run;
  }

  std::string db_;
};

TEST_F(WriteSide, APurchaseOfAMemberNeverEnrolledIsRefused) {
  const ToolRun run = AppendRefused(
      R"({"stream_id":"member-M999999","idempotency_key":"purchase/X1","occurred_at_us":1707000000000000,"actor_id":"pos","event":{"purchase_recorded":{"purchase_id":"X1","member_id":"M999999","partner_id":"S01","amount_fen":10000}}})");
  EXPECT_THAT(run.err, HasSubstr("member_id: \"M999999\" is not enrolled"));
}

TEST_F(WriteSide, ARedemptionLargerThanTheBalanceIsRefused) {
  const ToolRun run = AppendRefused(
      R"({"stream_id":"member-M000001","idempotency_key":"redemption/X2","occurred_at_us":1707000000000000,"actor_id":"counter","event":{"points_redeemed":{"member_id":"M000001","redemption_id":"X2","points":99999999,"reward":"car"}}})");
  EXPECT_THAT(run.err, HasSubstr("requested 99999999 points but has"));
}

TEST_F(WriteSide, PointsOfTwoToTheSixtyThirdMinusOneAreRefused) {
  const ToolRun run = AppendRefused(
      R"({"stream_id":"member-M000001","idempotency_key":"adjust/X3","occurred_at_us":1707000000000000,"actor_id":"operator","event":{"points_granted":{"member_id":"M000001","points":"9223372036854775807","reason":"GRANT_REASON_ADJUSTMENT","note":"max"}}})");
  EXPECT_THAT(run.err, HasSubstr("points: 9223372036854775807 is not in [1, "));
  // Nor as the points of a purchase, without its purchase.
  const ToolRun grant = AppendRefused(
      R"({"stream_id":"member-M000001","idempotency_key":"purchase/X3/points","occurred_at_us":1707000000000000,"actor_id":"pos","event":{"points_granted":{"member_id":"M000001","points":"9223372036854775807","reason":"GRANT_REASON_PURCHASE","purchase_id":"X3"}}})");
  EXPECT_THAT(grant.err, HasSubstr("only by RecordPurchase"));
}

TEST_F(WriteSide, AnEventDatedIn2099IsRefused) {
  const ToolRun run = AppendRefused(
      R"({"stream_id":"member-M000001","idempotency_key":"adjust/X4","occurred_at_us":4076013600000000,"actor_id":"operator","event":{"points_granted":{"member_id":"M000001","points":"10","reason":"GRANT_REASON_ADJUSTMENT","note":"later"}}})");
  EXPECT_THAT(run.err,
              HasSubstr("occurred_at_us: 2099-03-01T02:00:00.000000Z is later than the ledger "
                        "clock's now "));
  EXPECT_THAT(run.err, HasSubstr("plus the tolerance of 24h"));
}

TEST_F(WriteSide, AnImportRowDatedIn2099IsRefused) {
  const std::string before = Head();
  const std::string path = Path("future.csv");
  WriteFile(path,
            "purchase_id,member_id,store_id,amount,occurred_at\n"
            "X5,M000001,S01,100.00,2099-03-01T10:00:00+08:00\n");
  const ToolRun run = Loyalty({"--db", db_, "import", "purchases", path});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err,
              HasSubstr("loyalty: line 2: occurred_at: 2099-03-01T02:00:00.000000Z is later "
                        "than the ledger clock's now "));
  EXPECT_THAT(run.out, HasSubstr("imported 0, rejected 1"));
  EXPECT_EQ(Head(), before);
}

}  // namespace
}  // namespace loyalty::hostile
