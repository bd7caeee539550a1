// Following the log: pull cursors and callback subscriptions.
#include "ledger/follow.h"
#include "ledger/rocksdb_ledger.h"
#include "util/mutex.h"

namespace loyalty::internal {

uint64_t RocksDbLedger::WaitForAppend(uint64_t after_sequence, absl::Time deadline) const {
  MutexLock lock(&head_mu_);
  while (head_.sequence <= after_sequence) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    head_advanced_.WaitFor(&head_mu_, absl::ToChronoNanoseconds(left));
  }
  return head_.sequence;
}

std::unique_ptr<Cursor> RocksDbLedger::NewCursor(uint64_t after_sequence) const {
  return std::make_unique<HeadCursor>(
      this, [this](uint64_t after, absl::Time deadline) { return WaitForAppend(after, deadline); },
      after_sequence);
}

std::unique_ptr<Subscription> RocksDbLedger::Subscribe(
    uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) {
  return std::make_unique<ThreadSubscription>(NewCursor(after_sequence), std::move(on_event));
}

}  // namespace loyalty::internal
