#include "cli/purchase_csv.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/limits.h"

namespace loyalty::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kHeader[] = "purchase_id,member_id,store_id,amount,occurred_at,refund_of\n";
// 2024-01-02T10:00:00+08:00 = 2024-01-02T02:00:00Z.
constexpr int64_t kJan2At10LocalUs = 1704160800LL * 1000000;

TEST(PurchaseCsvTest, ParsesPurchasesAndRefunds) {
  const std::string text = std::string(kHeader) +
                           "P1,M1,store-7,123.45,2024-01-02T10:00:00+08:00,\n"
                           "F1,,,23.4,2024-01-02T02:00:00.5Z,P1\n";
  absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(text);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_THAT(*rows, SizeIs(2));
  EXPECT_EQ((*rows)[0].line_number, 2u);
  EXPECT_EQ((*rows)[0].purchase_id, "P1");
  EXPECT_EQ((*rows)[0].member_id, "M1");
  EXPECT_EQ((*rows)[0].store_id, "store-7");
  EXPECT_EQ((*rows)[0].amount_fen, 12345);
  EXPECT_EQ((*rows)[0].occurred_at_us, kJan2At10LocalUs);
  EXPECT_EQ((*rows)[0].refund_of, "");
  EXPECT_EQ((*rows)[1].line_number, 3u);
  EXPECT_EQ((*rows)[1].amount_fen, 2340);
  EXPECT_EQ((*rows)[1].occurred_at_us, kJan2At10LocalUs + 500000);
  EXPECT_EQ((*rows)[1].refund_of, "P1");
}

TEST(PurchaseCsvTest, ColumnsInAnyOrderOptionalOnesMayBeAbsent) {
  absl::StatusOr<std::vector<PurchaseRow>> rows =
      ParsePurchaseCsv("amount,occurred_at,store_id,member_id,purchase_id,category\r\n"
                       "7,2024-01-02T10:00:00+08:00,S,M,P,shoes\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_THAT(*rows, SizeIs(1));
  EXPECT_EQ((*rows)[0].purchase_id, "P");
  EXPECT_EQ((*rows)[0].amount_fen, 700);
  EXPECT_EQ((*rows)[0].category, "shoes");
  EXPECT_EQ((*rows)[0].refund_of, "");
}

TEST(PurchaseCsvTest, QuotedFieldsFollowRfc4180) {
  const std::string text = std::string(kHeader) +
                           "\"P,1\",\"M \"\"one\"\"\",\"store\n7\",\"1.00\",2024-01-02T10:00:00+08:00,\n"
                           "P2,M2,S,2,2024-01-02T10:00:00+08:00,\"\"\n";
  absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(text);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_THAT(*rows, SizeIs(2));
  EXPECT_EQ((*rows)[0].purchase_id, "P,1");
  EXPECT_EQ((*rows)[0].member_id, "M \"one\"");
  EXPECT_EQ((*rows)[0].store_id, "store\n7");
  // The quoted newline moves the next row's line.
  EXPECT_EQ((*rows)[1].line_number, 4u);
  EXPECT_EQ((*rows)[1].refund_of, "");
}

TEST(PurchaseCsvTest, AByteOrderMarkBlankLinesAndNoFinalNewlineAreAccepted) {
  const std::string text = "\xEF\xBB\xBF" + std::string(kHeader) + "\n\r\n" +
                           "P1,M1,S,1,2024-01-02T10:00:00+08:00,";
  absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(text);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_THAT(*rows, SizeIs(1));
  EXPECT_EQ((*rows)[0].line_number, 4u);
}

TEST(PurchaseCsvTest, BadAmountNamesLineColumnAndValue) {
  for (const char* amount : {"12.345", "-1", "1,5", "abc", "", ".5", "5.", "1e3", " 1", "+1",
                             "1234567890123.00"}) {
    const std::string text = std::string(kHeader) + "P1,M1,S,1,2024-01-02T10:00:00+08:00,\n" +
                             "P2,M1,S,\"" + amount + "\",2024-01-02T10:00:00+08:00,\n";
    absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(text);
    ASSERT_FALSE(rows.ok()) << amount;
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rows.status().message(),
                HasSubstr(std::string("line 3: column amount: \"") + amount + "\""));
  }
}

// The engine takes 0.01 to 10,000,000,000.00 CNY; the row says so in CNY.
TEST(PurchaseCsvTest, AmountOutsideTheEnginesRangeIsNamedInCny) {
  for (const char* amount : {"0", "0.00", "10000000000.01", "999999999999.99"}) {
    absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(
        std::string(kHeader) + "P1,M1,S," + amount + ",2024-01-02T10:00:00+08:00,\n");
    ASSERT_FALSE(rows.ok()) << amount;
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(rows.status().message(),
              absl::StrCat("line 2: column amount: ", amount,
                           " CNY is not in [0.01, 10000000000.00]"));
  }
  for (const char* amount : {"0.01", "10000000000.00"}) {
    EXPECT_TRUE(ParsePurchaseCsv(std::string(kHeader) + "P1,M1,S," + amount +
                                 ",2024-01-02T10:00:00+08:00,\n")
                    .ok())
        << amount;
  }
  EXPECT_EQ(kMaxPurchaseCsvAmountFen, loyalty::kMaxAmountFen);
}

// Ids in Chinese are shown as written in messages; a byte that is not UTF-8
// is escaped.
TEST(PurchaseCsvTest, ChineseValuesAreShownAsWrittenInMessages) {
  absl::StatusOr<PurchaseCsv> parsed = ParsePurchaseCsvRows(
      std::string(kHeader) + "订单1,会员001,万达店,一百,2024-01-02T10:00:00+08:00,\n" +
      "订单2,会员001,万达店,1\xff,2024-01-02T10:00:00+08:00,\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->rejected, SizeIs(2));
  EXPECT_THAT(parsed->rejected[0].status.message(), HasSubstr("column amount: \"一百\" is not"));
  EXPECT_THAT(parsed->rejected[1].status.message(), HasSubstr("column amount: \"1\\xff\" is not"));
}

TEST(PurchaseCsvTest, AmountsInYuanBecomeFen) {
  EXPECT_EQ(*ParseAmountYuanToFen("0"), 0);
  EXPECT_EQ(*ParseAmountYuanToFen("0.01"), 1);
  EXPECT_EQ(*ParseAmountYuanToFen("10.5"), 1050);
  EXPECT_EQ(*ParseAmountYuanToFen("999999999999.99"), 99999999999999);
}

TEST(PurchaseCsvTest, BadTimeNamesLineColumnAndValue) {
  for (const char* time : {"2024-01-02", "2024-01-02T10:00:00", "2024-02-30T10:00:00+08:00",
                           "yesterday", "2024-01-02 10:00:00+08:00"}) {
    const std::string text = std::string(kHeader) + "P1,M1,S,1," + time + ",\n";
    absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(text);
    ASSERT_FALSE(rows.ok()) << time;
    EXPECT_THAT(rows.status().message(),
                HasSubstr(std::string("line 2: column occurred_at: \"") + time + "\""));
  }
}

TEST(PurchaseCsvTest, AHeaderMissingAColumnOrWithAnUnknownOrRepeatedOneIsRefused) {
  absl::StatusOr<std::vector<PurchaseRow>> missing =
      ParsePurchaseCsv("purchase_id,member_id,store_id,occurred_at\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("line 1: header: the required column \"amount\" is missing"));

  absl::StatusOr<std::vector<PurchaseRow>> unknown =
      ParsePurchaseCsv("purchase_id,member_id,store_id,amount,occurred_at,price\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown column \"price\""));

  absl::StatusOr<std::vector<PurchaseRow>> twice =
      ParsePurchaseCsv("purchase_id,member_id,store_id,amount,occurred_at,amount\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.status().message(), HasSubstr("column \"amount\" appears twice"));
}

TEST(PurchaseCsvTest, EmptyFileNeedsAHeader) {
  for (const char* text : {"", "\n\n", "\xEF\xBB\xBF"}) {
    absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(text);
    ASSERT_FALSE(rows.ok());
    EXPECT_THAT(rows.status().message(), HasSubstr("the file is empty"));
  }
  // A header alone is a history with no rows.
  absl::StatusOr<std::vector<PurchaseRow>> rows = ParsePurchaseCsv(kHeader);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, SizeIs(0));
}

TEST(PurchaseCsvTest, ExtraAndMissingFieldsAreRowErrors) {
  const std::string text = std::string(kHeader) + "P1,M1,S,1,2024-01-02T10:00:00+08:00,,x\n" +
                           "P2,M1,S,1,2024-01-02T10:00:00+08:00\n" +
                           "P3,M1,S,1,2024-01-02T10:00:00+08:00,\n";
  absl::StatusOr<PurchaseCsv> parsed = ParsePurchaseCsvRows(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->rows, SizeIs(1));
  EXPECT_EQ(parsed->rows[0].purchase_id, "P3");
  ASSERT_THAT(parsed->rejected, SizeIs(2));
  EXPECT_EQ(parsed->rejected[0].line_number, 2u);
  EXPECT_THAT(parsed->rejected[0].status.message(),
              HasSubstr("line 2: 7 fields where the header has 6"));
  EXPECT_THAT(parsed->rejected[1].status.message(),
              HasSubstr("line 3: 5 fields where the header has 6"));
}

TEST(PurchaseCsvTest, PurchaseNeedsMemberAndStoreRefundDoesNot) {
  absl::StatusOr<PurchaseCsv> parsed =
      ParsePurchaseCsvRows(std::string(kHeader) + "P1,,S,1,2024-01-02T10:00:00+08:00,\n" +
                           "P2,M,,1,2024-01-02T10:00:00+08:00,\n" +
                           ",M,S,1,2024-01-02T10:00:00+08:00,\n" +
                           "F1,,,1,2024-01-02T10:00:00+08:00,P9\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->rejected, SizeIs(3));
  EXPECT_THAT(parsed->rejected[0].status.message(), HasSubstr("line 2: column member_id"));
  EXPECT_THAT(parsed->rejected[1].status.message(), HasSubstr("line 3: column store_id"));
  EXPECT_THAT(parsed->rejected[2].status.message(), HasSubstr("line 4: column purchase_id"));
  ASSERT_THAT(parsed->rows, SizeIs(1));
  EXPECT_EQ(parsed->rows[0].refund_of, "P9");
}

TEST(PurchaseCsvTest, BrokenQuotingSpoilsTheFile) {
  absl::StatusOr<PurchaseCsv> unclosed =
      ParsePurchaseCsvRows(std::string(kHeader) + "P1,\"M1,S,1,2024-01-02T10:00:00+08:00,\n");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_THAT(unclosed.status().message(), HasSubstr("line 2: a quoted field is never closed"));

  absl::StatusOr<PurchaseCsv> after =
      ParsePurchaseCsvRows(std::string(kHeader) + "P1,\"M1\"x,S,1,2024-01-02T10:00:00+08:00,\n");
  ASSERT_FALSE(after.ok());
  EXPECT_THAT(after.status().message(), HasSubstr("line 2: unexpected \"x\" after a closing quote"));

  absl::StatusOr<PurchaseCsv> inside =
      ParsePurchaseCsvRows(std::string(kHeader) + "P1,M\"1,S,1,2024-01-02T10:00:00+08:00,\n");
  ASSERT_FALSE(inside.ok());
  EXPECT_THAT(inside.status().message(), HasSubstr("line 2: a quote inside an unquoted field"));
}

TEST(PurchaseCsvTest, OverlongFieldIsRejected) {
  const std::string text = std::string(kHeader) + std::string(kMaxPurchaseCsvFieldBytes + 1, 'P') +
                           ",M,S,1,2024-01-02T10:00:00+08:00,\n";
  absl::StatusOr<PurchaseCsv> parsed = ParsePurchaseCsvRows(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("line 2: a field is longer than"));
}

TEST(PurchaseCsvTest, ControlCharactersInValuesAreEscapedInMessages) {
  absl::StatusOr<std::vector<PurchaseRow>> rows =
      ParsePurchaseCsv(std::string(kHeader) + "P1,M1,S,\"1\n2\",2024-01-02T10:00:00+08:00,\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.status().message(), HasSubstr("column amount: \"1\\n2\""));
  EXPECT_EQ(std::string(rows.status().message()).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace loyalty::cli
