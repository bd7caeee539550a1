#include "cli/as_of.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/report_format.h"

namespace loyalty::cli {
namespace {

constexpr size_t kDateLength = sizeof("YYYY-MM-DD") - 1;

// "DDDD-DD-DD" with ASCII digits; the fields are checked by the parser.
bool HasDateShape(absl::string_view text) {
  if (text.size() != kDateLength) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool is_dash_position = i == 4 || i == 7;
    if (is_dash_position ? text[i] != '-' : !absl::ascii_isdigit(text[i])) return false;
  }
  return true;
}

absl::Status NotATime(absl::string_view text, absl::string_view detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is neither an RFC 3339 time (2024-06-30T23:59:59+08:00) ",
                   "nor a date (2024-06-30)", detail.empty() ? "" : ": ", detail));
}

}  // namespace

void AddAsOfFlags(FlagSet& flags, AsOfFlags* values) {
  flags.String("as-of", "TIME",
               "read the events that occurred by TIME (business time), as the ledger knows "
               "them now: RFC 3339, or YYYY-MM-DD for the end of that day at UTC+8 (default: now)",
               &values->as_of_time);
  flags.String("known-at", "TIME",
               "read what the ledger had recorded by TIME (recorded time), evaluated at TIME",
               &values->known_at_time);
  flags.Uint64("at-seq", "N",
               "read the events with sequence <= N, evaluated at the business time of event N",
               &values->at_sequence);
}

absl::StatusOr<AsOf> AsOfFromFlags(absl::string_view command, const FlagSet& flags,
                                   const AsOfFlags& values) {
  std::vector<std::string> given;
  for (const char* name : {"as-of", "known-at", "at-seq"}) {
    if (flags.WasSet(name)) given.push_back(absl::StrCat("--", name));
  }
  if (given.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        command, ": flag ", absl::StrJoin(given, " and "), ": give one of them, not two"));
  }
  if (flags.WasSet("at-seq")) return AsOf::Sequence(values.at_sequence);
  const bool recorded = flags.WasSet("known-at");
  if (!recorded && !flags.WasSet("as-of")) return AsOf::Now();
  const std::string& text = recorded ? values.known_at_time : values.as_of_time;
  absl::StatusOr<int64_t> instant_us = ParseAsOfTimeUs(text);
  if (!instant_us.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(command, ": flag --",
                                                   recorded ? "known-at" : "as-of", ": ",
                                                   instant_us.status().message()));
  }
  return recorded ? AsOf::RecordedTime(*instant_us) : AsOf::BusinessTime(*instant_us);
}

std::string AsOfAxisName(AsOf::Kind kind) {
  switch (kind) {
    case AsOf::Kind::kNow:
      return "now";
    case AsOf::Kind::kSequence:
      return "by sequence";
    case AsOf::Kind::kBusinessTime:
      return "business time";
    case AsOf::Kind::kRecordedTime:
      return "recorded time";
  }
  return "now";
}

bool IsTimeAxis(AsOf as_of) {
  return as_of.kind() == AsOf::Kind::kBusinessTime || as_of.kind() == AsOf::Kind::kRecordedTime;
}

namespace {

// "(business time: ...); --known-at VALUE reads recorded time (...)", or
// the reverse.
std::string AxisAndTheOther(AsOf as_of, const AsOfFlags& values) {
  if (as_of.kind() == AsOf::Kind::kRecordedTime) {
    return absl::StrCat("(recorded time: what the ledger knew then); --as-of ",
                        values.known_at_time,
                        " reads business time (the events that occurred by then)");
  }
  return absl::StrCat("(business time: the events that occurred by then); --known-at ",
                      values.as_of_time, " reads recorded time (what the ledger knew then)");
}

}  // namespace

std::string AsOfFlagText(AsOf as_of, const AsOfFlags& values) {
  switch (as_of.kind()) {
    case AsOf::Kind::kNow:
      return "now";
    case AsOf::Kind::kSequence:
      return absl::StrCat("--at-seq ", values.at_sequence);
    case AsOf::Kind::kBusinessTime:
      return absl::StrCat("--as-of ", values.as_of_time, " ", AxisAndTheOther(as_of, values));
    case AsOf::Kind::kRecordedTime:
      return absl::StrCat("--known-at ", values.known_at_time, " ", AxisAndTheOther(as_of, values));
  }
  return "now";
}

std::string NothingByThenHint(AsOf as_of, const AsOfFlags& values, absl::string_view nothing) {
  return absl::StrCat(nothing, " by ", FormatLocalTimeUs(as_of.instant_us()), " ",
                      AxisAndTheOther(as_of, values));
}

absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text) {
  if (!HasDateShape(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a date written YYYY-MM-DD (2024-06-30)"));
  }
  absl::Time midnight;
  std::string error;
  // The zone only anchors the parse; the civil day is read back in the same zone.
  if (!absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &midnight, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not a valid date: ", error));
  }
  return absl::ToCivilDay(midnight, absl::UTCTimeZone());
}

absl::StatusOr<int64_t> ParseAsOfTimeUs(absl::string_view text) {
  if (std::any_of(text.begin(), text.end(), absl::ascii_isspace)) {
    return NotATime(text, "it holds a space");
  }
  if (HasDateShape(text)) {
    absl::StatusOr<absl::CivilDay> day = ParseLocalDate(text);
    if (!day.ok()) return day.status();
    const absl::Time end_of_day = absl::FromCivil(*day + 1, MallTimeZone()) - absl::Microseconds(1);
    return absl::ToUnixMicros(end_of_day);
  }
  // The date part's shape is checked here because absl::ParseTime takes
  // "2024-6-3" and also the words "infinite-past" and "infinite-future".
  const bool has_separator =
      text.size() > kDateLength && (text[kDateLength] == 'T' || text[kDateLength] == 't');
  if (!has_separator || !HasDateShape(text.substr(0, kDateLength))) return NotATime(text, "");
  absl::Time instant;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &instant, &error)) {
    return NotATime(text, error);
  }
  // A four-digit year keeps the instant well inside the int64 microsecond range.
  return absl::ToUnixMicros(instant);
}

}  // namespace loyalty::cli
