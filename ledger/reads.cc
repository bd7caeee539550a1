// The read side of RocksDbLedger: scans, streams, hashes.
#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/decoded_reads.h"
#include "ledger/envelope_header.h"
#include "ledger/event_decode.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/read_status.h"
#include "ledger/rocksdb_ledger.h"
#include "rocksdb/snapshot.h"
#include "util/big_endian.h"
#include "util/rocks_util.h"
#include "util/sha256.h"

namespace loyalty::internal {
namespace {

// Long scans read ahead in large steps; short ones (a proof's event, a
// cursor's next page) leave RocksDB's adaptive readahead alone, which
// would otherwise copy megabytes to return a handful of events.
constexpr uint64_t kLongScanEvents = 4096;

rocksdb::ReadOptions ScanOptions(uint64_t event_count) {
  rocksdb::ReadOptions options;
  if (event_count >= kLongScanEvents) options.readahead_size = 2 << 20;
  options.async_io = false;
  return options;
}

}  // namespace

absl::Status RocksDbLedger::ScanRaw(uint64_t from, uint64_t to,
                                    absl::FunctionRef<absl::Status(const RawEvent&)> visit) const {
  to = std::min(to, Head().sequence);
  if (from == 0) from = 1;
  if (from > to) return absl::OkStatus();
  rocksdb::ReadOptions options = ScanOptions(to - from + 1);
  const std::string upper = util::BigEndian64(to + 1);
  rocksdb::Slice upper_bound(upper);
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> event_it(db_->NewIterator(options, events()));
  event_it->Seek(util::BigEndian64(from));
  uint64_t expected = from;
  for (; event_it->Valid(); event_it->Next(), ++expected) {
    RawEvent raw;
    raw.sequence = util::DecodeBigEndian64(util::View(event_it->key()));
    if (raw.sequence != expected) {
      return absl::DataLossError(absl::StrCat("sequence ", expected, ": missing (found ",
                                              raw.sequence, " in its place)"));
    }
    absl::string_view hash;
    if (!SplitEventValue(util::View(event_it->value()), &raw.canonical_bytes, &hash) ||
        !util::DigestFromBytes(hash, &raw.hash)) {
      return absl::DataLossError(absl::StrCat("sequence ", expected, ": chain hash missing"));
    }
    absl::Status status = visit(raw);
    if (!status.ok()) return status;
  }
  absl::Status status = IteratorError(*event_it, "scanning events");
  if (!status.ok()) return status;
  if (expected != to + 1) {
    return absl::DataLossError(absl::StrCat("sequence ", expected, ": missing"));
  }
  return absl::OkStatus();
}

absl::Status RocksDbLedger::Scan(
    uint64_t from, uint64_t to,
    absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const {
  return ScanDecoded(*this, from, to, visit);
}

absl::StatusOr<std::vector<v1::Envelope>> RocksDbLedger::Read(uint64_t from,
                                                              size_t max_events) const {
  return ReadDecoded(*this, from, max_events);
}

absl::StatusOr<uint64_t> RocksDbLedger::StoredStreamVersion(absl::string_view stream_id,
                                                             rocksdb::Iterator* it) const {
  const std::string prefix = StreamKeyPrefix(stream_id);
  it->SeekForPrev(StreamKey(stream_id, ~uint64_t{0}));
  if (it->Valid() && it->key().starts_with(prefix) && it->key().size() == prefix.size() + 8) {
    return util::DecodeBigEndian64(util::View(it->key()).substr(prefix.size()));
  }
  absl::Status status = IteratorError(*it, "reading a stream's version");
  if (!status.ok()) return status;
  return 0;
}

absl::StatusOr<uint64_t> RocksDbLedger::StreamVersion(absl::string_view stream_id) const {
  // The index may hold entries of appends written but not yet published
  // (their sync is pending): the version is that of the newest entry at or
  // before the head.
  const uint64_t head = Head().sequence;
  const std::string prefix = StreamKeyPrefix(stream_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams()));
  for (it->SeekForPrev(StreamKey(stream_id, ~uint64_t{0}));
       it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (it->key().size() != prefix.size() + 8 || it->value().size() != 8) {
      return absl::DataLossError(absl::StrCat("stream \"", stream_id, "\": bad index entry"));
    }
    if (util::DecodeBigEndian64(util::View(it->value())) <= head) {
      return util::DecodeBigEndian64(util::View(it->key()).substr(prefix.size()));
    }
  }
  absl::Status status = IteratorError(*it, "reading a stream's version");
  if (!status.ok()) return status;
  return 0;
}

absl::Status RocksDbLedger::ScanStream(
    absl::string_view stream_id, uint64_t from_version,
    absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const {
  // A snapshot makes the index and the events agree even while appends go
  // on; entries past the head (appends still being synced) are left out.
  const uint64_t head = Head().sequence;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.snapshot();

  const std::string prefix = StreamKeyPrefix(stream_id);
  std::unique_ptr<rocksdb::Iterator> index(db_->NewIterator(options, streams()));
  // Sequences are fetched in sorted chunks: MultiGet reads each block once.
  constexpr size_t kChunk = 256;
  std::vector<std::string> sequence_keys;
  v1::Envelope envelope;
  auto flush = [&]() -> absl::Status {
    std::vector<rocksdb::Slice> keys(sequence_keys.begin(), sequence_keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(options, events(), keys.size(), keys.data(), values.data(), statuses.data(),
                  /*sorted_input=*/true);
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint64_t sequence = util::DecodeBigEndian64(sequence_keys[i]);
      if (!statuses[i].ok()) {
        return absl::DataLossError(absl::StrCat("stream \"", stream_id, "\": sequence ",
                                                sequence, " is indexed but not readable: ",
                                                statuses[i].ToString()));
      }
      absl::string_view canonical_bytes;
      absl::string_view hash;
      if (!SplitEventValue(util::View(values[i]), &canonical_bytes, &hash)) {
        return EventDoesNotDecode(sequence);
      }
      absl::Status status = DecodeEvent(sequence, canonical_bytes, &envelope);
      if (status.ok()) status = visit(envelope);
      if (!status.ok()) return status;
    }
    sequence_keys.clear();
    return absl::OkStatus();
  };
  for (index->Seek(StreamKey(stream_id, from_version)); index->Valid() &&
                                                        index->key().starts_with(prefix);
       index->Next()) {
    if (index->key().size() != prefix.size() + 8) continue;  // a longer id sharing the prefix
    if (index->value().size() != 8) {
      return absl::DataLossError(absl::StrCat("stream \"", stream_id, "\": bad index entry"));
    }
    // Versions follow sequences.
    if (util::DecodeBigEndian64(util::View(index->value())) > head) break;
    sequence_keys.emplace_back(util::View(index->value()));
    if (sequence_keys.size() == kChunk) {
      absl::Status status = flush();
      if (!status.ok()) return status;
    }
  }
  absl::Status status = IteratorError(*index, "reading a stream");
  if (!status.ok()) return status;
  return flush();
}

absl::StatusOr<Hash> RocksDbLedger::HashAt(uint64_t sequence) const {
  if (sequence == 0) return Hash{};
  if (sequence > Head().sequence) {
    return absl::NotFoundError(absl::StrCat("sequence ", sequence, " is past the head"));
  }
  rocksdb::PinnableSlice value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), events(), util::BigEndian64(sequence), &value);
  absl::string_view canonical_bytes;
  absl::string_view hash_bytes;
  Hash hash{};
  if (!status.ok() || !SplitEventValue(util::View(value), &canonical_bytes, &hash_bytes) ||
      !util::DigestFromBytes(hash_bytes, &hash)) {
    return absl::DataLossError(absl::StrCat("sequence ", sequence, ": chain hash missing (",
                                            status.ToString(), ")"));
  }
  return hash;
}

absl::StatusOr<int64_t> RocksDbLedger::RecordedAtOf(uint64_t sequence) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), events(), util::BigEndian64(sequence), &value);
  absl::string_view canonical_bytes;
  absl::string_view hash;
  EnvelopeHeader header;
  if (!status.ok() || !SplitEventValue(util::View(value), &canonical_bytes, &hash) ||
      !ReadEnvelopeHeader(canonical_bytes, &header)) {
    return absl::DataLossError(absl::StrCat("sequence ", sequence, ": not readable (",
                                            status.ToString(), ")"));
  }
  return header.recorded_at_us;
}

absl::StatusOr<uint64_t> RocksDbLedger::SequenceAtTime(int64_t recorded_at_us) const {
  // Recorded-at times never decrease along the log, so a binary search works.
  uint64_t low = 0;  // recorded at or before: always true of 0
  uint64_t high = Head().sequence + 1;  // recorded after: assumed true of head + 1
  while (high - low > 1) {
    const uint64_t middle = low + (high - low) / 2;
    absl::StatusOr<int64_t> at = RecordedAtOf(middle);
    if (!at.ok()) return at.status();
    if (*at <= recorded_at_us) {
      low = middle;
    } else {
      high = middle;
    }
  }
  return low;
}

}  // namespace loyalty::internal
