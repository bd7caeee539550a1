// The RocksDB options of a ledger, in one place: the ledger opens with them,
// and the append benchmark's baselines (bench/) open their plain RocksDB
// with the same ones, so that a comparison is like for like.
#ifndef LOYALTY_LEDGER_ROCKSDB_OPTIONS_H_
#define LOYALTY_LEDGER_ROCKSDB_OPTIONS_H_

#include <memory>

#include "rocksdb/cache.h"
#include "rocksdb/options.h"

namespace loyalty::internal {

// Database-wide options; the caller sets create_if_missing and the like.
rocksdb::DBOptions LedgerDbOptions();

enum class LedgerFamily {
  kPlain,        // default, meta
  kEvents,       // sequential keys, read by range
  kStreams,      // stream_id 0x00 BE64(version): looked up and appended per stream
  kIdempotency,  // caller-chosen keys, looked up by every append; point look-ups only:
                 // its memtable is a hash table and it cannot be iterated in order
};

// The options of one column family. Every family shares `cache`.
// `write_buffer_bytes` is the memtable size (0: RocksDB's default); it is set
// here rather than afterwards because the idempotency family's memtable is
// sized from it.
rocksdb::ColumnFamilyOptions LedgerFamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                                 LedgerFamily family,
                                                 size_t write_buffer_bytes = 0);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_ROCKSDB_OPTIONS_H_
