#include "projections/member_snapshot.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "projections/replay.h"

namespace loyalty::projections {

absl::StatusOr<std::string> EncodeMemberSnapshot(const BalanceProjection& balances,
                                                 const TierProjection& tiers,
                                                 absl::string_view member_id,
                                                 MemberSnapshotPosition position) {
  state::MemberSnapshot snapshot;
  snapshot.set_format_version(kStateFormatVersion);
  snapshot.set_sequence(position.sequence);
  snapshot.set_stream_version(position.stream_version);
  // Every enrolled member is in both projections: enrolment adds it to each.
  if (!balances.MemberState(member_id, snapshot.mutable_balance()) ||
      !tiers.MemberState(member_id, snapshot.mutable_tier())) {
    return absl::NotFoundError(absl::StrCat("member_id: \"", member_id, "\" is not enrolled"));
  }
  return SerializeDeterministic(snapshot);
}

absl::StatusOr<MemberSnapshotPosition> AdoptMemberSnapshot(absl::string_view snapshot,
                                                           absl::string_view member_id,
                                                           BalanceProjection* balances,
                                                           TierProjection* tiers) {
  // On an arena: a member's snapshot holds a few records per purchase, and
  // freeing them one by one costs as much as reading them.
  google::protobuf::Arena arena;
  state::MemberSnapshot& in = *google::protobuf::Arena::CreateMessage<state::MemberSnapshot>(&arena);
  if (!in.ParseFromArray(snapshot.data(), static_cast<int>(snapshot.size()))) {
    return absl::DataLossError(
        absl::StrCat("member snapshot of \"", member_id, "\": does not decode"));
  }
  if (in.format_version() != kStateFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "member snapshot of \"", member_id, "\": format version ", in.format_version(),
        " is not supported (", kStateFormatVersion, " is)"));
  }
  if (in.balance().member_id() != member_id || in.tier().member_id() != member_id) {
    return absl::InvalidArgumentError(absl::StrCat("member snapshot of \"", member_id,
                                                   "\": holds member \"",
                                                   in.balance().member_id(), "\""));
  }
  if (tiers->FindMember(member_id) != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("tiers: member \"", member_id, "\" is already here"));
  }
  // The tier is checked on a scratch projection first, so that a tier
  // refused after the balance was adopted cannot leave half a member.
  TierProjection scratch;
  absl::Status status = scratch.AdoptMember(in.tier());
  if (!status.ok()) return status;
  status = balances->AdoptMember(in.balance());
  if (!status.ok()) return status;
  status = tiers->AdoptMember(in.tier());
  if (!status.ok()) return status;  // not reached: checked on the scratch
  return MemberSnapshotPosition{in.sequence(), in.stream_version()};
}

}  // namespace loyalty::projections
