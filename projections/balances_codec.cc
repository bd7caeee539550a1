// BalanceProjection's canonical state: BalanceState in projection_state.proto.
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/balances.h"
#include "projections/restore_parts.h"

namespace loyalty::projections {
namespace {

constexpr absl::string_view kName = "balances";

// The ...ToState functions fill a message in place: the canonical state
// reuses one member's message for the next, keeping what it allocated.
void LotToState(const Lot& lot, state::Lot* out_ptr) {
  state::Lot& out = *out_ptr;
  out.set_lot_number(lot.lot_number);
  out.set_points_remaining(lot.points_remaining);
  out.set_granted_at_us(lot.granted_at_us);
  out.set_expires_at_us(lot.expires_at_us);
  out.set_reason(lot.reason);
  out.set_source_id(lot.source_id);
  out.set_grant_sequence(lot.grant_sequence);
}

Lot LotFromState(const state::Lot& in) {
  Lot lot;
  lot.lot_number = in.lot_number();
  lot.points_remaining = in.points_remaining();
  lot.granted_at_us = in.granted_at_us();
  lot.expires_at_us = in.expires_at_us();
  lot.reason = in.reason();
  lot.source_id = in.source_id();
  lot.grant_sequence = in.grant_sequence();
  return lot;
}

void PurchaseToState(const std::string& purchase_id, const PurchaseRecord& record,
                     state::Purchase* out_ptr) {
  state::Purchase& out = *out_ptr;
  out.set_purchase_id(purchase_id);
  out.set_partner_id(record.partner_id);
  out.set_occurred_at_us(record.occurred_at_us);
  out.set_amount_fen(record.amount_fen);
  out.set_points_earned(record.points_earned);
  out.set_refunded_fen(record.refunded_fen);
  out.set_clawed_back_points(record.clawed_back_points);
  out.set_lot_number(record.lot_number);
  for (const std::string& refund_id : record.refund_ids) out.add_refund_ids(refund_id);
}

PurchaseRecord PurchaseFromState(const state::Purchase& in) {
  PurchaseRecord record;
  record.partner_id = in.partner_id();
  record.occurred_at_us = in.occurred_at_us();
  record.amount_fen = in.amount_fen();
  record.points_earned = in.points_earned();
  record.refunded_fen = in.refunded_fen();
  record.clawed_back_points = in.clawed_back_points();
  record.lot_number = in.lot_number();
  record.refund_ids.insert(in.refund_ids().begin(), in.refund_ids().end());
  return record;
}

void TotalsToState(const MemberAccount& account, state::MemberBalance* out) {
  out->set_debt_points(account.debt_points);
  out->set_granted_points_total(account.granted_points_total);
  out->set_redeemed_points_total(account.redeemed_points_total);
  out->set_expired_points_total(account.expired_points_total);
  out->set_clawed_back_points_total(account.clawed_back_points_total);
  out->set_debited_points_total(account.debited_points_total);
}

void TotalsFromState(const state::MemberBalance& in, MemberAccount* account) {
  account->debt_points = in.debt_points();
  account->granted_points_total = in.granted_points_total();
  account->redeemed_points_total = in.redeemed_points_total();
  account->expired_points_total = in.expired_points_total();
  account->clawed_back_points_total = in.clawed_back_points_total();
  account->debited_points_total = in.debited_points_total();
}

void MemberToState(const std::string& member_id, const MemberAccount& account,
                   state::MemberBalance* out_ptr) {
  state::MemberBalance& out = *out_ptr;
  out.set_member_id(member_id);
  out.set_enrolled_at_us(account.enrolled_at_us);
  out.set_erased(account.erased);
  for (const Lot& lot : account.lots) LotToState(lot, out.add_lots());
  TotalsToState(account, &out);
  for (const auto* entry : SortedByKey(account.purchases)) {
    PurchaseToState(entry->first, entry->second, out.add_purchases());
  }
  for (const auto& [year, grant] : account.birthday_grants) {
    state::BirthdayGrant& out_grant = *out.add_birthday_grants();
    out_grant.set_year(year);
    out_grant.set_sequence(grant.sequence);
    out_grant.set_granted_at_us(grant.granted_at_us);
  }
  for (const std::string& id : account.redemption_ids) out.add_redemption_ids(id);
  out.set_last_activity_at_us(account.last_activity_at_us);
  out.set_next_lot_number(account.next_lot_number);
  out.set_now_us(account.now_us);
}

// True when the strings are strictly ascending (sorted, no duplicates).
template <typename Range, typename Key>
bool StrictlyAscending(const Range& range, Key key) {
  for (int i = 1; i < range.size(); ++i) {
    if (!(key(range[i - 1]) < key(range[i]))) return false;
  }
  return true;
}

absl::Status CheckMemberState(const state::MemberBalance& in, int64_t header_now_us) {
  const auto fail = [&](absl::string_view what) {
    return CorruptState(kName, absl::StrCat("member \"", in.member_id(), "\": ", what));
  };
  if (in.now_us() > header_now_us) {
    return fail(absl::StrCat("now_us ", in.now_us(), " is past the header's ", header_now_us));
  }
  for (int i = 0; i < in.lots_size(); ++i) {
    const state::Lot& lot = in.lots(i);
    if (lot.points_remaining() <= 0) return fail("a lot holds no points");
    if (lot.lot_number() == 0 || lot.lot_number() >= in.next_lot_number()) {
      return fail(absl::StrCat("lot number ", lot.lot_number(), " is out of range"));
    }
    if (i > 0 && !ConsumedBefore(LotFromState(in.lots(i - 1)), LotFromState(lot))) {
      return fail("lots are not in consumption order");
    }
    if (lot.expires_at_us() < in.now_us()) {
      return fail(absl::StrCat("lot ", lot.lot_number(), " expired before the member's now"));
    }
  }
  if (in.debt_points() < 0 || (in.debt_points() > 0 && in.lots_size() > 0)) {
    return fail("debt is negative, or held with lots");
  }
  const auto purchase_id = [](const state::Purchase& p) -> const std::string& {
    return p.purchase_id();
  };
  const auto self = [](const auto& value) -> const auto& { return value; };
  const auto year = [](const state::BirthdayGrant& grant) { return grant.year(); };
  if (!StrictlyAscending(in.purchases(), purchase_id) ||
      !StrictlyAscending(in.birthday_grants(), year) ||
      !StrictlyAscending(in.redemption_ids(), self)) {
    return fail("a collection is not sorted by key");
  }
  return absl::OkStatus();
}

MemberAccount MemberFromState(const state::MemberBalance& in) {
  MemberAccount account;
  account.enrolled_at_us = in.enrolled_at_us();
  account.erased = in.erased();
  for (const state::Lot& lot : in.lots()) account.lots.push_back(LotFromState(lot));
  TotalsFromState(in, &account);
  for (const state::Purchase& purchase : in.purchases()) {
    account.purchases.emplace(purchase.purchase_id(), PurchaseFromState(purchase));
  }
  for (const state::BirthdayGrant& grant : in.birthday_grants()) {
    account.birthday_grants.emplace(grant.year(),
                                    BirthdayGrantRecord{grant.sequence(), grant.granted_at_us()});
  }
  account.redemption_ids.insert(in.redemption_ids().begin(), in.redemption_ids().end());
  account.last_activity_at_us = in.last_activity_at_us();
  account.next_lot_number = in.next_lot_number();
  account.now_us = in.now_us();
  return account;
}

}  // namespace

bool BalanceProjection::MemberState(absl::string_view member_id,
                                    state::MemberBalance* out) const {
  auto it = members_.find(member_id);
  if (it == members_.end()) return false;
  out->Clear();
  MemberToState(it->first, it->second, out);
  return true;
}

absl::Status BalanceProjection::AdoptMember(const state::MemberBalance& member) {
  // The member's own now is the only time its state can be checked against.
  absl::Status status = CheckMemberState(member, member.now_us());
  if (!status.ok()) return status;
  if (members_.contains(member.member_id())) {
    return absl::FailedPreconditionError(
        absl::StrCat("balances: member \"", member.member_id(), "\" is already here"));
  }
  for (const state::Purchase& purchase : member.purchases()) {
    // As OnPurchase keeps it: the smallest member id holding the purchase.
    auto [owner, inserted] =
        purchase_member_.try_emplace(purchase.purchase_id(), member.member_id());
    if (!inserted && member.member_id() < owner->second) owner->second = member.member_id();
  }
  members_.emplace(member.member_id(), MemberFromState(member));
  position_.MoveTo(member.now_us());
  return absl::OkStatus();
}

void BalanceProjection::WriteCanonicalState(CanonicalSink sink) const {
  WriteMemberState<state::BalanceState, state::MemberBalance>(kName, MemberToState, sink);
}

absl::Status BalanceProjection::Restore(absl::string_view canonical_state) {
  state::BalanceState state;
  ReplayPosition position;
  Policy policy;
  absl::Status status = ParseStateWithPolicy(canonical_state, kName, &state, &position, &policy);
  if (!status.ok()) return status;
  const auto member_id = [](const state::MemberBalance& m) -> const std::string& {
    return m.member_id();
  };
  if (!StrictlyAscending(state.members(), member_id)) {
    return CorruptState(kName, "members are not sorted by id");
  }
  absl::flat_hash_map<std::string, MemberAccount> members;
  for (const state::MemberBalance& member : state.members()) {
    status = CheckMemberState(member, position.now_us());
    if (!status.ok()) return status;
    members.emplace_hint(members.end(), member.member_id(), MemberFromState(member));
  }
  absl::StatusOr<AnomalyLog> anomalies = AnomalyLog::FromState(state.anomalies(), kName);
  if (!anomalies.ok()) return anomalies.status();
  BalanceProjection restored;
  restored.position_ = position;
  restored.policy_ = std::move(policy);
  restored.members_ = std::move(members);
  restored.anomalies_ = *std::move(anomalies);
  restored.RebuildIndexes();
  *this = std::move(restored);
  return absl::OkStatus();
}

}  // namespace loyalty::projections
