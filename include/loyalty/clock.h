// Time enters loyalty-ledger only through a Clock, so tests, simulations and
// replays are deterministic.
#ifndef LOYALTY_CLOCK_H_
#define LOYALTY_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace loyalty {

// A source of "now", in microseconds since the Unix epoch, UTC.
// Implementations must be safe to call from several threads at once.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() const = 0;
};

// The wall clock of the machine.
class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_us = 0) : now_us_(now_us) {}
  int64_t NowMicros() const override { return now_us_.load(); }
  void Set(int64_t now_us) { now_us_.store(now_us); }
  void Advance(int64_t delta_us) { now_us_.fetch_add(delta_us); }

 private:
  std::atomic<int64_t> now_us_;
};

// The process-wide wall clock; never null.
const Clock* DefaultClock();

}  // namespace loyalty

#endif  // LOYALTY_CLOCK_H_
