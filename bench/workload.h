// What the append benchmarks write: purchase events spread over many members,
// their canonical bytes as the ledger stores them, and a plain RocksDB opened
// with the ledger's options for the raw baseline.
#ifndef LOYALTY_BENCH_WORKLOAD_H_
#define LOYALTY_BENCH_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/ledger.h"
#include "loyalty/v1/envelope.pb.h"
#include "rocksdb/db.h"

namespace loyalty::bench {

// Purchases are spread over this many members, so most batches touch many
// streams, as a mall's point-of-sale feed does.
inline constexpr uint64_t kMemberCount = 10000;

// Event number `index` of the workload: a purchase by member
// M<index * 7919 mod kMemberCount> with the unique purchase id P<index>.
// The same index always yields the same envelope.
v1::Envelope PurchaseEvent(uint64_t index);

// Events first_index, first_index + 1, ... as one batch of `size` events.
AppendBatch PurchaseBatch(uint64_t first_index, size_t size);

// The canonical bytes (as ScanRaw returns them) of workload events
// 0 .. count-1, appended in order to a fresh ledger. Built once, on first
// use, by appending to a scratch ledger; later calls asking for no more
// events return the same vector. Aborts if the scratch ledger fails.
const std::vector<std::string>& CanonicalEvents(size_t count);

// What the ledger's WriteBatch holds for one event, besides the event's
// canonical bytes (ledger/keys.h has the layouts).
struct LedgerLayoutRecord {
  std::string sequence_key;     // events family
  std::string chain_hash;       // the event's real chain hash, stored after its bytes
  std::string stream_key;       // streams family: stream_id 0x00 BE64(version)
  std::string idempotency_key;  // idempotency family
  std::string idempotency_value;  // BE64(sequence) + a 32-byte digest
};

// The records of workload events 0 .. count-1, from CanonicalEvents(count).
// Built once on first use, like CanonicalEvents.
const std::vector<LedgerLayoutRecord>& LedgerLayoutRecords(size_t count);

// The 8-byte big-endian form of `value`, the ledger's sequence key layout.
std::string SequenceKey(uint64_t value);

// A plain RocksDB in `directory` with the DBOptions the ledger opens with and
// the ColumnFamilyOptions of the ledger's "events" family (LZ4, a block
// cache of LedgerOptions' default size, no bloom filter), in its default
// column family. Both come from ledger/rocksdb_options.h, which the ledger
// opens with too.
absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenRawDb(const std::string& directory);

// A plain RocksDB with the ledger's column families and all of their options
// (Bloom filters on streams and idempotency, a memtable Bloom filter on
// idempotency, insert hints on streams), for the layout baseline.
struct LayoutDb {
  std::unique_ptr<rocksdb::DB> db;
  // default, events, streams, idempotency, meta: the ledger's order.
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  ~LayoutDb();
};
absl::StatusOr<std::unique_ptr<LayoutDb>> OpenLayoutDb(const std::string& directory);

}  // namespace loyalty::bench

#endif  // LOYALTY_BENCH_WORKLOAD_H_
