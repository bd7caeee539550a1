// The ledger's behaviour, pinned on every backend: the same cases run
// against the RocksDB ledger and the PostgreSQL ledger (a fresh database of
// a throwaway server, testing/throwaway_postgres.h). What only one backend
// has is tested beside it: ledger_test.cc (a directory), and
// postgres/postgres_ledger_test.cc (a database).
#include "loyalty/ledger.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/hash.h"
#include "ledger/postgres/postgres_ledger.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "testing/throwaway_postgres.h"
#include "util/sha256.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::Purchase;
using ::loyalty::testing::TempDir;
using ::loyalty::testing::ThrowawayPostgres;
using ::testing::HasSubstr;

enum class Backend { kRocksDb, kPostgres };

std::string BackendName(Backend backend) {
  return backend == Backend::kRocksDb ? "RocksDb" : "Postgres";
}

// A ledger of the backend under test, reopened at the same place.
class LedgerFixture : public ::testing::Test {
 protected:
  virtual Backend backend() const = 0;

  void SetUp() override {
    if (backend() == Backend::kRocksDb) {
      location_ = dir_.Sub("db");
    } else {
      absl::StatusOr<std::string> database = ThrowawayPostgres::NewSharedDatabase();
      ASSERT_TRUE(database.ok()) << database.status();
      location_ = *database;
    }
    Reopen();
  }

  void Reopen() {
    ledger_.reset();
    LedgerOptions options;
    options.clock = &clock_;
    auto opened = backend() == Backend::kRocksDb
                      ? Ledger::Open(location_, options)
                      : internal::PostgresLedger::Open(location_, options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = std::move(*opened);
  }

  absl::StatusOr<AppendResult> AppendOne(v1::Envelope envelope) {
    AppendBatch batch;
    batch.Add(std::move(envelope));
    return ledger_->Append(batch);
  }

  std::vector<v1::Envelope> ReadAll() {
    auto events = ledger_->Read(1, 1000000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<v1::Envelope>();
  }

  TempDir dir_;
  std::string location_;  // the directory, or the database's connection string
  ManualClock clock_{kJan2024Us + 5};
  std::unique_ptr<Ledger> ledger_;
};

class LedgerTest : public LedgerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  Backend backend() const override { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest,
                         ::testing::Values(Backend::kRocksDb, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return BackendName(info.param);
                         });

TEST_P(LedgerTest, EmptyLedgerHasZeroHead) {
  ChainHead head = ledger_->Head();
  EXPECT_EQ(head.sequence, 0u);
  EXPECT_EQ(head.hash, Hash{});
  EXPECT_TRUE(ledger_->Verify(1, 100).ok());
}

TEST_P(LedgerTest, SequencesStartAtOneAndAreGapFree) {
  for (int i = 0; i < 5; ++i) {
    auto result = AppendOne(Purchase("M1", absl::StrCat("P", i), 1000));
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->sequences.size(), 1u);
    EXPECT_EQ(result->sequences[0], static_cast<uint64_t>(i + 1));
    EXPECT_FALSE(result->deduplicated);
  }
  std::vector<v1::Envelope> events = ReadAll();
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].stream_version(), i + 1);
    EXPECT_EQ(events[i].recorded_at_us(), kJan2024Us + 5);
    EXPECT_EQ(events[i].schema_version(), 1u);
  }
  EXPECT_EQ(ledger_->Head().sequence, 5u);
}

TEST_P(LedgerTest, ChainLinksEveryEventToItsPredecessor) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  ASSERT_TRUE(AppendOne(Purchase("M1", "P2", 200)).ok());
  Hash previous{};
  Hash last{};
  ASSERT_TRUE(ledger_
                  ->ScanRaw(1, 2,
                            [&](const RawEvent& raw) {
                              v1::Envelope envelope;
                              EXPECT_TRUE(envelope.ParseFromArray(
                                  raw.canonical_bytes.data(),
                                  static_cast<int>(raw.canonical_bytes.size())));
                              EXPECT_EQ(envelope.previous_hash(),
                                        std::string(util::DigestBytes(previous)));
                              EXPECT_EQ(raw.hash,
                                        internal::ChainHash(previous, raw.canonical_bytes));
                              previous = raw.hash;
                              last = raw.hash;
                              return absl::OkStatus();
                            })
                  .ok());
  EXPECT_EQ(ledger_->Head().hash, last);
  EXPECT_EQ(*ledger_->HashAt(2), last);
  EXPECT_TRUE(ledger_->Verify(1, 2).ok());
}

TEST_P(LedgerTest, BatchIsAtomicWhenOneEventIsInvalid) {
  AppendBatch batch;
  batch.Add(Purchase("M1", "P1", 100));
  batch.Add(Purchase("M2", "P2", 200));
  batch.Add(Purchase("M3", "P3", -7));
  auto result = ledger_->Append(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("event 2"));
  EXPECT_THAT(result.status().message(), HasSubstr("event.purchase_recorded.amount_fen"));
  EXPECT_THAT(result.status().message(), HasSubstr("-7"));
  EXPECT_EQ(ledger_->Head().sequence, 0u);
  EXPECT_EQ(*ledger_->StreamVersion("member-M1"), 0u);
}

// Personal data stored plain could never be erased: the log is never
// rewritten (docs/privacy.md). Only sealed data goes in.
TEST_P(LedgerTest, PersonalDataInTheClearIsRefused) {
  v1::Envelope enrolled = ::loyalty::testing::EnvelopeOn(
      "member-M1", "enrol/M1", kJan2024Us, "counter");
  v1::MemberEnrolled& enrolment = *enrolled.mutable_event()->mutable_member_enrolled();
  enrolment.set_member_id("M1");
  enrolment.mutable_personal()->mutable_plain()->set_name("Plain Name");
  v1::Envelope updated = enrolled;
  updated.set_idempotency_key("profile/M1");
  updated.mutable_event()->mutable_member_profile_updated()->set_member_id("M1");
  updated.mutable_event()
      ->mutable_member_profile_updated()
      ->mutable_personal()
      ->mutable_plain()
      ->set_phone("13800000000");
  AppendBatch batch;
  batch.Add(Purchase("M2", "P1", 100));
  batch.Add(enrolled);
  auto result = ledger_->Append(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("event 1: event.member_enrolled.personal.plain: personal data is "
                        "stored only sealed"));
  result = AppendOne(updated);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(),
              HasSubstr("event 0: event.member_profile_updated.personal.plain"));
  EXPECT_EQ(ledger_->Head().sequence, 0u);
  // Sealed, and without personal data, they go in.
  enrolment.mutable_personal()->mutable_sealed()->set_ciphertext(std::string(40, 'c'));
  ASSERT_TRUE(AppendOne(enrolled).ok());
  updated.mutable_event()->mutable_member_profile_updated()->clear_personal();
  ASSERT_TRUE(AppendOne(updated).ok());
  EXPECT_EQ(ledger_->Head().sequence, 2u);
}

TEST_P(LedgerTest, ExpectedVersionMismatchNamesBothVersions) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  AppendBatch batch;
  batch.Add(Purchase("M1", "P2", 100)).ExpectVersion("member-M1", 0);
  auto result = ledger_->Append(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(result.status().message(), HasSubstr("member-M1"));
  EXPECT_THAT(result.status().message(), HasSubstr("expected version 0"));
  EXPECT_THAT(result.status().message(), HasSubstr("actual version 1"));
  EXPECT_EQ(ledger_->Head().sequence, 1u);

  AppendBatch good;
  good.Add(Purchase("M1", "P2", 100)).ExpectVersion("member-M1", 1);
  auto ok = ledger_->Append(good);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ledger_->StreamVersion("member-M1"), 2u);
}

TEST_P(LedgerTest, RetriedBatchReturnsOriginalPositionsAndWritesNothing) {
  AppendBatch batch;
  batch.Add(Purchase("M1", "P1", 100));
  batch.Add(Purchase("M2", "P2", 200));
  auto first = ledger_->Append(batch);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(AppendOne(Purchase("M3", "P3", 300)).ok());
  const ChainHead head = ledger_->Head();

  clock_.Advance(1000);  // a retry later must not count as different content
  auto retry = ledger_->Append(batch);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->sequences, first->sequences);
  EXPECT_EQ(ledger_->Head().sequence, head.sequence);
  EXPECT_EQ(ledger_->Head().hash, head.hash);
}

TEST_P(LedgerTest, RetryIsRecognisedAfterReopen) {
  auto first = AppendOne(Purchase("M1", "P1", 100));
  ASSERT_TRUE(first.ok());
  Reopen();
  auto retry = AppendOne(Purchase("M1", "P1", 100));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->sequences, first->sequences);
}

TEST_P(LedgerTest, SameKeyWithDifferentContentIsAlreadyExists) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  auto result = AppendOne(Purchase("M1", "P1", 999));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(result.status().message(), HasSubstr("purchase/P1"));
  EXPECT_THAT(result.status().message(), HasSubstr("sequence 1"));
  EXPECT_EQ(ledger_->Head().sequence, 1u);
}

TEST_P(LedgerTest, PartlyRetriedBatchIsRefused) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  AppendBatch batch;
  batch.Add(Purchase("M1", "P1", 100));
  batch.Add(Purchase("M1", "P2", 100));
  auto result = ledger_->Append(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ledger_->Head().sequence, 1u);
}

TEST_P(LedgerTest, DuplicateKeyInsideOneBatchIsInvalid) {
  AppendBatch batch;
  batch.Add(Purchase("M1", "P1", 100));
  batch.Add(Purchase("M2", "P1", 100));
  auto result = ledger_->Append(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("event 1: idempotency_key"));
}

struct BadInputCase {
  const char* name;
  void (*spoil)(v1::Envelope*);
  const char* expected_field;
};

class BadInputTest
    : public LedgerFixture,
      public ::testing::WithParamInterface<std::tuple<Backend, BadInputCase>> {
 protected:
  Backend backend() const override { return std::get<0>(GetParam()); }
};

TEST_P(BadInputTest, IsInvalidArgumentNamingTheFieldAndWritesNothing) {
  const BadInputCase& bad = std::get<1>(GetParam());
  v1::Envelope envelope = Purchase("M1", "P1", 100);
  bad.spoil(&envelope);
  auto result = AppendOne(envelope);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr(bad.expected_field));
  EXPECT_EQ(ledger_->Head().sequence, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInputTest,
    ::testing::Combine(::testing::Values(Backend::kRocksDb, Backend::kPostgres), ::testing::Values(
        BadInputCase{"EmptyStream", [](v1::Envelope* e) { e->clear_stream_id(); }, "stream_id"},
        BadInputCase{"LongStream",
                     [](v1::Envelope* e) { e->set_stream_id(std::string(kMaxStreamIdBytes + 1, 's')); },
                     "stream_id"},
        BadInputCase{"NulInStream", [](v1::Envelope* e) { e->set_stream_id(std::string("a\0b", 3)); },
                     "stream_id"},
        BadInputCase{"EmptyKey", [](v1::Envelope* e) { e->clear_idempotency_key(); },
                     "idempotency_key"},
        BadInputCase{"EmptyActor", [](v1::Envelope* e) { e->clear_actor_id(); }, "actor_id"},
        BadInputCase{"NoTime", [](v1::Envelope* e) { e->set_occurred_at_us(0); },
                     "occurred_at_us: 0"},
        BadInputCase{"NoEvent", [](v1::Envelope* e) { e->clear_event(); }, "event: no event type"},
        BadInputCase{"UnknownEventType",
                     [](v1::Envelope* e) {
                       e->clear_event();
                       // Field 999 of Event: a type this schema does not know.
                       e->mutable_event()->ParseFromString(std::string("\xba\x3e\x00", 3));
                     },
                     "unknown event type (field number 999)"},
        BadInputCase{"UnknownFieldInsideTheEvent",
                     [](v1::Envelope* e) {
                       // Field 99 (varint 1) of PurchaseRecorded: from a newer schema.
                       e->mutable_event()->mutable_purchase_recorded()->MergeFromString(
                           std::string("\x98\x06\x01", 3));
                     },
                     "event.purchase_recorded: unknown field number 99"},
        BadInputCase{"UnknownFieldOfTheEnvelope",
                     [](v1::Envelope* e) { e->MergeFromString(std::string("\x98\x06\x01", 3)); },
                     "envelope: unknown field number 99"},
        BadInputCase{"StreamIdNotUtf8",
                     [](v1::Envelope* e) { e->set_stream_id(std::string("member-\xff", 8)); },
                     "stream_id: \"member-\\xff\" is not valid UTF-8"},
        BadInputCase{"TextNotUtf8",
                     [](v1::Envelope* e) {
                       e->mutable_event()->mutable_purchase_recorded()->set_category(
                           std::string("\xe5\x95", 2));  // a character cut short
                     },
                     "event.purchase_recorded.category: \"\\xe5\\x95\" is not valid UTF-8"},
        BadInputCase{"SequenceSet", [](v1::Envelope* e) { e->set_sequence(9); }, "sequence: 9"},
        BadInputCase{"VersionSet", [](v1::Envelope* e) { e->set_stream_version(3); },
                     "stream_version: 3"},
        BadInputCase{"HashSet", [](v1::Envelope* e) { e->set_previous_hash("x"); }, "previous_hash"},
        BadInputCase{"FutureSchema", [](v1::Envelope* e) { e->set_schema_version(7); },
                     "schema_version: 7"},
        BadInputCase{"NegativeAmount",
                     [](v1::Envelope* e) {
                       e->mutable_event()->mutable_purchase_recorded()->set_amount_fen(-1);
                     },
                     "amount_fen: -1"},
        BadInputCase{"NegativePoints",
                     [](v1::Envelope* e) {
                       e->mutable_event()->mutable_points_granted()->set_member_id("M1");
                       e->mutable_event()->mutable_points_granted()->set_points(-5);
                     },
                     "event.points_granted.points: -5"},
        BadInputCase{"LongMemberId",
                     [](v1::Envelope* e) {
                       e->mutable_event()->mutable_purchase_recorded()->set_member_id(
                           std::string(kMaxIdBytes + 1, 'm'));
                     },
                     "event.purchase_recorded.member_id"})),
    [](const ::testing::TestParamInfo<std::tuple<Backend, BadInputCase>>& info) {
      return absl::StrCat(BackendName(std::get<0>(info.param)), "_",
                          std::get<1>(info.param).name);
    });

TEST_P(LedgerTest, StreamIdsAndActorIdsHaveTheirOwnLimits) {
  // A stream id may be longer than a domain id (kMaxIdBytes): "member-"
  // followed by a 64-byte member id is a stream of its own.
  v1::Envelope envelope = Purchase("M1", "P1", 100);
  envelope.set_stream_id(std::string(kMaxStreamIdBytes, 's'));
  envelope.set_actor_id(std::string(kMaxActorIdBytes, 'a'));
  auto result = AppendOne(envelope);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*ledger_->StreamVersion(std::string(kMaxStreamIdBytes, 's')), 1u);
  envelope.set_idempotency_key("purchase/P2");
  envelope.set_actor_id(std::string(kMaxActorIdBytes + 1, 'a'));
  EXPECT_THAT(AppendOne(envelope).status().message(), HasSubstr("actor_id"));
}

TEST_P(LedgerTest, OversizedAndEmptyBatchesAreInvalid) {
  AppendBatch empty;
  EXPECT_EQ(ledger_->Append(empty).status().code(), absl::StatusCode::kInvalidArgument);
  AppendBatch huge;
  for (size_t i = 0; i <= kMaxBatchEvents; ++i) huge.Add(Purchase("M1", absl::StrCat("P", i), 1));
  auto result = ledger_->Append(huge);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("10001 events"));
  EXPECT_EQ(ledger_->Head().sequence, 0u);
}

TEST_P(LedgerTest, HeadAndStreamsSurviveReopen) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  ASSERT_TRUE(AppendOne(Purchase("M1", "P2", 100)).ok());
  const ChainHead before = ledger_->Head();
  Reopen();
  EXPECT_EQ(ledger_->Head().sequence, before.sequence);
  EXPECT_EQ(ledger_->Head().hash, before.hash);
  auto next = AppendOne(Purchase("M1", "P3", 100));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->sequences[0], 3u);
  EXPECT_EQ(*ledger_->StreamVersion("member-M1"), 3u);
  EXPECT_TRUE(ledger_->Verify(1, 3).ok());
}

TEST_P(LedgerTest, ScanStreamReadsOneStreamFromAVersion) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(AppendOne(Purchase(i % 2 ? "M1" : "M10", absl::StrCat("P", i), 100 + i)).ok());
  }
  std::vector<uint64_t> sequences;
  ASSERT_TRUE(ledger_
                  ->ScanStream("member-M1", 2,
                               [&](const v1::Envelope& e) {
                                 sequences.push_back(e.sequence());
                                 EXPECT_EQ(e.stream_id(), "member-M1");
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(sequences, (std::vector<uint64_t>{4, 6}));
  EXPECT_EQ(*ledger_->StreamVersion("member-M1"), 3u);
  EXPECT_EQ(*ledger_->StreamVersion("member-M"), 0u);
}

TEST_P(LedgerTest, RecordedTimeNeverGoesBackAndFindsSequences) {
  clock_.Set(kJan2024Us + 100);
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  clock_.Set(kJan2024Us + 200);
  ASSERT_TRUE(AppendOne(Purchase("M1", "P2", 100)).ok());
  clock_.Set(kJan2024Us + 50);  // the clock steps back
  ASSERT_TRUE(AppendOne(Purchase("M1", "P3", 100)).ok());
  std::vector<v1::Envelope> events = ReadAll();
  EXPECT_EQ(events[2].recorded_at_us(), kJan2024Us + 200);
  EXPECT_EQ(*ledger_->SequenceAtTime(kJan2024Us + 99), 0u);
  EXPECT_EQ(*ledger_->SequenceAtTime(kJan2024Us + 100), 1u);
  EXPECT_EQ(*ledger_->SequenceAtTime(kJan2024Us + 199), 1u);
  EXPECT_EQ(*ledger_->SequenceAtTime(kJan2024Us + 200), 3u);
}

TEST_P(LedgerTest, ConcurrentAppendersGetDistinctGapFreeSequences) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AppendBatch batch;
        batch.Add(Purchase(absl::StrCat("M", t), absl::StrCat("P", t, "-", i), 100));
        auto result = ledger_->Append(batch);
        if (!result.ok()) {
          ++failures;
          continue;
        }
        got[t].push_back(result->sequences[0]);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<uint64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    // Each thread sees its own appends in increasing order.
    EXPECT_TRUE(std::is_sorted(got[t].begin(), got[t].end()));
    all.insert(got[t].begin(), got[t].end());
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_TRUE(ledger_->Verify(1, kThreads * kPerThread).ok());
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(*ledger_->StreamVersion(absl::StrCat("member-M", t)),
              static_cast<uint64_t>(kPerThread));
  }
}

TEST_P(LedgerTest, ConcurrentExpectedVersionsLetExactlyOneWriterWin) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AppendBatch batch;
      batch.Add(Purchase("M1", absl::StrCat("P", t), 100)).ExpectVersion("member-M1", 0);
      auto result = ledger_->Append(batch);
      if (result.ok()) ++wins;
      if (result.status().code() == absl::StatusCode::kAborted) ++conflicts;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(ledger_->Head().sequence, 1u);
}

TEST_P(LedgerTest, SubscriptionDeliversHistoryThenNewAppendsInOrder) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P0", 100)).ok());
  std::mutex mu;
  std::vector<uint64_t> seen;
  auto subscription = ledger_->Subscribe(0, [&](const v1::Envelope& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(e.sequence());
    return absl::OkStatus();
  });
  for (int i = 1; i <= 50; ++i) {
    ASSERT_TRUE(AppendOne(Purchase("M1", absl::StrCat("P", i), 100)).ok());
  }
  for (int wait = 0; wait < 500 && subscription->position() < 51; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(subscription->position(), 51u);
  subscription.reset();
  std::vector<uint64_t> expected;
  for (uint64_t s = 1; s <= 51; ++s) expected.push_back(s);
  EXPECT_EQ(seen, expected);
}

TEST_P(LedgerTest, SubscriptionStopsOnCallbackError) {
  ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  ASSERT_TRUE(AppendOne(Purchase("M1", "P2", 100)).ok());
  auto subscription = ledger_->Subscribe(0, [](const v1::Envelope& e) {
    return e.sequence() == 2 ? absl::AbortedError("stop here") : absl::OkStatus();
  });
  for (int wait = 0; wait < 500 && subscription->status().ok(); ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(subscription->status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(subscription->position(), 1u);
}

TEST_P(LedgerTest, CursorWaitsForAppends) {
  auto cursor = ledger_->NewCursor(0);
  auto none = cursor->Next(10, absl::Milliseconds(5));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(AppendOne(Purchase("M1", "P1", 100)).ok());
  });
  auto some = cursor->Next(10, absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ(cursor->position(), 1u);
}

}  // namespace
}  // namespace loyalty
