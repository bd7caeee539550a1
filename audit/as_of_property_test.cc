// The rule of AsOf::Sequence (views.h), as a property over a generated
// program of two years: the state at sequence N is the state as of the
// business time of event N over the same events, for the whole program, its
// members and its SLA clocks; and the digests a checkpoint at N signs, and
// an audit bundle's replay at N, are that state's.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/audit.h"
#include "loyalty/engine.h"
#include "testing/demo_program.h"
#include "testing/temp_dir.h"
#include "testing/view_text.h"

namespace loyalty::audit {
namespace {

using ::loyalty::testing::Describe;
using ::loyalty::testing::TempDir;

// The sequences checked: about this many, spread over the log.
constexpr size_t kPointsChecked = 40;

std::string DigestsText(const std::vector<ProjectionDigest>& digests) {
  std::vector<std::string> lines;
  for (const ProjectionDigest& digest : digests) {
    lines.push_back(absl::StrCat(digest.name, " ", HashHex(digest.digest)));
  }
  return absl::StrJoin(lines, "\n");
}

std::string MemberText(const absl::StatusOr<MemberView>& member) {
  if (!member.ok()) return std::string(absl::StatusCodeToString(member.status().code()));
  std::string text =
      absl::StrCat("sequence ", member->as_of_sequence, " at ", member->as_of_us, " available ",
                   member->available_points, " debt ", member->debt_points, " expired ",
                   member->expired_points_total, " tier ", member->tier, " until ",
                   member->tier_protected_until_us, " spend ", member->qualifying_spend_fen,
                   " changes ", member->tier_history.size());
  for (const LotView& lot : member->lots) {
    absl::StrAppend(&text, " lot ", lot.points_remaining, "@", lot.expires_at_us);
  }
  return text;
}

std::string SlaText(const SlaReportView& report) {
  const SlaCountsView& all = report.total.all;
  return absl::StrCat("cycles ", report.cycles, " met ", all.met, " breached ", all.breached,
                      " pending ", all.pending, " unknown ", all.due_unknown, " open ",
                      report.open_clock_count, " at ", report.as_of_us);
}

// Two years and a few days of a small program: lots granted in 2024 expire
// at the end of 2025, tiers reach the end of their protection.
class AsOfPropertyTest : public testing::DemoProgramTest</*kMembers=*/12, /*kDays=*/735> {
 protected:
  void SetUp() override {
    DemoProgramTest::SetUp();
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->ledger()
                    .Scan(1, engine_->ledger().Head().sequence,
                          [&](const v1::Envelope& envelope) {
                            occurred_at_us_.push_back(envelope.occurred_at_us());
                            if (envelope.event().has_member_enrolled()) {
                              members_.push_back(envelope.event().member_enrolled().member_id());
                            }
                            return absl::OkStatus();
                          })
                    .ok());
  }

  // Sequences N, spread over the log, after which business time moves on:
  // the events that occurred by the time of event N are events 1..N.
  std::vector<uint64_t> PointsChecked() const {
    std::vector<uint64_t> ends;
    for (size_t i = 0; i < occurred_at_us_.size(); ++i) {
      if (i + 1 == occurred_at_us_.size() || occurred_at_us_[i + 1] > occurred_at_us_[i]) {
        ends.push_back(i + 1);
      }
    }
    std::vector<uint64_t> chosen;
    for (size_t k = 1; k <= kPointsChecked; ++k) {
      chosen.push_back(ends[k * (ends.size() - 1) / kPointsChecked]);
    }
    return chosen;
  }

  int64_t OccurredAtUs(uint64_t sequence) const { return occurred_at_us_[sequence - 1]; }

  std::vector<int64_t> occurred_at_us_;  // of sequence i + 1
  std::vector<std::string> members_;
};

TEST_F(AsOfPropertyTest, TheLogCrossesExpiryAndItsBusinessTimeNeverGoesBackwards) {
  ASSERT_GT(occurred_at_us_.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(occurred_at_us_.begin(), occurred_at_us_.end()));
  // Points of 2024 have expired by the end of the log.
  auto program = engine_->Program(AsOf::Sequence(occurred_at_us_.size()));
  ASSERT_TRUE(program.ok()) << program.status();
  int64_t expired = 0;
  for (const std::string& member_id : members_) {
    auto member = engine_->Member(member_id, AsOf::Sequence(occurred_at_us_.size()));
    ASSERT_TRUE(member.ok()) << member.status();
    expired += member->expired_points_total;
  }
  EXPECT_GT(expired, 0);
}

TEST_F(AsOfPropertyTest, ProgramAtSequenceIsProgramAtTheBusinessTimeOfItsLastEvent) {
  for (uint64_t sequence : PointsChecked()) {
    auto by_sequence = engine_->Program(AsOf::Sequence(sequence));
    ASSERT_TRUE(by_sequence.ok()) << by_sequence.status();
    auto by_time = engine_->Program(AsOf::BusinessTime(OccurredAtUs(sequence)));
    ASSERT_TRUE(by_time.ok()) << by_time.status();
    EXPECT_EQ(by_sequence->as_of_us, OccurredAtUs(sequence));
    EXPECT_EQ(Describe(*by_sequence), Describe(*by_time)) << "at sequence " << sequence;
  }
}

TEST_F(AsOfPropertyTest, MembersAtSequenceAreMembersAtTheBusinessTimeOfItsLastEvent) {
  for (uint64_t sequence : PointsChecked()) {
    for (size_t i = 0; i < members_.size(); i += 3) {
      auto by_sequence = engine_->Member(members_[i], AsOf::Sequence(sequence));
      auto by_time = engine_->Member(members_[i], AsOf::BusinessTime(OccurredAtUs(sequence)));
      EXPECT_EQ(MemberText(by_sequence), MemberText(by_time))
          << members_[i] << " at sequence " << sequence;
      if (by_sequence.ok()) {
        EXPECT_EQ(by_sequence->as_of_us, OccurredAtUs(sequence));
      }
    }
  }
}

TEST_F(AsOfPropertyTest, SlaAtSequenceIsSlaAtTheBusinessTimeOfItsLastEvent) {
  const absl::CivilDay first(1970, 1, 1), last(2999, 12, 31);
  for (uint64_t sequence : PointsChecked()) {
    auto by_sequence = engine_->SlaReport(first, last, AsOf::Sequence(sequence));
    ASSERT_TRUE(by_sequence.ok()) << by_sequence.status();
    auto by_time = engine_->SlaReport(first, last, AsOf::BusinessTime(OccurredAtUs(sequence)));
    ASSERT_TRUE(by_time.ok()) << by_time.status();
    EXPECT_EQ(SlaText(*by_sequence), SlaText(*by_time)) << "at sequence " << sequence;
  }
}

TEST_F(AsOfPropertyTest, CheckpointAndBundleDigestsAreThoseOfTheStateAtSequence) {
  std::vector<uint64_t> at = PointsChecked();
  at.resize(8);
  auto figures = RecomputeLogFigures(engine_->ledger(), at, /*with_digests=*/true);
  ASSERT_TRUE(figures.ok()) << figures.status();
  auto store = AuditStore::Open(LedgerDirectory() + "/audit", &engine_->ledger());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->CatchUp().ok());
  auto bundle = WriteAuditBundle(engine_->ledger(), **store, Sub("bundle"), 1,
                                 engine_->ledger().Head().sequence);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  for (size_t i = 0; i < at.size(); ++i) {
    auto program = engine_->Program(AsOf::Sequence(at[i]));
    ASSERT_TRUE(program.ok()) << program.status();
    EXPECT_EQ(DigestsText((*figures)[i].projection_digests), DigestsText(program->digests))
        << "at sequence " << at[i];
    auto replayed = ReplayBundle(Sub("bundle"), AsOf::Sequence(at[i]));
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(Describe(*replayed), Describe(*program)) << "at sequence " << at[i];
  }
  // And by business time, from the bundle as from the ledger.
  const int64_t instant_us = OccurredAtUs(at[3]);
  auto from_bundle = ReplayBundle(Sub("bundle"), AsOf::BusinessTime(instant_us));
  auto from_ledger = engine_->Program(AsOf::BusinessTime(instant_us));
  ASSERT_TRUE(from_bundle.ok() && from_ledger.ok());
  EXPECT_EQ(Describe(*from_bundle), Describe(*from_ledger));
}

}  // namespace
}  // namespace loyalty::audit
