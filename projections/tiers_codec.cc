// TierProjection's canonical state: TierState in projection_state.proto.
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/tiers.h"
#include "projections/restore_parts.h"

namespace loyalty::projections {
namespace {

constexpr absl::string_view kName = "tiers";

state::MemberTier MemberToState(const std::string& member_id, const MemberTier& member) {
  state::MemberTier out;
  out.set_member_id(member_id);
  out.set_tier(member.tier);
  out.set_protected_until_us(member.protected_until_us);
  for (const WindowPurchase& purchase : member.purchases) {
    state::WindowPurchase& p = *out.add_purchases();
    p.set_purchase_id(purchase.purchase_id);
    p.set_occurred_at_us(purchase.occurred_at_us);
    p.set_amount_fen(purchase.amount_fen);
    p.set_refunded_fen(purchase.refunded_fen);
  }
  for (const TierChange& change : member.history) {
    state::TierChange& c = *out.add_history();
    c.set_at_us(change.at_us);
    c.set_from(change.from);
    c.set_to(change.to);
    c.set_cause(static_cast<int32_t>(change.cause));
    c.set_sequence(change.sequence);
    c.set_qualifying_spend_fen(change.qualifying_spend_fen);
  }
  out.set_now_us(member.now_us);
  return out;
}

bool IsTier(int tier) { return tier >= v1::TIER_REGULAR && tier <= v1::TIER_PLATINUM; }

bool IsCause(int32_t cause) {
  return cause == static_cast<int32_t>(TierChangeCause::kUpgrade) ||
         cause == static_cast<int32_t>(TierChangeCause::kReevaluation);
}

absl::StatusOr<MemberTier> MemberFromState(const state::MemberTier& in, int64_t header_now_us) {
  const auto fail = [&](absl::string_view what) {
    return CorruptState(kName, absl::StrCat("member \"", in.member_id(), "\": ", what));
  };
  if (!IsTier(in.tier())) return fail(absl::StrCat("tier ", in.tier()));
  if ((in.tier() == v1::TIER_REGULAR) != (in.protected_until_us() == 0)) {
    return fail("protection must be held exactly above Regular");
  }
  if (in.now_us() > header_now_us) {
    return fail(absl::StrCat("now_us ", in.now_us(), " is past the header's ", header_now_us));
  }
  if (in.protected_until_us() != 0 && in.protected_until_us() < in.now_us()) {
    return fail("a protection ended before the member's now without a re-evaluation");
  }
  MemberTier member;
  member.tier = in.tier();
  member.protected_until_us = in.protected_until_us();
  member.now_us = in.now_us();
  for (const state::WindowPurchase& p : in.purchases()) {
    member.purchases.push_back(
        {p.purchase_id(), p.occurred_at_us(), p.amount_fen(), p.refunded_fen()});
  }
  for (const state::TierChange& c : in.history()) {
    if (!IsTier(c.from()) || !IsTier(c.to()) || !IsCause(c.cause())) {
      return fail("a tier change names an unknown tier or cause");
    }
    member.history.push_back({c.at_us(), c.from(), c.to(), static_cast<TierChangeCause>(c.cause()),
                              c.sequence(), c.qualifying_spend_fen()});
  }
  return member;
}

}  // namespace

bool TierProjection::MemberState(absl::string_view member_id, state::MemberTier* out) const {
  auto it = members_.find(member_id);
  if (it == members_.end()) return false;
  *out = MemberToState(it->first, it->second);
  return true;
}

absl::Status TierProjection::AdoptMember(const state::MemberTier& member) {
  // The member's own now is the only time its state can be checked against.
  absl::StatusOr<MemberTier> adopted = MemberFromState(member, member.now_us());
  if (!adopted.ok()) return adopted.status();
  if (!members_.try_emplace(member.member_id(), *std::move(adopted)).second) {
    return absl::FailedPreconditionError(
        absl::StrCat("tiers: member \"", member.member_id(), "\" is already here"));
  }
  position_.MoveTo(member.now_us());
  return absl::OkStatus();
}

void TierProjection::WriteCanonicalState(CanonicalSink sink) const {
  WriteMemberState<state::TierState, state::MemberTier>(
      kName,
      [](const std::string& member_id, const MemberTier& member, state::MemberTier* out) {
        *out = MemberToState(member_id, member);
      },
      sink);
}

absl::Status TierProjection::Restore(absl::string_view canonical_state) {
  state::TierState state;
  ReplayPosition position;
  Policy policy;
  absl::Status status = ParseStateWithPolicy(canonical_state, kName, &state, &position, &policy);
  if (!status.ok()) return status;
  absl::flat_hash_map<std::string, MemberTier> members;
  for (int i = 0; i < state.members_size(); ++i) {
    const state::MemberTier& in = state.members(i);
    if (i > 0 && !(state.members(i - 1).member_id() < in.member_id())) {
      return CorruptState(kName, "members are not sorted by id");
    }
    absl::StatusOr<MemberTier> member = MemberFromState(in, position.now_us());
    if (!member.ok()) return member.status();
    members.emplace_hint(members.end(), in.member_id(), *std::move(member));
  }
  absl::StatusOr<AnomalyLog> anomalies = AnomalyLog::FromState(state.anomalies(), kName);
  if (!anomalies.ok()) return anomalies.status();
  position_ = position;
  policy_ = std::move(policy);
  members_ = std::move(members);
  anomalies_ = *std::move(anomalies);
  return absl::OkStatus();
}

}  // namespace loyalty::projections
