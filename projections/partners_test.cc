#include "projections/partners.h"

#include "gtest/gtest.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
using testing::TestWorld;

TEST(PartnerProjectionTest, ScorecardPerStore) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 30000, At(2024, 2, 1), "nike").ok());      // 300 points
  ASSERT_TRUE(world.Purchase("S2", "M1", 10000, At(2024, 2, 2), "nike").ok());      // 100 points
  ASSERT_TRUE(world.Purchase("S3", "M1", 5000, At(2024, 2, 3), "starbucks").ok());  // 50 points
  ASSERT_TRUE(world.Refund("F1", "S1", 10000, At(2024, 2, 4)).ok());                // claws 100

  const PartnerScore* nike = world.partners.FindPartner("nike");
  ASSERT_NE(nike, nullptr);
  EXPECT_EQ(nike->gross_sales_fen, 40000);
  EXPECT_EQ(nike->refunded_fen, 10000);
  EXPECT_EQ(nike->net_sales_fen(), 30000);
  EXPECT_EQ(nike->purchase_count, 2);
  EXPECT_EQ(nike->refund_count, 1);
  EXPECT_EQ(nike->refund_rate_bp(), 2500);
  EXPECT_EQ(nike->points_issued, 400);
  EXPECT_EQ(nike->points_clawed_back, 100);

  const PartnerScore* starbucks = world.partners.FindPartner("starbucks");
  ASSERT_NE(starbucks, nullptr);
  EXPECT_EQ(starbucks->net_sales_fen(), 5000);
  EXPECT_EQ(starbucks->refund_rate_bp(), 0);
  EXPECT_EQ(starbucks->points_issued, 50);
  EXPECT_EQ(world.partners.FindPartner("adidas"), nullptr);
  EXPECT_EQ(world.partners.partners().size(), 2u);
}

TEST(PartnerProjectionTest, RefundRateIsFlooredBasisPoints) {
  PartnerScore score;
  score.gross_sales_fen = 30000;
  score.refunded_fen = 10000;
  EXPECT_EQ(score.refund_rate_bp(), 3333);
  EXPECT_EQ(PartnerScore().refund_rate_bp(), 0);
}

TEST(PartnerProjectionTest, RejectsARefundOfAnUnknownPurchase) {
  PartnerProjection partners;
  v1::Envelope refund;
  refund.set_sequence(1);
  refund.set_occurred_at_us(At(2024, 1, 1));
  refund.mutable_event()->mutable_refund_recorded()->set_purchase_id("S404");
  refund.mutable_event()->mutable_refund_recorded()->set_amount_fen(100);
  absl::Status status = partners.Apply(refund);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("S404"), std::string::npos);
}

}  // namespace
}  // namespace loyalty::projections
