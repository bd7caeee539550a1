#include "projections/survey_deciders.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "loyalty/limits.h"
#include "projections/decider_support.h"

namespace loyalty::projections {

std::string SurveyStreamId(absl::string_view survey_id) {
  return absl::StrCat("survey-", survey_id);
}

absl::StatusOr<Events> DecideRecordSurvey(const SurveyDecisionState& state,
                                          const RecordSurvey& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("survey_id", command.survey_id);
  if (status.ok() && !command.partner_id.empty()) {
    status = CheckCommandId("partner_id", command.partner_id);
  }
  if (status.ok() && !command.complaint_id.empty()) {
    status = CheckCommandId("complaint_id", command.complaint_id);
  }
  if (status.ok() &&
      (command.score < kMinSatisfactionScore || command.score > kMaxSatisfactionScore)) {
    status = absl::InvalidArgumentError(absl::StrCat("score: ", command.score, " is not in [",
                                                     kMinSatisfactionScore, ", ",
                                                     kMaxSatisfactionScore, "]"));
  }
  if (!status.ok()) return status;
  absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, command.member_id);
  if (!account.ok()) return account.status();
  status = CheckNotErased(command.member_id, **account);
  if (!status.ok()) return status;
  if (!command.complaint_id.empty()) {
    const Complaint* complaint = state.complaints.FindComplaint(command.complaint_id);
    if (complaint == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("complaint_id: ", Quoted(command.complaint_id), " is not filed"));
    }
    if (complaint->member_id != command.member_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("complaint_id: ", Quoted(command.complaint_id), " is a complaint of ",
                       Quoted(complaint->member_id), ", not of ", Quoted(command.member_id)));
    }
  }
  if (state.partners.HasSurvey(command.survey_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("survey_id: ", Quoted(command.survey_id), " is already recorded"));
  }
  v1::Envelope envelope =
      NewEnvelope(SurveyStreamId(command.survey_id), absl::StrCat("survey/", command.survey_id),
                  command.occurred_at_us, command.actor_id);
  v1::SurveyAnswered& survey = *envelope.mutable_event()->mutable_survey_answered();
  survey.set_survey_id(command.survey_id);
  survey.set_member_id(command.member_id);
  survey.set_partner_id(command.partner_id);
  survey.set_complaint_id(command.complaint_id);
  survey.set_score(command.score);
  return Events{std::move(envelope)};
}

}  // namespace loyalty::projections
