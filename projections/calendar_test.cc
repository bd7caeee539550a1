#include "projections/calendar.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "projections/calendar_file.h"
#include "projections/complaint_deciders.h"
#include "projections/local_time.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::AnomalyRules;
using testing::At;
using testing::EndOf;
using testing::OfficialCalendarText;
using testing::TestWorld;

WorkingCalendar Official(std::initializer_list<int> years) {
  WorkingCalendar calendar;
  for (int year : years) {
    absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(OfficialCalendarText(year));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    calendar.Declare(*parsed);
  }
  return calendar;
}

v1::CalendarDaysDeclared Declaration(const std::string& text) {
  absl::StatusOr<v1::CalendarDaysDeclared> parsed = ParseCalendarFile(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : v1::CalendarDaysDeclared();
}

TEST(WorkingCalendarTest, WorksMondayToFridayByDefault) {
  WorkingCalendar calendar;
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2024, 3, 4)));    // Monday
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2024, 3, 8)));    // Friday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 3, 9)));   // Saturday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 3, 10)));  // Sunday
  EXPECT_FALSE(calendar.Covers(2024));
}

// The brief's example: filed on Friday 2024-02-09; the Spring Festival
// holiday is 10-17 February and Sunday 18 February is a make-up working day:
// the working days after are 18, 19 and 20 February.
TEST(WorkingCalendarTest, TheSpringFestivalOf2024IsSkippedAndItsMakeUpDaysCount) {
  const WorkingCalendar calendar = Official({2024});
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 2, 9), 1), absl::CivilDay(2024, 2, 18));
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 2, 9), 3), absl::CivilDay(2024, 2, 20));
  EXPECT_EQ(*calendar.DeadlineAfter(At(2024, 2, 9, 16, 30), 3), EndOf(2024, 2, 20));
  EXPECT_EQ(LocalSecondOf(*calendar.DeadlineAfter(At(2024, 2, 9), 3)),
            absl::CivilSecond(2024, 2, 20, 23, 59, 59));
  // The day counted from is not counted, even when it is a working day; on
  // a weekend or a holiday the count starts the same way.
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 2, 12), 3),
            absl::CivilDay(2024, 2, 20));  // a holiday
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 2, 3), 3),
            absl::CivilDay(2024, 2, 6));  // a Saturday: Sunday 4 February is a make-up day
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 2, 18), 3),
            absl::CivilDay(2024, 2, 21));  // a make-up working day
}

TEST(WorkingCalendarTest, NationalAndLabourDayAreSkippedAndTheirMakeUpDaysCount) {
  const WorkingCalendar calendar = Official({2024, 2025});
  // National Day 2024: 1-7 October off; Sunday 29 September and Saturday
  // 12 October are working days.
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 9, 27), 3),
            absl::CivilDay(2024, 10, 8));  // 29 Sep, 30 Sep, 8 Oct
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 9, 29), 5),
            absl::CivilDay(2024, 10, 11));  // 30 Sep, 8, 9, 10, 11 Oct
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 10, 11), 5),
            absl::CivilDay(2024, 10, 17));  // 12 (Saturday), 14, 15, 16, 17 Oct
  // Labour Day 2024: 1-5 May off; Sunday 28 April and Saturday 11 May work.
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 4, 26), 3),
            absl::CivilDay(2024, 4, 30));  // 28, 29, 30 April
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 4, 30), 3),
            absl::CivilDay(2024, 5, 8));  // 6, 7, 8 May
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2024, 5, 7), 5),
            absl::CivilDay(2024, 5, 13));  // 8, 9, 10, 11 (Saturday), 13 May
  // Labour Day 2025: 1-5 May off; Sunday 27 April works.
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2025, 4, 25), 3),
            absl::CivilDay(2025, 4, 29));
  // Spring Festival 2025: 28 January - 4 February; Saturday 8 February works.
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2025, 1, 27), 3),
            absl::CivilDay(2025, 2, 7));
  EXPECT_EQ(*calendar.NthWorkingDayAfter(absl::CivilDay(2025, 2, 7), 3),
            absl::CivilDay(2025, 2, 11));
}

TEST(WorkingCalendarTest, TheLocalDayOfTheInstantCounts) {
  const WorkingCalendar calendar = Official({2024});
  // 23:59:59 on Thursday 7 March and 00:00 on Friday 8 March, local time.
  EXPECT_EQ(*calendar.DeadlineAfter(At(2024, 3, 7, 23, 59, 59), 3), EndOf(2024, 3, 12));
  EXPECT_EQ(*calendar.DeadlineAfter(At(2024, 3, 8, 0, 0, 0), 3), EndOf(2024, 3, 13));
  // 16:00 UTC on 7 March is already 8 March in Shanghai.
  const int64_t utc_16h = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2024, 3, 7, 16, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(*calendar.DeadlineAfter(utc_16h, 3), EndOf(2024, 3, 13));
}

TEST(WorkingCalendarTest, ADeadlineBeyondTheLoadedYearsIsAnError) {
  const WorkingCalendar calendar = Official({2025});
  absl::StatusOr<int64_t> deadline = calendar.DeadlineAfter(At(2025, 12, 31), 3);
  EXPECT_EQ(deadline.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(deadline.status().message().find("no holiday schedule is loaded for 2026"),
            std::string::npos)
      << deadline.status();
  // Within the year it is fine; a year before the first one loaded is an
  // error too.
  EXPECT_EQ(*calendar.DeadlineAfter(At(2025, 12, 25), 3), EndOf(2025, 12, 30));
  EXPECT_NE(calendar.DeadlineAfter(At(2024, 12, 20), 3).status().message().find("2024"),
            std::string::npos);
  // Across New Year with both years: 1-3 January 2026 off, Sunday 4 works.
  const WorkingCalendar both = Official({2025, 2026});
  EXPECT_EQ(*both.DeadlineAfter(At(2025, 12, 31), 3), EndOf(2026, 1, 6));
  // The last day of the last year loaded, and the count runs out of it.
  absl::StatusOr<int64_t> late = both.DeadlineAfter(At(2026, 12, 29), 3);
  EXPECT_NE(late.status().message().find("no holiday schedule is loaded for 2027"),
            std::string::npos)
      << late.status();
  EXPECT_EQ(both.CountWorkingDays(absl::CivilDay(2026, 12, 29), 3).missing_year, 2027);
  EXPECT_EQ(*both.DeadlineAfter(At(2026, 12, 28), 3), EndOf(2026, 12, 31));
}

TEST(WorkingCalendarTest, RejectsACountOutOfRange) {
  const WorkingCalendar calendar = Official({2024});
  EXPECT_EQ(calendar.DeadlineAfter(At(2024, 3, 1), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calendar.DeadlineAfter(At(2024, 3, 1), -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkingCalendarTest, ALaterDeclarationOfADayWins) {
  WorkingCalendar calendar = Official({2024});
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 10, 3)));
  calendar.Declare(Declaration(
      "source mall\ncovers none\n2024-10-03 workday Open for the sale\n2024-03-05 holiday Stocktake\n"));
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2024, 10, 3)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 3, 5)));
  EXPECT_EQ(calendar.FindDay(absl::CivilDay(2024, 10, 3))->source, "mall");
  EXPECT_EQ(calendar.covered_years().at(2024), "cn-official-2024");
  // Reloading the official schedule declares its days again.
  EXPECT_FALSE(calendar.WouldChangeNothing(Declaration(OfficialCalendarText(2024))));
  calendar.Declare(Declaration(OfficialCalendarText(2024)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 10, 3)));
  EXPECT_TRUE(calendar.WouldChangeNothing(Declaration(OfficialCalendarText(2024))));
  EXPECT_EQ(calendar.declarations_applied(), 3u);
}

TEST(CheckCalendarDeclarationTest, RejectsWhatTheLogCannotHold) {
  v1::CalendarDaysDeclared declaration = Declaration("source s\ncovers 2024\n2024-01-01 holiday\n");
  ASSERT_TRUE(CheckCalendarDeclaration(declaration).ok());
  v1::CalendarDaysDeclared bad = declaration;
  bad.mutable_days(0)->set_kind(v1::DAY_KIND_UNSPECIFIED);
  EXPECT_EQ(CheckCalendarDeclaration(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = declaration;
  bad.mutable_days(0)->mutable_date()->set_day(32);
  EXPECT_NE(CheckCalendarDeclaration(bad).message().find("not a calendar date"), std::string::npos);
  bad = declaration;
  *bad.add_days() = declaration.days(0);
  EXPECT_NE(CheckCalendarDeclaration(bad).message().find("declared twice"), std::string::npos);
  bad = declaration;
  bad.set_source("");
  EXPECT_NE(CheckCalendarDeclaration(bad).message().find("source"), std::string::npos);
  bad = declaration;
  bad.set_covers_year(99);
  EXPECT_NE(CheckCalendarDeclaration(bad).message().find("covers_year"), std::string::npos);
}

TEST(CalendarProjectionTest, AppliesDeclarationsAndRestores) {
  TestWorld world;
  ASSERT_TRUE(world.LoadOfficialCalendar(2024, At(2023, 11, 1)).ok());
  ASSERT_TRUE(world.LoadOfficialCalendar(2025, At(2024, 11, 13)).ok());
  ASSERT_EQ(world.log.size(), 2u);
  EXPECT_EQ(world.log[0].stream_id(), "calendar");
  EXPECT_EQ(world.log[0].idempotency_key().rfind("calendar/cn-official-2024/2024/", 0), 0u)
      << world.log[0].idempotency_key();
  EXPECT_TRUE(world.log[0].idempotency_key().ends_with("/1"));
  EXPECT_TRUE(world.log[1].idempotency_key().ends_with("/2"));
  EXPECT_TRUE(world.calendar.calendar().Covers(2024));
  EXPECT_TRUE(world.calendar.calendar().Covers(2025));
  EXPECT_FALSE(world.calendar.IsWorkingDay(absl::CivilDay(2025, 1, 28)));
  EXPECT_EQ(*world.calendar.DeadlineAfter(At(2024, 2, 9), 3), EndOf(2024, 2, 20));

  CalendarProjection restored;
  ASSERT_TRUE(restored.Restore(world.calendar.CanonicalState()).ok());
  EXPECT_EQ(restored.CanonicalState(), world.calendar.CanonicalState());
  EXPECT_EQ(*restored.DeadlineAfter(At(2024, 2, 9), 3), EndOf(2024, 2, 20));

  // Loading a schedule again changes nothing: AlreadyExists.
  DeclareCalendarDays again;
  again.declaration = Declaration(OfficialCalendarText(2024));
  again.occurred_at_us = At(2024, 1, 5);
  again.actor_id = "ops";
  EXPECT_EQ(DecideDeclareCalendarDays(world.calendar.calendar(), again).status().code(),
            absl::StatusCode::kAlreadyExists);
  again.actor_id = "";
  EXPECT_EQ(DecideDeclareCalendarDays(world.calendar.calendar(), again).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CalendarProjectionTest, AnInvalidDeclarationDeclaresNothingAndIsRecorded) {
  CalendarProjection calendar;
  v1::Envelope envelope;
  envelope.set_sequence(1);
  envelope.set_stream_id("calendar");
  envelope.set_occurred_at_us(At(2024, 1, 1));
  v1::CalendarDaysDeclared& declared = *envelope.mutable_event()->mutable_calendar_days_declared();
  declared.set_source("s");
  v1::DeclaredDay& day = *declared.add_days();
  day.mutable_date()->set_year(2024);
  day.mutable_date()->set_month(2);
  day.mutable_date()->set_day(30);
  day.set_kind(v1::DAY_KIND_HOLIDAY);
  ASSERT_TRUE(calendar.Apply(envelope).ok());
  EXPECT_TRUE(calendar.calendar().days().empty());
  EXPECT_EQ(calendar.calendar().declarations_applied(), 0u);
  EXPECT_EQ(calendar.last_sequence(), 1u);
  ASSERT_EQ(calendar.anomalies().kept().size(), 1u);
  const Anomaly& anomaly = calendar.anomalies().kept()[0];
  EXPECT_EQ(anomaly.rule, "invalid_calendar");
  EXPECT_EQ(anomaly.sequence, 1u);
  EXPECT_EQ(anomaly.stream_id, "calendar");
  EXPECT_NE(anomaly.message.find("2024-2-30 is not a calendar date"), std::string::npos)
      << anomaly.message;

  // A valid declaration off the calendar's stream declares nothing either:
  // a complaint's replay reads the stream "calendar" only.
  envelope.set_sequence(2);
  envelope.set_stream_id("complaint-C1");
  day.mutable_date()->set_day(29);
  *envelope.mutable_event()->mutable_calendar_days_declared()->mutable_days(0) = day;
  ASSERT_TRUE(calendar.Apply(envelope).ok());
  EXPECT_TRUE(calendar.calendar().days().empty());
  EXPECT_EQ(AnomalyRules(calendar),
            (std::vector<std::string>{"invalid_calendar", "stream_mismatch"}));

  CalendarProjection restored;
  ASSERT_TRUE(restored.Restore(calendar.CanonicalState()).ok());
  EXPECT_EQ(restored.anomalies().kept(), calendar.anomalies().kept());
  EXPECT_EQ(restored.CanonicalState(), calendar.CanonicalState());
}

TEST(CalendarProjectionTest, RestoreRejectsAnUnsortedCalendar) {
  state::CalendarState state;
  state.mutable_header()->set_projection("calendar");
  state.mutable_header()->set_format_version(kStateFormatVersion);
  for (int day : {5, 4}) {
    state::CalendarDay& entry = *state.mutable_calendar()->add_days();
    entry.mutable_date()->set_year(2024);
    entry.mutable_date()->set_month(1);
    entry.mutable_date()->set_day(day);
    entry.set_kind(v1::DAY_KIND_HOLIDAY);
  }
  CalendarProjection calendar;
  EXPECT_EQ(calendar.Restore(state.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace loyalty::projections
