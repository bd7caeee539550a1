// The Ledger on RocksDB: column families, group commit, chain, reads.
#ifndef LOYALTY_LEDGER_ROCKSDB_LEDGER_H_
#define LOYALTY_LEDGER_ROCKSDB_LEDGER_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "loyalty/ledger.h"
#include "rocksdb/db.h"

namespace loyalty::internal {

class RocksDbLedger final : public Ledger {
 public:
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& directory,
                                                      const LedgerOptions& options);
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

  // Blocks until the head passes `after_sequence` or `deadline` passes;
  // returns the head sequence then.
  uint64_t WaitForAppend(uint64_t after_sequence, absl::Time deadline) const;

 private:
  // An event checked at the door, waiting for its position.
  struct PreparedEvent {
    v1::Envelope envelope;
    Hash content_digest;  // over the caller's fields only: decides idempotent retries
  };
  // One caller of Append, queued for the group commit.
  struct Writer {
    std::vector<PreparedEvent>* events;
    const AppendBatch* batch;
    absl::StatusOr<AppendResult> result = absl::UnknownError("not written");
    bool done = false;
    std::condition_variable ready;
  };
  // What a group commit changes, applied to memory only once the write is durable.
  struct GroupState {
    uint64_t next_sequence;
    Hash previous_hash;
    int64_t recorded_at_us;
    absl::flat_hash_map<std::string, uint64_t> stream_versions;
    absl::flat_hash_map<std::string, std::pair<uint64_t, Hash>> idempotency;
  };

  RocksDbLedger(const LedgerOptions& options, std::unique_ptr<rocksdb::DB> db,
                std::vector<rocksdb::ColumnFamilyHandle*> families);

  absl::Status LoadHead();
  void WriteGroup(const std::vector<Writer*>& group);
  // Checks one writer's batch against the group state and, if it may be
  // appended, adds it to `write_batch` and `state`. Returns the result for
  // the writer; an error leaves both untouched.
  absl::StatusOr<AppendResult> ApplyWriter(Writer* writer, GroupState* state,
                                           rocksdb::WriteBatch* write_batch);
  absl::StatusOr<uint64_t> CurrentStreamVersion(const std::string& stream_id,
                                                const GroupState& state);
  absl::StatusOr<uint64_t> StoredStreamVersion(absl::string_view stream_id) const;
  absl::StatusOr<int64_t> RecordedAtOf(uint64_t sequence) const;

  rocksdb::ColumnFamilyHandle* events() const { return families_[1]; }
  rocksdb::ColumnFamilyHandle* chain() const { return families_[2]; }
  rocksdb::ColumnFamilyHandle* streams() const { return families_[3]; }
  rocksdb::ColumnFamilyHandle* idempotency() const { return families_[4]; }
  rocksdb::ColumnFamilyHandle* meta() const { return families_[5]; }

  const LedgerOptions options_;
  const Clock* const clock_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // [0] is RocksDB's default

  // The group-commit queue; its front writer leads the next write.
  std::mutex queue_mu_;
  std::deque<Writer*> queue_;

  // Touched only by the leading writer, one at a time.
  absl::flat_hash_map<std::string, uint64_t> stream_version_cache_;

  // The durable head, published after each write.
  mutable std::mutex head_mu_;
  mutable std::condition_variable head_advanced_;
  ChainHead head_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_ROCKSDB_LEDGER_H_
