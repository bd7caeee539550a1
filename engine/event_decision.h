// The decision a raw event records: the command that would have appended it,
// decided again by the engine's own decider. Engine::Append appends an event
// only if it is (part of) what that decision emits.
//
// An event that starts a decision is taken as its command:
//   member_enrolled          EnrolMember          member_erased    EraseMember
//   purchase_recorded        RecordPurchase       refund_recorded  RecordRefund
//   points_redeemed          Redeem
//   points_granted / points_debited with reason ADJUSTMENT
//                            Adjust (its id from the key
//                            "adjust/<adjustment_id>")
//   points_granted with reason BIRTHDAY
//                            GrantBirthdayBonuses, for that one member
//   policy_set               SetPolicy (its id from the key
//   "policy/<policy_change_id>") complaint_*, customer_*  FileComplaint ...
//   ConfirmResolution calendar_days_declared   DeclareCalendarDays
//   survey_answered  RecordSurvey
// The second event of a decision (the points grant of a purchase, the
// clawback of a refund, the goodwill grant of a resolution) comes only after
// the first, in the same batch. Events no command makes have rules of their
// own: member_profile_updated and consent_changed (on the stream of an
// enrolled member who is not erased), schema_registered (as
// audit::RecordBuiltInSchema writes it). Anything else (activity_attended,
// campaign grants) is refused: no command records it.
#ifndef LOYALTY_ENGINE_EVENT_DECISION_H_
#define LOYALTY_ENGINE_EVENT_DECISION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "replay/projection_set.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/deciders.h"

namespace loyalty::internal {

struct EventDecision {
  // The command decided, for messages: "RecordPurchase".
  std::string command;
  // What its decider emits, in order; the raw events must equal them.
  projections::Events events;
};

// The birth date of an enrolled member, decrypted; nullopt when none is
// recorded. Errors: those of reading personal data (no master key, ...).
using BirthDateLookup =
    absl::FunctionRef<absl::StatusOr<std::optional<v1::LocalDate>>(const std::string&)>;

// Decides the command that `head` starts, on `set`. `stream_version` is the
// version of head's stream before it (schema_registered's key names it).
// Errors are the decider's (InvalidArgument, NotFound, FailedPrecondition,
// AlreadyExists), or InvalidArgument for an event that starts no decision,
// each with a message that names the field and the value.
absl::StatusOr<EventDecision> DecideEvent(const v1::Envelope& head, const ProjectionSet& set,
                                          uint64_t stream_version, BirthDateLookup birth_date);

// Whether `envelope` is the second event of a decision (see above).
bool ContinuesDecision(const v1::Envelope& envelope);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_EVENT_DECISION_H_
