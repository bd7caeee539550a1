#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/audit.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty::audit {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

// More than 2^6 events, so that stored levels 4 to 6 and a partial level 7
// are all exercised, and enough to cross blocks of 16 several times.
constexpr uint64_t kEvents = 100;

class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions options;
    options.sync = false;
    options.clock = &clock_;
    auto ledger = Ledger::Open(dir_.Sub("ledger"), options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = std::move(*ledger);
    OpenStore();
  }

  void OpenStore() {
    store_.reset();
    auto store = AuditStore::Open(dir_.Sub("audit"), ledger_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void AppendEvents(uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t n = leaves_.size() + 1;
      AppendBatch batch;
      batch.Add(Purchase(absl::StrCat("M", n % 7), absl::StrCat("P", n), 100 * n));
      clock_.Advance(1000);
      auto appended = ledger_->Append(batch);
      ASSERT_TRUE(appended.ok()) << appended.status();
      ASSERT_TRUE(ledger_
                      ->ScanRaw(n, n,
                                [&](const RawEvent& raw) {
                                  leaves_.push_back(MerkleLeafHash(raw.canonical_bytes));
                                  return absl::OkStatus();
                                })
                      .ok());
    }
  }

  absl::Span<const Hash> Leaves(uint64_t size) const {
    return absl::MakeConstSpan(leaves_).subspan(0, size);
  }

  TempDir dir_;
  ManualClock clock_{kJan2024Us};
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<AuditStore> store_;
  std::vector<Hash> leaves_;
};

TEST_F(AuditStoreTest, EmptyStoreHasTheEmptyRoot) {
  auto size = store_->CatchUp();
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 0u);
  EXPECT_EQ(*store_->Root(0), MerkleRootOf({}));
  EXPECT_EQ(store_->Root(1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(AuditStoreTest, IncrementalTreeMatchesTheNaiveOneAtEverySize) {
  for (uint64_t size = 1; size <= kEvents; ++size) {
    AppendEvents(1);
    auto indexed = store_->CatchUp();
    ASSERT_TRUE(indexed.ok()) << indexed.status();
    ASSERT_EQ(*indexed, size);
    ASSERT_EQ(*store_->Root(size), MerkleRootOf(Leaves(size))) << size;
  }
  // Every earlier size, from the stored nodes.
  for (uint64_t size = 0; size <= kEvents; ++size) {
    EXPECT_EQ(*store_->Root(size), MerkleRootOf(Leaves(size))) << size;
  }
}

TEST_F(AuditStoreTest, ProofsEqualTheNaiveProofsForEveryPosition) {
  AppendEvents(kEvents);
  ASSERT_TRUE(store_->CatchUp().ok());
  for (uint64_t size = 1; size <= kEvents; ++size) {
    for (uint64_t sequence = 1; sequence <= size; ++sequence) {
      auto proof = store_->ProveInclusion(sequence, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      auto naive = InclusionProofOf(leaves_, sequence, size);
      ASSERT_EQ(proof->path, naive->path) << sequence << " of " << size;
      auto consistency = store_->ProveConsistency(sequence, size);
      ASSERT_TRUE(consistency.ok()) << consistency.status();
      ASSERT_EQ(consistency->path, ConsistencyProofOf(leaves_, sequence, size)->path)
          << sequence << " -> " << size;
    }
  }
  EXPECT_EQ(store_->ProveInclusion(0, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ProveInclusion(1, kEvents + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->ProveConsistency(6, 5).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditStoreTest, InclusionProofsComeWithTheEventsBytes) {
  AppendEvents(kEvents);
  ASSERT_TRUE(store_->CatchUp().ok());
  for (uint64_t size : {1, 2, 16, 17, 99, 100}) {
    for (uint64_t sequence : {uint64_t{1}, size / 2 + 1, size}) {
      std::string bytes;
      auto proof = store_->ProveInclusion(sequence, size, &bytes);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_EQ(MerkleLeafHash(bytes), leaves_[sequence - 1]) << sequence << " of " << size;
      EXPECT_TRUE(VerifyInclusion(*proof, MerkleLeafHash(bytes), MerkleRootOf(Leaves(size))).ok());
    }
  }
}

TEST_F(AuditStoreTest, PeaksContinueTheTree) {
  AppendEvents(kEvents);
  ASSERT_TRUE(store_->CatchUp().ok());
  for (uint64_t size : {0, 1, 15, 16, 17, 63, 64, 77}) {
    auto peaks = store_->Peaks(size);
    ASSERT_TRUE(peaks.ok()) << peaks.status();
    auto frontier = MerkleFrontier::FromPeaks(size, *peaks);
    ASSERT_TRUE(frontier.ok()) << frontier.status();
    for (uint64_t i = size; i < kEvents; ++i) frontier->Add(leaves_[i]);
    EXPECT_EQ(frontier->Root(), MerkleRootOf(leaves_)) << size;
  }
}

TEST_F(AuditStoreTest, ReopenedStoreResumesWhereItStopped) {
  AppendEvents(37);
  ASSERT_TRUE(store_->CatchUp().ok());
  OpenStore();
  EXPECT_EQ(store_->tree_size(), 37u);
  AppendEvents(kEvents - 37);
  ASSERT_EQ(*store_->CatchUp(), kEvents);
  EXPECT_EQ(*store_->Root(kEvents), MerkleRootOf(leaves_));
  EXPECT_EQ(store_->ProveInclusion(20, kEvents)->path,
            InclusionProofOf(leaves_, 20, kEvents)->path);
}

TEST_F(AuditStoreTest, StoreOfAnotherLogIsRefused) {
  AppendEvents(20);
  ASSERT_TRUE(store_->CatchUp().ok());
  store_.reset();
  // Another ledger with other events, and the first one's store.
  TempDir other_dir;
  LedgerOptions options;
  options.sync = false;
  auto other = Ledger::Open(other_dir.Sub("ledger"), options);
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 25; ++i) {
    AppendBatch batch;
    batch.Add(Purchase("X", absl::StrCat("Q", i), 1 + i));
    ASSERT_TRUE((*other)->Append(batch).ok());
  }
  auto store = AuditStore::Open(dir_.Sub("audit"), other->get());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("built from another log"));
}

TEST_F(AuditStoreTest, CheckpointsAreStoredOnlyWithAValidSignature) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  Checkpoint checkpoint;
  checkpoint.sequence = 3;
  checkpoint.signer_key_sha256 = key->public_key().Fingerprint();
  const std::string record = *EncodeCheckpointRecord(checkpoint);
  const std::string signature = *key->Sign(record);

  EXPECT_EQ(store_->AddCheckpoint(record, *other->Sign(record), key->public_key()).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->AddCheckpoint(record, signature, other->public_key()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->AddCheckpoint(record, signature, key->public_key()), 1u);
  EXPECT_EQ(*store_->AddCheckpoint(record, signature, key->public_key()), 2u);
  OpenStore();
  auto checkpoints = store_->Checkpoints();
  ASSERT_TRUE(checkpoints.ok()) << checkpoints.status();
  ASSERT_EQ(checkpoints->size(), 2u);
  EXPECT_EQ((*checkpoints)[1].number, 2u);
  EXPECT_EQ((*checkpoints)[1].record, record);
  EXPECT_EQ((*checkpoints)[1].signature, signature);
  EXPECT_EQ((*checkpoints)[1].checkpoint.sequence, 3u);
  auto signer = store_->SignerKey(key->public_key().Fingerprint());
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(signer->raw(), key->public_key().raw());
  EXPECT_EQ(store_->SignerKey(other->public_key().Fingerprint()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::audit
