// The projection store's member snapshots: found by member and sequence,
// kept across checkpoints, gone with Clear.
#include "engine/projection_store.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "testing/commands.h"
#include "testing/events.h"
#include "testing/temp_dir.h"

namespace loyalty::internal {
namespace {

using testing::TempDir;
using testing::WriteAheadLogBytes;

class ProjectionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ProjectionStore::Create(dir_.Sub("projections")).ok());
    auto store = ProjectionStore::Open(dir_.Sub("projections"), /*read_only=*/false);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // The bytes of the member's latest snapshot at or before `sequence`;
  // "none" if there is none.
  std::string Latest(const std::string& member_id, uint64_t sequence) {
    auto found = store_->LatestMemberSnapshot(member_id, sequence);
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok() || !found->has_value()) return "none";
    EXPECT_EQ((*found)->member_id, member_id);
    EXPECT_LE((*found)->sequence, sequence);
    return (*found)->bytes;
  }

  TempDir dir_;
  std::unique_ptr<ProjectionStore> store_;
};

TEST_F(ProjectionStoreTest, FindsAMembersLatestSnapshotAtOrBeforeASequence) {
  ProjectionCheckpoint first;
  first.applied_sequence = 30;
  first.states = {{"balances", "b30"}};
  // Ids that share a prefix, and one that would sort between M1's keys
  // were the id not length-prefixed.
  first.member_snapshots = {{"M1", 10, "M1@10"},
                            {"M10", 12, "M10@12"},
                            {"M1", 20, "M1@20"},
                            {std::string("M1\0\0\0\0\0\0\0\x0f", 10), 25, "odd@25"},
                            {"M", 26, "M@26"}};
  ASSERT_TRUE(store_->Save(first).ok());
  ProjectionCheckpoint second;
  second.applied_sequence = 60;
  second.states = {{"balances", "b60"}};
  second.member_snapshots = {{"M1", 50, "M1@50"}};
  ASSERT_TRUE(store_->Save(second).ok());

  EXPECT_EQ(Latest("M1", 9), "none");
  EXPECT_EQ(Latest("M1", 10), "M1@10");
  EXPECT_EQ(Latest("M1", 19), "M1@10");
  EXPECT_EQ(Latest("M1", 49), "M1@20");  // kept by the later checkpoint
  EXPECT_EQ(Latest("M1", ~uint64_t{0}), "M1@50");
  EXPECT_EQ(Latest("M10", 100), "M10@12");
  EXPECT_EQ(Latest("M", 100), "M@26");
  EXPECT_EQ(Latest("M2", 100), "none");
  auto found = store_->LatestMemberSnapshot("M1", 30);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->sequence, 20u);

  // The checkpoint is the last one saved, without the snapshots.
  auto loaded = store_->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->applied_sequence, 60u);
  ASSERT_EQ(loaded->states.size(), 1u);
  EXPECT_EQ(loaded->states[0].second, "b60");
  EXPECT_TRUE(loaded->member_snapshots.empty());
}

TEST_F(ProjectionStoreTest, ClearForgetsTheSnapshotsWithTheCheckpoint) {
  ProjectionCheckpoint checkpoint;
  checkpoint.applied_sequence = 5;
  checkpoint.states = {{"tiers", "t5"}};
  checkpoint.member_snapshots = {{"M1", 4, "M1@4"}, {"M2", 5, "M2@5"}};
  ASSERT_TRUE(store_->Save(checkpoint).ok());
  ASSERT_TRUE(store_->Clear().ok());
  EXPECT_EQ(Latest("M1", 100), "none");
  EXPECT_EQ(Latest("M2", 100), "none");
  auto loaded = store_->Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->applied_sequence, 0u);
  EXPECT_TRUE(loaded->states.empty());
}

// A writing engine's stores (the log, the projections' checkpoint, the
// member keys) are flushed as it closes: the next open, a reading command's
// above all, reads table files instead of replaying write-ahead logs into
// memory.
TEST_F(ProjectionStoreTest, AClosedEngineLeavesNoWriteAheadLogToReplay) {
  const std::string directory = dir_.Sub("ledger");
  {
    ManualClock clock(testing::kJan2024Us + 86400LL * 1000000);
    EngineOptions options;
    options.ledger.clock = &clock;
    options.master_key = MasterKeyFromBytes(std::string(32, 'k'));
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(directory, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (int i = 1; i <= 20; ++i) {
      const std::string member = absl::StrCat("M", i);
      ASSERT_TRUE((*engine)
                      ->Execute(testing::EnrolBornOnCommand(member, 1990, 1 + i % 12, 1,
                                                            testing::kJan2024Us))
                      .ok());
      ASSERT_TRUE((*engine)
                      ->Execute(testing::PurchaseCommand(absl::StrCat(member, "-p"), member,
                                                         10000, testing::kJan2024Us + 1))
                      .ok());
    }
    ASSERT_TRUE((*engine)->Checkpoint().ok());
    EXPECT_GT(WriteAheadLogBytes(directory), 0u);
  }
  EXPECT_EQ(WriteAheadLogBytes(directory), 0u);
}

}  // namespace
}  // namespace loyalty::internal
