#include "projections/policy_projection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/home_stream.h"

namespace loyalty::projections {

bool ApplyPolicyEvent(const v1::Envelope& envelope, Policy* policy, AnomalyLog* anomalies) {
  absl::Status status = policy->Apply(envelope.event().policy_set());
  if (status.ok()) return true;
  anomalies->Record(envelope, anomaly_rule::kInvalidPolicy,
                    absl::StrCat(status.message(), "; the policy in force is kept"));
  return false;
}

absl::Status PolicyProjection::Apply(const v1::Envelope& envelope) {
  absl::Status status = position_.CheckNext(envelope);
  if (!status.ok()) return status;
  AdvanceTo(envelope.occurred_at_us());
  if (envelope.event().has_policy_set() && !RecordIfMisplaced(envelope, &anomalies_) &&
      ApplyPolicyEvent(envelope, &policy_, &anomalies_)) {
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
  SetAnomalies(anomalies_, &state);
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
  absl::StatusOr<AnomalyLog> anomalies = AnomalyLog::FromState(state.anomalies(), name());
  if (!anomalies.ok()) return anomalies.status();
  position_ = *position;
  policy_ = *std::move(policy);
  anomalies_ = *std::move(anomalies);
  changes_applied_ = state.changes_applied();
  last_change_sequence_ = state.last_change_sequence();
  return absl::OkStatus();
}

}  // namespace loyalty::projections
