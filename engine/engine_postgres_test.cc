// What only the engine on a ledger in PostgreSQL has (engine_postgres.h):
// a second engine on the same ledger, fenced and deciding again; the member
// keys in the database; the local checkpoint directory, its lock and its
// absence. Against a throwaway server the program starts
// (testing/throwaway_postgres.h). The rest of the engine's behaviour runs on
// PostgreSQL as the ctest entry engine_test_postgres.
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "loyalty/privacy.h"
#include "testing/commands.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "testing/throwaway_postgres.h"
#include "util/pg_session.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ThrowawayPostgres;
using ::testing::HasSubstr;

constexpr int64_t kDayUs = 86400LL * 1000000;

class EnginePostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> database = ThrowawayPostgres::NewSharedDatabase();
    ASSERT_TRUE(database.ok()) << database.status();
    uri_ = *database;
    clock_.Set(kJan2024Us + 30 * kDayUs);
  }

  EngineOptions Options(bool read_only = false) {
    EngineOptions options;
    options.postgres_uri = uri_;
    options.ledger.clock = &clock_;
    options.ledger.read_only = read_only;
    options.master_key = MasterKeyFromBytes(std::string(32, 'k'));
    options.notice = [this](absl::string_view message) { notices_.emplace_back(message); };
    return options;
  }

  std::unique_ptr<Engine> OpenOrDie(const std::string& checkpoint_directory,
                                    bool read_only = false) {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Open(checkpoint_directory, Options(read_only));
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  static void EnrolAndBuy(Engine& engine, const std::string& member_id, int64_t amount_fen) {
    ASSERT_TRUE(engine.Execute(testing::EnrolBornOnCommand(member_id, 1990, 6, 15, kJan2024Us))
                    .ok());
    ASSERT_TRUE(engine
                    .Execute(testing::PurchaseCommand(absl::StrCat(member_id, "-p1"), member_id,
                                                      amount_fen, kJan2024Us + kDayUs))
                    .ok());
  }

  TempDir dir_;
  std::string uri_;
  ManualClock clock_;
  std::vector<std::string> notices_;
};

TEST_F(EnginePostgresTest, AnEngineSeesAnothersAppendsAndDecidesOnThem) {
  std::unique_ptr<Engine> a = OpenOrDie(dir_.Sub("a"));
  ASSERT_NE(a, nullptr);
  EnrolAndBuy(*a, "M1", 50000);  // 500 points
  std::unique_ptr<Engine> b = OpenOrDie(dir_.Sub("b"));
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->Member("M1", AsOf::Now())->available_points, 500);

  // A spends the balance; B, which has not applied it yet, catches up
  // before it decides and refuses: the balance is gone. Nothing of B's is
  // in the log.
  ASSERT_TRUE(a->Execute(testing::RedeemCommand("r-a", "M1", 500, kJan2024Us + 2 * kDayUs)).ok());
  const ChainHead after_a = a->ledger().Head();
  absl::StatusOr<CommandResult> stale =
      b->Execute(testing::RedeemCommand("r-b", "M1", 500, kJan2024Us + 2 * kDayUs));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition) << stale.status();
  EXPECT_EQ(a->ledger().Head().sequence, after_a.sequence);
  EXPECT_EQ(b->ledger().Head().sequence, after_a.sequence);
  EXPECT_EQ(b->Member("M1", AsOf::Now())->available_points, 0);

  // What still holds is appended after A's events, on one chain.
  absl::StatusOr<CommandResult> bought = b->Execute(
      testing::PurchaseCommand("M1-p2", "M1", 10000, kJan2024Us + 3 * kDayUs));
  ASSERT_TRUE(bought.ok()) << bought.status();
  EXPECT_EQ(bought->sequences.front(), after_a.sequence + 1);
  ASSERT_TRUE(a->ledger().Verify(1, b->ledger().Head().sequence).ok());
  // B has met every append; a fresh engine replays the same log.
  std::unique_ptr<Engine> fresh = OpenOrDie("");
  ASSERT_NE(fresh, nullptr);
  absl::StatusOr<std::vector<ProjectionDigest>> digests_b = b->Rebuild();
  absl::StatusOr<std::vector<ProjectionDigest>> digests_fresh = fresh->Rebuild();
  ASSERT_TRUE(digests_b.ok() && digests_fresh.ok());
  for (size_t i = 0; i < digests_b->size(); ++i) {
    EXPECT_EQ((*digests_b)[i].digest, (*digests_fresh)[i].digest) << (*digests_b)[i].name;
  }
}

// Two engines on one ledger, two threads each, spending the same members'
// points while buying more: a decision made against a log another engine
// has moved since is fenced at the head row (or its stream's version) and
// made again, so no point is spent twice and the chain never forks.
TEST_F(EnginePostgresTest, TwoEnginesRacingOnTheSameMembersNeverSpendAPointTwice) {
  std::unique_ptr<Engine> engines[2] = {OpenOrDie(dir_.Sub("a")), nullptr};
  ASSERT_NE(engines[0], nullptr);
  constexpr int kMembers = 3;
  for (int m = 0; m < kMembers; ++m) EnrolAndBuy(*engines[0], absl::StrCat("M", m), 30000);
  // Opened after the enrolments, which it reads at open: an engine meets
  // another's later appends when its own append runs into them.
  engines[1] = OpenOrDie(dir_.Sub("b"));
  ASSERT_NE(engines[1], nullptr);
  constexpr int kCommandsEach = 40;
  std::atomic<int> redeemed{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Engine& engine = *engines[t % 2];
      for (int i = 0; i < kCommandsEach; ++i) {
        const std::string member = absl::StrCat("M", i % kMembers);
        const int64_t at_us = kJan2024Us + 2 * kDayUs + i;
        absl::StatusOr<CommandResult> result =
            i % 4 == 3 ? engine.Execute(testing::PurchaseCommand(absl::StrCat("p", t, "-", i),
                                                                 member, 10000, at_us))
                       : engine.Execute(testing::RedeemCommand(absl::StrCat("r", t, "-", i),
                                                               member, 100, at_us));
        if (result.ok()) {
          if (i % 4 != 3) ++redeemed;
          continue;
        }
        // Only a refusal for want of points, or a command that met the
        // other writers' appends on every one of its tries.
        EXPECT_TRUE(absl::IsFailedPrecondition(result.status()) ||
                    absl::IsAborted(result.status()))
            << result.status();
        ++refused;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(redeemed.load(), 0);
  EXPECT_GT(refused.load(), 0);  // the points ran out: the race was on
  std::unique_ptr<Engine> fresh = OpenOrDie("");
  ASSERT_NE(fresh, nullptr);
  absl::StatusOr<AnomaliesView> anomalies = fresh->Anomalies();
  ASSERT_TRUE(anomalies.ok()) << anomalies.status();
  EXPECT_EQ(anomalies->count, 0u);  // no redemption over a balance
  int64_t redeemed_points = 0;
  for (int m = 0; m < kMembers; ++m) {
    absl::StatusOr<MemberView> member = fresh->Member(absl::StrCat("M", m), AsOf::Now());
    ASSERT_TRUE(member.ok()) << member.status();
    EXPECT_EQ(member->available_points,
              member->earned_points_total - member->redeemed_points_total);
    EXPECT_EQ(member->debt_points, 0);
    redeemed_points += member->redeemed_points_total;
  }
  EXPECT_EQ(redeemed_points, 100 * redeemed.load());
  const ChainHead head = fresh->ledger().Head();
  ASSERT_TRUE(fresh->ledger().Verify(1, head.sequence).ok());
  // Each engine's live state is a replay of what it has met (Rebuild
  // checks it), a prefix of this log.
  for (std::unique_ptr<Engine>& engine : engines) {
    absl::StatusOr<std::vector<ProjectionDigest>> digests = engine->Rebuild();
    ASSERT_TRUE(digests.ok()) << digests.status();
    EXPECT_LE(engine->ledger().Head().sequence, head.sequence);
  }
}

TEST_F(EnginePostgresTest, PersonalDataLivesInTheDatabaseNotBesideTheCheckpoint) {
  {
    std::unique_ptr<Engine> engine = OpenOrDie(dir_.Sub("first-machine"));
    ASSERT_NE(engine, nullptr);
    EnrolAndBuy(*engine, "M1", 10000);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("first-machine/member-keys")));
  // Another machine, with a checkpoint directory of its own (none yet).
  std::unique_ptr<Engine> engine = OpenOrDie(dir_.Sub("second-machine"));
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<v1::PersonalData> personal = engine->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->birth_date().year(), 1990);

  EraseMember erase;
  erase.member_id = "M1";
  erase.reason = "member request";
  erase.occurred_at_us = kJan2024Us + 2 * kDayUs;
  erase.actor_id = "dpo";
  ASSERT_TRUE(engine->Execute(erase).ok());
  engine.reset();
  std::unique_ptr<Engine> third = OpenOrDie(dir_.Sub("first-machine"));
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->PersonalDataOf("M1").status().code(), absl::StatusCode::kFailedPrecondition);
  auto session = util::PgSession::Connect(uri_);
  ASSERT_TRUE(session.ok());
  auto keys = (*session)->Query("SELECT count(*) FROM member_keys WHERE name LIKE 'm/%'");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_STREQ(PQgetvalue(keys->get(), 0, 0), "0");
}

TEST_F(EnginePostgresTest, AMissingKeyTableIsDataLossOnceTheLogHoldsSealedData) {
  {
    std::unique_ptr<Engine> engine = OpenOrDie(dir_.Sub("db"));
    ASSERT_NE(engine, nullptr);
    EnrolAndBuy(*engine, "M1", 10000);
  }
  auto session = util::PgSession::Connect(uri_);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->Exec("DROP TABLE member_keys").ok());
  absl::StatusOr<std::unique_ptr<Engine>> writing = Engine::Open(dir_.Sub("db"), Options());
  ASSERT_EQ(writing.status().code(), absl::StatusCode::kDataLoss) << writing.status();
  EXPECT_THAT(writing.status().message(), HasSubstr("member_keys"));
  // Nothing was made in its place.
  auto found = (*session)->Query("SELECT to_regclass('member_keys') IS NULL");
  ASSERT_TRUE(found.ok());
  EXPECT_STREQ(PQgetvalue(found->get(), 0, 0), "t");
  // Read-only, everything but personal data is served.
  std::unique_ptr<Engine> reading = OpenOrDie(dir_.Sub("db"), /*read_only=*/true);
  ASSERT_NE(reading, nullptr);
  EXPECT_EQ(reading->Member("M1", AsOf::Now())->available_points, 100);
  EXPECT_EQ(reading->PersonalDataOf("M1").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(EnginePostgresTest, TheCheckpointDirectoryIsLockedAndOptional) {
  std::unique_ptr<Engine> first = OpenOrDie(dir_.Sub("db"));
  ASSERT_NE(first, nullptr);
  EnrolAndBuy(*first, "M1", 10000);
  ASSERT_TRUE(first->Checkpoint().ok());
  // A second writer of the same checkpoint directory is refused, and the
  // first's store is left where it is (never set aside as damaged).
  absl::StatusOr<std::unique_ptr<Engine>> second = Engine::Open(dir_.Sub("db"), Options());
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another engine"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("db/projections.damaged")));
  EXPECT_TRUE(notices_.empty());
  // A reader beside it needs no lock.
  std::unique_ptr<Engine> reader = OpenOrDie(dir_.Sub("db"), /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->Member("M1", AsOf::Now())->available_points, 100);
  // No directory: the projections in memory, replayed from the log.
  std::unique_ptr<Engine> in_memory = OpenOrDie("");
  ASSERT_NE(in_memory, nullptr);
  EXPECT_EQ(in_memory->Member("M1", AsOf::Now())->available_points, 100);
  ASSERT_TRUE(in_memory->Execute(testing::PurchaseCommand("M1-p2", "M1", 20000,
                                                          kJan2024Us + 2 * kDayUs))
                  .ok());
  ASSERT_TRUE(in_memory->Checkpoint().ok());
  EXPECT_EQ(OpenOrDie("", /*read_only=*/true)->Member("M1", AsOf::Now())->available_points, 300);
  // A URI that leads to no ledger makes nothing on this machine.
  absl::StatusOr<std::string> empty = ThrowawayPostgres::NewSharedDatabase();
  ASSERT_TRUE(empty.ok());
  EngineOptions nowhere = Options();
  nowhere.postgres_uri = *empty;
  nowhere.ledger.create_if_missing = false;
  EXPECT_EQ(Engine::Open(dir_.Sub("never-made"), nowhere).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("never-made")));
  // Backups are PostgreSQL's.
  EXPECT_EQ(first->Backup(dir_.Sub("backups")).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("backups")));
}

TEST_F(EnginePostgresTest, ACheckpointOfAnotherLedgerIsSetAsideAndRebuilt) {
  {
    std::unique_ptr<Engine> engine = OpenOrDie(dir_.Sub("db"));
    ASSERT_NE(engine, nullptr);
    EnrolAndBuy(*engine, "M1", 10000);
    ASSERT_TRUE(engine->Checkpoint().ok());
  }
  // The same checkpoint directory, pointed at another ledger.
  absl::StatusOr<std::string> other = ThrowawayPostgres::NewSharedDatabase();
  ASSERT_TRUE(other.ok());
  uri_ = *other;
  {
    std::unique_ptr<Engine> engine = OpenOrDie(dir_.Sub("elsewhere"));
    ASSERT_NE(engine, nullptr);
    EnrolAndBuy(*engine, "M2", 30000);
    EnrolAndBuy(*engine, "M3", 30000);
  }
  std::unique_ptr<Engine> engine = OpenOrDie(dir_.Sub("db"));
  ASSERT_NE(engine, nullptr);
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_THAT(notices_[0], HasSubstr("another log"));
  EXPECT_EQ(engine->Member("M1", AsOf::Now()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->Member("M2", AsOf::Now())->available_points, 300);
  EXPECT_TRUE(engine->Rebuild().ok());
}

}  // namespace
}  // namespace loyalty
