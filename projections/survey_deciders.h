// The decider of satisfaction surveys (contract clause 8.1): a pure function
// from (state, command) to the events to append, with the contract of
// deciders.h. The command is the public RecordSurvey of loyalty/commands.h.
//
// Stream and idempotency key:
//   survey-<survey_id>   SurveyAnswered   survey/<survey_id>
// A survey has a stream of its own, not the member's: it changes none of the
// member's points or tier, so the member's stream (which Engine::Member
// replays with the policy stream) stays exactly the events that decide them,
// and recording a survey never races with the member's purchases for the
// member stream's version. Its score counts in PartnerProjection's average
// satisfaction (partners.h); the partner projection remembers every survey
// id, which is how a retried survey meets AlreadyExists.
#ifndef LOYALTY_PROJECTIONS_SURVEY_DECIDERS_H_
#define LOYALTY_PROJECTIONS_SURVEY_DECIDERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/commands.h"
#include "projections/balances.h"
#include "projections/complaints.h"
#include "projections/deciders.h"
#include "projections/partners.h"

namespace loyalty::projections {

// The state the survey decider reads. Not owned. All three must have applied
// the same prefix of the log.
struct SurveyDecisionState {
  const BalanceProjection& balances;
  const ComplaintProjection& complaints;
  const PartnerProjection& partners;
};

// SurveyAnswered for an enrolled member, about partner_id (may be empty),
// following complaint complaint_id (may be empty), with a score 1..5.
// InvalidArgument: occurred_at_us <= 0; an actor_id that is empty or longer
//   than kMaxActorIdBytes; a survey or member id that is empty, longer than
//   kMaxIdBytes or holds a NUL byte (a partner or complaint id likewise, when
//   given); a score outside 1..5.
// NotFound: the member is not enrolled; the complaint was never filed.
// FailedPrecondition: the member is erased; the complaint is another
//   member's.
// AlreadyExists: the survey id is already recorded.
using RecordSurvey = ::loyalty::RecordSurvey;
absl::StatusOr<Events> DecideRecordSurvey(const SurveyDecisionState& state,
                                          const RecordSurvey& command);

// "survey-<survey_id>".
std::string SurveyStreamId(absl::string_view survey_id);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_SURVEY_DECIDERS_H_
