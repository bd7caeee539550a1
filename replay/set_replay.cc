#include "replay/set_replay.h"

#include <cstddef>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "replay/replay_decode.h"
#include "google/protobuf/arena.h"
#include "util/mutex.h"

namespace loyalty::internal {
namespace {

// Events per batch handed from the reading thread to the member thread: a
// hand-off (a lock and a wake-up) per batch costs nothing per event.
constexpr size_t kBatchEvents = 512;
// How many batches the reader may decode ahead of the member thread.
constexpr size_t kBatches = 4;
// Each half hints what an event will look up (Projection::Prefetch): the
// entries kPrefetchEntriesAhead events before applying it, what they point
// to kPrefetchBehindAhead events before.
constexpr size_t kPrefetchEntriesAhead = 16;
constexpr size_t kPrefetchBehindAhead = 8;

using PrefetchStep = projections::Projection::PrefetchStep;

// The arena's first block, which it keeps across resets: room for a
// typical batch's events, so that the arena seldom allocates blocks of its
// own (which every reset frees).
constexpr size_t kArenaBlockBytes = 512 << 10;

google::protobuf::ArenaOptions ArenaOn(char* block) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = kArenaBlockBytes;
  options.max_block_size = kArenaBlockBytes;
  return options;
}

// Decoded events, on an arena that is reset when the batch is reused: no
// allocation or release per event, and a batch's events lie together in
// memory for the member thread.
struct Batch {
  Batch() : block(new char[kArenaBlockBytes]), arena(ArenaOn(block.get())) {}

  std::unique_ptr<char[]> block;
  google::protobuf::Arena arena;
  std::vector<v1::Envelope*> envelopes;

  void Clear() {
    envelopes.clear();
    arena.Reset();
  }
  // A new, empty envelope at the end of the batch.
  v1::Envelope* Add() {
    return envelopes.emplace_back(google::protobuf::Arena::CreateMessage<v1::Envelope>(&arena));
  }
};

// The error of the earliest event that failed in one half.
struct FirstError {
  uint64_t sequence = std::numeric_limits<uint64_t>::max();
  absl::Status status;

  void Record(uint64_t at_sequence, absl::Status error) {
    if (at_sequence >= sequence) return;
    sequence = at_sequence;
    status = std::move(error);
  }
};

// The batches between the two threads: decoded ones on their way to the
// member thread, and free ones on their way back to the reader.
class BatchExchange {
 public:
  explicit BatchExchange(std::vector<Batch>* batches) {
    for (Batch& batch : *batches) free_.push_back(&batch);
  }

  // Reader: a batch the member thread is done with; nullptr once the member
  // thread stopped on an error.
  Batch* TakeFree() {
    MutexLock lock(&mu_);
    while (!member_failed_ && free_.empty()) changed_.Wait(&mu_);
    if (member_failed_) return nullptr;
    Batch* batch = free_.back();
    free_.pop_back();
    return batch;
  }
  // Reader: `batch` is ready for the member thread.
  void PublishDecoded(Batch* batch) {
    MutexLock lock(&mu_);
    decoded_.push_back(batch);
    changed_.SignalAll();
  }
  // Reader: no batch follows.
  void Close() {
    MutexLock lock(&mu_);
    closed_ = true;
    changed_.SignalAll();
  }

  // Member thread: the next decoded batch, in log order; nullptr when the
  // reader closed the exchange and every batch was taken.
  Batch* TakeDecoded() {
    MutexLock lock(&mu_);
    while (!closed_ && decoded_.empty()) changed_.Wait(&mu_);
    if (decoded_.empty()) return nullptr;
    Batch* batch = decoded_.front();
    decoded_.pop_front();
    return batch;
  }
  // Member thread: done with `batch`.
  void ReturnFree(Batch* batch) {
    MutexLock lock(&mu_);
    free_.push_back(batch);
    changed_.SignalAll();
  }
  // Member thread: stopped on an error; takes no more batches.
  void MemberFailed() {
    MutexLock lock(&mu_);
    member_failed_ = true;
    changed_.SignalAll();
  }

 private:
  Mutex mu_;
  CondVar changed_;
  std::vector<Batch*> free_ ABSL_GUARDED_BY(mu_);
  std::deque<Batch*> decoded_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool member_failed_ ABSL_GUARDED_BY(mu_) = false;
};

absl::Status ReplayOnTwoThreads(const Ledger& ledger, uint64_t from, uint64_t to,
                                ProjectionSet* set) {
  std::vector<Batch> batches(kBatches);
  BatchExchange exchange(&batches);

  FirstError member_error;
  std::thread member_thread([&] {
    while (Batch* batch = exchange.TakeDecoded()) {
      const std::vector<v1::Envelope*>& envelopes = batch->envelopes;
      for (size_t i = 0; i < envelopes.size(); ++i) {
        if (i + kPrefetchEntriesAhead < envelopes.size()) {
          set->PrefetchMemberHalf(*envelopes[i + kPrefetchEntriesAhead], PrefetchStep::kEntries);
        }
        if (i + kPrefetchBehindAhead < envelopes.size()) {
          set->PrefetchMemberHalf(*envelopes[i + kPrefetchBehindAhead],
                                  PrefetchStep::kBehindEntries);
        }
        const v1::Envelope& envelope = *envelopes[i];
        absl::Status status = set->ApplyMemberHalf(envelope);
        if (!status.ok()) {
          member_error.Record(envelope.sequence(), std::move(status));
          exchange.MemberFailed();
          return;
        }
      }
      exchange.ReturnFree(batch);
    }
  });

  // The reader: decodes into `batch`; each full batch goes to the member
  // thread and then through the program half here, while the member thread
  // works on it.
  FirstError program_error;
  bool stopped = false;
  uint64_t next_sequence = from;
  Batch* batch = nullptr;
  std::string scratch;
  auto hand_over = [&] {
    exchange.PublishDecoded(batch);
    const std::vector<v1::Envelope*>& envelopes = batch->envelopes;
    for (size_t i = 0; i < envelopes.size(); ++i) {
      if (i + kPrefetchEntriesAhead < envelopes.size()) {
        set->PrefetchProgramHalf(*envelopes[i + kPrefetchEntriesAhead], PrefetchStep::kEntries);
      }
      const v1::Envelope& envelope = *envelopes[i];
      absl::Status status = set->ApplyProgramHalf(envelope);
      if (!status.ok()) {
        program_error.Record(envelope.sequence(), std::move(status));
        stopped = true;
        break;
      }
    }
    batch = nullptr;
  };
  absl::Status scanned = ledger.ScanRaw(from, to, [&](const RawEvent& raw) -> absl::Status {
    if (batch == nullptr) {
      batch = exchange.TakeFree();
      if (batch == nullptr) {
        stopped = true;
        return absl::CancelledError();
      }
      batch->Clear();
    }
    next_sequence = raw.sequence + 1;
    absl::Status decoded =
        DecodeForProjections(raw.sequence, raw.canonical_bytes, &scratch, batch->Add());
    if (!decoded.ok()) {
      batch->envelopes.pop_back();
      program_error.Record(raw.sequence, std::move(decoded));
      stopped = true;
      return absl::CancelledError();
    }
    if (batch->envelopes.size() == kBatchEvents) hand_over();
    return stopped ? absl::CancelledError() : absl::OkStatus();
  });
  // The ledger's own error comes after every event it delivered.
  if (!scanned.ok() && !stopped) program_error.Record(next_sequence, scanned);
  if (batch != nullptr && !batch->envelopes.empty()) hand_over();
  exchange.Close();
  member_thread.join();

  // At one event, the member half's error first, as in Apply.
  if (!member_error.status.ok() && member_error.sequence <= program_error.sequence) {
    return member_error.status;
  }
  return program_error.status;
}

}  // namespace

absl::Status ReplayLog(const Ledger& ledger, uint64_t from, uint64_t to, int threads,
                       ProjectionSet* set) {
  absl::Status valid = CheckReplayThreads(threads);
  if (!valid.ok()) return valid;
  if (threads == 2) return ReplayOnTwoThreads(ledger, from, to, set);
  return ledger.Scan(from, to, [&](const v1::Envelope& envelope) { return set->Apply(envelope); });
}

absl::StatusOr<uint64_t> ReplayLogAsOfBusinessTime(const Ledger& ledger, int64_t instant_us,
                                                   ProjectionSet* set) {
  uint64_t applied = 0;
  absl::Status status =
      ledger.Scan(1, ledger.Head().sequence, [&](const v1::Envelope& envelope) -> absl::Status {
        if (envelope.occurred_at_us() > instant_us) return absl::OkStatus();
        absl::Status applied_status = set->Apply(envelope);
        if (!applied_status.ok()) return applied_status;
        ++applied;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  set->AdvanceTo(instant_us);
  return applied;
}

absl::Status CheckReplayThreads(int threads) {
  if (threads == 1 || threads == 2) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("replay_threads: ", threads, " is not 1 or 2"));
}

}  // namespace loyalty::internal
