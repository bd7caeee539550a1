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

#include "ledger/follow.h"
#include "ledger/postgres/ledger_schema.h"
#include "ledger/postgres/postgres_ledger.h"

namespace loyalty::internal {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

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
    if (!stored.ok()) continue;
    // A writing ledger publishes other writers' commits only once a
    // standby holds them (ledger_schema.h); a read-only one cannot write
    // the barrier and shows what the primary shows (docs/ledger.md).
    if (!options_.read_only && stored->sequence > Head().sequence &&
        !AwaitSynchronousStandbys(**session).ok()) {
      continue;
    }
    Publish(*stored);
  }
}

std::unique_ptr<Cursor> PostgresLedger::NewCursor(uint64_t after_sequence) const {
  return std::make_unique<HeadCursor>(
      this, [this](uint64_t after, absl::Time deadline) { return WaitForAppend(after, deadline); },
      after_sequence);
}

std::unique_ptr<Subscription> PostgresLedger::Subscribe(
    uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) {
  return std::make_unique<ThreadSubscription>(NewCursor(after_sequence), std::move(on_event));
}

}  // namespace loyalty::internal
