#include "projections/survey_deciders.h"

#include <string>

#include "gtest/gtest.h"
#include "projections/complaint_deciders.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
using testing::TestWorld;

class SurveyDeciderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(world_.Enrol("M1", At(2024, 1, 1)).ok());
    ASSERT_TRUE(world_.Enrol("M2", At(2024, 1, 1)).ok());
    ASSERT_TRUE(world_.Commit(DecideFileComplaint(
                                  world_.complaint_state(),
                                  {"C1", "M1", "adidas", "service", v1::CHANNEL_APP,
                                   At(2024, 3, 1), "desk"}))
                    .ok());
  }

  SurveyDecisionState State() const {
    return {world_.balances, world_.complaints, world_.partners};
  }
  absl::StatusOr<Events> Decide(const std::string& survey_id, const std::string& member_id,
                                const std::string& partner_id, const std::string& complaint_id,
                                int32_t score) {
    return DecideRecordSurvey(State(), {survey_id, member_id, partner_id, complaint_id, score,
                                        At(2024, 3, 10), "survey-app"});
  }

  TestWorld world_;
};

TEST_F(SurveyDeciderTest, ASurveyHasAStreamOfItsOwnAndCountsForItsPartner) {
  auto decided = Decide("Q1", "M1", "", "C1", 4);
  ASSERT_TRUE(decided.ok()) << decided.status();
  ASSERT_EQ(decided->size(), 1u);
  const v1::Envelope& envelope = (*decided)[0];
  EXPECT_EQ(envelope.stream_id(), "survey-Q1");
  EXPECT_EQ(envelope.idempotency_key(), "survey/Q1");
  EXPECT_EQ(envelope.event().survey_answered().complaint_id(), "C1");
  EXPECT_EQ(envelope.event().survey_answered().score(), 4);
  ASSERT_TRUE(world_.Commit(decided).ok());
  // The complaint's partner gets the score; the member's points state does
  // not move (the header's sequence and time aside).
  EXPECT_EQ(world_.partners.FindPartner("adidas")->satisfaction_score_count, 1);
  EXPECT_EQ(*world_.partners.FindPartner("adidas")->average_satisfaction_centi(), 400);
  EXPECT_EQ(world_.balances.FindMember("M1")->last_activity_at_us, 0);

  ASSERT_TRUE(world_.Commit(Decide("Q2", "M2", "nike", "", 5)).ok());
  EXPECT_EQ(world_.partners.FindPartner("nike")->satisfaction_score_sum, 5);
}

TEST_F(SurveyDeciderTest, RejectsWhatWouldBeWrong) {
  ASSERT_TRUE(world_.Commit(Decide("Q1", "M1", "", "C1", 4)).ok());
  EXPECT_EQ(Decide("Q1", "M1", "", "C1", 4).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Decide("Q2", "M1", "", "C1", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide("Q2", "M1", "", "C1", 6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide("", "M1", "", "", 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide("Q2", "M9", "", "", 3).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Decide("Q2", "M1", "", "C9", 3).status().code(), absl::StatusCode::kNotFound);
  absl::Status other = Decide("Q2", "M2", "", "C1", 3).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition) << other;
  EXPECT_NE(other.message().find("\"M1\""), std::string::npos) << other;
}

TEST_F(SurveyDeciderTest, AnErasedMemberAnswersNoSurvey) {
  ASSERT_TRUE(world_.Commit(DecideEraseMember(world_.state(),
                                              {"M2", "asked to be forgotten", At(2024, 3, 5),
                                               "privacy-desk"}))
                  .ok());
  EXPECT_EQ(Decide("Q3", "M2", "nike", "", 3).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SurveyDeciderTest, ThePartnerProjectionCountsASurveyOnce) {
  auto decided = Decide("Q1", "M1", "nike", "", 2);
  ASSERT_TRUE(world_.Commit(decided).ok());
  v1::Envelope again = (*decided)[0];
  again.set_sequence(world_.log.size() + 1);
  ASSERT_TRUE(world_.partners.Apply(again).ok());
  EXPECT_EQ(world_.partners.FindPartner("nike")->satisfaction_score_count, 1);
  ASSERT_EQ(world_.partners.anomalies().kept().size(), 1u);
  EXPECT_EQ(world_.partners.anomalies().kept()[0].rule, "duplicate_survey");
  PartnerProjection restored;
  ASSERT_TRUE(restored.Restore(world_.partners.CanonicalState()).ok());
  EXPECT_TRUE(restored.HasSurvey("Q1"));
  EXPECT_EQ(restored.CanonicalState(), world_.partners.CanonicalState());
}

}  // namespace
}  // namespace loyalty::projections
