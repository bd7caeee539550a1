// Properties of every projection over random, deterministic histories made
// by the deciders:
// - snapshot and restore anywhere, then apply the rest: the same bytes as
//   applying everything;
// - Restore(CanonicalState()) is the identity, and equal states have equal
//   digests;
// - AdvanceTo before each event changes nothing;
// - the balance invariants hold for every member;
// - one member's stream (plus the policy stream) gives that member's state.
#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"
#include "projections/local_time.h"
#include "projections/test_world.h"

namespace loyalty::projections {
namespace {

using testing::At;
using testing::TestWorld;

static_assert(std::is_same_v<loyalty::Hash, std::array<uint8_t, 32>>,
              "projections and the ledger share one Hash type");

struct HistoryOptions {
  uint64_t seed = 1;
  int commands = 600;
  bool backdating = true;  // some events occur before the projections' now
};

// Drives the deciders with random commands. Deterministic for a seed:
// std::mt19937_64's output is fixed by the standard, and only `% n` is used
// on it (the standard distributions differ between libraries).
class HistoryGenerator {
 public:
  explicit HistoryGenerator(const HistoryOptions& options)
      : options_(options), random_(options.seed) {}

  void Run(TestWorld* world) {
    world_ = world;
    for (int i = 0; i < options_.commands; ++i) Step();
  }

 private:
  uint64_t Below(uint64_t n) { return random_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[Below(values.size())];
  }

  // The time of the next command: mostly forward, sometimes backdated.
  int64_t NextTime() {
    now_us_ += static_cast<int64_t>(Below(4 * kMicrosPerDay));
    if (options_.backdating && OneIn(15)) {
      return now_us_ - static_cast<int64_t>(Below(40 * kMicrosPerDay));
    }
    return now_us_;
  }

  void Commit(const absl::StatusOr<Events>& decided) {
    if (!decided.ok()) return;  // a rejected command records nothing
    absl::Status status = world_->Commit(decided);
    ASSERT_TRUE(status.ok()) << status;
  }

  void Step() {
    const int64_t at = NextTime();
    if (members_.empty() || (members_.size() < 12 && OneIn(12))) return Enrol(at);
    const uint64_t kind = Below(100);
    if (kind < 40) return Purchase(at);
    if (kind < 55) return Refund(at);
    if (kind < 72) return Redeem(at);
    if (kind < 82) return AdjustPoints(at);
    if (kind < 90) return Birthdays(at);
    if (kind < 94) return ChangePolicy(at);
    if (kind < 95) return Erase(at);
  }

  void Enrol(int64_t at) {
    const std::string id = absl::StrCat("M", members_.size() + 1);
    ASSERT_TRUE(world_->Enrol(id, at).ok());
    members_.push_back(id);
    v1::LocalDate date;
    date.set_year(1980 + static_cast<int>(Below(30)));
    date.set_month(1 + static_cast<int>(Below(12)));
    date.set_day(OneIn(4) ? 29 : 1 + static_cast<int>(Below(28)));
    if (date.month() == 2 && date.day() == 29) date.set_year(2000);
    if (date.day() == 29 && date.month() != 2) date.set_month(2);
    birth_dates_[id] = date;
  }

  void Purchase(int64_t at) {
    const std::string id = absl::StrCat("S", ++purchase_count_);
    const int64_t amount = OneIn(10) ? 1 + Below(3000000) : 1 + Below(60000);
    RecordPurchase command{id, Pick(members_), absl::StrCat("P", Below(4)), amount, "misc",
                           at, "pos"};
    Commit(DecideRecordPurchase(world_->state(), command));
    if (world_->balances.FindPurchaseMember(id) != nullptr) purchases_.push_back(id);
  }

  void Refund(int64_t at) {
    if (purchases_.empty()) return;
    const std::string& purchase_id = Pick(purchases_);
    const std::string* member = world_->balances.FindPurchaseMember(purchase_id);
    const int64_t left =
        world_->balances.FindMember(*member)->purchases.at(purchase_id).refundable_fen();
    const int64_t amount = OneIn(3) ? left : 1 + static_cast<int64_t>(Below(left + 10));
    RecordRefund command{absl::StrCat("F", ++refund_count_), purchase_id, amount, at, "pos"};
    Commit(DecideRecordRefund(world_->state(), command));
  }

  void Redeem(int64_t at) {
    const std::string& member = Pick(members_);
    const int64_t balance = world_->Balance(member);
    const int64_t points = 1 + static_cast<int64_t>(Below(balance > 0 ? balance + 20 : 20));
    Commit(DecideRedeem(world_->state(), {absl::StrCat("R", ++redemption_count_), member, points,
                                          "gift", at, "app"}));
  }

  void AdjustPoints(int64_t at) {
    Adjust command;
    command.adjustment_id = absl::StrCat("A", ++adjustment_count_);
    command.member_id = Pick(members_);
    command.direction = OneIn(3) ? AdjustmentDirection::kDebit : AdjustmentDirection::kGrant;
    command.points = 1 + static_cast<int64_t>(Below(500));
    command.reason = "correction";
    command.occurred_at_us = at;
    command.actor_id = "operator";
    Commit(DecideAdjust(world_->state(), command));
  }

  void Birthdays(int64_t at) {
    Commit(DecideBirthdayBonuses(world_->state(), {at, "birthday-job"}, birth_dates_));
  }

  void ChangePolicy(int64_t at) {
    SetPolicy command;
    command.policy_change_id = absl::StrCat("CH", ++policy_count_);
    command.occurred_at_us = at;
    command.actor_id = "admin";
    switch (Below(5)) {
      case 0:
        command.change.mutable_earning()->set_fen_per_point(50 + Below(100));
        break;
      case 1:
        command.change.mutable_earning()->set_gold_multiplier_bp(10000 + Below(20000));
        break;
      case 2:
        command.change.mutable_expiry()->set_years_after_grant_year(1 + Below(2));
        break;
      case 3: {
        v1::TierPolicy& tiers = *command.change.mutable_tiers();
        tiers.set_silver_threshold_fen(300000 + Below(300000));
        tiers.set_gold_threshold_fen(1500000 + Below(1000000));
        tiers.set_platinum_threshold_fen(4000000 + Below(2000000));
        break;
      }
      default:
        command.change.mutable_tiers()->set_window_days(200 + Below(300));
        command.change.mutable_tiers()->set_protection_days(100 + Below(400));
        break;
    }
    Commit(DecideSetPolicy(world_->state(), command));
  }

  void Erase(int64_t at) {
    Commit(DecideEraseMember(world_->state(), {Pick(members_), "member request", at, "privacy"}));
  }

  HistoryOptions options_;
  std::mt19937_64 random_;
  TestWorld* world_ = nullptr;
  int64_t now_us_ = At(2023, 1, 1);
  std::vector<std::string> members_;
  std::vector<std::string> purchases_;
  BirthDates birth_dates_;
  int purchase_count_ = 0, refund_count_ = 0, redemption_count_ = 0;
  int adjustment_count_ = 0, policy_count_ = 0;
};

using Factory = std::function<std::unique_ptr<Projection>()>;

std::vector<Factory> AllProjections() {
  return {[] { return std::make_unique<PolicyProjection>(); },
          [] { return std::make_unique<BalanceProjection>(); },
          [] { return std::make_unique<TierProjection>(); },
          [] { return std::make_unique<PartnerProjection>(); }};
}

void ApplyRange(const std::vector<v1::Envelope>& log, size_t from, size_t to,
                Projection* projection) {
  for (size_t i = from; i < to; ++i) {
    absl::Status status = projection->Apply(log[i]);
    ASSERT_TRUE(status.ok()) << status;
  }
}

class ReplayPropertyTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void SetUp() override {
    HistoryGenerator generator({GetParam(), 600, true});
    generator.Run(&world_);
    ASSERT_GT(world_.log.size(), 500u);
  }
  TestWorld world_;
};

TEST_P(ReplayPropertyTest, SnapshotAnywhereThenTheRestEqualsTheWhole) {
  const std::vector<v1::Envelope>& log = world_.log;
  const size_t n = log.size();
  for (const Factory& make : AllProjections()) {
    std::unique_ptr<Projection> whole = make();
    ApplyRange(log, 0, n, whole.get());
    const std::string expected = whole->CanonicalState();
    for (size_t cut : {size_t{0}, size_t{1}, n / 5, n / 3, n / 2, 2 * n / 3, n - 1, n}) {
      std::unique_ptr<Projection> prefix = make();
      ApplyRange(log, 0, cut, prefix.get());
      std::unique_ptr<Projection> resumed = make();
      ASSERT_TRUE(resumed->Restore(prefix->CanonicalState()).ok());
      EXPECT_EQ(resumed->Digest(), prefix->Digest());
      ApplyRange(log, cut, n, resumed.get());
      ASSERT_EQ(resumed->CanonicalState(), expected) << whole->name() << " cut at " << cut;
      EXPECT_EQ(resumed->Digest(), whole->Digest());
    }
  }
}

TEST_P(ReplayPropertyTest, TheLiveProjectionsEqualAReplay) {
  std::vector<Projection*> live = world_.projections();
  std::vector<Factory> factories = AllProjections();
  for (size_t i = 0; i < live.size(); ++i) {
    std::unique_ptr<Projection> replay = factories[i]();
    ApplyRange(world_.log, 0, world_.log.size(), replay.get());
    EXPECT_EQ(replay->CanonicalState(), live[i]->CanonicalState()) << replay->name();
  }
}

TEST_P(ReplayPropertyTest, AdvancingBeforeEachEventChangesNothing) {
  for (const Factory& make : AllProjections()) {
    std::unique_ptr<Projection> plain = make();
    std::unique_ptr<Projection> advanced = make();
    for (const v1::Envelope& e : world_.log) {
      ASSERT_TRUE(plain->Apply(e).ok());
      advanced->AdvanceTo(e.occurred_at_us() - 1);
      advanced->AdvanceTo(e.occurred_at_us());
      ASSERT_TRUE(advanced->Apply(e).ok());
    }
    EXPECT_EQ(plain->CanonicalState(), advanced->CanonicalState()) << plain->name();
  }
}

TEST_P(ReplayPropertyTest, RestoreOfCanonicalStateIsTheIdentity) {
  for (Projection* projection : world_.projections()) {
    const std::string bytes = projection->CanonicalState();
    std::vector<Factory> factories = AllProjections();
    for (const Factory& make : factories) {
      std::unique_ptr<Projection> other = make();
      if (other->name() != projection->name()) {
        EXPECT_EQ(other->Restore(bytes).code(), absl::StatusCode::kInvalidArgument);
        continue;
      }
      ASSERT_TRUE(other->Restore(bytes).ok());
      EXPECT_EQ(other->CanonicalState(), bytes);
      EXPECT_EQ(other->Digest(), projection->Digest());
      EXPECT_NE(other->Digest(), make()->Digest());  // a different state
    }
  }
}

TEST_P(ReplayPropertyTest, BalanceInvariantsHold) {
  world_.AdvanceTo(world_.balances.now_us() + 800 * kMicrosPerDay);  // expire everything due
  int64_t earned_on_purchases = 0;
  for (const auto& [id, account] : world_.balances.members()) {
    EXPECT_EQ(account.granted_points_total - account.redeemed_points_total -
                  account.expired_points_total - account.clawed_back_points_total -
                  account.debited_points_total,
              account.balance_points())
        << id;
    EXPECT_GE(account.debt_points, 0) << id;
    if (account.debt_points > 0) {
      EXPECT_TRUE(account.lots.empty()) << id;
    }
    for (size_t i = 1; i < account.lots.size(); ++i) {
      EXPECT_TRUE(ConsumedBefore(account.lots[i - 1], account.lots[i])) << id;
    }
    for (const auto& [purchase_id, purchase] : account.purchases) {
      EXPECT_LE(purchase.refunded_fen, purchase.amount_fen) << purchase_id;
      EXPECT_LE(purchase.clawed_back_points, purchase.points_earned) << purchase_id;
      earned_on_purchases += purchase.points_earned;
    }
  }
  int64_t issued = 0;
  for (const auto& [id, score] : world_.partners.partners()) issued += score.points_issued;
  EXPECT_EQ(issued, earned_on_purchases);
  EXPECT_GE(world_.balances.OutstandingPoints(), 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplayPropertyTest, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

// Without backdated events, one member's stream plus the policy stream
// gives that member's balance and tier state: an auditor can check one
// member without replaying everyone.
TEST(MemberReplayTest, OneMembersStreamGivesThatMembersState) {
  TestWorld world;
  HistoryGenerator generator({99, 600, false});
  generator.Run(&world);
  const int64_t end_us = world.balances.now_us();
  for (const auto& [member_id, account] : world.balances.members()) {
    BalanceProjection balances;
    TierProjection tiers;
    const std::string stream = MemberStreamId(member_id);
    for (const v1::Envelope& e : world.log) {
      if (e.stream_id() != stream && e.stream_id() != kPolicyStreamId) continue;
      ASSERT_TRUE(balances.Apply(e).ok());
      ASSERT_TRUE(tiers.Apply(e).ok());
    }
    balances.AdvanceTo(end_us);
    tiers.AdvanceTo(end_us);
    const MemberAccount& alone = *balances.FindMember(member_id);
    EXPECT_EQ(alone.lots.size(), account.lots.size()) << member_id;
    EXPECT_EQ(alone.balance_points(), account.balance_points()) << member_id;
    EXPECT_EQ(alone.expired_points_total, account.expired_points_total) << member_id;
    const MemberTier& tier_alone = *tiers.FindMember(member_id);
    const MemberTier& tier_all = *world.tiers.FindMember(member_id);
    EXPECT_EQ(tier_alone.tier, tier_all.tier) << member_id;
    EXPECT_EQ(tier_alone.history.size(), tier_all.history.size()) << member_id;
  }
}

TEST(RestoreTest, RejectsBytesThatAreNotAState) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  for (Projection* projection : world.projections()) {
    const std::string before = projection->CanonicalState();
    EXPECT_EQ(projection->Restore("\xff\xff\xff garbage").code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(projection->Restore("").code(), absl::StatusCode::kInvalidArgument);  // no name
    EXPECT_EQ(projection->CanonicalState(), before);
  }
}

TEST(RestoreTest, RejectsAStateThatBreaksAnInvariant) {
  state::BalanceState state;
  ASSERT_TRUE(state.ParseFromString(BalanceProjection().CanonicalState()));
  state::MemberBalance& member = *state.add_members();
  member.set_member_id("M1");
  member.set_next_lot_number(2);
  state::Lot& lot = *member.add_lots();
  lot.set_lot_number(1);
  lot.set_points_remaining(10);
  member.set_debt_points(5);  // debt while holding a lot
  BalanceProjection balances;
  EXPECT_EQ(balances.Restore(state.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  member.set_debt_points(0);
  EXPECT_TRUE(balances.Restore(state.SerializeAsString()).ok());
  *state.add_members() = member;  // a duplicate id
  EXPECT_EQ(balances.Restore(state.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  state.mutable_members(1)->set_member_id("M2");
  EXPECT_TRUE(balances.Restore(state.SerializeAsString()).ok());
  state.mutable_members(0)->add_purchases()->set_purchase_id("S1");
  state.mutable_members(1)->add_purchases()->set_purchase_id("S1");  // one purchase, two members
  const std::string before = balances.CanonicalState();
  EXPECT_EQ(balances.Restore(state.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(balances.CanonicalState(), before);
}

}  // namespace
}  // namespace loyalty::projections

namespace loyalty::projections {
namespace {

// The generated histories reach the rules worth testing; otherwise the
// properties above would hold vacuously.
TEST(HistoryCoverageTest, HistoriesReachTheInterestingRules) {
  int64_t expired = 0, clawed = 0, debts = 0, reevaluations = 0, upgrades = 0, policies = 0;
  int64_t backdated = 0, birthdays = 0, members_in_debt = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    TestWorld world;
    HistoryGenerator generator({seed, 600, true});
    generator.Run(&world);
    int64_t latest = 0;
    for (const v1::Envelope& e : world.log) {
      if (e.occurred_at_us() < latest) ++backdated;
      latest = std::max(latest, e.occurred_at_us());
      if (e.event().has_policy_set()) ++policies;
      if (e.event().has_points_granted() &&
          e.event().points_granted().reason() == v1::GRANT_REASON_BIRTHDAY) {
        ++birthdays;
      }
    }
    for (const auto& [id, account] : world.balances.members()) {
      expired += account.expired_points_total;
      clawed += account.clawed_back_points_total;
      debts += account.debited_points_total;
      if (account.debt_points > 0) ++members_in_debt;
    }
    for (const auto& [id, member] : world.tiers.members()) {
      for (const TierChange& change : member.history) {
        (change.cause == TierChangeCause::kUpgrade ? upgrades : reevaluations) += 1;
      }
    }
  }
  std::cout << "expired " << expired << ", clawed back " << clawed << ", debited " << debts
            << ", members in debt " << members_in_debt << ", upgrades " << upgrades
            << ", re-evaluations " << reevaluations << ", policy changes " << policies
            << ", backdated " << backdated << ", birthday grants " << birthdays << "\n";
  EXPECT_GT(expired, 0);
  EXPECT_GT(clawed, 0);
  EXPECT_GT(debts, 0);
  EXPECT_GT(members_in_debt, 0);
  EXPECT_GT(upgrades, 0);
  EXPECT_GT(reevaluations, 0);
  EXPECT_GT(policies, 0);
  EXPECT_GT(backdated, 0);
  EXPECT_GT(birthdays, 0);
}

}  // namespace
}  // namespace loyalty::projections
