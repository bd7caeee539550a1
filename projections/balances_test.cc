#include "projections/balances.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/local_time.h"
#include "projections/replay.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
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

TEST_F(BalanceTest, ExpiryAcrossAYearEnd) {
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
TEST_F(BalanceTest, ActivityAndErasure) {
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

// Hand-made events the deciders would never write.
class BalanceApplyErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::Envelope enrol = Event(1, At(2024, 1, 1));
    enrol.mutable_event()->mutable_member_enrolled()->set_member_id("M1");
    ASSERT_TRUE(balances_.Apply(enrol).ok());
  }
  static v1::Envelope Event(uint64_t sequence, int64_t at) {
    v1::Envelope envelope;
    envelope.set_sequence(sequence);
    envelope.set_stream_id("member-M1");
    envelope.set_occurred_at_us(at);
    return envelope;
  }
  void ExpectRejected(const v1::Envelope& envelope, absl::StatusCode code,
                      absl::string_view message_part) {
    const std::string before = balances_.CanonicalState();
    absl::Status status = balances_.Apply(envelope);
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_NE(status.message().find(message_part), std::string::npos) << status;
    EXPECT_NE(status.message().find(absl::StrCat("sequence ", envelope.sequence())),
              std::string::npos)
        << status;
    EXPECT_EQ(balances_.CanonicalState(), before);
  }
  BalanceProjection balances_;
};

TEST_F(BalanceApplyErrorTest, RejectsWhatTheStateCannotExplain) {
  v1::Envelope grant = Event(2, At(2024, 1, 1));
  grant.mutable_event()->mutable_points_granted()->set_member_id("nobody");
  grant.mutable_event()->mutable_points_granted()->set_points(5);
  grant.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
  ExpectRejected(grant, absl::StatusCode::kFailedPrecondition, "\"nobody\" is not enrolled");

  v1::Envelope redeem = Event(2, At(2024, 1, 1));
  redeem.mutable_event()->mutable_points_redeemed()->set_member_id("M1");
  redeem.mutable_event()->mutable_points_redeemed()->set_redemption_id("R1");
  redeem.mutable_event()->mutable_points_redeemed()->set_points(5);
  ExpectRejected(redeem, absl::StatusCode::kFailedPrecondition, "has 0 available");

  v1::Envelope zero = Event(2, At(2024, 1, 1));
  zero.mutable_event()->mutable_points_granted()->set_member_id("M1");
  zero.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_CAMPAIGN);
  ExpectRejected(zero, absl::StatusCode::kDataLoss, "points 0");

  v1::Envelope unlinked = Event(2, At(2024, 1, 1));
  unlinked.mutable_event()->mutable_points_granted()->set_member_id("M1");
  unlinked.mutable_event()->mutable_points_granted()->set_points(5);
  unlinked.mutable_event()->mutable_points_granted()->set_reason(v1::GRANT_REASON_PURCHASE);
  unlinked.mutable_event()->mutable_points_granted()->set_purchase_id("S9");
  ExpectRejected(unlinked, absl::StatusCode::kFailedPrecondition, "no purchase \"S9\"");

  v1::Envelope again = Event(2, At(2024, 1, 1));
  again.mutable_event()->mutable_member_enrolled()->set_member_id("M1");
  ExpectRejected(again, absl::StatusCode::kFailedPrecondition, "already enrolled");

  v1::Envelope stale = Event(1, At(2024, 1, 1));
  ExpectRejected(stale, absl::StatusCode::kFailedPrecondition, "out of order");
}

TEST_F(BalanceApplyErrorTest, IgnoresEventsItDoesNotUse) {
  v1::Envelope complaint = Event(2, At(2024, 1, 2));
  complaint.mutable_event()->mutable_complaint_replied()->set_complaint_id("C1");
  ASSERT_TRUE(balances_.Apply(complaint).ok());
  EXPECT_EQ(balances_.last_sequence(), 2u);
}

}  // namespace
}  // namespace loyalty::projections
