#include "cli/import_order.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cli {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kHourUs = 3600LL * 1000000;

PurchaseRow Purchase(const std::string& id, int64_t hour) {
  PurchaseRow row;
  row.purchase_id = id;
  row.member_id = "M1";
  row.store_id = "S1";
  row.amount_fen = 100;
  row.occurred_at_us = hour * kHourUs;
  return row;
}

PurchaseRow Refund(const std::string& id, const std::string& of, int64_t hour) {
  PurchaseRow row = Purchase(id, hour);
  row.refund_of = of;
  return row;
}

TEST(ImportOrderTest, AFileInBusinessTimeOrderStaysAsItIs) {
  const std::vector<PurchaseRow> rows = {Purchase("P1", 1), Purchase("P2", 2),
                                         Refund("F1", "P1", 3)};
  const ImportOrder order = BusinessTimeOrder(rows);
  EXPECT_THAT(order.indices, ElementsAre(0, 1, 2));
  EXPECT_EQ(order.moved, 0u);
}

TEST(ImportOrderTest, SortsByOccurredAtAndKeepsTheFileOrderOfEqualTimes) {
  const std::vector<PurchaseRow> rows = {Purchase("P3", 3), Purchase("P1", 1), Purchase("P2b", 2),
                                         Purchase("P2a", 2)};
  const ImportOrder order = BusinessTimeOrder(rows);
  EXPECT_THAT(order.indices, ElementsAre(1, 2, 3, 0));
  EXPECT_EQ(order.moved, 4u);
}

TEST(ImportOrderTest, ARefundDatedBeforeItsPurchaseGoesRightAfterIt) {
  // F1 and F2 are dated before P1 (a till's clock was wrong); F3 of a
  // purchase recorded before the file keeps its time.
  const std::vector<PurchaseRow> rows = {Refund("F2", "P1", 2),    Purchase("P0", 0),
                                         Refund("F3", "P-old", 1), Refund("F1", "P1", 1),
                                         Purchase("P1", 5),        Purchase("P2", 6)};
  const ImportOrder order = BusinessTimeOrder(rows);
  // P0 (0), F3 (1), P1 (5) then its refunds in time order F1 (1), F2 (2), P2 (6).
  EXPECT_THAT(order.indices, ElementsAre(1, 2, 4, 3, 0, 5));
  // F1 (index 3) and P2 (index 5) are where they were.
  EXPECT_EQ(order.moved, 4u);
}

TEST(ImportOrderTest, ARefundAfterItsPurchaseKeepsItsTime) {
  const std::vector<PurchaseRow> rows = {Refund("F1", "P1", 3), Purchase("P2", 2),
                                         Purchase("P1", 1)};
  const ImportOrder order = BusinessTimeOrder(rows);
  EXPECT_THAT(order.indices, ElementsAre(2, 1, 0));
  EXPECT_EQ(order.moved, 2u);
}

TEST(ImportOrderTest, NoRowsGiveAnEmptyOrder) {
  const ImportOrder order = BusinessTimeOrder({});
  EXPECT_TRUE(order.indices.empty());
  EXPECT_EQ(order.moved, 0u);
}

}  // namespace
}  // namespace loyalty::cli
