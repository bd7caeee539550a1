// Following the log: pull cursors and callback subscriptions.
#include "ledger/rocksdb_ledger.h"
#include "ledger/thread_subscription.h"
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

namespace {

class LedgerCursor final : public Cursor {
 public:
  LedgerCursor(const RocksDbLedger* ledger, uint64_t after_sequence)
      : ledger_(ledger), position_(after_sequence) {}

  absl::StatusOr<std::vector<v1::Envelope>> Next(size_t max_events,
                                                 absl::Duration wait) override {
    // The deadline bounds a wait on the real clock; it never enters the log.
    const uint64_t head = ledger_->WaitForAppend(position_, absl::Now() + wait);
    if (head <= position_) return std::vector<v1::Envelope>();
    absl::StatusOr<std::vector<v1::Envelope>> events = ledger_->Read(position_ + 1, max_events);
    if (events.ok() && !events->empty()) position_ = events->back().sequence();
    return events;
  }

  uint64_t position() const override { return position_; }

 private:
  const RocksDbLedger* ledger_;
  uint64_t position_;
};

}  // namespace

std::unique_ptr<Cursor> RocksDbLedger::NewCursor(uint64_t after_sequence) const {
  return std::make_unique<LedgerCursor>(this, after_sequence);
}

std::unique_ptr<Subscription> RocksDbLedger::Subscribe(
    uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) {
  return std::make_unique<ThreadSubscription>(NewCursor(after_sequence), std::move(on_event));
}

}  // namespace loyalty::internal
