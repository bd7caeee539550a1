#include "projections/partners.h"

#include "absl/strings/str_cat.h"
#include "loyalty/limits.h"
#include "projections/apply_in_order.h"
#include "projections/event_checks.h"
#include "projections/home_stream.h"
#include "projections/points_math.h"

namespace loyalty::projections {

int64_t PartnerScore::refund_rate_bp() const { return RateBp(refunded_fen, gross_sales_fen); }

std::optional<int64_t> PartnerScore::average_satisfaction_centi() const {
  if (satisfaction_score_count <= 0) return std::nullopt;
  return satisfaction_score_sum * 100 / satisfaction_score_count;
}

absl::Status PartnerProjection::Apply(const v1::Envelope& envelope) {
  return ApplyInOrder(envelope, &position_, [&] {
    AdvanceTo(envelope.occurred_at_us());
    Dispatch(envelope);
  });
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

void PartnerProjection::Dispatch(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  const bool uses = event.has_purchase_recorded() || event.has_refund_recorded() ||
                    (event.has_points_granted() &&
                     event.points_granted().reason() == v1::GRANT_REASON_PURCHASE) ||
                    (event.has_points_debited() &&
                     event.points_debited().reason() == v1::DEBIT_REASON_CLAWBACK) ||
                    event.has_complaint_filed() || event.has_customer_confirmed() ||
                    event.has_survey_answered();
  if (!uses || RecordIfMisplaced(envelope, &anomalies_)) return;
  if (event.has_purchase_recorded()) return OnPurchase(envelope);
  if (event.has_complaint_filed()) return OnComplaintFiled(envelope);
  if (event.has_customer_confirmed()) return OnConfirmed(envelope);
  if (event.has_survey_answered()) return OnSurvey(envelope);
  if (event.has_refund_recorded()) {
    const v1::RefundRecorded& refund = event.refund_recorded();
    if (!CheckEventAmount(envelope, refund.amount_fen(), &anomalies_)) return;
    PartnerScore* score = ScoreOfPurchase(envelope, refund.purchase_id());
    if (score == nullptr) return;
    score->refunded_fen = SaturatingAdd(score->refunded_fen, refund.amount_fen());
    ++score->refund_count;
    return;
  }
  if (event.has_points_granted()) {
    const v1::PointsGranted& grant = event.points_granted();
    if (!CheckEventPoints(envelope, grant.points(), &anomalies_)) return;
    PartnerScore* score = ScoreOfPurchase(envelope, grant.purchase_id());
    if (score != nullptr) {
      score->points_issued = SaturatingAdd(score->points_issued, grant.points());
    }
    return;
  }
  const v1::PointsDebited& debit = event.points_debited();
  if (!CheckEventPoints(envelope, debit.points(), &anomalies_)) return;
  PartnerScore* score = ScoreOfPurchase(envelope, debit.purchase_id());
  if (score != nullptr) {
    score->points_clawed_back = SaturatingAdd(score->points_clawed_back, debit.points());
  }
}

void PartnerProjection::OnPurchase(const v1::Envelope& envelope) {
  const v1::PurchaseRecorded& purchase = envelope.event().purchase_recorded();
  if (!CheckEventId(envelope, "purchase_id", purchase.purchase_id(), &anomalies_) ||
      !CheckEventAmount(envelope, purchase.amount_fen(), &anomalies_)) {
    return;
  }
  auto [recorded, inserted] =
      purchase_partner_.try_emplace(purchase.purchase_id(), purchase.partner_id());
  if (!inserted) {
    anomalies_.Record(envelope, anomaly_rule::kDuplicatePurchase,
                      absl::StrCat("purchase ", QuotedForAnomaly(purchase.purchase_id()),
                                   " is already recorded (partner ",
                                   QuotedForAnomaly(recorded->second),
                                   "); it counts once, the first time"));
    return;
  }
  PartnerScore& score = partners_[purchase.partner_id()];
  score.gross_sales_fen = SaturatingAdd(score.gross_sales_fen, purchase.amount_fen());
  ++score.purchase_count;
}

void PartnerProjection::OnComplaintFiled(const v1::Envelope& envelope) {
  const v1::ComplaintFiled& filed = envelope.event().complaint_filed();
  // As ComplaintProjection checks them, so that both count the same.
  if (!CheckEventId(envelope, "member_id", filed.member_id(), &anomalies_) ||
      !CheckEventId(envelope, "category", filed.category(), &anomalies_)) {
    return;
  }
  if (!complaint_partner_.try_emplace(filed.complaint_id(), filed.partner_id()).second) {
    anomalies_.Record(envelope, anomaly_rule::kComplaintAlreadyFiled,
                      absl::StrCat("complaint ", QuotedForAnomaly(filed.complaint_id()),
                                   " is already filed; it counts once, the first time"));
    return;
  }
  if (!filed.partner_id().empty()) ++partners_[filed.partner_id()].complaint_count;
}

void PartnerProjection::OnConfirmed(const v1::Envelope& envelope) {
  const v1::CustomerConfirmed& confirmed = envelope.event().customer_confirmed();
  if (!CheckEventScore(envelope, "satisfaction_score", confirmed.satisfaction_score(),
                       &anomalies_)) {
    return;
  }
  auto it = complaint_partner_.find(confirmed.complaint_id());
  if (it == complaint_partner_.end()) {
    anomalies_.Record(envelope, anomaly_rule::kComplaintNotFiled,
                      absl::StrCat("complaint ", QuotedForAnomaly(confirmed.complaint_id()),
                                   " is not filed; the score counts for no partner"));
    return;
  }
  AddScore(it->second, confirmed.satisfaction_score());
}

void PartnerProjection::OnSurvey(const v1::Envelope& envelope) {
  const v1::SurveyAnswered& survey = envelope.event().survey_answered();
  if (!CheckEventId(envelope, "survey_id", survey.survey_id(), &anomalies_) ||
      !CheckEventScore(envelope, "score", survey.score(), &anomalies_)) {
    return;
  }
  if (!survey_ids_.insert(survey.survey_id()).second) {
    anomalies_.Record(envelope, anomaly_rule::kDuplicateSurvey,
                      absl::StrCat("survey ", QuotedForAnomaly(survey.survey_id()),
                                   " is already answered; it counts once, the first time"));
    return;
  }
  if (!survey.partner_id().empty()) {
    AddScore(survey.partner_id(), survey.score());
  } else if (auto it = complaint_partner_.find(survey.complaint_id());
             !survey.complaint_id().empty() && it != complaint_partner_.end()) {
    AddScore(it->second, survey.score());
  }
}

void PartnerProjection::AddScore(const std::string& partner_id, int32_t score) {
  if (partner_id.empty() || score == kNoSatisfactionScore) return;
  PartnerScore& partner = partners_[partner_id];
  partner.satisfaction_score_sum = SaturatingAdd(partner.satisfaction_score_sum, score);
  ++partner.satisfaction_score_count;
}

PartnerScore* PartnerProjection::ScoreOfPurchase(const v1::Envelope& envelope,
                                                 absl::string_view purchase_id) {
  auto it = purchase_partner_.find(purchase_id);
  if (it == purchase_partner_.end()) {
    anomalies_.Record(envelope, anomaly_rule::kUnknownPurchase,
                      absl::StrCat("purchase ", QuotedForAnomaly(purchase_id),
                                   " is not recorded; it counts for no partner"));
    return nullptr;
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
