// loyalty::projections::PolicyProjection — the policy in force, from the
// PolicySet events of the log. The deciders read the rules from here.
#ifndef LOYALTY_PROJECTIONS_POLICY_PROJECTION_H_
#define LOYALTY_PROJECTIONS_POLICY_PROJECTION_H_

#include <cstdint>
#include <string>

#include "projections/policy.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

class PolicyProjection final : public Projection {
 public:
  // Starts with the default policy.
  PolicyProjection() = default;

  // "policies".
  absl::string_view name() const override { return "policies"; }
  // Applies PolicySet events. One that Policy::CheckChange rejects changes
  // nothing and is recorded in anomalies() (anomaly.h: invalid_policy), as
  // is one off the stream "policy" (stream_mismatch). Every other event only
  // moves the position.
  absl::Status Apply(const v1::Envelope& envelope) override;
  void AdvanceTo(int64_t instant_us) override { position_.MoveTo(instant_us); }
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;
  const AnomalyLog& anomalies() const override { return anomalies_; }

  // The policy in force now.
  const Policy& policy() const { return policy_; }
  // How many PolicySet events were applied, and the sequence of the last.
  uint64_t changes_applied() const { return changes_applied_; }
  uint64_t last_change_sequence() const { return last_change_sequence_; }
  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  ReplayPosition position_;
  Policy policy_;
  uint64_t changes_applied_ = 0;
  uint64_t last_change_sequence_ = 0;
  AnomalyLog anomalies_;
};

// Applies the PolicySet event `envelope` to `policy` and returns true; if
// the change is invalid, changes nothing, records it in `anomalies`
// (invalid_policy) and returns false. Shared by every projection that keeps
// a policy.
bool ApplyPolicyEvent(const v1::Envelope& envelope, Policy* policy, AnomalyLog* anomalies);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_POLICY_PROJECTION_H_
