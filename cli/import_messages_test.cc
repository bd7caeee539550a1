#include "cli/import_messages.h"

#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

TEST(ImportMessagesTest, RefundRowsNameTheColumnsTheUserWrote) {
  const absl::Status unknown =
      InFileTerms(absl::NotFoundError("purchase_id: \"P8\" is not recorded"), /*refund_row=*/true);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "refund_of: \"P8\" is not recorded");
  EXPECT_EQ(InFileTerms(absl::InvalidArgumentError("refund_id: \"F\" contains a NUL byte"), true)
                .message(),
            "purchase_id: \"F\" contains a NUL byte");
}

TEST(ImportMessagesTest, AmountsAreInCny) {
  const absl::Status excess = InFileTerms(
      absl::FailedPreconditionError("amount_fen: a refund of 20000 fen of purchase \"P1\" exceeds "
                                    "the 5000 fen that remain of its 10005 fen"),
      true);
  EXPECT_EQ(excess.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(excess.message(),
            "amount: a refund of 200.00 CNY of purchase \"P1\" exceeds the 50.00 CNY that remain "
            "of its 100.05 CNY");
  EXPECT_EQ(
      InFileTerms(absl::InvalidArgumentError("amount_fen: 0 is not in [1, 1000]"), false).message(),
      "amount: 0 is not in [1, 1000]");
}

TEST(ImportMessagesTest, PurchaseRowMessagesNameTheColumnsOfTheFile) {
  EXPECT_EQ(
      InFileTerms(absl::InvalidArgumentError("partner_id: must not be empty"), false).message(),
      "store_id: must not be empty");
  // The purchase row's own purchase_id is its column already.
  EXPECT_EQ(
      InFileTerms(absl::InvalidArgumentError("purchase_id: \"P\" is 70 bytes"), false).message(),
      "purchase_id: \"P\" is 70 bytes");
  EXPECT_EQ(
      InFileTerms(absl::NotFoundError("member_id: \"会员009\" is not enrolled"), false).message(),
      "member_id: \"会员009\" is not enrolled");
  // A field name only at the start, followed by ": ".
  EXPECT_EQ(InFileTerms(absl::InternalError("partner_ids broke"), false).message(),
            "partner_ids broke");
}

TEST(ImportMessagesTest, FenAsCnyRewritesOnlyAmountsInFen) {
  EXPECT_EQ(FenAsCny("12 fen, 5 fen."), "0.12 CNY, 0.05 CNY.");
  EXPECT_EQ(FenAsCny("line 12 fenced, P2 fen, 3 fens"), "line 12 fenced, P2 fen, 3 fens");
  EXPECT_EQ(FenAsCny("100000 fen"), "1000.00 CNY");
}

}  // namespace
}  // namespace loyalty::cli
