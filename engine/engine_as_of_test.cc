// The three axes of AsOf (views.h) through the engine's queries: a sequence
// is evaluated at the business time of its last event; a business time
// reads what had occurred by then, an imported history included; a
// recorded time reads what the ledger knew then.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/engine.h"
#include "testing/commands.h"
#include "testing/engine_backend.h"
#include "testing/engine_history.h"
#include "testing/temp_dir.h"

namespace loyalty {
namespace {

using ::loyalty::testing::TempDir;

// A local (UTC+8) wall-clock time.
int64_t LocalUs(int year, int month, int day, int hour = 12) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(year, month, day, hour, 0, 0),
                                            absl::FixedTimeZone(8 * 3600)));
}

// The end of a local day, as `--as-of YYYY-MM-DD` reads it.
int64_t EndOfLocalDayUs(int year, int month, int day) {
  return absl::ToUnixMicros(
             absl::FromCivil(absl::CivilDay(year, month, day) + 1, absl::FixedTimeZone(8 * 3600))) -
         1;
}

class EngineAsOfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.ledger.clock = &clock_;
    options.master_key = MasterKeyFromBytes(std::string(32, 'k'));
    auto opened = testing::OpenTestEngine(dir_.Sub("db"), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    engine_ = std::move(*opened);
  }

  // Runs `command` dated `at_us`, with the ledger clock at `recorded_at_us`
  // (default: as it happens); returns the last sequence appended.
  template <typename Command>
  uint64_t Run(Command command, int64_t at_us, int64_t recorded_at_us = 0) {
    clock_.Set(recorded_at_us != 0 ? recorded_at_us : at_us);
    command.occurred_at_us = at_us;
    auto result = engine_->Execute(command);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() && !result->sequences.empty() ? result->sequences.back() : 0;
  }

  uint64_t Enrol(const std::string& member_id, int64_t at_us, int64_t recorded_at_us = 0) {
    return Run(testing::EnrolCommand(member_id, at_us), at_us, recorded_at_us);
  }

  uint64_t Purchase(const std::string& member_id, const std::string& id, int64_t amount_fen,
                    int64_t at_us, int64_t recorded_at_us = 0) {
    return Run(testing::PurchaseCommand(id, member_id, amount_fen, at_us), at_us, recorded_at_us);
  }

  uint64_t File(const std::string& complaint_id, const std::string& member_id, int64_t at_us,
                int64_t recorded_at_us = 0) {
    return Run(testing::FileComplaintCommand(complaint_id, member_id, at_us), at_us,
               recorded_at_us);
  }

  TempDir dir_;
  ManualClock clock_{LocalUs(2024, 1, 1)};
  std::unique_ptr<Engine> engine_;
};

// M1 earns 6000 points in March 2024 (they expire at the end of 2025) and
// reaches silver (protected until March 2025); M2 buys on 3 January 2026,
// the last event. At that event every time-driven effect has run for M1
// too, although M1 has no event after March 2024.
class SequenceTest : public EngineAsOfTest {
 protected:
  void SetUp() override {
    EngineAsOfTest::SetUp();
    ASSERT_TRUE(testing::LoadOfficialCalendar(*engine_, 2024, LocalUs(2024, 1, 1)).ok());
    Enrol("M1", LocalUs(2024, 1, 2));
    m1_last_ = Purchase("M1", "P1", 600000, LocalUs(2024, 3, 1));
    // Never replied to: due in March 2024.
    File("C1", "M1", LocalUs(2024, 3, 4));
    Enrol("M2", LocalUs(2026, 1, 2));
    head_ = Purchase("M2", "P2", 5000, LocalUs(2026, 1, 3));
    ASSERT_EQ(head_, engine_->ledger().Head().sequence);
  }

  uint64_t m1_last_ = 0;
  uint64_t head_ = 0;
};

TEST_F(SequenceTest, LiabilityLeavesOutLotsExpiredBeforeTheLastEvent) {
  auto program = engine_->Program(AsOf::Sequence(head_));
  ASSERT_TRUE(program.ok()) << program.status();
  // M1's 6000 points expired at the end of 2025; M2's 50 remain.
  EXPECT_EQ(program->liability.outstanding_points, 50);
  EXPECT_EQ(program->as_of_us, LocalUs(2026, 1, 3));
  EXPECT_EQ(program->as_of_kind, AsOf::Kind::kSequence);
  // M1's protection ended in March 2025 with no spend in the window since.
  EXPECT_EQ(program->tiers.silver, 0);
  EXPECT_EQ(program->tiers.regular, 2);
  // C1's reply was due in March 2024 and never made.
  ASSERT_EQ(program->partners.size(), 1u);
  EXPECT_EQ(program->partners[0].sla_breached, 1);

  // At M1's purchase, the points are there and M1 is silver.
  auto earlier = engine_->Program(AsOf::Sequence(m1_last_));
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_EQ(earlier->liability.outstanding_points, 6000);
  EXPECT_EQ(earlier->tiers.silver, 1);
}

TEST_F(SequenceTest, MemberIsEvaluatedAtTheBusinessTimeOfTheEvent) {
  auto member = engine_->Member("M1", AsOf::Sequence(head_));
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->as_of_us, LocalUs(2026, 1, 3));
  EXPECT_EQ(member->as_of_sequence, m1_last_);
  EXPECT_EQ(member->as_of_kind, AsOf::Kind::kSequence);
  EXPECT_EQ(member->available_points, 0);
  EXPECT_EQ(member->expired_points_total, 6000);
  EXPECT_EQ(member->tier, v1::TIER_REGULAR);

  // The same by a replay of the member's stream (a point before M2's
  // events is not one the live copy serves).
  auto replayed = engine_->Member("M1", AsOf::Sequence(head_ - 1));
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->as_of_us, LocalUs(2026, 1, 3));
  EXPECT_EQ(replayed->available_points, 0);

  auto at_purchase = engine_->Member("M1", AsOf::Sequence(m1_last_));
  ASSERT_TRUE(at_purchase.ok()) << at_purchase.status();
  EXPECT_EQ(at_purchase->as_of_us, LocalUs(2024, 3, 1));
  EXPECT_EQ(at_purchase->available_points, 6000);
}

TEST_F(SequenceTest, SlaReportIsEvaluatedAtTheBusinessTimeOfTheEvent) {
  auto report = engine_->SlaReport(absl::CivilDay(1970, 1, 1), absl::CivilDay(2999, 12, 31),
                                   AsOf::Sequence(head_));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->as_of_us, LocalUs(2026, 1, 3));
  EXPECT_EQ(report->total.reply.breached, 1);
  EXPECT_EQ(report->total.reply.pending, 0);
  auto complaint = engine_->Complaint("C1", AsOf::Sequence(head_));
  ASSERT_TRUE(complaint.ok()) << complaint.status();
  EXPECT_EQ(complaint->cycles[0].reply.status, SlaClockStatus::kBreached);
}

TEST_F(SequenceTest, EqualsTheBusinessTimeOfItsLastEventOverTheSameEvents) {
  // Business time never goes backwards in this log: the events that
  // occurred by the time of event N are events 1..N whenever the next one
  // occurred later.
  for (uint64_t sequence : {m1_last_, head_}) {
    auto events = engine_->ledger().Read(sequence, 1);
    ASSERT_TRUE(events.ok() && events->size() == 1u);
    const int64_t occurred_at_us = events->front().occurred_at_us();
    auto by_sequence = engine_->Program(AsOf::Sequence(sequence));
    auto by_time = engine_->Program(AsOf::BusinessTime(occurred_at_us));
    ASSERT_TRUE(by_sequence.ok() && by_time.ok());
    EXPECT_EQ(by_sequence->as_of_sequence, by_time->as_of_sequence);
    EXPECT_EQ(by_sequence->as_of_us, by_time->as_of_us);
    EXPECT_EQ(by_sequence->liability.outstanding_points, by_time->liability.outstanding_points);
    ASSERT_EQ(by_sequence->digests.size(), by_time->digests.size());
    for (size_t i = 0; i < by_sequence->digests.size(); ++i) {
      EXPECT_EQ(HashHex(by_sequence->digests[i].digest), HashHex(by_time->digests[i].digest))
          << by_sequence->digests[i].name << " at " << sequence;
    }
  }
}

// A member program that started using the ledger on 5 January 2026 and
// imported its 2025 history that day: every event is recorded on the
// import day, most occurred long before.
class ImportedHistoryTest : public EngineAsOfTest {
 protected:
  void SetUp() override {
    EngineAsOfTest::SetUp();
    const int64_t import_day_us = LocalUs(2026, 1, 5);
    // The year's schedule, dated at its start: a business-time view reads
    // only the declarations that occurred by its instant.
    clock_.Set(import_day_us);
    ASSERT_TRUE(testing::LoadOfficialCalendar(*engine_, 2025, LocalUs(2025, 1, 1, 0)).ok());
    Enrol("X", LocalUs(2025, 1, 10), import_day_us);
    Purchase("X", "P1", 600000, LocalUs(2025, 3, 1), import_day_us);
    File("C1", "X", LocalUs(2025, 3, 3), import_day_us);
    Enrol("Y", LocalUs(2025, 9, 1), import_day_us);
  }
};

TEST_F(ImportedHistoryTest, BusinessTimeBeforeTheImportFindsTheMembers) {
  const int64_t june30_us = EndOfLocalDayUs(2025, 6, 30);
  auto program = engine_->Program(AsOf::BusinessTime(june30_us));
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->as_of_kind, AsOf::Kind::kBusinessTime);
  EXPECT_EQ(program->as_of_us, june30_us);
  // Y enrolled in September.
  EXPECT_EQ(program->liability.members, 1);
  EXPECT_EQ(program->tiers.silver, 1);
  EXPECT_EQ(program->liability.outstanding_points, 6000);

  auto member = engine_->Member("X", AsOf::BusinessTime(june30_us));
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->tier, v1::TIER_SILVER);
  EXPECT_EQ(member->available_points, 6000);
  EXPECT_EQ(member->as_of_us, june30_us);
  EXPECT_EQ(member->as_of_kind, AsOf::Kind::kBusinessTime);
  EXPECT_EQ(engine_->Member("Y", AsOf::BusinessTime(june30_us)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->Member("X", AsOf::BusinessTime(EndOfLocalDayUs(2025, 1, 9))).status().code(),
            absl::StatusCode::kNotFound);

  auto complaint = engine_->Complaint("C1", AsOf::BusinessTime(june30_us));
  ASSERT_TRUE(complaint.ok()) << complaint.status();
  EXPECT_EQ(complaint->as_of_us, june30_us);
  EXPECT_EQ(complaint->cycles[0].reply.status, SlaClockStatus::kBreached);
  auto report = engine_->SlaReport(absl::CivilDay(2025, 1, 1), absl::CivilDay(2025, 12, 31),
                                   AsOf::BusinessTime(june30_us));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->cycles, 1);
  EXPECT_EQ(report->as_of_kind, AsOf::Kind::kBusinessTime);
}

TEST_F(ImportedHistoryTest, RecordedTimeBeforeTheImportKnewNothing) {
  const int64_t june30_us = EndOfLocalDayUs(2025, 6, 30);
  auto program = engine_->Program(AsOf::RecordedTime(june30_us));
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->as_of_kind, AsOf::Kind::kRecordedTime);
  EXPECT_EQ(program->as_of_sequence, 0u);
  EXPECT_EQ(program->liability.members, 0);
  EXPECT_EQ(engine_->Member("X", AsOf::RecordedTime(june30_us)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->Complaint("C1", AsOf::RecordedTime(june30_us)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ImportedHistoryTest, BusinessTimeLeavesOutWhatOccurredLaterWhereverItIsInTheLog) {
  // Recorded after the history, occurred before part of it.
  Purchase("Y", "P2", 10000, LocalUs(2025, 9, 2), LocalUs(2026, 1, 6));
  auto member = engine_->Member("Y", AsOf::BusinessTime(EndOfLocalDayUs(2025, 9, 1)));
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->available_points, 0);
  member = engine_->Member("Y", AsOf::BusinessTime(EndOfLocalDayUs(2025, 9, 2)));
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->available_points, 100);
}

}  // namespace
}  // namespace loyalty
