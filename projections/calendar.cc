#include "projections/calendar.h"

#include <utility>

#include "absl/container/btree_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "loyalty/limits.h"
#include "projections/home_stream.h"
#include "projections/local_time.h"
#include "text/quoted.h"

namespace loyalty::projections {
namespace {

constexpr absl::string_view kName = "calendar";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("calendar declaration: ", what));
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

bool IsSourceCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

absl::Status CheckSource(absl::string_view source) {
  if (source.empty()) return Invalid("source: must not be empty");
  if (static_cast<int64_t>(source.size()) > kMaxCalendarSourceBytes) {
    return Invalid(absl::StrCat("source: ", source.size(), " bytes, more than the limit of ",
                                kMaxCalendarSourceBytes));
  }
  for (char c : source) {
    if (!IsSourceCharacter(c)) {
      return Invalid(absl::StrCat("source: ", text::Quoted(source),
                                  " holds a character other than letters, digits, '.', '_' "
                                  "and '-'"));
    }
  }
  return absl::OkStatus();
}

// Protobuf string fields must hold UTF-8; names also hold no control
// character, so that they print on one line.
bool IsPrintableUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x20 || lead == 0x7f) return false;
    int length = 1;
    uint32_t code_point = lead;
    if (lead >= 0x80) {
      if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2, code_point = lead & 0x1f;
      } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3, code_point = lead & 0x0f;
      } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4, code_point = lead & 0x07;
      } else {
        return false;
      }
      if (i + length > text.size()) return false;
      for (int k = 1; k < length; ++k) {
        const unsigned char next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xc0) != 0x80) return false;
        code_point = (code_point << 6) | (next & 0x3f);
      }
      // Overlong forms, surrogates and code points past U+10FFFF.
      if ((length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000) ||
          (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

bool YearInRange(int64_t year) { return year >= kMinCalendarYear && year <= kMaxCalendarYear; }

}  // namespace

absl::StatusOr<absl::CivilDay> CivilDayOf(const v1::LocalDate& date) {
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return absl::InvalidArgumentError(absl::StrCat(date.year(), "-", date.month(), "-", date.day(),
                                                   " is not a calendar date"));
  }
  return day;
}

v1::LocalDate LocalDateOf(absl::CivilDay day) {
  v1::LocalDate date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

absl::Status CheckCalendarDeclaration(const v1::CalendarDaysDeclared& declaration) {
  absl::Status status = CheckSource(declaration.source());
  if (!status.ok()) return status;
  const int64_t covers = declaration.covers_year();
  if (covers != 0 && !YearInRange(covers)) {
    return Invalid(absl::StrCat("covers_year: ", covers, " is not 0 and not in [",
                                kMinCalendarYear, ", ", kMaxCalendarYear, "]"));
  }
  if (declaration.days_size() > kMaxDeclaredDaysPerDeclaration) {
    return Invalid(absl::StrCat("days: ", declaration.days_size(), " days, more than the limit of ",
                                kMaxDeclaredDaysPerDeclaration));
  }
  absl::btree_set<absl::CivilDay> seen;
  for (const v1::DeclaredDay& declared : declaration.days()) {
    absl::StatusOr<absl::CivilDay> day = CivilDayOf(declared.date());
    if (!day.ok()) return Invalid(absl::StrCat("days: ", day.status().message()));
    const std::string text = DayText(*day);
    if (!YearInRange(day->year())) {
      return Invalid(absl::StrCat("days: ", text, " is not in the years ", kMinCalendarYear, " to ",
                                  kMaxCalendarYear));
    }
    if (covers != 0 && (day->year() < covers - 1 || day->year() > covers + 1)) {
      return Invalid(absl::StrCat("days: ", text, " is too far from covers_year ", covers,
                                  " (a schedule may only reach into the years next to it)"));
    }
    if (declared.kind() != v1::DAY_KIND_HOLIDAY && declared.kind() != v1::DAY_KIND_WORKING_DAY) {
      return Invalid(absl::StrCat("days: ", text, " has kind ", declared.kind(),
                                  ", neither HOLIDAY nor WORKING_DAY"));
    }
    if (static_cast<int64_t>(declared.name().size()) > kMaxCalendarDayNameBytes) {
      return Invalid(absl::StrCat("days: the name of ", text, " is ", declared.name().size(),
                                  " bytes, more than the limit of ", kMaxCalendarDayNameBytes));
    }
    if (!IsPrintableUtf8(declared.name())) {
      return Invalid(absl::StrCat("days: the name of ", text,
                                  " is not UTF-8 text without control characters"));
    }
    if (!seen.insert(*day).second) {
      return Invalid(absl::StrCat("days: ", text, " is declared twice"));
    }
  }
  return absl::OkStatus();
}

void WorkingCalendar::Declare(const v1::CalendarDaysDeclared& declaration) {
  for (const v1::DeclaredDay& declared : declaration.days()) {
    const absl::CivilDay day(declared.date().year(), declared.date().month(),
                             declared.date().day());
    days_[day] = DayDeclaration{declared.kind(), declared.name(), declaration.source()};
  }
  if (declaration.covers_year() != 0) {
    covered_years_[declaration.covers_year()] = declaration.source();
  }
  ++declarations_applied_;
}

bool WorkingCalendar::WouldChangeNothing(const v1::CalendarDaysDeclared& declaration) const {
  if (declaration.covers_year() != 0) {
    auto it = covered_years_.find(declaration.covers_year());
    if (it == covered_years_.end() || it->second != declaration.source()) return false;
  }
  for (const v1::DeclaredDay& declared : declaration.days()) {
    const DayDeclaration* current = FindDay(absl::CivilDay(
        declared.date().year(), declared.date().month(), declared.date().day()));
    if (current == nullptr || current->kind != declared.kind() ||
        current->name != declared.name() || current->source != declaration.source()) {
      return false;
    }
  }
  return true;
}

bool WorkingCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (const DayDeclaration* declared = FindDay(day); declared != nullptr) {
    return declared->kind == v1::DAY_KIND_WORKING_DAY;
  }
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday;
}

bool WorkingCalendar::Covers(int64_t year) const { return covered_years_.contains(year); }

const DayDeclaration* WorkingCalendar::FindDay(absl::CivilDay day) const {
  auto it = days_.find(day);
  return it == days_.end() ? nullptr : &it->second;
}

WorkingDayCount WorkingCalendar::CountWorkingDays(absl::CivilDay day,
                                                  int64_t working_days) const {
  WorkingDayCount result;
  int64_t counted = 0;
  while (counted < working_days) {
    ++day;
    if (!Covers(day.year())) {
      result.missing_year = day.year();
      return result;
    }
    if (IsWorkingDay(day)) ++counted;
  }
  result.day = day;
  return result;
}

absl::StatusOr<absl::CivilDay> WorkingCalendar::NthWorkingDayAfter(absl::CivilDay day,
                                                                   int64_t working_days) const {
  if (working_days < 1 || working_days > kMaxPolicyDays) {
    return absl::InvalidArgumentError(absl::StrCat("working_days: ", working_days,
                                                   " is not in [1, ", kMaxPolicyDays, "]"));
  }
  const WorkingDayCount count = CountWorkingDays(day, working_days);
  if (count.day.has_value()) return *count.day;
  return absl::FailedPreconditionError(absl::StrCat(
      "no holiday schedule is loaded for ", count.missing_year, " (counting ", working_days,
      " working days after ", DayText(day), " needs its days; load the schedule of ",
      count.missing_year, " with `loyalty calendar load`)"));
}

absl::StatusOr<int64_t> WorkingCalendar::DeadlineAfter(int64_t instant_us,
                                                       int64_t working_days) const {
  absl::StatusOr<absl::CivilDay> day = NthWorkingDayAfter(LocalDayOf(instant_us), working_days);
  if (!day.ok()) return day.status();
  return EndOfLocalDayUs(*day);
}

state::Calendar WorkingCalendar::ToState() const {
  state::Calendar out;
  for (const auto& [day, declared] : days_) {
    state::CalendarDay& entry = *out.add_days();
    *entry.mutable_date() = LocalDateOf(day);
    entry.set_kind(declared.kind);
    entry.set_name(declared.name);
    entry.set_source(declared.source);
  }
  for (const auto& [year, source] : covered_years_) {
    state::CoveredYear& entry = *out.add_covered_years();
    entry.set_year(static_cast<int32_t>(year));
    entry.set_source(source);
  }
  out.set_declarations_applied(declarations_applied_);
  return out;
}

absl::StatusOr<WorkingCalendar> WorkingCalendar::FromState(const state::Calendar& in,
                                                           absl::string_view projection_name) {
  WorkingCalendar calendar;
  for (const state::CalendarDay& entry : in.days()) {
    absl::StatusOr<absl::CivilDay> day = CivilDayOf(entry.date());
    if (!day.ok()) return CorruptState(projection_name, day.status().message());
    if (entry.kind() != v1::DAY_KIND_HOLIDAY && entry.kind() != v1::DAY_KIND_WORKING_DAY) {
      return CorruptState(projection_name,
                          absl::StrCat("day ", DayText(*day), " has kind ", entry.kind()));
    }
    if (!calendar.days_.empty() && !(calendar.days_.rbegin()->first < *day)) {
      return CorruptState(projection_name, "the calendar days are not sorted by date");
    }
    calendar.days_.emplace_hint(calendar.days_.end(), *day,
                                DayDeclaration{entry.kind(), entry.name(), entry.source()});
  }
  for (const state::CoveredYear& entry : in.covered_years()) {
    if (!YearInRange(entry.year())) {
      return CorruptState(projection_name, absl::StrCat("covered year ", entry.year()));
    }
    if (!calendar.covered_years_.empty() &&
        !(calendar.covered_years_.rbegin()->first < entry.year())) {
      return CorruptState(projection_name, "the covered years are not sorted");
    }
    calendar.covered_years_.emplace_hint(calendar.covered_years_.end(), entry.year(),
                                         entry.source());
  }
  calendar.declarations_applied_ = in.declarations_applied();
  return calendar;
}

bool ApplyCalendarEvent(const v1::Envelope& envelope, WorkingCalendar* calendar,
                        AnomalyLog* anomalies) {
  const v1::CalendarDaysDeclared& declaration = envelope.event().calendar_days_declared();
  absl::Status status = CheckCalendarDeclaration(declaration);
  if (!status.ok()) {
    anomalies->Record(envelope, anomaly_rule::kInvalidCalendar,
                      absl::StrCat(status.message(), "; no day of it is declared"));
    return false;
  }
  calendar->Declare(declaration);
  return true;
}

absl::Status CalendarProjection::Apply(const v1::Envelope& envelope) {
  absl::Status status = position_.CheckNext(envelope);
  if (!status.ok()) return status;
  AdvanceTo(envelope.occurred_at_us());
  if (envelope.event().has_calendar_days_declared() &&
      !RecordIfMisplaced(envelope, &anomalies_)) {
    ApplyCalendarEvent(envelope, &calendar_, &anomalies_);
  }
  position_.Record(envelope);
  return absl::OkStatus();
}

std::string CalendarProjection::CanonicalState() const {
  state::CalendarState state;
  *state.mutable_header() = position_.ToHeader(kName);
  *state.mutable_calendar() = calendar_.ToState();
  SetAnomalies(anomalies_, &state);
  return SerializeDeterministic(state);
}

absl::Status CalendarProjection::Restore(absl::string_view canonical_state) {
  state::CalendarState state;
  absl::Status status = ParseState(canonical_state, kName, &state);
  if (!status.ok()) return status;
  absl::StatusOr<ReplayPosition> position = ReplayPosition::FromHeader(state.header(), kName);
  if (!position.ok()) return position.status();
  absl::StatusOr<WorkingCalendar> calendar = WorkingCalendar::FromState(state.calendar(), kName);
  if (!calendar.ok()) return calendar.status();
  absl::StatusOr<AnomalyLog> anomalies = AnomalyLog::FromState(state.anomalies(), kName);
  if (!anomalies.ok()) return anomalies.status();
  position_ = *position;
  calendar_ = *std::move(calendar);
  anomalies_ = *std::move(anomalies);
  return absl::OkStatus();
}

}  // namespace loyalty::projections
