#include "engine/projection_store.h"

#include "absl/strings/str_cat.h"
#include "ledger/keys.h"
#include "ledger/rocks_util.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace loyalty::internal {
namespace {

// Keys: "applied" -> decimal sequence; "state/<name>" -> canonical state;
// "member/" <member id's length> <member id> <sequence> -> member snapshot.
// The length and the sequence are 8 bytes big-endian (ledger/keys.h), so
// that one member's snapshots sort together, by sequence.
constexpr char kAppliedKey[] = "applied";
constexpr char kStatePrefix[] = "state/";
constexpr char kMemberPrefix[] = "member/";
constexpr char kMemberPrefixEnd[] = "member0";  // '0' follows '/'

std::string MemberKeyPrefix(absl::string_view member_id) {
  std::string key = kMemberPrefix;
  PutBigEndian64(&key, member_id.size());
  key.append(member_id.data(), member_id.size());
  return key;
}

std::string MemberKey(absl::string_view member_id, uint64_t sequence) {
  std::string key = MemberKeyPrefix(member_id);
  PutBigEndian64(&key, sequence);
  return key;
}

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", status.ToString()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProjectionStore>> ProjectionStore::Open(
    const std::string& directory) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, directory, &db);
  if (!status.ok()) {
    return FromRocks(status, absl::StrCat("opening projection store ", directory));
  }
  return std::unique_ptr<ProjectionStore>(new ProjectionStore(std::unique_ptr<rocksdb::DB>(db)));
}

ProjectionStore::ProjectionStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

ProjectionStore::~ProjectionStore() { db_->Close(); }

absl::StatusOr<ProjectionCheckpoint> ProjectionStore::Load() const {
  ProjectionCheckpoint checkpoint;
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  std::string applied;
  rocksdb::Status status = db_->Get(options, kAppliedKey, &applied);
  if (status.IsNotFound()) {
    db_->ReleaseSnapshot(snapshot);
    return checkpoint;
  }
  if (!status.ok()) {
    db_->ReleaseSnapshot(snapshot);
    return FromRocks(status, "reading the applied sequence");
  }
  checkpoint.applied_sequence = std::stoull(applied);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(kStatePrefix); it->Valid() && it->key().starts_with(kStatePrefix); it->Next()) {
    checkpoint.states.emplace_back(it->key().ToString().substr(sizeof(kStatePrefix) - 1),
                                   it->value().ToString());
  }
  status = it->status();
  it.reset();
  db_->ReleaseSnapshot(snapshot);
  if (!status.ok()) return FromRocks(status, "reading projection states");
  return checkpoint;
}

absl::Status ProjectionStore::Save(const ProjectionCheckpoint& checkpoint) {
  rocksdb::WriteBatch batch;
  for (const auto& [name, state] : checkpoint.states) {
    batch.Put(absl::StrCat(kStatePrefix, name), state);
  }
  for (const StoredMemberSnapshot& snapshot : checkpoint.member_snapshots) {
    batch.Put(MemberKey(snapshot.member_id, snapshot.sequence), snapshot.bytes);
  }
  batch.Put(kAppliedKey, std::to_string(checkpoint.applied_sequence));
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Write(options, &batch), "saving projection checkpoint");
}

absl::StatusOr<std::optional<StoredMemberSnapshot>> ProjectionStore::LatestMemberSnapshot(
    absl::string_view member_id, uint64_t sequence) const {
  const std::string prefix = MemberKeyPrefix(member_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(MemberKey(member_id, sequence));
  if (it->Valid() && it->key().starts_with(prefix) && it->key().size() == prefix.size() + 8) {
    StoredMemberSnapshot snapshot;
    snapshot.member_id = std::string(member_id);
    snapshot.sequence = DecodeBigEndian64(View(it->key()).substr(prefix.size()));
    snapshot.bytes = it->value().ToString();
    return snapshot;
  }
  absl::Status status = FromRocks(it->status(), "reading a member snapshot");
  if (!status.ok()) return status;
  return std::nullopt;
}

absl::Status ProjectionStore::Clear() {
  rocksdb::WriteBatch batch;
  batch.Delete(kAppliedKey);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kStatePrefix); it->Valid() && it->key().starts_with(kStatePrefix); it->Next()) {
    batch.Delete(it->key());
  }
  batch.DeleteRange(db_->DefaultColumnFamily(), kMemberPrefix, kMemberPrefixEnd);
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Write(options, &batch), "clearing projection checkpoint");
}

}  // namespace loyalty::internal
