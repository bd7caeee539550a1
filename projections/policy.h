// loyalty::projections::Policy — the rules in force: earning, tiers, expiry,
// birthday bonus, SLA, retention and the business time accepted.
//
// Policies are events (PolicySet). A change replaces every value it sets to
// non-zero and keeps the others ("zero keeps the value in force"). Changes
// apply in log order, from the event on: a replay applies, to each event,
// the policy that was in force when it was applied.
#ifndef LOYALTY_PROJECTIONS_POLICY_H_
#define LOYALTY_PROJECTIONS_POLICY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/policy.pb.h"
#include "projections/projection_state.pb.h"

namespace loyalty::projections {

// BusinessTimePolicy.future_tolerance_seconds while no policy sets it: 24
// hours (the limit is kMaxFutureToleranceSeconds, loyalty/limits.h).
inline constexpr int64_t kDefaultFutureToleranceSeconds = 86'400;

class Policy {
 public:
  // The defaults of the business rules: 1 point per 100 fen; multipliers
  // 10000/12500/15000/20000 bp; thresholds Silver 500000, Gold 2000000,
  // Platinum 5000000 fen; window and protection 365 days; points expire at
  // the end of the year after the grant's; birthday bonus 200 points; SLA 3
  // and 5 working days; retention 1095 days; input dated up to 24 hours
  // ahead of the ledger clock. The last is left unset in values(), so that
  // the canonical states of logs that never change it stay as they were.
  Policy();

  // Checks that `change` can be applied: one policy is set, no value is
  // negative, and the policy it leads to is valid (see CheckValues).
  // InvalidArgument naming the field and the value otherwise.
  absl::Status CheckChange(const v1::PolicySet& change) const;

  // CheckChange, then replaces every value `change` sets to non-zero.
  // On error nothing changes.
  absl::Status Apply(const v1::PolicySet& change);

  // The policy that `change` would lead to; InvalidArgument as CheckChange.
  absl::StatusOr<Policy> With(const v1::PolicySet& change) const;

  // Earning.
  int64_t fen_per_point() const { return values_.earning().fen_per_point(); }
  // The multiplier of `tier`; TIER_UNSPECIFIED counts as Regular.
  int64_t multiplier_bp(v1::Tier tier) const;

  // Tiers. The spend `tier` requires; 0 for Regular and TIER_UNSPECIFIED.
  int64_t threshold_fen(v1::Tier tier) const;
  // The highest tier a qualifying spend reaches (Regular at least).
  v1::Tier TierForSpend(int64_t qualifying_spend_fen) const;
  int64_t window_us() const;
  int64_t protection_us() const;

  // Expiry, birthday, SLA, retention.
  int32_t years_after_grant_year() const { return values_.expiry().years_after_grant_year(); }
  int64_t birthday_bonus_points() const { return values_.birthday().bonus_points(); }
  int32_t reply_working_days() const { return values_.sla().reply_working_days(); }
  int32_t notification_working_days() const { return values_.sla().notification_working_days(); }
  int32_t retention_inactive_days() const { return values_.retention().inactive_days(); }
  // How far past the ledger clock's now the business time of new input may
  // be (BusinessTimePolicy); kDefaultFutureToleranceSeconds while unset.
  int64_t future_tolerance_us() const;

  // Every value in force, as stored in canonical states.
  const state::PolicyState& values() const { return values_; }

  // A policy from stored values. DataLoss if they are not a valid policy.
  static absl::StatusOr<Policy> FromValues(const state::PolicyState& values);

  // Checks a complete set of values: every value positive; multipliers at
  // most kMaxMultiplierBp; thresholds strictly ascending Silver < Gold <
  // Platinum and at most kMaxThresholdFen; day counts at most kMaxPolicyDays;
  // years_after_grant_year at most kMaxYearsAfterGrantYear; the bonus at most
  // kMaxPointsPerEvent; the future tolerance unset (0) or at most
  // kMaxFutureToleranceSeconds. InvalidArgument naming the first offending
  // field.
  static absl::Status CheckValues(const state::PolicyState& values);

 private:
  state::PolicyState values_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_POLICY_H_
