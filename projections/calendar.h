// loyalty::projections::WorkingCalendar and CalendarProjection — which local
// days are working days, and deadlines counted in working days.
//
// A local day (Asia/Shanghai, local_time.h) is a working day when it is
// declared one (DAY_KIND_WORKING_DAY: a make-up working day, usually a
// Saturday or Sunday), or when it is a Monday to Friday that is not declared
// a holiday (DAY_KIND_HOLIDAY). Every other day is not a working day.
//
// The calendar is data: CalendarDaysDeclared events, on stream "calendar".
// Each declares days; a later declaration of the same day wins, whatever its
// source. A declaration with a non-zero covers_year also says that its days
// are the complete schedule of that year: the year becomes covered. The
// official mainland-China schedules ship as files in data/calendar/ (format:
// docs/calendar.md, parser: calendar_file.h).
//
// Deadlines never guess: counting working days through a day of a year that
// no declaration covers fails with FailedPrecondition "no holiday schedule is
// loaded for YYYY", because an unknown public holiday could fall on it.
#ifndef LOYALTY_PROJECTIONS_CALENDAR_H_
#define LOYALTY_PROJECTIONS_CALENDAR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "loyalty/limits.h"
#include "loyalty/v1/calendar.pb.h"
#include "loyalty/v1/common.pb.h"
#include "projections/projection.h"
#include "projections/projection_state.pb.h"
#include "projections/replay.h"

namespace loyalty::projections {

// The limits of a calendar declaration (kMinCalendarYear, kMaxCalendarYear,
// kMaxDeclaredDaysPerDeclaration, ...) are in loyalty/limits.h.

// The civil day of a LocalDate; InvalidArgument if it is not a calendar
// date (2023-02-29, month 13, ...).
absl::StatusOr<absl::CivilDay> CivilDayOf(const v1::LocalDate& date);
v1::LocalDate LocalDateOf(absl::CivilDay day);

// Checks a declaration before it is appended or applied: the source as
// above; covers_year 0 or in [kMinCalendarYear, kMaxCalendarYear]; at most
// kMaxDeclaredDaysPerDeclaration days, each a calendar date in those years,
// of kind HOLIDAY or WORKING_DAY, with a name of at most
// kMaxCalendarDayNameBytes of UTF-8 without control characters; no day
// twice; with a covers_year Y, every day
// in Y - 1, Y or Y + 1 (a schedule may start or end across New Year).
// InvalidArgument naming the field, the day and the value.
absl::Status CheckCalendarDeclaration(const v1::CalendarDaysDeclared& declaration);

// How a day was declared (the latest declaration of it).
struct DayDeclaration {
  v1::DayKind kind = v1::DAY_KIND_UNSPECIFIED;
  std::string name;
  std::string source;
};

// The result of counting working days: the day reached, or the first year
// the count needed that no declaration covers.
struct WorkingDayCount {
  std::optional<absl::CivilDay> day;
  int64_t missing_year = 0;  // non-zero exactly when `day` is empty
};

// The working-day calendar as a value: the declared days and the covered
// years. Shared by CalendarProjection and ComplaintProjection.
class WorkingCalendar {
 public:
  WorkingCalendar() = default;

  // Applies a declaration that CheckCalendarDeclaration accepts: each day
  // it names takes its kind, name and source; its covers_year (if non-zero)
  // becomes covered.
  void Declare(const v1::CalendarDaysDeclared& declaration);

  // True when applying `declaration` would change no day and cover no new
  // year (the deciders treat loading it again as already done).
  bool WouldChangeNothing(const v1::CalendarDaysDeclared& declaration) const;

  // Whether `day` is a working day (see the top of this file). Answers for
  // any day, covered or not.
  bool IsWorkingDay(absl::CivilDay day) const;

  // Whether a declaration covered `year`.
  bool Covers(int64_t year) const;

  // The declaration of `day`, or nullptr if none declared it.
  const DayDeclaration* FindDay(absl::CivilDay day) const;

  // Counts `working_days` (>= 1) working days after `day`, `day` itself
  // not counted whether or not it is a working day: the day reached, or the
  // first year the count passes through that is not covered.
  WorkingDayCount CountWorkingDays(absl::CivilDay day, int64_t working_days) const;

  // The `working_days`-th working day after `day` (`day` itself not
  // counted). InvalidArgument unless 1 <= working_days <= kMaxPolicyDays;
  // FailedPrecondition "no holiday schedule is loaded for YYYY" when the
  // count needs a day of YYYY and YYYY is not covered.
  // Example: with cn-2024 loaded, NthWorkingDayAfter(2024-02-09, 3) is
  // 2024-02-20 (the holiday is 10-17 February; 18 February is a make-up
  // working day).
  absl::StatusOr<absl::CivilDay> NthWorkingDayAfter(absl::CivilDay day,
                                                    int64_t working_days) const;

  // The deadline `working_days` working days after an instant: the last
  // microsecond (23:59:59.999999 local) of NthWorkingDayAfter(the local day
  // of `instant_us`, working_days). Errors as NthWorkingDayAfter.
  absl::StatusOr<int64_t> DeadlineAfter(int64_t instant_us, int64_t working_days) const;

  // Every declared day, by date.
  const absl::btree_map<absl::CivilDay, DayDeclaration>& days() const { return days_; }
  // Every covered year -> the source of the declaration that covered it last.
  const absl::btree_map<int64_t, std::string>& covered_years() const { return covered_years_; }
  // How many declarations were applied.
  uint64_t declarations_applied() const { return declarations_applied_; }

  // The canonical form (projection_state.proto), and back. FromState
  // returns DataLoss "<projection_name> state: ..." for a calendar that
  // breaks an invariant (unsorted, an invalid date or kind).
  state::Calendar ToState() const;
  static absl::StatusOr<WorkingCalendar> FromState(const state::Calendar& in,
                                                   absl::string_view projection_name);

 private:
  absl::btree_map<absl::CivilDay, DayDeclaration> days_;
  absl::btree_map<int64_t, std::string> covered_years_;
  uint64_t declarations_applied_ = 0;
};

// The calendar as a projection of the log.
//
// Events it uses: CalendarDaysDeclared. One that CheckCalendarDeclaration
// rejects declares nothing and is recorded in anomalies() (anomaly.h:
// invalid_calendar), as is one off the stream "calendar" (stream_mismatch).
// Nothing is time-driven.
class CalendarProjection final : public Projection {
 public:
  CalendarProjection() = default;

  // "calendar".
  absl::string_view name() const override { return "calendar"; }
  absl::Status Apply(const v1::Envelope& envelope) override;
  void AdvanceTo(int64_t instant_us) override { position_.MoveTo(instant_us); }
  std::string CanonicalState() const override;
  absl::Status Restore(absl::string_view canonical_state) override;
  const AnomalyLog& anomalies() const override { return anomalies_; }

  const WorkingCalendar& calendar() const { return calendar_; }

  // Shorthands for calendar().IsWorkingDay and calendar().DeadlineAfter:
  // what an operator checks by hand ("when is a reply to a complaint filed
  // at this instant due?").
  bool IsWorkingDay(absl::CivilDay day) const { return calendar_.IsWorkingDay(day); }
  absl::StatusOr<int64_t> DeadlineAfter(int64_t instant_us, int64_t working_days) const {
    return calendar_.DeadlineAfter(instant_us, working_days);
  }

  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

 private:
  ReplayPosition position_;
  WorkingCalendar calendar_;
  AnomalyLog anomalies_;
};

// Applies the CalendarDaysDeclared event `envelope` to `calendar` and
// returns true; if the declaration is invalid, declares nothing, records it
// in `anomalies` (invalid_calendar) and returns false. Shared by every
// projection that keeps a calendar.
bool ApplyCalendarEvent(const v1::Envelope& envelope, WorkingCalendar* calendar,
                        AnomalyLog* anomalies);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_CALENDAR_H_
