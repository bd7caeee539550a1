#include "projections/partners.h"

#include "absl/strings/str_cat.h"
#include "projections/event_checks.h"
#include "projections/points_math.h"

namespace loyalty::projections {

int64_t PartnerScore::refund_rate_bp() const { return RateBp(refunded_fen, gross_sales_fen); }

absl::Status PartnerProjection::Apply(const v1::Envelope& envelope) {
  absl::Status status = position_.CheckNext(envelope);
  if (!status.ok()) return status;
  AdvanceTo(envelope.occurred_at_us());
  status = Dispatch(envelope);
  if (status.ok()) position_.Record(envelope);
  return status;
}

absl::Status PartnerProjection::Dispatch(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  if (event.has_purchase_recorded()) return OnPurchase(envelope);
  if (event.has_refund_recorded()) {
    const v1::RefundRecorded& refund = event.refund_recorded();
    absl::Status status = CheckEventAmount(envelope, refund.amount_fen());
    if (!status.ok()) return status;
    absl::StatusOr<PartnerScore*> score = ScoreOfPurchase(envelope, refund.purchase_id());
    if (!score.ok()) return score.status();
    (*score)->refunded_fen += refund.amount_fen();
    ++(*score)->refund_count;
  }
  if (event.has_points_granted() && event.points_granted().reason() == v1::GRANT_REASON_PURCHASE) {
    absl::StatusOr<PartnerScore*> score =
        ScoreOfPurchase(envelope, event.points_granted().purchase_id());
    if (!score.ok()) return score.status();
    (*score)->points_issued += event.points_granted().points();
  }
  if (event.has_points_debited() && event.points_debited().reason() == v1::DEBIT_REASON_CLAWBACK) {
    absl::StatusOr<PartnerScore*> score =
        ScoreOfPurchase(envelope, event.points_debited().purchase_id());
    if (!score.ok()) return score.status();
    (*score)->points_clawed_back += event.points_debited().points();
  }
  return absl::OkStatus();
}

absl::Status PartnerProjection::OnPurchase(const v1::Envelope& envelope) {
  const v1::PurchaseRecorded& purchase = envelope.event().purchase_recorded();
  absl::Status status = CheckEventId(envelope, "purchase_id", purchase.purchase_id());
  if (status.ok()) status = CheckEventAmount(envelope, purchase.amount_fen());
  if (!status.ok()) return status;
  if (!purchase_partner_.try_emplace(purchase.purchase_id(), purchase.partner_id()).second) {
    return EventError(
        absl::StatusCode::kFailedPrecondition, envelope,
        absl::StrCat("purchase \"", purchase.purchase_id(), "\" is already recorded"));
  }
  PartnerScore& score = partners_[purchase.partner_id()];
  score.gross_sales_fen += purchase.amount_fen();
  ++score.purchase_count;
  return absl::OkStatus();
}

absl::StatusOr<PartnerScore*> PartnerProjection::ScoreOfPurchase(const v1::Envelope& envelope,
                                                                 absl::string_view purchase_id) {
  auto it = purchase_partner_.find(purchase_id);
  if (it == purchase_partner_.end()) {
    return EventError(absl::StatusCode::kFailedPrecondition, envelope,
                      absl::StrCat("purchase \"", purchase_id, "\" is not recorded"));
  }
  return &partners_[it->second];
}

const PartnerScore* PartnerProjection::FindPartner(absl::string_view partner_id) const {
  auto it = partners_.find(partner_id);
  return it == partners_.end() ? nullptr : &it->second;
}

}  // namespace loyalty::projections
