// A log in which no event breaks a rule keeps, byte for byte, the canonical
// states (and so the digests) it had before projections recorded anomalies:
// digests already signed in checkpoints and shown in the docs stay true.
#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "projections/complaint_deciders.h"
#include "projections/survey_deciders.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
using testing::TestWorld;

// Every kind of event the deciders write, for two members, with a complaint
// reopened and closed and a policy change.
void BuildHistory(TestWorld* world) {
  ASSERT_TRUE(world->LoadOfficialCalendar(2024, At(2024, 1, 1)).ok());
  ASSERT_TRUE(world->Enrol("M1", At(2024, 1, 2)).ok());
  ASSERT_TRUE(world->Enrol("M2", At(2024, 1, 3)).ok());
  ASSERT_TRUE(world->Purchase("S1", "M1", 600000, At(2024, 1, 5), "store-1").ok());
  ASSERT_TRUE(world->Purchase("S2", "M2", 12345, At(2024, 1, 6), "store-2").ok());
  ASSERT_TRUE(world->Refund("F1", "S1", 100000, At(2024, 1, 8)).ok());
  ASSERT_TRUE(world->RedeemPoints("R1", "M1", 1000, At(2024, 1, 9)).ok());
  ASSERT_TRUE(
      world->AdjustPoints("A1", "M2", AdjustmentDirection::kDebit, 500, At(2024, 1, 10)).ok());
  v1::PolicySet change;
  change.mutable_earning()->set_fen_per_point(50);
  ASSERT_TRUE(world->ChangePolicy("policy-1", change, At(2024, 1, 11)).ok());
  ASSERT_TRUE(world->Purchase("S3", "M2", 40000, At(2024, 1, 12), "store-2").ok());

  FileComplaint file;
  file.complaint_id = "C1";
  file.member_id = "M1";
  file.partner_id = "store-1";
  file.category = "service";
  file.occurred_at_us = At(2024, 2, 9, 10);
  file.actor_id = "desk";
  ASSERT_TRUE(world->Commit(DecideFileComplaint(world->complaint_state(), file)).ok());
  ReplyToComplaint reply{"C1", v1::CHANNEL_UNSPECIFIED, At(2024, 2, 19), "desk"};
  ASSERT_TRUE(world->Commit(DecideReplyToComplaint(world->complaint_state(), reply)).ok());
  StartInvestigation investigate{"C1", At(2024, 2, 20), "desk"};
  ASSERT_TRUE(world->Commit(DecideStartInvestigation(world->complaint_state(), investigate)).ok());
  ResolveComplaint resolve{"C1", "apology", 100, At(2024, 2, 21), "desk"};
  ASSERT_TRUE(world->Commit(DecideResolveComplaint(world->complaint_state(), resolve)).ok());
  NotifyCustomer notify{"C1", v1::CHANNEL_UNSPECIFIED, At(2024, 2, 22), "desk"};
  ASSERT_TRUE(world->Commit(DecideNotifyCustomer(world->complaint_state(), notify)).ok());
  ConfirmResolution reopen{"C1", false, 2, At(2024, 2, 23), "desk"};
  ASSERT_TRUE(world->Commit(DecideConfirmResolution(world->complaint_state(), reopen)).ok());
  ReplyToComplaint again{"C1", v1::CHANNEL_UNSPECIFIED, At(2024, 2, 26), "desk"};
  ASSERT_TRUE(world->Commit(DecideReplyToComplaint(world->complaint_state(), again)).ok());
  ResolveComplaint resolved{"C1", "refund", 0, At(2024, 2, 27), "desk"};
  ASSERT_TRUE(world->Commit(DecideResolveComplaint(world->complaint_state(), resolved)).ok());
  NotifyCustomer told{"C1", v1::CHANNEL_UNSPECIFIED, At(2024, 2, 28), "desk"};
  ASSERT_TRUE(world->Commit(DecideNotifyCustomer(world->complaint_state(), told)).ok());
  ConfirmResolution close{"C1", true, 4, At(2024, 2, 29), "desk"};
  ASSERT_TRUE(world->Commit(DecideConfirmResolution(world->complaint_state(), close)).ok());

  RecordSurvey survey;
  survey.survey_id = "Q1";
  survey.member_id = "M2";
  survey.partner_id = "store-2";
  survey.score = 5;
  survey.occurred_at_us = At(2024, 3, 1);
  survey.actor_id = "app";
  const SurveyDecisionState survey_state{world->balances, world->complaints, world->partners};
  ASSERT_TRUE(world->Commit(DecideRecordSurvey(survey_state, survey)).ok());
  world->AdvanceTo(At(2026, 1, 2));  // expiry and a tier re-evaluation
}

TEST(AnomalyFreeDigestTest, AnAnomalyFreeLogKeepsTheDigestsOfBeforeAnomaliesWereRecorded) {
  TestWorld world;
  BuildHistory(&world);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  // Computed by the build before anomalies were recorded.
  const std::map<std::string, std::string> expected = {
      {"balances", "1be0a68cca3d740b134b50348c600c76ea96013383b96e2501b6f0e816e07cbc"},
      {"calendar", "f8a3f1d70fd0cf94b05784ec8149dc47804f882999fb690cb3b47de98fdc276f"},
      {"complaints", "6874c5efa764a881f4d62a9c13c97e027e96d7d04508a750e0b05ec1ce405338"},
      {"partners", "b4c912ac730873f09ad29daa16e35a015ae788b58e90e95d22b25e56577a613d"},
      {"policies", "7c95446f16b26f8d2b7848c1772f8965b37ac08481b7cb6e7afbf15c8f0c535c"},
      {"tiers", "9a11e07b9b62f798b6d24d3df1a4c28360284a587a6912d96bcea8d016213756"},
  };
  for (const Projection* projection : world.projections()) {
    const Hash digest = projection->Digest();
    const std::string hex =
        absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()),
                                                 digest.size()));
    EXPECT_EQ(hex, expected.at(std::string(projection->name()))) << projection->name();
  }
}

}  // namespace
}  // namespace loyalty::projections
