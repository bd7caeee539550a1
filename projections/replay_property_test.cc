// Properties of every projection over random, deterministic histories made
// by the deciders, backdated events included (occurred-at going backwards
// across members and within one member):
// - snapshot and restore anywhere, then apply the rest: the same bytes as
//   applying everything;
// - Restore(CanonicalState()) is the identity, and equal states have equal
//   digests;
// - in a replay of one member's stream, AdvanceTo each event's own time
//   before it changes nothing; AdvanceTo in steps equals AdvanceTo at once;
// - the balance invariants hold for every member;
// - for every member and every cut of the log, the member's stream plus the
//   policy stream gives exactly that member's state of the full replay, and
//   so does that replay resumed from a snapshot of the member.
// Each holds as well for histories with events the deciders never write
// (anomaly.h), appended raw among the others.
#include <algorithm>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/ledger.h"
#include "projections/local_time.h"
#include "projections/member_snapshot.h"
#include "projections/member_time.h"
#include "projections/replay.h"
#include "projections/survey_deciders.h"
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
  // Some events occur before the latest occurred-at of the log (and often
  // before their own member's latest too): most a few weeks back, a few
  // more than a year back.
  bool backdating = true;
  // Now and then an event the deciders would never write (anomaly.h),
  // appended raw: every property must hold with those too.
  bool rule_breaking = false;
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
    DeclareYear(2023, now_us_);
    for (int i = 0; i < options_.commands; ++i) {
      // Schedules arrive late, so that some deadlines are unknown for a
      // while (2024, 2025) and some stay unknown (2026).
      if (!declared_2024_ && now_us_ >= At(2024, 2, 1)) declared_2024_ = DeclareYear(2024, now_us_);
      if (!declared_2025_ && now_us_ >= At(2025, 6, 1)) declared_2025_ = DeclareYear(2025, now_us_);
      Step();
    }
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
    if (options_.backdating && OneIn(60)) {
      return now_us_ - static_cast<int64_t>(Below(400 * kMicrosPerDay));
    }
    if (options_.backdating && OneIn(25)) {
      // In the last days before the latest New Year: a member whose own time
      // has not passed it may still use the lots expiring at that year end,
      // although other members' events have passed it.
      const int64_t year_end_us = EndOfLocalYearUs(LocalDayOf(now_us_).year() - 1);
      if (year_end_us > At(2023, 1, 1)) {
        return year_end_us - static_cast<int64_t>(Below(10 * kMicrosPerDay));
      }
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
    // Drawn only when asked for, so that the other histories stay as they were.
    if (options_.rule_breaking && OneIn(6)) return BreakARule(at);
    const uint64_t kind = Below(100);
    if (kind < 36) return Purchase(at);
    if (kind < 40) return Complain(at);
    if (kind < 55) return Refund(at);
    if (kind < 72) return Redeem(at);
    if (kind < 82) return AdjustPoints(at);
    if (kind < 90) return Birthdays(at);
    if (kind < 94) return ChangePolicy(at);
    if (kind < 95) return Erase(at);
    return Complain(at);
  }

  // A synthetic schedule: a few holidays and one make-up working day.
  bool DeclareYear(int year, int64_t at) {
    const std::string text = absl::StrCat(
        "source synthetic-", year, "\ncovers ", year, "\n", year, "-01-01 holiday New Year\n",
        year, "-05-01 holiday Labour Day\n", year, "-05-02 holiday Labour Day\n", year,
        "-10-01 holiday National Day\n", year, "-10-02 holiday National Day\n", year,
        "-10-03 holiday National Day\n", year, "-09-28 workday make-up\n");
    absl::Status status = world_->DeclareCalendar(text, at);
    EXPECT_TRUE(status.ok()) << status;
    return true;
  }

  // Files a complaint, or takes the next step of one (now and then a step
  // out of order, which the deciders reject).
  void Complain(int64_t at) {
    if (complaints_.empty() || OneIn(4)) {
      FileComplaint command{absl::StrCat("C", complaints_.size() + 1), Pick(members_),
                            OneIn(5) ? "" : absl::StrCat("P", Below(4)),
                            OneIn(2) ? "service" : "parking", v1::CHANNEL_PHONE, at, "desk"};
      Commit(DecideFileComplaint(world_->complaint_state(), command));
      if (world_->complaints.FindComplaint(command.complaint_id) != nullptr) {
        complaints_.push_back(command.complaint_id);
      }
      return;
    }
    const std::string& id = Pick(complaints_);
    const ComplaintState state = world_->complaints.FindComplaint(id)->state;
    const ComplaintDecisionState decision = world_->complaint_state();
    uint64_t step = Below(5);
    if (!OneIn(10)) {
      switch (state) {
        case ComplaintState::kFiled:
        case ComplaintState::kReopened:
          step = 0;
          break;
        case ComplaintState::kReplied:
          step = 1;
          break;
        case ComplaintState::kInvestigating:
          step = 2;
          break;
        case ComplaintState::kResolved:
          step = 3;
          break;
        case ComplaintState::kNotified:
          step = 4;
          break;
        case ComplaintState::kClosed:
          return Survey(id, at);
      }
    }
    switch (step) {
      case 0:
        return Commit(DecideReplyToComplaint(decision, {id, v1::CHANNEL_SMS, at, "desk"}));
      case 1:
        return Commit(DecideStartInvestigation(decision, {id, at, "desk"}));
      case 2: {
        const int64_t goodwill = OneIn(3) ? 1 + static_cast<int64_t>(Below(300)) : 0;
        return Commit(DecideResolveComplaint(decision, {id, "apology", goodwill, at, "desk"}));
      }
      case 3:
        return Commit(DecideNotifyCustomer(decision, {id, v1::CHANNEL_SMS, at, "desk"}));
      default: {
        const bool satisfied = OneIn(2);
        const int32_t score = static_cast<int32_t>(Below(6));
        return Commit(DecideConfirmResolution(decision, {id, satisfied, score, at, "desk"}));
      }
    }
  }

  // A satisfaction survey after a closed complaint, naming the complaint
  // (and now and then a partner of its own): on a stream of its own, it must
  // change nothing of the member's state.
  void Survey(const std::string& complaint_id, int64_t at) {
    const Complaint* complaint = world_->complaints.FindComplaint(complaint_id);
    RecordSurvey command{absl::StrCat("Q", ++surveys_), complaint->member_id,
                         OneIn(3) ? absl::StrCat("P", Below(4)) : "", complaint_id,
                         1 + static_cast<int32_t>(Below(5)), at, "survey-app"};
    Commit(DecideRecordSurvey({world_->balances, world_->complaints, world_->partners}, command));
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

  // One of the events that break a rule, appended as a raw append would.
  void BreakARule(int64_t at) {
    const std::string& member = Pick(members_);
    const std::string n = absl::StrCat(++rule_breaking_count_);
    v1::Envelope envelope = testing::RawEnvelope(0, MemberStreamId(member), at);
    v1::Event& event = *envelope.mutable_event();
    const std::string purchase = purchases_.empty() ? "S0" : Pick(purchases_);
    switch (Below(14)) {
      case 0: {  // a redemption past the balance
        v1::PointsRedeemed& redeemed = *event.mutable_points_redeemed();
        redeemed.set_member_id(member);
        redeemed.set_redemption_id(absl::StrCat("XR", n));
        redeemed.set_points(std::max<int64_t>(world_->Balance(member), 0) + 1 +
                            static_cast<int64_t>(Below(1000)));
        break;
      }
      case 1: {  // a purchase and its points by a member never enrolled
        const std::string ghost = absl::StrCat("G", n);
        envelope.set_stream_id(MemberStreamId(ghost));
        v1::PurchaseRecorded& recorded = *event.mutable_purchase_recorded();
        recorded.set_member_id(ghost);
        recorded.set_purchase_id(absl::StrCat("XS", n));
        recorded.set_partner_id("P1");
        recorded.set_amount_fen(1 + static_cast<int64_t>(Below(100000)));
        ASSERT_TRUE(world_->CommitRaw(envelope).ok());
        v1::PointsGranted& granted = *event.mutable_points_granted();
        granted.set_member_id(ghost);
        granted.set_points(100);
        granted.set_reason(v1::GRANT_REASON_PURCHASE);
        granted.set_purchase_id(absl::StrCat("XS", n));
        break;
      }
      case 2: {  // points of 2^63-1
        v1::PointsGranted& granted = *event.mutable_points_granted();
        granted.set_member_id(member);
        granted.set_points(std::numeric_limits<int64_t>::max());
        granted.set_reason(v1::GRANT_REASON_CAMPAIGN);
        break;
      }
      case 3: {  // a purchase id recorded before, by this member or another
        v1::PurchaseRecorded& recorded = *event.mutable_purchase_recorded();
        recorded.set_member_id(member);
        recorded.set_purchase_id(purchase);
        recorded.set_partner_id(absl::StrCat("P", Below(4)));
        recorded.set_amount_fen(1 + static_cast<int64_t>(Below(3000000)));
        break;
      }
      case 4: {  // a refund past what is left, of a purchase maybe not the member's
        v1::RefundRecorded& refund = *event.mutable_refund_recorded();
        refund.set_member_id(member);
        refund.set_refund_id(OneIn(3) && refund_count_ > 0
                                 ? absl::StrCat("F", 1 + Below(refund_count_))
                                 : absl::StrCat("XF", n));
        refund.set_purchase_id(purchase);
        refund.set_amount_fen(1 + static_cast<int64_t>(Below(5000000)));
        break;
      }
      case 5: {  // a clawback past what the purchase earned
        v1::PointsDebited& debited = *event.mutable_points_debited();
        debited.set_member_id(member);
        debited.set_points(1 + static_cast<int64_t>(Below(100000)));
        debited.set_reason(v1::DEBIT_REASON_CLAWBACK);
        debited.set_purchase_id(purchase);
        break;
      }
      case 6:
      case 7: {  // a complaint step out of order, or of a complaint never filed
        const std::string id =
            complaints_.empty() || OneIn(4) ? absl::StrCat("CX", n) : Pick(complaints_);
        envelope.set_stream_id(ComplaintStreamId(id));
        switch (Below(5)) {
          case 0:
            event.mutable_complaint_replied()->set_complaint_id(id);
            break;
          case 1:
            event.mutable_complaint_investigation_started()->set_complaint_id(id);
            break;
          case 2:
            event.mutable_complaint_resolved()->set_complaint_id(id);
            event.mutable_complaint_resolved()->set_goodwill_points(OneIn(3) ? -1 : 10);
            break;
          case 3:
            event.mutable_customer_notified()->set_complaint_id(id);
            break;
          default:
            event.mutable_customer_confirmed()->set_complaint_id(id);
            event.mutable_customer_confirmed()->set_satisfied(OneIn(2));
            event.mutable_customer_confirmed()->set_satisfaction_score(
                static_cast<int32_t>(Below(8)));
            break;
        }
        break;
      }
      case 8: {  // a member's event off the member's stream
        envelope.set_stream_id(MemberStreamId(absl::StrCat(member, "-elsewhere")));
        v1::PurchaseRecorded& recorded = *event.mutable_purchase_recorded();
        recorded.set_member_id(member);
        recorded.set_purchase_id(absl::StrCat("XS", n));
        recorded.set_amount_fen(5000000);
        break;
      }
      case 9: {  // an invalid policy, or a valid one off the policy stream
        envelope.set_stream_id(OneIn(2) ? std::string(kPolicyStreamId) : "complaint-C1");
        event.mutable_policy_set()->mutable_tiers()->set_window_days(
            envelope.stream_id() == kPolicyStreamId ? -1 : 30);
        break;
      }
      case 10: {  // an invalid calendar declaration
        envelope.set_stream_id(std::string(kCalendarStreamId));
        v1::CalendarDaysDeclared& declared = *event.mutable_calendar_days_declared();
        declared.set_source("bad");
        v1::DeclaredDay& day = *declared.add_days();
        day.mutable_date()->set_year(2024);
        day.mutable_date()->set_month(2);
        day.mutable_date()->set_day(30);
        day.set_kind(v1::DAY_KIND_HOLIDAY);
        break;
      }
      case 11: {  // a survey repeated, scored out of range or of a member never enrolled
        envelope.set_stream_id(absl::StrCat("survey-X", n));
        v1::SurveyAnswered& survey = *event.mutable_survey_answered();
        survey.set_survey_id(OneIn(2) && surveys_ > 0 ? "Q1" : absl::StrCat("XQ", n));
        survey.set_member_id(OneIn(2) ? member : "nobody");
        survey.set_partner_id("P1");
        survey.set_score(static_cast<int32_t>(Below(8)));
        break;
      }
      case 12:  // a second enrolment
        event.mutable_member_enrolled()->set_member_id(member);
        break;
      default: {  // a birthday bonus of a year below 1, or of a year granted already
        v1::PointsGranted& granted = *event.mutable_points_granted();
        granted.set_member_id(member);
        granted.set_points(200);
        granted.set_reason(v1::GRANT_REASON_BIRTHDAY);
        granted.set_birthday_year(OneIn(2) ? 0 : LocalDayOf(at).year());
        break;
      }
    }
    ASSERT_TRUE(world_->CommitRaw(envelope).ok());
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
  std::vector<std::string> complaints_;
  int64_t surveys_ = 0;
  int64_t rule_breaking_count_ = 0;
  bool declared_2024_ = false, declared_2025_ = false;
};

using Factory = std::function<std::unique_ptr<Projection>()>;

std::vector<Factory> AllProjections() {
  return {[] { return std::make_unique<PolicyProjection>(); },
          [] { return std::make_unique<BalanceProjection>(); },
          [] { return std::make_unique<TierProjection>(); },
          [] { return std::make_unique<PartnerProjection>(); },
          [] { return std::make_unique<CalendarProjection>(); },
          [] { return std::make_unique<ComplaintProjection>(); }};
}

void ApplyRange(const std::vector<v1::Envelope>& log, size_t from, size_t to,
                Projection* projection) {
  for (size_t i = from; i < to; ++i) {
    absl::Status status = projection->Apply(log[i]);
    ASSERT_TRUE(status.ok()) << status;
  }
}

// The events of log[0, cut) that a member-only replay reads: the member's
// own stream merged with the policy stream, in log order, as the engine's
// Member() query merges them. Complaints and surveys naming the member live
// on streams of their own and must change nothing of the member's state.
std::vector<v1::Envelope> MemberAndPolicyEvents(const std::vector<v1::Envelope>& log, size_t cut,
                                                const std::string& member_id) {
  const std::string stream = MemberStreamId(member_id);
  std::vector<v1::Envelope> events;
  for (size_t i = 0; i < cut; ++i) {
    if (log[i].stream_id() == stream || log[i].stream_id() == kPolicyStreamId) {
      events.push_back(log[i]);
    }
  }
  return events;
}

// The entry of `member_id` in a canonical state (a BalanceState or a
// TierState); an empty entry if the member is not there.
template <typename State>
auto MemberEntry(const std::string& canonical_state, const std::string& member_id) {
  State state;
  EXPECT_TRUE(state.ParseFromString(canonical_state));
  for (const auto& member : state.members()) {
    if (member.member_id() == member_id) return member;
  }
  return typename std::decay_t<decltype(state.members(0))>();
}

// The balances and tiers of a member-only replay (or of any replay).
struct MemberReplay {
  BalanceProjection balances;
  TierProjection tiers;
};

// A copy of `balances` and `tiers` moved to `instant_us`.
std::unique_ptr<MemberReplay> AdvancedCopy(const BalanceProjection& balances,
                                           const TierProjection& tiers, int64_t instant_us) {
  auto copy = std::make_unique<MemberReplay>();
  EXPECT_TRUE(copy->balances.Restore(balances.CanonicalState()).ok());
  EXPECT_TRUE(copy->tiers.Restore(tiers.CanonicalState()).ok());
  copy->balances.AdvanceTo(instant_us);
  copy->tiers.AdvanceTo(instant_us);
  return copy;
}

// Expects the member's entries in the balance and tier states of a
// member-only replay to be those of the full replay, byte for byte.
void ExpectSameMember(const std::string& member_id, const BalanceProjection& full_balances,
                      const TierProjection& full_tiers, const BalanceProjection& alone_balances,
                      const TierProjection& alone_tiers, const std::string& where) {
  const auto balance_full =
      MemberEntry<state::BalanceState>(full_balances.CanonicalState(), member_id);
  const auto balance_alone =
      MemberEntry<state::BalanceState>(alone_balances.CanonicalState(), member_id);
  EXPECT_FALSE(balance_full.member_id().empty()) << member_id << " " << where;
  EXPECT_TRUE(SerializeDeterministic(balance_alone) == SerializeDeterministic(balance_full))
      << member_id << " " << where << "\nalone: " << balance_alone.ShortDebugString()
      << "\nfull:  " << balance_full.ShortDebugString();
  const auto tier_full = MemberEntry<state::TierState>(full_tiers.CanonicalState(), member_id);
  const auto tier_alone = MemberEntry<state::TierState>(alone_tiers.CanonicalState(), member_id);
  EXPECT_FALSE(tier_full.member_id().empty()) << member_id << " " << where;
  EXPECT_TRUE(SerializeDeterministic(tier_alone) == SerializeDeterministic(tier_full))
      << member_id << " " << where << "\nalone: " << tier_alone.ShortDebugString()
      << "\nfull:  " << tier_full.ShortDebugString();
}

// A seed, and whether the history holds events that break a rule.
class ReplayPropertyTest : public ::testing::TestWithParam<std::tuple<uint64_t, bool>> {
 protected:
  void SetUp() override {
    HistoryGenerator generator({seed(), 600, true, rule_breaking()});
    generator.Run(&world_);
    ASSERT_GT(world_.log.size(), 500u);
    if (rule_breaking()) {
      uint64_t anomalies = 0;
      for (const Projection* projection : world_.projections()) {
        anomalies += projection->anomalies().count();
      }
      ASSERT_GT(world_.balances.anomalies().count(), 20u);
      ASSERT_GT(world_.complaints.anomalies().count(), 5u);
      ASSERT_GT(anomalies, 60u);
    }
  }
  uint64_t seed() const { return std::get<0>(GetParam()); }
  bool rule_breaking() const { return std::get<1>(GetParam()); }
  std::string Where() const {
    return absl::StrCat("seed ", seed(), rule_breaking() ? " breaking rules" : "");
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

// Prefetch is a hint: given for every event, both steps, at the distances a
// replay uses and for events long applied, it leaves every state as it was.
TEST_P(ReplayPropertyTest, PrefetchHintsChangeNothing) {
  const std::vector<v1::Envelope>& log = world_.log;
  for (const Factory& make : AllProjections()) {
    std::unique_ptr<Projection> plain = make();
    std::unique_ptr<Projection> hinted = make();
    for (size_t i = 0; i < log.size(); ++i) {
      for (size_t ahead : {size_t{0}, size_t{1}, size_t{8}}) {
        if (i + ahead >= log.size()) continue;
        hinted->Prefetch(log[i + ahead], Projection::PrefetchStep::kEntries);
        hinted->Prefetch(log[i + ahead], Projection::PrefetchStep::kBehindEntries);
      }
      if (i > 0) hinted->Prefetch(log[i - 1], Projection::PrefetchStep::kBehindEntries);
      ASSERT_TRUE(plain->Apply(log[i]).ok());
      ASSERT_TRUE(hinted->Apply(log[i]).ok());
    }
    EXPECT_EQ(plain->CanonicalState(), hinted->CanonicalState()) << plain->name();
  }
}

// AdvanceTo moves every member, so before an event of a full replay it
// would move members the event does not concern; in a replay of one
// member's stream (plus the policy stream) there is no other member, and
// advancing to each of the member's events before applying it is what
// applying it does anyway.
TEST_P(ReplayPropertyTest, AdvancingAMemberReplayToEachOfItsEventsChangesNothing) {
  for (const auto& [member_id, account] : world_.balances.members()) {
    const std::vector<v1::Envelope> events =
        MemberAndPolicyEvents(world_.log, world_.log.size(), member_id);
    for (const Factory& make : AllProjections()) {
      std::unique_ptr<Projection> plain = make();
      std::unique_ptr<Projection> advanced = make();
      for (const v1::Envelope& e : events) {
        ASSERT_TRUE(plain->Apply(e).ok());
        if (e.stream_id() == MemberStreamId(member_id)) {
          advanced->AdvanceTo(e.occurred_at_us() - 1);
          advanced->AdvanceTo(e.occurred_at_us());
        }
        ASSERT_TRUE(advanced->Apply(e).ok());
      }
      EXPECT_EQ(plain->CanonicalState(), advanced->CanonicalState())
          << plain->name() << " " << member_id;
    }
  }
}

TEST_P(ReplayPropertyTest, AdvancingInStepsEqualsAdvancingAtOnce) {
  const size_t n = world_.log.size();
  for (const Factory& make : AllProjections()) {
    for (size_t cut : {n / 4, n / 2, n}) {
      std::unique_ptr<Projection> prefix = make();
      ApplyRange(world_.log, 0, cut, prefix.get());
      const int64_t latest = world_.log[cut - 1].occurred_at_us();
      std::unique_ptr<Projection> in_steps = make();
      std::unique_ptr<Projection> at_once = make();
      ASSERT_TRUE(in_steps->Restore(prefix->CanonicalState()).ok());
      ASSERT_TRUE(at_once->Restore(prefix->CanonicalState()).ok());
      for (int64_t days : {-30, 0, 100, 200, 400}) {
        in_steps->AdvanceTo(latest + days * kMicrosPerDay);
      }
      at_once->AdvanceTo(latest + 400 * kMicrosPerDay);
      EXPECT_EQ(in_steps->CanonicalState(), at_once->CanonicalState())
          << prefix->name() << " cut at " << cut;
      at_once->AdvanceTo(latest);  // backwards: nothing
      EXPECT_EQ(in_steps->CanonicalState(), at_once->CanonicalState()) << prefix->name();
    }
  }
}

// The auditors' and the engine's Member() query's requirement: for every
// member and every prefix of the log, backdated events included, the
// member's stream plus the policy stream gives exactly the member's state
// of the full replay; and so it does after the same AdvanceTo on both.
TEST_P(ReplayPropertyTest, EveryMembersStreamGivesThatMembersStateAtEveryCut) {
  const std::vector<v1::Envelope>& log = world_.log;
  const size_t n = log.size();
  BalanceProjection full_balances;
  TierProjection full_tiers;
  size_t applied = 0;
  int compared = 0;
  for (size_t cut : {n / 8, n / 4, n / 3, n / 2, 2 * n / 3, 5 * n / 6, n - 1, n}) {
    for (; applied < cut; ++applied) {
      ASSERT_TRUE(full_balances.Apply(log[applied]).ok());
      ASSERT_TRUE(full_tiers.Apply(log[applied]).ok());
    }
    const int64_t later_us = full_balances.now_us() + 200 * kMicrosPerDay;
    const std::unique_ptr<MemberReplay> advanced =
        AdvancedCopy(full_balances, full_tiers, later_us);
    for (const auto& [member_id, account] : full_balances.members()) {
      BalanceProjection alone_balances;
      TierProjection alone_tiers;
      for (const v1::Envelope& e : MemberAndPolicyEvents(log, cut, member_id)) {
        ASSERT_TRUE(alone_balances.Apply(e).ok());
        ASSERT_TRUE(alone_tiers.Apply(e).ok());
      }
      const std::string where = absl::StrCat(Where(), " cut at ", cut);
      // One member, one now: the balances and the tiers move it alike.
      EXPECT_EQ(account.now_us, full_tiers.FindMember(member_id)->now_us) << member_id << where;
      ExpectSameMember(member_id, full_balances, full_tiers, alone_balances, alone_tiers, where);
      alone_balances.AdvanceTo(later_us);
      alone_tiers.AdvanceTo(later_us);
      ExpectSameMember(member_id, advanced->balances, advanced->tiers, alone_balances, alone_tiers,
                       where + " then advanced");
      ++compared;
    }
  }
  EXPECT_GT(compared, 50);
}

// The engine's member snapshots (member_snapshot.h): a replay of the
// member's stream that starts from a snapshot taken during the full replay
// gives the member's state of the full replay, at every later cut and after
// the same AdvanceTo.
TEST_P(ReplayPropertyTest, AMemberReplayResumedFromASnapshotEqualsTheFullReplay) {
  const std::vector<v1::Envelope>& log = world_.log;
  const size_t n = log.size();
  struct Taken {
    std::string member_id;
    MemberSnapshotPosition position;
    std::string bytes;
  };
  std::vector<Taken> taken;
  BalanceProjection full_balances;
  TierProjection full_tiers;
  size_t applied = 0;
  int compared = 0;
  for (size_t cut : {n / 3, 2 * n / 3, n}) {
    for (; applied < cut; ++applied) {
      const v1::Envelope& e = log[applied];
      ASSERT_TRUE(full_balances.Apply(e).ok());
      ASSERT_TRUE(full_tiers.Apply(e).ok());
      // A member never enrolled (its events are anomalies) has no snapshot.
      const absl::string_view member_id = TimeOwningMemberId(e);
      if (!member_id.empty() && full_balances.FindMember(member_id) != nullptr &&
          e.stream_version() % 3 == 0) {
        absl::StatusOr<std::string> bytes = EncodeMemberSnapshot(
            full_balances, full_tiers, member_id, {e.sequence(), e.stream_version()});
        ASSERT_TRUE(bytes.ok()) << bytes.status();
        taken.push_back({std::string(member_id), {e.sequence(), e.stream_version()}, *bytes});
      }
    }
    const int64_t later_us = full_balances.now_us() + 400 * kMicrosPerDay;
    const std::unique_ptr<MemberReplay> advanced =
        AdvancedCopy(full_balances, full_tiers, later_us);
    for (const Taken& snapshot : taken) {
      BalanceProjection balances;
      TierProjection tiers;
      const std::vector<v1::Envelope> events = MemberAndPolicyEvents(log, cut, snapshot.member_id);
      size_t next = 0;
      for (; next < events.size() && events[next].sequence() <= snapshot.position.sequence;
           ++next) {
        if (events[next].stream_id() != kPolicyStreamId) continue;
        ASSERT_TRUE(balances.Apply(events[next]).ok());
        ASSERT_TRUE(tiers.Apply(events[next]).ok());
      }
      absl::StatusOr<MemberSnapshotPosition> adopted =
          AdoptMemberSnapshot(snapshot.bytes, snapshot.member_id, &balances, &tiers);
      ASSERT_TRUE(adopted.ok()) << adopted.status();
      EXPECT_EQ(adopted->sequence, snapshot.position.sequence);
      EXPECT_EQ(adopted->stream_version, snapshot.position.stream_version);
      for (; next < events.size(); ++next) {
        ASSERT_TRUE(balances.Apply(events[next]).ok());
        ASSERT_TRUE(tiers.Apply(events[next]).ok());
      }
      const std::string where = absl::StrCat(Where(), " cut at ", cut,
                                             " from the snapshot at ", snapshot.position.sequence);
      ExpectSameMember(snapshot.member_id, full_balances, full_tiers, balances, tiers, where);
      balances.AdvanceTo(later_us);
      tiers.AdvanceTo(later_us);
      ExpectSameMember(snapshot.member_id, advanced->balances, advanced->tiers, balances, tiers,
                       where + " then advanced");
      ++compared;
    }
  }
  EXPECT_GT(compared, 100);
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
  // Partners keep no per-purchase points (partners.h): a repeated purchase
  // grant counts again there, so the sums agree only without such events.
  int64_t issued = 0;
  for (const auto& [id, score] : world_.partners.partners()) issued += score.points_issued;
  if (!rule_breaking()) {
    EXPECT_EQ(issued, earned_on_purchases);
  }
  EXPECT_GE(world_.balances.OutstandingPoints(), 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplayPropertyTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 5, 6, 7, 8),
                                            ::testing::Bool()));

// The projections a member-only replay of log[0, cut) gives.
std::unique_ptr<MemberReplay> ReplayMember(const std::vector<v1::Envelope>& log, size_t cut,
                                           const std::string& member_id) {
  auto replay = std::make_unique<MemberReplay>();
  for (const v1::Envelope& e : MemberAndPolicyEvents(log, cut, member_id)) {
    EXPECT_TRUE(replay->balances.Apply(e).ok());
    EXPECT_TRUE(replay->tiers.Apply(e).ok());
  }
  return replay;
}

// M1's lot expires at the end of 31 December 2025. M2's purchase dated
// 2 January 2026 is recorded first; M1's redemption dated 30 December 2025
// is recorded after it. M2's event does not move M1's time, so the
// redemption is decided and applied against M1's unexpired lot, in the full
// replay and in M1's own replay alike.
TEST(MemberReplayTest, ALateRedemptionUsesTheMembersLotThatAnotherMembersEventDidNotExpire) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 2)).ok());
  ASSERT_TRUE(world.Enrol("M2", At(2024, 1, 2)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 10000, At(2024, 3, 1)).ok());  // 100 points
  ASSERT_EQ(world.balances.FindMember("M1")->lots.at(0).expires_at_us, EndOfLocalYearUs(2025));
  ASSERT_TRUE(world.Purchase("S2", "M2", 10000, At(2026, 1, 2)).ok());
  EXPECT_EQ(world.balances.now_us(), At(2026, 1, 2));  // the header's now
  EXPECT_EQ(world.balances.FindMember("M1")->now_us, At(2024, 3, 1));
  EXPECT_EQ(world.balances.FindMember("M1")->lot_points(), 100);  // not expired by M2

  EXPECT_EQ(*world.balances.BalancePointsAt("M1", At(2025, 12, 30)), 100);
  ASSERT_TRUE(world.RedeemPoints("R1", "M1", 60, At(2025, 12, 30)).ok());
  const MemberAccount& full = *world.balances.FindMember("M1");
  EXPECT_EQ(full.redeemed_points_total, 60);
  EXPECT_EQ(full.expired_points_total, 0);
  EXPECT_EQ(full.lot_points(), 40);
  EXPECT_EQ(full.now_us, At(2025, 12, 30));

  // A full replay, and M1's stream with the policy stream, agree.
  BalanceProjection replayed_balances;
  TierProjection replayed_tiers;
  for (const v1::Envelope& e : world.log) {
    ASSERT_TRUE(replayed_balances.Apply(e).ok());
    ASSERT_TRUE(replayed_tiers.Apply(e).ok());
  }
  EXPECT_EQ(replayed_balances.CanonicalState(), world.balances.CanonicalState());
  std::unique_ptr<MemberReplay> alone = ReplayMember(world.log, world.log.size(), "M1");
  const MemberAccount& m1 = *alone->balances.FindMember("M1");
  EXPECT_EQ(m1.redeemed_points_total, 60);
  EXPECT_EQ(m1.lot_points(), 40);
  ExpectSameMember("M1", replayed_balances, replayed_tiers, alone->balances, alone->tiers,
                   "after the late redemption");

  // An explicit AdvanceTo still moves every member: the 40 left expire.
  world.AdvanceTo(At(2026, 1, 2));
  alone->balances.AdvanceTo(At(2026, 1, 2));
  alone->tiers.AdvanceTo(At(2026, 1, 2));
  EXPECT_EQ(world.balances.FindMember("M1")->expired_points_total, 40);
  ExpectSameMember("M1", world.balances, world.tiers, alone->balances, alone->tiers,
                   "after AdvanceTo");
}

// M1 is Silver, protected until 2025-03-01 12:00 (U). M2's purchase after U
// does not re-evaluate M1; the policy then raises the Silver threshold; M1's
// next event re-evaluates M1 at U under the policy in force when that event
// is applied, which a full replay and M1's own replay both see.
TEST(MemberReplayTest, AReevaluationWaitsForTheMembersOwnEventAndUsesThePolicyInForceThen) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Enrol("M2", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());
  ASSERT_TRUE(world.Purchase("S2", "M1", 500000, At(2024, 12, 1)).ok());
  const int64_t protection_end = At(2025, 3, 1);
  ASSERT_EQ(world.tiers.FindMember("M1")->protected_until_us, protection_end);

  ASSERT_TRUE(world.Purchase("S3", "M2", 1000, At(2025, 4, 1)).ok());
  EXPECT_EQ(world.tiers.FindMember("M1")->protected_until_us, protection_end);  // not yet
  EXPECT_EQ(world.tiers.FindMember("M1")->history.size(), 1u);

  v1::PolicySet change;
  change.mutable_tiers()->set_silver_threshold_fen(600000);
  ASSERT_TRUE(world.ChangePolicy("CH1", change, At(2025, 4, 2)).ok());
  EXPECT_EQ(world.tiers.FindMember("M1")->history.size(), 1u);  // a PolicySet moves no member

  // The spend at U is 500000 (S1 is just outside the window): Silver under
  // the old threshold, Regular under the new one, which is in force now.
  EXPECT_EQ(*world.tiers.TierInForceAt("M1", At(2025, 4, 3)), v1::TIER_REGULAR);
  ASSERT_TRUE(world.Purchase("S4", "M1", 10000, At(2025, 4, 3)).ok());
  EXPECT_EQ(world.log.back().event().points_granted().points(), 100);  // at Regular's 1.0x
  const MemberTier& full = *world.tiers.FindMember("M1");
  EXPECT_EQ(full.tier, v1::TIER_REGULAR);
  ASSERT_EQ(full.history.size(), 2u);
  EXPECT_EQ(full.history[1].at_us, protection_end);
  EXPECT_EQ(full.history[1].cause, TierChangeCause::kReevaluation);
  EXPECT_EQ(full.history[1].qualifying_spend_fen, 500000);

  std::unique_ptr<MemberReplay> alone = ReplayMember(world.log, world.log.size(), "M1");
  EXPECT_EQ(alone->tiers.FindMember("M1")->tier, v1::TIER_REGULAR);
  ExpectSameMember("M1", world.balances, world.tiers, alone->balances, alone->tiers,
                   "after M1's next purchase");
  // And at every cut in between.
  for (size_t cut = 1; cut <= world.log.size(); ++cut) {
    TestWorld prefix;
    for (size_t i = 0; i < cut; ++i) {
      for (Projection* projection : prefix.projections()) {
        ASSERT_TRUE(projection->Apply(world.log[i]).ok());
      }
    }
    std::unique_ptr<MemberReplay> m1 = ReplayMember(world.log, cut, "M1");
    ExpectSameMember("M1", prefix.balances, prefix.tiers, m1->balances, m1->tiers,
                     absl::StrCat("cut at ", cut));
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
  // One purchase id, two members: only a log that breaks the rules holds it
  // (anomaly.h), and the index names the smallest member id.
  state.mutable_members(0)->add_purchases()->set_purchase_id("S1");
  state.mutable_members(1)->add_purchases()->set_purchase_id("S1");
  ASSERT_TRUE(balances.Restore(state.SerializeAsString()).ok());
  EXPECT_EQ(*balances.FindPurchaseMember("S1"), "M1");
  // Anomalies out of log order break an invariant.
  state::Anomaly& later = *state.mutable_anomalies()->add_kept();
  later.set_sequence(9);
  later.set_rule("member_not_enrolled");
  state.mutable_anomalies()->add_kept()->CopyFrom(later);
  state.mutable_anomalies()->mutable_kept(1)->set_sequence(8);
  const std::string before = balances.CanonicalState();
  EXPECT_EQ(balances.Restore(state.SerializeAsString()).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(balances.CanonicalState(), before);
}

// Each member's now is state: it round-trips, and Restore rejects one past
// the header's now, a lot held although it expired before the member's now,
// or a protection that ended before it without a re-evaluation.
TEST(RestoreTest, RejectsAMemberNowThatBreaksTheTimeRules) {
  TestWorld world;
  ASSERT_TRUE(world.Enrol("M1", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Enrol("M2", At(2024, 1, 1)).ok());
  ASSERT_TRUE(world.Purchase("S1", "M1", 600000, At(2024, 3, 1)).ok());  // Silver; lot to 2025
  ASSERT_TRUE(world.Purchase("S2", "M2", 100, At(2026, 6, 1)).ok());
  state::BalanceState balances;
  ASSERT_TRUE(balances.ParseFromString(world.balances.CanonicalState()));
  ASSERT_EQ(balances.members(0).now_us(), At(2024, 3, 1));
  ASSERT_EQ(balances.members(1).now_us(), At(2026, 6, 1));
  BalanceProjection restored_balances;
  ASSERT_TRUE(restored_balances.Restore(world.balances.CanonicalState()).ok());
  EXPECT_EQ(restored_balances.FindMember("M1")->now_us, At(2024, 3, 1));

  state::BalanceState bad_balances = balances;
  bad_balances.mutable_members(0)->set_now_us(balances.header().now_us() + 1);
  EXPECT_EQ(restored_balances.Restore(bad_balances.SerializeAsString()).code(),
            absl::StatusCode::kDataLoss);
  bad_balances.mutable_members(0)->set_now_us(At(2026, 1, 1));  // the lot expired at 2025's end
  EXPECT_EQ(restored_balances.Restore(bad_balances.SerializeAsString()).code(),
            absl::StatusCode::kDataLoss);

  state::TierState tiers;
  ASSERT_TRUE(tiers.ParseFromString(world.tiers.CanonicalState()));
  ASSERT_EQ(tiers.members(0).now_us(), At(2024, 3, 1));
  TierProjection restored_tiers;
  ASSERT_TRUE(restored_tiers.Restore(world.tiers.CanonicalState()).ok());
  EXPECT_EQ(restored_tiers.FindMember("M1")->now_us, At(2024, 3, 1));
  state::TierState bad_tiers = tiers;
  bad_tiers.mutable_members(0)->set_now_us(tiers.header().now_us() + 1);
  EXPECT_EQ(restored_tiers.Restore(bad_tiers.SerializeAsString()).code(),
            absl::StatusCode::kDataLoss);
  bad_tiers.mutable_members(0)->set_now_us(At(2025, 3, 2));  // protection ended 2025-03-01
  EXPECT_EQ(restored_tiers.Restore(bad_tiers.SerializeAsString()).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(restored_tiers.CanonicalState(), world.tiers.CanonicalState());
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
  // Backdated behind the member's own latest event; behind another member's
  // latest but not the member's own (where one global now would make the
  // member depend on others); and of those, behind a year end that another
  // member's event passed (where one global now would expire lots early).
  int64_t backdated_in_member = 0, backdated_across_members = 0, across_a_year_end = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    TestWorld world;
    HistoryGenerator generator({seed, 600, true});
    generator.Run(&world);
    int64_t latest = 0;
    std::map<std::string, int64_t> member_latest;
    for (const v1::Envelope& e : world.log) {
      if (e.occurred_at_us() < latest) ++backdated;
      if (e.stream_id() != kPolicyStreamId) {
        int64_t& own = member_latest[e.stream_id()];
        if (e.occurred_at_us() < own) {
          ++backdated_in_member;
        } else if (e.occurred_at_us() < latest) {
          ++backdated_across_members;
          if (LocalDayOf(e.occurred_at_us()).year() < LocalDayOf(latest).year()) {
            ++across_a_year_end;
          }
        }
        own = std::max(own, e.occurred_at_us());
      }
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
            << ", backdated " << backdated << " (within a member " << backdated_in_member
            << ", across members " << backdated_across_members << ", across a year end "
            << across_a_year_end << "), birthday grants " << birthdays << "\n";
  EXPECT_GT(expired, 0);
  EXPECT_GT(clawed, 0);
  EXPECT_GT(debts, 0);
  EXPECT_GT(members_in_debt, 0);
  EXPECT_GT(upgrades, 0);
  EXPECT_GT(reevaluations, 0);
  EXPECT_GT(policies, 0);
  EXPECT_GT(backdated, 0);
  EXPECT_GT(backdated_in_member, 0);
  EXPECT_GT(backdated_across_members, 0);
  EXPECT_GT(across_a_year_end, 0);
  EXPECT_GT(birthdays, 0);
}

}  // namespace
}  // namespace loyalty::projections

namespace loyalty::projections {
namespace {

// The generated histories reach the complaint rules too: reopenings, every
// clock status, deadlines fixed late by a schedule loaded after the clock
// started, and goodwill grants.
TEST(HistoryCoverageTest, HistoriesReachTheComplaintRules) {
  int64_t complaints = 0, reopenings = 0, closed = 0, goodwill_grants = 0, fixed_late = 0;
  int64_t surveys = 0;
  SlaCounts counts;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    TestWorld world;
    HistoryGenerator generator({seed, 600, true});
    generator.Run(&world);
    const int64_t end_us = world.complaints.now_us();
    for (const auto& [id, complaint] : world.complaints.complaints()) {
      ++complaints;
      reopenings += static_cast<int64_t>(complaint.cycles.size()) - 1;
      if (complaint.state == ComplaintState::kClosed) ++closed;
      for (const ComplaintCycle& cycle : complaint.cycles) {
        counts.Add(cycle.reply.StatusAt(end_us));
        if (cycle.notification.has_value()) counts.Add(cycle.notification->StatusAt(end_us));
      }
    }
    // A deadline fixed late is one the live projection did not know when
    // the clock started: replaying up to the clock's start shows it unknown.
    ComplaintProjection replay;
    for (const v1::Envelope& e : world.log) {
      ASSERT_TRUE(replay.Apply(e).ok());
      if (e.event().has_complaint_filed() &&
          !replay.FindComplaint(e.event().complaint_filed().complaint_id())
               ->cycles[0]
               .reply.due_at_us.has_value() &&
          world.complaints.FindComplaint(e.event().complaint_filed().complaint_id())
              ->cycles[0]
              .reply.due_at_us.has_value()) {
        ++fixed_late;
      }
      if (e.event().has_points_granted() &&
          e.event().points_granted().reason() == v1::GRANT_REASON_GOODWILL) {
        ++goodwill_grants;
      }
      if (e.event().has_survey_answered()) ++surveys;
    }
  }
  std::cout << "complaints " << complaints << ", reopenings " << reopenings << ", closed "
            << closed << ", clocks met " << counts.met << ", breached " << counts.breached
            << ", pending " << counts.pending << ", due unknown " << counts.due_unknown
            << ", deadlines fixed late " << fixed_late << ", goodwill grants " << goodwill_grants
            << ", surveys " << surveys << "\n";
  EXPECT_GT(complaints, 0);
  EXPECT_GT(reopenings, 0);
  EXPECT_GT(closed, 0);
  EXPECT_GT(counts.met, 0);
  EXPECT_GT(counts.breached, 0);
  EXPECT_GT(counts.due_unknown, 0);
  EXPECT_GT(fixed_late, 0);
  EXPECT_GT(goodwill_grants, 0);
  EXPECT_GT(surveys, 0);
}

}  // namespace
}  // namespace loyalty::projections
