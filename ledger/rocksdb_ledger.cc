#include "ledger/rocksdb_ledger.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/envelope_header.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/rocks_util.h"
#include "ledger/validation.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

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

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsNoSpace() || status.IsBusy() || status.IsTimedOut() || status.IsTryAgain()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

std::string EncodeHead(const ChainHead& head) {
  std::string value = BigEndian64(head.sequence);
  value.append(HashBytes(head.hash).data(), 32);
  PutBigEndian64(&value, static_cast<uint64_t>(head.recorded_at_us));
  return value;
}

// Serialization whose bytes depend only on the message's content.
std::string Canonical(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream output(&stream);
  output.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&output);
  output.Trim();
  return bytes;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool point_lookups) {
  rocksdb::ColumnFamilyOptions family;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (point_lookups) {
    // Most idempotency and stream lookups are for keys that do not exist yet.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = true;
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  family.compression = rocksdb::kLZ4Compression;
  return family;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> RocksDbLedger::Open(const std::string& directory,
                                                            const LedgerOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, false)},
      {kEventsFamily, FamilyOptions(cache, false)},
      {kChainFamily, FamilyOptions(cache, false)},
      {kStreamsFamily, FamilyOptions(cache, true)},
      {kIdempotencyFamily, FamilyOptions(cache, true)},
      {kMetaFamily, FamilyOptions(cache, false)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, directory, descriptors, &handles, &raw_db);
  if (!status.ok()) {
    const std::string message = status.ToString();
    if (absl::StrContains(message, "lock") || absl::StrContains(message, "LOCK")) {
      return absl::FailedPreconditionError(
          absl::StrCat("ledger directory ", directory,
                       " is in use by another process (its LOCK is held): ", message));
    }
    if (status.IsInvalidArgument() && absl::StrContains(message, "does not exist")) {
      return absl::InvalidArgumentError(
          absl::StrCat("no ledger in directory ", directory, ": ", message));
    }
    return FromRocks(status, absl::StrCat("opening ledger directory ", directory));
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::unique_ptr<RocksDbLedger> ledger(new RocksDbLedger(options, std::move(db), handles));
  absl::Status loaded = ledger->LoadHead();
  if (!loaded.ok()) return loaded;
  return std::unique_ptr<Ledger>(std::move(ledger));
}

RocksDbLedger::RocksDbLedger(const LedgerOptions& options, std::unique_ptr<rocksdb::DB> db,
                             std::vector<rocksdb::ColumnFamilyHandle*> families)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : DefaultClock()),
      db_(std::move(db)),
      families_(std::move(families)) {}

RocksDbLedger::~RocksDbLedger() {
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    db_->DestroyColumnFamilyHandle(family);
  }
  db_->Close();
}

absl::Status RocksDbLedger::LoadHead() {
  std::string format;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta(), kFormatKey, &format);
  if (status.IsNotFound()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    rocksdb::WriteBatch batch;
    batch.Put(meta(), kFormatKey, kFormatName);
    batch.Put(meta(), kHeadKey, EncodeHead(ChainHead()));
    absl::Status written = FromRocks(db_->Write(write_options, &batch), "initialising the ledger");
    if (!written.ok()) return written;
    format = kFormatName;
  } else if (!status.ok()) {
    return FromRocks(status, "reading the ledger format");
  }
  if (format != kFormatName) {
    return absl::FailedPreconditionError(
        absl::StrCat("the directory holds ledger format \"", format, "\", this build reads \"",
                     kFormatName, "\""));
  }
  std::string value;
  absl::Status read = FromRocks(db_->Get(rocksdb::ReadOptions(), meta(), kHeadKey, &value),
                                "reading the chain head");
  if (!read.ok()) return read;
  if (value.size() != 8 + 32 + 8) {
    return absl::DataLossError(absl::StrCat("the stored chain head is ", value.size(),
                                            " bytes long, expected 48"));
  }
  ChainHead head;
  head.sequence = DecodeBigEndian64(value);
  HashFromBytes(absl::string_view(value).substr(8, 32), &head.hash);
  head.recorded_at_us = static_cast<int64_t>(DecodeBigEndian64(absl::string_view(value).substr(40)));

  std::lock_guard<std::mutex> lock(head_mu_);
  head_ = head;
  return absl::OkStatus();
}

ChainHead RocksDbLedger::Head() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_;
}

absl::StatusOr<AppendResult> RocksDbLedger::Append(const AppendBatch& batch) {
  if (batch.empty()) return absl::InvalidArgumentError("batch: holds no events");
  if (batch.size() > kMaxBatchEvents) {
    return absl::InvalidArgumentError(absl::StrCat("batch: holds ", batch.size(),
                                                   " events, more than the limit of ",
                                                   kMaxBatchEvents));
  }
  // Everything that needs no ledger state is done by the caller's thread,
  // in parallel with other callers, before it joins the queue.
  std::vector<PreparedEvent> prepared(batch.size());
  absl::flat_hash_set<absl::string_view> keys;
  for (size_t i = 0; i < batch.size(); ++i) {
    const v1::Envelope& envelope = batch.events()[i];
    absl::Status valid = ValidateNewEnvelope(envelope, i);
    if (!valid.ok()) return valid;
    if (!keys.insert(envelope.idempotency_key()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", i, ": idempotency_key: \"", envelope.idempotency_key(),
                       "\" is used by an earlier event of the same batch"));
    }
    prepared[i].envelope = envelope;
    if (prepared[i].envelope.schema_version() == 0) {
      prepared[i].envelope.set_schema_version(kCurrentSchemaVersion);
    }
    prepared[i].content_digest = Sha256(Canonical(prepared[i].envelope));
  }
  for (const auto& [stream_id, version] : batch.expected_versions()) {
    if (stream_id.empty() || stream_id.size() > kMaxStreamIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected version: stream_id \"", stream_id, "\" is empty or longer than ",
          kMaxStreamIdBytes, " bytes"));
    }
  }

  Writer writer;
  writer.events = &prepared;
  writer.batch = &batch;
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(&writer);
  writer.ready.wait(lock, [&] { return writer.done || queue_.front() == &writer; });
  if (writer.done) return std::move(writer.result);

  // This writer leads: it writes its own batch and those queued behind it.
  std::vector<Writer*> group;
  size_t group_events = 0;
  for (Writer* queued : queue_) {
    if (!group.empty() && group_events + queued->events->size() > kMaxGroupCommitEvents) break;
    group.push_back(queued);
    group_events += queued->events->size();
  }
  lock.unlock();
  WriteGroup(group);
  lock.lock();
  for (Writer* written : group) {
    queue_.pop_front();
    if (written != &writer) {
      written->done = true;
      written->ready.notify_one();
    }
  }
  if (!queue_.empty()) queue_.front()->ready.notify_one();
  return std::move(writer.result);
}

void RocksDbLedger::WriteGroup(const std::vector<Writer*>& group) {
  const ChainHead head = Head();
  GroupState state{head.sequence + 1, head.hash,
                   std::max(clock_->NowMicros(), head.recorded_at_us), {}, {}};
  rocksdb::WriteBatch write_batch;
  std::vector<Writer*> appended;
  for (Writer* writer : group) {
    writer->result = ApplyWriter(writer, &state, &write_batch);
    if (writer->result.ok() && !writer->result->deduplicated) appended.push_back(writer);
  }
  if (appended.empty()) return;

  const ChainHead new_head{state.next_sequence - 1, state.previous_hash, state.recorded_at_us};
  write_batch.Put(meta(), kHeadKey, EncodeHead(new_head));
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  absl::Status written = FromRocks(db_->Write(write_options, &write_batch), "appending");
  if (!written.ok()) {
    for (Writer* writer : appended) writer->result = written;
    return;
  }
  for (auto& [stream_id, version] : state.stream_versions) {
    stream_version_cache_[stream_id] = version;
  }
  {
    std::lock_guard<std::mutex> lock(head_mu_);
    head_ = new_head;
  }
  head_advanced_.notify_all();
}

absl::StatusOr<uint64_t> RocksDbLedger::CurrentStreamVersion(const std::string& stream_id,
                                                             const GroupState& state) {
  if (auto it = state.stream_versions.find(stream_id); it != state.stream_versions.end()) {
    return it->second;
  }
  if (auto it = stream_version_cache_.find(stream_id); it != stream_version_cache_.end()) {
    return it->second;
  }
  absl::StatusOr<uint64_t> stored = StoredStreamVersion(stream_id);
  if (stored.ok()) stream_version_cache_[stream_id] = *stored;
  return stored;
}

absl::StatusOr<AppendResult> RocksDbLedger::ApplyWriter(Writer* writer, GroupState* state,
                                                        rocksdb::WriteBatch* write_batch) {
  std::vector<PreparedEvent>& prepared = *writer->events;

  // Idempotency first: a retry of a batch that was appended is answered
  // with its original positions, whatever the streams' versions are now.
  std::vector<rocksdb::Slice> keys;
  keys.reserve(prepared.size());
  for (const PreparedEvent& event : prepared) keys.emplace_back(event.envelope.idempotency_key());
  std::vector<rocksdb::PinnableSlice> values(prepared.size());
  std::vector<rocksdb::Status> statuses(prepared.size());
  db_->MultiGet(rocksdb::ReadOptions(), idempotency(), keys.size(), keys.data(), values.data(),
                statuses.data());
  AppendResult result;
  size_t seen = 0;
  for (size_t i = 0; i < prepared.size(); ++i) {
    const std::string& key = prepared[i].envelope.idempotency_key();
    uint64_t sequence = 0;
    Hash digest{};
    if (auto it = state->idempotency.find(key); it != state->idempotency.end()) {
      sequence = it->second.first;
      digest = it->second.second;
    } else if (statuses[i].ok()) {
      if (values[i].size() != 8 + 32) {
        return absl::DataLossError(absl::StrCat("idempotency record of \"", key, "\" is ",
                                                values[i].size(), " bytes, expected 40"));
      }
      sequence = DecodeBigEndian64(View(values[i]));
      HashFromBytes(View(values[i]).substr(8), &digest);
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "reading idempotency keys");
    } else {
      continue;
    }
    if (digest != prepared[i].content_digest) {
      return absl::AlreadyExistsError(absl::StrCat(
          "event ", i, ": idempotency_key: \"", key, "\" was used by sequence ", sequence,
          " for different content"));
    }
    ++seen;
    result.sequences.push_back(sequence);
  }
  if (seen == prepared.size()) {
    result.deduplicated = true;
    return result;
  }
  if (seen != 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "batch: ", seen, " of its ", prepared.size(),
        " idempotency keys were appended before and the others were not; retry the original "
        "batch as it was"));
  }

  for (const auto& [stream_id, expected] : writer->batch->expected_versions()) {
    absl::StatusOr<uint64_t> actual = CurrentStreamVersion(stream_id, *state);
    if (!actual.ok()) return actual.status();
    if (*actual != expected) {
      return absl::FailedPreconditionError(absl::StrCat("stream \"", stream_id,
                                                        "\": expected version ", expected,
                                                        ", actual version ", *actual));
    }
  }

  // Assign positions and chain, in a copy of the state kept only on success.
  absl::flat_hash_map<std::string, uint64_t> versions;
  for (PreparedEvent& event : prepared) {
    const std::string& stream_id = event.envelope.stream_id();
    auto it = versions.find(stream_id);
    if (it == versions.end()) {
      absl::StatusOr<uint64_t> current = CurrentStreamVersion(stream_id, *state);
      if (!current.ok()) return current.status();
      it = versions.emplace(stream_id, *current).first;
    }
    event.envelope.set_stream_version(++it->second);
  }
  write_batch->SetSavePoint();
  uint64_t sequence = state->next_sequence;
  Hash previous = state->previous_hash;
  for (PreparedEvent& event : prepared) {
    v1::Envelope& envelope = event.envelope;
    envelope.set_sequence(sequence);
    envelope.set_recorded_at_us(state->recorded_at_us);
    envelope.set_previous_hash(std::string(HashBytes(previous)));
    const std::string bytes = Canonical(envelope);
    if (bytes.size() > kMaxEventBytes) {
      write_batch->RollbackToSavePoint();
      return absl::InvalidArgumentError(absl::StrCat(
          "event ", &event - prepared.data(), ": is ", bytes.size(),
          " bytes long, more than the limit of ", kMaxEventBytes));
    }
    const Hash hash = ChainHash(previous, bytes);
    const std::string sequence_key = BigEndian64(sequence);
    write_batch->Put(events(), sequence_key, bytes);
    write_batch->Put(chain(), sequence_key, ToSlice(HashBytes(hash)));
    write_batch->Put(streams(), StreamKey(envelope.stream_id(), envelope.stream_version()),
                     sequence_key);
    std::string idempotency_value = sequence_key;
    idempotency_value.append(HashBytes(event.content_digest).data(), 32);
    write_batch->Put(idempotency(), envelope.idempotency_key(), idempotency_value);
    result.sequences.push_back(sequence);
    previous = hash;
    ++sequence;
  }
  // Every check passed: the batch is in, so the group state moves on.
  write_batch->PopSavePoint();
  for (auto& [stream_id, version] : versions) state->stream_versions[stream_id] = version;
  for (size_t i = 0; i < prepared.size(); ++i) {
    state->idempotency[prepared[i].envelope.idempotency_key()] = {result.sequences[i],
                                                                 prepared[i].content_digest};
  }
  state->next_sequence = sequence;
  state->previous_hash = previous;
  return result;
}

}  // namespace internal
}  // namespace loyalty
