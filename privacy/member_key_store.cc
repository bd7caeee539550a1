#include "privacy/member_key_store.h"

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace loyalty::privacy {
namespace {

constexpr char kCheckKey[] = "check";
constexpr char kMemberPrefix[] = "m/";

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("member key store: ", what, ": ", status.ToString()));
}

std::string MemberKey(absl::string_view member_id) { return absl::StrCat(kMemberPrefix, member_id); }

}  // namespace

absl::StatusOr<std::unique_ptr<MemberKeyStore>> MemberKeyStore::Open(const std::string& directory) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // A recycled log file would keep old records (a destroyed key) past its
  // reuse; archived logs would keep them for good.
  options.recycle_log_file_num = 0;
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  options.keep_log_file_num = 2;
  rocksdb::ColumnFamilyOptions family_options;
  family_options.compression = rocksdb::kNoCompression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, family_options}, {kMemberKeysFamily, family_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, directory, descriptors, &handles, &db);
  if (!status.ok()) return FromRocks(status, absl::StrCat("opening ", directory));
  return std::unique_ptr<MemberKeyStore>(
      new MemberKeyStore(std::unique_ptr<rocksdb::DB>(db), std::move(handles)));
}

MemberKeyStore::MemberKeyStore(std::unique_ptr<rocksdb::DB> db,
                               std::vector<rocksdb::ColumnFamilyHandle*> families)
    : db_(std::move(db)), families_(std::move(families)) {}

MemberKeyStore::~MemberKeyStore() {
  for (rocksdb::ColumnFamilyHandle* family : families_) (void)db_->DestroyColumnFamilyHandle(family);
  (void)db_->Close();
}

absl::StatusOr<std::optional<std::string>> MemberKeyStore::CheckValue() const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), keys(), kCheckKey, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, "reading the check value");
  return value;
}

absl::StatusOr<std::optional<std::string>> MemberKeyStore::Get(absl::string_view member_id) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), keys(), MemberKey(member_id), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, absl::StrCat("reading the key of ", member_id));
  return value;
}

absl::Status MemberKeyStore::Put(absl::string_view member_id, absl::string_view wrapped_key,
                                 absl::string_view check_value) {
  absl::StatusOr<std::optional<std::string>> check = CheckValue();
  if (!check.ok()) return check.status();
  rocksdb::WriteBatch batch;
  if (!check->has_value()) batch.Put(keys(), kCheckKey, rocksdb::Slice(check_value.data(), check_value.size()));
  batch.Put(keys(), MemberKey(member_id), rocksdb::Slice(wrapped_key.data(), wrapped_key.size()));
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db_->Write(options, &batch), absl::StrCat("writing the key of ", member_id));
}

absl::Status MemberKeyStore::Destroy(absl::Span<const std::string> member_ids) {
  if (member_ids.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  for (const std::string& member_id : member_ids) batch.Delete(keys(), MemberKey(member_id));
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

absl::StatusOr<std::vector<std::string>> MemberKeyStore::MemberIds() const {
  std::vector<std::string> ids;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), keys()));
  for (it->Seek(kMemberPrefix); it->Valid() && it->key().starts_with(kMemberPrefix); it->Next()) {
    ids.push_back(it->key().ToString().substr(sizeof(kMemberPrefix) - 1));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "listing member keys");
  return ids;
}

}  // namespace loyalty::privacy
