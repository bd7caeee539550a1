// RocksDbLedger::Verify: the chain recomputed over a range of the log.
//
// Each event's check needs only its own bytes and the stored hash of its
// predecessor, so reading and hashing can overlap: for long ranges the
// calling thread scans the events into chunks (bytes copied out of RocksDB)
// and one more thread checks them in order. On two cores that makes verify
// run at about the rate of the slower half instead of the sum of both. The
// first failure reported is the lowest failing sequence either way, because
// the checker sees the chunks in log order and the scan only fails past
// everything it has handed over.
#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/chain_checker.h"
#include "ledger/envelope_header.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/read_status.h"
#include "ledger/rocksdb_ledger.h"
#include "rocksdb/snapshot.h"
#include "util/mutex.h"
#include "util/big_endian.h"
#include "util/rocks_util.h"
#include "util/sha256.h"

namespace loyalty::internal {

// The entries of the streams and idempotency indexes as an order-free sum
// of their hashes, so that the entries the events call for and the entries
// the indexes hold compare in one sequential pass over each, without a
// look-up per event.
class IndexTally {
 public:
  void AddStreamEntry(absl::string_view key, absl::string_view value) {
    Add(&streams_, 's', key, value);
  }
  void AddIdempotencyEntry(absl::string_view key, absl::string_view value) {
    Add(&idempotency_, 'i', key, value);
  }
  bool operator==(const IndexTally& other) const {
    return streams_ == other.streams_ && idempotency_ == other.idempotency_;
  }

 private:
  struct Sum {
    uint64_t entries = 0;
    uint64_t low = 0;
    uint64_t high = 0;
    bool operator==(const Sum& other) const {
      return entries == other.entries && low == other.low && high == other.high;
    }
  };
  static void Add(Sum* sum, char family, absl::string_view key, absl::string_view value) {
    std::string entry(1, family);
    util::PutBigEndian64(&entry, key.size());
    entry.append(key.data(), key.size());
    entry.append(value.data(), value.size());
    const Hash hash = util::Sha256(entry);
    const uint64_t low = util::DecodeBigEndian64(util::DigestBytes(hash));
    const uint64_t high = util::DecodeBigEndian64(util::DigestBytes(hash).substr(8));
    ++sum->entries;
    sum->low += low;
    sum->high += high + (sum->low < low ? 1 : 0);
  }
  Sum streams_;
  Sum idempotency_;
};

namespace {

// Events per chunk handed from the scan to the checker, and how many chunks
// may be in flight: enough to keep both threads busy, small enough (a few
// MiB) to stay in cache.
constexpr size_t kChunkEvents = 4096;
constexpr size_t kChunksInFlight = 3;
// Below this many events a second thread costs more than it saves.
constexpr uint64_t kPipelineMinEvents = 4 * kChunkEvents;

// The index entries an event calls for: its stream entry and its
// idempotency entry, as the append path writes them (keys.h).
void TallyEventEntries(uint64_t sequence, absl::string_view canonical_bytes,
                       const EnvelopeHeaderAndKeys& header, IndexTally* tally) {
  const std::string sequence_bytes = util::BigEndian64(sequence);
  tally->AddStreamEntry(StreamKey(header.stream_id, header.stream_version), sequence_bytes);
  const Hash content_digest = util::Sha256(canonical_bytes.substr(header.caller_offset));
  tally->AddIdempotencyEntry(header.idempotency_key,
                             absl::StrCat(sequence_bytes, util::DigestBytes(content_digest)));
}

// Consecutive events copied out of a scan.
struct Chunk {
  std::vector<uint64_t> sequences;
  std::vector<Hash> hashes;
  std::vector<size_t> ends;  // end offset of each event's bytes in `bytes`
  std::string bytes;

  void Clear() {
    sequences.clear();
    hashes.clear();
    ends.clear();
    bytes.clear();
  }
  void Add(const RawEvent& raw) {
    sequences.push_back(raw.sequence);
    hashes.push_back(raw.hash);
    bytes.append(raw.canonical_bytes.data(), raw.canonical_bytes.size());
    ends.push_back(bytes.size());
  }
  absl::Status CheckAll(ChainChecker& checker) const {
    size_t begin = 0;
    for (size_t i = 0; i < sequences.size(); ++i) {
      absl::Status status = checker.Check(
          sequences[i], absl::string_view(bytes).substr(begin, ends[i] - begin), hashes[i]);
      if (!status.ok()) return status;
      begin = ends[i];
    }
    return absl::OkStatus();
  }
};

// A blocking queue of chunk pointers; nullptr marks the end of the scan.
class ChunkQueue {
 public:
  void Push(Chunk* chunk) {
    {
      MutexLock lock(&mutex_);
      chunks_.push_back(chunk);
    }
    ready_.Signal();
  }
  Chunk* Pop() {
    MutexLock lock(&mutex_);
    while (chunks_.empty()) ready_.Wait(&mutex_);
    Chunk* chunk = chunks_.front();
    chunks_.pop_front();
    return chunk;
  }

 private:
  Mutex mutex_;
  CondVar ready_;
  std::deque<Chunk*> chunks_ ABSL_GUARDED_BY(mutex_);
};

// Scans from..to on this thread and checks on another. Every chunk goes
// back to `free` whether checked or not, so the scan never waits forever
// after the checker has failed; it stops at its next event instead.
absl::Status ScanAndCheckInParallel(const RocksDbLedger& ledger, uint64_t from, uint64_t to,
                                    ChainChecker& checker) {
  std::vector<Chunk> chunks(kChunksInFlight);
  ChunkQueue free;
  ChunkQueue full;
  for (Chunk& chunk : chunks) {
    chunk.sequences.reserve(kChunkEvents);
    chunk.hashes.reserve(kChunkEvents);
    chunk.ends.reserve(kChunkEvents);
    free.Push(&chunk);
  }
  absl::Status check_status;
  std::atomic<bool> check_failed{false};
  std::thread check_thread([&] {
    for (Chunk* chunk = full.Pop(); chunk != nullptr; chunk = full.Pop()) {
      if (check_status.ok()) {
        check_status = chunk->CheckAll(checker);
        if (!check_status.ok()) check_failed.store(true, std::memory_order_relaxed);
      }
      free.Push(chunk);
    }
  });
  Chunk* filling = free.Pop();
  filling->Clear();
  absl::Status scan_status = ledger.ScanRaw(from, to, [&](const RawEvent& raw) {
    if (check_failed.load(std::memory_order_relaxed)) {
      return absl::CancelledError("the check failed");
    }
    filling->Add(raw);
    if (filling->sequences.size() == kChunkEvents) {
      full.Push(filling);
      filling = free.Pop();
      filling->Clear();
    }
    return absl::OkStatus();
  });
  if (scan_status.ok() && !filling->sequences.empty()) {
    full.Push(filling);
  }
  full.Push(nullptr);
  check_thread.join();
  // The checker's failure is at a lower sequence than anything the scan
  // failed on (the scan had handed over every event before its failure).
  if (!check_status.ok()) return check_status;
  return scan_status;
}

}  // namespace

absl::Status RocksDbLedger::Verify(uint64_t from, uint64_t to) const {
  absl::StatusOr<VerifyRange> range = StartVerify(*this, from, to);
  if (!range.ok() || range->empty()) return range.status();
  const ChainHead& head = range->head;
  from = range->from;
  to = range->to;
  // The indexes are checked with the whole log: an entry may point at any
  // event.
  const bool whole_log = from == 1 && to == head.sequence;
  IndexTally expected;
  ChainChecker::EventHook tally_entries;
  if (whole_log) {
    tally_entries = [&expected](uint64_t sequence, absl::string_view canonical_bytes,
                                const EnvelopeHeaderAndKeys& header) {
      TallyEventEntries(sequence, canonical_bytes, header, &expected);
      return absl::OkStatus();
    };
  }
  ChainChecker checker(range->start, std::move(tally_entries));
  absl::Status status =
      to - from + 1 >= kPipelineMinEvents
          ? ScanAndCheckInParallel(*this, from, to, checker)
          : ScanRaw(from, to, [&](const RawEvent& raw) {
              return checker.Check(raw.sequence, raw.canonical_bytes, raw.hash);
            });
  if (!status.ok()) return status;
  if (to == head.sequence) {
    if (checker.previous() != head.hash) {
      return absl::DataLossError(
          absl::StrCat("sequence ", to, ": the chain does not end at the stored head"));
    }
    // Nothing may follow the head, except appends that are written but not
    // yet published (their sync is pending). Those were written together
    // with the stored head, so one snapshot shows both: nothing may follow
    // the stored head in it.
    rocksdb::ManagedSnapshot snapshot(db_.get());
    rocksdb::ReadOptions options;
    options.snapshot = snapshot.snapshot();
    std::string stored_head;
    absl::Status read =
        LogReadStatus(db_->Get(options, meta(), kHeadKey, &stored_head), "reading the head");
    if (!read.ok()) return read;
    if (stored_head.size() < 8) {
      return absl::DataLossError("the stored chain head is too short");
    }
    const uint64_t stored_sequence = util::DecodeBigEndian64(stored_head);
    if (stored_sequence < head.sequence) {
      return absl::DataLossError(absl::StrCat("sequence ", head.sequence,
                                              ": past the stored head ", stored_sequence));
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, events()));
    it->Seek(util::BigEndian64(stored_sequence + 1));
    if (it->Valid()) {
      return absl::DataLossError(absl::StrCat("sequence ",
                                              util::DecodeBigEndian64(util::View(it->key())),
                                              ": stored beyond the head ", stored_sequence));
    }
    absl::Status scanned = IteratorError(*it, "reading past the head");
    if (!scanned.ok()) return scanned;
  }
  if (whole_log) return VerifyIndexes(to, expected);
  return absl::OkStatus();
}

absl::Status RocksDbLedger::VerifyIndexes(uint64_t to, const IndexTally& expected) const {
  // Entries past `to` belong to appends after the scan began.
  IndexTally stored;
  rocksdb::ReadOptions options;
  options.total_order_seek = true;  // the idempotency family has a prefix extractor
  std::unique_ptr<rocksdb::Iterator> streams_it(db_->NewIterator(options, streams()));
  for (streams_it->SeekToFirst(); streams_it->Valid(); streams_it->Next()) {
    const absl::string_view value = util::View(streams_it->value());
    if (value.size() == 8 && util::DecodeBigEndian64(value) > to) continue;
    stored.AddStreamEntry(util::View(streams_it->key()), value);
  }
  absl::Status status = IteratorError(*streams_it, "reading the streams index");
  if (!status.ok()) return status;
  std::unique_ptr<rocksdb::Iterator> idempotency_it(db_->NewIterator(options, idempotency()));
  for (idempotency_it->SeekToFirst(); idempotency_it->Valid(); idempotency_it->Next()) {
    const absl::string_view value = util::View(idempotency_it->value());
    if (value.size() == 8 + 32 && util::DecodeBigEndian64(value) > to) continue;
    stored.AddIdempotencyEntry(util::View(idempotency_it->key()), value);
  }
  status = IteratorError(*idempotency_it, "reading the idempotency index");
  if (!status.ok()) return status;
  if (stored == expected) return absl::OkStatus();
  return FindIndexMismatch(to);
}

absl::Status RocksDbLedger::FindIndexMismatch(uint64_t to) const {
  // Every event's own entries first, in log order.
  absl::Status status = ScanRaw(1, to, [&](const RawEvent& raw) -> absl::Status {
    EnvelopeHeaderAndKeys header;
    if (!ReadEnvelopeHeader(raw.canonical_bytes, &header)) {
      return absl::DataLossError(
          absl::StrCat("sequence ", raw.sequence, ": stored bytes are not a valid envelope"));
    }
    const std::string sequence_bytes = util::BigEndian64(raw.sequence);
    std::string value;
    rocksdb::Status read = db_->Get(rocksdb::ReadOptions(), streams(),
                                    StreamKey(header.stream_id, header.stream_version), &value);
    if (!read.ok() && !read.IsNotFound()) return LogReadStatus(read, "reading the streams index");
    if (read.IsNotFound() || value != sequence_bytes) {
      return absl::DataLossError(absl::StrCat(
          "sequence ", raw.sequence, ": the streams index ",
          read.IsNotFound() ? "has no entry" : "has a wrong entry", " for stream \"",
          absl::CHexEscape(header.stream_id), "\" version ", header.stream_version));
    }
    const Hash content_digest = util::Sha256(raw.canonical_bytes.substr(header.caller_offset));
    read = db_->Get(rocksdb::ReadOptions(), idempotency(), util::ToSlice(header.idempotency_key),
                    &value);
    if (!read.ok() && !read.IsNotFound()) {
      return LogReadStatus(read, "reading the idempotency index");
    }
    if (read.IsNotFound() ||
        value != absl::StrCat(sequence_bytes, util::DigestBytes(content_digest))) {
      return absl::DataLossError(absl::StrCat(
          "sequence ", raw.sequence, ": the idempotency index ",
          read.IsNotFound() ? "has no entry" : "has a wrong entry", " for key \"",
          absl::CHexEscape(header.idempotency_key), "\""));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  // Then the entries no event calls for.
  return absl::DataLossError(
      "the streams or idempotency index holds entries that no event of the log calls for "
      "(each event's own entries are right): the indexes were altered");
}

}  // namespace loyalty::internal
