// The audit store on RocksDB: the Merkle tree's perfect subtrees, the signed
// checkpoints and their signers' keys.
//
// Column families (numbers big-endian, so that byte order is numeric order):
//   default       "format"  -> kStoreFormat
//                 "merkle"  -> BE64(tree size) chain_hash(32) of that sequence
//   merkle_nodes  level(1) BE64(index) -> hash(32); the root of leaves
//                 [index * 2^level, (index + 1) * 2^level), for every level
//                 >= kFirstStoredLevel. Lower levels are recomputed from the
//                 ledger's events (at most 2^kFirstStoredLevel of them).
//   checkpoints   BE64(number) -> signature(64) record
//   signer_keys   fingerprint(32) -> raw public key(32)
#include <algorithm>
#include <bit>
#include <filesystem>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "audit/merkle_internal.h"
#include "loyalty/audit.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "util/big_endian.h"
#include "util/db_directory.h"
#include "util/mutex.h"
#include "util/rocks_status.h"
#include "util/rocks_util.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

constexpr char kStoreFormat[] = "loyalty-audit/1";
constexpr char kFormatKey[] = "format";
constexpr char kMerkleKey[] = "merkle";
constexpr char kNodesFamily[] = "merkle_nodes";
constexpr char kCheckpointsFamily[] = "checkpoints";
constexpr char kSignerKeysFamily[] = "signer_keys";

// Subtrees of 16 leaves and more are stored; below, they are recomputed from
// at most 16 events, which keeps the store at about 6 bytes per event.
constexpr uint32_t kFirstStoredLevel = 4;
constexpr uint64_t kLeavesPerBlock = uint64_t{1} << kFirstStoredLevel;
// Leaves indexed per RocksDB write while catching up.
constexpr uint64_t kCatchUpLeavesPerWrite = 1 << 16;
constexpr size_t kSignatureBytes = 64;

std::string NodeKey(uint32_t level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  util::PutBigEndian64(&key, index);
  return key;
}

// The leaf hashes of the 16-event blocks a computation touches, read from the
// ledger once each.
class LeafBlocks {
 public:
  LeafBlocks(const Ledger& ledger, uint64_t tree_size) : ledger_(ledger), tree_size_(tree_size) {}

  // Keeps the canonical bytes of event `sequence` in `*bytes` if a block
  // holding it is read.
  void Capture(uint64_t sequence, std::string* bytes) {
    capture_sequence_ = sequence;
    capture_bytes_ = bytes;
  }
  bool captured() const { return captured_; }

  // Records a node known without reading the ledger (a peak of the tree
  // held in memory).
  void Know(uint32_t level, uint64_t index, const Hash& hash) {
    known_.emplace(std::make_pair(level, index), hash);
  }

  // The root of the perfect subtree at (level, index), level <
  // kFirstStoredLevel, inside the tree of tree_size leaves.
  absl::StatusOr<Hash> Node(uint32_t level, uint64_t index) {
    if (auto known = known_.find(std::make_pair(level, index)); known != known_.end()) {
      return known->second;
    }
    const uint64_t first_leaf = index << level;
    const uint64_t block = first_leaf / kLeavesPerBlock;
    auto it = blocks_.find(block);
    if (it == blocks_.end()) {
      std::vector<Hash> leaves;
      const uint64_t from = block * kLeavesPerBlock;
      const uint64_t to = std::min(from + kLeavesPerBlock, tree_size_);
      absl::Status status = ledger_.ScanRaw(from + 1, to, [&](const RawEvent& raw) {
        leaves.push_back(MerkleLeafHash(raw.canonical_bytes));
        if (raw.sequence == capture_sequence_ && capture_bytes_ != nullptr) {
          capture_bytes_->assign(raw.canonical_bytes.data(), raw.canonical_bytes.size());
          captured_ = true;
        }
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
      if (leaves.size() != to - from) {
        return absl::DataLossError(
            absl::StrCat("the ledger holds ", leaves.size(), " of events ", from + 1, "..", to));
      }
      it = blocks_.emplace(block, std::move(leaves)).first;
    }
    const uint64_t offset = first_leaf - block * kLeavesPerBlock;
    const uint64_t count = uint64_t{1} << level;
    if (offset + count > it->second.size()) {
      return absl::OutOfRangeError(absl::StrCat("leaves ", first_leaf + 1, "..", first_leaf + count,
                                                " are past the tree of ", tree_size_));
    }
    return MerkleRootOf(absl::MakeConstSpan(it->second).subspan(offset, count));
  }

 private:
  const Ledger& ledger_;
  const uint64_t tree_size_;
  absl::flat_hash_map<uint64_t, std::vector<Hash>> blocks_;
  absl::flat_hash_map<std::pair<uint32_t, uint64_t>, Hash> known_;
  uint64_t capture_sequence_ = 0;
  std::string* capture_bytes_ = nullptr;
  bool captured_ = false;
};

class RocksDbAuditStore final : public AuditStore {
 public:
  RocksDbAuditStore(const Ledger* ledger, std::unique_ptr<rocksdb::DB> db,
                    std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : ledger_(*ledger), db_(std::move(db)), handles_(std::move(handles)) {}

  ~RocksDbAuditStore() override {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  }

  absl::Status Start() {
    std::string format;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), meta(), kFormatKey, &format);
    if (status.IsNotFound()) {
      absl::Status written =
          util::FromRocks(db_->Put(rocksdb::WriteOptions(), meta(), kFormatKey, kStoreFormat),
                          "writing the audit store's format");
      if (!written.ok()) return written;
    } else if (!status.ok()) {
      return util::FromRocks(status, "reading the audit store's format");
    } else if (format != kStoreFormat) {
      return absl::FailedPreconditionError(absl::StrCat("the audit store is in format \"", format,
                                                        "\"; this build reads \"", kStoreFormat,
                                                        "\""));
    }

    std::string merkle;
    status = db_->Get(rocksdb::ReadOptions(), meta(), kMerkleKey, &merkle);
    uint64_t size = 0;
    if (status.ok()) {
      Hash stored_chain_hash{};
      if (merkle.size() != 8 + 32 ||
          !util::DigestFromBytes(absl::string_view(merkle).substr(8), &stored_chain_hash)) {
        return absl::DataLossError("the audit store's Merkle position is damaged");
      }
      size = util::DecodeBigEndian64(merkle);
      const uint64_t head = ledger_.Head().sequence;
      if (size > head) {
        return absl::DataLossError(absl::StrCat(
            "the audit store indexes ", size, " events but the ledger ends at sequence ", head,
            ": it was built from another log (remove the audit directory to rebuild it)"));
      }
      absl::StatusOr<Hash> chain_hash = ledger_.HashAt(size);
      if (!chain_hash.ok()) return chain_hash.status();
      if (*chain_hash != stored_chain_hash) {
        return absl::DataLossError(absl::StrCat(
            "the audit store was built from another log: the chain hash of sequence ", size,
            " differs from the one it recorded (remove the audit directory to rebuild it)"));
      }
    } else if (!status.IsNotFound()) {
      return util::FromRocks(status, "reading the audit store's Merkle position");
    }
    absl::StatusOr<std::vector<Hash>> peaks = PeaksOf(size);
    if (!peaks.ok()) return peaks.status();
    absl::StatusOr<MerkleFrontier> frontier = MerkleFrontier::FromPeaks(size, std::move(*peaks));
    if (!frontier.ok()) return frontier.status();
    MutexLock lock(&mu_);
    frontier_ = std::move(*frontier);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> CatchUp() override {
    MutexLock lock(&mu_);
    const ChainHead head = ledger_.Head();
    if (head.sequence < frontier_.size()) {
      return absl::DataLossError(absl::StrCat("the ledger ends at sequence ", head.sequence,
                                              ", before the ", frontier_.size(),
                                              " events the audit store indexed"));
    }
    while (frontier_.size() < head.sequence) {
      const uint64_t from = frontier_.size() + 1;
      const uint64_t to = std::min(head.sequence, frontier_.size() + kCatchUpLeavesPerWrite);
      MerkleFrontier next = frontier_;
      rocksdb::WriteBatch batch;
      Hash last_chain_hash{};
      absl::Status status = ledger_.ScanRaw(from, to, [&](const RawEvent& raw) {
        AddLeaf(MerkleLeafHash(raw.canonical_bytes), &next, &batch);
        last_chain_hash = raw.hash;
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
      if (next.size() != to) {
        return absl::DataLossError(
            absl::StrCat("sequence ", next.size() + 1, ": missing from the ledger"));
      }
      std::string merkle = util::BigEndian64(to);
      merkle.append(reinterpret_cast<const char*>(last_chain_hash.data()), last_chain_hash.size());
      batch.Put(meta(), kMerkleKey, merkle);
      status = util::FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "writing Merkle nodes");
      if (!status.ok()) return status;
      frontier_ = std::move(next);
    }
    return frontier_.size();
  }

  uint64_t tree_size() const override {
    MutexLock lock(&mu_);
    return frontier_.size();
  }

  absl::StatusOr<Hash> Root(uint64_t tree_size) const override {
    absl::StatusOr<std::vector<Hash>> peaks = Peaks(tree_size);
    if (!peaks.ok()) return peaks.status();
    absl::StatusOr<MerkleFrontier> frontier = MerkleFrontier::FromPeaks(tree_size, *peaks);
    if (!frontier.ok()) return frontier.status();
    return frontier->Root();
  }

  absl::StatusOr<std::vector<Hash>> Peaks(uint64_t tree_size) const override {
    {
      MutexLock lock(&mu_);
      if (tree_size == frontier_.size()) return frontier_.peaks();
    }
    absl::Status indexed = CheckIndexed(tree_size);
    if (!indexed.ok()) return indexed;
    return PeaksOf(tree_size);
  }

  absl::StatusOr<InclusionProof> ProveInclusion(uint64_t sequence, uint64_t tree_size,
                                                std::string* canonical_bytes) const override {
    if (sequence < 1 || sequence > tree_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "inclusion proof: sequence ", sequence, " is not in the tree of ", tree_size, " events"));
    }
    absl::Status indexed = CheckIndexed(tree_size);
    if (!indexed.ok()) return indexed;
    LeafBlocks leaves = Leaves(tree_size);
    // The event's siblings below the stored levels come from its own block:
    // the same read gives its bytes.
    leaves.Capture(sequence, canonical_bytes);
    absl::StatusOr<std::vector<Hash>> path = internal::InclusionPath(
        sequence - 1, tree_size,
        [&](uint64_t begin, uint64_t end) { return SubtreeHash(begin, end, leaves); });
    if (!path.ok()) return path.status();
    if (canonical_bytes != nullptr && !leaves.captured()) {
      bool found = false;
      absl::Status read = ledger_.ScanRaw(sequence, sequence, [&](const RawEvent& raw) {
        canonical_bytes->assign(raw.canonical_bytes.data(), raw.canonical_bytes.size());
        found = true;
        return absl::OkStatus();
      });
      if (!read.ok()) return read;
      if (!found) {
        return absl::DataLossError(
            absl::StrCat("sequence ", sequence, ": missing from the ledger"));
      }
    }
    return InclusionProof{sequence, tree_size, std::move(*path)};
  }

  absl::StatusOr<ConsistencyProof> ProveConsistency(uint64_t old_size,
                                                    uint64_t new_size) const override {
    if (old_size < 1 || old_size > new_size) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof: sizes ", old_size, " and ",
                                                     new_size, " are not 1 <= old <= new"));
    }
    absl::Status indexed = CheckIndexed(new_size);
    if (!indexed.ok()) return indexed;
    LeafBlocks leaves = Leaves(new_size);
    absl::StatusOr<std::vector<Hash>> path = internal::ConsistencyPath(
        old_size, new_size,
        [&](uint64_t begin, uint64_t end) { return SubtreeHash(begin, end, leaves); });
    if (!path.ok()) return path.status();
    return ConsistencyProof{old_size, new_size, std::move(*path)};
  }

  absl::StatusOr<uint64_t> AddCheckpoint(absl::string_view record, absl::string_view signature,
                                         const PublicKey& signer) override {
    absl::StatusOr<Checkpoint> checkpoint = DecodeCheckpointRecord(record);
    if (!checkpoint.ok()) return checkpoint.status();
    if (checkpoint->signer_key_sha256 != signer.Fingerprint()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the checkpoint names signer ", HashHex(checkpoint->signer_key_sha256),
                       ", not the key ", HashHex(signer.Fingerprint())));
    }
    absl::Status verified = signer.Verify(record, signature);
    if (!verified.ok()) return verified;
    MutexLock lock(&mu_);
    absl::StatusOr<uint64_t> last = LastCheckpointNumber();
    if (!last.ok()) return last.status();
    const uint64_t number = *last + 1;
    std::string value(signature);
    value.append(record.data(), record.size());
    rocksdb::WriteBatch batch;
    batch.Put(checkpoints(), util::BigEndian64(number), value);
    batch.Put(signer_keys(), util::ToSlice(util::DigestBytes(signer.Fingerprint())), signer.raw());
    rocksdb::WriteOptions options;
    options.sync = true;  // a signed statement, unlike the derived tree
    absl::Status written = util::FromRocks(db_->Write(options, &batch), "storing a checkpoint");
    if (!written.ok()) return written;
    return number;
  }

  absl::StatusOr<std::vector<SignedCheckpoint>> Checkpoints() const override {
    std::vector<SignedCheckpoint> result;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), checkpoints()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8 || it->value().size() < kSignatureBytes) {
        return absl::DataLossError("the audit store holds a damaged checkpoint entry");
      }
      SignedCheckpoint signed_checkpoint;
      signed_checkpoint.number = util::DecodeBigEndian64(util::View(it->key()));
      signed_checkpoint.signature = std::string(util::View(it->value()).substr(0, kSignatureBytes));
      signed_checkpoint.record = std::string(util::View(it->value()).substr(kSignatureBytes));
      absl::StatusOr<Checkpoint> checkpoint = DecodeCheckpointRecord(signed_checkpoint.record);
      if (!checkpoint.ok()) {
        return absl::DataLossError(absl::StrCat("checkpoint ", signed_checkpoint.number, ": ",
                                                checkpoint.status().message()));
      }
      signed_checkpoint.checkpoint = std::move(*checkpoint);
      result.push_back(std::move(signed_checkpoint));
    }
    absl::Status status = util::FromRocks(it->status(), "reading checkpoints");
    if (!status.ok()) return status;
    return result;
  }

  absl::StatusOr<PublicKey> SignerKey(const Hash& fingerprint) const override {
    std::string raw;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), signer_keys(),
                                      util::ToSlice(util::DigestBytes(fingerprint)), &raw);
    if (status.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("no signer key ", HashHex(fingerprint)));
    }
    if (!status.ok()) return util::FromRocks(status, "reading a signer key");
    return PublicKey::FromRaw(raw);
  }

 private:
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* nodes() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* checkpoints() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* signer_keys() const { return handles_[3]; }

  absl::Status CheckIndexed(uint64_t tree_size) const {
    const uint64_t indexed = this->tree_size();
    if (tree_size > indexed) {
      return absl::OutOfRangeError(
          absl::StrCat("the Merkle tree holds ", indexed, " events, not ", tree_size));
    }
    return absl::OkStatus();
  }

  // The leaves of the tree of `tree_size` events, with the low peaks of the
  // indexed tree already known when it is that tree: a proof at the head
  // then reads the ledger for its own leaf's block only.
  LeafBlocks Leaves(uint64_t tree_size) const {
    LeafBlocks leaves(ledger_, tree_size);
    MutexLock lock(&mu_);
    if (tree_size != frontier_.size()) return leaves;
    size_t peak = 0;
    uint64_t at = 0;
    for (int level = 63; level >= 0; --level) {
      const uint64_t part = uint64_t{1} << level;
      if ((tree_size & part) == 0) continue;
      if (static_cast<uint32_t>(level) < kFirstStoredLevel) {
        leaves.Know(static_cast<uint32_t>(level), at >> level, frontier_.peaks()[peak]);
      }
      ++peak;
      at += part;
    }
    return leaves;
  }

  // Adds a leaf to `frontier`, putting every stored-level node it completes
  // into `batch`.
  void AddLeaf(const Hash& leaf_hash, MerkleFrontier* frontier, rocksdb::WriteBatch* batch) {
    frontier->Add(leaf_hash, [&](uint32_t level, uint64_t index, const Hash& hash) {
      if (level >= kFirstStoredLevel) {
        batch->Put(nodes(), NodeKey(level, index), util::ToSlice(util::DigestBytes(hash)));
      }
    });
  }

  // The hash of the subtree [begin, end) of a tree (see SubtreeHashFn).
  absl::StatusOr<Hash> SubtreeHash(uint64_t begin, uint64_t end, LeafBlocks& leaves) const {
    const uint64_t size = end - begin;
    if (std::has_single_bit(size) && begin % size == 0) {
      const uint32_t level = static_cast<uint32_t>(std::countr_zero(size));
      return PerfectNode(level, begin >> level, leaves);
    }
    // Not perfect: it ends at the tree's size; its perfect parts, largest
    // first, folded from the right.
    std::vector<Hash> parts;
    for (uint64_t at = begin; at < end;) {
      const uint64_t part = std::bit_floor(end - at);
      const uint32_t level = static_cast<uint32_t>(std::countr_zero(part));
      absl::StatusOr<Hash> hash = PerfectNode(level, at >> level, leaves);
      if (!hash.ok()) return hash.status();
      parts.push_back(*hash);
      at += part;
    }
    Hash hash = parts.back();
    for (size_t i = parts.size() - 1; i-- > 0;) hash = MerkleNodeHash(parts[i], hash);
    return hash;
  }

  absl::StatusOr<Hash> PerfectNode(uint32_t level, uint64_t index, LeafBlocks& leaves) const {
    if (level < kFirstStoredLevel) return leaves.Node(level, index);
    std::string value;
    rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), nodes(), NodeKey(level, index), &value);
    Hash hash{};
    if (!status.ok() || !util::DigestFromBytes(value, &hash)) {
      return absl::DataLossError(absl::StrCat("the audit store has no Merkle node at level ", level,
                                              ", index ", index, " (", status.ToString(), ")"));
    }
    return hash;
  }

  // The peaks of the tree of `tree_size` leaves, from the stored nodes and
  // the ledger.
  absl::StatusOr<std::vector<Hash>> PeaksOf(uint64_t tree_size) const {
    LeafBlocks leaves(ledger_, tree_size);
    std::vector<Hash> peaks;
    uint64_t at = 0;
    for (int level = 63; level >= 0; --level) {
      const uint64_t part = uint64_t{1} << level;
      if ((tree_size & part) == 0) continue;
      absl::StatusOr<Hash> hash = PerfectNode(static_cast<uint32_t>(level), at >> level, leaves);
      if (!hash.ok()) return hash.status();
      peaks.push_back(*hash);
      at += part;
    }
    return peaks;
  }

  absl::StatusOr<uint64_t> LastCheckpointNumber() const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), checkpoints()));
    it->SeekToLast();
    if (it->Valid()) {
      if (it->key().size() != 8) {
        return absl::DataLossError("the audit store holds a damaged checkpoint key");
      }
      return util::DecodeBigEndian64(util::View(it->key()));
    }
    absl::Status status = util::FromRocks(it->status(), "reading checkpoints");
    if (!status.ok()) return status;
    return 0;
  }

  const Ledger& ledger_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  mutable Mutex mu_;
  MerkleFrontier frontier_ ABSL_GUARDED_BY(mu_);  // the tree as indexed
};

}  // namespace

absl::StatusOr<std::unique_ptr<AuditStore>> AuditStore::Open(const std::string& directory,
                                                             const Ledger* ledger) {
  // Signed checkpoints cannot be made again: a store is created only where
  // nothing is (all at once), never over files that lost their CURRENT.
  absl::StatusOr<util::DbDirectory> found = util::InspectDbDirectory(directory);
  if (!found.ok()) return found.status();
  bool create = false;
  switch (found->kind) {
    case util::DbDirectoryKind::kDatabase:
      break;
    case util::DbDirectoryKind::kMissing:
    case util::DbDirectoryKind::kEmpty:
    case util::DbDirectoryKind::kInterruptedCreation:
      create = true;
      break;
    default: {
      std::vector<std::string> names = found->database_files;
      names.insert(names.end(), found->other_entries.begin(), found->other_entries.end());
      return absl::DataLossError(absl::StrCat(
          "the audit store ", directory, " is damaged or not a store (it holds ",
          util::NamesForMessage(names),
          " but no usable CURRENT file); nothing was changed. Restore it from a backup, or work "
          "on a copy with RocksDB's repair (`ldb repair --db=COPY`)"));
    }
  }
  rocksdb::DBOptions options;
  options.create_if_missing = false;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 4;
  rocksdb::ColumnFamilyOptions family;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, family},
      {kNodesFamily, family},
      {kCheckpointsFamily, family},
      {kSignerKeysFamily, family},
  };
  if (create) {
    absl::Status created = util::CreateDbDirectoryAtomically(directory, [&](const std::string& path) {
      rocksdb::DBOptions create_options = options;
      create_options.create_if_missing = true;
      std::vector<rocksdb::ColumnFamilyHandle*> created_handles;
      rocksdb::DB* created_db = nullptr;
      rocksdb::Status opened =
          rocksdb::DB::Open(create_options, path, descriptors, &created_handles, &created_db);
      if (!opened.ok()) {
        return util::FromRocks(opened, absl::StrCat("creating the audit store ", path));
      }
      for (rocksdb::ColumnFamilyHandle* handle : created_handles) {
        (void)created_db->DestroyColumnFamilyHandle(handle);
      }
      opened = created_db->Close();
      delete created_db;
      return util::FromRocks(opened, absl::StrCat("creating the audit store ", path));
    });
    if (!created.ok()) return created;
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, directory, descriptors, &handles, &raw_db);
  if (!status.ok()) {
    return util::FromRocks(status, absl::StrCat("opening the audit store ", directory));
  }
  util::RemoveEmptyEarlierWals(*raw_db);
  auto store = std::make_unique<RocksDbAuditStore>(ledger, std::unique_ptr<rocksdb::DB>(raw_db),
                                                   std::move(handles));
  absl::Status started = store->Start();
  if (!started.ok()) return started;
  return std::unique_ptr<AuditStore>(std::move(store));
}

}  // namespace loyalty::audit
