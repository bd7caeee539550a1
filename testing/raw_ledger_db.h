// Test support: a ledger's directory opened as plain RocksDB, with every
// column family under default options, to alter or rewrite what the ledger
// stored behind its back. Not part of the library.
#ifndef LOYALTY_TESTING_RAW_LEDGER_DB_H_
#define LOYALTY_TESTING_RAW_LEDGER_DB_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ledger/keys.h"
#include "rocksdb/db.h"
#include "util/big_endian.h"

namespace loyalty::testing {

class RawLedgerDb {
 public:
  // Opens `path` (a test failure if it cannot).
  explicit RawLedgerDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), internal::kEventsFamily,
                             internal::kStreamsFamily, internal::kIdempotencyFamily,
                             internal::kMetaFamily}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(rocksdb::Options(), path, families, &handles_, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
  }
  ~RawLedgerDb() { (void)Close(); }

  // Every column family, in the order of ledger/keys.h (default first).
  const std::vector<rocksdb::ColumnFamilyHandle*>& families() const { return handles_; }
  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* events() { return handles_[1]; }

  // An events value: the event's canonical bytes, then its 32-byte chain hash.
  std::string Get(uint64_t sequence) {
    std::string value;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), events(), util::BigEndian64(sequence), &value)
                    .ok());
    return value;
  }
  void Put(uint64_t sequence, const std::string& value) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), events(), util::BigEndian64(sequence), value)
                    .ok());
  }
  void Delete(uint64_t sequence) {
    ASSERT_TRUE(
        db_->Delete(rocksdb::WriteOptions(), events(), util::BigEndian64(sequence)).ok());
  }

  // Releases the families and closes the database; what Close returned.
  // Done by the destructor otherwise.
  rocksdb::Status Close() {
    if (db_ == nullptr) return rocksdb::Status::OK();
    for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    handles_.clear();
    rocksdb::Status status = db_->Close();
    db_.reset();
    return status;
  }

 private:
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_RAW_LEDGER_DB_H_
