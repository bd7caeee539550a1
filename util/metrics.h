// Counters and histograms behind LedgerMetrics and EngineMetrics
// (include/loyalty/metrics.h): lock-free, cheap enough for the append path.
#ifndef LOYALTY_UTIL_METRICS_H_
#define LOYALTY_UTIL_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "loyalty/metrics.h"

namespace loyalty::util {

// A count that only grows. Relaxed: a counter orders nothing, and readers
// only need each value eventually.
class Counter {
 public:
  void Add(uint64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that is set (a position, a time).
class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Bucket bounds, inclusive and ascending, in the histogram's unit.
// Microseconds on a 1-2-5 scale from 10 µs to 10 s: an fsync takes from
// tens of microseconds (a cache with a battery) to tens of milliseconds (a
// busy disk), a replay up to seconds.
inline constexpr std::array<int64_t, 19> kLatencyBoundsUs = {
    10,     20,     50,      100,     200,     500,       1000,      2000,      5000,    10000,
    20000,  50000,  100000,  200000,  500000,  1000000,   2000000,   5000000,   10000000};
// Events per batch or group commit: powers of two up to the group limit
// (limits.h: kMaxGroupCommitEvents, 20,000).
inline constexpr std::array<int64_t, 16> kEventCountBounds = {
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};

// A histogram over fixed bounds. Observe() is two relaxed atomic adds; a
// snapshot taken during an observation may have its bucket and not yet its
// sum, never lose it. The count is the buckets' sum, so the two agree.
template <size_t kBounds>
class Histogram {
 public:
  explicit constexpr Histogram(const std::array<int64_t, kBounds>& bounds) : bounds_(bounds) {}

  void Observe(int64_t value) {
    size_t bucket = 0;
    while (bucket < kBounds && value > bounds_[bucket]) ++bucket;
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  HistogramSnapshot Snapshot() const {
    HistogramSnapshot snapshot;
    snapshot.upper_bounds.assign(bounds_.begin(), bounds_.end());
    snapshot.bucket_counts.reserve(kBounds + 1);
    for (const std::atomic<uint64_t>& bucket : buckets_) {
      const uint64_t n = bucket.load(std::memory_order_relaxed);
      snapshot.bucket_counts.push_back(n);
      snapshot.count += n;
    }
    snapshot.sum = sum_.load(std::memory_order_relaxed);
    return snapshot;
  }

 private:
  const std::array<int64_t, kBounds> bounds_;
  std::array<std::atomic<uint64_t>, kBounds + 1> buckets_{};
  std::atomic<int64_t> sum_{0};
};

using LatencyHistogram = Histogram<kLatencyBoundsUs.size()>;
using EventCountHistogram = Histogram<kEventCountBounds.size()>;

// Errors by absl::StatusCode (0 to 16; larger numbers count as kUnknown).
class ErrorCounters {
 public:
  void Count(absl::StatusCode code);
  // The codes seen, in code order, and their total.
  std::vector<ErrorCount> Snapshot(uint64_t* total) const;

 private:
  static constexpr size_t kCodes = 17;
  std::array<Counter, kCodes> counts_;
};

// A monotonic stopwatch for durations the metrics report. Durations measure
// this process's own speed, not facts of the log, so they come from the
// steady clock rather than the injectable ledger Clock (which may stand
// still in tests or follow business time, as the demo's does).
class Stopwatch {
 public:
  Stopwatch() : started_(std::chrono::steady_clock::now()) {}
  int64_t ElapsedMicros() const { return MicrosSince(started_); }

  static std::chrono::steady_clock::time_point Now() { return std::chrono::steady_clock::now(); }
  static int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - start)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point started_;
};

// Monotonic microseconds since an arbitrary origin, for gauges that hold a
// moment (the last apply) and are compared with a later Now.
int64_t MonotonicMicros();

}  // namespace loyalty::util

#endif  // LOYALTY_UTIL_METRICS_H_
