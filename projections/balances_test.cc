#include "projections/balances.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/limits.h"
#include "projections/local_time.h"
#include "projections/replay.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::AnomalyRules;
using testing::At;
using testing::DataOf;
using testing::RawEnvelope;
using testing::TestWorld;

// The lots of a member as (points, expiry year) pairs in consumption order.
std::vector<std::pair<int64_t, int64_t>> Lots(const TestWorld& world, const std::string& id) {
  std::vector<std::pair<int64_t, int64_t>> lots;
  for (const Lot& lot : world.balances.FindMember(id)->lots) {
    lots.emplace_back(lot.points_remaining, LocalDayOf(lot.expires_at_us).year());
  }
  return lots;
}

using Pairs = std::vector<std::pair<int64_t, int64_t>>;

class BalanceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(world_.Enrol("M1", At(2023, 1, 2)).ok()); }
  const MemberAccount& Member() { return *world_.balances.FindMember("M1"); }
  TestWorld world_;
};

TEST_F(BalanceTest, APurchaseGrantsALotExpiringAtTheEndOfTheNextYear) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 3, 1)).ok());
  ASSERT_EQ(Member().lots.size(), 1u);
  const Lot& lot = Member().lots[0];
  EXPECT_EQ(lot.points_remaining, 100);
  EXPECT_EQ(lot.expires_at_us, EndOfLocalYearUs(2025));
  EXPECT_EQ(lot.reason, v1::GRANT_REASON_PURCHASE);
  EXPECT_EQ(lot.source_id, "S1");
  EXPECT_EQ(Member().purchases.at("S1").points_earned, 100);
  EXPECT_EQ(Member().purchases.at("S1").lot_number, lot.lot_number);
}

TEST_F(BalanceTest, LotsExpireAfterTheLastMicrosecondOfTheNextLocalYear) {
  // Granted in 2024 (late on New Year's Eve, local time): expires end of 2025.
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 12, 31, 23, 30)).ok());
  // Granted 40 minutes later: local year 2025, although still 2024 in UTC.
  ASSERT_TRUE(world_.Purchase("S2", "M1", 20000, At(2025, 1, 1, 0, 10)).ok());
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{100, 2025}, {200, 2026}}));

  world_.AdvanceTo(EndOfLocalYearUs(2025));  // the last microsecond: still usable
  EXPECT_EQ(world_.Balance("M1"), 300);
  world_.AdvanceTo(At(2026, 1, 1, 0, 0, 0));
  EXPECT_EQ(world_.Balance("M1"), 200);
  EXPECT_EQ(Member().expired_points_total, 100);
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{200, 2026}}));

  world_.AdvanceTo(At(2027, 1, 1));
  EXPECT_EQ(world_.Balance("M1"), 0);
  EXPECT_EQ(Member().expired_points_total, 300);
}

TEST_F(BalanceTest, AnEventAfterTheYearEndFindsTheLotsExpired) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 5, 1)).ok());
  // No AdvanceTo: the next event's own time expires the 2024 lot first.
  ASSERT_TRUE(world_.Purchase("S2", "M1", 5000, At(2026, 1, 1, 9, 0)).ok());
  EXPECT_EQ(Member().expired_points_total, 100);
  EXPECT_EQ(world_.Balance("M1"), 50);
}

TEST_F(BalanceTest, RedemptionConsumesSoonestExpiringFirstThenOldestGrant) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2023, 11, 1)).ok());  // 100, expires 2024
  ASSERT_TRUE(world_.Purchase("S2", "M1", 20000, At(2024, 2, 1)).ok());   // 200, expires 2025
  ASSERT_TRUE(world_.Purchase("S3", "M1", 40000, At(2024, 6, 1)).ok());   // 400, expires 2025
  ASSERT_TRUE(world_.Purchase("S4", "M1", 80000, At(2024, 1, 15)).ok());  // 800, backdated
  // S4 occurred before S3 but was recorded later: granted_at is its own
  // occurred-at, so among the 2025 lots it is the second oldest grant.
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{100, 2024}, {800, 2025}, {200, 2025}, {400, 2025}}));
  ASSERT_TRUE(world_.RedeemPoints("R1", "M1", 150, At(2024, 7, 1)).ok());
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{750, 2025}, {200, 2025}, {400, 2025}}));
  ASSERT_TRUE(world_.RedeemPoints("R2", "M1", 900, At(2024, 7, 2)).ok());
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{50, 2025}, {400, 2025}}));
  EXPECT_EQ(Member().redeemed_points_total, 1050);
  EXPECT_EQ(Member().last_activity_at_us, At(2024, 7, 2));
}

TEST_F(BalanceTest, LotsGrantedAtTheSameInstantGoInGrantOrder) {
  const int64_t at = At(2024, 4, 1);
  ASSERT_TRUE(world_.AdjustPoints("A1", "M1", AdjustmentDirection::kGrant, 10, at).ok());
  ASSERT_TRUE(world_.AdjustPoints("A2", "M1", AdjustmentDirection::kGrant, 20, at).ok());
  ASSERT_TRUE(world_.RedeemPoints("R1", "M1", 15, at).ok());
  ASSERT_EQ(Member().lots.size(), 1u);
  EXPECT_EQ(Member().lots[0].lot_number, 2u);
  EXPECT_EQ(Member().lots[0].points_remaining, 15);
}

TEST_F(BalanceTest, PartialRefundsClawBack33Then33Then34) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.Refund("F1", "S1", 3333, At(2024, 3, 2)).ok());
  EXPECT_EQ(world_.Balance("M1"), 67);
  ASSERT_TRUE(world_.Refund("F2", "S1", 3333, At(2024, 3, 3)).ok());
  EXPECT_EQ(world_.Balance("M1"), 34);
  ASSERT_TRUE(world_.Refund("F3", "S1", 3334, At(2024, 3, 4)).ok());
  EXPECT_EQ(world_.Balance("M1"), 0);
  const PurchaseRecord& purchase = Member().purchases.at("S1");
  EXPECT_EQ(purchase.refunded_fen, 10000);
  EXPECT_EQ(purchase.clawed_back_points, 100);
  EXPECT_EQ(Member().clawed_back_points_total, 100);
  // The clawback events carried 33, 33 and 34.
  std::vector<int64_t> clawed;
  for (const v1::Envelope& e : world_.log) {
    if (e.event().has_points_debited()) clawed.push_back(e.event().points_debited().points());
  }
  EXPECT_EQ(clawed, (std::vector<int64_t>{33, 33, 34}));
}

TEST_F(BalanceTest, ClawbackTakesFromThePurchasesOwnLotFirst) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2023, 11, 1)).ok());  // 100, expires 2024
  ASSERT_TRUE(world_.Purchase("S2", "M1", 20000, At(2024, 2, 1)).ok());   // 200, expires 2025
  ASSERT_TRUE(world_.Refund("F1", "S2", 10000, At(2024, 2, 2)).ok());     // claws 100
  // From S2's own lot, although S1's lot expires sooner.
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{100, 2024}, {100, 2025}}));
}

TEST_F(BalanceTest, ClawbackBeyondTheOwnLotTakesSoonestExpiringThenBecomesDebt) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2023, 11, 1)).ok());  // 100, expires 2024
  ASSERT_TRUE(world_.Purchase("S2", "M1", 20000, At(2024, 2, 1)).ok());   // 200, expires 2025
  ASSERT_TRUE(world_.AdjustPoints("A1", "M1", AdjustmentDirection::kGrant, 50, At(2024, 3, 1))
                  .ok());  // 50, expires 2025
  ASSERT_TRUE(world_.RedeemPoints("R1", "M1", 180, At(2024, 3, 2)).ok());
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{120, 2025}, {50, 2025}}));     // S1 gone, S2 120 left
  ASSERT_TRUE(world_.Refund("F1", "S2", 20000, At(2024, 3, 3)).ok());  // claws 200
  // 120 from S2's own lot, 50 from the adjustment lot, 30 as debt.
  EXPECT_TRUE(Member().lots.empty());
  EXPECT_EQ(Member().debt_points, 30);
  EXPECT_EQ(world_.Balance("M1"), -30);
  EXPECT_EQ(world_.balances.DebtPoints(), 30);
}

TEST_F(BalanceTest, ARefundAfterThePointsWereSpentLeavesADebtThatTheNextGrantRepays) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world_.RedeemPoints("R1", "M1", 100, At(2024, 3, 2)).ok());
  ASSERT_TRUE(world_.Refund("F1", "S1", 10000, At(2024, 3, 3)).ok());
  EXPECT_EQ(Member().debt_points, 100);
  EXPECT_EQ(world_.Balance("M1"), -100);
  EXPECT_EQ(world_.balances.OutstandingPoints(), 0);

  // A redemption is refused while in debt.
  EXPECT_EQ(world_.RedeemPoints("R2", "M1", 1, At(2024, 3, 4)).code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(world_.Purchase("S2", "M1", 30000, At(2024, 4, 1)).ok());  // earns 300
  EXPECT_EQ(Member().debt_points, 0);
  EXPECT_EQ(world_.Balance("M1"), 200);
  EXPECT_EQ(Lots(world_, "M1"), (Pairs{{200, 2025}}));
  EXPECT_EQ(Member().purchases.at("S2").points_earned, 300);
  EXPECT_EQ(Member().granted_points_total, 400);
}

TEST_F(BalanceTest, AGrantSmallerThanTheDebtMakesNoLot) {
  ASSERT_TRUE(
      world_.AdjustPoints("A1", "M1", AdjustmentDirection::kDebit, 500, At(2024, 1, 5)).ok());
  EXPECT_EQ(Member().debt_points, 500);
  EXPECT_EQ(Member().debited_points_total, 500);
  ASSERT_TRUE(world_.Purchase("S1", "M1", 20000, At(2024, 2, 1)).ok());
  EXPECT_EQ(Member().debt_points, 300);
  EXPECT_TRUE(Member().lots.empty());
  EXPECT_EQ(Member().purchases.at("S1").lot_number, 0u);
  // Refunding that purchase claws back from no own lot: all of it is debt.
  ASSERT_TRUE(world_.Refund("F1", "S1", 20000, At(2024, 2, 2)).ok());
  EXPECT_EQ(Member().debt_points, 500);
}

TEST_F(BalanceTest, LiabilityCountsLotsAndDebtSeparately) {
  ASSERT_TRUE(world_.Enrol("M2", At(2023, 1, 3)).ok());
  ASSERT_TRUE(world_.Purchase("S1", "M1", 50000, At(2024, 1, 5)).ok());
  ASSERT_TRUE(
      world_.AdjustPoints("A1", "M2", AdjustmentDirection::kDebit, 70, At(2024, 1, 6)).ok());
  EXPECT_EQ(world_.balances.OutstandingPoints(), 500);
  EXPECT_EQ(world_.balances.DebtPoints(), 70);
}

TEST_F(BalanceTest, AdjustmentsRecordOperatorAndNoteInTheEvent) {
  ASSERT_TRUE(
      world_.AdjustPoints("A1", "M1", AdjustmentDirection::kGrant, 40, At(2024, 1, 5)).ok());
  const v1::Envelope& grant = world_.log.back();
  EXPECT_EQ(grant.actor_id(), "operator-7");
  EXPECT_EQ(grant.idempotency_key(), "adjust/A1");
  EXPECT_EQ(grant.event().points_granted().reason(), v1::GRANT_REASON_ADJUSTMENT);
  EXPECT_EQ(grant.event().points_granted().note(), "goodwill correction");
  EXPECT_EQ(Member().lots[0].reason, v1::GRANT_REASON_ADJUSTMENT);
  EXPECT_EQ(Member().lots[0].grant_sequence, grant.sequence());
}

TEST_F(BalanceTest, ABackdatedGrantAlreadyPastItsExpiryExpiresAtOnce) {
  world_.AdvanceTo(At(2026, 2, 1));
  ASSERT_TRUE(
      world_.AdjustPoints("A1", "M1", AdjustmentDirection::kGrant, 40, At(2024, 6, 1)).ok());
  EXPECT_EQ(world_.Balance("M1"), 0);
  EXPECT_EQ(Member().expired_points_total, 40);
  EXPECT_EQ(world_.balances.now_us(), At(2026, 2, 1));  // now never goes back
}

// A member's state depends only on the member's own stream and the policy
// stream: a survey or a complaint naming the member, on a stream of its own,
// changes nothing (Engine::Member replays only those two streams).
TEST_F(BalanceTest, SurveysAndComplaintsAreNoActivityAndAnErasureMarksTheMember) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 7, 1)).ok());
  EXPECT_EQ(Member().last_activity_at_us, At(2024, 7, 1));
  const std::string before = world_.balances.CanonicalState();
  v1::Envelope survey;
  survey.set_sequence(world_.log.size() + 1);
  survey.set_stream_id("survey-Q1");
  survey.set_occurred_at_us(At(2024, 8, 8));
  survey.mutable_event()->mutable_survey_answered()->set_member_id("M1");
  ASSERT_TRUE(world_.balances.Apply(survey).ok());
  v1::Envelope complaint;
  complaint.set_sequence(survey.sequence() + 1);
  complaint.set_stream_id("complaint-C1");
  complaint.set_occurred_at_us(At(2024, 8, 9));
  complaint.mutable_event()->mutable_complaint_filed()->set_complaint_id("C1");
  complaint.mutable_event()->mutable_complaint_filed()->set_member_id("M1");
  ASSERT_TRUE(world_.balances.Apply(complaint).ok());
  EXPECT_EQ(Member().last_activity_at_us, At(2024, 7, 1));
  EXPECT_EQ(Member().enrolled_at_us, At(2023, 1, 2));
  state::BalanceState was, is;
  ASSERT_TRUE(was.ParseFromString(before));
  ASSERT_TRUE(is.ParseFromString(world_.balances.CanonicalState()));
  EXPECT_EQ(SerializeDeterministic(was.members(0)), SerializeDeterministic(is.members(0)));

  v1::Envelope erased;
  erased.set_sequence(complaint.sequence() + 1);
  erased.set_stream_id("member-M1");
  erased.set_occurred_at_us(At(2024, 9, 1));
  erased.mutable_event()->mutable_member_erased()->set_member_id("M1");
  ASSERT_TRUE(world_.balances.Apply(erased).ok());
  EXPECT_TRUE(Member().erased);
}

// Hand-made events the deciders would never write: each is applied as far as
// its rule allows, the same way every time, and recorded (anomaly.h).
class BalanceAnomalyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(world_.Enrol("M1", At(2024, 1, 1)).ok());
    ASSERT_TRUE(world_.Enrol("M2", At(2024, 1, 1)).ok());
    ASSERT_TRUE(world_.Purchase("S1", "M1", 30000, At(2024, 1, 2)).ok());  // 300 points
  }

  // Appends an event on `stream` at `at_us` made by `fill`, and returns the
  // anomalies the balances recorded for it.
  template <typename Fill>
  std::vector<Anomaly> Raw(const std::string& stream, Fill fill, int64_t at_us = At(2024, 1, 3)) {
    v1::Envelope envelope = RawEnvelope(0, stream, at_us);
    fill(envelope.mutable_event());
    const size_t before = world_.balances.anomalies().kept().size();
    absl::Status status = world_.CommitRaw(envelope);
    EXPECT_TRUE(status.ok()) << status;
    const std::vector<Anomaly>& kept = world_.balances.anomalies().kept();
    return std::vector<Anomaly>(kept.begin() + before, kept.end());
  }

  // Expects `event` on `stream` to change nothing of the balances' data and
  // to be recorded once, under `rule`, with `message_part` in its message.
  // Dated before every member's now: an event of a member's stream moves the
  // member's now forward even when it breaks a rule, as any event of it does.
  template <typename Fill>
  void ExpectNotApplied(const std::string& stream, Fill fill, absl::string_view rule,
                        absl::string_view message_part) {
    const std::string before = DataOf<state::BalanceState>(world_.balances);
    const std::vector<Anomaly> recorded = Raw(stream, fill, At(2024, 1, 1));
    ASSERT_EQ(recorded.size(), 1u) << rule;
    EXPECT_EQ(recorded[0].rule, rule);
    EXPECT_EQ(recorded[0].sequence, world_.log.size());
    EXPECT_EQ(recorded[0].stream_id, stream);
    EXPECT_NE(recorded[0].message.find(std::string(message_part)), std::string::npos)
        << recorded[0].message;
    EXPECT_EQ(DataOf<state::BalanceState>(world_.balances), before) << rule;
  }

  const MemberAccount& M1() { return *world_.balances.FindMember("M1"); }
  TestWorld world_;
};

TEST_F(BalanceAnomalyTest, AnEventOfAMemberNeverEnrolledChangesNothing) {
  ExpectNotApplied("member-GHOST", [](v1::Event* e) {
    auto* purchase = e->mutable_purchase_recorded();
    purchase->set_member_id("GHOST");
    purchase->set_purchase_id("G1");
    purchase->set_amount_fen(10000);
  }, "member_not_enrolled", "member \"GHOST\" is not enrolled");
  ExpectNotApplied("member-GHOST", [](v1::Event* e) {
    auto* grant = e->mutable_points_granted();
    grant->set_member_id("GHOST");
    grant->set_points(100);
    grant->set_reason(v1::GRANT_REASON_PURCHASE);
    grant->set_purchase_id("G1");
  }, "member_not_enrolled", "GHOST");
  EXPECT_EQ(world_.balances.FindMember("GHOST"), nullptr);
  EXPECT_EQ(world_.balances.FindPurchaseMember("G1"), nullptr);
  EXPECT_EQ(AnomalyRules(world_.tiers), std::vector<std::string>{"member_not_enrolled"});
  // Complaints and surveys about one are kept by their own projections.
  ExpectNotApplied("survey-Q1", [](v1::Event* e) {
    e->mutable_survey_answered()->set_survey_id("Q1");
    e->mutable_survey_answered()->set_member_id("GHOST");
    e->mutable_survey_answered()->set_score(4);
  }, "member_not_enrolled", "survey \"Q1\" names member \"GHOST\", who is not enrolled");
  EXPECT_TRUE(world_.partners.HasSurvey("Q1"));
}

TEST_F(BalanceAnomalyTest, ARedemptionBeyondTheBalanceRedeemsWhatIsAvailable) {
  const std::vector<Anomaly> recorded = Raw("member-M1", [](v1::Event* e) {
    auto* redeemed = e->mutable_points_redeemed();
    redeemed->set_member_id("M1");
    redeemed->set_redemption_id("R1");
    redeemed->set_points(99999999);
  });
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].rule, "redemption_exceeds_balance");
  EXPECT_EQ(recorded[0].message,
            "redeems 99999999 points but member \"M1\" has 300 available; 300 redeemed, "
            "99999699 dropped");
  EXPECT_EQ(world_.Balance("M1"), 0);
  EXPECT_EQ(M1().debt_points, 0);  // a redemption never makes debt
  EXPECT_EQ(M1().redeemed_points_total, 300);
  EXPECT_TRUE(M1().redemption_ids.contains("R1"));
  EXPECT_EQ(M1().last_activity_at_us, At(2024, 1, 3));
  // With nothing available, nothing is redeemed; a repeat changes nothing.
  EXPECT_EQ(Raw("member-M1", [](v1::Event* e) {
              e->mutable_points_redeemed()->set_member_id("M1");
              e->mutable_points_redeemed()->set_redemption_id("R2");
              e->mutable_points_redeemed()->set_points(5);
            })[0].message,
            "redeems 5 points but member \"M1\" has 0 available; 0 redeemed, 5 dropped");
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_points_redeemed()->set_member_id("M1");
    e->mutable_points_redeemed()->set_redemption_id("R1");
    e->mutable_points_redeemed()->set_points(1);
  }, "duplicate_redemption", "\"R1\"");
  EXPECT_EQ(M1().redeemed_points_total, 300);
}

TEST_F(BalanceAnomalyTest, PointsOrAmountsOutOfRangeChangeNothing) {
  for (int64_t points : {int64_t{0}, int64_t{-5}, std::numeric_limits<int64_t>::max()}) {
    ExpectNotApplied("member-M1", [points](v1::Event* e) {
      e->mutable_points_granted()->set_member_id("M1");
      e->mutable_points_granted()->set_points(points);
      e->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
    }, "points_out_of_range", absl::StrCat("points ", points, " is not in [1, "));
  }
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_purchase_id("S2");
    e->mutable_purchase_recorded()->set_amount_fen(0);
  }, "amount_out_of_range", "amount_fen 0");
}

TEST_F(BalanceAnomalyTest, AGrantPastTheLifetimeLimitChangesNothing) {
  // A member near the limit, as a restored state can hold it.
  state::BalanceState state;
  ASSERT_TRUE(state.ParseFromString(world_.balances.CanonicalState()));
  for (state::MemberBalance& member : *state.mutable_members()) {
    if (member.member_id() == "M1") member.set_granted_points_total(kMaxPointsTotal - 10);
  }
  BalanceProjection balances;
  ASSERT_TRUE(balances.Restore(SerializeDeterministic(state)).ok());
  v1::Envelope grant = RawEnvelope(world_.log.size() + 1, "member-M1", At(2024, 1, 3));
  grant.mutable_event()->mutable_points_granted()->set_member_id("M1");
  grant.mutable_event()->mutable_points_granted()->set_points(11);
  grant.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
  ASSERT_TRUE(balances.Apply(grant).ok());
  EXPECT_EQ(AnomalyRules(balances), std::vector<std::string>{"points_total_out_of_range"});
  EXPECT_EQ(balances.FindMember("M1")->lot_points(), 300);
  grant.set_sequence(grant.sequence() + 1);
  grant.mutable_event()->mutable_points_granted()->set_points(10);
  ASSERT_TRUE(balances.Apply(grant).ok());
  EXPECT_EQ(balances.FindMember("M1")->lot_points(), 310);
  EXPECT_EQ(balances.FindMember("M1")->granted_points_total, kMaxPointsTotal);
  EXPECT_EQ(balances.anomalies().count(), 1u);
}

TEST_F(BalanceAnomalyTest, RepeatsChangeNothing) {
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_member_enrolled()->set_member_id("M1");
  }, "member_already_enrolled", "\"M1\" is already enrolled");
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_purchase_id("S1");
    e->mutable_purchase_recorded()->set_amount_fen(500);
  }, "duplicate_purchase", "purchase \"S1\" is already recorded for member \"M1\"");
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_points_granted()->set_member_id("M1");
    e->mutable_points_granted()->set_points(300);
    e->mutable_points_granted()->set_reason(v1::GRANT_REASON_PURCHASE);
    e->mutable_points_granted()->set_purchase_id("S1");
  }, "duplicate_grant", "purchase \"S1\" already earned 300 points");
  auto birthday = [](v1::Event* e) {
    e->mutable_points_granted()->set_member_id("M1");
    e->mutable_points_granted()->set_points(200);
    e->mutable_points_granted()->set_reason(v1::GRANT_REASON_BIRTHDAY);
    e->mutable_points_granted()->set_birthday_year(2024);
  };
  EXPECT_TRUE(Raw("member-M1", birthday).empty());
  ExpectNotApplied("member-M1", birthday, "duplicate_grant", "birthday bonus of 2024");
  ASSERT_TRUE(world_.Refund("F1", "S1", 1000, At(2024, 1, 4)).ok());
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_refund_recorded()->set_member_id("M1");
    e->mutable_refund_recorded()->set_refund_id("F1");
    e->mutable_refund_recorded()->set_purchase_id("S1");
    e->mutable_refund_recorded()->set_amount_fen(1000);
  }, "duplicate_refund", "refund \"F1\" of purchase \"S1\"");
  EXPECT_EQ(M1().purchases.at("S1").refunded_fen, 1000);
  EXPECT_EQ(M1().granted_points_total, 500);
}

// A member's own stream must give the member's state (projection.h), and it
// does not see another member's purchases: one purchase id recorded for two
// members is recorded for each.
TEST_F(BalanceAnomalyTest, APurchaseIdAnotherMemberHasIsRecordedForBoth) {
  const std::vector<Anomaly> recorded = Raw("member-M2", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M2");
    e->mutable_purchase_recorded()->set_purchase_id("S1");
    e->mutable_purchase_recorded()->set_amount_fen(700);
  });
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].rule, "duplicate_purchase");
  EXPECT_EQ(recorded[0].message,
            "purchase \"S1\" is already recorded for member \"M1\"; recorded for member \"M2\" "
            "too");
  EXPECT_EQ(world_.balances.FindMember("M2")->purchases.at("S1").amount_fen, 700);
  EXPECT_EQ(M1().purchases.at("S1").amount_fen, 30000);
  // The index names the smallest member id, in whatever order they came.
  ASSERT_TRUE(world_.Enrol("M0", At(2024, 1, 4)).ok());
  Raw("member-M0", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M0");
    e->mutable_purchase_recorded()->set_purchase_id("S1");
    e->mutable_purchase_recorded()->set_amount_fen(800);
  });
  EXPECT_EQ(*world_.balances.FindPurchaseMember("S1"), "M0");
  BalanceProjection restored;
  ASSERT_TRUE(restored.Restore(world_.balances.CanonicalState()).ok());
  EXPECT_EQ(*restored.FindPurchaseMember("S1"), "M0");
  EXPECT_EQ(restored.CanonicalState(), world_.balances.CanonicalState());
}

TEST_F(BalanceAnomalyTest, ARefundBeyondWhatIsLeftRefundsWhatIsLeft) {
  ASSERT_TRUE(world_.Refund("F1", "S1", 20000, At(2024, 1, 4)).ok());
  const std::vector<Anomaly> recorded = Raw("member-M1", [](v1::Event* e) {
    e->mutable_refund_recorded()->set_member_id("M1");
    e->mutable_refund_recorded()->set_refund_id("F2");
    e->mutable_refund_recorded()->set_purchase_id("S1");
    e->mutable_refund_recorded()->set_amount_fen(25000);
  }, At(2024, 1, 5));
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].rule, "refund_exceeds_purchase");
  EXPECT_EQ(recorded[0].message,
            "refund of 25000 fen exceeds the 10000 fen left of purchase \"S1\"; 10000 fen "
            "refunded, 15000 fen dropped");
  EXPECT_EQ(M1().purchases.at("S1").refunded_fen, 30000);
  EXPECT_TRUE(M1().purchases.at("S1").refund_ids.contains("F2"));
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_refund_recorded()->set_member_id("M1");
    e->mutable_refund_recorded()->set_refund_id("F3");
    e->mutable_refund_recorded()->set_purchase_id("S404");
    e->mutable_refund_recorded()->set_amount_fen(100);
  }, "unknown_purchase", "member \"M1\" has no purchase \"S404\"");
}

TEST_F(BalanceAnomalyTest, AClawbackBeyondWhatThePurchaseEarnedClawsWhatIsLeft) {
  ASSERT_TRUE(world_.Purchase("S2", "M1", 10000, At(2024, 1, 2)).ok());  // 100 more points
  const std::vector<Anomaly> recorded = Raw("member-M1", [](v1::Event* e) {
    e->mutable_points_debited()->set_member_id("M1");
    e->mutable_points_debited()->set_points(500);
    e->mutable_points_debited()->set_reason(v1::DEBIT_REASON_CLAWBACK);
    e->mutable_points_debited()->set_purchase_id("S1");
  });
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].rule, "clawback_exceeds_earned");
  EXPECT_EQ(recorded[0].message,
            "claws back 500 points but purchase \"S1\" has 300 of its 300 earned points left to "
            "claw back; 300 clawed back, 200 dropped");
  EXPECT_EQ(M1().purchases.at("S1").clawed_back_points, 300);
  EXPECT_EQ(M1().clawed_back_points_total, 300);
  EXPECT_EQ(world_.Balance("M1"), 100);  // S2's lot is untouched
  // Nothing left to claw back: nothing is taken.
  EXPECT_EQ(Raw("member-M1", [](v1::Event* e) {
              e->mutable_points_debited()->set_member_id("M1");
              e->mutable_points_debited()->set_points(1);
              e->mutable_points_debited()->set_reason(v1::DEBIT_REASON_CLAWBACK);
              e->mutable_points_debited()->set_purchase_id("S1");
            })[0].rule,
            "clawback_exceeds_earned");
  EXPECT_EQ(world_.Balance("M1"), 100);
  EXPECT_EQ(M1().debt_points, 0);
}

TEST_F(BalanceAnomalyTest, MalformedEventsChangeNothing) {
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_amount_fen(100);
  }, "missing_id", "purchase_id is empty");
  ExpectNotApplied("member-", [](v1::Event* e) {
    e->mutable_points_granted()->set_points(100);
    e->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
  }, "missing_id", "member_id is empty");
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_points_granted()->set_member_id("M1");
    e->mutable_points_granted()->set_points(100);
    e->mutable_points_granted()->set_reason(static_cast<v1::GrantReason>(99));
  }, "unknown_reason", "grant reason 99");
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_points_debited()->set_member_id("M1");
    e->mutable_points_debited()->set_points(100);
  }, "unknown_reason", "debit reason 0");
  ExpectNotApplied("member-M1", [](v1::Event* e) {
    e->mutable_points_granted()->set_member_id("M1");
    e->mutable_points_granted()->set_points(200);
    e->mutable_points_granted()->set_reason(v1::GRANT_REASON_BIRTHDAY);
  }, "birthday_year_out_of_range", "birthday_year 0");
  v1::PolicySet change;
  change.mutable_earning()->set_fen_per_point(-1);
  ExpectNotApplied("policy", [&change](v1::Event* e) { *e->mutable_policy_set() = change; },
                   "invalid_policy", "earning.fen_per_point");
  EXPECT_EQ(world_.balances.policy().fen_per_point(), 100);
  // The member's own time moves with any event of its stream, as a replay of
  // that stream moves it.
  Raw("member-M1", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_amount_fen(100);
  }, At(2024, 2, 1));
  EXPECT_EQ(M1().now_us, At(2024, 2, 1));
}

// Engine::Member replays the member's own stream: an event naming the
// member on another stream would change the full replay only.
TEST_F(BalanceAnomalyTest, AnEventOffItsMembersStreamIsAppliedToNoMember) {
  const int64_t m1_now_us = M1().now_us;
  ExpectNotApplied("member-M2", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_purchase_id("S9");
    e->mutable_purchase_recorded()->set_amount_fen(100000);
  }, "stream_mismatch", "belongs on stream \"member-M1\", not \"member-M2\"");
  EXPECT_EQ(M1().now_us, m1_now_us);  // not even its time moved
  ExpectNotApplied("complaint-C1", [](v1::Event* e) {
    e->mutable_policy_set()->mutable_birthday()->set_bonus_points(999);
  }, "stream_mismatch", "belongs on stream \"policy\"");
  EXPECT_EQ(world_.balances.policy().birthday_bonus_points(), 200);
  EXPECT_EQ(AnomalyRules(world_.policies), std::vector<std::string>{"stream_mismatch"});
}

TEST_F(BalanceAnomalyTest, AnomaliesRoundTripAndOnlyTheOrderOfTheLogStopsTheProjection) {
  Raw("member-GHOST", [](v1::Event* e) {
    e->mutable_member_erased()->set_member_id("GHOST");
  });
  Raw("member-M1", [](v1::Event* e) {
    e->mutable_points_redeemed()->set_member_id("M1");
    e->mutable_points_redeemed()->set_redemption_id("R1");
    e->mutable_points_redeemed()->set_points(1000);
  });
  EXPECT_EQ(AnomalyRules(world_.balances),
            (std::vector<std::string>{"member_not_enrolled", "redemption_exceeds_balance"}));
  BalanceProjection restored;
  ASSERT_TRUE(restored.Restore(world_.balances.CanonicalState()).ok());
  EXPECT_EQ(restored.anomalies().kept(), world_.balances.anomalies().kept());
  EXPECT_EQ(restored.Digest(), world_.balances.Digest());

  v1::Envelope stale = RawEnvelope(world_.log.size(), "member-M1", At(2024, 1, 6));
  stale.mutable_event()->mutable_member_enrolled()->set_member_id("M3");
  const std::string before = world_.balances.CanonicalState();
  absl::Status status = world_.balances.Apply(stale);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("out of order"), std::string::npos) << status;
  EXPECT_EQ(world_.balances.CanonicalState(), before);
}

TEST_F(BalanceAnomalyTest, IgnoresEventsItDoesNotUse) {
  const std::string before = DataOf<state::BalanceState>(world_.balances);
  EXPECT_TRUE(Raw("complaint-C1", [](v1::Event* e) {
                e->mutable_complaint_replied()->set_complaint_id("C1");
              }).empty());
  EXPECT_EQ(world_.balances.last_sequence(), world_.log.size());
  EXPECT_EQ(DataOf<state::BalanceState>(world_.balances), before);
}

}  // namespace
}  // namespace loyalty::projections
