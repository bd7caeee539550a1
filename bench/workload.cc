#include "bench/workload.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/keys.h"
#include "ledger/rocksdb_options.h"
#include "rocksdb/cache.h"
#include "rocksdb/options.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "util/big_endian.h"

namespace loyalty::bench {

v1::Envelope PurchaseEvent(uint64_t index) {
  // 7919 is prime and coprime with kMemberCount: consecutive events go to
  // members far apart, and every member gets an equal share.
  const std::string member_id = absl::StrCat("M", (index * 7919) % kMemberCount);
  const int64_t amount_fen = 500 + static_cast<int64_t>((index * 2654435761u) % 200000);
  const int64_t occurred_at_us =
      testing::kJan2024Us + static_cast<int64_t>(index) * 1000000;
  return testing::Purchase(member_id, absl::StrCat("P", index), amount_fen, occurred_at_us);
}

AppendBatch PurchaseBatch(uint64_t first_index, size_t size) {
  AppendBatch batch;
  for (size_t i = 0; i < size; ++i) batch.Add(PurchaseEvent(first_index + i));
  return batch;
}

namespace {

[[noreturn]] void Die(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "append_bench: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

}  // namespace

const std::vector<std::string>& CanonicalEvents(size_t count) {
  static std::mutex mu;
  static std::vector<std::string> events;
  std::lock_guard<std::mutex> lock(mu);
  if (events.size() >= count) return events;

  // Rebuilt from event 0 so that sequences and stream versions (and so the
  // byte lengths) match what a fresh ledger stores for the same events.
  events.clear();
  events.reserve(count);
  testing::TempDir dir;
  LedgerOptions options;
  options.sync = false;  // scratch data: durability does not matter
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir.Sub("ledger"), options);
  if (!ledger.ok()) Die(ledger.status(), "opening the scratch ledger");
  constexpr size_t kScratchBatch = 1000;
  for (size_t first = 0; first < count; first += kScratchBatch) {
    const size_t size = std::min(kScratchBatch, count - first);
    absl::StatusOr<AppendResult> appended = (*ledger)->Append(PurchaseBatch(first, size));
    if (!appended.ok()) Die(appended.status(), "appending to the scratch ledger");
  }
  absl::Status scanned = (*ledger)->ScanRaw(1, count, [&](const RawEvent& raw) {
    events.emplace_back(raw.canonical_bytes.data(), raw.canonical_bytes.size());
    return absl::OkStatus();
  });
  if (!scanned.ok()) Die(scanned, "reading the scratch ledger");
  return events;
}

const std::vector<LedgerLayoutRecord>& LedgerLayoutRecords(size_t count) {
  static std::mutex mu;
  static std::vector<LedgerLayoutRecord> records;
  std::lock_guard<std::mutex> lock(mu);
  if (records.size() >= count) return records;

  // One more event than asked for: its previous_hash is the last one's hash.
  const std::vector<std::string>& events = CanonicalEvents(count + 1);
  records.clear();
  records.reserve(count);
  v1::Envelope envelope;
  v1::Envelope next;
  if (!envelope.ParseFromString(events[0])) std::abort();
  for (size_t i = 0; i < count; ++i) {
    if (!next.ParseFromString(events[i + 1])) std::abort();
    LedgerLayoutRecord record;
    record.sequence_key = SequenceKey(envelope.sequence());
    record.chain_hash = next.previous_hash();
    record.stream_key = internal::StreamKey(envelope.stream_id(), envelope.stream_version());
    record.idempotency_key = envelope.idempotency_key();
    record.idempotency_value = record.sequence_key + record.chain_hash;
    records.push_back(std::move(record));
    envelope.Swap(&next);
  }
  return records;
}

std::string SequenceKey(uint64_t value) {
  return util::BigEndian64(value);
}

namespace {

// The ledger's own options (ledger/rocksdb_options.h), so that the baselines
// are opened exactly as the ledger opens its database.
rocksdb::DBOptions BaselineDbOptions() {
  rocksdb::DBOptions options = internal::LedgerDbOptions();
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  return options;
}

using internal::LedgerFamily;
using internal::LedgerFamilyOptions;

}  // namespace

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenRawDb(const std::string& directory) {
  // The events family's options, in the default family.
  const rocksdb::Options options(
      BaselineDbOptions(),
      LedgerFamilyOptions(rocksdb::NewLRUCache(LedgerOptions().block_cache_bytes),
                          LedgerFamily::kEvents));
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, directory, &db);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("opening raw RocksDB in ", directory, ": ",
                                            status.ToString()));
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

LayoutDb::~LayoutDb() {
  if (db == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* family : families) db->DestroyColumnFamilyHandle(family);
  db->Close();
}

absl::StatusOr<std::unique_ptr<LayoutDb>> OpenLayoutDb(const std::string& directory) {
  auto cache = rocksdb::NewLRUCache(LedgerOptions().block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, LedgerFamilyOptions(cache, LedgerFamily::kPlain)},
      {internal::kEventsFamily, LedgerFamilyOptions(cache, LedgerFamily::kEvents)},
      {internal::kStreamsFamily, LedgerFamilyOptions(cache, LedgerFamily::kStreams)},
      {internal::kIdempotencyFamily, LedgerFamilyOptions(cache, LedgerFamily::kIdempotency)},
      {internal::kMetaFamily, LedgerFamilyOptions(cache, LedgerFamily::kPlain)},
  };
  auto layout = std::make_unique<LayoutDb>();
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(BaselineDbOptions(), directory, descriptors, &layout->families, &db);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("opening layout RocksDB in ", directory, ": ",
                                            status.ToString()));
  }
  layout->db.reset(db);
  return layout;
}

}  // namespace loyalty::bench
