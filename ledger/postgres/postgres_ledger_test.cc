// What only the PostgreSQL ledger has: a database shared by writers
// (fencing), the same bytes as the RocksDB ledger, a schema it creates only
// where nothing is, connections that can be lost. The behaviour both
// backends share is pinned in ledger/ledger_backends_test.cc.
#include "ledger/postgres/postgres_ledger.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "testing/throwaway_postgres.h"
#include "util/pg_session.h"

namespace loyalty::internal {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ThrowawayPostgres;
using ::testing::HasSubstr;

class PostgresLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> database = ThrowawayPostgres::NewSharedDatabase();
    ASSERT_TRUE(database.ok()) << database.status();
    conninfo_ = *database;
    absl::StatusOr<std::unique_ptr<util::PgSession>> admin = util::PgSession::Connect(conninfo_);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::move(*admin);
  }

  std::unique_ptr<Ledger> OpenLedger(LedgerOptions options = LedgerOptions()) {
    if (options.clock == nullptr) options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Ledger>> opened = PostgresLedger::Open(conninfo_, options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  static absl::StatusOr<AppendResult> AppendOne(Ledger& ledger, v1::Envelope envelope) {
    AppendBatch batch;
    batch.Add(std::move(envelope));
    return ledger.Append(batch);
  }

  // A number the admin session reads, e.g. "SELECT count(*) FROM events".
  int64_t Number(const std::string& sql) {
    absl::StatusOr<util::PgResult> result = admin_->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok() || PQntuples(result->get()) != 1) return -1;
    return std::stoll(PQgetvalue(result->get(), 0, 0));
  }

  std::string conninfo_;
  std::unique_ptr<util::PgSession> admin_;
  ManualClock clock_{kJan2024Us + 5};
};

TEST_F(PostgresLedgerTest, CreatesItsTablesInAnEmptyDatabaseWithTheFormatAndAnEmptyHead) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(Number("SELECT count(*) FROM meta WHERE format = 'loyalty-ledger-postgres/1'"), 1);
  EXPECT_EQ(Number("SELECT sequence FROM head"), 0);
  EXPECT_EQ(Number("SELECT count(*) FROM events"), 0);
  // No SQL sequence gives out positions: the head row does.
  EXPECT_EQ(Number("SELECT count(*) FROM pg_class WHERE relkind = 'S'"), 0);
}

TEST_F(PostgresLedgerTest, NeverCreatesOverAnotherSchemasTables) {
  ASSERT_TRUE(admin_->Exec("CREATE TABLE customers (id int)").ok());
  absl::StatusOr<std::unique_ptr<Ledger>> opened = PostgresLedger::Open(conninfo_, LedgerOptions());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("holds no ledger (it holds customers)"));
  EXPECT_EQ(Number("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 1);
}

TEST_F(PostgresLedgerTest, WithoutCreateOrReadOnlyAnEmptyDatabaseIsNoLedgerAndStaysEmpty) {
  LedgerOptions no_create;
  no_create.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<Ledger>> opened = PostgresLedger::Open(conninfo_, no_create);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(opened.status().message(), HasSubstr("no ledger in schema \"public\""));
  LedgerOptions read_only;
  read_only.read_only = true;
  opened = PostgresLedger::Open(conninfo_, read_only);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Number("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);
}

TEST_F(PostgresLedgerTest, ReadOnlyReadsAndNeverWrites) {
  std::unique_ptr<Ledger> writer = OpenLedger();
  ASSERT_TRUE(AppendOne(*writer, Purchase("M1", "P1", 100)).ok());
  LedgerOptions options;
  options.read_only = true;
  std::unique_ptr<Ledger> reader = OpenLedger(options);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->Head().sequence, 1u);
  EXPECT_TRUE(reader->Verify(1, 1).ok());
  absl::StatusOr<AppendResult> refused = AppendOne(*reader, Purchase("M1", "P2", 100));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Number("SELECT count(*) FROM events"), 1);
}

TEST_F(PostgresLedgerTest, AnotherFormatIsRefused) {
  ASSERT_NE(OpenLedger(), nullptr);
  ASSERT_TRUE(admin_->Exec("UPDATE meta SET format = 'loyalty-ledger-postgres/9'").ok());
  absl::StatusOr<std::unique_ptr<Ledger>> opened = PostgresLedger::Open(conninfo_, LedgerOptions());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("loyalty-ledger-postgres/9"));
}

// Two writers on one database: the second appends from a head the first
// has moved. Its transaction fails on the head row and writes nothing; it
// has read the head again, so its retry goes in after the first's event.
TEST_F(PostgresLedgerTest, AWriterBehindTheHeadIsFencedLeavesNoTraceAndRetriesAfterRereading) {
  std::unique_ptr<Ledger> first = OpenLedger();
  std::unique_ptr<Ledger> second = OpenLedger();
  ASSERT_TRUE(AppendOne(*first, Purchase("M1", "P1", 100)).ok());

  absl::StatusOr<AppendResult> fenced = AppendOne(*second, Purchase("M2", "P2", 200));
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(fenced.status().message(), HasSubstr("fenced"));
  EXPECT_THAT(fenced.status().message(), HasSubstr("the head is now sequence 1"));
  EXPECT_EQ(Number("SELECT count(*) FROM events"), 1);
  EXPECT_EQ(Number("SELECT count(*) FROM events WHERE idempotency_key = 'purchase/P2'"), 0);
  EXPECT_EQ(Number("SELECT sequence FROM head"), 1);
  EXPECT_EQ(second->Head().sequence, 1u);

  absl::StatusOr<AppendResult> retried = AppendOne(*second, Purchase("M2", "P2", 200));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->sequences, std::vector<uint64_t>{2});
  // The first is behind now, and fenced in its turn.
  EXPECT_EQ(AppendOne(*first, Purchase("M1", "P3", 100)).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_TRUE(second->Verify(1, 2).ok());
}

// Both writers append as fast as they can: every append that returned OK is
// in the log once, the log is gap-free and the chain verifies.
TEST_F(PostgresLedgerTest, TwoWritersRacingNeverForkTheChain) {
  std::unique_ptr<Ledger> ledgers[2] = {OpenLedger(), OpenLedger()};
  constexpr int kPerWriter = 40;
  std::atomic<int> fenced{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const v1::Envelope event = Purchase(absl::StrCat("M", w), absl::StrCat("P", w, "-", i), 1);
        for (;;) {
          absl::StatusOr<AppendResult> result = AppendOne(*ledgers[w], event);
          if (result.ok()) break;
          ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
          ++fenced;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Number("SELECT count(*) FROM events"), 2 * kPerWriter);
  EXPECT_EQ(Number("SELECT max(sequence) FROM events"), 2 * kPerWriter);
  std::unique_ptr<Ledger> reader = OpenLedger();
  EXPECT_TRUE(reader->Verify(1, 2 * kPerWriter).ok());
  EXPECT_EQ(*reader->StreamVersion("member-M0"), static_cast<uint64_t>(kPerWriter));
}

// Same batches, same clock: the same bytes, the same chain hashes and the
// same head as the RocksDB ledger, so verification, proofs and exports do
// not depend on the backend.
TEST_F(PostgresLedgerTest, SameBatchesGiveTheRocksDbLedgersBytesAndChainHead) {
  TempDir dir;
  LedgerOptions options;
  options.clock = &clock_;
  absl::StatusOr<std::unique_ptr<Ledger>> rocks = Ledger::Open(dir.Sub("db"), options);
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  std::unique_ptr<Ledger> postgres = OpenLedger();
  std::vector<AppendBatch> batches;
  for (int b = 0; b < 20; ++b) {
    AppendBatch batch;
    for (int e = 0; e <= b % 4; ++e) {
      batch.Add(Purchase(absl::StrCat("M", (b + e) % 5), absl::StrCat("P", b, "-", e),
                         100 * b + e, kJan2024Us + b));
    }
    if (b % 3 == 0) batch.ExpectVersion(absl::StrCat("member-M", b % 5), 0);
    batches.push_back(std::move(batch));
  }
  for (const AppendBatch& batch : batches) {
    clock_.Advance(7);
    absl::StatusOr<AppendResult> in_rocks = (*rocks)->Append(batch);
    absl::StatusOr<AppendResult> in_postgres = postgres->Append(batch);
    ASSERT_EQ(in_rocks.status().code(), in_postgres.status().code()) << in_postgres.status();
    EXPECT_EQ(in_rocks.status().message(), in_postgres.status().message());
    if (in_rocks.ok()) {
      EXPECT_EQ(in_rocks->sequences, in_postgres->sequences);
    }
  }
  const ChainHead head = (*rocks)->Head();
  ASSERT_GT(head.sequence, 20u);
  EXPECT_EQ(postgres->Head().sequence, head.sequence);
  EXPECT_EQ(HashHex(postgres->Head().hash), HashHex(head.hash));
  std::vector<std::pair<std::string, Hash>> rocks_events;
  ASSERT_TRUE((*rocks)
                  ->ScanRaw(1, head.sequence,
                            [&](const RawEvent& raw) {
                              rocks_events.emplace_back(std::string(raw.canonical_bytes), raw.hash);
                              return absl::OkStatus();
                            })
                  .ok());
  size_t index = 0;
  ASSERT_TRUE(postgres
                  ->ScanRaw(1, head.sequence,
                            [&](const RawEvent& raw) {
                              EXPECT_EQ(raw.canonical_bytes, rocks_events[index].first)
                                  << "sequence " << raw.sequence;
                              EXPECT_EQ(raw.hash, rocks_events[index].second);
                              ++index;
                              return absl::OkStatus();
                            })
                  .ok());
  EXPECT_EQ(index, rocks_events.size());
  EXPECT_TRUE(postgres->Verify(1, head.sequence).ok());
}

TEST_F(PostgresLedgerTest, ConcurrentAppendersShareTransactionsAndStayGapFree) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!AppendOne(*ledger, Purchase(absl::StrCat("M", t), absl::StrCat("P", t, "-", i), 1))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  constexpr int kEvents = kThreads * kPerThread;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Number("SELECT count(*) FROM events"), kEvents);
  EXPECT_EQ(Number("SELECT max(sequence) FROM events"), kEvents);
  EXPECT_EQ(ledger->Head().sequence, static_cast<uint64_t>(kEvents));
  EXPECT_TRUE(ledger->Verify(1, kEvents).ok());
  const LedgerMetrics metrics = ledger->Metrics();
  EXPECT_EQ(metrics.events_appended_total, static_cast<uint64_t>(kEvents));
  // Writers queued behind a leader went in with its transaction.
  EXPECT_LT(metrics.group_commits_total, static_cast<uint64_t>(kEvents));
  EXPECT_GT(metrics.bytes_written_total, 0u);
  EXPECT_GT(metrics.directory_bytes, 0u);
}

TEST_F(PostgresLedgerTest, EventsCannotBeRewrittenAndVerifyFindsARowThatWas) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(AppendOne(*ledger, Purchase("M1", absl::StrCat("P", i), 100 * i)).ok());
  }
  absl::Status refused = admin_->Exec("UPDATE events SET recorded_at_us = 0 WHERE sequence = 2");
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), HasSubstr("never rewritten"));
  EXPECT_FALSE(admin_->Exec("DELETE FROM events WHERE sequence = 3").ok());
  EXPECT_FALSE(admin_->Exec("TRUNCATE events").ok());

  // Someone who can disable the trigger still cannot hide a change.
  ASSERT_TRUE(admin_->Exec("ALTER TABLE events DISABLE TRIGGER events_append_only").ok());
  ASSERT_TRUE(admin_->Exec("UPDATE events SET stream_id = 'member-M9' WHERE sequence = 2").ok());
  absl::Status verified = ledger->Verify(1, 3);
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(verified.message(), HasSubstr("sequence 2: its stream_id column"));
  ASSERT_TRUE(admin_->Exec("UPDATE events SET stream_id = 'member-M1', "
                           "canonical_bytes = canonical_bytes || '\\x00'::bytea WHERE sequence = 2")
                  .ok());
  verified = ledger->Verify(1, 3);
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(verified.message(), HasSubstr("sequence 2"));
}

// A lost connection is Unavailable with the outcome unknown; the next
// append reconnects, and the retry with the same keys finds what was
// committed.
TEST_F(PostgresLedgerTest, ALostConnectionIsUnavailableAndTheNextAppendReconnects) {
  std::unique_ptr<Ledger> ledger = OpenLedger();
  ASSERT_TRUE(AppendOne(*ledger, Purchase("M1", "P1", 100)).ok());
  ASSERT_TRUE(admin_
                  ->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  absl::StatusOr<AppendResult> lost = AppendOne(*ledger, Purchase("M1", "P2", 100));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  EXPECT_THAT(lost.status().message(), HasSubstr("SQLSTATE"));
  absl::StatusOr<AppendResult> retried = AppendOne(*ledger, Purchase("M1", "P2", 100));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->sequences, std::vector<uint64_t>{2});
  EXPECT_EQ(*ledger->StreamVersion("member-M1"), 2u);
}

// While it lives, the server waits on every commit for a synchronous
// standby that never connects ("nobody").
class WaitingForAStandby {
 public:
  // `conninfo` names a database that holds a ledger.
  WaitingForAStandby(util::PgSession& admin, const std::string& conninfo) : admin_(admin) {
    EXPECT_TRUE(admin_.Exec("ALTER SYSTEM SET synchronous_standby_names = 'nobody'").ok());
    EXPECT_TRUE(admin_.Query("SELECT pg_reload_conf()").ok());
    // The server takes the setting up a moment after the reload: until a
    // probe's commit (meta's row updated to itself) waits, it is not in
    // force.
    absl::StatusOr<std::unique_ptr<util::PgSession>> probe = util::PgSession::Connect(conninfo);
    EXPECT_TRUE(probe.ok()) << probe.status();
    if (!probe.ok()) return;
    bool waited = false;
    for (int tries = 0; tries < 100 && !waited; ++tries) {
      waited = CancelTheWaitOf([&] { (void)(*probe)->Exec("UPDATE meta SET format = format"); },
                               /*tries_left=*/20);
    }
    EXPECT_TRUE(waited) << "synchronous_standby_names never took effect";
  }
  ~WaitingForAStandby() { End(); }
  void End() {
    if (ended_) return;
    ended_ = true;
    EXPECT_TRUE(admin_.Exec("ALTER SYSTEM RESET synchronous_standby_names").ok());
    EXPECT_TRUE(admin_.Query("SELECT pg_reload_conf()").ok());
  }
  // Runs `commit` on a thread of its own, cancels its wait for the standby
  // (CancelAWait) and returns once it is done; whether a wait was cancelled.
  bool CancelTheWaitOf(const std::function<void()>& commit, int tries_left = 1000) {
    std::thread committing(commit);
    const bool cancelled = CancelAWait(tries_left);
    committing.join();
    return cancelled;
  }

 private:
  // Cancels the first session found waiting for the standby (as an
  // administrator's pg_cancel_backend, or a statement_timeout, would);
  // false if none waited within `tries_left` looks 10 ms apart.
  bool CancelAWait(int tries_left) {
    for (int tries = 0; tries < tries_left; ++tries) {
      absl::StatusOr<util::PgResult> cancelled = admin_.Query(
          "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
      if (cancelled.ok() && PQntuples(cancelled->get()) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  util::PgSession& admin_;
  bool ended_ = false;
};

// A commit no synchronous standby confirmed is neither acknowledged nor
// shown: when its wait is cancelled PostgreSQL keeps it on the primary,
// visible to every session, and says so only in a warning; a second writer
// that meets it publishes and appends after it only once a standby could
// hold it.
TEST_F(PostgresLedgerTest, ACommitNoStandbyConfirmedIsNeitherAcknowledgedNorShown) {
  std::unique_ptr<Ledger> a = OpenLedger();
  std::unique_ptr<Ledger> b = OpenLedger();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(AppendOne(*a, Purchase("M1", "P1", 100)).ok());
  WaitingForAStandby standby(*admin_, conninfo_);

  absl::StatusOr<AppendResult> unconfirmed;
  ASSERT_TRUE(standby.CancelTheWaitOf(
      [&] { unconfirmed = AppendOne(*a, Purchase("M1", "P2", 100)); }));
  ASSERT_FALSE(unconfirmed.ok());
  EXPECT_EQ(unconfirmed.status().code(), absl::StatusCode::kUnavailable) << unconfirmed.status();
  EXPECT_THAT(unconfirmed.status().message(), HasSubstr("the server warned"));
  EXPECT_EQ(a->Head().sequence, 1u);
  EXPECT_EQ(Number("SELECT sequence FROM head"), 2);  // on the primary only

  // B, fenced at the head row, reads the head again and waits for a
  // standby to hold it; cancelled, it shows nothing past what it had.
  absl::StatusOr<AppendResult> fenced;
  ASSERT_TRUE(
      standby.CancelTheWaitOf([&] { fenced = AppendOne(*b, Purchase("M2", "P3", 100)); }));
  ASSERT_FALSE(fenced.ok());
  EXPECT_THAT(fenced.status().message(), HasSubstr("the server warned"));
  EXPECT_LT(b->Head().sequence, 2u);

  // With the standby back (here: none required), A's retry is answered with
  // the sequence its batch was committed at, and B appends after it.
  standby.End();
  absl::StatusOr<AppendResult> retried = AppendOne(*a, Purchase("M1", "P2", 100));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->sequences, std::vector<uint64_t>{2});
  absl::StatusOr<AppendResult> after = AppendOne(*b, Purchase("M2", "P3", 100));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->sequences, std::vector<uint64_t>{3});
  EXPECT_TRUE(b->Verify(1, 3).ok());
}

TEST_F(PostgresLedgerTest, ASubscriptionFollowsAnotherWritersAppends) {
  std::unique_ptr<Ledger> writer = OpenLedger();
  LedgerOptions options;
  options.read_only = true;
  std::unique_ptr<Ledger> follower = OpenLedger(options);
  std::atomic<uint64_t> last{0};
  std::unique_ptr<Subscription> subscription = follower->Subscribe(0, [&](const v1::Envelope& e) {
    last.store(e.sequence());
    return absl::OkStatus();
  });
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(AppendOne(*writer, Purchase("M1", absl::StrCat("P", i), 100)).ok());
  }
  for (int wait = 0; wait < 500 && last.load() < 5; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(last.load(), 5u);
  EXPECT_TRUE(subscription->status().ok());
}

}  // namespace
}  // namespace loyalty::internal
