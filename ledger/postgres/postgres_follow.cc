// Following a PostgreSQL ledger: pull cursors and callback subscriptions.
//
// This ledger's own appends wake a waiting cursor at once (the published
// head's condition variable). Other writers' appends are found by polling
// the head row, a primary-key read, every kPollInterval while a cursor
// waits. LISTEN/NOTIFY would wake sooner, but it needs a connection held
// open per ledger for the notifications and notifications are lost when
// that connection or the server fails over, so a poll would be needed
// beside it anyway; polling alone is one mechanism that always holds.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "ledger/postgres/ledger_schema.h"
#include "ledger/postgres/postgres_ledger.h"
#include "ledger/thread_subscription.h"

namespace loyalty::internal {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

class PostgresCursor final : public Cursor {
 public:
  PostgresCursor(const PostgresLedger* ledger, uint64_t after_sequence)
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
  const PostgresLedger* ledger_;
  uint64_t position_;
};

}  // namespace

uint64_t PostgresLedger::WaitForAppend(uint64_t after_sequence, absl::Time deadline) const {
  while (true) {
    {
      MutexLock lock(&head_mu_);
      if (head_.sequence > after_sequence) return head_.sequence;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return head_.sequence;
      head_advanced_.WaitFor(&head_mu_, absl::ToChronoNanoseconds(std::min(left, kPollInterval)));
      if (head_.sequence > after_sequence) return head_.sequence;
    }
    // A failed poll is not the cursor's error: it waits on and polls again.
    absl::StatusOr<SessionPool::Lease> session = readers_.Borrow();
    if (!session.ok()) continue;
    absl::StatusOr<ChainHead> stored = ReadStoredHead(**session);
    if (stored.ok()) Publish(*stored);
  }
}

std::unique_ptr<Cursor> PostgresLedger::NewCursor(uint64_t after_sequence) const {
  return std::make_unique<PostgresCursor>(this, after_sequence);
}

std::unique_ptr<Subscription> PostgresLedger::Subscribe(
    uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) {
  return std::make_unique<ThreadSubscription>(NewCursor(after_sequence), std::move(on_event));
}

}  // namespace loyalty::internal
