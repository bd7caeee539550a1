// The Ledger on RocksDB: column families, group commit, chain, reads.
#ifndef LOYALTY_LEDGER_ROCKSDB_LEDGER_H_
#define LOYALTY_LEDGER_ROCKSDB_LEDGER_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "util/mutex.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ledger/append_metrics.h"
#include "ledger/prepared_batch.h"
#include "loyalty/ledger.h"
#include "rocksdb/db.h"

namespace loyalty::internal {

// For tests: how a ledger's RocksDB is set up below LedgerOptions.
struct StorageHooks {
  // The RocksDB environment, through which tests inject storage faults.
  // Not owned; must outlive the ledger. Default: RocksDB's own.
  rocksdb::Env* env = nullptr;
  // Memtable size of every column family, small to make RocksDB switch
  // write-ahead logs and flush often. 0: the default.
  size_t write_buffer_bytes = 0;
  // Lets Append store personal data in the clear, as builds before sealing
  // did, so that tests can make the logs those builds left (which are
  // still read). Never set outside tests. Default: refused
  // (CheckNoPlainPersonal).
  bool allow_plain_personal = false;
};

// Where a thread sleeps while its Append waits for a leader
// (rocksdb_ledger.cc).
struct CommitWaiter;
// The index entries Verify adds up (verify.cc).
class IndexTally;

class RocksDbLedger final : public Ledger {
 public:
  // As Ledger::Open, with `hooks` applied.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& directory,
                                                      const LedgerOptions& options,
                                                      const StorageHooks& hooks = StorageHooks());
  // Opens the database in `directory` as it is (creating it when `create`),
  // without looking at the directory first: Open's last step, and the
  // creation inside a fresh directory.
  static absl::StatusOr<std::unique_ptr<Ledger>> OpenDatabase(const std::string& directory,
                                                              const LedgerOptions& options,
                                                              const StorageHooks& hooks,
                                                              bool create);
  ~RocksDbLedger() override;

  absl::StatusOr<AppendResult> Append(const AppendBatch& batch) override;
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
  absl::Status Verify(uint64_t from, uint64_t to) const override;
  std::unique_ptr<Cursor> NewCursor(uint64_t after_sequence) const override;
  std::unique_ptr<Subscription> Subscribe(
      uint64_t after_sequence, std::function<absl::Status(const v1::Envelope&)> on_event) override;
  LedgerMetrics Metrics() const override;  // ledger_metrics.cc

  // Blocks until the head passes `after_sequence` or `deadline` passes;
  // returns the head sequence then.
  uint64_t WaitForAppend(uint64_t after_sequence, absl::Time deadline) const;

  // Runs `while_held` while no append is being written and none starts:
  // it takes its turn in the group commit queue like a writer, waits until
  // every group written before is durable (with `sync`) and published, and
  // passes that head, which is then the log's whole content. Appends that
  // arrive meanwhile wait in the queue and are written after it returns.
  // What a consistent backup of the ledger and the stores beside it needs.
  // FailedPrecondition for a read-only ledger; the error that stopped
  // appending, if one did; otherwise what `while_held` returns.
  absl::Status HoldAppends(absl::FunctionRef<absl::Status(const ChainHead& head)> while_held);

  // Copies the database as it is now into `directory`, which must not
  // exist (util/rocks_checkpoint.h). Under HoldAppends, the copy holds
  // exactly the head passed there.
  absl::Status CopyTo(const std::string& directory);

 private:
  // One caller of Append, queued for the group commit. A follower waits
  // until a leader makes it the next leader or gives it its result.
  struct Writer {
    enum class State { kWaiting, kLeading, kDone };
    // nullptr for HoldAppends' turn, which no group takes in.
    PreparedBatch* prepared;
    const AppendBatch* batch;
    absl::StatusOr<AppendResult> result = absl::UnknownError("not written");
    CommitWaiter* waiter;  // where the calling thread sleeps
  };
  // Gives the group commit to the next writer queued, or marks it free.
  void PassLeadership();
  // Wakes `writer`'s thread into `state`.
  static void Signal(Writer* writer, Writer::State state);
  // Sleeps until `writer` is signalled; returns the state it was given.
  static Writer::State Wait(Writer* writer);

  // What one group commit assigns. Keyed by views into the envelopes of the
  // group, which outlive the write.
  struct GroupState {
    uint64_t next_sequence;
    Hash previous_hash;
    int64_t recorded_at_us;
    absl::flat_hash_map<absl::string_view, uint64_t> stream_versions;
    absl::flat_hash_map<absl::string_view, std::pair<uint64_t, Hash>> idempotency;
    // The streams index as the group found it, opened at the group's first
    // stream that is in neither map nor stream_version_cache_ and shared by
    // the others (opening an iterator costs more than a seek).
    std::unique_ptr<rocksdb::Iterator> streams_index;
  };

  RocksDbLedger(const LedgerOptions& options, std::unique_ptr<rocksdb::DB> db,
                std::vector<rocksdb::ColumnFamilyHandle*> families, bool allow_plain_personal);

  // Reads the format and the chain head; writes them on a ledger being
  // created (no event yet) unless read-only.
  absl::Status LoadHead(const std::string& directory);
  // Runs `leader`'s group: takes the writers queued from `leader` on, writes
  // them, hands the lead to the next queued writer, waits until the write is
  // durable and gives every writer of the group its result.
  void LeadGroup(Writer* leader);
  // Checks, positions and writes `group` to RocksDB (without waiting for the
  // sync when `sync` is on). Sets each writer's result. Returns the number
  // of groups written so far that must be durable before the results may be
  // given out: its own if it wrote, else the ones before it.
  uint64_t WriteGroup(const std::vector<Writer*>& group);
  // Blocks until every group up to `ticket` is durable, syncing the
  // write-ahead log itself when no other writer is, and publishing the head
  // of what its sync covered. An error if a write or sync failed first.
  absl::Status WaitDurable(uint64_t ticket);
  // After a storage error on the append path: appends fail from now on,
  // with the status returned.
  absl::Status FailAppends(const absl::Status& cause);
  // Checks one writer's batch against the group state and, if it may be
  // appended, adds it to `write_batch` and `state`. `stored_keys` and
  // `stored_key_statuses` are what the idempotency family holds for the
  // batch's keys, in batch order. Returns the result for the writer; an
  // error leaves both untouched.
  // WriteGroup's steps. The idempotency records of every key of the group,
  // in one MultiGet.
  void LookUpKeys(const std::vector<Writer*>& group, std::vector<rocksdb::PinnableSlice>* values,
                  std::vector<rocksdb::Status>* statuses) const;
  // Aborts unless the appended writers' sequences follow the written head
  // without a gap, up to the group's next sequence.
  void CheckGapFree(const std::vector<Writer*>& appended, const GroupState& state) const;
  // After the group's write: moves the written head and the stream versions
  // on, numbers the group, and publishes it when appends are not synced.
  // Returns the group's number.
  uint64_t Written(const ChainHead& new_head, const GroupState& state);
  absl::StatusOr<AppendResult> ApplyWriter(Writer* writer,
                                           absl::Span<const rocksdb::PinnableSlice> stored_keys,
                                           absl::Span<const rocksdb::Status> stored_key_statuses,
                                           GroupState* state, rocksdb::WriteBatch* write_batch);
  // ApplyWriter's steps. The batch's keys as appended before (by the group
  // or stored): true with the original sequences in `result` when all are,
  // false when none is, AlreadyExists for some or for other content.
  absl::StatusOr<bool> FindAppendedBefore(const PreparedBatch& batch,
                                          absl::Span<const rocksdb::PinnableSlice> stored_keys,
                                          absl::Span<const rocksdb::Status> stored_key_statuses,
                                          const GroupState& state, AppendResult* result) const;
  // Aborted when a stream the caller expects at a version is not at it.
  absl::Status CheckExpectedVersions(const AppendBatch& batch, GroupState* state);
  // Gives each event its stream version; returns the batch's streams at
  // their new versions, for the group state once the batch is in.
  absl::StatusOr<absl::flat_hash_map<absl::string_view, uint64_t>> AssignStreamVersions(
      PreparedBatch* batch, GroupState* state);
  // Gives each event its sequence and chain hash and adds the event and its
  // index entries to `write_batch`; moves the group's position on. An event
  // past kMaxEventBytes leaves `write_batch` and `state` as they were.
  absl::Status PositionAndChain(const PreparedBatch& batch, GroupState* state,
                                rocksdb::WriteBatch* write_batch, AppendResult* result) const;
  absl::StatusOr<uint64_t> CurrentStreamVersion(absl::string_view stream_id, GroupState* state);
  // The newest version of `stream_id` in the streams index, read through
  // `streams_index`, an iterator over it.
  absl::StatusOr<uint64_t> StoredStreamVersion(absl::string_view stream_id,
                                               rocksdb::Iterator* streams_index) const;
  absl::StatusOr<int64_t> RecordedAtOf(uint64_t sequence) const;
  // Verify's check of the streams and idempotency indexes against the
  // events 1..to, whose entries `expected` adds up (verify.cc).
  absl::Status VerifyIndexes(uint64_t to, const IndexTally& expected) const;
  // Names the first index entry that is wrong, after VerifyIndexes found
  // that some is.
  absl::Status FindIndexMismatch(uint64_t to) const;

  rocksdb::ColumnFamilyHandle* events() const { return families_[1]; }
  rocksdb::ColumnFamilyHandle* streams() const { return families_[2]; }
  rocksdb::ColumnFamilyHandle* idempotency() const { return families_[3]; }
  rocksdb::ColumnFamilyHandle* meta() const { return families_[4]; }

  const LedgerOptions options_;
  // StorageHooks::allow_plain_personal.
  const bool allow_plain_personal_;
  const Clock* const clock_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // [0] is RocksDB's default

  // The group-commit queue: writers waiting for the current leader to
  // finish writing. `leading_` is true while a leader checks, positions and
  // writes a group; when it is done, the writer at the front leads next.
  // Guards nothing else.
  Mutex queue_mu_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leading_ ABSL_GUARDED_BY(queue_mu_) = false;

  // Touched only by the leading writer, one at a time: the head of what is
  // written to RocksDB (ahead of head_ while a sync is pending) and the
  // version of every stream appended to since the ledger opened.
  ChainHead written_head_;
  absl::flat_hash_map<std::string, uint64_t> stream_version_cache_;

  // Durability of the groups written (with `sync` on). Groups are numbered
  // 1, 2, ... in the order they are written; a sync of the write-ahead log
  // makes every group written before it started durable.
  Mutex sync_mu_;
  CondVar sync_done_;  // writers wait for the sync running
  // Groups written to RocksDB, and the head after the last of them.
  uint64_t written_groups_ ABSL_GUARDED_BY(sync_mu_) = 0;
  ChainHead written_groups_head_ ABSL_GUARDED_BY(sync_mu_);
  uint64_t durable_groups_ ABSL_GUARDED_BY(sync_mu_) = 0;  // groups known to be synced
  bool syncing_ ABSL_GUARDED_BY(sync_mu_) = false;  // a writer syncs, outside the lock
  // Set once a write or sync fails: appends stop.
  absl::Status append_failure_ ABSL_GUARDED_BY(sync_mu_);

  // The published head: every event up to it is durable (with `sync` on)
  // and readable. Readers never look past it.
  mutable Mutex head_mu_;
  mutable CondVar head_advanced_;
  ChainHead head_ ABSL_GUARDED_BY(head_mu_);

  // Counters of the append path; atomics, touched without a lock.
  AppendMetrics append_metrics_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_ROCKSDB_LEDGER_H_
