// Reading the live set without copying it whole: MakeProgramViewAt (the
// program as of an instant) equals what advancing a copy gives, and the
// states written member by member equal the whole message serialized.
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/projection_set.h"
#include "replay/set_replay.h"
#include "testing/engine_history.h"
#include "testing/temp_dir.h"
#include "testing/view_text.h"
#include "testing/unsynced_engine.h"

namespace loyalty::internal {
namespace {

using ::loyalty::testing::Describe;
using ::loyalty::testing::kHistoryDayUs;
using ::loyalty::testing::TempDir;

// The program as a query made it before: a copy of the set advanced to the
// instant, its digests those of the set.
ProgramView AdvancedCopyView(const ProjectionSet& set, int64_t instant_us) {
  absl::StatusOr<std::unique_ptr<ProjectionSet>> copy = set.Copy();
  EXPECT_TRUE(copy.ok()) << copy.status();
  (*copy)->AdvanceTo(instant_us);
  ProgramView view = MakeProgramView(**copy, instant_us);
  view.digests = set.Digests();
  return view;
}

// A set replayed from a random history of `commands` commands.
void ReplayHistory(int commands, ProjectionSet* set) {
  TempDir dir;
  ManualClock clock(testing::kHistoryStartUs);
  auto engine = testing::OpenUnsyncedEngine(dir.Sub("db"), &clock);
  ASSERT_TRUE(engine.ok()) << engine.status();
  testing::EngineHistory history(engine->get(), &clock, 11);
  history.Run(commands);
  const uint64_t head = (*engine)->ledger().Head().sequence;
  ASSERT_TRUE(ReplayLog((*engine)->ledger(), 1, head, 1, set).ok());
}

TEST(ProgramViewTest, AtAnInstantEqualsACopyAdvancedToIt) {
  ProjectionSet set;
  ASSERT_NO_FATAL_FAILURE(ReplayHistory(1500, &set));
  const std::string before = Describe(MakeProgramView(set));

  // The instants where something changes, either side of each: every
  // lot's expiry and every protection's end; and a long way back and ahead.
  const int64_t now_us = set.balances().now_us();
  std::set<int64_t> instants = {std::numeric_limits<int64_t>::min(), now_us - kHistoryDayUs,
                                now_us, now_us + 1, now_us + 4000 * kHistoryDayUs};
  for (const auto& [id, account] : set.balances().members()) {
    for (const projections::Lot& lot : account.lots) {
      instants.insert({lot.expires_at_us, lot.expires_at_us + 1});
    }
  }
  for (const auto& [id, member] : set.tiers().members()) {
    if (member.protected_until_us == 0) continue;
    instants.insert({member.protected_until_us, member.protected_until_us + 1});
  }
  std::set<std::string> tier_figures;
  std::set<int64_t> outstanding;
  for (int64_t instant_us : instants) {
    const ProgramView at = MakeProgramViewAt(set, instant_us);
    EXPECT_EQ(Describe(at), Describe(AdvancedCopyView(set, instant_us))) << "at " << instant_us;
    tier_figures.insert(absl::StrCat(at.tiers.regular, " ", at.tiers.silver, " ", at.tiers.gold,
                                     " ", at.tiers.platinum));
    outstanding.insert(at.liability.outstanding_points);
  }
  // The instants reach re-evaluations and expiries, and reading changed
  // nothing.
  EXPECT_GT(tier_figures.size(), 1u);
  EXPECT_GT(outstanding.size(), 2u);
  EXPECT_EQ(Describe(MakeProgramView(set)), before);
}

// The balances and the tiers write their states one member at a time: the
// bytes are the deterministic serialization of the whole message (parsed
// and serialized again, they come back the same), and the digest hashed as
// they are written is theirs.
template <typename State>
void ExpectCanonicalAsAWhole(const projections::Projection& projection, int min_members) {
  const std::string bytes = projection.CanonicalState();
  State state;
  ASSERT_TRUE(state.ParseFromString(bytes)) << projection.name();
  EXPECT_GE(state.members_size(), min_members) << projection.name();
  EXPECT_TRUE(state.has_header()) << projection.name();
  EXPECT_EQ(projections::SerializeDeterministic(state), bytes) << projection.name();
  EXPECT_EQ(projection.Digest(), projections::DigestOf(bytes)) << projection.name();
}

TEST(CanonicalStateTest, WrittenMemberByMemberEqualsTheWholeMessage) {
  ProjectionSet set;
  ASSERT_NO_FATAL_FAILURE(ReplayHistory(600, &set));
  ExpectCanonicalAsAWhole<projections::state::BalanceState>(set.balances(), 5);
  ExpectCanonicalAsAWhole<projections::state::TierState>(set.tiers(), 5);
  ProjectionSet empty;
  ExpectCanonicalAsAWhole<projections::state::BalanceState>(empty.balances(), 0);
  ExpectCanonicalAsAWhole<projections::state::TierState>(empty.tiers(), 0);
}

}  // namespace
}  // namespace loyalty::internal
