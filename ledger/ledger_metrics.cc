// RocksDbLedger::Metrics(): the append path's counters, the head and what
// the ledger occupies on disk and in memory.
#include <filesystem>
#include <system_error>

#include "ledger/append_metrics.h"
#include "ledger/rocksdb_ledger.h"

namespace loyalty::internal {
namespace {

// The size of every regular file under `directory`; files that vanish
// while it is walked (RocksDB deletes obsolete ones) count as nothing.
uint64_t DirectoryBytes(const std::string& directory) {
  std::error_code error;
  uint64_t bytes = 0;
  for (std::filesystem::recursive_directory_iterator it(directory, error), end;
       !error && it != end; it.increment(error)) {
    std::error_code file_error;
    if (!it->is_regular_file(file_error)) continue;
    const uintmax_t size = it->file_size(file_error);
    if (!file_error) bytes += size;
  }
  return bytes;
}

}  // namespace

LedgerMetrics AppendMetrics::Snapshot() const {
  LedgerMetrics metrics;
  metrics.appends_total = appends_.Value();
  metrics.appends_deduplicated_total = deduplicated_.Value();
  metrics.events_appended_total = events_.Value();
  metrics.append_errors_by_code = errors_.Snapshot(&metrics.append_errors_total);
  metrics.append_batch_events = batch_events_.Snapshot();
  metrics.append_latency_us = append_latency_us_.Snapshot();
  metrics.group_commits_total = groups_.Value();
  metrics.group_commit_events = group_events_.Snapshot();
  metrics.bytes_written_total = bytes_written_.Value();
  metrics.wal_syncs_total = syncs_.Value();
  metrics.wal_sync_latency_us = sync_latency_us_.Snapshot();
  return metrics;
}

LedgerMetrics RocksDbLedger::Metrics() const {
  LedgerMetrics metrics = append_metrics_.Snapshot();
  metrics.head_sequence = Head().sequence;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    uint64_t value = 0;
    if (db_->GetIntProperty(family, rocksdb::DB::Properties::kTotalSstFilesSize, &value)) {
      metrics.sst_files_bytes += value;
    }
    if (db_->GetIntProperty(family, rocksdb::DB::Properties::kCurSizeAllMemTables, &value)) {
      metrics.memtable_bytes += value;
    }
  }
  metrics.directory_bytes = DirectoryBytes(db_->GetName());
  return metrics;
}

}  // namespace loyalty::internal
