// loyalty::projections::PartnerProjection — a scorecard per partner (store).
//
// Events it uses:
//  PurchaseRecorded: gross sales and purchase count of its partner.
//  RefundRecorded: refunds and refund count of the refunded purchase's
//    partner (the purchase decides, not the refund's own partner_id).
//  PointsGranted, reason PURCHASE: points issued on the purchase's partner.
//  PointsDebited, reason CLAWBACK: points clawed back, likewise.
//  ComplaintFiled: the complaint count of its partner (none for a complaint
//    about the mall itself, with an empty partner_id); the complaint's
//    partner is remembered for what follows.
//  CustomerConfirmed: a satisfaction score 1..5 counts for the complaint's
//    partner (0, "not given", does not count).
//  SurveyAnswered: a score 1..5 counts for its partner_id, or, when that is
//    empty, for the partner of the complaint it names (a survey about the
//    mall, or naming no known complaint, counts for no partner). Its
//    survey_id is remembered, so that a survey is counted once.
// What it applies of an event that breaks a rule, recorded then in
// anomalies() (anomaly.h): nothing for a purchase, complaint or survey id
// recorded before (duplicate_purchase, complaint_already_filed,
// duplicate_survey: each counts once, the first time), a refund or points
// naming a purchase never recorded (unknown_purchase), a confirmation of a
// complaint never filed (complaint_not_filed), an empty id, an amount,
// points or a score out of range, or an event off its home stream
// (home_stream.h). Partners know no members and keep no refund ids or
// per-purchase points (the state keeps what it kept before anomalies were
// recorded), so a purchase of a member never enrolled still counts for its
// partner, and a repeated refund, purchase grant or clawback counts again.
// Sums saturate at the int64 limit.
// SLA compliance is not an event fact (a clock breaches as time passes, with
// no event) and needs the calendar: it comes from ComplaintProjection as of
// an instant, and MakePartnerScorecard (scorecard.h) joins the two.
#ifndef LOYALTY_PROJECTIONS_PARTNERS_H_
#define LOYALTY_PROJECTIONS_PARTNERS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

struct PartnerScore {
  int64_t gross_sales_fen = 0;
  int64_t refunded_fen = 0;
  int64_t purchase_count = 0;
  int64_t refund_count = 0;
  int64_t points_issued = 0;       // granted on its purchases
  int64_t points_clawed_back = 0;  // clawed back on refunds of its purchases
  int64_t complaint_count = 0;     // complaints filed naming the partner
  // Satisfaction scores (1..5) about the partner, from CustomerConfirmed
  // and SurveyAnswered.
  int64_t satisfaction_score_sum = 0;
  int64_t satisfaction_score_count = 0;

  int64_t net_sales_fen() const { return gross_sales_fen - refunded_fen; }
  // floor(refunded_fen * 10000 / gross_sales_fen); 0 without sales.
  int64_t refund_rate_bp() const;
  // The average score in hundredths, floor(sum * 100 / count): 4.5 is 450.
  // Empty without scores.
  std::optional<int64_t> average_satisfaction_centi() const;
};

class PartnerProjection final : public Projection {
 public:
  PartnerProjection() = default;

  // "partners".
  absl::string_view name() const override { return "partners"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void Prefetch(const v1::Envelope& envelope, PrefetchStep step) const override;
  void AdvanceTo(int64_t instant_us) override { position_.MoveTo(instant_us); }
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;
  const AnomalyLog& anomalies() const override { return anomalies_; }

  // The partner's scorecard, or nullptr if no purchase, complaint or scored
  // survey names it yet.
  const PartnerScore* FindPartner(absl::string_view partner_id) const;

  // Whether a SurveyAnswered with this survey_id was applied.
  bool HasSurvey(absl::string_view survey_id) const;

  // Every partner, by id.
  const absl::btree_map<std::string, PartnerScore>& partners() const { return partners_; }

  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  void Dispatch(const v1::Envelope& envelope);
  void OnPurchase(const v1::Envelope& envelope);
  void OnComplaintFiled(const v1::Envelope& envelope);
  void OnConfirmed(const v1::Envelope& envelope);
  void OnSurvey(const v1::Envelope& envelope);
  // Adds a satisfaction score of `partner_id` (none when it is empty).
  void AddScore(const std::string& partner_id, int32_t score);
  // The scorecard of the partner of purchase `purchase_id`; nullptr,
  // recording unknown_purchase, for a purchase never recorded.
  PartnerScore* ScoreOfPurchase(const v1::Envelope& envelope, absl::string_view purchase_id);

  ReplayPosition position_;
  absl::btree_map<std::string, PartnerScore> partners_;
  // purchase_id -> partner_id of every purchase. Hashed, not ordered: four
  // of the log's events in ten look a purchase up here (CanonicalState
  // sorts them).
  absl::flat_hash_map<std::string, std::string> purchase_partner_;
  // complaint_id -> partner_id ("" for the mall) of every complaint.
  absl::btree_map<std::string, std::string> complaint_partner_;
  // survey_id of every survey answered.
  absl::btree_set<std::string> survey_ids_;
  AnomalyLog anomalies_;
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_PARTNERS_H_
