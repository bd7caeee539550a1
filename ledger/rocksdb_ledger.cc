#include "ledger/rocksdb_ledger.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/types/span.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/envelope_header.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/prepared_batch.h"
#include "ledger/rocksdb_options.h"
#include "util/big_endian.h"
#include "util/db_directory.h"
#include "util/rocks_checkpoint.h"
#include "util/rocks_status.h"
#include "util/rocks_util.h"
#include "util/sha256.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "util/check.h"

namespace loyalty {

AppendBatch& AppendBatch::Add(v1::Envelope envelope) {
  events_.push_back(std::move(envelope));
  return *this;
}

AppendBatch& AppendBatch::ExpectVersion(absl::string_view stream_id, uint64_t version) {
  for (auto& [stream, expected] : expected_versions_) {
    if (stream == stream_id) {
      expected = version;
      return *this;
    }
  }
  expected_versions_.emplace_back(std::string(stream_id), version);
  return *this;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& directory,
                                                     const LedgerOptions& options) {
  return internal::RocksDbLedger::Open(directory, options);
}

namespace internal {
namespace {

// What every append gets once a write or sync has failed.
absl::Status StoppedAppending(const absl::Status& cause) {
  return absl::Status(cause.code(),
                      absl::StrCat("appending stopped after a storage failure; reopen the ledger "
                                   "and retry (idempotency keys make retries safe): ",
                                   cause.message()));
}

std::string EncodeHead(const ChainHead& head) {
  std::string value = util::BigEndian64(head.sequence);
  value.append(util::DigestBytes(head.hash).data(), 32);
  util::PutBigEndian64(&value, static_cast<uint64_t>(head.recorded_at_us));
  return value;
}

}  // namespace

namespace {

absl::Status InterruptedCreationError(const std::string& directory) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the ledger in ", directory,
      " was not completely created (its creation was interrupted); nothing was changed: "
      "`loyalty init --db ", directory, "` finishes it"));
}

// The message of an open that RocksDB refused, as the ledger reports it.
absl::Status OpenError(const rocksdb::Status& status, const std::string& directory) {
  const std::string message = status.ToString();
  // A directory we may not write (read-only mount, permissions) also fails
  // at the LOCK file first; say so rather than blame another process.
  if (absl::StrContains(message, "Read-only file system")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ledger directory ", directory, " is on a read-only file system: ", message));
  }
  if (absl::StrContains(message, "Permission denied")) {
    return absl::PermissionDeniedError(absl::StrCat(
        "ledger directory ", directory, " cannot be written by this user: ", message));
  }
  if (status.IsCorruption()) {
    return absl::DataLossError(absl::StrCat("ledger directory ", directory,
                                            " is damaged (a file of it fails its checks): ",
                                            message));
  }
  // RocksDB names the LOCK file when another process (or another open in
  // this one) holds it: "While lock file: D/LOCK: ..." or "lock hold by
  // current process ...: D/LOCK: ...".
  if (status.IsIOError() && absl::StrContains(message, "/LOCK")) {
    return absl::FailedPreconditionError(
        absl::StrCat("ledger directory ", directory,
                     " is in use by another process (its LOCK is held): ", message));
  }
  if (absl::StrContains(message, "Column families not opened")) {
    // An earlier layout, with families this build does not know.
    return absl::FailedPreconditionError(
        absl::StrCat("the directory ", directory,
                     " holds a ledger format this build does not read (it reads \"",
                     kFormatName, "\"): ", message));
  }
  if (absl::StrContains(message, "Column family not found")) {
    return InterruptedCreationError(directory);
  }
  return util::FromRocks(status, absl::StrCat("opening ledger directory ", directory));
}

// Creates the ledger's database in `directory` (empty or new): every column
// family, the format and the empty chain's head, synced.
absl::Status CreateLedgerDatabase(const std::string& directory, const StorageHooks& hooks) {
  LedgerOptions options;
  options.create_if_missing = true;
  absl::StatusOr<std::unique_ptr<Ledger>> created =
      RocksDbLedger::OpenDatabase(directory, options, hooks, /*create=*/true);
  return created.status();
}

}  // namespace


absl::StatusOr<std::unique_ptr<Ledger>> RocksDbLedger::Open(const std::string& directory,
                                                            const LedgerOptions& options,
                                                            const StorageHooks& hooks) {
  absl::StatusOr<util::DbDirectory> found =
      util::InspectDbDirectory(directory);
  if (!found.ok()) return found.status();
  const bool may_create = options.create_if_missing && !options.read_only;
  switch (found->kind) {
    case util::DbDirectoryKind::kNotADirectory:
      return absl::InvalidArgumentError(
          absl::StrCat("no ledger at ", directory, ": it is a file, not a directory"));
    case util::DbDirectoryKind::kMissing:
    case util::DbDirectoryKind::kEmpty:
    case util::DbDirectoryKind::kInterruptedCreation: {
      if (!may_create) {
        if (found->kind == util::DbDirectoryKind::kInterruptedCreation) {
          return InterruptedCreationError(directory);
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "no ledger at ", directory,
            found->kind == util::DbDirectoryKind::kMissing ? ": it does not exist"
                                                           : ": it is empty",
            " (`loyalty init --db ", directory, "` creates one)"));
      }
      absl::Status created = util::CreateDbDirectoryAtomically(
          directory, [&](const std::string& path) { return CreateLedgerDatabase(path, hooks); });
      if (!created.ok()) return created;
      break;
    }
    case util::DbDirectoryKind::kDamaged:
      return absl::DataLossError(absl::StrCat(
          "ledger directory ", directory, " is damaged: it holds the ledger's files (",
          util::NamesForMessage(found->database_files),
          ") but no usable CURRENT file; nothing was changed. Restore it from a backup, or "
          "work on a copy with RocksDB's repair (`ldb repair --db=COPY`, Debian's "
          "rocksdb-tools) and check the result with `loyalty verify`"));
    case util::DbDirectoryKind::kForeign:
      if (may_create) {
        return absl::FailedPreconditionError(absl::StrCat(
            "directory ", directory, " is not empty and holds no ledger (it holds ",
            util::NamesForMessage(found->other_entries),
            "); nothing was changed: give a new or empty directory"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "no ledger at ", directory, ": it holds ",
          util::NamesForMessage(found->other_entries), " and no ledger"));
    case util::DbDirectoryKind::kDatabase:
      break;
  }
  return OpenDatabase(directory, options, hooks, /*create=*/false);
}

absl::StatusOr<std::unique_ptr<Ledger>> RocksDbLedger::OpenDatabase(const std::string& directory,
                                                                    const LedgerOptions& options,
                                                                    const StorageHooks& hooks,
                                                                    bool create) {
  rocksdb::DBOptions db_options = LedgerDbOptions();
  if (hooks.env != nullptr) db_options.env = hooks.env;
  db_options.create_if_missing = create;
  // A writing open finishes a creation interrupted after CURRENT was
  // written (families or the format missing, no event yet); LoadHead checks
  // that there is no event before it writes the format.
  db_options.create_missing_column_families = !options.read_only;
  if (options.read_only) util::SetReadOnlyOpenOptions(&db_options);

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  const size_t buffer = hooks.write_buffer_bytes;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName,
       LedgerFamilyOptions(cache, LedgerFamily::kPlain, buffer)},
      {kEventsFamily, LedgerFamilyOptions(cache, LedgerFamily::kEvents, buffer)},
      {kStreamsFamily, LedgerFamilyOptions(cache, LedgerFamily::kStreams, buffer)},
      {kIdempotencyFamily, LedgerFamilyOptions(cache, LedgerFamily::kIdempotency, buffer)},
      {kMetaFamily, LedgerFamilyOptions(cache, LedgerFamily::kPlain, buffer)},
  };
  if (options.read_only) {
    // The hash memtable's bucket array (a sixteenth of the write buffer,
    // zeroed when the memtable is made) serves inserts; a read-only open
    // only replays the log into its memtable, which a skip list does for
    // nothing up front: a third of a reading command's start.
    descriptors[3].options.memtable_factory = std::make_shared<rocksdb::SkipListFactory>();
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, directory, descriptors, &handles, &raw_db,
                                         /*error_if_wal_file_exists=*/false)
          : rocksdb::DB::Open(db_options, directory, descriptors, &handles, &raw_db);
  if (!status.ok()) return OpenError(status, directory);
  std::unique_ptr<rocksdb::DB> db(raw_db);
  if (!options.read_only) util::RemoveEmptyEarlierWals(*db);
  std::unique_ptr<RocksDbLedger> ledger(new RocksDbLedger(options, std::move(db), handles, hooks.allow_plain_personal));
  absl::Status loaded = ledger->LoadHead(directory);
  if (!loaded.ok()) return loaded;
  return std::unique_ptr<Ledger>(std::move(ledger));
}

RocksDbLedger::RocksDbLedger(const LedgerOptions& options, std::unique_ptr<rocksdb::DB> db,
                             std::vector<rocksdb::ColumnFamilyHandle*> families,
                             bool allow_plain_personal)
    : options_(options),
      allow_plain_personal_(allow_plain_personal),
      clock_(options.clock != nullptr ? options.clock : DefaultClock()),
      db_(std::move(db)),
      families_(std::move(families)) {}

RocksDbLedger::~RocksDbLedger() {
  if (!options_.read_only) util::FlushBeforeClose(*db_, families_);
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    db_->DestroyColumnFamilyHandle(family);
  }
  db_->Close();
}

absl::Status RocksDbLedger::LoadHead(const std::string& directory) {
  std::string format;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta(), kFormatKey, &format);
  if (status.IsNotFound()) {
    // A ledger being created. Anything already in its log means the
    // metadata was lost instead: never start a new chain over events.
    std::unique_ptr<rocksdb::Iterator> events_it(db_->NewIterator(rocksdb::ReadOptions(), events()));
    events_it->SeekToFirst();
    if (events_it->Valid() || !events_it->status().ok()) {
      return absl::DataLossError(absl::StrCat(
          "ledger directory ", directory,
          " is damaged: it holds events but its format and chain head are missing; nothing "
          "was changed. Restore it from a backup"));
    }
    if (options_.read_only) return InterruptedCreationError(directory);
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    rocksdb::WriteBatch batch;
    batch.Put(meta(), kFormatKey, kFormatName);
    batch.Put(meta(), kHeadKey, EncodeHead(ChainHead()));
    absl::Status written =
        util::FromRocks(db_->Write(write_options, &batch), "initialising the ledger");
    if (!written.ok()) return written;
    format = kFormatName;
  } else if (!status.ok()) {
    return util::FromRocks(status, absl::StrCat("reading the ledger format in ", directory));
  }
  if (format != kFormatName) {
    return absl::FailedPreconditionError(
        absl::StrCat("the directory holds ledger format \"", format, "\", this build reads \"",
                     kFormatName, "\""));
  }
  std::string value;
  absl::Status read = util::FromRocks(db_->Get(rocksdb::ReadOptions(), meta(), kHeadKey, &value),
                                      "reading the chain head");
  if (!read.ok()) return read;
  if (value.size() != 8 + 32 + 8) {
    return absl::DataLossError(absl::StrCat("the stored chain head is ", value.size(),
                                            " bytes long, expected 48"));
  }
  ChainHead head;
  head.sequence = util::DecodeBigEndian64(value);
  util::DigestFromBytes(absl::string_view(value).substr(8, 32), &head.hash);
  head.recorded_at_us =
      static_cast<int64_t>(util::DecodeBigEndian64(absl::string_view(value).substr(40)));

  written_head_ = head;
  {
    MutexLock lock(&sync_mu_);
    written_groups_head_ = head;
  }
  MutexLock lock(&head_mu_);
  head_ = head;
  return absl::OkStatus();
}

ChainHead RocksDbLedger::Head() const {
  MutexLock lock(&head_mu_);
  return head_;
}

// A thread's waiter outlives every Append the thread makes: waiters are
// taken from a pool that is never freed and go back to it when their thread
// ends. A leader notifies a waiter after unlocking its mutex (so the woken
// thread does not at once block on it), possibly after the writer has
// returned; the worst a late notification does is wake the waiter's thread
// in a later wait, which checks its state and sleeps again.
struct CommitWaiter {
  Mutex mu;
  CondVar wake;
  int state ABSL_GUARDED_BY(mu) = 0;  // a RocksDbLedger::Writer::State
};

namespace {

class WaiterPool {
 public:
  CommitWaiter* Take() {
    MutexLock lock(&mu_);
    if (free_.empty()) return new CommitWaiter;
    CommitWaiter* waiter = free_.back();
    free_.pop_back();
    return waiter;
  }
  void Give(CommitWaiter* waiter) {
    MutexLock lock(&mu_);
    free_.push_back(waiter);
  }

 private:
  Mutex mu_;
  std::vector<CommitWaiter*> free_ ABSL_GUARDED_BY(mu_);
};

WaiterPool& Waiters() {
  static WaiterPool* const pool = new WaiterPool;  // never freed, see CommitWaiter
  return *pool;
}

CommitWaiter* ThisThreadsWaiter() {
  struct Holder {
    CommitWaiter* waiter = Waiters().Take();
    ~Holder() { Waiters().Give(waiter); }
  };
  thread_local Holder holder;
  return holder.waiter;
}

}  // namespace

void RocksDbLedger::Signal(Writer* writer, Writer::State state) {
  // After the state is set the writer may return at any moment: only its
  // waiter, which is never freed, is touched after that.
  CommitWaiter* const waiter = writer->waiter;
  {
    MutexLock lock(&waiter->mu);
    waiter->state = static_cast<int>(state);
  }
  waiter->wake.Signal();
}

RocksDbLedger::Writer::State RocksDbLedger::Wait(Writer* writer) {
  CommitWaiter* const waiter = writer->waiter;
  MutexLock lock(&waiter->mu);
  while (waiter->state == static_cast<int>(Writer::State::kWaiting)) waiter->wake.Wait(&waiter->mu);
  return static_cast<Writer::State>(waiter->state);
}

absl::StatusOr<AppendResult> RocksDbLedger::Append(const AppendBatch& batch) {
  if (options_.read_only) {
    return absl::FailedPreconditionError("the ledger is open read-only: appending needs a writing open");
  }
  // Everything that needs no ledger state is done by the caller's thread,
  // in parallel with other callers, before it joins the queue: checking,
  // serializing the caller's fields (once: the leader only prepends the
  // fields it assigns) and hashing them for idempotency.
  const AppendMetrics::TimePoint started = AppendMetrics::Start();
  PreparedBatch prepared;
  absl::Status status = PrepareBatch(batch, allow_plain_personal_, &prepared);
  if (!status.ok()) return append_metrics_.Failed(status);

  Writer writer;
  writer.prepared = &prepared;
  writer.batch = &batch;
  writer.waiter = ThisThreadsWaiter();
  {
    MutexLock lock(&writer.waiter->mu);
    writer.waiter->state = static_cast<int>(Writer::State::kWaiting);
  }
  bool lead = false;
  {
    MutexLock lock(&queue_mu_);
    queue_.push_back(&writer);
    if (!leading_) {  // nobody is writing, so the queue was empty
      leading_ = true;
      lead = true;
    }
  }
  if (lead || Wait(&writer) == Writer::State::kLeading) LeadGroup(&writer);
  append_metrics_.Finished(started, writer.result);
  return std::move(writer.result);
}

void RocksDbLedger::LeadGroup(Writer* leader) {
  // The leader is at the front: it writes its own batch and those queued
  // behind it, up to the group limit.
  std::vector<Writer*> group;
  {
    MutexLock lock(&queue_mu_);
    LOYALTY_CHECK(queue_.front() == leader);
    size_t group_events = 0;
    while (!queue_.empty()) {
      Writer* queued = queue_.front();
      if (queued->prepared == nullptr) break;  // a hold: it leads next, alone
      const size_t size = queued->prepared->events.size();
      if (!group.empty() && group_events + size > kMaxGroupCommitEvents) break;
      group.push_back(queued);
      group_events += size;
      queue_.pop_front();
    }
  }
  const uint64_t ticket = WriteGroup(group);

  // The next group may be checked and written while this one's sync runs:
  // wake its leader first.
  PassLeadership();

  // Results are given out only once what they rest on is durable.
  const absl::Status durable = options_.sync ? WaitDurable(ticket) : absl::OkStatus();
  for (Writer* writer : group) {
    if (!durable.ok()) writer->result = durable;
    if (writer != leader) Signal(writer, Writer::State::kDone);
  }
}

void RocksDbLedger::PassLeadership() {
  Writer* next = nullptr;
  {
    MutexLock lock(&queue_mu_);
    if (queue_.empty()) {
      leading_ = false;
    } else {
      next = queue_.front();
    }
  }
  if (next != nullptr) Signal(next, Writer::State::kLeading);
}

absl::Status RocksDbLedger::HoldAppends(
    absl::FunctionRef<absl::Status(const ChainHead& head)> while_held) {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        "the ledger is open read-only: holding its appends needs a writing open");
  }
  Writer hold;
  hold.prepared = nullptr;
  hold.batch = nullptr;
  hold.waiter = ThisThreadsWaiter();
  {
    MutexLock lock(&hold.waiter->mu);
    hold.waiter->state = static_cast<int>(Writer::State::kWaiting);
  }
  bool lead = false;
  {
    MutexLock lock(&queue_mu_);
    queue_.push_back(&hold);
    if (!leading_) {
      leading_ = true;
      lead = true;
    }
  }
  // No group takes a hold in, so it is only ever woken to lead.
  if (!lead) {
    const Writer::State state = Wait(&hold);
    LOYALTY_CHECK(state == Writer::State::kLeading);
  }
  {
    MutexLock lock(&queue_mu_);
    LOYALTY_CHECK(queue_.front() == &hold);
    queue_.pop_front();
  }
  // The groups before may still be syncing: wait until all are durable and
  // their head published.
  uint64_t written;
  {
    MutexLock lock(&sync_mu_);
    written = written_groups_;
  }
  absl::Status status = absl::OkStatus();
  if (options_.sync) status = WaitDurable(written);
  {
    MutexLock lock(&sync_mu_);
    if (status.ok()) status = append_failure_;
  }
  if (status.ok()) status = while_held(written_head_);
  PassLeadership();
  return status;
}

absl::Status RocksDbLedger::CopyTo(const std::string& directory) {
  return util::CreateRocksCheckpoint(*db_, directory, "the ledger");
}

uint64_t RocksDbLedger::WriteGroup(const std::vector<Writer*>& group) {
  {
    MutexLock lock(&sync_mu_);
    if (!append_failure_.ok()) {
      for (Writer* writer : group) writer->result = append_failure_;
      return written_groups_;
    }
  }
  GroupState state{written_head_.sequence + 1, written_head_.hash,
                   std::max(clock_->NowMicros(), written_head_.recorded_at_us), {}, {}, nullptr};
  size_t group_events = 0;
  size_t group_bytes = 0;
  for (const Writer* writer : group) {
    group_events += writer->prepared->events.size();
    group_bytes += writer->prepared->caller_bytes.size();
  }
  state.stream_versions.reserve(group_events);
  state.idempotency.reserve(group_events);

  std::vector<rocksdb::PinnableSlice> values(group_events);
  std::vector<rocksdb::Status> statuses(group_events);
  LookUpKeys(group, &values, &statuses);

  // Per event: the events value (header, caller fields, hash) and the two
  // index entries with their keys.
  rocksdb::WriteBatch write_batch(group_bytes + group_events * 256);
  std::vector<Writer*> appended;
  size_t first = 0;
  for (Writer* writer : group) {
    const size_t size = writer->prepared->events.size();
    writer->result =
        ApplyWriter(writer, absl::MakeConstSpan(values).subspan(first, size),
                    absl::MakeConstSpan(statuses).subspan(first, size), &state, &write_batch);
    first += size;
    if (writer->result.ok() && !writer->result->deduplicated) appended.push_back(writer);
  }
  state.streams_index.reset();  // it pins memtables and files; the checks are done
  if (appended.empty()) {
    // Nothing to write; the answers may rest on groups still being synced.
    MutexLock lock(&sync_mu_);
    return written_groups_;
  }

  CheckGapFree(appended, state);
  const ChainHead new_head{state.next_sequence - 1, state.previous_hash, state.recorded_at_us};
  write_batch.Put(meta(), kHeadKey, EncodeHead(new_head));
  // With `sync` on, the write-ahead log is synced after the write, outside
  // the leader's turn (WaitDurable), so that the next group is written
  // during the sync. The events are in the memtable before they are
  // durable; readers do not look past the published head.
  absl::Status written =
      util::FromRocks(db_->Write(rocksdb::WriteOptions(), &write_batch), "appending");
  if (!written.ok()) {
    const absl::Status failure = FailAppends(written);
    for (Writer* writer : group) writer->result = failure;
    MutexLock lock(&sync_mu_);
    return written_groups_;
  }
  append_metrics_.GroupWritten(new_head.sequence - written_head_.sequence,
                               write_batch.GetDataSize());
  return Written(new_head, state);
}

void RocksDbLedger::LookUpKeys(const std::vector<Writer*>& group,
                               std::vector<rocksdb::PinnableSlice>* values,
                               std::vector<rocksdb::Status>* statuses) const {
  // Idempotency first, for the whole group in one look-up: a retry of a
  // batch that was appended is answered with its original positions,
  // whatever the streams' versions are now. Groups written but not yet
  // synced are in the memtable, so they are seen too.
  std::vector<rocksdb::Slice> keys;
  keys.reserve(values->size());
  for (const Writer* writer : group) {
    for (const PreparedEvent& event : writer->prepared->events) {
      keys.emplace_back(util::ToSlice(event.envelope->idempotency_key()));
    }
  }
  db_->MultiGet(rocksdb::ReadOptions(), idempotency(), keys.size(), keys.data(), values->data(),
                statuses->data());
}

void RocksDbLedger::CheckGapFree(const std::vector<Writer*>& appended,
                                 const GroupState& state) const {
  // Before the write: the group's events follow the head without a gap, in
  // the order of its writers (the reads check the same when they decode).
  uint64_t next = written_head_.sequence + 1;
  for (const Writer* writer : appended) {
    for (const uint64_t sequence : writer->result->sequences) {
      LOYALTY_CHECK_MSG(sequence == next, "group commit: sequence ", sequence, " where ", next,
                        " is next");
      ++next;
    }
  }
  LOYALTY_CHECK(next == state.next_sequence);
}

uint64_t RocksDbLedger::Written(const ChainHead& new_head, const GroupState& state) {
  written_head_ = new_head;
  for (const auto& [stream_id, version] : state.stream_versions) {
    if (auto it = stream_version_cache_.find(stream_id); it != stream_version_cache_.end()) {
      it->second = version;
    } else {
      stream_version_cache_.emplace(std::string(stream_id), version);
    }
  }
  uint64_t ticket;
  {
    MutexLock lock(&sync_mu_);
    ticket = ++written_groups_;
    written_groups_head_ = new_head;
  }
  if (!options_.sync) {
    // Written is as far as it goes: publish now, still in order.
    MutexLock lock(&head_mu_);
    head_ = new_head;
    head_advanced_.SignalAll();
  }
  return ticket;
}

absl::Status RocksDbLedger::WaitDurable(uint64_t ticket) {
  MutexLock lock(&sync_mu_);
  while (true) {
    if (durable_groups_ >= ticket) return absl::OkStatus();
    if (!append_failure_.ok()) return append_failure_;
    if (syncing_) {
      sync_done_.Wait(&sync_mu_);
      continue;
    }
    // No sync is running: this writer syncs everything written so far (its
    // own group and any written since), while the next group is written.
    syncing_ = true;
    const uint64_t target = written_groups_;
    const ChainHead target_head = written_groups_head_;
    sync_mu_.Unlock();
    const AppendMetrics::TimePoint sync_started = AppendMetrics::Start();
    const absl::Status synced = util::FromRocks(db_->SyncWAL(), "syncing the write-ahead log");
    sync_mu_.Lock();
    syncing_ = false;
    if (synced.ok()) {
      append_metrics_.Synced(sync_started);
      durable_groups_ = target;
      // Syncs run one at a time and cover ever more groups: heads are
      // published in order.
      MutexLock head_lock(&head_mu_);
      head_ = target_head;
      head_advanced_.SignalAll();
    } else if (append_failure_.ok()) {
      // What the log holds past the last good sync is unknown: nothing more
      // is acknowledged or appended until the ledger is reopened.
      append_failure_ = StoppedAppending(synced);
    }
    sync_done_.SignalAll();
  }
}

absl::Status RocksDbLedger::FailAppends(const absl::Status& cause) {
  MutexLock lock(&sync_mu_);
  if (append_failure_.ok()) append_failure_ = StoppedAppending(cause);
  sync_done_.SignalAll();
  return append_failure_;
}

absl::StatusOr<uint64_t> RocksDbLedger::CurrentStreamVersion(absl::string_view stream_id,
                                                             GroupState* state) {
  if (auto it = state->stream_versions.find(stream_id); it != state->stream_versions.end()) {
    return it->second;
  }
  if (auto it = stream_version_cache_.find(stream_id); it != stream_version_cache_.end()) {
    return it->second;
  }
  // Every group before this one is written (the leader writes one group at
  // a time) and this group writes only after all its checks: the iterator
  // sees exactly the index as the group must find it.
  if (state->streams_index == nullptr) {
    state->streams_index.reset(db_->NewIterator(rocksdb::ReadOptions(), streams()));
  }
  absl::StatusOr<uint64_t> stored = StoredStreamVersion(stream_id, state->streams_index.get());
  if (stored.ok()) stream_version_cache_.emplace(std::string(stream_id), *stored);
  return stored;
}

absl::StatusOr<AppendResult> RocksDbLedger::ApplyWriter(
    Writer* writer, absl::Span<const rocksdb::PinnableSlice> stored_keys,
    absl::Span<const rocksdb::Status> stored_key_statuses, GroupState* state,
    rocksdb::WriteBatch* write_batch) {
  PreparedBatch& batch = *writer->prepared;
  AppendResult result;
  absl::StatusOr<bool> repeated =
      FindAppendedBefore(batch, stored_keys, stored_key_statuses, *state, &result);
  if (!repeated.ok()) return repeated.status();
  if (*repeated) return result;
  absl::Status status = CheckExpectedVersions(*writer->batch, state);
  if (!status.ok()) return status;
  absl::StatusOr<absl::flat_hash_map<absl::string_view, uint64_t>> versions =
      AssignStreamVersions(&batch, state);
  if (!versions.ok()) return versions.status();
  status = PositionAndChain(batch, state, write_batch, &result);
  if (!status.ok()) return status;
  // Every check passed: the batch is in, so the group state moves on.
  for (const auto& [stream_id, version] : *versions) state->stream_versions[stream_id] = version;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    state->idempotency[batch.events[i].envelope->idempotency_key()] = {
        result.sequences[i], batch.events[i].content_digest};
  }
  return result;
}

absl::StatusOr<bool> RocksDbLedger::FindAppendedBefore(
    const PreparedBatch& batch, absl::Span<const rocksdb::PinnableSlice> stored_keys,
    absl::Span<const rocksdb::Status> stored_key_statuses, const GroupState& state,
    AppendResult* result) const {
  const std::vector<PreparedEvent>& prepared = batch.events;
  // The group's own appends first, then what is stored.
  result->sequences.reserve(prepared.size());
  size_t seen = 0;
  for (size_t i = 0; i < prepared.size(); ++i) {
    const std::string& key = prepared[i].envelope->idempotency_key();
    uint64_t sequence = 0;
    Hash digest{};
    if (auto it = state.idempotency.find(key); it != state.idempotency.end()) {
      sequence = it->second.first;
      digest = it->second.second;
    } else if (stored_key_statuses[i].ok()) {
      const absl::string_view value = util::View(stored_keys[i]);
      if (value.size() != 8 + 32) {
        return absl::DataLossError(absl::StrCat("idempotency record of \"", key, "\" is ",
                                                value.size(), " bytes, expected 40"));
      }
      sequence = util::DecodeBigEndian64(value);
      util::DigestFromBytes(value.substr(8), &digest);
    } else if (!stored_key_statuses[i].IsNotFound()) {
      return util::FromRocks(stored_key_statuses[i], "reading idempotency keys");
    } else {
      continue;
    }
    if (digest != prepared[i].content_digest) {
      return absl::AlreadyExistsError(absl::StrCat(
          "event ", i, ": idempotency_key: \"", key, "\" was used by sequence ", sequence,
          " for different content"));
    }
    ++seen;
    result->sequences.push_back(sequence);
  }
  if (seen == prepared.size()) {
    result->deduplicated = true;
    return true;
  }
  if (seen != 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "batch: ", seen, " of its ", prepared.size(),
        " idempotency keys were appended before and the others were not; retry the original "
        "batch as it was"));
  }
  return false;
}

absl::Status RocksDbLedger::CheckExpectedVersions(const AppendBatch& batch, GroupState* state) {
  for (const auto& [stream_id, expected] : batch.expected_versions()) {
    absl::StatusOr<uint64_t> actual = CurrentStreamVersion(stream_id, state);
    if (!actual.ok()) return actual.status();
    if (*actual != expected) {
      return absl::AbortedError(absl::StrCat("stream \"", stream_id, "\": expected version ",
                                             expected, ", actual version ", *actual));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_map<absl::string_view, uint64_t>>
RocksDbLedger::AssignStreamVersions(PreparedBatch* batch, GroupState* state) {
  // A map of this batch only, merged into the group's when every event is
  // in.
  absl::flat_hash_map<absl::string_view, uint64_t> versions;
  versions.reserve(batch->events.size());
  for (PreparedEvent& event : batch->events) {
    const absl::string_view stream_id = event.envelope->stream_id();
    auto it = versions.find(stream_id);
    if (it == versions.end()) {
      absl::StatusOr<uint64_t> current = CurrentStreamVersion(stream_id, state);
      if (!current.ok()) return current.status();
      it = versions.emplace(stream_id, *current).first;
    }
    event.stream_version = ++it->second;
  }
  return versions;
}

absl::Status RocksDbLedger::PositionAndChain(const PreparedBatch& batch, GroupState* state,
                                             rocksdb::WriteBatch* write_batch,
                                             AppendResult* result) const {
  write_batch->SetSavePoint();
  uint64_t sequence = state->next_sequence;
  Hash previous = state->previous_hash;
  // The chain continues from the head or from the group's last event.
  LOYALTY_CHECK(sequence != written_head_.sequence + 1 || previous == written_head_.hash);
  std::string index_key;
  char sequence_key[8];
  char idempotency_value[8 + 32];
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const PreparedEvent& event = batch.events[i];
    absl::StatusOr<PlacedEvent> placed =
        PlaceEvent(batch, i, sequence, state->recorded_at_us, previous);
    if (!placed.ok()) {
      write_batch->RollbackToSavePoint();
      result->sequences.clear();
      return placed.status();
    }
    const EncodedHeader& header = placed->header;
    const Hash& hash = placed->hash;
    const absl::string_view caller_bytes = batch.CallerBytes(event);
    util::EncodeBigEndian64(sequence, sequence_key);
    const rocksdb::Slice sequence_slice(sequence_key, 8);
    // The events value: canonical bytes (header || caller fields), chain hash.
    const rocksdb::Slice value_parts[] = {util::ToSlice(header.bytes()),
                                          util::ToSlice(caller_bytes),
                                          util::ToSlice(util::DigestBytes(hash))};
    write_batch->Put(events(), rocksdb::SliceParts(&sequence_slice, 1),
                     rocksdb::SliceParts(value_parts, 3));
    index_key.clear();
    AppendStreamKey(event.envelope->stream_id(), event.stream_version, &index_key);
    write_batch->Put(streams(), index_key, sequence_slice);
    std::memcpy(idempotency_value, sequence_key, 8);
    std::memcpy(idempotency_value + 8, event.content_digest.data(), 32);
    write_batch->Put(idempotency(), util::ToSlice(event.envelope->idempotency_key()),
                     rocksdb::Slice(idempotency_value, sizeof(idempotency_value)));
    result->sequences.push_back(sequence);
    previous = hash;
    ++sequence;
  }
  write_batch->PopSavePoint();
  state->next_sequence = sequence;
  state->previous_hash = previous;
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace loyalty
