#include "projections/calendar_file.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "projections/calendar.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::OfficialCalendarText;

// Expects ParseCalendarFile(text) to fail with InvalidArgument mentioning
// every one of `parts`.
void ExpectParseError(const std::string& text, const std::vector<std::string>& parts) {
  absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(text);
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& part : parts) {
    EXPECT_NE(parsed.status().message().find(part), std::string::npos)
        << "\"" << part << "\" not in: " << parsed.status();
  }
}

absl::CivilDay DayOf(const v1::DeclaredDay& declared) {
  return absl::CivilDay(declared.date().year(), declared.date().month(), declared.date().day());
}

TEST(CalendarFileTest, ParsesTheDocumentedFormat) {
  const std::string text =
      "# A comment line\n"
      "source cn-official-2024   # a trailing comment\n"
      "\n"
      "covers 2024\r\n"
      "2024-02-10 holiday Spring Festival\n"
      "  2024-02-04\tworkday   Spring  Festival make-up working day  \n"
      "2024-01-01 holiday\n";
  absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->source(), "cn-official-2024");
  EXPECT_EQ(parsed->covers_year(), 2024);
  ASSERT_EQ(parsed->days_size(), 3);
  // Sorted by date, whatever the order of the lines.
  EXPECT_EQ(DayOf(parsed->days(0)), absl::CivilDay(2024, 1, 1));
  EXPECT_EQ(parsed->days(0).kind(), v1::DAY_KIND_HOLIDAY);
  EXPECT_EQ(parsed->days(0).name(), "");
  EXPECT_EQ(DayOf(parsed->days(1)), absl::CivilDay(2024, 2, 4));
  EXPECT_EQ(parsed->days(1).kind(), v1::DAY_KIND_WORKING_DAY);
  EXPECT_EQ(parsed->days(1).name(), "Spring Festival make-up working day");
  EXPECT_EQ(DayOf(parsed->days(2)), absl::CivilDay(2024, 2, 10));
  EXPECT_EQ(parsed->days(2).name(), "Spring Festival");
  EXPECT_TRUE(CheckCalendarDeclaration(*parsed).ok());
}

TEST(CalendarFileTest, CoversNoneIsAPartialList) {
  absl::StatusOr<v1::CalendarDaysDeclared> parsed =
      ParseCalendarFile("source mall\ncovers none\n2031-06-01 holiday Mall anniversary\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->covers_year(), 0);
  EXPECT_EQ(parsed->days_size(), 1);
}

TEST(CalendarFileTest, NamesTheLineOfEachError) {
  const std::string head = "source s\ncovers 2024\n";  // lines 1 and 2
  ExpectParseError(head + "2024-02-30 holiday X\n", {"line 3", "\"2024-02-30\"", "not a calendar date"});
  ExpectParseError(head + "\n2024-2-10 holiday X\n", {"line 4", "\"2024-2-10\"", "YYYY-MM-DD"});
  ExpectParseError(head + "2024-02-10 vacation X\n", {"line 3", "\"vacation\"", "holiday", "workday"});
  ExpectParseError(head + "2024-02-10\n", {"line 3", "has no kind"});
  ExpectParseError(head + "2024-02-10 holiday A\n2024-02-10 workday B\n",
                   {"line 4", "2024-02-10 is already declared on line 3"});
  ExpectParseError(head + "holiday 2024-02-10\n", {"line 3", "\"holiday\"", "source", "covers"});
  ExpectParseError(head + "source t\n", {"line 3", "a second \"source\" line (the first is line 1)"});
  ExpectParseError(head + "covers 2025\n", {"line 3", "a second \"covers\" line (the first is line 2)"});
  ExpectParseError("source s\ncovers 24\n", {"line 2", "\"24\" is not a year"});
  ExpectParseError("source s\ncovers 1900\n", {"line 2", "not in [1970, 2999]"});
  ExpectParseError("source s t\ncovers 2024\n", {"line 1", "source NAME"});
  ExpectParseError("source cn/2024\ncovers 2024\n", {"line 1", "source", "letters, digits"});
  ExpectParseError("covers 2024\n2024-01-01 holiday X\n", {"calendar file: no \"source\" line"});
  ExpectParseError("source s\n2024-01-01 holiday X\n", {"calendar file: no \"covers\" line"});
  ExpectParseError(head + "2024-01-01 holiday " + std::string(129, 'x') + "\n",
                   {"line 3", "more than the limit of 128"});
  ExpectParseError(head + "2024-01-01 holiday bad\x01name\n", {"line 3", "control characters"});
  ExpectParseError(head + "2024-01-01 holiday bad\xff\n", {"line 3", "UTF-8"});
  // A schedule may reach into the years next to it, no further.
  ExpectParseError(head + "2023-12-31 holiday ok\n2026-01-01 holiday X\n",
                   {"line 4", "2026-01-01 is too far from the year 2024"});
  ExpectParseError(std::string("source s\0x\ncovers 2024\n", 21), {"NUL"});
  ExpectParseError(std::string(kMaxCalendarFileBytes + 1, '#'), {"more than the limit"});
}

// A file saved by an editor that starts UTF-8 with a byte order mark reads
// as the same file without it; Chinese day names stay as written, and a
// Chinese word in an error is shown as it is, not as escaped bytes.
TEST(CalendarFileTest, AcceptsAByteOrderMarkAndShowsChineseAsItIs) {
  const std::string text = "source mall\ncovers none\n2031-02-10 holiday 春节\n";
  absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile("\xEF\xBB\xBF" + text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<v1::CalendarDaysDeclared> without = ParseCalendarFile(text);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(parsed->SerializeAsString(), without->SerializeAsString());
  EXPECT_EQ(parsed->days(0).name(), "春节");
  // Only at the start: elsewhere it is a word like any other.
  ExpectParseError("source mall\ncovers none\n\xEF\xBB\xBF" "2031-02-10 holiday X\n", {"line 3"});
  ExpectParseError("source mall\ncovers none\n2031-02-10 假日 X\n",
                   {"line 3", "\"假日\" is not a kind of day"});
}

TEST(CalendarFileTest, LimitsTheDaysOfOneFile) {
  std::string text = "source mall\ncovers none\n";
  absl::CivilDay day(2030, 1, 1);
  for (int i = 0; i <= kMaxDeclaredDaysPerDeclaration; ++i, ++day) {
    absl::StrAppend(&text, absl::FormatCivilTime(day), " holiday\n");
  }
  ExpectParseError(text, {"1001 days, more than the limit of 1000"});
}

// Every shipped schedule: it parses, it covers its own year, its make-up
// working days are weekend days, its holidays are not make-up days, and it
// declares every one of the year's seven festivals.
TEST(OfficialCalendarTest, EveryShippedFileParsesAndCoversItsYear) {
  for (int year = 2020; year <= 2026; ++year) {
    SCOPED_TRACE(year);
    absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(OfficialCalendarText(year));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->source(), absl::StrCat("cn-official-", year));
    EXPECT_EQ(parsed->covers_year(), year);
    int holidays = 0;
    for (const v1::DeclaredDay& declared : parsed->days()) {
      const absl::CivilDay day = DayOf(declared);
      const absl::Weekday weekday = absl::GetWeekday(day);
      const bool weekend = weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
      if (declared.kind() == v1::DAY_KIND_WORKING_DAY) {
        EXPECT_TRUE(weekend) << absl::FormatCivilTime(day) << " is a make-up day on a weekday";
        EXPECT_EQ(day.year(), year);
      } else {
        ++holidays;
      }
    }
    for (const char* festival : {"New Year's Day", "Spring Festival", "Qingming Festival",
                                 "Labour Day", "Dragon Boat Festival", "Mid-Autumn Festival",
                                 "National Day"}) {
      bool found = false;
      for (const v1::DeclaredDay& declared : parsed->days()) {
        found = found || declared.name().find(festival) != std::string::npos;
      }
      EXPECT_TRUE(found) << festival;
    }
    EXPECT_GE(holidays, 25);
    EXPECT_LE(holidays, 40);
  }
}

// Spot checks against the State Council's notices, one table per year:
// the days named, what they are, and two ordinary days for contrast.
TEST(OfficialCalendarTest, EachYearDeclaresItsKnownHolidaysAndMakeUpDays) {
  struct Known {
    int year, month, day;
    bool working;
  };
  const std::vector<std::pair<int, std::vector<Known>>> years = {
      {2020,
       {{2020, 1, 19, true},   // Sunday, Spring Festival make-up
        {2020, 1, 24, false},  // New Year's Eve
        {2020, 1, 31, false},  // extended for COVID-19
        {2020, 2, 1, false},   // Saturday: its make-up duty was cancelled
        {2020, 2, 3, true},
        {2020, 5, 9, true},    // Saturday, Labour Day make-up
        {2020, 6, 28, true},   // Sunday, Dragon Boat make-up
        {2020, 10, 8, false},
        {2020, 10, 10, true}}},
      {2021,
       {{2021, 2, 7, true},
        {2021, 2, 11, false},
        {2021, 2, 20, true},
        {2021, 9, 18, true},   // Saturday, Mid-Autumn make-up
        {2021, 9, 21, false},
        {2021, 9, 26, true},
        {2021, 10, 9, true}}},
      {2022,
       {{2022, 1, 29, true},
        {2022, 1, 30, true},
        {2022, 1, 31, false},
        {2022, 4, 2, true},    // Saturday, Qingming make-up
        {2022, 4, 5, false},
        {2022, 10, 8, true},
        {2022, 10, 9, true}}},
      {2023,
       {{2023, 1, 2, false},
        {2023, 1, 28, true},
        {2023, 4, 5, false},   // Qingming, a Wednesday
        {2023, 6, 25, true},
        {2023, 9, 29, false},
        {2023, 10, 7, true},
        {2023, 10, 9, true}}},
      {2024,
       {{2024, 2, 4, true},
        {2024, 2, 9, true},    // New Year's Eve, not a holiday in 2024
        {2024, 2, 10, false},
        {2024, 2, 17, false},
        {2024, 2, 18, true},
        {2024, 4, 7, true},
        {2024, 4, 28, true},
        {2024, 5, 11, true},
        {2024, 6, 10, false},
        {2024, 9, 14, true},
        {2024, 9, 29, true},
        {2024, 10, 7, false},
        {2024, 10, 12, true}}},
      {2025,
       {{2025, 1, 1, false},
        {2025, 1, 26, true},
        {2025, 1, 28, false},  // New Year's Eve, a holiday from 2025
        {2025, 2, 4, false},
        {2025, 2, 8, true},
        {2025, 4, 27, true},
        {2025, 5, 5, false},
        {2025, 6, 2, false},
        {2025, 9, 28, true},
        {2025, 10, 8, false},
        {2025, 10, 11, true}}},
      {2026,
       {{2026, 1, 2, false},
        {2026, 1, 4, true},
        {2026, 2, 14, true},
        {2026, 2, 15, false},
        {2026, 2, 23, false},
        {2026, 2, 28, true},
        {2026, 4, 6, false},
        {2026, 5, 5, false},
        {2026, 5, 9, true},
        {2026, 6, 19, false},
        {2026, 9, 20, true},
        {2026, 9, 25, false},
        {2026, 10, 7, false},
        {2026, 10, 10, true},
        {2026, 10, 12, true}}},
  };
  for (const auto& [year, days] : years) {
    absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(OfficialCalendarText(year));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    WorkingCalendar calendar;
    calendar.Declare(*parsed);
    EXPECT_TRUE(calendar.Covers(year));
    EXPECT_FALSE(calendar.Covers(year + 1));
    for (const Known& known : days) {
      const absl::CivilDay day(known.year, known.month, known.day);
      EXPECT_EQ(calendar.IsWorkingDay(day), known.working) << absl::FormatCivilTime(day);
    }
  }
}

TEST(OfficialCalendarTest, EachYearHasTheWorkingDaysCountedByHand) {
  // Working days of the whole year, counted by hand from the notices:
  // weekdays, minus holidays on weekdays, plus make-up weekend days. 2020:
  // 262 - 19 + 6 (the COVID-19 extension took one weekday and one make-up
  // day); 2021: 261 - 18 + 7; 2022: 260 - 18 + 7; 2023: 260 - 18 + 7;
  // 2024: 262 - 19 + 8; 2025: 261 - 18 + 5; 2026: 261 - 19 + 6.
  const std::vector<std::pair<int, int>> expected = {
      {2020, 249}, {2021, 250}, {2022, 249}, {2023, 249},
      {2024, 251}, {2025, 248}, {2026, 248}};
  for (const auto& [year, working_days] : expected) {
    WorkingCalendar calendar;
    calendar.Declare(*ParseCalendarFile(OfficialCalendarText(year)));
    int count = 0;
    for (absl::CivilDay day(year, 1, 1); day.year() == year; ++day) {
      count += calendar.IsWorkingDay(day) ? 1 : 0;
    }
    EXPECT_EQ(count, working_days) << year;
  }
}

}  // namespace
}  // namespace loyalty::projections
