// Figures recomputed from the log against what the engine computes, signed
// checkpoints against the log, and replays as of a business time.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "demo/runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/audit.h"
#include "loyalty/engine.h"
#include "testing/commands.h"
#include "testing/demo_program.h"
#include "testing/temp_dir.h"
#include "testing/unsynced_engine.h"

namespace loyalty::audit {
namespace {

using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kDayUs = 86400LL * 1000000;

std::vector<std::string> Names(const std::vector<ProjectionDigest>& digests) {
  std::vector<std::string> names;
  for (const ProjectionDigest& digest : digests) names.push_back(digest.name);
  return names;
}

void ExpectSameDigests(const std::vector<ProjectionDigest>& actual,
                       const std::vector<ProjectionDigest>& expected, const std::string& what) {
  ASSERT_EQ(Names(actual), Names(expected)) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(HashHex(actual[i].digest), HashHex(expected[i].digest))
        << what << ": " << actual[i].name;
  }
}

// A small generated program: a few dozen members over a month.
class DemoLogTest : public testing::DemoProgramTest</*kMembers=*/60, /*kDays=*/60> {
 protected:
  void SetUp() override {
    DemoProgramTest::SetUp();
    ASSERT_NE(engine_, nullptr);
    auto store = AuditStore::Open(LedgerDirectory() + "/audit", &engine_->ledger());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<SigningKey>(std::move(*key));
  }

  Ledger& ledger() { return engine_->ledger(); }
  uint64_t head() { return ledger().Head().sequence; }

  std::unique_ptr<AuditStore> store_;
  std::unique_ptr<SigningKey> key_;
};

TEST_F(DemoLogTest, FiguresAtTheHeadAreThoseOfTheLedgerAndTheEngine) {
  ASSERT_GT(head(), 400u);
  const uint64_t at[] = {head()};
  auto figures = RecomputeLogFigures(ledger(), at, /*with_digests=*/true);
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ((*figures)[0].chain_head, ledger().Head().hash);
  ASSERT_EQ(*store_->CatchUp(), head());
  EXPECT_EQ((*figures)[0].merkle_root, *store_->Root(head()));

  // The digests are those of the as-of replay at the head, evaluated at the
  // business time of its last event.
  auto replayed = engine_->Program(AsOf::Sequence(head()));
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ExpectSameDigests((*figures)[0].projection_digests, replayed->digests, "as-of replay");
  // A full rebuild and the live (incremental) projections agree on the
  // state the events left, evaluated at no time.
  auto live = engine_->Program(AsOf::Now());
  ASSERT_TRUE(live.ok()) << live.status();
  auto rebuilt = engine_->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ExpectSameDigests(live->digests, *rebuilt, "rebuild");
}

TEST_F(DemoLogTest, FiguresAtEarlierSequencesAreThoseOfAsOfReplays) {
  std::vector<uint64_t> at = {head() / 3, 1, head() / 2, head() / 3, 0};
  auto figures = RecomputeLogFigures(ledger(), at, /*with_digests=*/true);
  ASSERT_TRUE(figures.ok()) << figures.status();
  ASSERT_EQ(figures->size(), at.size());
  ASSERT_EQ(*store_->CatchUp(), head());
  for (size_t i = 0; i < at.size(); ++i) {
    const LogFigures& figure = (*figures)[i];
    EXPECT_EQ(figure.sequence, at[i]);
    EXPECT_EQ(figure.chain_head, *ledger().HashAt(at[i]));
    EXPECT_EQ(figure.merkle_root, *store_->Root(at[i]));
    auto replayed = engine_->Program(AsOf::Sequence(at[i]));
    ASSERT_TRUE(replayed.ok());
    ExpectSameDigests(figure.projection_digests, replayed->digests, absl::StrCat("at ", at[i]));
  }
  const uint64_t past[] = {head() + 1};
  EXPECT_EQ(RecomputeLogFigures(ledger(), past, false).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(DemoLogTest, SignedCheckpointsVerifyAgainstTheLog) {
  auto first = SignCheckpoint(ledger(), *store_, *key_, head() / 2, 1700000000000000);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = SignCheckpoint(ledger(), *store_, *key_, head(), 1700000000000001);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->number, first->number + 1);
  EXPECT_EQ(second->checkpoint.chain_head, ledger().Head().hash);
  EXPECT_EQ(second->checkpoint.projection_digests.size(),
            engine_->Program(AsOf::Now())->digests.size());

  auto checkpoints = store_->Checkpoints();
  ASSERT_TRUE(checkpoints.ok());
  auto checks = VerifyCheckpoints(ledger(), *checkpoints, key_->public_key(), true);
  ASSERT_TRUE(checks.ok()) << checks.status();
  for (const CheckpointCheck& check : *checks) EXPECT_TRUE(check.status.ok()) << check.status;

  // Against another key, every checkpoint fails.
  auto other = SigningKey::Generate();
  checks = VerifyCheckpoints(ledger(), *checkpoints, other->public_key(), true);
  ASSERT_TRUE(checks.ok());
  for (const CheckpointCheck& check : *checks) {
    EXPECT_THAT(check.status.message(), HasSubstr("not by the trusted key"));
  }

  // A record whose signed figures differ from the log's: named, with what.
  std::vector<SignedCheckpoint> forged = {*second};
  forged[0].checkpoint.chain_head[0] ^= 1;
  forged[0].record = *EncodeCheckpointRecord(forged[0].checkpoint);
  forged[0].signature = *key_->Sign(forged[0].record);
  checks = VerifyCheckpoints(ledger(), forged, key_->public_key(), true);
  ASSERT_TRUE(checks.ok());
  EXPECT_THAT((*checks)[0].status.message(), HasSubstr("chain head recomputed from the log"));

  forged[0].checkpoint = second->checkpoint;
  forged[0].checkpoint.projection_digests[0].digest[5] ^= 1;
  forged[0].record = *EncodeCheckpointRecord(forged[0].checkpoint);
  forged[0].signature = *key_->Sign(forged[0].record);
  checks = VerifyCheckpoints(ledger(), forged, key_->public_key(), true);
  ASSERT_TRUE(checks.ok());
  EXPECT_THAT((*checks)[0].status.message(), HasSubstr("the replay gives"));
  // Without digests only the chain and the tree are compared.
  checks = VerifyCheckpoints(ledger(), forged, key_->public_key(), false);
  ASSERT_TRUE(checks.ok());
  EXPECT_TRUE((*checks)[0].status.ok()) << (*checks)[0].status;

  // A signature over other bytes.
  forged[0] = *second;
  forged[0].signature[0] ^= 1;
  checks = VerifyCheckpoints(ledger(), forged, key_->public_key(), false);
  ASSERT_TRUE(checks.ok());
  EXPECT_THAT((*checks)[0].status.message(), HasSubstr("signature is not valid"));
}

TEST_F(DemoLogTest, BusinessTimeReplayPastEverythingIsTheLedgerTimeReplay) {
  const int64_t far_future_us = ledger().Head().recorded_at_us + 400 * kDayUs;
  uint64_t applied = 0;
  auto business = ReplayAsOfBusinessTime(ledger(), far_future_us, &applied);
  ASSERT_TRUE(business.ok()) << business.status();
  EXPECT_EQ(applied, head());
  auto ledger_time = engine_->Program(AsOf::RecordedTime(far_future_us));
  ASSERT_TRUE(ledger_time.ok());
  ExpectSameDigests(business->digests, ledger_time->digests, "far future");
  EXPECT_EQ(business->as_of_sequence, head());
  EXPECT_EQ(business->liability.outstanding_points, ledger_time->liability.outstanding_points);
}

TEST_F(DemoLogTest, BusinessTimeReplayMidwayAppliesWhatHadOccurred) {
  // The demo's ledger clock follows business time, so a midway instant cuts
  // the log where ledger time would too.
  const int64_t start_us = demo::WorkloadOptions().start_us;
  const int64_t midway_us = start_us + 20 * kDayUs;
  uint64_t applied = 0;
  auto business = ReplayAsOfBusinessTime(ledger(), midway_us, &applied);
  ASSERT_TRUE(business.ok()) << business.status();
  EXPECT_GT(applied, 0u);
  EXPECT_LT(applied, head());
  EXPECT_EQ(business->as_of_us, midway_us);
  uint64_t occurred = 0;
  ASSERT_TRUE(ledger()
                  .Scan(1, head(),
                        [&](const v1::Envelope& envelope) {
                          if (envelope.occurred_at_us() <= midway_us) ++occurred;
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(applied, occurred);
}

// A back-dated purchase: recorded after a later one, it counts as of a
// business time between the two, which no ledger-time replay can show.
TEST(BusinessTimeTest, BackDatedEventsCountAtTheirBusinessTime) {
  TempDir dir;
  constexpr int64_t kStartUs = 1704038400LL * 1000000;  // 2024-01-01T00:00+08:00
  // Recorded from day 10 on: no purchase may be dated ahead of the clock.
  ManualClock clock(kStartUs + 10 * kDayUs);
  auto engine = testing::OpenUnsyncedEngine(dir.Sub("ledger"), &clock);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->Execute(testing::EnrolCommand("M1", kStartUs, "test")).ok());
  auto purchase = [&](const std::string& id, int64_t amount_fen, int64_t occurred_at_us) {
    RecordPurchase command =
        testing::PurchaseCommand(id, "M1", amount_fen, occurred_at_us, "store-1");
    command.category = "dining";
    command.actor_id = "test";
    clock.Advance(kDayUs);
    auto result = (*engine)->Execute(command);
    ASSERT_TRUE(result.ok()) << result.status();
  };
  purchase("P-day10", 100000, kStartUs + 10 * kDayUs);  // 1000 points
  purchase("P-day5", 30000, kStartUs + 5 * kDayUs);     // 300 points, recorded later

  const Ledger& ledger = (*engine)->ledger();
  auto day7 = ReplayAsOfBusinessTime(ledger, kStartUs + 7 * kDayUs);
  ASSERT_TRUE(day7.ok()) << day7.status();
  EXPECT_EQ(day7->liability.outstanding_points, 300);
  ASSERT_EQ(day7->partners.size(), 1u);
  EXPECT_EQ(day7->partners[0].gross_sales_fen, 30000);
  auto day11 = ReplayAsOfBusinessTime(ledger, kStartUs + 11 * kDayUs);
  ASSERT_TRUE(day11.ok());
  EXPECT_EQ(day11->liability.outstanding_points, 1300);
  auto day3 = ReplayAsOfBusinessTime(ledger, kStartUs + 3 * kDayUs);
  ASSERT_TRUE(day3.ok());
  EXPECT_EQ(day3->liability.members, 1);
  EXPECT_EQ(day3->liability.outstanding_points, 0);
}

}  // namespace
}  // namespace loyalty::audit
