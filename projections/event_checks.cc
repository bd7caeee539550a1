#include "projections/event_checks.h"

#include "absl/strings/str_cat.h"
#include "loyalty/limits.h"

namespace loyalty::projections {
namespace {

bool CheckRange(const v1::Envelope& envelope, absl::string_view rule, absl::string_view field,
                int64_t value, int64_t min, int64_t max, AnomalyLog* anomalies) {
  if (value >= min && value <= max) return true;
  anomalies->Record(envelope, rule,
                    absl::StrCat(field, " ", value, " is not in [", min, ", ", max,
                                 "]; the event is not applied"));
  return false;
}

}  // namespace

bool CheckEventId(const v1::Envelope& envelope, absl::string_view field, absl::string_view value,
                  AnomalyLog* anomalies) {
  if (!value.empty()) return true;
  anomalies->Record(envelope, anomaly_rule::kMissingId,
                    absl::StrCat(field, " is empty; the event is not applied"));
  return false;
}

bool CheckEventPoints(const v1::Envelope& envelope, int64_t points, AnomalyLog* anomalies) {
  return CheckRange(envelope, anomaly_rule::kPointsOutOfRange, "points", points, 1,
                    kMaxPointsPerEvent, anomalies);
}

bool CheckEventAmount(const v1::Envelope& envelope, int64_t amount_fen, AnomalyLog* anomalies) {
  return CheckRange(envelope, anomaly_rule::kAmountOutOfRange, "amount_fen", amount_fen, 1,
                    kMaxAmountFen, anomalies);
}

bool CheckEventScore(const v1::Envelope& envelope, absl::string_view field, int32_t score,
                     AnomalyLog* anomalies) {
  return CheckRange(envelope, anomaly_rule::kScoreOutOfRange, field, score, kNoSatisfactionScore,
                    kMaxSatisfactionScore, anomalies);
}

}  // namespace loyalty::projections
