// The start of Restore for the projections whose canonical state holds a
// policy (balances, tiers, complaints). Internal to projections/.
#ifndef LOYALTY_PROJECTIONS_RESTORE_PARTS_H_
#define LOYALTY_PROJECTIONS_RESTORE_PARTS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "projections/policy.h"
#include "projections/replay.h"

namespace loyalty::projections {

// Parses `canonical_state` into `state` (ParseState) and reads its header's
// position (ReplayPosition::FromHeader) and its policy (Policy::FromValues),
// for projection `name`. Fails as the first of them fails, leaving
// `position` and `policy` as they were.
template <typename State>
absl::Status ParseStateWithPolicy(absl::string_view canonical_state, absl::string_view name,
                                  State* state, ReplayPosition* position, Policy* policy) {
  absl::Status status = ParseState(canonical_state, name, state);
  if (!status.ok()) return status;
  absl::StatusOr<ReplayPosition> parsed_position =
      ReplayPosition::FromHeader(state->header(), name);
  if (!parsed_position.ok()) return parsed_position.status();
  absl::StatusOr<Policy> parsed_policy = Policy::FromValues(state->policy());
  if (!parsed_policy.ok()) return parsed_policy.status();
  *position = *parsed_position;
  *policy = *std::move(parsed_policy);
  return absl::OkStatus();
}

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_RESTORE_PARTS_H_
