// loyalty::projections::Anomaly and AnomalyLog — the events a projection
// applied only as far as a rule of the domain allowed.
//
// The deciders never write an event that breaks a rule (a redemption past the
// balance, a refund of an unknown purchase, a complaint step out of order),
// but the log can hold one all the same: appended raw (`loyalty append`,
// Ledger::Append), or by an older build. The log is never rewritten, so
// stopping on such an event would stop every later command and report for
// good. Instead every projection applies any event that decodes: what the
// broken rule forbids is left out, deterministically (each projection's
// header says how; docs/reliability.md, "Events that break a rule", lists
// every rule), and the event is recorded in the projection's AnomalyLog with
// a short stable rule name and a message. Every other member and report
// goes on as if the event were not there, or as far as it could be applied.
//
// The log is part of the projection's canonical state, so digests cover it:
// two replays of one log record the same anomalies. A log without anomalies
// leaves it empty and absent from the canonical bytes, which are then those
// of the builds that recorded none.
#ifndef LOYALTY_PROJECTIONS_ANOMALY_H_
#define LOYALTY_PROJECTIONS_ANOMALY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/projection_state.pb.h"

namespace loyalty::projections {

// The anomalies a projection keeps with their details; past this many, later
// ones are only counted (AnomalyLog::count). A limit, so that a log full of
// bad events cannot make every checkpoint and digest arbitrarily large.
inline constexpr uint64_t kMaxAnomaliesKept = 1000;

// The rules, by their stable names (what `loyalty anomalies` shows). An
// event records at most one anomaly per projection: the first rule it breaks.
namespace anomaly_rule {
// An event of a kind that has a home stream ("member-<member_id>",
// "complaint-<complaint_id>", "policy", "calendar") appended to another
// stream. Replays of one stream would not see it, so no projection applies
// it.
inline constexpr absl::string_view kStreamMismatch = "stream_mismatch";
// A required id (member, purchase, refund, redemption, complaint, survey,
// category) is empty.
inline constexpr absl::string_view kMissingId = "missing_id";
// Points of one event outside [1, kMaxPointsPerEvent].
inline constexpr absl::string_view kPointsOutOfRange = "points_out_of_range";
// An amount of one event outside [1, kMaxAmountFen].
inline constexpr absl::string_view kAmountOutOfRange = "amount_out_of_range";
// A grant or debit reason this build does not know.
inline constexpr absl::string_view kUnknownReason = "unknown_reason";
// A birthday grant whose year is not positive.
inline constexpr absl::string_view kBirthdayYearOutOfRange = "birthday_year_out_of_range";
// A satisfaction score outside 0..5.
inline constexpr absl::string_view kScoreOutOfRange = "score_out_of_range";
// Goodwill points of a resolution outside [0, kMaxPointsPerEvent].
inline constexpr absl::string_view kGoodwillOutOfRange = "goodwill_out_of_range";
// A grant or debit that would take the member's lifetime totals past
// kMaxPointsTotal.
inline constexpr absl::string_view kPointsTotalOutOfRange = "points_total_out_of_range";
// An event naming a member never enrolled.
inline constexpr absl::string_view kMemberNotEnrolled = "member_not_enrolled";
// A second enrolment of a member.
inline constexpr absl::string_view kMemberAlreadyEnrolled = "member_already_enrolled";
// A purchase id recorded before.
inline constexpr absl::string_view kDuplicatePurchase = "duplicate_purchase";
// A refund id recorded before for the purchase.
inline constexpr absl::string_view kDuplicateRefund = "duplicate_refund";
// A redemption id recorded before for the member.
inline constexpr absl::string_view kDuplicateRedemption = "duplicate_redemption";
// Points for a purchase that already earned them, or a second birthday
// bonus of one year.
inline constexpr absl::string_view kDuplicateGrant = "duplicate_grant";
// A survey id answered before.
inline constexpr absl::string_view kDuplicateSurvey = "duplicate_survey";
// A refund, purchase grant or clawback naming a purchase that is not the
// member's (or, for partners, not recorded).
inline constexpr absl::string_view kUnknownPurchase = "unknown_purchase";
// A refund of more than what is left of the purchase.
inline constexpr absl::string_view kRefundExceedsPurchase = "refund_exceeds_purchase";
// A redemption of more points than the member has available.
inline constexpr absl::string_view kRedemptionExceedsBalance = "redemption_exceeds_balance";
// A clawback of more points than the purchase earned and has not had
// clawed back yet.
inline constexpr absl::string_view kClawbackExceedsEarned = "clawback_exceeds_earned";
// A policy change that Policy::CheckChange rejects.
inline constexpr absl::string_view kInvalidPolicy = "invalid_policy";
// A calendar declaration that CheckCalendarDeclaration rejects.
inline constexpr absl::string_view kInvalidCalendar = "invalid_calendar";
// A complaint filed twice.
inline constexpr absl::string_view kComplaintAlreadyFiled = "complaint_already_filed";
// A step of a complaint never filed.
inline constexpr absl::string_view kComplaintNotFiled = "complaint_not_filed";
// A complaint step its state does not allow (CheckComplaintStep).
inline constexpr absl::string_view kComplaintStepOutOfOrder = "complaint_step_out_of_order";
// A dissatisfied confirmation of a complaint at kMaxComplaintCycles cycles.
inline constexpr absl::string_view kComplaintCyclesExhausted = "complaint_cycles_exhausted";
}  // namespace anomaly_rule

// One event a projection applied only as far as `rule` allowed.
struct Anomaly {
  uint64_t sequence = 0;
  std::string stream_id;
  std::string rule;     // one of anomaly_rule
  std::string message;  // what was wrong and what was applied of it

  bool operator==(const Anomaly& other) const {
    return sequence == other.sequence && stream_id == other.stream_id && rule == other.rule &&
           message == other.message;
  }
};

class AnomalyLog {
 public:
  // Records that `envelope` broke `rule`; `message` says how and what was
  // applied of it. Past kMaxAnomaliesKept only counts it.
  void Record(const v1::Envelope& envelope, absl::string_view rule, std::string message);

  // The anomalies kept, in log order.
  const std::vector<Anomaly>& kept() const { return kept_; }
  // Every anomaly recorded, kept or not.
  uint64_t count() const { return kept_.size() + not_kept_; }
  bool empty() const { return count() == 0; }

  // The canonical form. Set only when not empty (SetAnomalies), so that a
  // state without anomalies has the bytes it had before they existed.
  void ToState(state::AnomalyLog* out) const;
  // Back from ToState's output. DataLoss "<projection_name> state: ..." when
  // it breaks an invariant: sequences going backwards, an empty rule, more
  // kept than kMaxAnomaliesKept, or some not kept while fewer are kept.
  static absl::StatusOr<AnomalyLog> FromState(const state::AnomalyLog& in,
                                              absl::string_view projection_name);

 private:
  std::vector<Anomaly> kept_;
  uint64_t not_kept_ = 0;
};

// Sets the anomalies of `state` (a *State message of projection_state.proto)
// from `log`, when it holds any.
template <typename State>
void SetAnomalies(const AnomalyLog& log, State* state) {
  if (!log.empty()) log.ToState(state->mutable_anomalies());
}

// `value` quoted for an anomaly's message: C-escaped, cut to a few dozen
// bytes (an id in an event may be long), e.g. "\"M000001\"".
std::string QuotedForAnomaly(absl::string_view value);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_ANOMALY_H_
