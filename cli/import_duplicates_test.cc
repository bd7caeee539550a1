#include "cli/import_duplicates.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2024-01-02T10:00:00+08:00.
constexpr int64_t kJan2At10LocalUs = 1704160800LL * 1000000;

PurchaseRow Row(size_t line, const std::string& id, const std::string& member, int64_t amount_fen,
                const std::string& refund_of = "") {
  PurchaseRow row;
  row.line_number = line;
  row.purchase_id = id;
  row.member_id = member;
  row.store_id = "万达店";
  row.amount_fen = amount_fen;
  row.occurred_at_us = kJan2At10LocalUs;
  row.refund_of = refund_of;
  return row;
}

TEST(ImportDuplicatesTest, SameIdSameContentIsADuplicateOtherContentAConflict) {
  const std::vector<PurchaseRow> rows = {
      Row(2, "P1", "会员001", 10000), Row(3, "P1", "会员001", 10000),
      Row(4, "P1", "会员001", 12000), Row(5, "P1", "会员002", 10000),
      // A refund's id is not a purchase's: same id, other kind.
      Row(6, "P1", "", 500, "P1"), Row(7, "P2", "会员001", 10000)};
  const FileRepeats repeats = FindFileRepeats(rows);
  EXPECT_THAT(repeats.first_rows, ElementsAre(0, 4, 5));
  EXPECT_THAT(repeats.duplicate_rows, ElementsAre(1));
  ASSERT_EQ(repeats.conflicts.size(), 2u);
  EXPECT_EQ(repeats.conflicts[0].first, 2u);
  EXPECT_EQ(repeats.conflicts[0].second.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(repeats.conflicts[0].second.message(),
            "line 4: conflict: purchase_id \"P1\" is on line 2 with other content: amount "
            "100.00 CNY there, 120.00 CNY here");
  EXPECT_EQ(repeats.conflicts[1].first, 3u);
  EXPECT_EQ(repeats.conflicts[1].second.message(),
            "line 5: conflict: purchase_id \"P1\" is on line 2 with other content: member_id "
            "\"会员001\" there, \"会员002\" here");
}

TEST(ImportDuplicatesTest, RefundsCompareWhatTheyRecord) {
  PurchaseRow first = Row(2, "F1", "", 500, "P1");
  PurchaseRow same = Row(3, "F1", "M-ignored", 500, "P1");
  same.store_id = "other store";
  PurchaseRow other = Row(4, "F1", "", 500, "P2");
  other.occurred_at_us += 1000000;
  const FileRepeats repeats = FindFileRepeats({first, same, other});
  EXPECT_THAT(repeats.duplicate_rows, ElementsAre(1));
  ASSERT_EQ(repeats.conflicts.size(), 1u);
  EXPECT_EQ(repeats.conflicts[0].second.message(),
            "line 4: conflict: purchase_id \"F1\" (a refund) is on line 2 with other content: "
            "refund_of \"P1\" there, \"P2\" here; occurred_at "
            "2024-01-02T10:00:00.000000+08:00 there, 2024-01-02T10:00:01.000000+08:00 here");
}

TEST(ImportDuplicatesTest, FactsOfRecordedEventsCompareWithRows) {
  v1::Envelope purchase;
  purchase.set_occurred_at_us(kJan2At10LocalUs);
  v1::PurchaseRecorded& recorded = *purchase.mutable_event()->mutable_purchase_recorded();
  recorded.set_purchase_id("P1");
  recorded.set_member_id("会员001");
  recorded.set_partner_id("万达店");
  recorded.set_amount_fen(10000);
  std::optional<PurchaseFacts> facts = FactsOfEvent(purchase);
  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(Differences(*facts, FactsOfRow(Row(2, "P1", "会员001", 10000)), "recorded"), "");
  EXPECT_EQ(Differences(*facts, FactsOfRow(Row(2, "P1", "会员001", 1)), "recorded"),
            "amount 100.00 CNY recorded, 0.01 CNY here");

  v1::Envelope refund;
  refund.set_occurred_at_us(kJan2At10LocalUs);
  v1::RefundRecorded& refunded = *refund.mutable_event()->mutable_refund_recorded();
  refunded.set_refund_id("F1");
  refunded.set_purchase_id("P1");
  refunded.set_member_id("会员001");
  refunded.set_amount_fen(500);
  facts = FactsOfEvent(refund);
  ASSERT_TRUE(facts.has_value());
  EXPECT_TRUE(facts->refund);
  EXPECT_EQ(Differences(*facts, FactsOfRow(Row(2, "F1", "", 500, "P1")), "recorded"), "");

  v1::Envelope other;
  other.mutable_event()->mutable_member_enrolled();
  EXPECT_FALSE(FactsOfEvent(other).has_value());
}

}  // namespace
}  // namespace loyalty::cli
