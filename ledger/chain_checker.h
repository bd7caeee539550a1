// What verification asks of each event, in log order: its bytes are an
// envelope that names its own sequence, links to the hash of the event
// before, is not recorded before it, and hashes to its stored chain hash.
// Shared by every backend's Verify, so that both find the same faults and
// name them in the same words.
#ifndef LOYALTY_LEDGER_CHAIN_CHECKER_H_
#define LOYALTY_LEDGER_CHAIN_CHECKER_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/envelope_header.h"
#include "loyalty/ledger.h"

namespace loyalty::internal {

class ChainChecker {
 public:
  // Called for each event that passed, with its header: where a backend
  // checks what it stores beside the bytes (indexes, columns). A non-OK
  // status fails the check with it.
  using EventHook = std::function<absl::Status(uint64_t sequence, absl::string_view canonical_bytes,
                                               const EnvelopeHeaderAndKeys& header)>;

  // Checks events that follow the one whose chain hash is `start`.
  explicit ChainChecker(const Hash& start, EventHook on_event = nullptr)
      : previous_(start), on_event_(std::move(on_event)) {}

  // DataLoss naming `sequence` and what is wrong with it; OK otherwise.
  absl::Status Check(uint64_t sequence, absl::string_view canonical_bytes, const Hash& stored_hash);

  // The hash of the last event checked (the start hash before any).
  const Hash& previous() const { return previous_; }

 private:
  Hash previous_;
  int64_t previous_recorded_at_us_ = 0;
  EventHook on_event_;
};

// Where Ledger::Verify(from, to) starts: the range clamped to the head
// (from at least 1), the head, and the chain hash of the event before the
// range.
struct VerifyRange {
  uint64_t from = 0;
  uint64_t to = 0;
  ChainHead head;
  Hash start{};
  bool empty() const { return from > to; }
};
absl::StatusOr<VerifyRange> StartVerify(const Ledger& ledger, uint64_t from, uint64_t to);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_CHAIN_CHECKER_H_
