#include "loyalty/engine.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/projection_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/deciders.h"
#include "projections/replay.h"
#include "replay/projection_set.h"
#include "testing/commands.h"
#include "testing/engine_backend.h"
#include "testing/engine_history.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "testing/view_text.h"

namespace loyalty {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kDayUs = 86400LL * 1000000;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(uint64_t checkpoint_interval = 100000) {
    engine_.reset();
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.checkpoint_interval_events = checkpoint_interval;
    options.master_key = MasterKeyFromBytes(std::string(32, 'k'));
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  // The birthday job for 31 January 2024, when January's bonuses fall due
  // (the clock moved on to the next day).
  GrantBirthdayBonuses BirthdayJobOn31January2024() {
    clock_.Set(std::max(clock_.NowMicros(), kJan2024Us + 31 * kDayUs));
    GrantBirthdayBonuses job;
    job.occurred_at_us = kJan2024Us + 30 * kDayUs;
    job.actor_id = "birthday-job";
    return job;
  }

  void Enrol(const std::string& member_id, int month = 6, int day = 15) {
    EnrolMember command = testing::EnrolBornOnCommand(member_id, 1990, month, day, kJan2024Us);
    command.personal.mutable_plain()->set_name("Test Member");
    auto result = engine_->Execute(command);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  absl::StatusOr<CommandResult> Purchase(const std::string& member_id, const std::string& id,
                                         int64_t amount_fen, int64_t at_us = kJan2024Us + kDayUs) {
    return engine_->Execute(testing::PurchaseCommand(id, member_id, amount_fen, at_us));
  }

  absl::StatusOr<CommandResult> RedeemPoints(const std::string& member_id, const std::string& id,
                                             int64_t points) {
    return engine_->Execute(testing::RedeemCommand(id, member_id, points, kJan2024Us + 2 * kDayUs));
  }

  MemberView Member(const std::string& member_id, AsOf as_of = AsOf::Sequence(~uint64_t{0})) {
    auto view = engine_->Member(member_id, as_of);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : MemberView();
  }

  TempDir dir_;
  ManualClock clock_{kJan2024Us + 10 * kDayUs};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, CommandsDatedAheadOfTheClockAreRefused) {
  Enrol("M1");
  const uint64_t head = engine_->ledger().Head().sequence;
  // The clock is at 2024-01-11T00:00Z; the tolerance is 24 hours.
  auto result = Purchase("M1", "P1", 12345, clock_.NowMicros() + 2 * kDayUs);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(result.status().message()),
            "occurred_at_us: 2024-01-13T00:00:00.000000Z is later than the ledger clock's now "
            "2024-01-11T00:00:00.000000Z plus the tolerance of 24h (policy "
            "business_time.future_tolerance_seconds 86400)");
  EXPECT_EQ(engine_->ledger().Head().sequence, head);
  EXPECT_TRUE(Purchase("M1", "P1", 12345, clock_.NowMicros() + kDayUs).ok());

  // The import's check says the same, per row.
  RecordPurchase ahead;
  ahead.purchase_id = "P2";
  ahead.member_id = "M1";
  ahead.partner_id = "store-7";
  ahead.amount_fen = 100;
  ahead.occurred_at_us = clock_.NowMicros() + 2 * kDayUs;
  ahead.actor_id = "import";
  auto checked = engine_->CheckInOrder({PurchaseOrRefund(ahead)});
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ((*checked)[0].code(), absl::StatusCode::kInvalidArgument);

  // A birthday job dated ahead grants nothing.
  GrantBirthdayBonuses job;
  job.occurred_at_us = kJan2024Us + 300 * kDayUs;
  job.actor_id = "birthday-job";
  EXPECT_EQ(engine_->Execute(job).status().code(), absl::StatusCode::kInvalidArgument);

  // An erasure dated ahead destroys no key, and neither does a retention
  // run dated ahead (which would erase everyone inactive by then).
  EraseMember erase{"M1", "member request", clock_.NowMicros() + 2 * kDayUs, "privacy-officer"};
  EXPECT_EQ(engine_->Execute(erase).status().code(), absl::StatusCode::kInvalidArgument);
  auto erased = engine_->RunRetention(absl::CivilDay(2099, 1, 1), "retention-job");
  EXPECT_EQ(erased.status().code(), absl::StatusCode::kInvalidArgument);
  auto personal = engine_->PersonalDataOf("M1");
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_EQ(personal->name(), "Test Member");
}

TEST_F(EngineTest, PurchaseAndItsPointsAreOneBatch) {
  Enrol("M1");
  auto result = Purchase("M1", "P1", 12345);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->sequences.size(), 2u);
  EXPECT_EQ(result->sequences[1], result->sequences[0] + 1);
  auto events = engine_->ledger().Read(result->sequences[0], 2);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE((*events)[0].event().has_purchase_recorded());
  EXPECT_EQ((*events)[1].event().points_granted().points(), 123);
  EXPECT_EQ((*events)[1].event().points_granted().purchase_id(), "P1");
  MemberView view = Member("M1");
  EXPECT_EQ(view.available_points, 123);
  EXPECT_EQ(view.earned_points_total, 123);
  ASSERT_EQ(view.lots.size(), 1u);
}

TEST_F(EngineTest, InvalidCommandsAppendNothing) {
  Enrol("M1");
  ASSERT_TRUE(Purchase("M1", "P1", 10000).ok());
  const uint64_t head = engine_->ledger().Head().sequence;

  auto overdraw = RedeemPoints("M1", "R1", 101);
  EXPECT_EQ(overdraw.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(overdraw.status().message(), HasSubstr("101"));
  EXPECT_THAT(overdraw.status().message(), HasSubstr("100"));

  EXPECT_EQ(Purchase("nobody", "P2", 100).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Purchase("M1", "P3", -5).status().code(), absl::StatusCode::kInvalidArgument);

  RecordRefund refund = testing::RefundCommand("F1", "nope", 10, kJan2024Us + kDayUs);
  EXPECT_EQ(engine_->Execute(refund).status().code(), absl::StatusCode::kNotFound);
  refund.purchase_id = "P1";
  refund.amount_fen = 10001;
  auto too_much = engine_->Execute(refund);
  EXPECT_EQ(too_much.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(too_much.status().message(), HasSubstr("P1"));

  EXPECT_EQ(engine_->ledger().Head().sequence, head);
}

TEST_F(EngineTest, RefundClawsBackInTheSameBatch) {
  Enrol("M1");
  ASSERT_TRUE(Purchase("M1", "P1", 10000).ok());
  auto result = engine_->Execute(testing::RefundCommand("F1", "P1", 5000, kJan2024Us + 3 * kDayUs));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->sequences.size(), 2u);
  MemberView view = Member("M1");
  EXPECT_EQ(view.available_points, 50);
  EXPECT_EQ(view.clawed_back_points_total, 50);
}

TEST_F(EngineTest, MemberAsOfAnEarlierSequenceShowsTheBalanceOfThen) {
  Enrol("M1");
  auto first = Purchase("M1", "P1", 10000);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(Purchase("M1", "P2", 20000).ok());
  EXPECT_EQ(Member("M1").available_points, 300);
  EXPECT_EQ(Member("M1", AsOf::Sequence(first->sequences.back())).available_points, 100);
  EXPECT_EQ(Member("M1", AsOf::Sequence(first->sequences.back())).as_of_sequence,
            first->sequences.back());
}

TEST_F(EngineTest, PointsExpireAsOfALaterTime) {
  Enrol("M1");
  ASSERT_TRUE(Purchase("M1", "P1", 10000).ok());  // granted in 2024, expires end of 2025
  clock_.Set(kJan2024Us + 800 * kDayUs);          // March 2026
  MemberView view = Member("M1", AsOf::Now());
  EXPECT_EQ(view.available_points, 0);
  EXPECT_EQ(view.expired_points_total, 100);
  ProgramView program = *engine_->Program(AsOf::Now());
  EXPECT_EQ(program.liability.outstanding_points, 0);
}

TEST_F(EngineTest, BirthdayBonusIsGrantedOncePerYear) {
  Enrol("M1", 1, 5);
  Enrol("M2", 12, 31);
  GrantBirthdayBonuses job = BirthdayJobOn31January2024();
  // Not on the birthday nor after it within the month: the bonus falls due
  // on the month's last day, so no grant's date tells the day of birth.
  for (int day = 5; day < 31; ++day) {
    GrantBirthdayBonuses early = job;
    early.occurred_at_us = kJan2024Us + (day - 1) * kDayUs;
    auto none = engine_->Execute(early);
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_TRUE(none->sequences.empty()) << "January " << day;
  }
  auto first = engine_->Execute(job);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->sequences.size(), 1u);
  EXPECT_FALSE(first->deduplicated);
  EXPECT_EQ(first->sequences[0], engine_->ledger().Head().sequence);
  const uint64_t head = engine_->ledger().Head().sequence;
  // A rerun for the same day, even later that day, writes nothing and
  // answers with the first run's sequence.
  job.occurred_at_us += 3600LL * 1000000;
  auto second = engine_->Execute(job);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->sequences, first->sequences);
  EXPECT_TRUE(second->deduplicated);
  EXPECT_EQ(engine_->ledger().Head().sequence, head);
  // The next day's run has nothing to grant and nothing of its own to report.
  job.occurred_at_us += kDayUs;
  auto next_day = engine_->Execute(job);
  ASSERT_TRUE(next_day.ok()) << next_day.status();
  EXPECT_TRUE(next_day->sequences.empty());
  EXPECT_FALSE(next_day->deduplicated);
  EXPECT_EQ(Member("M1").available_points, 200);
  EXPECT_EQ(Member("M2").available_points, 0);
}

TEST_F(EngineTest, BirthdayRerunAnswersTheSameAfterReopen) {
  Enrol("M1", 1, 5);
  Enrol("M2", 1, 7);
  GrantBirthdayBonuses job = BirthdayJobOn31January2024();
  auto first = engine_->Execute(job);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->sequences.size(), 2u);
  // The grants' sequences are in the checkpoint's state, not only in memory.
  Reopen(/*checkpoint_interval=*/1);
  auto again = engine_->Execute(job);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sequences, first->sequences);
  EXPECT_TRUE(again->deduplicated);
}

// A checkpoint in an older state format (format 1 kept only the years of
// the birthday bonuses, not their events) is set aside and rebuilt from the
// log, not refused.
TEST_F(EngineTest, ACheckpointInAnOlderStateFormatIsRebuiltFromTheLog) {
  Enrol("M1", 1, 5);
  GrantBirthdayBonuses job = BirthdayJobOn31January2024();
  auto first = engine_->Execute(job);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(engine_->Checkpoint().ok());
  engine_.reset();
  {
    auto store = internal::ProjectionStore::Open(dir_.Sub("db") + "/projections", /*read_only=*/false);
    ASSERT_TRUE(store.ok());
    auto checkpoint = store.value()->Load();
    ASSERT_TRUE(checkpoint.ok());
    ASSERT_GT(checkpoint->applied_sequence, 0u);
    // A later header field wins when protobuf parses concatenated bytes.
    projections::state::HeaderOnly older;
    older.mutable_header()->set_format_version(1);
    for (auto& [name, state] : checkpoint->states) {
      if (name == "balances") state += older.SerializeAsString();
    }
    ASSERT_TRUE(store.value()->Save(*checkpoint).ok());
  }
  Reopen();
  EXPECT_EQ(Member("M1").available_points, 200);
  auto again = engine_->Execute(job);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sequences, first->sequences);
}

TEST_F(EngineTest, ReopenResumesFromTheCheckpointWithEqualDigests) {
  for (int m = 0; m < 5; ++m) Enrol(absl::StrCat("M", m));
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(Purchase(absl::StrCat("M", i % 5), absl::StrCat("P", i), 1000 * (i + 1)).ok());
  }
  auto before = engine_->Program(AsOf::Sequence(~uint64_t{0}));
  ASSERT_TRUE(before.ok());
  Reopen(/*checkpoint_interval=*/7);
  ASSERT_TRUE(Purchase("M1", "P-after", 5000).ok());
  auto rebuilt = engine_->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  auto now = engine_->Program(AsOf::Sequence(~uint64_t{0}));
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->digests.size(), rebuilt->size());
  for (size_t i = 0; i < rebuilt->size(); ++i) {
    EXPECT_EQ(now->digests[i].digest, (*rebuilt)[i].digest) << (*rebuilt)[i].name;
  }
  EXPECT_NE(before->liability.outstanding_points, now->liability.outstanding_points);
}

// Rebuild takes the digests of the rebuilt states from the checkpoint it
// saves: they must be the projections' own digests.
TEST_F(EngineTest, DigestsOfACheckpointAreThoseOfItsProjections) {
  for (int m = 0; m < 3; ++m) Enrol(absl::StrCat("M", m));
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(Purchase(absl::StrCat("M", i % 3), absl::StrCat("P", i), 1500 * (i + 1)).ok());
  }
  const uint64_t head = engine_->ledger().Head().sequence;
  auto events = engine_->ledger().Read(1, head);
  ASSERT_TRUE(events.ok());
  internal::ProjectionSet set;
  for (const v1::Envelope& envelope : *events) ASSERT_TRUE(set.Apply(envelope).ok());
  const std::vector<ProjectionDigest> expected = set.Digests();
  const std::vector<ProjectionDigest> from_checkpoint =
      internal::ProjectionSet::DigestsOf(set.ToCheckpoint(head));
  ASSERT_EQ(from_checkpoint.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(from_checkpoint[i].name, expected[i].name);
    EXPECT_EQ(from_checkpoint[i].digest, expected[i].digest) << expected[i].name;
  }
  auto rebuilt = engine_->Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ASSERT_EQ(rebuilt->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*rebuilt)[i].digest, expected[i].digest) << expected[i].name;
  }
}

TEST_F(EngineTest, ConcurrentRedemptionsNeverOverdraw) {
  Enrol("M1");
  ASSERT_TRUE(Purchase("M1", "P1", 10000).ok());  // 100 points
  constexpr int kThreads = 6;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (RedeemPoints("M1", absl::StrCat("R", t), 30).ok()) ++succeeded;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 3);
  EXPECT_EQ(Member("M1").available_points, 10);
}

TEST_F(EngineTest, ConcurrentPurchasesForManyMembersAreAllRecorded) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  for (int t = 0; t < kThreads; ++t) Enrol(absl::StrCat("M", t));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!Purchase(absl::StrCat("M", t), absl::StrCat("P", t, "-", i), 100).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto program = engine_->Program(AsOf::Sequence(~uint64_t{0}));
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(program->liability.outstanding_points, kThreads * kPerThread);
  ASSERT_TRUE(engine_->Rebuild().ok());
}

// Member(id, Sequence(n)) replays only the member's stream and the policy
// stream, from the member's latest snapshot at or before n if there is one.
// In a generated history with complaints, goodwill grants and surveys naming
// the member (on streams of their own), backdated events and SLA policy
// changes, it must give every member exactly the view a full replay of the
// log up to n gives, at every n tried; also when the log holds events that
// break a rule (`rule_breaking`), appended raw.
void ExpectMemberAsOfAnySequenceEqualsAFullReplay(uint64_t snapshot_interval_events,
                                                  bool rule_breaking = false) {
  TempDir dir;
  ManualClock clock(testing::kHistoryStartUs);
  EngineOptions options;
  options.ledger.clock = &clock;
  options.ledger.sync = false;
  options.member_snapshot_interval_events = snapshot_interval_events;
  auto engine = testing::OpenTestEngine(dir.Sub("db"), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  testing::EngineHistory history(engine->get(), &clock, 7, rule_breaking);
  history.Run(900);
  if (rule_breaking) {
    auto anomalies = (*engine)->Anomalies();
    ASSERT_TRUE(anomalies.ok()) << anomalies.status();
    EXPECT_GT(anomalies->count, 100u);
  }
  ASSERT_TRUE((*engine)->Checkpoint().ok());  // saves the snapshots
  const uint64_t head = (*engine)->ledger().Head().sequence;
  auto events = (*engine)->ledger().Read(1, head);
  ASSERT_TRUE(events.ok());
  std::set<uint64_t> cuts = {head};
  for (uint64_t k = 1; k < 40; ++k) cuts.insert(head * k / 40);

  internal::ProjectionSet full;
  uint64_t last_policy = 0;
  std::map<std::string, uint64_t> last_own;  // member -> last event of its stream
  int64_t compared = 0, foreign_events = 0;
  for (const v1::Envelope& envelope : *events) {
    ASSERT_TRUE(full.Apply(envelope).ok());
    const uint64_t n = envelope.sequence();
    if (envelope.stream_id() == "policy") last_policy = n;
    if (const absl::string_view member_id = projections::MemberIdOfStream(envelope.stream_id());
        !member_id.empty()) {
      last_own[std::string(member_id)] = n;
    }
    const v1::Event& event = envelope.event();
    if (event.has_complaint_filed() || event.has_survey_answered()) ++foreign_events;
    if (!cuts.contains(n)) continue;
    // As of sequence n: evaluated at the business time of event n.
    auto evaluated = full.Copy();
    ASSERT_TRUE(evaluated.ok()) << evaluated.status();
    (*evaluated)->AdvanceTo(envelope.occurred_at_us());
    for (const std::string& member_id : history.members()) {
      auto actual = (*engine)->Member(member_id, AsOf::Sequence(n));
      auto expected = internal::MakeMemberView(**evaluated, member_id);
      if (!expected.ok()) {
        EXPECT_EQ(actual.status().code(), absl::StatusCode::kNotFound) << member_id << " at " << n;
        continue;
      }
      ASSERT_TRUE(actual.ok()) << actual.status();
      // A member-only replay's last event: the member's or a policy's.
      expected->as_of_sequence = std::max(last_own[member_id], last_policy);
      EXPECT_EQ(testing::Describe(*actual), testing::Describe(*expected))
          << member_id << " at sequence " << n;
      ++compared;
    }
  }
  EXPECT_GT(compared, 200);
  EXPECT_GT(foreign_events, 50);
  const EngineMetrics replays = *(*engine)->Metrics().engine;
  EXPECT_GT(replays.member_replays_total, 100u);
  if (snapshot_interval_events == 0) {
    EXPECT_EQ(replays.member_replays_from_snapshot_total, 0u);
  } else {
    // From a snapshot, a replay applies fewer member events than the
    // interval: the next snapshot would have been used.
    EXPECT_GT(replays.member_replays_from_snapshot_total, 50u);
    EXPECT_LT(replays.member_replayed_events_total,
              replays.member_replays_total * snapshot_interval_events);
  }

  // At the head the engine answers from its live projections, not a replay;
  // as of now and as of a later time they are moved to that instant, as the
  // full replay is here.
  for (const int64_t later_us : {int64_t{0}, int64_t{400} * 86400 * 1000000}) {
    clock.Set(clock.NowMicros() + later_us);
    internal::ProjectionSet advanced;
    for (const v1::Envelope& envelope : *events) ASSERT_TRUE(advanced.Apply(envelope).ok());
    advanced.AdvanceTo(clock.NowMicros());
    int64_t members = 0;
    for (const std::string& member_id : history.members()) {
      auto expected = internal::MakeMemberView(advanced, member_id);
      if (!expected.ok()) continue;
      expected->as_of_sequence = std::max(last_own[member_id], last_policy);
      for (const AsOf as_of : {AsOf::Now(), AsOf::RecordedTime(clock.NowMicros())}) {
        auto actual = (*engine)->Member(member_id, as_of);
        ASSERT_TRUE(actual.ok()) << actual.status();
        EXPECT_EQ(testing::Describe(*actual), testing::Describe(*expected)) << member_id;
      }
      ++members;
    }
    EXPECT_GT(members, 5);
  }
}

TEST(EngineReplayTest, MemberAsOfAnySequenceEqualsAFullReplay) {
  ExpectMemberAsOfAnySequenceEqualsAFullReplay(0);
}

TEST(EngineReplayTest, MemberAsOfAnySequenceFromASnapshotEqualsAFullReplay) {
  ExpectMemberAsOfAnySequenceEqualsAFullReplay(4);
}

TEST(EngineReplayTest, MemberAsOfAnySequenceEqualsAFullReplayWithEventsThatBreakRules) {
  ExpectMemberAsOfAnySequenceEqualsAFullReplay(0, /*rule_breaking=*/true);
  ExpectMemberAsOfAnySequenceEqualsAFullReplay(4, /*rule_breaking=*/true);
}

// Kills a process while it catches its projections up with a long log and
// checkpoints often; the next open must agree with a rebuild from zero.
TEST(EngineCrashTest, KilledDuringCatchUpResumesToTheSameDigests) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto engine = testing::OpenTestEngine(path, EngineOptions());
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE((*engine)->Execute(testing::EnrolCommand("M1", kJan2024Us)).ok());
    // Raw purchases and grants, appended straight to the ledger in bulk.
    for (int b = 0; b < 20; ++b) {
      AppendBatch batch;
      for (int i = 0; i < 500; ++i) {
        batch.Add(testing::Purchase("M1", absl::StrCat("P", b, "-", i), 1000,
                                    kJan2024Us + (b * 500 + i) * 1000000LL));
      }
      ASSERT_TRUE((*engine)->ledger().Append(batch).ok());
    }
  }
  // The projections were checkpointed at sequence 1; now wipe nothing, but
  // let a child catch up and die in the middle.
  for (int round = 0; round < 3; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      EngineOptions options;
      options.checkpoint_interval_events = 300;
      auto engine = testing::OpenTestEngine(path, options);
      _exit(engine.ok() ? 0 : 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(15 + 20 * round));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
  }
  auto engine = testing::OpenTestEngine(path, EngineOptions());
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto live = (*engine)->Program(AsOf::Sequence(~uint64_t{0}));
  ASSERT_TRUE(live.ok());
  auto rebuilt = (*engine)->Rebuild();  // fails if live and rebuilt digests differ
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(live->as_of_sequence, 10001u);
  EXPECT_EQ(live->partners.size(), 1u);
  EXPECT_EQ(live->partners[0].purchase_count, 10000);
}

}  // namespace
}  // namespace loyalty
