// What the failover tests check of a log after the kills: the events of a
// range, gap-free, each idempotency key once.
#ifndef LOYALTY_TESTING_LOG_KEYS_H_
#define LOYALTY_TESTING_LOG_KEYS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"

namespace loyalty::testing {

// The idempotency key of each event from..to, with its sequence. A failure
// of the calling test for each gap and each key met twice.
inline absl::StatusOr<std::map<std::string, uint64_t>> SequencesByKey(const Ledger& ledger,
                                                                      uint64_t from,
                                                                      uint64_t to) {
  std::map<std::string, uint64_t> stored;
  uint64_t expected = from;
  absl::Status scanned = ledger.Scan(from, to, [&](const v1::Envelope& envelope) {
    EXPECT_EQ(envelope.sequence(), expected) << "a gap";
    ++expected;
    EXPECT_TRUE(stored.emplace(envelope.idempotency_key(), envelope.sequence()).second)
        << envelope.idempotency_key() << " twice";
    return absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  return stored;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_LOG_KEYS_H_
