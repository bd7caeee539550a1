#include "projections/calendar_file.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "projections/calendar.h"
#include "text/quoted.h"

namespace loyalty::projections {
namespace {

absl::Status LineError(int line_number, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("calendar file line ", line_number, ": ", what));
}

absl::Status FileError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("calendar file: ", what));
}

std::string Shown(absl::string_view word) { return text::Quoted(word); }

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// Whether `word` has the shape "YYYY-MM-DD" (digits and dashes).
bool LooksLikeDate(absl::string_view word) {
  return word.size() == 10 && word[4] == '-' && word[7] == '-' && AllDigits(word.substr(0, 4)) &&
         AllDigits(word.substr(5, 2)) && AllDigits(word.substr(8, 2));
}

absl::StatusOr<absl::CivilDay> ParseDate(int line_number, absl::string_view word) {
  int year = 0, month = 0, day = 0;
  if (!LooksLikeDate(word) || !absl::SimpleAtoi(word.substr(0, 4), &year) ||
      !absl::SimpleAtoi(word.substr(5, 2), &month) || !absl::SimpleAtoi(word.substr(8, 2), &day)) {
    return LineError(line_number, absl::StrCat(Shown(word), " is not a date written YYYY-MM-DD"));
  }
  v1::LocalDate date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  absl::StatusOr<absl::CivilDay> civil = CivilDayOf(date);
  if (!civil.ok()) return LineError(line_number, absl::StrCat(Shown(word), " is not a calendar date"));
  return *civil;
}

struct ParsedDay {
  v1::DeclaredDay declared;
  int line_number = 0;
};

class Parser {
 public:
  absl::Status Line(int line_number, absl::string_view line) {
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) return absl::OkStatus();
    if (words[0] == "source") return Source(line_number, words);
    if (words[0] == "covers") return Covers(line_number, words);
    return Day(line_number, words);
  }

  absl::StatusOr<v1::CalendarDaysDeclared> Finish() {
    if (source_line_ == 0) {
      return FileError("no \"source\" line (write \"source NAME\", e.g. \"source mall\")");
    }
    if (covers_line_ == 0) {
      return FileError("no \"covers\" line (write \"covers YYYY\" or \"covers none\")");
    }
    if (static_cast<int64_t>(days_.size()) > kMaxDeclaredDaysPerDeclaration) {
      return FileError(absl::StrCat(days_.size(), " days, more than the limit of ",
                                    kMaxDeclaredDaysPerDeclaration, " in one file"));
    }
    v1::CalendarDaysDeclared declaration;
    declaration.set_source(source_);
    declaration.set_covers_year(covers_year_);
    for (auto& [day, parsed] : days_) {
      if (covers_year_ != 0 && (day.year() < covers_year_ - 1 || day.year() > covers_year_ + 1)) {
        return LineError(parsed.line_number,
                         absl::StrCat(absl::FormatCivilTime(day), " is too far from the year ",
                                      covers_year_, " the file covers (line ", covers_line_,
                                      "); only the years next to it may appear"));
      }
      *declaration.add_days() = std::move(parsed.declared);
    }
    // Whatever is left (nothing, for text that got this far) is reported
    // against the whole file.
    absl::Status status = CheckCalendarDeclaration(declaration);
    if (!status.ok()) return FileError(status.message());
    return declaration;
  }

 private:
  absl::Status Source(int line_number, const std::vector<absl::string_view>& words) {
    if (source_line_ != 0) {
      return LineError(line_number,
                       absl::StrCat("a second \"source\" line (the first is line ", source_line_, ")"));
    }
    if (words.size() != 2) {
      return LineError(line_number, "write \"source NAME\" with one word for NAME");
    }
    v1::CalendarDaysDeclared probe;
    probe.set_source(std::string(words[1]));
    absl::Status status = CheckCalendarDeclaration(probe);
    if (!status.ok()) return LineError(line_number, status.message());
    source_ = std::string(words[1]);
    source_line_ = line_number;
    return absl::OkStatus();
  }

  absl::Status Covers(int line_number, const std::vector<absl::string_view>& words) {
    if (covers_line_ != 0) {
      return LineError(line_number,
                       absl::StrCat("a second \"covers\" line (the first is line ", covers_line_, ")"));
    }
    if (words.size() != 2) return LineError(line_number, "write \"covers YYYY\" or \"covers none\"");
    int year = 0;
    if (words[1] == "none") {
      year = 0;
    } else if (words[1].size() != 4 || !AllDigits(words[1]) ||
               !absl::SimpleAtoi(words[1], &year)) {
      return LineError(line_number, absl::StrCat(Shown(words[1]),
                                                 " is not a year (write \"covers YYYY\" or "
                                                 "\"covers none\")"));
    } else if (year < kMinCalendarYear || year > kMaxCalendarYear) {
      return LineError(line_number, absl::StrCat("covers ", year, ": the year is not in [",
                                                 kMinCalendarYear, ", ", kMaxCalendarYear, "]"));
    }
    covers_year_ = year;
    covers_line_ = line_number;
    return absl::OkStatus();
  }

  absl::Status Day(int line_number, const std::vector<absl::string_view>& words) {
    if (!LooksLikeDate(words[0]) && !absl::ascii_isdigit(static_cast<unsigned char>(words[0][0]))) {
      return LineError(line_number, absl::StrCat(Shown(words[0]),
                                                 " is not \"source\", \"covers\" or a date "
                                                 "written YYYY-MM-DD"));
    }
    absl::StatusOr<absl::CivilDay> day = ParseDate(line_number, words[0]);
    if (!day.ok()) return day.status();
    if (*day < absl::CivilDay(kMinCalendarYear, 1, 1) ||
        *day > absl::CivilDay(kMaxCalendarYear, 12, 31)) {
      return LineError(line_number, absl::StrCat(words[0], " is not in the years ",
                                                 kMinCalendarYear, " to ", kMaxCalendarYear));
    }
    if (words.size() < 2) {
      return LineError(line_number, absl::StrCat(words[0], " has no kind (write \"", words[0],
                                                 " holiday NAME\" or \"", words[0],
                                                 " workday NAME\")"));
    }
    v1::DeclaredDay declared;
    if (words[1] == "holiday") {
      declared.set_kind(v1::DAY_KIND_HOLIDAY);
    } else if (words[1] == "workday") {
      declared.set_kind(v1::DAY_KIND_WORKING_DAY);
    } else {
      return LineError(line_number, absl::StrCat(Shown(words[1]),
                                                 " is not a kind of day (write \"holiday\" or "
                                                 "\"workday\")"));
    }
    declared.set_name(absl::StrJoin(words.begin() + 2, words.end(), " "));
    *declared.mutable_date() = LocalDateOf(*day);
    v1::CalendarDaysDeclared probe;
    probe.set_source("probe");
    *probe.add_days() = declared;
    absl::Status status = CheckCalendarDeclaration(probe);
    if (!status.ok()) return LineError(line_number, status.message());
    auto [it, inserted] = days_.try_emplace(*day, ParsedDay{std::move(declared), line_number});
    if (!inserted) {
      return LineError(line_number, absl::StrCat(words[0], " is already declared on line ",
                                                 it->second.line_number));
    }
    return absl::OkStatus();
  }

  std::string source_;
  int source_line_ = 0;
  int covers_year_ = 0;
  int covers_line_ = 0;
  absl::btree_map<absl::CivilDay, ParsedDay> days_;
};

}  // namespace

absl::StatusOr<v1::CalendarDaysDeclared> ParseCalendarFile(absl::string_view text) {
  if (static_cast<int64_t>(text.size()) > kMaxCalendarFileBytes) {
    return FileError(absl::StrCat(text.size(), " bytes, more than the limit of ",
                                  kMaxCalendarFileBytes));
  }
  if (text.find('\0') != absl::string_view::npos) return FileError("it holds a NUL byte");
  // Editors on Windows start a UTF-8 file with a byte order mark; the
  // purchase importer skips it too.
  constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (absl::StartsWith(text, kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  Parser parser;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::Status status = parser.Line(line_number, line);
    if (!status.ok()) return status;
  }
  return parser.Finish();
}

}  // namespace loyalty::projections
