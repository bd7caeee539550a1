// The Ledger on PostgreSQL: the same log, the same bytes and the same
// guarantees as the RocksDB ledger, kept by PostgreSQL's constraints and
// transactions (docs/ledger.md, "The PostgreSQL backend").
//
// The canonical bytes, the chain and the checks at the door are the RocksDB
// ledger's own pieces (prepared_batch.h, chain_checker.h, decoded_reads.h,
// follow.h), so both backends store the same bytes for the same batches and
// reach the same chain head.
#ifndef LOYALTY_LEDGER_POSTGRES_POSTGRES_LEDGER_H_
#define LOYALTY_LEDGER_POSTGRES_POSTGRES_LEDGER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "ledger/append_metrics.h"
#include "ledger/postgres/session_pool.h"
#include "ledger/prepared_batch.h"
#include "loyalty/ledger.h"
#include "util/mutex.h"
#include "util/pg_session.h"

namespace loyalty::internal {

class PostgresLedger final : public Ledger {
 public:
  // Opens the ledger in the database `conninfo` names (a libpq connection
  // string or URI), in the first schema of its search_path, creating it
  // there if allowed (ledger_schema.h: OpenLedgerSchema's errors).
  // `options.block_cache_bytes` does not apply; `options.sync` does not
  // either: an append is acknowledged when PostgreSQL has committed it, as
  // durable as the server's settings make a commit (synchronous_commit,
  // fsync and, with standbys, synchronous_standby_names).
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& conninfo,
                                                      const LedgerOptions& options);
  ~PostgresLedger() override;

  // As Ledger::Append, with two more errors:
  //  Aborted, "fenced": another writer moved the chain head since this one
  //    last read it (a second ledger on the same database, or this one's
  //    view is stale after a failover). Nothing was written; this ledger
  //    has read the head again, so deciding again and retrying may succeed.
  //  Unavailable: the connection was lost (or the server is a standby);
  //    whether the batch was committed is unknown. The next Append
  //    reconnects and reads the head again: retry with the same
  //    idempotency keys, which returns the original sequences if it was.
  absl::StatusOr<AppendResult> Append(const AppendBatch& batch) override;
  // The published head: this ledger's acknowledged appends, and other
  // writers' as far as this one has met them (a conflict or fencing makes
  // it read the head row again; cursors poll it).
  ChainHead Head() const override;
  absl::Status ScanRaw(uint64_t from, uint64_t to,
                       absl::FunctionRef<absl::Status(const RawEvent&)> visit) const override;
  absl::Status Scan(uint64_t from, uint64_t to,
                    absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const override;
  absl::StatusOr<std::vector<v1::Envelope>> Read(uint64_t from, size_t max_events) const override;
  absl::Status ScanStream(absl::string_view stream_id, uint64_t from_version,
                          absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) const override;
  absl::StatusOr<uint64_t> StreamVersion(absl::string_view stream_id) const override;
  absl::StatusOr<Hash> HashAt(uint64_t sequence) const override;
  absl::StatusOr<uint64_t> SequenceAtTime(int64_t recorded_at_us) const override;
  // Also checks that each row's columns (stream, version, key, content
  // digest, recorded-at) agree with its canonical bytes, and that no row
  // lies past the stored head.
  absl::Status Verify(uint64_t from, uint64_t to) const override;
  // Cursors and subscriptions see this ledger's appends at once and other
  // writers' by polling the head row (postgres_follow.cc says why).
  std::unique_ptr<Cursor> NewCursor(uint64_t after_sequence) const override;
  std::unique_ptr<Subscription> Subscribe(
      uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) override;
  // The append path's counters as the RocksDB ledger's; group_commits_total
  // counts transactions and bytes_written_total the canonical bytes they
  // inserted; no WAL syncs are counted (the commit is the server's).
  // directory_bytes is the size of the ledger's tables with their indexes
  // in PostgreSQL; sst_files_bytes and memtable_bytes are 0.
  LedgerMetrics Metrics() const override;

  // Blocks until the head passes `after_sequence` or `deadline` passes,
  // polling the stored head for other writers' appends; returns the head
  // sequence then.
  uint64_t WaitForAppend(uint64_t after_sequence, absl::Time deadline) const;

 private:
  // One caller of Append, queued for the group commit (LevelDB's writer
  // queue): the writer at the front leads, writing the batches queued
  // behind it in one transaction.
  struct Writer {
    PreparedBatch* prepared;
    const AppendBatch* batch;
    absl::StatusOr<AppendResult> result = absl::UnknownError("not written");
    bool done = false;
    CondVar wake;
  };
  // The rows one group commit inserts, column by column.
  struct GroupRows {
    std::vector<int64_t> sequences;
    std::vector<absl::string_view> stream_ids;
    std::vector<int64_t> stream_versions;
    std::vector<absl::string_view> idempotency_keys;
    std::vector<std::string> content_digests;
    std::vector<std::string> canonical_bytes;
    std::vector<std::string> hashes;
  };
  // What one group commit assigns (keyed by views into the group's
  // envelopes) and what it found stored.
  struct GroupState {
    uint64_t next_sequence;
    Hash previous_hash;
    int64_t recorded_at_us;
    absl::flat_hash_map<absl::string_view, uint64_t> stream_versions;
    absl::flat_hash_map<absl::string_view, std::pair<uint64_t, Hash>> idempotency;
    absl::flat_hash_map<std::string, std::pair<uint64_t, Hash>> stored_keys;
    absl::flat_hash_map<std::string, uint64_t> stored_versions;
  };

  PostgresLedger(std::string conninfo, const LedgerOptions& options,
                 std::unique_ptr<util::PgSession> writer_session, const ChainHead& head);

  // postgres_append.cc: the leader's work.
  void LeadGroup(const std::vector<Writer*>& group);
  // Reconnects the writing session if it was lost and reads the stored head
  // into written_head_, forgetting cached stream versions.
  absl::Status ReloadWriterState();
  // The idempotency records of the group's keys and the versions of its
  // streams that are in neither the group state nor the cache, in two
  // queries.
  absl::Status LookUp(const std::vector<Writer*>& group, GroupState* state);
  absl::StatusOr<AppendResult> ApplyWriter(Writer* writer, GroupState* state, GroupRows* rows);
  absl::StatusOr<bool> FindAppendedBefore(const PreparedBatch& batch, const GroupState& state,
                                          AppendResult* result) const;
  uint64_t CurrentStreamVersion(absl::string_view stream_id, const GroupState& state) const;
  absl::Status PositionAndChain(const PreparedBatch& batch, GroupState* state, GroupRows* rows,
                                AppendResult* result) const;
  // Inserts the rows and moves the head from written_head_ in one
  // statement; Aborted ("fenced") when the stored head is not written_head_.
  absl::Status WriteRows(const GroupRows& rows, const ChainHead& new_head);
  // Publishes `head` if it is past the published one.
  void Publish(const ChainHead& head) const;

  // postgres_reads.cc: reads a page of rows at a time, `columns` of events
  // from..to (clamped by the caller), checking that sequences are gap-free.
  absl::Status ScanRows(uint64_t from, uint64_t to, absl::string_view columns,
                        absl::FunctionRef<absl::Status(const PGresult*, int row, uint64_t sequence)>
                            visit) const;

  const std::string conninfo_;
  const LedgerOptions options_;
  const Clock* const clock_;
  mutable SessionPool readers_;

  // The group-commit queue. The writer at the front leads.
  Mutex queue_mu_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(queue_mu_);

  // Touched only by the leading writer, one at a time: the writing session,
  // the head this writer last read or wrote (what its next transaction
  // moves the stored head from: the fencing token), whether both must be
  // read again first, and the versions of the streams it appended to.
  std::unique_ptr<util::PgSession> writer_session_;
  ChainHead written_head_;
  bool reload_before_next_write_ = false;
  absl::flat_hash_map<std::string, uint64_t> stream_version_cache_;

  // The published head: committed, and what reads are clamped to. It
  // follows this ledger's commits and, through cursors, other writers'.
  mutable Mutex head_mu_;
  mutable CondVar head_advanced_;
  mutable ChainHead head_ ABSL_GUARDED_BY(head_mu_);

  AppendMetrics append_metrics_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_POSTGRES_POSTGRES_LEDGER_H_
