#include "projections/balances.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "loyalty/limits.h"
#include "projections/event_checks.h"
#include "projections/home_stream.h"
#include "projections/local_time.h"
#include "projections/member_time.h"
#include "projections/points_math.h"
#include "projections/policy_projection.h"

namespace loyalty::projections {
namespace {

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

// The purchase a refund, a PURCHASE grant or a CLAWBACK debit names, which
// must be the member's own; nullptr (recorded) otherwise.
PurchaseRecord* PurchaseFor(const v1::Envelope& envelope, MemberAccount* account,
                            absl::string_view member_id, absl::string_view purchase_id,
                            AnomalyLog* anomalies) {
  if (!CheckEventId(envelope, "purchase_id", purchase_id, anomalies)) return nullptr;
  auto it = account->purchases.find(purchase_id);
  if (it == account->purchases.end()) {
    anomalies->Record(envelope, anomaly_rule::kUnknownPurchase,
                      absl::StrCat("member ", QuotedForAnomaly(member_id), " has no purchase ",
                                   QuotedForAnomaly(purchase_id), "; the event is not applied"));
    return nullptr;
  }
  return &it->second;
}

// Reason-specific checks of a grant, before anything changes.
bool GrantLinkAllowed(const v1::Envelope& envelope, MemberAccount* account,
                      AnomalyLog* anomalies) {
  const v1::PointsGranted& grant = envelope.event().points_granted();
  if (grant.reason() == v1::GRANT_REASON_UNSPECIFIED || !v1::GrantReason_IsValid(grant.reason())) {
    anomalies->Record(envelope, anomaly_rule::kUnknownReason,
                      absl::StrCat("grant reason ", grant.reason(),
                                   " is not a known reason; the grant is not applied"));
    return false;
  }
  if (grant.reason() == v1::GRANT_REASON_PURCHASE) {
    const PurchaseRecord* purchase =
        PurchaseFor(envelope, account, grant.member_id(), grant.purchase_id(), anomalies);
    if (purchase == nullptr) return false;
    if (purchase->points_earned != 0) {
      anomalies->Record(envelope, anomaly_rule::kDuplicateGrant,
                        absl::StrCat("purchase ", QuotedForAnomaly(grant.purchase_id()),
                                     " already earned ", purchase->points_earned,
                                     " points; the grant is not applied"));
      return false;
    }
  }
  if (grant.reason() == v1::GRANT_REASON_BIRTHDAY) {
    if (grant.birthday_year() <= 0) {
      anomalies->Record(envelope, anomaly_rule::kBirthdayYearOutOfRange,
                        absl::StrCat("birthday_year ", grant.birthday_year(),
                                     " is not a year; the grant is not applied"));
      return false;
    }
    if (account->birthday_grants.contains(grant.birthday_year())) {
      anomalies->Record(envelope, anomaly_rule::kDuplicateGrant,
                        absl::StrCat("member ", QuotedForAnomaly(grant.member_id()),
                                     " already had the birthday bonus of ", grant.birthday_year(),
                                     "; the grant is not applied"));
      return false;
    }
  }
  return true;
}

// Whether adding `points` to a lifetime total now at `total` stays within
// kMaxPointsTotal; records why not otherwise.
bool TotalAllows(const v1::Envelope& envelope, absl::string_view member_id, absl::string_view what,
                 int64_t total, int64_t points, AnomalyLog* anomalies) {
  if (points <= kMaxPointsTotal - total) return true;
  anomalies->Record(envelope, anomaly_rule::kPointsTotalOutOfRange,
                    absl::StrCat(points, " points would take member ", QuotedForAnomaly(member_id),
                                 "'s lifetime ", what, " of ", total, " past ", kMaxPointsTotal,
                                 "; the event is not applied"));
  return false;
}

}  // namespace

absl::Status BalanceProjection::Apply(const v1::Envelope& envelope) {
  return ApplyOnMemberTime(
      envelope, [&](MemberAccount& account) { account.AdvanceTo(envelope.occurred_at_us()); },
      [&] { Dispatch(envelope); });
}

void BalanceProjection::Prefetch(const v1::Envelope& envelope, PrefetchStep step) const {
  const v1::Event& event = envelope.event();
  const absl::string_view member_id = TimeOwningMemberId(envelope);
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

// Every member, not only those with lots due: each member's now is state.
void BalanceProjection::AdvanceTo(int64_t instant_us) {
  position_.MoveTo(instant_us);
  for (auto& [member_id, account] : members_) account.AdvanceTo(instant_us);
}

void BalanceProjection::Dispatch(const v1::Envelope& envelope) {
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
      ApplyPolicyEvent(envelope, &policy_, &anomalies_);
      return;
    case v1::Event::kComplaintFiled:
      // Only on its own stream: elsewhere no projection applies it.
      if (RecordIfMisplaced(envelope, nullptr)) return;
      return CheckNamedMember(envelope, "complaint", event.complaint_filed().complaint_id(),
                              event.complaint_filed().member_id());
    case v1::Event::kSurveyAnswered:
      return CheckNamedMember(envelope, "survey", event.survey_answered().survey_id(),
                              event.survey_answered().member_id());
    default:
      return;
  }
}

void BalanceProjection::CheckNamedMember(const v1::Envelope& envelope, absl::string_view what,
                                         absl::string_view id, absl::string_view member_id) {
  // No member id at all is the complaint's or the survey's own anomaly.
  if (member_id.empty() || members_.contains(member_id)) return;
  anomalies_.Record(envelope, anomaly_rule::kMemberNotEnrolled,
                    absl::StrCat(what, " ", QuotedForAnomaly(id), " names member ",
                                 QuotedForAnomaly(member_id), ", who is not enrolled; the ", what,
                                 " counts for no member"));
}

void BalanceProjection::OnEnrolled(const v1::Envelope& envelope) {
  MemberAccount* account = Enrol(envelope);
  if (account == nullptr) return;
  account->enrolled_at_us = envelope.occurred_at_us();
  account->now_us = envelope.occurred_at_us();
}

void BalanceProjection::OnErased(const v1::Envelope& envelope) {
  MemberAccount* account = MemberFor(envelope, envelope.event().member_erased().member_id());
  if (account != nullptr) account->erased = true;
}

void BalanceProjection::OnPurchase(const v1::Envelope& envelope) {
  const v1::PurchaseRecorded& purchase = envelope.event().purchase_recorded();
  MemberAccount* account = MemberFor(envelope, purchase.member_id());
  if (account == nullptr ||
      !CheckEventId(envelope, "purchase_id", purchase.purchase_id(), &anomalies_) ||
      !CheckEventAmount(envelope, purchase.amount_fen(), &anomalies_)) {
    return;
  }
  if (account->purchases.contains(purchase.purchase_id())) {
    anomalies_.Record(envelope, anomaly_rule::kDuplicatePurchase,
                      absl::StrCat("purchase ", QuotedForAnomaly(purchase.purchase_id()),
                                   " is already recorded for member ",
                                   QuotedForAnomaly(purchase.member_id()),
                                   "; the event is not applied"));
    return;
  }
  // One probe both checks and records.
  auto [owner, inserted] =
      purchase_member_.try_emplace(purchase.purchase_id(), purchase.member_id());
  if (!inserted) {
    // Recorded for this member all the same: the member's own stream must
    // give the member's state, and it cannot see the other member's.
    anomalies_.Record(envelope, anomaly_rule::kDuplicatePurchase,
                      absl::StrCat("purchase ", QuotedForAnomaly(purchase.purchase_id()),
                                   " is already recorded for member ",
                                   QuotedForAnomaly(owner->second), "; recorded for member ",
                                   QuotedForAnomaly(purchase.member_id()), " too"));
    // The index names the smallest member id, whatever the order the members
    // came in, so that a restored projection names the same one.
    if (purchase.member_id() < owner->second) owner->second = purchase.member_id();
  }
  PurchaseRecord& record = account->purchases[purchase.purchase_id()];
  record.partner_id = purchase.partner_id();
  record.occurred_at_us = envelope.occurred_at_us();
  record.amount_fen = purchase.amount_fen();
  OnActivity(purchase.member_id(), envelope.occurred_at_us());
}

void BalanceProjection::OnRefund(const v1::Envelope& envelope) {
  const v1::RefundRecorded& refund = envelope.event().refund_recorded();
  MemberAccount* account = MemberFor(envelope, refund.member_id());
  if (account == nullptr ||
      !CheckEventId(envelope, "refund_id", refund.refund_id(), &anomalies_) ||
      !CheckEventAmount(envelope, refund.amount_fen(), &anomalies_)) {
    return;
  }
  PurchaseRecord* record =
      PurchaseFor(envelope, account, refund.member_id(), refund.purchase_id(), &anomalies_);
  if (record == nullptr) return;
  if (record->refund_ids.contains(refund.refund_id())) {
    anomalies_.Record(envelope, anomaly_rule::kDuplicateRefund,
                      absl::StrCat("refund ", QuotedForAnomaly(refund.refund_id()),
                                   " of purchase ", QuotedForAnomaly(refund.purchase_id()),
                                   " is already recorded; the event is not applied"));
    return;
  }
  int64_t refunded_fen = refund.amount_fen();
  if (refunded_fen > record->refundable_fen()) {
    refunded_fen = record->refundable_fen();
    anomalies_.Record(
        envelope, anomaly_rule::kRefundExceedsPurchase,
        absl::StrCat("refund of ", refund.amount_fen(), " fen exceeds the ", refunded_fen,
                     " fen left of purchase ", QuotedForAnomaly(refund.purchase_id()), "; ",
                     refunded_fen, " fen refunded, ", refund.amount_fen() - refunded_fen,
                     " fen dropped"));
  }
  record->refunded_fen += refunded_fen;
  record->refund_ids.insert(refund.refund_id());
}

void BalanceProjection::OnGranted(const v1::Envelope& envelope) {
  const v1::PointsGranted& grant = envelope.event().points_granted();
  MemberAccount* account = MemberFor(envelope, grant.member_id());
  if (account == nullptr || !CheckEventPoints(envelope, grant.points(), &anomalies_) ||
      !GrantLinkAllowed(envelope, account, &anomalies_) ||
      !TotalAllows(envelope, grant.member_id(), "grants", account->granted_points_total,
                   grant.points(), &anomalies_)) {
    return;
  }
  Lot lot;
  lot.points_remaining = grant.points();
  lot.granted_at_us = envelope.occurred_at_us();
  lot.expires_at_us = EndOfLocalYearUs(LocalDayOf(envelope.occurred_at_us()).year() +
                                       policy_.years_after_grant_year());
  lot.reason = grant.reason();
  lot.source_id = GrantSourceId(grant);
  lot.grant_sequence = envelope.sequence();
  const uint64_t lot_number = account->Grant(std::move(lot));
  // A backdated grant may be past its expiry at the member's now already.
  account->ExpireBefore(account->now_us);
  if (grant.reason() == v1::GRANT_REASON_PURCHASE) {
    PurchaseRecord& record = account->purchases.find(grant.purchase_id())->second;
    record.points_earned = grant.points();
    record.lot_number = lot_number;
  }
  if (grant.reason() == v1::GRANT_REASON_BIRTHDAY) {
    account->birthday_grants.emplace(
        grant.birthday_year(), BirthdayGrantRecord{envelope.sequence(), envelope.occurred_at_us()});
  }
}

void BalanceProjection::OnRedeemed(const v1::Envelope& envelope) {
  const v1::PointsRedeemed& redemption = envelope.event().points_redeemed();
  MemberAccount* account = MemberFor(envelope, redemption.member_id());
  if (account == nullptr || !CheckEventPoints(envelope, redemption.points(), &anomalies_) ||
      !CheckEventId(envelope, "redemption_id", redemption.redemption_id(), &anomalies_)) {
    return;
  }
  if (account->redemption_ids.contains(redemption.redemption_id())) {
    anomalies_.Record(envelope, anomaly_rule::kDuplicateRedemption,
                      absl::StrCat("redemption ", QuotedForAnomaly(redemption.redemption_id()),
                                   " is already recorded; the event is not applied"));
    return;
  }
  // A redemption never makes debt: it takes what is available, the rest is
  // dropped.
  const int64_t available = std::max<int64_t>(account->balance_points(), 0);
  const int64_t redeemed = std::min(redemption.points(), available);
  if (redeemed < redemption.points()) {
    anomalies_.Record(envelope, anomaly_rule::kRedemptionExceedsBalance,
                      absl::StrCat("redeems ", redemption.points(), " points but member ",
                                   QuotedForAnomaly(redemption.member_id()), " has ", available,
                                   " available; ", redeemed, " redeemed, ",
                                   redemption.points() - redeemed, " dropped"));
  }
  if (redeemed > 0) account->Redeem(redeemed);
  account->redemption_ids.insert(redemption.redemption_id());
  OnActivity(redemption.member_id(), envelope.occurred_at_us());
}

void BalanceProjection::OnDebited(const v1::Envelope& envelope) {
  const v1::PointsDebited& debit = envelope.event().points_debited();
  MemberAccount* account = MemberFor(envelope, debit.member_id());
  if (account == nullptr || !CheckEventPoints(envelope, debit.points(), &anomalies_)) return;
  const int64_t debited_total = account->clawed_back_points_total + account->debited_points_total;
  if (debit.reason() == v1::DEBIT_REASON_ADJUSTMENT) {
    if (!TotalAllows(envelope, debit.member_id(), "debits", debited_total, debit.points(),
                     &anomalies_)) {
      return;
    }
    account->Debit(debit.points(), 0, /*clawback=*/false);
    return;
  }
  if (debit.reason() != v1::DEBIT_REASON_CLAWBACK) {
    anomalies_.Record(envelope, anomaly_rule::kUnknownReason,
                      absl::StrCat("debit reason ", debit.reason(),
                                   " is not a known reason; the debit is not applied"));
    return;
  }
  PurchaseRecord* purchase =
      PurchaseFor(envelope, account, debit.member_id(), debit.purchase_id(), &anomalies_);
  if (purchase == nullptr) return;
  // Never more than the purchase earned: the rest is dropped.
  const int64_t claimable = std::max<int64_t>(
      purchase->points_earned - purchase->clawed_back_points, 0);
  const int64_t clawed = std::min(debit.points(), claimable);
  if (clawed > 0 && !TotalAllows(envelope, debit.member_id(), "debits", debited_total, clawed,
                                 &anomalies_)) {
    return;
  }
  if (clawed < debit.points()) {
    anomalies_.Record(envelope, anomaly_rule::kClawbackExceedsEarned,
                      absl::StrCat("claws back ", debit.points(), " points but purchase ",
                                   QuotedForAnomaly(debit.purchase_id()), " has ", claimable,
                                   " of its ", purchase->points_earned,
                                   " earned points left to claw back; ", clawed,
                                   " clawed back, ", debit.points() - clawed, " dropped"));
  }
  if (clawed == 0) return;
  purchase->clawed_back_points += clawed;
  account->Debit(clawed, purchase->lot_number, /*clawback=*/true);
}

void BalanceProjection::OnActivity(absl::string_view member_id, int64_t occurred_at_us) {
  MemberAccount* account = own_member_;
  if (account == nullptr || member_id != own_member_id_) {
    auto it = members_.find(member_id);
    if (it == members_.end()) return;
    account = &it->second;
  }
  account->last_activity_at_us = std::max(account->last_activity_at_us, occurred_at_us);
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
  return OutstandingPointsAt(std::numeric_limits<int64_t>::min());
}

int64_t BalanceProjection::OutstandingPointsAt(int64_t instant_us) const {
  int64_t sum = 0;
  for (const auto& [id, account] : members_) {
    sum = SaturatingAdd(sum, account.LotPointsAt(instant_us));
  }
  return sum;
}

int64_t BalanceProjection::DebtPoints() const {
  int64_t sum = 0;
  for (const auto& [id, account] : members_) sum = SaturatingAdd(sum, account.debt_points);
  return sum;
}

void BalanceProjection::RebuildIndexes() {
  purchase_member_.clear();
  for (const auto& [member_id, account] : members_) {
    for (const auto& [purchase_id, record] : account.purchases) {
      auto [owner, inserted] = purchase_member_.try_emplace(purchase_id, member_id);
      if (!inserted && member_id < owner->second) owner->second = member_id;
    }
  }
}

}  // namespace loyalty::projections
