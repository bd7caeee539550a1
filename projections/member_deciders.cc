// Deciders of a member's life: enrolment and erasure.
#include "absl/strings/str_cat.h"
#include "projections/decider_support.h"
#include "projections/deciders.h"

namespace loyalty::projections {

absl::StatusOr<Events> DecideEnrolMember(const DecisionState& state, const EnrolMember& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("member_id", command.member_id);
  if (!status.ok()) return status;
  if (state.balances.FindMember(command.member_id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("member_id: ", Quoted(command.member_id), " is already enrolled"));
  }
  v1::Envelope envelope =
      NewEnvelope(MemberStreamId(command.member_id), absl::StrCat("enrol/", command.member_id),
                  command.occurred_at_us, command.actor_id);
  v1::MemberEnrolled& enrolled = *envelope.mutable_event()->mutable_member_enrolled();
  enrolled.set_member_id(command.member_id);
  *enrolled.mutable_personal() = command.personal;
  *enrolled.mutable_consent() = command.consent;
  enrolled.set_channel(command.channel);
  return Events{std::move(envelope)};
}

absl::StatusOr<Events> DecideEraseMember(const DecisionState& state, const EraseMember& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckNote("reason", command.reason);
  if (!status.ok()) return status;
  absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, command.member_id);
  if (!account.ok()) return account.status();
  status = CheckNotErased(command.member_id, **account);
  if (!status.ok()) return status;
  v1::Envelope envelope =
      NewEnvelope(MemberStreamId(command.member_id), absl::StrCat("erase/", command.member_id),
                  command.occurred_at_us, command.actor_id);
  v1::MemberErased& erased = *envelope.mutable_event()->mutable_member_erased();
  erased.set_member_id(command.member_id);
  erased.set_reason(command.reason);
  return Events{std::move(envelope)};
}

}  // namespace loyalty::projections
