#include "engine/projection_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "util/big_endian.h"
#include "util/db_directory.h"
#include "util/rocks_checkpoint.h"
#include "util/rocks_status.h"
#include "util/rocks_util.h"

namespace loyalty::internal {
namespace {

// Keys: "applied" -> decimal sequence; "applied_hash" -> the chain hash at
// it (32 bytes); "state/<name>" -> canonical state;
// "member/" <member id's length> <member id> <sequence> -> member snapshot.
// The length and the sequence are 8 bytes big-endian (util/big_endian.h), so
// that one member's snapshots sort together, by sequence.
constexpr char kAppliedKey[] = "applied";
constexpr char kAppliedHashKey[] = "applied_hash";
constexpr char kStatePrefix[] = "state/";
constexpr char kMemberPrefix[] = "member/";
constexpr char kMemberPrefixEnd[] = "member0";  // '0' follows '/'

std::string MemberKeyPrefix(absl::string_view member_id) {
  std::string key = kMemberPrefix;
  util::PutBigEndian64(&key, member_id.size());
  key.append(member_id.data(), member_id.size());
  return key;
}

std::string MemberKey(absl::string_view member_id, uint64_t sequence) {
  std::string key = MemberKeyPrefix(member_id);
  util::PutBigEndian64(&key, sequence);
  return key;
}

rocksdb::Options StoreOptions() {
  rocksdb::Options options;
  options.compression = rocksdb::kLZ4Compression;
  options.keep_log_file_num = 2;
  return options;
}

}  // namespace

absl::Status ProjectionStore::Create(const std::string& directory) {
  return util::CreateDbDirectoryAtomically(directory, [](const std::string& path) {
    rocksdb::Options options = StoreOptions();
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(options, path, &db);
    if (!status.ok()) {
      return util::FromRocks(status, absl::StrCat("creating projection store ", path));
    }
    status = db->Close();
    delete db;
    return util::FromRocks(status, absl::StrCat("creating projection store ", path));
  });
}

absl::StatusOr<std::unique_ptr<ProjectionStore>> ProjectionStore::Open(
    const std::string& directory, bool read_only) {
  absl::Status exists = util::CheckDatabaseExists(directory, "projection store");
  if (!exists.ok()) return exists;
  rocksdb::Options options = StoreOptions();
  options.create_if_missing = false;
  if (read_only) util::SetReadOnlyOpenOptions(&options);
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = read_only ? rocksdb::DB::OpenForReadOnly(options, directory, &db)
                                     : rocksdb::DB::Open(options, directory, &db);
  if (!status.ok()) {
    // A lost manifest or CURRENT reads as a missing file: the store is
    // incomplete, which for derived data is damage too.
    if (status.IsIOError() || status.IsInvalidArgument() || status.IsNotFound()) {
      return absl::DataLossError(
          absl::StrCat("opening projection store ", directory, ": ", status.ToString()));
    }
    return util::FromRocks(status, absl::StrCat("opening projection store ", directory));
  }
  if (!read_only) util::RemoveEmptyEarlierWals(*db);
  return std::unique_ptr<ProjectionStore>(
      new ProjectionStore(std::unique_ptr<rocksdb::DB>(db), read_only));
}

ProjectionStore::ProjectionStore(std::unique_ptr<rocksdb::DB> db, bool read_only)
    : db_(std::move(db)), read_only_(read_only) {}

ProjectionStore::~ProjectionStore() {
  if (!read_only_) util::FlushBeforeClose(*db_, {});
  db_->Close();
}

absl::Status ProjectionStore::CheckWritable(absl::string_view what) const {
  if (!read_only_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": the projection store is open read-only"));
}

absl::StatusOr<ProjectionCheckpoint> ProjectionStore::Load() const {
  ProjectionCheckpoint checkpoint;
  // One snapshot: the sequence, the hash and the states of one save.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.snapshot();
  std::string applied;
  rocksdb::Status status = db_->Get(options, kAppliedKey, &applied);
  if (status.IsNotFound()) return checkpoint;
  if (!status.ok()) return util::FromRocks(status, "reading the applied sequence");
  if (!absl::SimpleAtoi(applied, &checkpoint.applied_sequence)) {
    return absl::DataLossError(
        absl::StrCat("projection checkpoint: the applied sequence \"", absl::CHexEscape(applied),
                     "\" is not a number"));
  }
  status = db_->Get(options, kAppliedHashKey, &checkpoint.applied_hash);
  if (status.IsNotFound()) {
    checkpoint.applied_hash.clear();
  } else if (!status.ok()) {
    return util::FromRocks(status, "reading the applied hash");
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(kStatePrefix); it->Valid() && it->key().starts_with(kStatePrefix); it->Next()) {
    checkpoint.states.emplace_back(it->key().ToString().substr(sizeof(kStatePrefix) - 1),
                                   it->value().ToString());
  }
  status = it->status();
  if (!status.ok()) return util::FromRocks(status, "reading projection states");
  return checkpoint;
}

absl::Status ProjectionStore::Save(const ProjectionCheckpoint& checkpoint) {
  if (absl::Status writable = CheckWritable("saving projection checkpoint"); !writable.ok()) {
    return writable;
  }
  rocksdb::WriteBatch batch;
  for (const auto& [name, state] : checkpoint.states) {
    batch.Put(absl::StrCat(kStatePrefix, name), state);
  }
  for (const StoredMemberSnapshot& snapshot : checkpoint.member_snapshots) {
    batch.Put(MemberKey(snapshot.member_id, snapshot.sequence), snapshot.bytes);
  }
  batch.Put(kAppliedKey, std::to_string(checkpoint.applied_sequence));
  batch.Put(kAppliedHashKey, checkpoint.applied_hash);
  rocksdb::WriteOptions options;
  options.sync = true;
  return util::FromRocks(db_->Write(options, &batch), "saving projection checkpoint");
}

absl::StatusOr<std::optional<StoredMemberSnapshot>> ProjectionStore::LatestMemberSnapshot(
    absl::string_view member_id, uint64_t sequence) const {
  const std::string prefix = MemberKeyPrefix(member_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(MemberKey(member_id, sequence));
  if (it->Valid() && it->key().starts_with(prefix) && it->key().size() == prefix.size() + 8) {
    StoredMemberSnapshot snapshot;
    snapshot.member_id = std::string(member_id);
    snapshot.sequence = util::DecodeBigEndian64(util::View(it->key()).substr(prefix.size()));
    snapshot.bytes = it->value().ToString();
    return snapshot;
  }
  absl::Status status = util::FromRocks(it->status(), "reading a member snapshot");
  if (!status.ok()) return status;
  return std::nullopt;
}

absl::Status ProjectionStore::CopyTo(const std::string& directory) {
  return util::CreateRocksCheckpoint(*db_, directory, "the projections' checkpoint");
}

absl::Status ProjectionStore::Clear() {
  if (absl::Status writable = CheckWritable("clearing projection checkpoint"); !writable.ok()) {
    return writable;
  }
  rocksdb::WriteBatch batch;
  batch.Delete(kAppliedKey);
  batch.Delete(kAppliedHashKey);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kStatePrefix); it->Valid() && it->key().starts_with(kStatePrefix); it->Next()) {
    batch.Delete(it->key());
  }
  batch.DeleteRange(db_->DefaultColumnFamily(), kMemberPrefix, kMemberPrefixEnd);
  rocksdb::WriteOptions options;
  options.sync = true;
  return util::FromRocks(db_->Write(options, &batch), "clearing projection checkpoint");
}

}  // namespace loyalty::internal
