// A Subscription that runs a cursor on a thread of its own and hands each
// event to a callback: every backend's Ledger::Subscribe, over the backend's
// own cursor.
#ifndef LOYALTY_LEDGER_THREAD_SUBSCRIPTION_H_
#define LOYALTY_LEDGER_THREAD_SUBSCRIPTION_H_

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

#endif  // LOYALTY_LEDGER_THREAD_SUBSCRIPTION_H_
