// The text format of calendar files (data/calendar/cn-YYYY.txt, a mall's own
// days), documented in docs/calendar.md:
//
//   # Mainland China: public holidays and make-up working days of 2024.
//   source cn-official-2024
//   covers 2024
//   2024-02-04 workday Spring Festival make-up working day
//   2024-02-10 holiday Spring Festival
//
// One item per line; '#' starts a comment that runs to the end of the line;
// blank lines are ignored; words are separated by spaces or tabs.
//  source NAME        required, once: the declaration's source (letters,
//                     digits, '.', '_', '-'; at most kMaxCalendarSourceBytes)
//  covers YYYY        required, once: the file is the complete schedule of
//                     YYYY; `covers none` for a partial list of days (a
//                     mall's own days), which covers no year
//  YYYY-MM-DD KIND [NAME...]
//                     one day; KIND is `holiday` (not a working day) or
//                     `workday` (a working day, e.g. a make-up Saturday);
//                     NAME, optional, is the rest of the line
// Pure: the caller reads the file; nothing here touches the file system.
#ifndef LOYALTY_PROJECTIONS_CALENDAR_FILE_H_
#define LOYALTY_PROJECTIONS_CALENDAR_FILE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/limits.h"
#include "loyalty/v1/calendar.pb.h"

namespace loyalty::projections {

// Parses the text of a calendar file into the payload of a
// CalendarDaysDeclared event: source, covers_year (0 for `covers none`) and
// the days sorted by date. The result passes CheckCalendarDeclaration
// (calendar.h).
// InvalidArgument for the first error, naming its line:
//   "calendar file line 7: \"2024-02-30\" is not a calendar date"
// or, for what concerns the whole file, "calendar file: no \"covers\" line
// (write \"covers YYYY\" or \"covers none\")". Lines end with "\n" or
// "\r\n"; a UTF-8 byte order mark at the start is skipped; the text must be
// UTF-8 without NUL bytes and at most kMaxCalendarFileBytes.
absl::StatusOr<v1::CalendarDaysDeclared> ParseCalendarFile(absl::string_view text);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_CALENDAR_FILE_H_
