// An engine over a log holding events that break a rule of the domain,
// written through the raw Ledger API as `loyalty append`, a program or an
// older build could write them: every command and view still answers, and
// the events are listed as anomalies (docs/reliability.md, "Events that
// break a rule").
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/metrics.h"
#include "projections/local_time.h"
#include "replay/projection_set.h"
#include "testing/commands.h"
#include "testing/engine_backend.h"
#include "testing/engine_history.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "testing/view_text.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kDayUs = 86400LL * 1000000;

class EngineAnomalyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    ASSERT_TRUE(testing::LoadOfficialCalendar(*engine_, 2024, kJan2024Us).ok());
    Enrol("M1", 5);
    Enrol("M2", 7);
    ASSERT_TRUE(Purchase("M1", "P1", 12000).ok());  // 120 points
    ASSERT_TRUE(Purchase("M2", "P2", 30000).ok());  // 300 points
    FileComplaint file = testing::FileComplaintCommand("C1", "M1", kJan2024Us + kDayUs);
    file.channel = v1::CHANNEL_UNSPECIFIED;
    ASSERT_TRUE(engine_->Execute(file).ok());
    first_raw_ = engine_->ledger().Head().sequence + 1;
    AppendRuleBreakingEvents();
  }

  void Reopen() {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.master_key = MasterKeyFromBytes(std::string(32, 'k'));
    options.member_snapshot_interval_events = 2;
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  // Born on January `day`, 1990.
  void Enrol(const std::string& member_id, int day) {
    ASSERT_TRUE(
        engine_->Execute(testing::EnrolBornOnCommand(member_id, 1990, 1, day, kJan2024Us)).ok());
  }

  absl::StatusOr<CommandResult> Purchase(const std::string& member_id, const std::string& id,
                                         int64_t amount_fen) {
    return engine_->Execute(
        testing::PurchaseCommand(id, member_id, amount_fen, kJan2024Us + kDayUs));
  }

  static v1::Envelope On(const std::string& stream_id, int n) {
    v1::Envelope envelope = ::loyalty::testing::EnvelopeOn(
        stream_id, absl::StrCat("raw/", n), kJan2024Us + 2 * kDayUs, "raw");
    return envelope;
  }

  // Every kind of the brief's examples, one event each, in this order.
  void AppendRuleBreakingEvents() {
    std::vector<v1::Envelope> events;
    v1::Envelope ghost = testing::Purchase("GHOST", "G1", 50000, kJan2024Us + 2 * kDayUs);
    events.push_back(ghost);  // 0: a purchase of a member never enrolled
    v1::Envelope ghost_points = On("member-GHOST", 1);  // 1: and its points
    ghost_points.mutable_event()->mutable_points_granted()->set_member_id("GHOST");
    ghost_points.mutable_event()->mutable_points_granted()->set_points(500);
    ghost_points.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_PURCHASE);
    ghost_points.mutable_event()->mutable_points_granted()->set_purchase_id("G1");
    events.push_back(ghost_points);
    v1::Envelope redeem = On("member-M1", 2);  // 2: a redemption past the balance
    redeem.mutable_event()->mutable_points_redeemed()->set_member_id("M1");
    redeem.mutable_event()->mutable_points_redeemed()->set_redemption_id("R-big");
    redeem.mutable_event()->mutable_points_redeemed()->set_points(99999999);
    events.push_back(redeem);
    v1::Envelope huge = On("member-M2", 3);  // 3: points of 2^63-1
    huge.mutable_event()->mutable_points_granted()->set_member_id("M2");
    huge.mutable_event()->mutable_points_granted()->set_points(std::numeric_limits<int64_t>::max());
    huge.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
    events.push_back(huge);
    v1::Envelope again = testing::Purchase("M1", "P1", 9000, kJan2024Us + 2 * kDayUs);
    again.set_idempotency_key("raw/4");  // 4: a purchase id recorded before
    events.push_back(again);
    v1::Envelope unknown_refund = On("member-M1", 5);  // 5: a refund of an unknown purchase
    unknown_refund.mutable_event()->mutable_refund_recorded()->set_member_id("M1");
    unknown_refund.mutable_event()->mutable_refund_recorded()->set_refund_id("F1");
    unknown_refund.mutable_event()->mutable_refund_recorded()->set_purchase_id("P404");
    unknown_refund.mutable_event()->mutable_refund_recorded()->set_amount_fen(100);
    events.push_back(unknown_refund);
    v1::Envelope big_refund = On("member-M1", 6);  // 6: a refund beyond what is left
    big_refund.mutable_event()->mutable_refund_recorded()->set_member_id("M1");
    big_refund.mutable_event()->mutable_refund_recorded()->set_refund_id("F2");
    big_refund.mutable_event()->mutable_refund_recorded()->set_purchase_id("P1");
    big_refund.mutable_event()->mutable_refund_recorded()->set_amount_fen(50000);
    events.push_back(big_refund);
    v1::Envelope notified = On("complaint-C1", 7);  // 7: a complaint step out of order
    notified.mutable_event()->mutable_customer_notified()->set_complaint_id("C1");
    events.push_back(notified);
    v1::Envelope survey = On("survey-Q9", 8);  // 8: a survey of a member never enrolled
    survey.mutable_event()->mutable_survey_answered()->set_survey_id("Q9");
    survey.mutable_event()->mutable_survey_answered()->set_member_id("GHOST");
    survey.mutable_event()->mutable_survey_answered()->set_score(4);
    events.push_back(survey);
    v1::Envelope calendar = On("calendar", 9);  // 9: a calendar payload the rules reject
    auto* declared = calendar.mutable_event()->mutable_calendar_days_declared();
    declared->set_source("bad");
    auto* day = declared->add_days();
    day->mutable_date()->set_year(2024);
    day->mutable_date()->set_month(2);
    day->mutable_date()->set_day(30);
    day->set_kind(v1::DAY_KIND_HOLIDAY);
    events.push_back(calendar);
    v1::Envelope policy = On("policy", 10);  // 10: a policy payload the rules reject
    policy.mutable_event()->mutable_policy_set()->mutable_earning()->set_fen_per_point(-1);
    events.push_back(policy);
    v1::Envelope elsewhere = testing::Purchase("M1", "P9", 9000000, kJan2024Us + 2 * kDayUs);
    elsewhere.set_stream_id("member-M2");  // 11: a member's purchase on another's stream
    events.push_back(elsewhere);
    AppendBatch batch;
    for (v1::Envelope& envelope : events) batch.Add(std::move(envelope));
    auto appended = engine_->ledger().Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.status();
  }

  // (sequence - first_raw_, projection, rule) of every anomaly listed.
  std::vector<std::tuple<uint64_t, std::string, std::string>> Listed() {
    auto anomalies = engine_->Anomalies();
    EXPECT_TRUE(anomalies.ok()) << anomalies.status();
    std::vector<std::tuple<uint64_t, std::string, std::string>> listed;
    if (!anomalies.ok()) return listed;
    for (const AnomalyView& anomaly : anomalies->anomalies) {
      listed.emplace_back(anomaly.sequence - first_raw_, anomaly.projection, anomaly.rule);
    }
    return listed;
  }

  MemberView Member(const std::string& member_id, AsOf as_of = AsOf::Now()) {
    auto view = engine_->Member(member_id, as_of);
    EXPECT_TRUE(view.ok()) << member_id << ": " << view.status();
    return view.ok() ? *view : MemberView();
  }

  TempDir dir_;
  ManualClock clock_{kJan2024Us + 3 * kDayUs};
  std::unique_ptr<Engine> engine_;
  uint64_t first_raw_ = 0;
};

const std::vector<std::tuple<uint64_t, std::string, std::string>> kExpected = {
    {0, "balances", "member_not_enrolled"},
    {0, "tiers", "member_not_enrolled"},
    {1, "balances", "member_not_enrolled"},
    {2, "balances", "redemption_exceeds_balance"},
    {3, "balances", "points_out_of_range"},
    {4, "balances", "duplicate_purchase"},
    {4, "partners", "duplicate_purchase"},
    {4, "tiers", "duplicate_purchase"},
    {5, "balances", "unknown_purchase"},
    {5, "partners", "unknown_purchase"},
    {6, "balances", "refund_exceeds_purchase"},
    {7, "complaints", "complaint_step_out_of_order"},
    {8, "balances", "member_not_enrolled"},
    {9, "calendar", "invalid_calendar"},
    {9, "complaints", "invalid_calendar"},
    {10, "balances", "invalid_policy"},
    {10, "complaints", "invalid_policy"},
    {10, "policies", "invalid_policy"},
    {10, "tiers", "invalid_policy"},
    {11, "balances", "stream_mismatch"},
    {11, "partners", "stream_mismatch"},
    {11, "tiers", "stream_mismatch"},
};

TEST_F(EngineAnomalyTest, EveryEventThatBreaksARuleIsListedAndNothingStops) {
  EXPECT_EQ(Listed(), kExpected);
  auto anomalies = engine_->Anomalies();
  ASSERT_TRUE(anomalies.ok());
  EXPECT_EQ(anomalies->count, kExpected.size());
  EXPECT_EQ(anomalies->as_of_sequence, engine_->ledger().Head().sequence);
  const AnomalyView& redemption = anomalies->anomalies[3];
  EXPECT_EQ(redemption.stream_id, "member-M1");
  EXPECT_EQ(redemption.message,
            "redeems 99999999 points but member \"M1\" has 120 available; 120 redeemed, "
            "99999879 dropped");

  // Members, the affected ones included.
  MemberView m1 = Member("M1");
  EXPECT_EQ(m1.available_points, 0);
  EXPECT_EQ(m1.redeemed_points_total, 120);
  EXPECT_EQ(m1.debt_points, 0);
  MemberView m2 = Member("M2");
  EXPECT_EQ(m2.available_points, 300);
  EXPECT_EQ(engine_->Member("GHOST", AsOf::Now()).status().code(), absl::StatusCode::kNotFound);

  // The program, now and replayed, and the complaints' SLA.
  auto now = engine_->Program(AsOf::Now());
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->liability.outstanding_points, 300);
  EXPECT_EQ(now->liability.members, 2);
  auto replayed = engine_->Program(AsOf::Sequence(engine_->ledger().Head().sequence));
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(replayed->digests.size(), now->digests.size());
  for (size_t i = 0; i < now->digests.size(); ++i) {
    EXPECT_EQ(replayed->digests[i].digest, now->digests[i].digest) << now->digests[i].name;
  }
  auto sla = engine_->SlaReport(absl::CivilDay(2024, 1, 1), absl::CivilDay(2024, 12, 31),
                                AsOf::Now());
  ASSERT_TRUE(sla.ok()) << sla.status();
  EXPECT_EQ(sla->cycles, 1);
  auto complaint = engine_->Complaint("C1", AsOf::Sequence(engine_->ledger().Head().sequence));
  ASSERT_TRUE(complaint.ok()) << complaint.status();
  EXPECT_EQ(complaint->state, ComplaintState::kFiled);

  // A rebuild agrees with the live projections.
  auto rebuilt = engine_->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  for (size_t i = 0; i < rebuilt->size(); ++i) {
    EXPECT_EQ((*rebuilt)[i].digest, now->digests[i].digest) << (*rebuilt)[i].name;
  }

  // The metrics count them per projection.
  const MetricsSnapshot metrics = engine_->Metrics();
  ASSERT_TRUE(metrics.engine.has_value());
  std::vector<std::pair<std::string, uint64_t>> counts;
  for (const ProjectionAnomalies& projection : metrics.engine->anomalies_by_projection) {
    counts.emplace_back(projection.projection, projection.anomalies);
  }
  EXPECT_EQ(counts, (std::vector<std::pair<std::string, uint64_t>>{{"balances", 10},
                                                                    {"calendar", 1},
                                                                    {"complaints", 3},
                                                                    {"partners", 3},
                                                                    {"policies", 1},
                                                                    {"tiers", 4}}));
  EXPECT_THAT(ToPrometheusText(metrics),
              HasSubstr("# TYPE loyalty_projection_anomalies gauge\n"
                        "loyalty_projection_anomalies{projection=\"balances\"} 10\n"));
}

TEST_F(EngineAnomalyTest, CommandsAndJobsGoOnForTheAffectedMembersAndTheOthers) {
  // New commands, for an affected member and another.
  ASSERT_TRUE(Purchase("M1", "P3", 20000).ok());
  EXPECT_EQ(Member("M1").available_points, 200);
  ASSERT_TRUE(Purchase("M2", "P4", 10000).ok());
  // The deciders still refuse what breaks a rule.
  const Redeem redeem = testing::RedeemCommand("R2", "M1", 99999999, kJan2024Us + 2 * kDayUs);
  EXPECT_EQ(engine_->Execute(redeem).status().code(), absl::StatusCode::kFailedPrecondition);
  const RecordPurchase next = testing::PurchaseCommand("P5", "M2", 1000, kJan2024Us + 2 * kDayUs);
  auto checked = engine_->CheckInOrder({PurchaseOrRefund(next)});
  ASSERT_TRUE(checked.ok()) << checked.status();
  ASSERT_EQ(checked->size(), 1u);
  EXPECT_TRUE((*checked)[0].ok()) << (*checked)[0];

  // The birthday job (birth dates on 5 and 7 January: due on 31 January),
  // run on 31 January once the clock has reached it.
  clock_.Set(kJan2024Us + 31 * kDayUs);
  GrantBirthdayBonuses job;
  job.occurred_at_us = kJan2024Us + 30 * kDayUs;
  job.actor_id = "birthday-job";
  auto birthdays = engine_->Execute(job);
  ASSERT_TRUE(birthdays.ok()) << birthdays.status();
  EXPECT_EQ(birthdays->sequences.size(), 2u);

  // Erasure of the affected member; of one never enrolled: NotFound.
  EraseMember erase;
  erase.member_id = "M1";
  erase.reason = "member request";
  erase.occurred_at_us = kJan2024Us + 10 * kDayUs;
  erase.actor_id = "privacy";
  ASSERT_TRUE(engine_->Execute(erase).ok());
  erase.member_id = "GHOST";
  EXPECT_EQ(engine_->Execute(erase).status().code(), absl::StatusCode::kNotFound);
  // Retention erases the other, run on its day.
  clock_.Set(projections::StartOfLocalDayUs(absl::CivilDay(2030, 1, 1)));
  auto retained = engine_->RunRetention(absl::CivilDay(2030, 1, 1), "retention-job");
  ASSERT_TRUE(retained.ok()) << retained.status();
  ASSERT_EQ(retained->size(), 1u);
  EXPECT_EQ((*retained)[0].member_id, "M2");
  EXPECT_TRUE(Member("M2").erased);
  EXPECT_EQ(Listed(), kExpected);  // nothing new breaks a rule
}

// The anomalies are part of the checkpoint: a reopened engine lists the
// same, and its gauges count them before anything new is applied.
TEST_F(EngineAnomalyTest, AReopenedEngineListsTheSameAnomalies) {
  auto before = engine_->Anomalies();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(engine_->Checkpoint().ok());
  Reopen();
  auto after = engine_->Anomalies();
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->anomalies.size(), before->anomalies.size());
  for (size_t i = 0; i < after->anomalies.size(); ++i) {
    EXPECT_EQ(after->anomalies[i].message, before->anomalies[i].message);
  }
  EXPECT_EQ(engine_->Metrics().engine->catch_up_events_on_open, 0u);
  EXPECT_EQ(engine_->Metrics().engine->anomalies_by_projection[0].anomalies, 10u);
}

// A member's view as of any sequence (a replay of its stream, from member
// snapshots every 2 events) is the view a full replay gives, evaluated at
// the business time of that sequence's event.
TEST_F(EngineAnomalyTest, MembersAsOfEverySequenceEqualAFullReplay) {
  ASSERT_TRUE(engine_->Checkpoint().ok());  // saves the member snapshots
  const uint64_t head = engine_->ledger().Head().sequence;
  auto events = engine_->ledger().Read(1, head);
  ASSERT_TRUE(events.ok());
  internal::ProjectionSet full;
  for (const v1::Envelope& envelope : *events) {
    ASSERT_TRUE(full.Apply(envelope).ok());
    // As of the sequence: evaluated at the business time of its event.
    auto evaluated = full.Copy();
    ASSERT_TRUE(evaluated.ok()) << evaluated.status();
    (*evaluated)->AdvanceTo(envelope.occurred_at_us());
    for (const std::string member_id : {"M1", "M2"}) {
      auto expected = internal::MakeMemberView(**evaluated, member_id);
      if (!expected.ok()) continue;
      auto actual = engine_->Member(member_id, AsOf::Sequence(envelope.sequence()));
      ASSERT_TRUE(actual.ok()) << actual.status();
      actual->as_of_sequence = expected->as_of_sequence = 0;  // counted differently
      EXPECT_EQ(testing::Describe(*actual), testing::Describe(*expected))
          << member_id << " at " << envelope.sequence();
    }
  }
}

}  // namespace
}  // namespace loyalty
