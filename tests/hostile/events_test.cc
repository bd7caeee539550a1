// Hostile input, events (issue 17, case 5, the read side): events that break
// a rule of the domain reach the log. The engine's commands refuse them, but
// a program using the Ledger API (as `loyalty append` does, or an older
// build) can write them, and the log is never rewritten. Before, the first
// such event stopped every report, job and command for good (exit 3); now
// each is applied as far as its rule allows and listed by `loyalty
// anomalies` (docs/reliability.md, "Events that break a rule").
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"
#include "loyalty/v1/envelope.pb.h"
#include "testing/events.h"
#include "tests/hostile/campaign.h"

namespace loyalty::hostile {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2024-03-01T12:00:00+08:00, after the demo's weeks.
constexpr int64_t kAfterTheDemoUs = 1709265600LL * 1000000;

v1::Envelope RawEvent(const std::string& stream_id, const std::string& key) {
  v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
      stream_id, key, kAfterTheDemoUs, "hostile");
  return envelope;
}

// Appends `events` with the C++ Ledger API while no tool has the ledger
// open: the path a program (or `loyalty append`, before it checks events
// against the rules) writes raw events through.
void AppendRaw(const std::string& directory, std::vector<v1::Envelope> events) {
  LedgerOptions options;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(directory, options);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  AppendBatch batch;
  for (v1::Envelope& envelope : events) batch.Add(std::move(envelope));
  absl::StatusOr<AppendResult> appended = (*ledger)->Append(batch);
  ASSERT_TRUE(appended.ok()) << appended.status();
}

// The examples of issue 17: a redemption past the balance, a purchase and
// its points by a member never enrolled, points of 2^63-1, a step of a
// complaint never filed and a policy the rules reject.
std::vector<v1::Envelope> RuleBreakingEvents() {
  std::vector<v1::Envelope> events;
  v1::Envelope redeem = RawEvent("member-M000001", "hostile/redeem");
  redeem.mutable_event()->mutable_points_redeemed()->set_member_id("M000001");
  redeem.mutable_event()->mutable_points_redeemed()->set_redemption_id("R-hostile");
  redeem.mutable_event()->mutable_points_redeemed()->set_points(99999999);
  events.push_back(redeem);
  v1::Envelope purchase = RawEvent("member-GHOST", "hostile/purchase");
  purchase.mutable_event()->mutable_purchase_recorded()->set_member_id("GHOST");
  purchase.mutable_event()->mutable_purchase_recorded()->set_purchase_id("G1");
  purchase.mutable_event()->mutable_purchase_recorded()->set_partner_id("store-01");
  purchase.mutable_event()->mutable_purchase_recorded()->set_amount_fen(50000);
  events.push_back(purchase);
  v1::Envelope points = RawEvent("member-GHOST", "hostile/points");
  points.mutable_event()->mutable_points_granted()->set_member_id("GHOST");
  points.mutable_event()->mutable_points_granted()->set_points(500);
  points.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_PURCHASE);
  points.mutable_event()->mutable_points_granted()->set_purchase_id("G1");
  events.push_back(points);
  v1::Envelope huge = RawEvent("member-M000002", "hostile/huge");
  huge.mutable_event()->mutable_points_granted()->set_member_id("M000002");
  huge.mutable_event()->mutable_points_granted()->set_points(std::numeric_limits<int64_t>::max());
  huge.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
  events.push_back(huge);
  v1::Envelope confirmed = RawEvent("complaint-C-none", "hostile/confirmed");
  confirmed.mutable_event()->mutable_customer_confirmed()->set_complaint_id("C-none");
  confirmed.mutable_event()->mutable_customer_confirmed()->set_satisfied(true);
  events.push_back(confirmed);
  v1::Envelope policy = RawEvent("policy", "hostile/policy");
  policy.mutable_event()->mutable_policy_set()->mutable_earning()->set_fen_per_point(-100);
  events.push_back(policy);
  return events;
}

TEST_F(HostileCampaign, EventsThatBreakARuleStopNoCommand) {
  const std::string db = MakeDemoLedger();
  AppendRaw(db, RuleBreakingEvents());
  ASSERT_FALSE(HasFatalFailure());

  const ToolRun anomalies = Loyalty({"--db", "ledger", "anomalies"});
  ASSERT_EQ(anomalies.exit_code, 0) << anomalies.err;
  EXPECT_THAT(anomalies.out, HasSubstr("redemption_exceeds_balance"));
  EXPECT_THAT(anomalies.out, HasSubstr("redeems 99999999 points but member \"M000001\" has "));
  EXPECT_THAT(anomalies.out, HasSubstr("member_not_enrolled"));
  EXPECT_THAT(anomalies.out, HasSubstr("points_out_of_range"));
  EXPECT_THAT(anomalies.out, HasSubstr("complaint_not_filed"));
  EXPECT_THAT(anomalies.out, HasSubstr("invalid_policy"));
  EXPECT_THAT(anomalies.out, HasSubstr("member-GHOST"));
  const ToolRun json = Loyalty({"--db", "ledger", "anomalies", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"rule\":\"redemption_exceeds_balance\""));

  // Reports and the views of the affected members.
  for (const std::vector<std::string>& report :
       std::vector<std::vector<std::string>>{{"tiers"},
                                             {"liability"},
                                             {"partners"},
                                             {"digests"},
                                             {"sla", "report"},
                                             {"member", "show", "M000001"},
                                             {"member", "show", "M000002"},
                                             {"member", "show", "M000003", "--json"}}) {
    std::vector<std::string> args = {"--db", "ledger"};
    args.insert(args.end(), report.begin(), report.end());
    const ToolRun run = Loyalty(args);
    EXPECT_EQ(run.exit_code, 0) << report[0] << ": " << run.err;
  }
  // A member never enrolled is unknown, as documented (exit code 3).
  const ToolRun ghost = Loyalty({"--db", "ledger", "member", "show", "GHOST"});
  EXPECT_EQ(ghost.exit_code, 3);
  EXPECT_THAT(ghost.err, HasSubstr("\"GHOST\" is not enrolled"));

  // The checks count the anomalies without failing on them.
  const ToolRun rebuild = Loyalty({"--db", "ledger", "rebuild"});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_THAT(rebuild.out, HasSubstr("\nanomalies: 11 (see `loyalty anomalies`)\n"));
  const ToolRun verify = Loyalty({"--db", "ledger", "verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("ok: verified sequences 1.."));
  EXPECT_THAT(verify.out, HasSubstr("\nanomalies: 11 (see `loyalty anomalies`)\n"));
  const ToolRun metrics = Loyalty({"--db", "ledger", "metrics"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_THAT(metrics.out, HasSubstr("loyalty_projection_anomalies{projection=\"balances\"} 5\n"));

  // Jobs and commands, for the affected member and the others.
  const ToolRun birthdays = Loyalty({"--db", "ledger", "birthdays", "--date", "2024-12-31"});
  EXPECT_EQ(birthdays.exit_code, 0) << birthdays.err;
  EXPECT_THAT(birthdays.out, HasSubstr("granted "));
  const ToolRun erase =
      Loyalty({"--db", "ledger", "member", "erase", "M000001", "--reason", "member request"});
  EXPECT_EQ(erase.exit_code, 0) << erase.err;
  // Retention after 30 days without activity (the default is three years,
  // which would date the run after the machine's clock), so that a run in
  // 2024 finds the demo's members inactive.
  v1::Envelope retention_policy = RawEvent("policy", "hostile/retention-30d");
  retention_policy.mutable_event()->mutable_policy_set()->mutable_retention()->set_inactive_days(
      30);
  AppendRaw(db, {retention_policy});
  const ToolRun retention =
      Loyalty({"--db", "ledger", "retention", "run", "--as-of", "2024-06-30"});
  EXPECT_EQ(retention.exit_code, 0) << retention.err;
  EXPECT_THAT(retention.out, HasSubstr("M000002"));
  EXPECT_THAT(retention.out, Not(HasSubstr("GHOST")));

  // Nothing the tool did since broke a rule.
  const ToolRun after = Loyalty({"--db", "ledger", "anomalies"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_THAT(after.out, HasSubstr("anomalies: 11\n"));
}

// A log without anomalies says so, and `rebuild` prints exactly what
// `digests` does.
TEST_F(HostileCampaign, ALogThatKeepsTheRulesHasNoAnomalies) {
  MakeDemoLedger();
  const ToolRun anomalies = Loyalty({"--db", "ledger", "anomalies"});
  ASSERT_EQ(anomalies.exit_code, 0) << anomalies.err;
  EXPECT_THAT(anomalies.out, HasSubstr("anomalies: 0\n"));
  const ToolRun verify = Loyalty({"--db", "ledger", "verify"});
  EXPECT_THAT(verify.out, HasSubstr("\nanomalies: 0 (see `loyalty anomalies`)\n"));
  const ToolRun digests = Loyalty({"--db", "ledger", "digests"});
  const ToolRun rebuild = Loyalty({"--db", "ledger", "rebuild"});
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_EQ(rebuild.out, digests.out);
}

}  // namespace
}  // namespace loyalty::hostile
