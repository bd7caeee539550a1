#include "cli/as_of.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// 2024-06-30T16:00:00Z = 2024-07-01T00:00:00+08:00, in microseconds.
constexpr int64_t kJuly1LocalMidnightUs = 1719763200LL * 1000000;

TEST(ParseAsOfTimeUsTest, Rfc3339WithAnOffsetOrZ) {
  EXPECT_EQ(*ParseAsOfTimeUs("2024-07-01T00:00:00+08:00"), kJuly1LocalMidnightUs);
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30T16:00:00Z"), kJuly1LocalMidnightUs);
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30t16:00:00z"), kJuly1LocalMidnightUs);
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30T11:00:00-05:00"), kJuly1LocalMidnightUs);
  EXPECT_EQ(*ParseAsOfTimeUs("1970-01-01T00:00:00Z"), 0);
}

TEST(ParseAsOfTimeUsTest, FractionsKeepMicrosecondsAndDropTheRest) {
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30T16:00:00.5Z"), kJuly1LocalMidnightUs + 500000);
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30T16:00:00.000001Z"), kJuly1LocalMidnightUs + 1);
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30T16:00:00.0000019Z"), kJuly1LocalMidnightUs + 1);
}

TEST(ParseAsOfTimeUsTest, BareDateIsTheLastMicrosecondOfTheLocalDay) {
  // The end of 30 June at UTC+8 is one microsecond before local midnight.
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30"), kJuly1LocalMidnightUs - 1);
  EXPECT_EQ(*ParseAsOfTimeUs("2024-06-30"), *ParseAsOfTimeUs("2024-06-30T23:59:59.999999+08:00"));
  // A leap day, and the last day of a year.
  EXPECT_EQ(*ParseAsOfTimeUs("2024-02-29"), *ParseAsOfTimeUs("2024-02-29T15:59:59.999999Z"));
  EXPECT_EQ(*ParseAsOfTimeUs("2024-12-31"), *ParseAsOfTimeUs("2025-01-01T00:00:00+08:00") - 1);
}

TEST(ParseAsOfTimeUsTest, RejectsOtherShapes) {
  for (const char* text : {"",
                           "yesterday",
                           "2024-6-30",
                           "2024/06/30",
                           "20240630",
                           "2024-06-30 ",
                           " 2024-06-30",
                           "2024-06-30T12:00:00",
                           "2024-06-30 12:00:00Z",
                           "2024-06-30T12:00Z",
                           "2024-06-30T12:00:00+8",
                           "2024-06-30T12:00:00Zjunk",
                           "2024-02-30",
                           "2023-02-29",
                           "2024-13-01",
                           "2024-06-31",
                           "2024-06-30T24:00:01Z",
                           "infinite-future",
                           "infinite-past",
                           "1719763200"}) {
    absl::StatusOr<int64_t> parsed = ParseAsOfTimeUs(text);
    EXPECT_FALSE(parsed.ok()) << "\"" << text << "\" gave " << *parsed;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(absl::StrCat("\"", text, "\"")))
        << text;
  }
}

TEST(ParseLocalDateTest, AcceptsExactlyYearMonthDay) {
  absl::StatusOr<absl::CivilDay> day = ParseLocalDate("2024-02-29");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, absl::CivilDay(2024, 2, 29));
  for (const char* text : {"2023-02-29", "2024-2-29", "2024-02-29T00:00:00Z", "", "2024-00-10",
                           "2024-01-00", " 2024-01-01"}) {
    absl::StatusOr<absl::CivilDay> bad = ParseLocalDate(text);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(absl::StrCat("\"", text, "\"")))
        << text;
  }
}

class AsOfFlagsTest : public ::testing::Test {
 protected:
  AsOfFlagsTest() { AddAsOfFlags(flags_, &values_); }

  absl::StatusOr<AsOf> Parse(const std::vector<std::string>& args) {
    absl::StatusOr<std::vector<std::string>> positional = flags_.Parse(args);
    EXPECT_TRUE(positional.ok()) << positional.status();
    return AsOfFromFlags("tiers", flags_, values_);
  }

  FlagSet flags_;
  AsOfFlags values_;
};

TEST_F(AsOfFlagsTest, NeitherFlagIsNow) {
  absl::StatusOr<AsOf> as_of = Parse({});
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(as_of->kind(), AsOf::Kind::kNow);
}

TEST_F(AsOfFlagsTest, AtSequenceIncludingZero) {
  absl::StatusOr<AsOf> as_of = Parse({"--at-seq", "0"});
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(as_of->kind(), AsOf::Kind::kSequence);
  EXPECT_EQ(as_of->sequence(), 0u);
}

TEST_F(AsOfFlagsTest, AsOfIsBusinessTime) {
  absl::StatusOr<AsOf> as_of = Parse({"--as-of=2024-06-30"});
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(as_of->kind(), AsOf::Kind::kBusinessTime);
  EXPECT_EQ(as_of->instant_us(), kJuly1LocalMidnightUs - 1);
}

TEST_F(AsOfFlagsTest, KnownAtIsRecordedTime) {
  absl::StatusOr<AsOf> as_of = Parse({"--known-at", "2024-06-30"});
  ASSERT_TRUE(as_of.ok());
  EXPECT_EQ(as_of->kind(), AsOf::Kind::kRecordedTime);
  EXPECT_EQ(as_of->instant_us(), kJuly1LocalMidnightUs - 1);
}

TEST_F(AsOfFlagsTest, BadKnownAtNamesTheFlag) {
  absl::StatusOr<AsOf> as_of = Parse({"--known-at", "June"});
  EXPECT_EQ(as_of.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(as_of.status().message()),
              StartsWith("tiers: flag --known-at: \"June\""));
}

TEST_F(AsOfFlagsTest, BusinessAndRecordedTimeTogetherAreAUsageError) {
  absl::StatusOr<AsOf> as_of = Parse({"--as-of", "2024-06-30", "--known-at", "2024-06-30"});
  EXPECT_EQ(as_of.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(as_of.status().message()),
              StartsWith("tiers: flag --as-of and --known-at: give one of them, not two"));
}

TEST_F(AsOfFlagsTest, RecordedTimeAndSequenceTogetherAreAUsageError) {
  absl::StatusOr<AsOf> as_of = Parse({"--known-at", "2024-06-30", "--at-seq", "3"});
  EXPECT_EQ(as_of.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(as_of.status().message()),
              StartsWith("tiers: flag --known-at and --at-seq: give one of them, not two"));
}

TEST(AsOfAxisTest, NamesEveryAxis) {
  EXPECT_EQ(AsOfAxisName(AsOf::Kind::kNow), "now");
  EXPECT_EQ(AsOfAxisName(AsOf::Kind::kSequence), "by sequence");
  EXPECT_EQ(AsOfAxisName(AsOf::Kind::kBusinessTime), "business time");
  EXPECT_EQ(AsOfAxisName(AsOf::Kind::kRecordedTime), "recorded time");
}

TEST(AsOfAxisTest, EmptyStateNamesTheAxisAndPointsToTheOther) {
  AsOfFlags values;
  values.as_of_time = "2025-06-30";
  EXPECT_EQ(NothingByThenHint(AsOf::BusinessTime(kJuly1LocalMidnightUs), values, "no member"),
            "no member by 2024-07-01T00:00:00.000000+08:00 (business time: the events that "
            "occurred by then); --known-at 2025-06-30 reads recorded time (what the ledger "
            "knew then)");
  values.known_at_time = "2025-06-30";
  EXPECT_EQ(NothingByThenHint(AsOf::RecordedTime(kJuly1LocalMidnightUs), values, "nothing"),
            "nothing by 2024-07-01T00:00:00.000000+08:00 (recorded time: what the ledger knew "
            "then); --as-of 2025-06-30 reads business time (the events that occurred by then)");
}

TEST_F(AsOfFlagsTest, BadTimeNamesTheCommandTheFlagAndTheValue) {
  absl::StatusOr<AsOf> as_of = Parse({"--as-of", "2024-06-31"});
  EXPECT_EQ(as_of.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(as_of.status().message()),
              StartsWith("tiers: flag --as-of: \"2024-06-31\""));
}

TEST_F(AsOfFlagsTest, BothFlagsAreAUsageError) {
  absl::StatusOr<AsOf> as_of = Parse({"--as-of", "2024-06-30", "--at-seq", "3"});
  EXPECT_EQ(as_of.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(as_of.status().message()),
              StartsWith("tiers: flag --as-of and --at-seq: give one of them, not two"));
}

}  // namespace
}  // namespace loyalty::cli
