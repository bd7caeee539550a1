// PartnerProjection's canonical state: PartnerState in projection_state.proto.
#include <utility>

#include "absl/strings/str_cat.h"
#include "projections/partners.h"

namespace loyalty::projections {
namespace {

constexpr absl::string_view kName = "partners";

state::PartnerScore ScoreToState(const std::string& partner_id, const PartnerScore& score) {
  state::PartnerScore out;
  out.set_partner_id(partner_id);
  out.set_gross_sales_fen(score.gross_sales_fen);
  out.set_refunded_fen(score.refunded_fen);
  out.set_purchase_count(score.purchase_count);
  out.set_refund_count(score.refund_count);
  out.set_points_issued(score.points_issued);
  out.set_points_clawed_back(score.points_clawed_back);
  out.set_complaint_count(score.complaint_count);
  out.set_satisfaction_score_sum(score.satisfaction_score_sum);
  out.set_satisfaction_score_count(score.satisfaction_score_count);
  return out;
}

PartnerScore ScoreFromState(const state::PartnerScore& in) {
  PartnerScore score;
  score.gross_sales_fen = in.gross_sales_fen();
  score.refunded_fen = in.refunded_fen();
  score.purchase_count = in.purchase_count();
  score.refund_count = in.refund_count();
  score.points_issued = in.points_issued();
  score.points_clawed_back = in.points_clawed_back();
  score.complaint_count = in.complaint_count();
  score.satisfaction_score_sum = in.satisfaction_score_sum();
  score.satisfaction_score_count = in.satisfaction_score_count();
  return score;
}

// Fills `out` from repeated entries strictly ascending by key; false if not.
template <typename Entries, typename Map, typename Convert>
bool FillSorted(const Entries& entries, Map* out, Convert convert) {
  for (int i = 0; i < entries.size(); ++i) {
    auto [key, value] = convert(entries[i]);
    if (!out->empty() && !(out->rbegin()->first < key)) return false;
    out->emplace_hint(out->end(), std::move(key), std::move(value));
  }
  return true;
}

}  // namespace

std::string PartnerProjection::CanonicalState() const {
  state::PartnerState state;
  *state.mutable_header() = position_.ToHeader(kName);
  for (const auto& [partner_id, score] : partners_) {
    *state.add_partners() = ScoreToState(partner_id, score);
  }
  for (const auto* purchase : SortedByKey(purchase_partner_)) {
    state::PurchasePartner& entry = *state.add_purchases();
    entry.set_purchase_id(purchase->first);
    entry.set_partner_id(purchase->second);
  }
  for (const auto& [complaint_id, partner_id] : complaint_partner_) {
    state::ComplaintPartner& entry = *state.add_complaints();
    entry.set_complaint_id(complaint_id);
    entry.set_partner_id(partner_id);
  }
  for (const std::string& survey_id : survey_ids_) state.add_survey_ids(survey_id);
  SetAnomalies(anomalies_, &state);
  return SerializeDeterministic(state);
}

absl::Status PartnerProjection::Restore(absl::string_view canonical_state) {
  state::PartnerState state;
  absl::Status status = ParseState(canonical_state, kName, &state);
  if (!status.ok()) return status;
  absl::StatusOr<ReplayPosition> position = ReplayPosition::FromHeader(state.header(), kName);
  if (!position.ok()) return position.status();
  absl::btree_map<std::string, PartnerScore> partners;
  absl::btree_map<std::string, std::string> purchases;
  absl::btree_map<std::string, std::string> complaints;
  const bool sorted =
      FillSorted(state.partners(), &partners,
                 [](const state::PartnerScore& s) {
                   return std::make_pair(s.partner_id(), ScoreFromState(s));
                 }) &&
      FillSorted(state.purchases(), &purchases,
                 [](const state::PurchasePartner& p) {
                   return std::make_pair(p.purchase_id(), p.partner_id());
                 }) &&
      FillSorted(state.complaints(), &complaints, [](const state::ComplaintPartner& c) {
        return std::make_pair(c.complaint_id(), c.partner_id());
      });
  absl::btree_set<std::string> surveys;
  for (const std::string& survey_id : state.survey_ids()) {
    if (!surveys.empty() && !(*surveys.rbegin() < survey_id)) {
      return CorruptState(kName, "the survey ids are not sorted");
    }
    surveys.insert(surveys.end(), survey_id);
  }
  if (!sorted) return CorruptState(kName, "a collection is not sorted by key");
  absl::StatusOr<AnomalyLog> anomalies = AnomalyLog::FromState(state.anomalies(), kName);
  if (!anomalies.ok()) return anomalies.status();
  position_ = *position;
  anomalies_ = *std::move(anomalies);
  partners_ = std::move(partners);
  purchase_partner_.clear();
  purchase_partner_.reserve(purchases.size());
  for (auto& [purchase_id, partner_id] : purchases) {
    purchase_partner_.emplace(purchase_id, std::move(partner_id));
  }
  complaint_partner_ = std::move(complaints);
  survey_ids_ = std::move(surveys);
  return absl::OkStatus();
}

}  // namespace loyalty::projections
