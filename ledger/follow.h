// Following the log, for every backend: a pull cursor over the backend's
// wait for its head to move, and a Subscription that runs a cursor on a
// thread of its own and hands each event to a callback.
#ifndef LOYALTY_LEDGER_FOLLOW_H_
#define LOYALTY_LEDGER_FOLLOW_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "loyalty/ledger.h"
#include "util/mutex.h"

namespace loyalty::internal {

// Blocks until the ledger's head passes `after_sequence` or `deadline`
// passes; returns the head sequence then.
using WaitForAppendFn = std::function<uint64_t(uint64_t after_sequence, absl::Time deadline)>;

class HeadCursor final : public Cursor {
 public:
  HeadCursor(const Ledger* ledger, WaitForAppendFn wait_for_append, uint64_t after_sequence)
      : ledger_(ledger), wait_for_append_(std::move(wait_for_append)), position_(after_sequence) {}

  absl::StatusOr<std::vector<v1::Envelope>> Next(size_t max_events,
                                                 absl::Duration wait) override {
    // The deadline bounds a wait on the real clock; it never enters the log.
    const uint64_t head = wait_for_append_(position_, absl::Now() + wait);
    if (head <= position_) return std::vector<v1::Envelope>();
    absl::StatusOr<std::vector<v1::Envelope>> events = ledger_->Read(position_ + 1, max_events);
    if (events.ok() && !events->empty()) position_ = events->back().sequence();
    return events;
  }

  uint64_t position() const override { return position_; }

 private:
  const Ledger* ledger_;
  const WaitForAppendFn wait_for_append_;
  uint64_t position_;
};

class ThreadSubscription final : public Subscription {
 public:
  ThreadSubscription(std::unique_ptr<Cursor> cursor,
                     std::function<absl::Status(const v1::Envelope&)> on_event)
      : cursor_(std::move(cursor)), on_event_(std::move(on_event)), position_(cursor_->position()) {
    thread_ = std::thread([this] { Run(); });
  }

  ~ThreadSubscription() override {
    stop_.store(true);
    thread_.join();
  }

  uint64_t position() const override { return position_.load(); }

  absl::Status status() const override {
    MutexLock lock(&status_mu_);
    return status_;
  }

 private:
  // How long one wait for new events lasts before checking for a stop.
  static constexpr absl::Duration kPollInterval = absl::Milliseconds(20);
  static constexpr size_t kReadChunk = 1024;

  void Run() {
    while (!stop_.load()) {
      absl::StatusOr<std::vector<v1::Envelope>> events = cursor_->Next(kReadChunk, kPollInterval);
      if (!events.ok()) {
        Fail(events.status());
        return;
      }
      for (const v1::Envelope& envelope : *events) {
        if (stop_.load()) return;
        absl::Status status = on_event_(envelope);
        if (!status.ok()) {
          Fail(status);
          return;
        }
        position_.store(envelope.sequence());
      }
    }
  }

  void Fail(absl::Status status) {
    MutexLock lock(&status_mu_);
    status_ = std::move(status);
  }

  std::unique_ptr<Cursor> cursor_;
  std::function<absl::Status(const v1::Envelope&)> on_event_;
  std::atomic<uint64_t> position_;
  std::atomic<bool> stop_{false};
  mutable Mutex status_mu_;
  absl::Status status_ ABSL_GUARDED_BY(status_mu_);
  std::thread thread_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_FOLLOW_H_
