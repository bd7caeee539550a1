#include "projections/policy_projection.h"

#include <utility>

namespace loyalty::projections {

absl::Status ApplyPolicyEvent(const v1::Envelope& envelope, Policy* policy) {
  absl::Status status = policy->Apply(envelope.event().policy_set());
  if (status.ok()) return status;
  return EventError(absl::StatusCode::kDataLoss, envelope, status.message());
}

absl::Status PolicyProjection::Apply(const v1::Envelope& envelope) {
  absl::Status status = position_.CheckNext(envelope);
  if (!status.ok()) return status;
  AdvanceTo(envelope.occurred_at_us());
  if (envelope.event().has_policy_set()) {
    status = ApplyPolicyEvent(envelope, &policy_);
    if (!status.ok()) return status;
    ++changes_applied_;
    last_change_sequence_ = envelope.sequence();
  }
  position_.Record(envelope);
  return absl::OkStatus();
}

std::string PolicyProjection::CanonicalState() const {
  state::PolicyProjectionState state;
  *state.mutable_header() = position_.ToHeader(name());
  *state.mutable_policy() = policy_.values();
  state.set_changes_applied(changes_applied_);
  state.set_last_change_sequence(last_change_sequence_);
  return SerializeDeterministic(state);
}

absl::Status PolicyProjection::Restore(absl::string_view canonical_state) {
  state::PolicyProjectionState state;
  absl::Status status = ParseState(canonical_state, name(), &state);
  if (!status.ok()) return status;
  absl::StatusOr<ReplayPosition> position = ReplayPosition::FromHeader(state.header(), name());
  if (!position.ok()) return position.status();
  absl::StatusOr<Policy> policy = Policy::FromValues(state.policy());
  if (!policy.ok()) return policy.status();
  position_ = *position;
  policy_ = *std::move(policy);
  changes_applied_ = state.changes_applied();
  last_change_sequence_ = state.last_change_sequence();
  return absl::OkStatus();
}

}  // namespace loyalty::projections
