// The public views of complaints and SLA reports (loyalty/views.h), built
// from a ComplaintProjection. Internal to the engine; the benchmark and the
// tests use them to build exactly what Engine::Complaint and
// Engine::SlaReport return.
#ifndef LOYALTY_ENGINE_COMPLAINT_VIEWS_H_
#define LOYALTY_ENGINE_COMPLAINT_VIEWS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "loyalty/views.h"
#include "projections/complaints.h"

namespace loyalty::internal {

// The complaint with its clocks' statuses as of `as_of_us`; as_of_sequence
// is left 0 for the caller. NotFound for a complaint never filed.
absl::StatusOr<ComplaintView> MakeComplaintView(const projections::ComplaintProjection& complaints,
                                                absl::string_view complaint_id, int64_t as_of_us);

// InvalidArgument when from_day is after to_day, naming both.
absl::Status CheckSlaWindow(absl::CivilDay from_day, absl::CivilDay to_day);

// The SLA report of the cycles started in [from_day, to_day], as of
// `as_of_us`, in one pass over the complaints; as_of_sequence is left 0.
// Its counts are those of ComplaintProjection::Report, split further by
// kind of clock. InvalidArgument when from_day is after to_day.
absl::StatusOr<SlaReportView> MakeSlaReportView(const projections::ComplaintProjection& complaints,
                                                absl::CivilDay from_day, absl::CivilDay to_day,
                                                int64_t as_of_us,
                                                size_t open_clocks_max = kSlaReportOpenClocksMax);

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_COMPLAINT_VIEWS_H_
