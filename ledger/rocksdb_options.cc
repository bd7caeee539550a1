#include "ledger/rocksdb_options.h"

#include <algorithm>
#include <cstring>

#include "loyalty/limits.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"

namespace loyalty::internal {
namespace {

// Hash buckets of an idempotency memtable: one per this many bytes of the
// memtable's budget, about what a record of a typical key takes there, so
// that chains stay about one key long when the memtable is full. The bucket
// array (8 bytes a bucket, 1/16 of the budget) is allocated with each
// memtable and counts towards its size.
constexpr size_t kIdempotencyMemtableBytesPerBucket = 128;
constexpr size_t kIdempotencyMemtableBucketsMin = 1024;

// The stream id of a streams index key (stream_id 0x00 BE64(version)), with
// its 0x00. RocksDB remembers, per stream, where in the memtable the
// stream's last entry went, so that the stream's next version (which sorts
// right after it) is inserted without a search from the top of the skip
// list. Stream ids hold no NUL byte (the ledger refuses them).
class StreamIdPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "loyalty.StreamIdPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* end = std::memchr(key.data(), '\0', key.size());
    return rocksdb::Slice(key.data(), static_cast<const char*>(end) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

}  // namespace

rocksdb::DBOptions LedgerDbOptions() {
  rocksdb::DBOptions options;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 4;
  // The idempotency family's memtable is a hash table (below), which RocksDB
  // cannot fill from several writers at once. The ledger loses nothing: one
  // leader writes each group as a single WriteBatch, which RocksDB inserts
  // from one thread anyway.
  options.allow_concurrent_memtable_write = false;
  return options;
}

rocksdb::ColumnFamilyOptions LedgerFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                                 LedgerFamily family, size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions options;
  if (write_buffer_bytes != 0) options.write_buffer_size = write_buffer_bytes;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (family == LedgerFamily::kStreams || family == LedgerFamily::kIdempotency) {
    // Most idempotency and stream lookups are for keys that do not exist yet.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
  }
  if (family == LedgerFamily::kIdempotency) {
    // Idempotency keys are caller-chosen, so they arrive in no useful order,
    // and the family is only ever read by point look-ups (the MultiGet of
    // each group commit; nothing iterates it). A skip-list memtable made
    // every insert a search from the top of the list; a hash memtable,
    // bucketed by the whole key (the cap is the longest key the ledger
    // accepts), inserts and looks up in constant time: about 40 % less CPU
    // for this family's share of a batch of 1000 (bench/README.md). It needs
    // the prefix extractor, which also adds the (whole-key) prefixes to the
    // SST files' Bloom filters, and DBOptions::allow_concurrent_memtable_write
    // off (LedgerDbOptions). It replaced a memtable Bloom filter, which an
    // empty hash bucket makes redundant. The memtable is an in-memory
    // choice: the ledger's format is unchanged, and databases written with
    // skip-list memtables open as before (idempotency_memtable_test.cc).
    options.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(kMaxIdempotencyKeyBytes));
    options.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(
        std::max(kIdempotencyMemtableBucketsMin,
                 options.write_buffer_size / kIdempotencyMemtableBytesPerBucket)));
  }
  if (family == LedgerFamily::kStreams) {
    options.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamIdPrefix>();
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kLZ4Compression;
  return options;
}

}  // namespace loyalty::internal
