// Histograms over fixed bounds, and the Prometheus text of a metrics
// snapshot (include/loyalty/metrics.h), checked line by line.
#include "util/metrics.h"

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/metrics.h"
#include "testing/prometheus_text.h"

namespace loyalty {
namespace {

using ::loyalty::testing::ParsePrometheusText;
using ::loyalty::testing::PrometheusSamples;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HistogramTest, BoundsAreInclusiveAndTheLastBucketTakesTheRest) {
  util::Histogram<3> histogram(std::array<int64_t, 3>{1, 10, 100});
  for (int64_t value : {0, 1, 2, 10, 11, 100, 101, 5000}) histogram.Observe(value);
  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_THAT(snapshot.upper_bounds, ElementsAre(1, 10, 100));
  EXPECT_THAT(snapshot.bucket_counts, ElementsAre(2, 2, 2, 2));
  EXPECT_EQ(snapshot.count, 8u);
  EXPECT_EQ(snapshot.sum, 0 + 1 + 2 + 10 + 11 + 100 + 101 + 5000);
}

TEST(PrometheusTextTest, LedgerSnapshotRendersAsValidExposition) {
  MetricsSnapshot snapshot;
  snapshot.ledger.appends_total = 5;
  snapshot.ledger.events_appended_total = 12;
  snapshot.ledger.append_errors_by_code = {{absl::StatusCode::kInvalidArgument, 2},
                                           {absl::StatusCode::kFailedPrecondition, 1}};
  snapshot.ledger.append_errors_total = 3;
  util::LatencyHistogram latency(util::kLatencyBoundsUs);
  for (int64_t us : {5, 15, 250, 1500, 1500, 20000000}) latency.Observe(us);
  snapshot.ledger.append_latency_us = latency.Snapshot();
  util::EventCountHistogram sizes(util::kEventCountBounds);
  for (int64_t events : {1, 3, 3, 5}) sizes.Observe(events);
  snapshot.ledger.append_batch_events = sizes.Snapshot();
  snapshot.ledger.head_sequence = 12;

  const std::string text = ToPrometheusText(snapshot);
  absl::StatusOr<PrometheusSamples> samples = ParsePrometheusText(text);
  ASSERT_TRUE(samples.ok()) << samples.status() << "\n" << text;
  EXPECT_EQ(samples->at("loyalty_ledger_appends_total"), 5);
  EXPECT_EQ(samples->at("loyalty_ledger_events_appended_total"), 12);
  EXPECT_EQ(samples->at("loyalty_ledger_append_errors_total{code=\"INVALID_ARGUMENT\"}"), 2);
  EXPECT_EQ(samples->at("loyalty_ledger_append_errors_total{code=\"FAILED_PRECONDITION\"}"), 1);
  EXPECT_EQ(samples->at("loyalty_ledger_head_sequence"), 12);
  // Seconds, cumulative: 5 and 15 µs are within 20 µs; 1500 µs twice within 2 ms.
  EXPECT_EQ(samples->at("loyalty_ledger_append_latency_seconds_bucket{le=\"0.00001\"}"), 1);
  EXPECT_EQ(samples->at("loyalty_ledger_append_latency_seconds_bucket{le=\"0.00002\"}"), 2);
  EXPECT_EQ(samples->at("loyalty_ledger_append_latency_seconds_bucket{le=\"0.002\"}"), 5);
  EXPECT_EQ(samples->at("loyalty_ledger_append_latency_seconds_bucket{le=\"10\"}"), 5);
  EXPECT_EQ(samples->at("loyalty_ledger_append_latency_seconds_bucket{le=\"+Inf\"}"), 6);
  EXPECT_EQ(samples->at("loyalty_ledger_append_latency_seconds_count"), 6);
  EXPECT_DOUBLE_EQ(samples->at("loyalty_ledger_append_latency_seconds_sum"), 20.003270);
  EXPECT_EQ(samples->at("loyalty_ledger_append_batch_size_events_bucket{le=\"4\"}"), 3);
  EXPECT_EQ(samples->at("loyalty_ledger_append_batch_size_events_sum"), 12);
  EXPECT_THAT(text, HasSubstr("# TYPE loyalty_ledger_append_latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE loyalty_ledger_appends_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE loyalty_ledger_head_sequence gauge\n"));
  // A bare ledger's snapshot has no engine metrics.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("loyalty_engine_")));
}

TEST(PrometheusTextTest, TheCheckerRejectsBrokenText) {
  // The checker used above must be able to fail.
  EXPECT_FALSE(ParsePrometheusText("loyalty_x 1\n").ok());  // no TYPE
  EXPECT_FALSE(ParsePrometheusText("# HELP a h\n# TYPE a counter\na one\n").ok());
  EXPECT_FALSE(ParsePrometheusText(
                   "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"2\"} 2\n"
                   "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n")
                   .ok());  // not cumulative
  EXPECT_FALSE(ParsePrometheusText(
                   "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\n"
                   "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 4\n")
                   .ok());  // +Inf != count
  EXPECT_TRUE(ParsePrometheusText(
                  "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 3\n"
                  "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n")
                  .ok());
}

}  // namespace
}  // namespace loyalty
