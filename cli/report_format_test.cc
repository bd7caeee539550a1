#include "cli/report_format.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

TEST(FormatFenAsYuanTest, ShowsTwoDecimalsExactlyAtAnyMagnitude) {
  EXPECT_EQ(FormatFenAsYuan(0), "0.00");
  EXPECT_EQ(FormatFenAsYuan(5), "0.05");
  EXPECT_EQ(FormatFenAsYuan(50), "0.50");
  EXPECT_EQ(FormatFenAsYuan(100), "1.00");
  EXPECT_EQ(FormatFenAsYuan(123456), "1234.56");
  EXPECT_EQ(FormatFenAsYuan(-5), "-0.05");
  EXPECT_EQ(FormatFenAsYuan(-123456), "-1234.56");
  // Where a double would round: 2^53 + 1 fen.
  EXPECT_EQ(FormatFenAsYuan(9007199254740993), "90071992547409.93");
  EXPECT_EQ(FormatFenAsYuan(kInt64Max), "92233720368547758.07");
  EXPECT_EQ(FormatFenAsYuan(kInt64Min), "-92233720368547758.08");
}

TEST(FormatBasisPointsAsPercentTest, ShowsTwoDecimalsAndASign) {
  EXPECT_EQ(FormatBasisPointsAsPercent(0), "0.00%");
  EXPECT_EQ(FormatBasisPointsAsPercent(1), "0.01%");
  EXPECT_EQ(FormatBasisPointsAsPercent(405), "4.05%");
  EXPECT_EQ(FormatBasisPointsAsPercent(1234), "12.34%");
  EXPECT_EQ(FormatBasisPointsAsPercent(10000), "100.00%");
  EXPECT_EQ(FormatBasisPointsAsPercent(-250), "-2.50%");
}

TEST(FormatLocalTimeUsTest, WritesRfc3339AtUtcPlusEight) {
  // 2024-01-01T00:00:00Z.
  EXPECT_EQ(FormatLocalTimeUs(1704067200LL * 1000000), "2024-01-01T08:00:00.000000+08:00");
  EXPECT_EQ(FormatLocalTimeUs(1704067200LL * 1000000 - 1), "2024-01-01T07:59:59.999999+08:00");
  EXPECT_EQ(FormatLocalTimeUs(0), "1970-01-01T08:00:00.000000+08:00");
}

TEST(EnumNameTest, EnumsHaveShortLowerCaseNamesAndUnknownValuesTheirNumber) {
  EXPECT_EQ(TierName(v1::TIER_REGULAR), "regular");
  EXPECT_EQ(TierName(v1::TIER_PLATINUM), "platinum");
  EXPECT_EQ(TierName(v1::TIER_UNSPECIFIED), "unspecified");
  EXPECT_EQ(TierName(static_cast<v1::Tier>(42)), "unknown(42)");
  EXPECT_EQ(GrantReasonName(v1::GRANT_REASON_PURCHASE), "purchase");
  EXPECT_EQ(GrantReasonName(v1::GRANT_REASON_BIRTHDAY), "birthday");
  EXPECT_EQ(GrantReasonName(static_cast<v1::GrantReason>(-1)), "unknown(-1)");
  EXPECT_EQ(ChannelName(v1::CHANNEL_PHONE), "phone");
  EXPECT_EQ(ChannelName(v1::CHANNEL_UNSPECIFIED), "unspecified");
  EXPECT_EQ(ComplaintStateName(ComplaintState::kCustomerNotified), "customer notified");
  EXPECT_EQ(ComplaintStateName(ComplaintState::kReopened), "reopened");
  EXPECT_EQ(SlaClockKindName(SlaClockKind::kNotification), "notification");
  EXPECT_EQ(SlaClockStatusName(SlaClockStatus::kDueUnknown), "due unknown");
  EXPECT_EQ(SlaClockStatusName(SlaClockStatus::kBreached), "breached");
}

TEST(FormatHundredthsTest, ShowsTwoDecimals) {
  EXPECT_EQ(FormatHundredths(450), "4.50");
  EXPECT_EQ(FormatHundredths(100), "1.00");
  EXPECT_EQ(FormatHundredths(7), "0.07");
  EXPECT_EQ(FormatHundredths(-5), "-0.05");
}

TEST(LocalWeekdayNameTest, NamesTheWeekdayInTheMallsTimeZone) {
  // 2024-02-09T23:30:00Z is Saturday 10 February at UTC+8.
  EXPECT_EQ(LocalWeekdayName(1707521400LL * 1000000), "Saturday");
  EXPECT_EQ(LocalWeekdayName(1707444000LL * 1000000), "Friday");
}

TEST(TextTableTest, AlignsColumnsWithoutTrailingSpaces) {
  using Align = TextTable::Align;
  TextTable table({Align::kLeft, Align::kRight, Align::kLeft}, "  ");
  table.AddRow({"NAME", "POINTS", "NOTE"});
  table.AddRow({"a", "5", ""});
  table.AddRow({"longer", "12345", "x"});
  EXPECT_EQ(table.Render(),
            "  NAME    POINTS  NOTE\n"
            "  a            5\n"
            "  longer   12345  x\n");
  EXPECT_EQ(TextTable({Align::kLeft}).Render(), "");
}

// A store named in Chinese lines up with the others on a terminal, where
// each of its characters takes two columns.
TEST(TextTableTest, AlignsChineseByTheColumnsItTakes) {
  using Align = TextTable::Align;
  TextTable table({Align::kLeft, Align::kRight});
  table.AddRow({"PARTNER", "NET CNY"});
  table.AddRow({"万达店", "100.00"});
  table.AddRow({"store-7", "5.00"});
  table.AddRow({"万达广场店", "1.00"});
  EXPECT_EQ(table.Render(),
            "PARTNER     NET CNY\n"
            "万达店       100.00\n"
            "store-7        5.00\n"
            "万达广场店     1.00\n");
}

TEST(JsonQuoteTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("M1"), "\"M1\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("a\nb\tc\r"), "\"a\\nb\\tc\\r\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(JsonQuote("会员"), "\"会员\"");
}

TEST(JsonObjectTest, WritesTheKeysInOrderAsValidJson) {
  const std::string json = JsonObject()
                               .Int("points", -7)
                               .Uint("sequence", 18446744073709551615u)
                               .Bool("erased", false)
                               .String("id", "a\"b")
                               .Raw("lots", JsonArray(std::vector<std::string>{"1", "{}"}))
                               .Instant("at", 0)
                               .Instant("until", 0, /*none_when_zero=*/true)
                               .Build();
  EXPECT_EQ(json,
            "{\"points\":-7,\"sequence\":18446744073709551615,\"erased\":false,"
            "\"id\":\"a\\\"b\",\"lots\":[1,{}],\"at\":\"1970-01-01T08:00:00.000000+08:00\","
            "\"at_us\":0,\"until\":null,\"until_us\":0}");
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(JsonObject().Build(), "{}");
  EXPECT_EQ(JsonArray({}), "[]");
}

}  // namespace
}  // namespace loyalty::cli
