#include "cli/json_lines.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPurchase[] =
    R"({"stream_id":"member-M1","idempotency_key":"purchase/P1",)"
    R"("occurred_at_us":"1704067200000000","actor_id":"pos","event":{"purchase_recorded":{"purchase_id":"P1","member_id":"M1",)"
    R"("partner_id":"store-1","amount_fen":"1000","category":"apparel"}}})";

// The same event with lowerCamelCase JSON names and numbers as numbers.
constexpr char kPurchaseCamel[] =
    R"({"streamId":"member-M2","idempotencyKey":"purchase/P2","occurredAtUs":1704067200000000,)"
    R"("actorId":"pos","event":{"purchaseRecorded":{"purchaseId":"P2","memberId":"M2",)"
    R"("partnerId":"store-1","amountFen":250}}})";

TEST(ParseJsonLinesTest, ParsesBothFieldNameFormsAndCountsBlankLines) {
  const std::string input = std::string(kPurchase) + "\r\n\n   \n" + kPurchaseCamel;
  auto parsed = ParseJsonLines(input);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].line_number, 1u);
  EXPECT_EQ((*parsed)[0].envelope.event().purchase_recorded().amount_fen(), 1000);
  EXPECT_EQ((*parsed)[1].line_number, 4u);
  EXPECT_EQ((*parsed)[1].envelope.stream_id(), "member-M2");
  EXPECT_EQ((*parsed)[1].envelope.event().purchase_recorded().amount_fen(), 250);
}

TEST(ParseJsonLinesTest, EmptyInputHoldsNoEvents) {
  auto parsed = ParseJsonLines("\n\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(ParseJsonLinesTest, BadLineIsNamedOnOneLine) {
  const std::string input = std::string(kPurchase) + "\n\n{\"stream_id\": \n";
  auto parsed = ParseJsonLines(input);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), StartsWith("line 3: "));
  EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr("\n")));
}

TEST(ParseJsonLinesTest, UnknownFieldIsNamed) {
  auto parsed = ParseJsonLines(R"({"stream_id":"s","amount":3})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), StartsWith("line 1: "));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("amount"));
}

TEST(ParseJsonLinesTest, OverlongLineIsRejected) {
  const std::string input = "\n" + std::string(kMaxJsonLineBytes + 1, ' ') + "x";
  auto parsed = ParseJsonLines(input);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), StartsWith("line 2: is "));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("limit"));
}

TEST(AttributeToLineTest, EventIndexBecomesItsLine) {
  std::vector<NumberedEnvelope> batch(3);
  batch[0].line_number = 10;
  batch[1].line_number = 12;
  batch[2].line_number = 13;
  EXPECT_EQ(AttributeToLine("event 1: event.purchase_recorded.amount_fen: -7 must not be negative",
                            batch),
            "line 12: event.purchase_recorded.amount_fen: -7 must not be negative");
  EXPECT_EQ(AttributeToLine("batch: 1 of its 3 idempotency keys were appended before", batch),
            "line 10: batch: 1 of its 3 idempotency keys were appended before");
  // An index outside the batch is not trusted.
  EXPECT_EQ(AttributeToLine("event 7: x", batch), "line 10: event 7: x");
}

}  // namespace
}  // namespace loyalty::cli
