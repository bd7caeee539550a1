#include "projections/partners.h"

#include "absl/strings/str_cat.h"
#include "projections/event_checks.h"
#include "projections/points_math.h"

namespace loyalty::projections {

int64_t PartnerScore::refund_rate_bp() const { return RateBp(refunded_fen, gross_sales_fen); }

std::optional<int64_t> PartnerScore::average_satisfaction_centi() const {
  if (satisfaction_score_count <= 0) return std::nullopt;
  return satisfaction_score_sum * 100 / satisfaction_score_count;
}

namespace {

// DataLoss unless 0 <= score <= 5 (0: not given).
absl::Status CheckScore(const v1::Envelope& envelope, int32_t score) {
  if (score >= 0 && score <= 5) return absl::OkStatus();
  return EventError(absl::StatusCode::kDataLoss, envelope,
                    absl::StrCat("satisfaction score ", score, " is not in [0, 5]"));
}

}  // namespace

absl::Status PartnerProjection::Apply(const v1::Envelope& envelope) {
  absl::Status status = position_.CheckNext(envelope);
  if (!status.ok()) return status;
  AdvanceTo(envelope.occurred_at_us());
  status = Dispatch(envelope);
  if (status.ok()) position_.Record(envelope);
  return status;
}

void PartnerProjection::Prefetch(const v1::Envelope& envelope, PrefetchStep step) const {
  // A partner's scorecard is one of a few hundred: in the cache already.
  if (step != PrefetchStep::kEntries) return;
  const v1::Event& event = envelope.event();
  if (event.has_purchase_recorded()) {
    purchase_partner_.prefetch(event.purchase_recorded().purchase_id());
  } else if (event.has_refund_recorded()) {
    purchase_partner_.prefetch(event.refund_recorded().purchase_id());
  }
}

absl::Status PartnerProjection::Dispatch(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  if (event.has_purchase_recorded()) return OnPurchase(envelope);
  if (event.has_complaint_filed()) return OnComplaintFiled(envelope);
  if (event.has_customer_confirmed()) return OnConfirmed(envelope);
  if (event.has_survey_answered()) return OnSurvey(envelope);
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

absl::Status PartnerProjection::OnComplaintFiled(const v1::Envelope& envelope) {
  const v1::ComplaintFiled& filed = envelope.event().complaint_filed();
  absl::Status status = CheckEventId(envelope, "complaint_id", filed.complaint_id());
  if (!status.ok()) return status;
  if (!complaint_partner_.try_emplace(filed.complaint_id(), filed.partner_id()).second) {
    return EventError(absl::StatusCode::kFailedPrecondition, envelope,
                      absl::StrCat("complaint \"", filed.complaint_id(), "\" is already filed"));
  }
  if (!filed.partner_id().empty()) ++partners_[filed.partner_id()].complaint_count;
  return absl::OkStatus();
}

absl::Status PartnerProjection::OnConfirmed(const v1::Envelope& envelope) {
  const v1::CustomerConfirmed& confirmed = envelope.event().customer_confirmed();
  absl::Status status = CheckScore(envelope, confirmed.satisfaction_score());
  if (!status.ok()) return status;
  auto it = complaint_partner_.find(confirmed.complaint_id());
  if (it == complaint_partner_.end()) {
    return EventError(absl::StatusCode::kFailedPrecondition, envelope,
                      absl::StrCat("complaint \"", confirmed.complaint_id(), "\" is not filed"));
  }
  AddScore(it->second, confirmed.satisfaction_score());
  return absl::OkStatus();
}

absl::Status PartnerProjection::OnSurvey(const v1::Envelope& envelope) {
  const v1::SurveyAnswered& survey = envelope.event().survey_answered();
  absl::Status status = CheckEventId(envelope, "survey_id", survey.survey_id());
  if (status.ok()) status = CheckScore(envelope, survey.score());
  if (!status.ok()) return status;
  if (!survey_ids_.insert(survey.survey_id()).second) {
    return EventError(absl::StatusCode::kFailedPrecondition, envelope,
                      absl::StrCat("survey \"", survey.survey_id(), "\" is already answered"));
  }
  if (!survey.partner_id().empty()) {
    AddScore(survey.partner_id(), survey.score());
  } else if (auto it = complaint_partner_.find(survey.complaint_id());
             !survey.complaint_id().empty() && it != complaint_partner_.end()) {
    AddScore(it->second, survey.score());
  }
  return absl::OkStatus();
}

void PartnerProjection::AddScore(const std::string& partner_id, int32_t score) {
  if (partner_id.empty() || score == 0) return;
  PartnerScore& partner = partners_[partner_id];
  partner.satisfaction_score_sum += score;
  ++partner.satisfaction_score_count;
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

bool PartnerProjection::HasSurvey(absl::string_view survey_id) const {
  return survey_ids_.contains(survey_id);
}

const PartnerScore* PartnerProjection::FindPartner(absl::string_view partner_id) const {
  auto it = partners_.find(partner_id);
  return it == partners_.end() ? nullptr : &it->second;
}

}  // namespace loyalty::projections
