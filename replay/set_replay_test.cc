#include "replay/set_replay.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "replay/projection_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "testing/engine_history.h"
#include "testing/events.h"
#include "testing/temp_dir.h"
#include "testing/unsynced_engine.h"

namespace loyalty::internal {
namespace {

using ::loyalty::testing::kJan2024Us;
using ::loyalty::testing::TempDir;
using ::testing::HasSubstr;

// Everything a replay leaves in a set: the canonical state of every
// projection and of the member index, and the member snapshots kept.
std::vector<std::pair<std::string, std::string>> Everything(ProjectionSet& set,
                                                            uint64_t sequence) {
  std::vector<std::pair<std::string, std::string>> out = set.ToCheckpoint(sequence).states;
  for (StoredMemberSnapshot& snapshot : set.TakeMemberSnapshots()) {
    out.emplace_back(absl::StrCat("snapshot ", snapshot.member_id, " @", snapshot.sequence),
                     std::move(snapshot.bytes));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Replayed(const Ledger& ledger, uint64_t to,
                                                          int threads) {
  ProjectionSet set;
  set.KeepMemberSnapshots(4);
  absl::Status status = ReplayLog(ledger, 1, to, threads, &set);
  EXPECT_TRUE(status.ok()) << status;
  return Everything(set, to);
}

TEST(SetReplayTest, TwoThreadsLeaveWhatOneLeavesAtEveryCut) {
  TempDir dir;
  ManualClock clock(testing::kHistoryStartUs);
  auto engine = testing::OpenUnsyncedEngine(dir.Sub("db"), &clock);
  ASSERT_TRUE(engine.ok()) << engine.status();
  testing::EngineHistory history(engine->get(), &clock, 5);
  history.Run(1700);
  const Ledger& ledger = (*engine)->ledger();
  const uint64_t head = ledger.Head().sequence;
  // Several batches of the reader (512 events), and cuts inside them.
  ASSERT_GT(head, 2000u);
  for (uint64_t to : {uint64_t{1}, uint64_t{511}, uint64_t{512}, uint64_t{513}, head / 2, head}) {
    EXPECT_EQ(Replayed(ledger, to, 2), Replayed(ledger, to, 1)) << "up to sequence " << to;
  }
  // In two ranges, as a catch-up does it, as in one.
  ProjectionSet in_two;
  in_two.KeepMemberSnapshots(4);
  ASSERT_TRUE(ReplayLog(ledger, 1, 700, 2, &in_two).ok());
  ASSERT_TRUE(ReplayLog(ledger, 701, head, 2, &in_two).ok());
  EXPECT_EQ(Everything(in_two, head), Replayed(ledger, head, 1));
}

TEST(SetReplayTest, ThreadsOtherThanOneOrTwoAreRefused) {
  TempDir dir;
  auto engine = Engine::Open(dir.Sub("db"), EngineOptions());
  ASSERT_TRUE(engine.ok());
  ProjectionSet set;
  for (int threads : {0, 3}) {
    absl::Status status = ReplayLog((*engine)->ledger(), 1, 10, threads, &set);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat(threads)));
  }
  EngineOptions options;
  options.replay_threads = 3;
  auto refused = Engine::Open(dir.Sub("other"), options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("replay_threads: 3"));
}

TEST(SetReplayTest, TwoThreadsRecordWhatOneRecordsOfEventsThatBreakRules) {
  TempDir dir;
  ManualClock clock(testing::kHistoryStartUs);
  auto engine = testing::OpenUnsyncedEngine(dir.Sub("db"), &clock);
  ASSERT_TRUE(engine.ok()) << engine.status();
  testing::EngineHistory history(engine->get(), &clock, 11, /*rule_breaking=*/true);
  history.Run(1500);
  const Ledger& ledger = (*engine)->ledger();
  const uint64_t head = ledger.Head().sequence;
  ASSERT_GT(head, 1500u);
  for (uint64_t to : {uint64_t{511}, uint64_t{513}, head / 2, head}) {
    EXPECT_EQ(Replayed(ledger, to, 2), Replayed(ledger, to, 1)) << "up to sequence " << to;
  }
  ProjectionSet set;
  ASSERT_TRUE(ReplayLog(ledger, 1, head, 2, &set).ok());
  EXPECT_GT(set.Anomalies().count, 100u);
  auto live = (*engine)->Anomalies();
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->count, set.Anomalies().count);
}

// Events each half of the set applies only as far as a rule allows: a
// confirmation of a complaint never filed (the program half: partners,
// complaints), a redemption of points the member does not have (the member
// half: balances), and points for a purchase never recorded (both halves).
v1::Envelope EventOn(const std::string& stream_id, int64_t at_us) {
  v1::Envelope envelope;
  envelope.set_stream_id(stream_id);
  envelope.set_occurred_at_us(at_us);
  envelope.set_actor_id("test");
  return envelope;
}

v1::Envelope ConfirmationOfNoComplaint(int64_t at_us) {
  v1::Envelope envelope = EventOn("complaint-C404", at_us);
  auto* confirmed = envelope.mutable_event()->mutable_customer_confirmed();
  confirmed->set_complaint_id("C404");
  confirmed->set_satisfaction_score(4);
  return envelope;
}

v1::Envelope RedemptionBeyondTheBalance(int64_t at_us) {
  v1::Envelope envelope = EventOn("member-M1", at_us);
  auto* redeemed = envelope.mutable_event()->mutable_points_redeemed();
  redeemed->set_member_id("M1");
  redeemed->set_redemption_id(absl::StrCat("R", at_us));
  redeemed->set_points(1000000);
  return envelope;
}

v1::Envelope GrantForNoPurchase(int64_t at_us) {
  v1::Envelope envelope = EventOn("member-M1", at_us);
  auto* granted = envelope.mutable_event()->mutable_points_granted();
  granted->set_member_id("M1");
  granted->set_reason(v1::GRANT_REASON_PURCHASE);
  granted->set_purchase_id("P404");
  granted->set_points(10);
  return envelope;
}

// A log of valid purchases with `breaking` appended after `before` of them,
// replayed on one thread and on two: both go through, to the same states
// and the same anomalies, which name the events' sequences.
void ExpectTheSameAnomalies(int before, const std::vector<v1::Envelope>& breaking) {
  TempDir dir;
  auto engine = Engine::Open(dir.Sub("db"), EngineOptions());
  ASSERT_TRUE(engine.ok());
  EnrolMember enrol;
  enrol.member_id = "M1";
  enrol.occurred_at_us = kJan2024Us;
  enrol.actor_id = "counter";
  ASSERT_TRUE((*engine)->Execute(enrol).ok());
  AppendBatch batch;
  int64_t at_us = kJan2024Us;
  for (int i = 0; i < before; ++i) {
    batch.Add(testing::Purchase("M1", absl::StrCat("P", i), 1000, at_us += 1000000));
  }
  for (size_t i = 0; i < breaking.size(); ++i) {
    v1::Envelope envelope = breaking[i];
    if (envelope.idempotency_key().empty()) envelope.set_idempotency_key(absl::StrCat("test/", i));
    batch.Add(envelope);
  }
  for (int i = 0; i < 600; ++i) {
    batch.Add(testing::Purchase("M1", absl::StrCat("Q", i), 1000, at_us += 1000000));
  }
  auto appended = (*engine)->ledger().Append(batch);
  ASSERT_TRUE(appended.ok()) << appended.status();
  const uint64_t head = (*engine)->ledger().Head().sequence;
  // The enrolment is event 1.
  const uint64_t first_breaking = 2 + before;

  ProjectionSet one, two;
  ASSERT_TRUE(ReplayLog((*engine)->ledger(), 1, head, 1, &one).ok());
  ASSERT_TRUE(ReplayLog((*engine)->ledger(), 1, head, 2, &two).ok());
  EXPECT_EQ(Everything(two, head), Everything(one, head));
  const AnomaliesView anomalies = one.Anomalies();
  ASSERT_GE(anomalies.anomalies.size(), breaking.size());
  EXPECT_EQ(anomalies.anomalies.front().sequence, first_breaking);
  std::set<uint64_t> sequences;
  for (const AnomalyView& anomaly : anomalies.anomalies) sequences.insert(anomaly.sequence);
  EXPECT_EQ(sequences.size(), breaking.size());
  EXPECT_EQ(*sequences.rbegin(), first_breaking + breaking.size() - 1);
}

TEST(SetReplayTest, EventsThatBreakARuleInEitherHalfGiveTheSameStatesOnTwoThreads) {
  const int64_t at_us = kJan2024Us + 3600LL * 1000000 * 24 * 30;
  ExpectTheSameAnomalies(3, {ConfirmationOfNoComplaint(at_us)});
  ExpectTheSameAnomalies(3, {RedemptionBeyondTheBalance(at_us)});
  ExpectTheSameAnomalies(3, {GrantForNoPurchase(at_us)});
  // The program half's first, then the member half's, and the other way
  // round; in one batch of the reader, then across two.
  for (int before : {3, 509, 1100}) {
    ExpectTheSameAnomalies(before,
                           {ConfirmationOfNoComplaint(at_us), RedemptionBeyondTheBalance(at_us)});
    ExpectTheSameAnomalies(before,
                           {RedemptionBeyondTheBalance(at_us), ConfirmationOfNoComplaint(at_us)});
  }
}

}  // namespace
}  // namespace loyalty::internal
