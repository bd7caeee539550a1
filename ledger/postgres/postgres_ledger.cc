// PostgresLedger: opening, the group-commit queue and the append path.
#include "ledger/postgres/postgres_ledger.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/envelope_header.h"
#include "ledger/hash.h"
#include "ledger/postgres/ledger_schema.h"
#include "util/check.h"
#include "util/sha256.h"

namespace loyalty::internal {
namespace {

// One statement is one transaction: the head moves from the head this
// writer read, and the events go in only if it did. A second writer (or a
// stale one) finds the head moved, updates no row and so inserts none; a
// concurrent one waits for the row lock and then finds it moved.
constexpr char kWriteGroup[] = R"sql(
WITH moved AS (
  UPDATE head SET sequence = $1::bigint, hash = $2::bytea, recorded_at_us = $3::bigint
  WHERE sequence = $4::bigint AND hash = $5::bytea
  RETURNING 1)
INSERT INTO events (sequence, stream_id, stream_version, idempotency_key, content_digest,
                    recorded_at_us, canonical_bytes, hash)
SELECT e.sequence, e.stream_id, e.stream_version, e.idempotency_key, e.content_digest,
       $3::bigint, e.canonical_bytes, e.hash
FROM unnest($6::bigint[], $7::bytea[], $8::bigint[], $9::bytea[], $10::bytea[], $11::bytea[],
            $12::bytea[])
     AS e(sequence, stream_id, stream_version, idempotency_key, content_digest,
          canonical_bytes, hash)
WHERE EXISTS (SELECT 1 FROM moved))sql";

constexpr char kLookUpKeys[] =
    "SELECT idempotency_key, sequence, content_digest FROM events "
    "WHERE idempotency_key = ANY($1::bytea[])";
constexpr char kLookUpStreams[] =
    "SELECT stream_id, max(stream_version) FROM events WHERE stream_id = ANY($1::bytea[]) "
    "GROUP BY stream_id";

std::vector<absl::string_view> Views(const std::vector<std::string>& strings) {
  return std::vector<absl::string_view>(strings.begin(), strings.end());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> PostgresLedger::Open(const std::string& conninfo,
                                                             const LedgerOptions& options) {
  absl::StatusOr<std::unique_ptr<util::PgSession>> session =
      ConnectLedgerSession(conninfo, options.read_only);
  if (!session.ok()) return session.status();
  absl::StatusOr<ChainHead> head = OpenLedgerSchema(**session, options);
  if (!head.ok()) return head.status();
  // A writer appends after the head it read: only once a standby has it.
  if (!options.read_only && head->sequence > 0) {
    absl::Status replicated = AwaitSynchronousStandbys(**session);
    if (!replicated.ok()) return replicated;
  }
  return std::unique_ptr<Ledger>(
      new PostgresLedger(conninfo, options, std::move(*session), *head));
}

PostgresLedger::PostgresLedger(std::string conninfo, const LedgerOptions& options,
                               std::unique_ptr<util::PgSession> writer_session,
                               const ChainHead& head)
    : conninfo_(std::move(conninfo)),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : DefaultClock()),
      readers_(conninfo_, options.read_only),
      writer_session_(std::move(writer_session)),
      written_head_(head) {
  MutexLock lock(&head_mu_);
  head_ = head;
}

PostgresLedger::~PostgresLedger() = default;

ChainHead PostgresLedger::Head() const {
  // Not the head row: a primary shows a commit to other sessions before its
  // synchronous standby has it, and a head read there could name events a
  // failover then loses. The published head holds this ledger's
  // acknowledged appends and what its writer read back after a conflict.
  MutexLock lock(&head_mu_);
  return head_;
}

void PostgresLedger::Publish(const ChainHead& head) const {
  MutexLock lock(&head_mu_);
  if (head.sequence <= head_.sequence) return;
  head_ = head;
  head_advanced_.SignalAll();
}

absl::StatusOr<AppendResult> PostgresLedger::Append(const AppendBatch& batch) {
  if (options_.read_only) {
    return append_metrics_.Failed(absl::FailedPreconditionError(
        "the ledger is open read-only: appending needs a writing open"));
  }
  // As in the RocksDB ledger, the caller's thread checks, serializes and
  // hashes its batch before it queues.
  const AppendMetrics::TimePoint started = AppendMetrics::Start();
  PreparedBatch prepared;
  absl::Status status = PrepareBatch(batch, /*allow_plain_personal=*/false, &prepared);
  if (!status.ok()) return append_metrics_.Failed(status);

  Writer writer;
  writer.prepared = &prepared;
  writer.batch = &batch;
  std::vector<Writer*> group;
  {
    MutexLock lock(&queue_mu_);
    queue_.push_back(&writer);
    while (!writer.done && queue_.front() != &writer) writer.wake.Wait(&queue_mu_);
    if (!writer.done) {
      // This writer leads: it takes the batches queued behind it, up to the
      // group limit, and stays at the front while it writes them.
      size_t group_events = 0;
      for (Writer* queued : queue_) {
        const size_t size = queued->prepared->events.size();
        if (!group.empty() && group_events + size > kMaxGroupCommitEvents) break;
        group.push_back(queued);
        group_events += size;
      }
    }
  }
  if (!group.empty()) {
    LeadGroup(group);
    MutexLock lock(&queue_mu_);
    for (Writer* written : group) {
      LOYALTY_CHECK(queue_.front() == written);
      queue_.pop_front();
      written->done = true;
      if (written != &writer) written->wake.Signal();
    }
    if (!queue_.empty()) queue_.front()->wake.Signal();
  }
  append_metrics_.Finished(started, writer.result);
  return std::move(writer.result);
}

void PostgresLedger::LeadGroup(const std::vector<Writer*>& group) {
  absl::Status status = ReloadWriterState();
  GroupState state{written_head_.sequence + 1,
                   written_head_.hash,
                   std::max(clock_->NowMicros(), written_head_.recorded_at_us),
                   {}, {}, {}, {}};
  if (status.ok()) status = LookUp(group, &state);
  if (!status.ok()) {
    for (Writer* writer : group) writer->result = status;
    return;
  }
  GroupRows rows;
  bool any_appended = false;
  bool any_conflict = false;
  for (Writer* writer : group) {
    writer->result = ApplyWriter(writer, &state, &rows);
    if (writer->result.ok() && !writer->result->deduplicated) any_appended = true;
    if (absl::IsAborted(writer->result.status())) any_conflict = true;
  }
  // A stream moved past what a caller expected: another writer appended
  // (or this ledger's cached versions are stale). Once this group is done,
  // the head is read again and published, so that a caller catching up
  // before it decides again sees those appends, and the cache is dropped.
  // A failed read is repeated by the next group.
  struct ReloadAfterConflict {
    PostgresLedger* ledger;
    bool conflict;
    ~ReloadAfterConflict() {
      if (!conflict) return;
      ledger->reload_before_next_write_ = true;
      (void)ledger->ReloadWriterState();
    }
  } reload_after{this, any_conflict};
  if (!any_appended) return;
  const ChainHead new_head{state.next_sequence - 1, state.previous_hash, state.recorded_at_us};
  status = WriteRows(rows, new_head);
  if (!status.ok()) {
    // Every answer of the group may rest on the rows not written (a retry
    // answered with a sequence the group assigned), so all get the error.
    for (Writer* writer : group) writer->result = status;
    return;
  }
  uint64_t event_bytes = 0;
  for (const std::string& bytes : rows.canonical_bytes) event_bytes += bytes.size();
  append_metrics_.GroupWritten(new_head.sequence - written_head_.sequence, event_bytes);
  written_head_ = new_head;
  for (const auto& [stream_id, version] : state.stream_versions) {
    stream_version_cache_.insert_or_assign(std::string(stream_id), version);
  }
  Publish(new_head);
}

absl::Status PostgresLedger::ReloadWriterState() {
  if (!reload_before_next_write_) return absl::OkStatus();
  if (!writer_session_->connected()) {
    absl::Status reconnected = writer_session_->Reconnect();
    if (!reconnected.ok()) return reconnected;
  }
  absl::StatusOr<ChainHead> stored = ReadStoredHead(*writer_session_);
  if (!stored.ok()) return stored.status();
  if (stored->sequence != written_head_.sequence || stored->hash != written_head_.hash) {
    // Another writer's commits, or this one's whose outcome was unknown:
    // published (and appended after) only once a standby holds them.
    absl::Status replicated = AwaitSynchronousStandbys(*writer_session_);
    if (!replicated.ok()) return replicated;
  }
  written_head_ = *stored;
  stream_version_cache_.clear();
  reload_before_next_write_ = false;
  Publish(*stored);
  return absl::OkStatus();
}

absl::Status PostgresLedger::LookUp(const std::vector<Writer*>& group, GroupState* state) {
  // Idempotency first, for the whole group in one query: a retry of a
  // batch that was appended is answered with its original positions.
  std::vector<absl::string_view> keys;
  std::vector<absl::string_view> streams;
  for (const Writer* writer : group) {
    for (const PreparedEvent& event : writer->prepared->events) {
      keys.push_back(event.envelope->idempotency_key());
      if (!stream_version_cache_.contains(event.envelope->stream_id())) {
        streams.push_back(event.envelope->stream_id());
      }
    }
    for (const auto& [stream_id, version] : writer->batch->expected_versions()) {
      if (!stream_version_cache_.contains(stream_id)) streams.push_back(stream_id);
    }
  }
  absl::StatusOr<util::PgResult> found =
      writer_session_->Run(kLookUpKeys, util::PgParams().BytesArray(keys));
  if (!found.ok()) {
    reload_before_next_write_ = true;
    return found.status();
  }
  uint64_t newest_found = 0;
  for (int row = 0; row < PQntuples(found->get()); ++row) {
    int64_t sequence = 0;
    Hash digest{};
    if (!util::PgInt64At(found->get(), row, 1, &sequence) ||
        !util::DigestFromBytes(util::PgBytesAt(found->get(), row, 2), &digest)) {
      return absl::DataLossError("an idempotency record of the events table is malformed");
    }
    state->stored_keys.emplace(util::PgBytesAt(found->get(), row, 0),
                               std::make_pair(static_cast<uint64_t>(sequence), digest));
    newest_found = std::max(newest_found, static_cast<uint64_t>(sequence));
  }
  if (newest_found > written_head_.sequence) {
    // A retry answered from rows another writer committed after this one
    // last read the head: answered once a standby holds them.
    absl::Status replicated = AwaitSynchronousStandbys(*writer_session_);
    if (!replicated.ok()) {
      reload_before_next_write_ = true;
      return replicated;
    }
  }
  if (streams.empty()) return absl::OkStatus();
  found = writer_session_->Run(kLookUpStreams, util::PgParams().BytesArray(streams));
  if (!found.ok()) {
    reload_before_next_write_ = true;
    return found.status();
  }
  for (int row = 0; row < PQntuples(found->get()); ++row) {
    int64_t version = 0;
    if (!util::PgInt64At(found->get(), row, 1, &version)) {
      return absl::DataLossError("a stream version of the events table is malformed");
    }
    state->stored_versions.emplace(util::PgBytesAt(found->get(), row, 0),
                                   static_cast<uint64_t>(version));
  }
  return absl::OkStatus();
}

uint64_t PostgresLedger::CurrentStreamVersion(absl::string_view stream_id,
                                              const GroupState& state) const {
  if (auto it = state.stream_versions.find(stream_id); it != state.stream_versions.end()) {
    return it->second;
  }
  if (auto it = stream_version_cache_.find(stream_id); it != stream_version_cache_.end()) {
    return it->second;
  }
  auto it = state.stored_versions.find(stream_id);
  return it == state.stored_versions.end() ? 0 : it->second;
}

absl::StatusOr<AppendResult> PostgresLedger::ApplyWriter(Writer* writer, GroupState* state,
                                                         GroupRows* rows) {
  PreparedBatch& batch = *writer->prepared;
  AppendResult result;
  absl::StatusOr<bool> repeated = FindAppendedBefore(batch, *state, &result);
  if (!repeated.ok()) return repeated.status();
  if (*repeated) return result;
  for (const auto& [stream_id, expected] : writer->batch->expected_versions()) {
    const uint64_t actual = CurrentStreamVersion(stream_id, *state);
    if (actual != expected) {
      return absl::AbortedError(absl::StrCat("stream \"", stream_id, "\": expected version ",
                                             expected, ", actual version ", actual));
    }
  }
  // Versions of this batch only, merged into the group's once it is in.
  absl::flat_hash_map<absl::string_view, uint64_t> versions;
  for (PreparedEvent& event : batch.events) {
    const absl::string_view stream_id = event.envelope->stream_id();
    auto it = versions.find(stream_id);
    if (it == versions.end()) {
      it = versions.emplace(stream_id, CurrentStreamVersion(stream_id, *state)).first;
    }
    event.stream_version = ++it->second;
  }
  absl::Status status = PositionAndChain(batch, state, rows, &result);
  if (!status.ok()) return status;
  for (const auto& [stream_id, version] : versions) state->stream_versions[stream_id] = version;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    state->idempotency[batch.events[i].envelope->idempotency_key()] = {
        result.sequences[i], batch.events[i].content_digest};
  }
  return result;
}

absl::StatusOr<bool> PostgresLedger::FindAppendedBefore(const PreparedBatch& batch,
                                                        const GroupState& state,
                                                        AppendResult* result) const {
  // The group's own appends first, then what is stored; the same answers,
  // in the same words, as the RocksDB ledger's.
  size_t seen = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const std::string& key = batch.events[i].envelope->idempotency_key();
    std::pair<uint64_t, Hash> record;
    if (auto it = state.idempotency.find(key); it != state.idempotency.end()) {
      record = it->second;
    } else if (auto stored = state.stored_keys.find(key); stored != state.stored_keys.end()) {
      record = stored->second;
    } else {
      continue;
    }
    if (record.second != batch.events[i].content_digest) {
      return absl::AlreadyExistsError(absl::StrCat("event ", i, ": idempotency_key: \"", key,
                                                   "\" was used by sequence ", record.first,
                                                   " for different content"));
    }
    ++seen;
    result->sequences.push_back(record.first);
  }
  if (seen == batch.events.size()) {
    result->deduplicated = true;
    return true;
  }
  if (seen != 0) {
    result->sequences.clear();
    return absl::AlreadyExistsError(absl::StrCat(
        "batch: ", seen, " of its ", batch.events.size(),
        " idempotency keys were appended before and the others were not; retry the original "
        "batch as it was"));
  }
  return false;
}

absl::Status PostgresLedger::PositionAndChain(const PreparedBatch& batch, GroupState* state,
                                              GroupRows* rows, AppendResult* result) const {
  const size_t rows_before = rows->sequences.size();
  uint64_t sequence = state->next_sequence;
  Hash previous = state->previous_hash;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    absl::StatusOr<PlacedEvent> placed =
        PlaceEvent(batch, i, sequence, state->recorded_at_us, previous);
    if (!placed.ok()) {
      // Drop this batch's rows: the group's others stay.
      rows->sequences.resize(rows_before);
      rows->stream_ids.resize(rows_before);
      rows->stream_versions.resize(rows_before);
      rows->idempotency_keys.resize(rows_before);
      rows->content_digests.resize(rows_before);
      rows->canonical_bytes.resize(rows_before);
      rows->hashes.resize(rows_before);
      result->sequences.clear();
      return placed.status();
    }
    const PreparedEvent& event = batch.events[i];
    rows->sequences.push_back(static_cast<int64_t>(sequence));
    rows->stream_ids.push_back(event.envelope->stream_id());
    rows->stream_versions.push_back(static_cast<int64_t>(event.stream_version));
    rows->idempotency_keys.push_back(event.envelope->idempotency_key());
    rows->content_digests.emplace_back(util::DigestBytes(event.content_digest));
    rows->canonical_bytes.push_back(
        absl::StrCat(placed->header.bytes(), batch.CallerBytes(event)));
    rows->hashes.emplace_back(util::DigestBytes(placed->hash));
    result->sequences.push_back(sequence);
    previous = placed->hash;
    ++sequence;
  }
  state->next_sequence = sequence;
  state->previous_hash = previous;
  return absl::OkStatus();
}

absl::Status PostgresLedger::WriteRows(const GroupRows& rows, const ChainHead& new_head) {
  // The group's events follow the head without a gap.
  LOYALTY_CHECK(!rows.sequences.empty() &&
                rows.sequences.front() == static_cast<int64_t>(written_head_.sequence + 1) &&
                rows.sequences.back() == static_cast<int64_t>(new_head.sequence));
  util::PgParams params;
  params.Int64(static_cast<int64_t>(new_head.sequence))
      .Bytes(util::DigestBytes(new_head.hash))
      .Int64(new_head.recorded_at_us)
      .Int64(static_cast<int64_t>(written_head_.sequence))
      .Bytes(util::DigestBytes(written_head_.hash))
      .Int64Array(rows.sequences)
      .BytesArray(rows.stream_ids)
      .Int64Array(rows.stream_versions)
      .BytesArray(rows.idempotency_keys)
      .BytesArray(Views(rows.content_digests))
      .BytesArray(Views(rows.canonical_bytes))
      .BytesArray(Views(rows.hashes));
  (void)writer_session_->TakeWarning();
  absl::StatusOr<util::PgResult> written = writer_session_->Run(kWriteGroup, params);
  if (written.ok()) {
    const std::string warning = writer_session_->TakeWarning();
    if (!warning.empty()) {
      // Committed here, but its wait for a synchronous standby was
      // cancelled: not acknowledged. The retry reads the head again, waits
      // for a standby to hold it, and is answered with these sequences.
      reload_before_next_write_ = true;
      return absl::UnavailableError(absl::StrCat(
          "appending: the batch was committed on the primary but whether a synchronous "
          "standby has it is unknown (retry it with the same idempotency keys): the server "
          "warned: ",
          warning));
    }
  }
  if (!written.ok()) {
    // Committed or not, the stored head is read again before the next
    // group: a lost connection leaves it unknown.
    reload_before_next_write_ = true;
    if (absl::IsUnavailable(written.status())) {
      return absl::UnavailableError(absl::StrCat(
          "appending: whether the batch was committed is unknown (retry it with the same "
          "idempotency keys): ",
          written.status().message()));
    }
    if (absl::IsAlreadyExists(written.status())) {
      // The head matched, so only rows stored past the head can collide.
      return absl::DataLossError(absl::StrCat(
          "appending: the events table holds rows past the stored head ",
          written_head_.sequence, " (run Verify): ", written.status().message()));
    }
    return written.status();
  }
  const int64_t inserted = util::PgRowsAffected(written->get());
  if (inserted == static_cast<int64_t>(rows.sequences.size())) return absl::OkStatus();
  LOYALTY_CHECK_MSG(inserted == 0, "group commit: ", inserted, " of ", rows.sequences.size(),
                    " rows inserted");
  reload_before_next_write_ = true;
  const absl::Status reloaded = ReloadWriterState();
  return absl::AbortedError(absl::StrCat(
      "fenced: the chain head is no longer sequence ", new_head.sequence - rows.sequences.size(),
      ", which this ledger last read (another writer appended",
      reloaded.ok() ? absl::StrCat("; the head is now sequence ", written_head_.sequence)
                    : absl::StrCat("; reading the head again failed: ", reloaded.message()),
      "); nothing was written: decide again and retry"));
}

}  // namespace loyalty::internal
