#include "projections/deciders.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/limits.h"
#include "projections/local_time.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
using testing::TestWorld;

// Expects `status` to have `code` and to mention `part`.
void ExpectError(const absl::Status& status, absl::StatusCode code, absl::string_view part) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_NE(status.message().find(part), std::string::npos) << status;
}

class DecidersTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(world_.Enrol("M1", At(2024, 1, 1)).ok()); }

  RecordPurchase Purchase(const std::string& id, int64_t amount_fen) {
    RecordPurchase command;
    command.purchase_id = id;
    command.member_id = "M1";
    command.partner_id = "P1";
    command.amount_fen = amount_fen;
    command.occurred_at_us = At(2024, 2, 1);
    command.actor_id = "pos";
    return command;
  }
  // An enrolment that is valid but for what a test changes (and for "M1",
  // enrolled already).
  EnrolMember Enrolment(const std::string& member_id) {
    EnrolMember command;
    command.member_id = member_id;
    command.occurred_at_us = At(2024, 1, 2);
    command.actor_id = "app";
    return command;
  }
  // A credit of M1 by an operator, valid but for what a test changes.
  Adjust Adjustment() {
    Adjust command;
    command.adjustment_id = "A1";
    command.member_id = "M1";
    command.points = 10;
    command.reason = "lost receipt";
    command.occurred_at_us = At(2024, 2, 1);
    command.actor_id = "operator-7";
    return command;
  }
  // A policy change that changes nothing yet.
  SetPolicy PolicyChange() {
    SetPolicy command;
    command.policy_change_id = "CH1";
    command.occurred_at_us = At(2024, 2, 1);
    command.actor_id = "admin";
    return command;
  }
  void Erase(const std::string& member_id) {
    EraseMember command{member_id, "member request", At(2024, 2, 1), "privacy"};
    ASSERT_TRUE(world_.Commit(DecideEraseMember(world_.state(), command)).ok());
  }
  TestWorld world_;
};

TEST_F(DecidersTest, EnrolmentFillsTheEnvelope) {
  EnrolMember command;
  command.member_id = "M2";
  command.channel = v1::CHANNEL_APP;
  command.occurred_at_us = At(2024, 1, 2);
  command.actor_id = "app";
  absl::StatusOr<Events> events = DecideEnrolMember(world_.state(), command);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const v1::Envelope& e = (*events)[0];
  EXPECT_EQ(e.stream_id(), "member-M2");
  EXPECT_EQ(e.idempotency_key(), "enrol/M2");
  EXPECT_EQ(e.occurred_at_us(), At(2024, 1, 2));
  EXPECT_EQ(e.actor_id(), "app");
  EXPECT_EQ(e.sequence(), 0u);
  EXPECT_EQ(e.event().member_enrolled().channel(), v1::CHANNEL_APP);
}

TEST(MemberStreamTest, TheMemberOfAStreamIsTheInverseOfItsStreamId) {
  EXPECT_EQ(MemberIdOfStream(MemberStreamId("M2")), "M2");
  EXPECT_EQ(MemberIdOfStream(MemberStreamId("member-M2")), "member-M2");
  EXPECT_EQ(MemberIdOfStream(kPolicyStreamId), "");
  EXPECT_EQ(MemberIdOfStream("complaint-C1"), "");
  EXPECT_EQ(MemberIdOfStream("member"), "");
}

TEST_F(DecidersTest, AnEnrolmentOfAMemberEnrolledAlreadyIsAlreadyExists) {
  EnrolMember command = Enrolment("M1");
  ExpectError(DecideEnrolMember(world_.state(), command).status(), absl::StatusCode::kAlreadyExists,
              "\"M1\" is already enrolled");
}

TEST_F(DecidersTest, AnEnrolmentWithoutAMemberIdIsRefused) {
  EnrolMember command = Enrolment("");
  ExpectError(DecideEnrolMember(world_.state(), command).status(),
              absl::StatusCode::kInvalidArgument, "member_id: must not be empty");
}

TEST_F(DecidersTest, AnEnrolmentWithAMemberIdPastTheLimitIsRefused) {
  EnrolMember command = Enrolment(std::string(65, 'x'));
  ExpectError(DecideEnrolMember(world_.state(), command).status(),
              absl::StatusCode::kInvalidArgument, "more than the limit of 64");
}

TEST_F(DecidersTest, AnEnrolmentWithoutATimeIsRefused) {
  EnrolMember command = Enrolment("M2");
  command.occurred_at_us = 0;
  ExpectError(DecideEnrolMember(world_.state(), command).status(),
              absl::StatusCode::kInvalidArgument, "occurred_at_us: 0");
}

TEST_F(DecidersTest, AnEnrolmentWithoutAnActorIsRefused) {
  EnrolMember command = Enrolment("M2");
  command.actor_id = "";
  ExpectError(DecideEnrolMember(world_.state(), command).status(),
              absl::StatusCode::kInvalidArgument, "actor_id");
}

TEST_F(DecidersTest, APurchaseEmitsTheRecordThenItsPoints) {
  absl::StatusOr<Events> events = DecideRecordPurchase(world_.state(), Purchase("S1", 12345));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].idempotency_key(), "purchase/S1");
  EXPECT_EQ((*events)[0].stream_id(), "member-M1");
  EXPECT_EQ((*events)[0].event().purchase_recorded().amount_fen(), 12345);
  EXPECT_EQ((*events)[1].idempotency_key(), "purchase/S1/points");
  const v1::PointsGranted& grant = (*events)[1].event().points_granted();
  EXPECT_EQ(grant.points(), 123);
  EXPECT_EQ(grant.reason(), v1::GRANT_REASON_PURCHASE);
  EXPECT_EQ(grant.purchase_id(), "S1");
}

TEST_F(DecidersTest, APurchaseEarningNothingHasNoGrant) {
  absl::StatusOr<Events> events = DecideRecordPurchase(world_.state(), Purchase("S1", 99));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_TRUE((*events)[0].event().has_purchase_recorded());
}

TEST_F(DecidersTest, APurchaseOfNoAmountOrPastTheLimitIsRefused) {
  const DecisionState state = world_.state();
  RecordPurchase command = Purchase("S1", 0);
  ExpectError(DecideRecordPurchase(state, command).status(), absl::StatusCode::kInvalidArgument,
              "amount_fen: 0");
  command.amount_fen = -5;
  ExpectError(DecideRecordPurchase(state, command).status(), absl::StatusCode::kInvalidArgument,
              "amount_fen: -5");
  command.amount_fen = kMaxAmountFen + 1;
  ExpectError(DecideRecordPurchase(state, command).status(), absl::StatusCode::kInvalidArgument,
              "amount_fen");
}

TEST_F(DecidersTest, APurchaseWithoutAPartnerIsRefused) {
  RecordPurchase command = Purchase("S1", 100);
  command.partner_id = "";
  ExpectError(DecideRecordPurchase(world_.state(), command).status(),
              absl::StatusCode::kInvalidArgument, "partner_id");
}

TEST_F(DecidersTest, APurchaseOfAMemberNotEnrolledIsNotFound) {
  RecordPurchase command = Purchase("S1", 100);
  command.member_id = "M404";
  ExpectError(DecideRecordPurchase(world_.state(), command).status(), absl::StatusCode::kNotFound,
              "\"M404\" is not enrolled");
}

TEST_F(DecidersTest, APurchaseIdRecordedAlreadyIsAlreadyExists) {
  ASSERT_TRUE(world_.Commit(DecideRecordPurchase(world_.state(), Purchase("S1", 100))).ok());
  ExpectError(DecideRecordPurchase(world_.state(), Purchase("S1", 100)).status(),
              absl::StatusCode::kAlreadyExists, "\"S1\" is already recorded");
}

TEST_F(DecidersTest, APurchaseOfAnErasedMemberIsRefused) {
  ASSERT_TRUE(world_.Commit(DecideRecordPurchase(world_.state(), Purchase("S1", 100))).ok());
  Erase("M1");
  ExpectError(DecideRecordPurchase(world_.state(), Purchase("S2", 100)).status(),
              absl::StatusCode::kFailedPrecondition, "\"M1\" is erased");
}

TEST_F(DecidersTest, ARefundOfAPurchaseNotRecordedIsNotFound) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 2, 1)).ok());
  ExpectError(world_.Refund("F1", "S404", 100, At(2024, 2, 2)), absl::StatusCode::kNotFound,
              "\"S404\" is not recorded");
}

TEST_F(DecidersTest, ARefundOfNoAmountIsRefused) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 2, 1)).ok());
  ExpectError(world_.Refund("F1", "S1", 0, At(2024, 2, 2)), absl::StatusCode::kInvalidArgument,
              "amount_fen: 0");
}

TEST_F(DecidersTest, ARefundIdRecordedAlreadyIsAlreadyExists) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 2, 1)).ok());
  ASSERT_TRUE(world_.Refund("F1", "S1", 6000, At(2024, 2, 2)).ok());
  ExpectError(world_.Refund("F1", "S1", 100, At(2024, 2, 3)), absl::StatusCode::kAlreadyExists,
              "\"F1\" is already recorded");
}

TEST_F(DecidersTest, ARefundBeyondWhatRemainsOfThePurchaseIsRefused) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 2, 1)).ok());
  ASSERT_TRUE(world_.Refund("F1", "S1", 6000, At(2024, 2, 2)).ok());
  const absl::Status too_much = world_.Refund("F2", "S1", 4001, At(2024, 2, 3));
  ExpectError(too_much, absl::StatusCode::kFailedPrecondition, "refund of 4001 fen");
  ExpectError(too_much, absl::StatusCode::kFailedPrecondition, "purchase \"S1\"");
  ExpectError(too_much, absl::StatusCode::kFailedPrecondition, "the 4000 fen that remain");
}

TEST_F(DecidersTest, ARefundClawingBackNothingHasNoDebit) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 10000, At(2024, 2, 1)).ok());  // 100 points
  RecordRefund command{"F1", "S1", 99, At(2024, 2, 2), "pos"};
  absl::StatusOr<Events> events = DecideRecordRefund(world_.state(), command);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);  // floor(100 * 99 / 10000) = 0
  EXPECT_EQ((*events)[0].idempotency_key(), "refund/F1");
  EXPECT_EQ((*events)[0].event().refund_recorded().member_id(), "M1");
  EXPECT_EQ((*events)[0].event().refund_recorded().partner_id(), "P1");
  command.amount_fen = 100;
  events = DecideRecordRefund(world_.state(), command);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].idempotency_key(), "refund/F1/clawback");
  EXPECT_EQ((*events)[1].event().points_debited().points(), 1);
  EXPECT_EQ((*events)[1].event().points_debited().refund_id(), "F1");
}

TEST_F(DecidersTest, ARedemptionBeyondTheBalanceIsRefused) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 30000, At(2024, 2, 1)).ok());  // 300 points
  const absl::Status too_much = world_.RedeemPoints("R1", "M1", 500, At(2024, 2, 2));
  ExpectError(too_much, absl::StatusCode::kFailedPrecondition, "requested 500 points");
  ExpectError(too_much, absl::StatusCode::kFailedPrecondition, "has 300 available");
}

TEST_F(DecidersTest, ARedemptionOfNoPointsIsRefused) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 30000, At(2024, 2, 1)).ok());
  ExpectError(world_.RedeemPoints("R1", "M1", 0, At(2024, 2, 2)),
              absl::StatusCode::kInvalidArgument, "points: 0");
}

TEST_F(DecidersTest, ARedemptionOfAMemberNotEnrolledIsNotFound) {
  ExpectError(world_.RedeemPoints("R1", "M404", 1, At(2024, 2, 2)), absl::StatusCode::kNotFound,
              "M404");
}

TEST_F(DecidersTest, ARedemptionIdRecordedAlreadyIsAlreadyExists) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 30000, At(2024, 2, 1)).ok());
  ASSERT_TRUE(world_.RedeemPoints("R1", "M1", 300, At(2024, 2, 2)).ok());
  EXPECT_EQ(world_.log.back().idempotency_key(), "redemption/R1");
  ExpectError(world_.RedeemPoints("R1", "M1", 1, At(2024, 2, 3)), absl::StatusCode::kAlreadyExists,
              "\"R1\" is already recorded");
}

TEST_F(DecidersTest, ARedemptionOfAnErasedMemberIsRefused) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 30000, At(2024, 2, 1)).ok());
  Erase("M1");
  ExpectError(world_.RedeemPoints("R2", "M1", 1, At(2024, 2, 3)),
              absl::StatusCode::kFailedPrecondition, "is erased");
}

TEST_F(DecidersTest, RedemptionLeavesOutPointsExpiredByItsTime) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 30000, At(2024, 2, 1)).ok());  // expires end of 2025
  // The projections are still in 2024; the redemption occurs in 2026.
  ExpectError(world_.RedeemPoints("R1", "M1", 1, At(2026, 1, 1, 0, 0, 1)),
              absl::StatusCode::kFailedPrecondition, "has 0 available");
  EXPECT_TRUE(world_.RedeemPoints("R1", "M1", 300, EndOfLocalYearUs(2025)).ok());
}

TEST_F(DecidersTest, AnAdjustmentWithoutAReasonOrWithAnOverlongOneIsRefused) {
  Adjust command = Adjustment();
  command.reason = "";
  ExpectError(DecideAdjust(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "reason: must not be empty");
  command.reason = std::string(kMaxNoteBytes + 1, 'r');
  ExpectError(DecideAdjust(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "reason");
}

TEST_F(DecidersTest, AnAdjustmentOfNoPointsIsRefused) {
  Adjust command = Adjustment();
  command.points = 0;
  ExpectError(DecideAdjust(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "points: 0");
}

TEST_F(DecidersTest, AnAdjustmentOfAMemberNotEnrolledIsNotFound) {
  Adjust command = Adjustment();
  command.member_id = "M404";
  ExpectError(DecideAdjust(world_.state(), command).status(), absl::StatusCode::kNotFound, "M404");
}

TEST_F(DecidersTest, ADebitAdjustmentRecordsItsReasonAndOperator) {
  Adjust command = Adjustment();
  command.direction = AdjustmentDirection::kDebit;
  absl::StatusOr<Events> events = DecideAdjust(world_.state(), command);
  ASSERT_TRUE(events.ok());
  const v1::PointsDebited& debit = (*events)[0].event().points_debited();
  EXPECT_EQ(debit.reason(), v1::DEBIT_REASON_ADJUSTMENT);
  EXPECT_EQ(debit.note(), "lost receipt");
  EXPECT_EQ((*events)[0].actor_id(), "operator-7");
}

TEST_F(DecidersTest, AnErasureOfAMemberNotEnrolledIsNotFound) {
  EraseMember command{"M404", "member request", At(2024, 2, 1), "privacy"};
  ExpectError(DecideEraseMember(world_.state(), command).status(), absl::StatusCode::kNotFound,
              "M404");
}

TEST_F(DecidersTest, AnErasureWithoutAReasonIsRefused) {
  EraseMember command{"M1", "", At(2024, 2, 1), "privacy"};
  ExpectError(DecideEraseMember(world_.state(), command).status(),
              absl::StatusCode::kInvalidArgument, "reason");
}

TEST_F(DecidersTest, AnErasureOfAMemberErasedAlreadyIsRefused) {
  Erase("M1");
  EraseMember command{"M1", "again", At(2024, 2, 1), "privacy"};
  ExpectError(DecideEraseMember(world_.state(), command).status(),
              absl::StatusCode::kFailedPrecondition, "is erased");
}

TEST_F(DecidersTest, APolicyChangeThatSetsNoValueIsRefused) {
  SetPolicy command = PolicyChange();
  ExpectError(DecideSetPolicy(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "no policy is set");
  command.change.mutable_earning();
  ExpectError(DecideSetPolicy(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "change.earning: sets no value");
}

TEST_F(DecidersTest, APolicyChangeWithANegativeValueIsRefused) {
  SetPolicy command = PolicyChange();
  command.change.mutable_earning()->set_fen_per_point(-1);
  ExpectError(DecideSetPolicy(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "earning.fen_per_point: -1");
}

TEST_F(DecidersTest, APolicyChangeWhoseTierThresholdsDoNotAscendIsRefused) {
  SetPolicy command = PolicyChange();
  command.change.mutable_tiers()->set_platinum_threshold_fen(1000000);  // below Gold
  ExpectError(DecideSetPolicy(world_.state(), command).status(), absl::StatusCode::kInvalidArgument,
              "ascend");
}

TEST_F(DecidersTest, APolicyChangeGoesOnThePolicyStream) {
  SetPolicy command = PolicyChange();
  command.change.mutable_birthday()->set_bonus_points(300);
  absl::StatusOr<Events> events = DecideSetPolicy(world_.state(), command);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ((*events)[0].stream_id(), "policy");
  EXPECT_EQ((*events)[0].idempotency_key(), "policy/CH1");
}

TEST_F(DecidersTest, APolicyChangeMidHistoryAppliesFromItsEventOn) {
  ASSERT_TRUE(world_.Purchase("S1", "M1", 400000, At(2024, 3, 1)).ok());
  v1::PolicySet earning;
  earning.mutable_earning()->set_fen_per_point(50);  // 2 points per yuan
  ASSERT_TRUE(world_.ChangePolicy("CH1", earning, At(2024, 6, 1)).ok());
  v1::PolicySet expiry;
  expiry.mutable_expiry()->set_years_after_grant_year(2);
  ASSERT_TRUE(world_.ChangePolicy("CH2", expiry, At(2024, 6, 1)).ok());
  v1::PolicySet tiers;
  tiers.mutable_tiers()->set_silver_threshold_fen(300000);
  ASSERT_TRUE(world_.ChangePolicy("CH3", tiers, At(2024, 6, 1)).ok());
  ASSERT_TRUE(world_.Purchase("S2", "M1", 10000, At(2024, 6, 2)).ok());

  const MemberAccount& account = *world_.balances.FindMember("M1");
  EXPECT_EQ(account.purchases.at("S1").points_earned, 4000);
  EXPECT_EQ(account.purchases.at("S2").points_earned, 200);
  ASSERT_EQ(account.lots.size(), 2u);
  EXPECT_EQ(account.lots[0].expires_at_us, EndOfLocalYearUs(2025));  // granted before
  EXPECT_EQ(account.lots[1].expires_at_us, EndOfLocalYearUs(2026));  // granted after
  // 400000 fen did not make Silver at 500000; 410000 does at 300000.
  ASSERT_EQ(world_.tiers.FindMember("M1")->tier, v1::TIER_SILVER);
  EXPECT_EQ(world_.tiers.FindMember("M1")->history.at(0).at_us, At(2024, 6, 2));

  // A replay applies each rule as it was then.
  TestWorld replay;
  for (const v1::Envelope& e : world_.log) {
    for (Projection* p : replay.projections()) ASSERT_TRUE(p->Apply(e).ok());
  }
  EXPECT_EQ(replay.balances.CanonicalState(), world_.balances.CanonicalState());
  EXPECT_EQ(replay.tiers.CanonicalState(), world_.tiers.CanonicalState());
}

class BirthdayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(world_.Enrol("M1", At(2025, 1, 1)).ok());
    ASSERT_TRUE(world_.Enrol("M2", At(2025, 1, 1)).ok());
    ASSERT_TRUE(world_.Enrol("LEAP", At(2025, 1, 1)).ok());
    dates_["M1"] = Date(1990, 3, 15);
    dates_["M2"] = Date(1985, 11, 2);
    dates_["LEAP"] = Date(2000, 2, 29);
  }
  static v1::LocalDate Date(int y, int m, int d) {
    v1::LocalDate date;
    date.set_year(y);
    date.set_month(m);
    date.set_day(d);
    return date;
  }
  // Runs the job at local noon of the day and returns who got a bonus, as
  // "member/year".
  std::vector<std::string> Run(int64_t y, int m, int d) {
    GrantBirthdayBonuses command{At(y, m, d), "birthday-job"};
    absl::StatusOr<Events> events = DecideBirthdayBonuses(world_.state(), command, dates_);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> grants;
    for (const v1::Envelope& e : *events) {
      const v1::PointsGranted& granted = e.event().points_granted();
      grants.push_back(absl::StrCat(granted.member_id(), "/", granted.birthday_year()));
      EXPECT_EQ(e.idempotency_key(), absl::StrCat("birthday/", grants.back()));
      EXPECT_EQ(e.occurred_at_us(), At(y, m, d));
    }
    EXPECT_TRUE(world_.Commit(events).ok());
    return grants;
  }
  using Names = std::vector<std::string>;
  TestWorld world_;
  BirthDates dates_;
};

TEST_F(BirthdayTest, OnceAYearOnTheLastDayOfTheBirthMonthOrAfter) {
  EXPECT_EQ(Run(2025, 2, 27), Names{});
  EXPECT_EQ(Run(2025, 2, 28), Names{"LEAP/2025"});
  EXPECT_EQ(Run(2025, 3, 15), Names{});  // the birthday itself: not yet due
  EXPECT_EQ(Run(2025, 3, 30), Names{});
  EXPECT_EQ(Run(2025, 3, 31), Names{"M1/2025"});
  EXPECT_EQ(Run(2025, 3, 31), Names{});  // idempotent
  EXPECT_EQ(Run(2025, 11, 29), Names{});
  EXPECT_EQ(Run(2025, 12, 31), Names({"M2/2025"}));
  EXPECT_EQ(Run(2025, 12, 31), Names{});
  EXPECT_EQ(world_.Balance("M1"), 200);
  EXPECT_EQ(Run(2026, 1, 1), Names{});
  EXPECT_EQ(Run(2026, 6, 1), Names({"LEAP/2026", "M1/2026"}));
  EXPECT_EQ(world_.balances.FindMember("M1")->birthday_grants.size(), 2u);
}

// Whatever the day of the birthday in the month, the bonus comes on one day:
// members born on the 1st and on the 31st of a month are granted by the same
// run, in member id order, so neither the date nor the order tells the day.
TEST_F(BirthdayTest, EveryBirthdayOfAMonthIsGrantedTogether) {
  ASSERT_TRUE(world_.Enrol("A-LATE", At(2025, 1, 1)).ok());
  ASSERT_TRUE(world_.Enrol("Z-EARLY", At(2025, 1, 1)).ok());
  dates_["A-LATE"] = Date(1991, 3, 31);
  dates_["Z-EARLY"] = Date(1992, 3, 1);
  EXPECT_EQ(Run(2025, 2, 28), Names{"LEAP/2025"});
  for (int day = 1; day <= 30; ++day) EXPECT_EQ(Run(2025, 3, day), Names{}) << day;
  EXPECT_EQ(Run(2025, 3, 31), Names({"A-LATE/2025", "M1/2025", "Z-EARLY/2025"}));
}

TEST_F(BirthdayTest, BornOn29FebruaryIsDueOnTheLastDayOfFebruary) {
  EXPECT_EQ(Run(2025, 2, 27), Names{});
  EXPECT_EQ(Run(2025, 2, 28), Names{"LEAP/2025"});
  // No run in 2026: the first run of 2027 grants 2026's too.
  EXPECT_EQ(Run(2027, 12, 31), Names({"LEAP/2026", "LEAP/2027", "M1/2026", "M1/2027", "M2/2026",
                                      "M2/2027"}));
  EXPECT_EQ(Run(2028, 2, 28), Names{});  // leap year: the 29th
  EXPECT_EQ(Run(2028, 2, 29), Names{"LEAP/2028"});
}

// A run in January still grants the bonus of the year before that no run
// granted (a December birthday is due on 31 December), to members enrolled by
// that year's end; never the bonus of two years before.
TEST_F(BirthdayTest, ARunGrantsWhatTheYearBeforeLeftDue) {
  EXPECT_EQ(Run(2025, 12, 30), Names({"LEAP/2025", "M1/2025", "M2/2025"}));
  ASSERT_TRUE(world_.Enrol("DEC", At(2025, 12, 31)).ok());
  dates_["DEC"] = Date(1980, 12, 5);
  ASSERT_TRUE(world_.Enrol("NEW", At(2026, 1, 1)).ok());
  dates_["NEW"] = Date(1980, 12, 5);
  EXPECT_EQ(Run(2026, 1, 2), Names({"DEC/2025"}));
  EXPECT_EQ(Run(2026, 1, 3), Names{});
  EXPECT_EQ(Run(2026, 12, 31), Names({"DEC/2026", "LEAP/2026", "M1/2026", "M2/2026", "NEW/2026"}));
  // A member enrolled after the year's last run gets that year's bonus and
  // the next one's from one run, in year order.
  ASSERT_TRUE(world_.Enrol("GAP", At(2026, 12, 31, 18)).ok());
  dates_["GAP"] = Date(1970, 1, 20);
  EXPECT_EQ(Run(2027, 1, 30), Names({"GAP/2026"}));
  EXPECT_EQ(Run(2027, 1, 31), Names({"GAP/2027"}));
  // The first run of 2028 grants what 2027 left and what 2028 has due.
  ASSERT_TRUE(world_.Enrol("OLD", At(2027, 2, 1)).ok());
  dates_["OLD"] = Date(1970, 1, 20);
  EXPECT_EQ(Run(2028, 1, 31), Names({"DEC/2027", "GAP/2028", "LEAP/2027", "M1/2027", "M2/2027",
                                     "NEW/2027", "OLD/2027", "OLD/2028"}));
}

TEST_F(BirthdayTest, ThePolicyDecidesTheBonusAndErasedMembersAreSkipped) {
  v1::PolicySet bonus;
  bonus.mutable_birthday()->set_bonus_points(500);
  ASSERT_TRUE(world_.ChangePolicy("B1", bonus, At(2025, 1, 1)).ok());
  EraseMember erase{"M2", "member request", At(2025, 1, 2), "privacy"};
  ASSERT_TRUE(world_.Commit(DecideEraseMember(world_.state(), erase)).ok());
  EXPECT_EQ(Run(2025, 12, 1), Names({"LEAP/2025", "M1/2025"}));
  EXPECT_EQ(world_.Balance("M1"), 500);
  EXPECT_EQ(Run(2026, 12, 31), Names({"LEAP/2026", "M1/2026"}));
}

TEST_F(BirthdayTest, ABirthDateOfAMemberNotEnrolledIsNotFound) {
  GrantBirthdayBonuses command{At(2025, 6, 1), "birthday-job"};
  BirthDates unknown = {{"M404", Date(1990, 1, 1)}};
  ExpectError(DecideBirthdayBonuses(world_.state(), command, unknown).status(),
              absl::StatusCode::kNotFound, "M404");
}

TEST_F(BirthdayTest, ABirthDateThatIsNoCalendarDateIsRefused) {
  GrantBirthdayBonuses command{At(2025, 6, 1), "birthday-job"};
  BirthDates invalid = {{"M1", Date(1990, 2, 30)}};
  ExpectError(DecideBirthdayBonuses(world_.state(), command, invalid).status(),
              absl::StatusCode::kInvalidArgument, "1990-2-30 is not a calendar date");
}

TEST_F(BirthdayTest, ARunAtANegativeTimeIsRefused) {
  GrantBirthdayBonuses command{-1, "birthday-job"};
  ExpectError(DecideBirthdayBonuses(world_.state(), command, dates_).status(),
              absl::StatusCode::kInvalidArgument, "occurred_at_us");
}

TEST(BirthdayBonusDueDayTest, IsTheLastDayOfTheBirthMonthInThatYear) {
  v1::LocalDate leap;
  leap.set_year(2000);
  leap.set_month(2);
  leap.set_day(29);
  EXPECT_EQ(*BirthdayBonusDueDay(leap, 2023), absl::CivilDay(2023, 2, 28));
  EXPECT_EQ(*BirthdayBonusDueDay(leap, 2024), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(*BirthdayBonusDueDay(leap, 2100), absl::CivilDay(2100, 2, 28));  // not leap
  v1::LocalDate first;
  first.set_year(1990);
  first.set_month(2);
  first.set_day(1);
  EXPECT_EQ(*BirthdayBonusDueDay(first, 2024), absl::CivilDay(2024, 2, 29));
  first.set_month(12);
  EXPECT_EQ(*BirthdayBonusDueDay(first, 2024), absl::CivilDay(2024, 12, 31));
  first.set_month(4);
  EXPECT_EQ(*BirthdayBonusDueDay(first, 2024), absl::CivilDay(2024, 4, 30));
  leap.set_month(13);
  EXPECT_EQ(BirthdayBonusDueDay(leap, 2024).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::projections
