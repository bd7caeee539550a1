// Member snapshots: one member's balance and tier at a point of the log,
// from which a replay of that member resumes.
//
// A query about one member as of sequence N replays the member's stream
// merged with the policy stream up to N; projection.h says why that gives
// exactly the member's state of a full replay. A snapshot taken right after
// the member's event at sequence S, from projections fed the whole log up
// to S (or the member's own replay), holds what that replay reaches at S.
// So the replay can start from it:
//   1. apply the policy events up to S to projections holding no member
//      (so that the policies in force at S are theirs);
//   2. AdoptMemberSnapshot;
//   3. apply the member's and the policy events after S, in log order, up
//      to N;
// and the member's state is then that of the full replay up to N.
#ifndef LOYALTY_PROJECTIONS_MEMBER_SNAPSHOT_H_
#define LOYALTY_PROJECTIONS_MEMBER_SNAPSHOT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "projections/balances.h"
#include "projections/tiers.h"

namespace loyalty::projections {

// Where a snapshot was taken: after the event at `sequence`, version
// `stream_version` of the member's own stream.
struct MemberSnapshotPosition {
  uint64_t sequence = 0;
  uint64_t stream_version = 0;
};

// The snapshot (deterministic bytes) of member `member_id` from projections
// that have just applied the member's event at `position`. NotFound for a
// member never enrolled.
absl::StatusOr<std::string> EncodeMemberSnapshot(const BalanceProjection& balances,
                                                 const TierProjection& tiers,
                                                 absl::string_view member_id,
                                                 MemberSnapshotPosition position);

// Adds the member of `snapshot` to `balances` and `tiers` (step 2 above)
// and returns where the snapshot was taken. Errors, changing neither:
//  InvalidArgument: a snapshot of another state format, or of a member
//    other than `member_id`.
//  DataLoss: the bytes do not decode, or break an invariant of the state.
//  FailedPrecondition: the member is already in either projection.
absl::StatusOr<MemberSnapshotPosition> AdoptMemberSnapshot(absl::string_view snapshot,
                                                           absl::string_view member_id,
                                                           BalanceProjection* balances,
                                                           TierProjection* tiers);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_MEMBER_SNAPSHOT_H_
