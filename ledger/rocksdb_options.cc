#include "ledger/rocksdb_options.h"

#include <cstring>

#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"

namespace loyalty::internal {
namespace {

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
  return options;
}

rocksdb::ColumnFamilyOptions LedgerFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                                 LedgerFamily family) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (family == LedgerFamily::kStreams || family == LedgerFamily::kIdempotency) {
    // Most idempotency and stream lookups are for keys that do not exist yet.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
  }
  if (family == LedgerFamily::kIdempotency) {
    // Every append looks its keys up, and they are almost never there: a
    // Bloom filter over the memtable answers most look-ups without a
    // skip-list search.
    options.memtable_prefix_bloom_size_ratio = 0.05;
    options.memtable_whole_key_filtering = true;
  }
  if (family == LedgerFamily::kStreams) {
    options.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamIdPrefix>();
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kLZ4Compression;
  return options;
}

}  // namespace loyalty::internal
