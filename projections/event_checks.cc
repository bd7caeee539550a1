#include "projections/event_checks.h"

#include "absl/strings/str_cat.h"
#include "projections/domain_limits.h"
#include "projections/replay.h"

namespace loyalty::projections {
namespace {

absl::Status CheckRange(const v1::Envelope& envelope, absl::string_view field, int64_t value,
                        int64_t max) {
  if (value > 0 && value <= max) return absl::OkStatus();
  return EventError(absl::StatusCode::kDataLoss, envelope,
                    absl::StrCat(field, " ", value, " is not in [1, ", max, "]"));
}

}  // namespace

absl::Status CheckEventId(const v1::Envelope& envelope, absl::string_view field,
                          absl::string_view value) {
  if (!value.empty()) return absl::OkStatus();
  return EventError(absl::StatusCode::kDataLoss, envelope, absl::StrCat(field, " is empty"));
}

absl::Status CheckEventPoints(const v1::Envelope& envelope, int64_t points) {
  return CheckRange(envelope, "points", points, kMaxPointsPerEvent);
}

absl::Status CheckEventAmount(const v1::Envelope& envelope, int64_t amount_fen) {
  return CheckRange(envelope, "amount_fen", amount_fen, kMaxAmountFen);
}

}  // namespace loyalty::projections
