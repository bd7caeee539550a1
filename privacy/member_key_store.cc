#include "privacy/member_key_store.h"

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "util/db_directory.h"
#include "util/rocks_checkpoint.h"
#include "util/rocks_status.h"

namespace loyalty::privacy {
namespace {

// Every error names the store first.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  return util::FromRocks(status, absl::StrCat("member key store: ", what));
}

rocksdb::DBOptions StoreOptions() {
  rocksdb::DBOptions options;
  // A recycled log file would keep old records (a destroyed key) past its
  // reuse; archived logs would keep them for good.
  options.recycle_log_file_num = 0;
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  options.keep_log_file_num = 2;
  return options;
}

std::vector<rocksdb::ColumnFamilyDescriptor> StoreFamilies() {
  rocksdb::ColumnFamilyOptions family_options;
  family_options.compression = rocksdb::kNoCompression;
  return {{rocksdb::kDefaultColumnFamilyName, family_options},
          {kMemberKeysFamily, family_options}};
}

class RocksDbMemberKeyStore final : public MemberKeyStore {
 public:
  RocksDbMemberKeyStore(std::unique_ptr<rocksdb::DB> db,
                        std::vector<rocksdb::ColumnFamilyHandle*> families, bool read_only)
      : db_(std::move(db)), families_(std::move(families)), read_only_(read_only) {}
  ~RocksDbMemberKeyStore() override;

  absl::StatusOr<std::optional<std::string>> CheckValue() const override;
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view member_id) const override;
  absl::Status Put(absl::string_view member_id, absl::string_view wrapped_key,
                   absl::string_view check_value) override;
  absl::Status Destroy(absl::Span<const std::string> member_ids) override;
  absl::StatusOr<std::vector<std::string>> MemberIds() const override;
  absl::Status MarkErasurePending(absl::string_view member_id) override;
  absl::StatusOr<std::vector<std::string>> PendingErasures() const override;
  absl::Status ClearPendingErasures(absl::Span<const std::string> member_ids) override;
  absl::Status CopyTo(const std::string& directory) override;

 private:
  absl::Status CheckWritable(absl::string_view what) const;
  rocksdb::ColumnFamilyHandle* keys() const { return families_[1]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // [0] is RocksDB's default
  const bool read_only_;
};

}  // namespace

std::string MemberKeyName(absl::string_view member_id) {
  return absl::StrCat(kMemberKeyPrefix, member_id);
}

std::string PendingErasureName(absl::string_view member_id) {
  return absl::StrCat(kPendingErasurePrefix, member_id);
}

absl::Status ReadOnlyStoreError(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("member key store: ", what, ": the store is open read-only"));
}

absl::Status MemberKeyStore::Create(const std::string& directory) {
  return util::CreateDbDirectoryAtomically(directory, [](const std::string& path) {
    rocksdb::DBOptions options = StoreOptions();
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(options, path, StoreFamilies(), &handles, &db);
    if (!status.ok()) return FromRocks(status, absl::StrCat("creating ", path));
    for (rocksdb::ColumnFamilyHandle* handle : handles) (void)db->DestroyColumnFamilyHandle(handle);
    status = db->Close();
    delete db;
    return FromRocks(status, absl::StrCat("creating ", path));
  });
}

absl::StatusOr<std::unique_ptr<MemberKeyStore>> MemberKeyStore::Open(const std::string& directory,
                                                                     bool read_only) {
  absl::Status exists = util::CheckDatabaseExists(directory, "member key store");
  if (!exists.ok()) return exists;
  rocksdb::DBOptions options = StoreOptions();
  options.create_if_missing = false;
  options.create_missing_column_families = !read_only;
  if (read_only) util::SetReadOnlyOpenOptions(&options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(options, directory, StoreFamilies(), &handles, &db,
                                               /*error_if_wal_file_exists=*/false)
                : rocksdb::DB::Open(options, directory, StoreFamilies(), &handles, &db);
  if (!status.ok()) return FromRocks(status, absl::StrCat("opening ", directory));
  if (!read_only) util::RemoveEmptyEarlierWals(*db);
  return std::unique_ptr<MemberKeyStore>(new RocksDbMemberKeyStore(
      std::unique_ptr<rocksdb::DB>(db), std::move(handles), read_only));
}

absl::Status RocksDbMemberKeyStore::CheckWritable(absl::string_view what) const {
  return read_only_ ? ReadOnlyStoreError(what) : absl::OkStatus();
}

RocksDbMemberKeyStore::~RocksDbMemberKeyStore() {
  if (!read_only_) util::FlushBeforeClose(*db_, families_);
  for (rocksdb::ColumnFamilyHandle* family : families_) (void)db_->DestroyColumnFamilyHandle(family);
  (void)db_->Close();
}

absl::StatusOr<std::optional<std::string>> RocksDbMemberKeyStore::CheckValue() const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), keys(), kCheckValueKey, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading the check value");
  return value;
}

absl::StatusOr<std::optional<std::string>> RocksDbMemberKeyStore::Get(absl::string_view member_id) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), keys(), MemberKeyName(member_id), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, absl::StrCat("reading the key of ", member_id));
  return value;
}

absl::Status RocksDbMemberKeyStore::Put(absl::string_view member_id, absl::string_view wrapped_key,
                                 absl::string_view check_value) {
  if (absl::Status writable = CheckWritable("storing a key"); !writable.ok()) return writable;
  absl::StatusOr<std::optional<std::string>> check = CheckValue();
  if (!check.ok()) return check.status();
  rocksdb::WriteBatch batch;
  if (!check->has_value()) batch.Put(keys(), kCheckValueKey, rocksdb::Slice(check_value.data(), check_value.size()));
  batch.Put(keys(), MemberKeyName(member_id), rocksdb::Slice(wrapped_key.data(), wrapped_key.size()));
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Write(options, &batch), absl::StrCat("writing the key of ", member_id));
}

absl::Status RocksDbMemberKeyStore::CopyTo(const std::string& directory) {
  return util::CreateRocksCheckpoint(*db_, directory, "the member key store");
}

absl::Status RocksDbMemberKeyStore::Destroy(absl::Span<const std::string> member_ids) {
  if (member_ids.empty()) return absl::OkStatus();
  if (absl::Status writable = CheckWritable("destroying keys"); !writable.ok()) return writable;
  rocksdb::WriteBatch batch;
  for (const std::string& member_id : member_ids) {
    batch.Delete(keys(), MemberKeyName(member_id));
    batch.Delete(keys(), PendingErasureName(member_id));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  absl::Status status = FromRocks(db_->Write(write_options, &batch), "deleting member keys");
  if (!status.ok()) return status;
  // Flushing every family of this database retires the log files that held
  // the keys; compacting the whole family down to the bottom level drops the
  // keys' old values and their tombstones from every table file. RocksDB
  // deletes the files made obsolete as it goes.
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  status = FromRocks(db_->Flush(flush_options, families_), "flushing after erasure");
  if (!status.ok()) return status;
  rocksdb::CompactRangeOptions compact_options;
  compact_options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  status = FromRocks(db_->CompactRange(compact_options, keys(), nullptr, nullptr),
                     "compacting after erasure");
  if (!status.ok()) return status;
  return FromRocks(db_->FlushWAL(/*sync=*/true), "syncing the log after erasure");
}

absl::StatusOr<std::vector<std::string>> RocksDbMemberKeyStore::MemberIds() const {
  std::vector<std::string> ids;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), keys()));
  for (it->Seek(kMemberKeyPrefix); it->Valid() && it->key().starts_with(kMemberKeyPrefix); it->Next()) {
    ids.push_back(it->key().ToString().substr(sizeof(kMemberKeyPrefix) - 1));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing member keys");
  return ids;
}

absl::Status RocksDbMemberKeyStore::MarkErasurePending(absl::string_view member_id) {
  if (absl::Status writable = CheckWritable("recording an erasure"); !writable.ok()) {
    return writable;
  }
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Put(options, keys(), PendingErasureName(member_id), rocksdb::Slice()),
                   absl::StrCat("recording the erasure of ", member_id));
}

absl::StatusOr<std::vector<std::string>> RocksDbMemberKeyStore::PendingErasures() const {
  std::vector<std::string> ids;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), keys()));
  for (it->Seek(kPendingErasurePrefix); it->Valid() && it->key().starts_with(kPendingErasurePrefix);
       it->Next()) {
    ids.push_back(it->key().ToString().substr(sizeof(kPendingErasurePrefix) - 1));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing pending erasures");
  return ids;
}

absl::Status RocksDbMemberKeyStore::ClearPendingErasures(absl::Span<const std::string> member_ids) {
  if (member_ids.empty()) return absl::OkStatus();
  if (absl::Status writable = CheckWritable("clearing erasures"); !writable.ok()) return writable;
  rocksdb::WriteBatch batch;
  for (const std::string& member_id : member_ids) batch.Delete(keys(), PendingErasureName(member_id));
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Write(options, &batch), "clearing pending erasures");
}

}  // namespace loyalty::privacy
