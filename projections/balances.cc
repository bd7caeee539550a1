#include "projections/balances.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/event_checks.h"
#include "projections/local_time.h"
#include "projections/member_time.h"
#include "projections/policy_projection.h"

namespace loyalty::projections {
namespace {

absl::Status Conflict(const v1::Envelope& envelope, absl::string_view what) {
  return EventError(absl::StatusCode::kFailedPrecondition, envelope, what);
}

std::string GrantSourceId(const v1::PointsGranted& grant) {
  switch (grant.reason()) {
    case v1::GRANT_REASON_PURCHASE:
      return grant.purchase_id();
    case v1::GRANT_REASON_BIRTHDAY:
      return absl::StrCat(grant.birthday_year());
    case v1::GRANT_REASON_CAMPAIGN:
      return grant.campaign_id();
    case v1::GRANT_REASON_GOODWILL:
      return grant.complaint_id();
    default:
      return "";
  }
}

// The purchase a PURCHASE grant or a CLAWBACK debit names, which must be the
// member's own.
absl::StatusOr<PurchaseRecord*> PurchaseFor(const v1::Envelope& envelope, MemberAccount* account,
                                            absl::string_view member_id,
                                            absl::string_view purchase_id) {
  absl::Status status = CheckEventId(envelope, "purchase_id", purchase_id);
  if (!status.ok()) return status;
  auto it = account->purchases.find(purchase_id);
  if (it == account->purchases.end()) {
    return Conflict(
        envelope, absl::StrCat("member \"", member_id, "\" has no purchase \"", purchase_id, "\""));
  }
  return &it->second;
}

// Reason-specific checks of a grant, before anything changes.
absl::Status CheckGrantLink(const v1::Envelope& envelope, MemberAccount* account) {
  const v1::PointsGranted& grant = envelope.event().points_granted();
  if (grant.reason() == v1::GRANT_REASON_UNSPECIFIED || !v1::GrantReason_IsValid(grant.reason())) {
    return EventError(absl::StatusCode::kDataLoss, envelope,
                      absl::StrCat("grant reason ", grant.reason(), " is not a known reason"));
  }
  if (grant.reason() == v1::GRANT_REASON_PURCHASE) {
    auto purchase = PurchaseFor(envelope, account, grant.member_id(), grant.purchase_id());
    if (!purchase.ok()) return purchase.status();
    if ((*purchase)->points_earned != 0) {
      return Conflict(envelope,
                      absl::StrCat("purchase \"", grant.purchase_id(), "\" already earned ",
                                   (*purchase)->points_earned, " points"));
    }
  }
  if (grant.reason() == v1::GRANT_REASON_BIRTHDAY) {
    if (grant.birthday_year() <= 0) {
      return EventError(absl::StatusCode::kDataLoss, envelope,
                        absl::StrCat("birthday_year ", grant.birthday_year(), " is not a year"));
    }
    if (account->birthday_grants.contains(grant.birthday_year())) {
      return Conflict(envelope,
                      absl::StrCat("member \"", grant.member_id(),
                                   "\" already had the birthday bonus of ", grant.birthday_year()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BalanceProjection::Apply(const v1::Envelope& envelope) {
  absl::Status status = position_.CheckNext(envelope);
  if (!status.ok()) return status;
  position_.MoveTo(envelope.occurred_at_us());
  AdvanceOwnMember(envelope);
  status = Dispatch(envelope);
  own_account_ = nullptr;
  own_member_id_ = {};
  if (status.ok()) position_.Record(envelope);
  return status;
}

void BalanceProjection::Prefetch(const v1::Envelope& envelope, PrefetchStep step) const {
  const v1::Event& event = envelope.event();
  const absl::string_view member_id = TimeOwningMemberId(event);
  if (step == PrefetchStep::kEntries) {
    if (!member_id.empty()) members_.prefetch(member_id);
    if (event.has_purchase_recorded()) {
      purchase_member_.prefetch(event.purchase_recorded().purchase_id());
    }
    return;
  }
  if (member_id.empty()) return;
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  const MemberAccount& account = it->second;
  // Every event of the member's stream expires its lots first.
  if (!account.lots.empty()) __builtin_prefetch(account.lots.data());
  absl::string_view purchase_id;
  if (event.has_purchase_recorded()) purchase_id = event.purchase_recorded().purchase_id();
  if (event.has_points_granted()) purchase_id = event.points_granted().purchase_id();
  if (event.has_refund_recorded()) purchase_id = event.refund_recorded().purchase_id();
  if (!purchase_id.empty()) account.purchases.prefetch(purchase_id);
}

void BalanceProjection::AdvanceOwnMember(const v1::Envelope& envelope) {
  const absl::string_view member_id = TimeOwningMemberId(envelope.event());
  if (member_id.empty()) return;
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  it->second.AdvanceTo(envelope.occurred_at_us());
  own_account_ = &it->second;
  own_member_id_ = member_id;
}

// Every member, not only those with lots due: each member's now is state.
void BalanceProjection::AdvanceTo(int64_t instant_us) {
  position_.MoveTo(instant_us);
  for (auto& [member_id, account] : members_) account.AdvanceTo(instant_us);
}

absl::Status BalanceProjection::Dispatch(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  switch (event.kind_case()) {
    case v1::Event::kMemberEnrolled:
      return OnEnrolled(envelope);
    case v1::Event::kMemberErased:
      return OnErased(envelope);
    case v1::Event::kPurchaseRecorded:
      return OnPurchase(envelope);
    case v1::Event::kRefundRecorded:
      return OnRefund(envelope);
    case v1::Event::kPointsGranted:
      return OnGranted(envelope);
    case v1::Event::kPointsRedeemed:
      return OnRedeemed(envelope);
    case v1::Event::kPointsDebited:
      return OnDebited(envelope);
    case v1::Event::kPolicySet:
      return ApplyPolicyEvent(envelope, &policy_);
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<MemberAccount*> BalanceProjection::AccountFor(const v1::Envelope& envelope,
                                                             absl::string_view member_id) {
  absl::Status status = CheckEventId(envelope, "member_id", member_id);
  if (!status.ok()) return status;
  if (own_account_ != nullptr && member_id == own_member_id_) return own_account_;
  auto it = members_.find(member_id);
  if (it == members_.end()) {
    return Conflict(envelope, absl::StrCat("member \"", member_id, "\" is not enrolled"));
  }
  return &it->second;
}

absl::Status BalanceProjection::OnEnrolled(const v1::Envelope& envelope) {
  const std::string& member_id = envelope.event().member_enrolled().member_id();
  absl::Status status = CheckEventId(envelope, "member_id", member_id);
  if (!status.ok()) return status;
  if (members_.contains(member_id)) {
    return Conflict(envelope, absl::StrCat("member \"", member_id, "\" is already enrolled"));
  }
  MemberAccount& account = members_[member_id];
  account.enrolled_at_us = envelope.occurred_at_us();
  account.now_us = envelope.occurred_at_us();
  return absl::OkStatus();
}

absl::Status BalanceProjection::OnErased(const v1::Envelope& envelope) {
  auto account = AccountFor(envelope, envelope.event().member_erased().member_id());
  if (!account.ok()) return account.status();
  (*account)->erased = true;
  return absl::OkStatus();
}

absl::Status BalanceProjection::OnPurchase(const v1::Envelope& envelope) {
  const v1::PurchaseRecorded& purchase = envelope.event().purchase_recorded();
  auto account = AccountFor(envelope, purchase.member_id());
  if (!account.ok()) return account.status();
  absl::Status status = CheckEventId(envelope, "purchase_id", purchase.purchase_id());
  if (status.ok()) status = CheckEventAmount(envelope, purchase.amount_fen());
  if (!status.ok()) return status;
  // One probe both checks and records: every check above has passed.
  if (!purchase_member_.try_emplace(purchase.purchase_id(), purchase.member_id()).second) {
    return Conflict(envelope,
                    absl::StrCat("purchase \"", purchase.purchase_id(), "\" is already recorded"));
  }
  PurchaseRecord& record = (*account)->purchases[purchase.purchase_id()];
  record.partner_id = purchase.partner_id();
  record.occurred_at_us = envelope.occurred_at_us();
  record.amount_fen = purchase.amount_fen();
  OnActivity(purchase.member_id(), envelope.occurred_at_us());
  return absl::OkStatus();
}

absl::Status BalanceProjection::OnRefund(const v1::Envelope& envelope) {
  const v1::RefundRecorded& refund = envelope.event().refund_recorded();
  auto account = AccountFor(envelope, refund.member_id());
  if (!account.ok()) return account.status();
  auto purchase = PurchaseFor(envelope, *account, refund.member_id(), refund.purchase_id());
  if (!purchase.ok()) return purchase.status();
  absl::Status status = CheckEventId(envelope, "refund_id", refund.refund_id());
  if (status.ok()) status = CheckEventAmount(envelope, refund.amount_fen());
  if (!status.ok()) return status;
  PurchaseRecord& record = **purchase;
  if (record.refund_ids.contains(refund.refund_id())) {
    return Conflict(envelope,
                    absl::StrCat("refund \"", refund.refund_id(), "\" is already recorded"));
  }
  if (refund.amount_fen() > record.refundable_fen()) {
    return Conflict(envelope, absl::StrCat("refund of ", refund.amount_fen(), " fen exceeds the ",
                                           record.refundable_fen(), " fen left of purchase \"",
                                           refund.purchase_id(), "\""));
  }
  record.refunded_fen += refund.amount_fen();
  record.refund_ids.insert(refund.refund_id());
  return absl::OkStatus();
}

absl::Status BalanceProjection::OnGranted(const v1::Envelope& envelope) {
  const v1::PointsGranted& grant = envelope.event().points_granted();
  auto account = AccountFor(envelope, grant.member_id());
  if (!account.ok()) return account.status();
  absl::Status status = CheckEventPoints(envelope, grant.points());
  if (status.ok()) status = CheckGrantLink(envelope, *account);
  if (!status.ok()) return status;
  Lot lot;
  lot.points_remaining = grant.points();
  lot.granted_at_us = envelope.occurred_at_us();
  lot.expires_at_us = EndOfLocalYearUs(LocalDayOf(envelope.occurred_at_us()).year() +
                                       policy_.years_after_grant_year());
  lot.reason = grant.reason();
  lot.source_id = GrantSourceId(grant);
  lot.grant_sequence = envelope.sequence();
  const uint64_t lot_number = (*account)->Grant(std::move(lot));
  // A backdated grant may be past its expiry at the member's now already.
  (*account)->ExpireBefore((*account)->now_us);
  if (grant.reason() == v1::GRANT_REASON_PURCHASE) {
    PurchaseRecord& record = (*account)->purchases.find(grant.purchase_id())->second;
    record.points_earned = grant.points();
    record.lot_number = lot_number;
  }
  if (grant.reason() == v1::GRANT_REASON_BIRTHDAY) {
    (*account)->birthday_grants.emplace(
        grant.birthday_year(), BirthdayGrantRecord{envelope.sequence(), envelope.occurred_at_us()});
  }
  return absl::OkStatus();
}

absl::Status BalanceProjection::OnRedeemed(const v1::Envelope& envelope) {
  const v1::PointsRedeemed& redemption = envelope.event().points_redeemed();
  auto account = AccountFor(envelope, redemption.member_id());
  if (!account.ok()) return account.status();
  absl::Status status = CheckEventPoints(envelope, redemption.points());
  if (status.ok()) status = CheckEventId(envelope, "redemption_id", redemption.redemption_id());
  if (!status.ok()) return status;
  MemberAccount& member = **account;
  if (member.redemption_ids.contains(redemption.redemption_id())) {
    return Conflict(envelope, absl::StrCat("redemption \"", redemption.redemption_id(),
                                           "\" is already recorded"));
  }
  if (redemption.points() > member.balance_points()) {
    return Conflict(envelope, absl::StrCat("redeems ", redemption.points(), " points but member \"",
                                           redemption.member_id(), "\" has ",
                                           member.balance_points(), " available"));
  }
  member.Redeem(redemption.points());
  member.redemption_ids.insert(redemption.redemption_id());
  OnActivity(redemption.member_id(), envelope.occurred_at_us());
  return absl::OkStatus();
}

absl::Status BalanceProjection::OnDebited(const v1::Envelope& envelope) {
  const v1::PointsDebited& debit = envelope.event().points_debited();
  auto account = AccountFor(envelope, debit.member_id());
  if (!account.ok()) return account.status();
  absl::Status status = CheckEventPoints(envelope, debit.points());
  if (!status.ok()) return status;
  if (debit.reason() == v1::DEBIT_REASON_ADJUSTMENT) {
    (*account)->Debit(debit.points(), 0, /*clawback=*/false);
    return absl::OkStatus();
  }
  if (debit.reason() != v1::DEBIT_REASON_CLAWBACK) {
    return EventError(absl::StatusCode::kDataLoss, envelope,
                      absl::StrCat("debit reason ", debit.reason(), " is not a known reason"));
  }
  auto purchase = PurchaseFor(envelope, *account, debit.member_id(), debit.purchase_id());
  if (!purchase.ok()) return purchase.status();
  (*purchase)->clawed_back_points += debit.points();
  (*account)->Debit(debit.points(), (*purchase)->lot_number, /*clawback=*/true);
  return absl::OkStatus();
}

void BalanceProjection::OnActivity(absl::string_view member_id, int64_t occurred_at_us) {
  MemberAccount* account = own_account_;
  if (account == nullptr || member_id != own_member_id_) {
    auto it = members_.find(member_id);
    if (it == members_.end()) return;
    account = &it->second;
  }
  account->last_activity_at_us = std::max(account->last_activity_at_us, occurred_at_us);
}

const MemberAccount* BalanceProjection::FindMember(absl::string_view member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

absl::StatusOr<int64_t> BalanceProjection::BalancePointsAt(absl::string_view member_id,
                                                           int64_t instant_us) const {
  const MemberAccount* account = FindMember(member_id);
  if (account == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id \"", member_id, "\" is not enrolled"));
  }
  return account->BalancePointsAt(std::max(instant_us, account->now_us));
}

const std::string* BalanceProjection::FindPurchaseMember(absl::string_view purchase_id) const {
  auto it = purchase_member_.find(purchase_id);
  return it == purchase_member_.end() ? nullptr : &it->second;
}

int64_t BalanceProjection::OutstandingPoints() const {
  int64_t sum = 0;
  for (const auto& [id, account] : members_) sum += account.lot_points();
  return sum;
}

int64_t BalanceProjection::DebtPoints() const {
  int64_t sum = 0;
  for (const auto& [id, account] : members_) sum += account.debt_points;
  return sum;
}

bool BalanceProjection::RebuildIndexes() {
  purchase_member_.clear();
  bool unique = true;
  for (const auto& [member_id, account] : members_) {
    for (const auto& [purchase_id, record] : account.purchases) {
      unique = purchase_member_.try_emplace(purchase_id, member_id).second && unique;
    }
  }
  return unique;
}

}  // namespace loyalty::projections
