#include "projections/partners.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/complaint_deciders.h"
#include "projections/scorecard.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::AnomalyRules;
using testing::At;
using testing::DataOf;
using testing::RawEnvelope;
using testing::TestWorld;

TEST(PartnerProjectionTest, EachStoreHasItsOwnSalesRefundsAndPoints) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 30000, At(2024, 2, 1), "nike").ok());      // 300 points
  ASSERT_TRUE(world.Purchase("S2", "M1", 10000, At(2024, 2, 2), "nike").ok());      // 100 points
  ASSERT_TRUE(world.Purchase("S3", "M1", 5000, At(2024, 2, 3), "starbucks").ok());  // 50 points
  ASSERT_TRUE(world.Refund("F1", "S1", 10000, At(2024, 2, 4)).ok());                // claws 100

  const PartnerScore* nike = world.partners.FindPartner("nike");
  ASSERT_NE(nike, nullptr);
  EXPECT_EQ(nike->gross_sales_fen, 40000);
  EXPECT_EQ(nike->refunded_fen, 10000);
  EXPECT_EQ(nike->net_sales_fen(), 30000);
  EXPECT_EQ(nike->purchase_count, 2);
  EXPECT_EQ(nike->refund_count, 1);
  EXPECT_EQ(nike->refund_rate_bp(), 2500);
  EXPECT_EQ(nike->points_issued, 400);
  EXPECT_EQ(nike->points_clawed_back, 100);

  const PartnerScore* starbucks = world.partners.FindPartner("starbucks");
  ASSERT_NE(starbucks, nullptr);
  EXPECT_EQ(starbucks->net_sales_fen(), 5000);
  EXPECT_EQ(starbucks->refund_rate_bp(), 0);
  EXPECT_EQ(starbucks->points_issued, 50);
  EXPECT_EQ(world.partners.FindPartner("adidas"), nullptr);
  EXPECT_EQ(world.partners.partners().size(), 2u);
}

TEST(PartnerProjectionTest, RefundRateIsFlooredBasisPoints) {
  PartnerScore score;
  score.gross_sales_fen = 30000;
  score.refunded_fen = 10000;
  EXPECT_EQ(score.refund_rate_bp(), 3333);
  EXPECT_EQ(PartnerScore().refund_rate_bp(), 0);
}

// Hand-made events the deciders would never write (anomaly.h): each counts
// for no partner, or once, and is recorded.
TEST(PartnerProjectionTest, EventsThatBreakARuleCountOnceOrNotAtAll) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 10000, At(2024, 1, 2), "store-1").ok());
  const std::string before = DataOf<state::PartnerState>(world.partners);
  auto raw = [&](const std::string& stream, auto fill) {
    v1::Envelope envelope = RawEnvelope(0, stream, At(2024, 1, 3));
    fill(envelope.mutable_event());
    ASSERT_TRUE(world.CommitRaw(envelope).ok());
  };
  raw("member-M1", [](v1::Event* e) {
    e->mutable_refund_recorded()->set_member_id("M1");
    e->mutable_refund_recorded()->set_refund_id("F1");
    e->mutable_refund_recorded()->set_purchase_id("S404");
    e->mutable_refund_recorded()->set_amount_fen(100);
  });
  raw("member-M1", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_purchase_id("S1");
    e->mutable_purchase_recorded()->set_partner_id("store-2");
    e->mutable_purchase_recorded()->set_amount_fen(500);
  });
  raw("member-M1", [](v1::Event* e) {
    e->mutable_points_granted()->set_member_id("M1");
    e->mutable_points_granted()->set_reason(v1::GRANT_REASON_PURCHASE);
    e->mutable_points_granted()->set_purchase_id("S1");
    e->mutable_points_granted()->set_points(std::numeric_limits<int64_t>::max());
  });
  raw("member-M1", [](v1::Event* e) {
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_purchase_id("S2");
    e->mutable_purchase_recorded()->set_amount_fen(-1);
  });
  raw("member-M2", [](v1::Event* e) {  // off its member's stream
    e->mutable_purchase_recorded()->set_member_id("M1");
    e->mutable_purchase_recorded()->set_purchase_id("S3");
    e->mutable_purchase_recorded()->set_partner_id("store-1");
    e->mutable_purchase_recorded()->set_amount_fen(500);
  });
  raw("complaint-C1", [](v1::Event* e) {
    e->mutable_complaint_filed()->set_complaint_id("C1");
    e->mutable_complaint_filed()->set_member_id("M1");
    e->mutable_complaint_filed()->set_partner_id("store-1");
  });
  EXPECT_EQ(AnomalyRules(world.partners),
            (std::vector<std::string>{"unknown_purchase", "duplicate_purchase",
                                      "points_out_of_range", "amount_out_of_range",
                                      "stream_mismatch", "missing_id"}));
  EXPECT_EQ(DataOf<state::PartnerState>(world.partners), before);
  EXPECT_EQ(world.partners.FindPartner("store-2"), nullptr);
  EXPECT_EQ(world.partners.anomalies().kept()[1].message,
            "purchase \"S1\" is already recorded (partner \"store-1\"); it counts once, the "
            "first time");

  PartnerProjection restored;
  ASSERT_TRUE(restored.Restore(world.partners.CanonicalState()).ok());
  EXPECT_EQ(restored.CanonicalState(), world.partners.CanonicalState());
  EXPECT_EQ(restored.anomalies().kept(), world.partners.anomalies().kept());
}

}  // namespace
}  // namespace loyalty::projections

namespace loyalty::projections {
namespace {

using testing::AnomalyRules;
using testing::At;
using testing::EndOf;
using testing::RawEnvelope;
using testing::TestWorld;

// Appends an event no decider makes yet (a survey answer) as a ledger would.
void AppendSurvey(TestWorld* world, const std::string& partner_id,
                  const std::string& complaint_id, int32_t score, int64_t at_us) {
  v1::Envelope envelope;
  envelope.set_sequence(world->log.size() + 1);
  envelope.set_stream_id("survey");
  envelope.set_occurred_at_us(at_us);
  v1::SurveyAnswered& survey = *envelope.mutable_event()->mutable_survey_answered();
  survey.set_survey_id(absl::StrCat("Q", world->log.size()));
  survey.set_member_id("M1");
  survey.set_partner_id(partner_id);
  survey.set_complaint_id(complaint_id);
  survey.set_score(score);
  world->log.push_back(envelope);
  for (Projection* projection : world->projections()) {
    ASSERT_TRUE(projection->Apply(envelope).ok());
  }
}

TEST(PartnerScorecardTest, EachPartnerCountsItsComplaintsSatisfactionAndSlaCompliance) {
  TestWorld world;
  ASSERT_TRUE(world.LoadOfficialCalendar(2024, At(2023, 10, 26)).ok());
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 30000, At(2024, 2, 1), "nike").ok());
  const ComplaintDecisionState state = world.complaint_state();
  const auto file = [&](const std::string& id, const std::string& partner, int64_t at) {
    return world.Commit(DecideFileComplaint(world.complaint_state(),
                                            {id, "M1", partner, "service", v1::CHANNEL_APP, at, "desk"}));
  };
  // C1 about nike: replied in time, resolved, notified late, confirmed 4/5.
  ASSERT_TRUE(file("C1", "nike", At(2024, 3, 4)).ok());  // reply due 7 March
  ASSERT_TRUE(world.Commit(DecideReplyToComplaint(world.complaint_state(),
                                                  {"C1", v1::CHANNEL_APP, At(2024, 3, 5), "desk"}))
                  .ok());
  ASSERT_TRUE(world.Commit(DecideStartInvestigation(world.complaint_state(), {"C1", At(2024, 3, 5), "desk"})).ok());
  ASSERT_TRUE(world.Commit(DecideResolveComplaint(world.complaint_state(),
                                                  {"C1", "refund", 0, At(2024, 3, 6), "desk"}))
                  .ok());  // notification due 13 March
  ASSERT_TRUE(world.Commit(DecideNotifyCustomer(world.complaint_state(),
                                                {"C1", v1::CHANNEL_SMS, At(2024, 3, 14), "desk"}))
                  .ok());
  ASSERT_TRUE(world.Commit(DecideConfirmResolution(world.complaint_state(),
                                                   {"C1", true, 4, At(2024, 3, 15), "desk"}))
                  .ok());
  // C2 about nike: never replied (breached as of April, with no event).
  ASSERT_TRUE(file("C2", "nike", At(2024, 3, 11)).ok());  // reply due 14 March
  // C3 about adidas, which has no purchase; C4 about the mall itself.
  ASSERT_TRUE(file("C3", "adidas", At(2024, 3, 11)).ok());
  ASSERT_TRUE(file("C4", "", At(2024, 3, 11)).ok());
  AppendSurvey(&world, "nike", "", 5, At(2024, 3, 20));
  AppendSurvey(&world, "", "C3", 2, At(2024, 3, 20));   // counts for adidas, C3's partner
  AppendSurvey(&world, "", "", 3, At(2024, 3, 20));     // about the mall: no partner
  AppendSurvey(&world, "nike", "", 0, At(2024, 3, 20));  // no score given
  (void)state;

  const PartnerScore* nike = world.partners.FindPartner("nike");
  ASSERT_NE(nike, nullptr);
  EXPECT_EQ(nike->complaint_count, 2);
  EXPECT_EQ(nike->satisfaction_score_count, 2);
  EXPECT_EQ(nike->satisfaction_score_sum, 9);
  EXPECT_EQ(nike->average_satisfaction_centi(), 450);
  EXPECT_EQ(nike->gross_sales_fen, 30000);
  const PartnerScore* adidas = world.partners.FindPartner("adidas");
  ASSERT_NE(adidas, nullptr);
  EXPECT_EQ(adidas->complaint_count, 1);
  EXPECT_EQ(adidas->average_satisfaction_centi(), 200);
  EXPECT_EQ(world.partners.FindPartner(""), nullptr);

  const PartnerScorecard card =
      MakePartnerScorecard(world.partners, world.complaints, "nike", At(2024, 4, 1));
  EXPECT_EQ(card.score.complaint_count, 2);
  EXPECT_EQ(card.sla.met, 1);       // C1's reply
  EXPECT_EQ(card.sla.breached, 2);  // C1's notification, C2's reply
  EXPECT_EQ(card.sla.compliance_bp(), 3333);
  // As of 12 March, C2's reply was still pending.
  const PartnerScorecard earlier =
      MakePartnerScorecard(world.partners, world.complaints, "nike", At(2024, 3, 12));
  EXPECT_EQ(earlier.sla.pending, 1);
  EXPECT_EQ(earlier.sla.breached, 1);

  const std::vector<PartnerScorecard> cards =
      MakePartnerScorecards(world.partners, world.complaints, EndOf(2024, 3, 14));
  ASSERT_EQ(cards.size(), 2u);  // adidas, nike; not the mall
  EXPECT_EQ(cards[0].partner_id, "adidas");
  EXPECT_EQ(cards[0].sla.pending, 1);
  EXPECT_EQ(cards[0].score.gross_sales_fen, 0);
  EXPECT_EQ(cards[1].partner_id, "nike");
  EXPECT_EQ(cards[1].sla.pending, 1);

  // The partner state round-trips.
  PartnerProjection restored;
  ASSERT_TRUE(restored.Restore(world.partners.CanonicalState()).ok());
  EXPECT_EQ(restored.CanonicalState(), world.partners.CanonicalState());
  EXPECT_EQ(restored.FindPartner("nike")->satisfaction_score_sum, 9);
}

TEST(PartnerScorecardTest, ScoresOutOfRangeAndUnknownComplaintsCountForNoPartner) {
  PartnerProjection partners;
  v1::Envelope confirmed = RawEnvelope(1, "complaint-C9", At(2024, 1, 1));
  confirmed.mutable_event()->mutable_customer_confirmed()->set_complaint_id("C9");
  confirmed.mutable_event()->mutable_customer_confirmed()->set_satisfaction_score(4);
  ASSERT_TRUE(partners.Apply(confirmed).ok());
  v1::Envelope survey = RawEnvelope(2, "survey-Q1", At(2024, 1, 1));
  survey.mutable_event()->mutable_survey_answered()->set_survey_id("Q1");
  survey.mutable_event()->mutable_survey_answered()->set_partner_id("store-1");
  survey.mutable_event()->mutable_survey_answered()->set_score(9);
  ASSERT_TRUE(partners.Apply(survey).ok());
  EXPECT_TRUE(partners.partners().empty());
  EXPECT_FALSE(partners.HasSurvey("Q1"));
  EXPECT_EQ(AnomalyRules(partners),
            (std::vector<std::string>{"complaint_not_filed", "score_out_of_range"}));
  EXPECT_FALSE(PartnerScore().average_satisfaction_centi().has_value());
}

}  // namespace
}  // namespace loyalty::projections
