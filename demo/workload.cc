#include "demo/workload.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace loyalty::demo {
namespace {

constexpr int64_t kMinuteUs = 60LL * 1000000;
constexpr int64_t kDayUs = 24 * 60 * kMinuteUs;
// The mall's local time is UTC+8.
constexpr int64_t kLocalOffsetUs = 8 * 60 * kMinuteUs;

// SplitMix64: small, fast, and the same everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  // Uniform in [low, high].
  int64_t Between(int64_t low, int64_t high) { return low + Below(high - low + 1); }
  // True with probability per_mille / 1000.
  bool PerMille(int64_t per_mille) { return Below(1000) < per_mille; }

 private:
  uint64_t state_;
};

// Spending habits: a few heavy spenders, many occasional ones.
struct Profile {
  int64_t purchase_per_mille_per_day;
  int64_t average_amount_fen;
};
constexpr Profile kHeavy{350, 150000};
constexpr Profile kRegular{140, 40000};
constexpr Profile kOccasional{30, 20000};

struct Member {
  std::string id;
  int64_t enrol_day = 0;
  Profile profile;
  int64_t estimated_points = 0;  // what the generator believes is redeemable
};

struct Purchase {
  std::string id;
  int member = 0;
  int64_t amount_fen = 0;
  int64_t refunded_fen = 0;
  int64_t day = 0;
};

// Busier days: weekends, holidays and the shopping festivals of the year.
int64_t DayFactorPercent(absl::CivilDay day) {
  int64_t factor = 100;
  const absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) factor = 160;
  const int month = day.month();
  const int dom = day.day();
  if (month == 2 && dom >= 9 && dom <= 17) factor = 190;   // Spring Festival
  if (month == 5 && dom <= 5) factor = 150;                // Labour Day
  if (month == 10 && dom <= 7) factor = 170;               // National Day
  if (month == 11 && dom == 11) factor = 220;              // Double Eleven
  if (month == 12 && dom >= 20) factor = factor * 140 / 100;  // year-end
  if (month == 7 || month == 8) factor = factor * 115 / 100;  // summer
  return factor;
}

const char* const kCategories[] = {"apparel", "dining", "beauty", "electronics",
                                   "kids",    "sports", "home",   "cinema"};
const char* const kOccupations[] = {"engineer", "teacher", "doctor", "designer",
                                    "student",  "retired", "manager", "nurse"};

class Generator {
 public:
  Generator(const WorkloadOptions& options, absl::FunctionRef<absl::Status(const Command&)> emit,
            WorkloadCounts* counts)
      : options_(options), random_(options.seed), emit_(emit), counts_(counts) {}

  absl::Status Run() {
    PlanMembers();
    absl::Status status = EmitPolicies();
    if (!status.ok()) return status;
    for (int64_t day = 0; day < options_.days; ++day) {
      status = EmitDay(day);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

 private:
  int64_t DayStartUs(int64_t day) const { return options_.start_us + day * kDayUs; }
  absl::CivilDay LocalDay(int64_t day) const {
    const int64_t local_us = DayStartUs(day) + kLocalOffsetUs;
    return absl::CivilDay(1970, 1, 1) + local_us / kDayUs;
  }

  void PlanMembers() {
    for (int i = 0; i < options_.members; ++i) {
      Member member;
      member.id = absl::StrFormat("M%06d", i + 1);
      // A third are members before the year starts; the rest join over it.
      member.enrol_day = random_.PerMille(330) ? 0 : random_.Below(std::max(options_.days, 1));
      const int64_t roll = random_.Below(100);
      member.profile = roll < 5 ? kHeavy : roll < 30 ? kRegular : kOccasional;
      members_.push_back(member);
    }
  }

  absl::Status Emit(const Command& command) { return emit_(command); }

  absl::Status EmitPolicies() {
    // The default policies, recorded explicitly so the log states its rules.
    SetPolicy earning;
    earning.policy_change_id = "defaults-earning";
    auto* e = earning.change.mutable_earning();
    e->set_fen_per_point(100);
    e->set_regular_multiplier_bp(10000);
    e->set_silver_multiplier_bp(12500);
    e->set_gold_multiplier_bp(15000);
    e->set_platinum_multiplier_bp(20000);
    SetPolicy tiers;
    tiers.policy_change_id = "defaults-tiers";
    auto* t = tiers.change.mutable_tiers();
    t->set_silver_threshold_fen(500000);
    t->set_gold_threshold_fen(2000000);
    t->set_platinum_threshold_fen(5000000);
    t->set_window_days(365);
    t->set_protection_days(365);
    SetPolicy expiry;
    expiry.policy_change_id = "defaults-expiry";
    expiry.change.mutable_expiry()->set_years_after_grant_year(1);
    SetPolicy birthday;
    birthday.policy_change_id = "defaults-birthday";
    birthday.change.mutable_birthday()->set_bonus_points(200);
    for (SetPolicy* policy : {&earning, &tiers, &expiry, &birthday}) {
      policy->occurred_at_us = options_.start_us;
      policy->actor_id = "policy-admin";
      absl::Status status = Emit(*policy);
      if (!status.ok()) return status;
      if (counts_) ++counts_->policies;
    }
    return absl::OkStatus();
  }

  // A mid-year change: a richer birthday bonus from 1 July.
  absl::Status EmitMidYearPolicy(int64_t day) {
    SetPolicy birthday;
    birthday.policy_change_id = "birthday-300";
    birthday.change.mutable_birthday()->set_bonus_points(300);
    birthday.occurred_at_us = DayStartUs(day) + 8 * 60 * kMinuteUs;
    birthday.actor_id = "policy-admin";
    if (counts_) ++counts_->policies;
    return Emit(birthday);
  }

  EnrolMember Enrolment(const Member& member, int64_t at_us) {
    EnrolMember enrol;
    enrol.member_id = member.id;
    v1::PersonalData* personal = enrol.personal.mutable_plain();
    personal->set_name(absl::StrCat("Member ", member.id.substr(1)));
    personal->set_phone(absl::StrFormat("138%08d", random_.Below(100000000)));
    personal->set_email(absl::StrCat(member.id, "@example.com"));
    personal->set_gender(static_cast<v1::Gender>(random_.Between(1, 2)));
    personal->mutable_birth_date()->set_year(static_cast<int32_t>(random_.Between(1960, 2005)));
    personal->mutable_birth_date()->set_month(static_cast<int32_t>(random_.Between(1, 12)));
    personal->mutable_birth_date()->set_day(static_cast<int32_t>(random_.Between(1, 28)));
    personal->set_occupation(kOccupations[random_.Below(8)]);
    enrol.consent.set_marketing(random_.PerMille(700));
    enrol.consent.set_sms(random_.PerMille(500));
    enrol.consent.set_email(random_.PerMille(400));
    enrol.consent.set_data_analysis(true);
    enrol.channel = random_.PerMille(600) ? v1::CHANNEL_COUNTER : v1::CHANNEL_APP;
    enrol.occurred_at_us = at_us;
    enrol.actor_id = "member-desk";
    return enrol;
  }

  absl::Status EmitDay(int64_t day) {
    const int64_t start_us = DayStartUs(day);
    const int64_t factor = DayFactorPercent(LocalDay(day));
    std::vector<std::pair<int64_t, Command>> commands;  // (time, command)

    GrantBirthdayBonuses birthdays;
    birthdays.occurred_at_us = start_us + 9 * 60 * kMinuteUs;
    birthdays.actor_id = "birthday-job";
    commands.emplace_back(birthdays.occurred_at_us, birthdays);

    for (size_t m = 0; m < members_.size(); ++m) {
      Member& member = members_[m];
      if (member.enrol_day == day) {
        const int64_t at = start_us + random_.Between(10 * 60, 21 * 60) * kMinuteUs;
        commands.emplace_back(at, Enrolment(member, at));
        if (counts_) ++counts_->enrolments;
        continue;  // first purchases from the next day on
      }
      if (member.enrol_day > day) continue;
      if (random_.PerMille(member.profile.purchase_per_mille_per_day * factor / 100)) {
        Purchase purchase;
        purchase.id = absl::StrFormat("P%07d", purchases_.size() + 1);
        purchase.member = static_cast<int>(m);
        purchase.amount_fen =
            member.profile.average_amount_fen * random_.Between(30, 170) / 100 + random_.Below(100);
        purchase.day = day;
        RecordPurchase command;
        command.purchase_id = purchase.id;
        command.member_id = member.id;
        // Partner popularity is skewed: low partner numbers are the anchors.
        const int64_t a = random_.Below(options_.partners);
        const int64_t b = random_.Below(options_.partners);
        command.partner_id = absl::StrFormat("S%03d", std::min(a, b) + 1);
        command.amount_fen = purchase.amount_fen;
        command.category = kCategories[random_.Below(8)];
        command.occurred_at_us = start_us + random_.Between(10 * 60, 22 * 60 - 1) * kMinuteUs;
        command.actor_id = "pos";
        commands.emplace_back(command.occurred_at_us, command);
        member.estimated_points += purchase.amount_fen / 100;
        purchases_.push_back(purchase);
        if (counts_) ++counts_->purchases;
      }
      // Members with points redeem some of them now and then.
      if (member.estimated_points >= 600 && random_.PerMille(25)) {
        Redeem redeem;
        redeem.redemption_id = absl::StrFormat("R%07d", ++redemptions_);
        redeem.member_id = member.id;
        redeem.points = std::min<int64_t>(member.estimated_points / 2, 100 * random_.Between(2, 8));
        redeem.reward = redeem.points >= 500 ? "dinner voucher" : "parking voucher";
        redeem.occurred_at_us = start_us + random_.Between(11 * 60, 21 * 60) * kMinuteUs;
        redeem.actor_id = "app";
        member.estimated_points -= redeem.points;
        commands.emplace_back(redeem.occurred_at_us, redeem);
        if (counts_) ++counts_->redemptions;
      }
    }
    EmitRefunds(day, start_us, &commands);
    EmitAdjustments(day, start_us, &commands);

    // Business-time order within the day; ties keep generation order.
    std::stable_sort(commands.begin(), commands.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    if (counts_) ++counts_->birthday_runs;
    if (LocalDay(day).month() == 7 && LocalDay(day).day() == 1) {
      absl::Status status = EmitMidYearPolicy(day);
      if (!status.ok()) return status;
    }
    for (const auto& [at, command] : commands) {
      absl::Status status = Emit(command);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // About 4% of purchases come back within three weeks, half of them in full.
  void EmitRefunds(int64_t day, int64_t start_us, std::vector<std::pair<int64_t, Command>>* out) {
    const int64_t candidates = std::min<int64_t>(static_cast<int64_t>(purchases_.size()), 400);
    for (int64_t i = 0; i < candidates; ++i) {
      Purchase& purchase = purchases_[purchases_.size() - 1 - i];
      if (purchase.day >= day || purchase.day + 21 < day) continue;
      if (purchase.refunded_fen == purchase.amount_fen || !random_.PerMille(3)) continue;
      RecordRefund refund;
      refund.refund_id = absl::StrFormat("F%07d", ++refunds_);
      refund.purchase_id = purchase.id;
      const int64_t left = purchase.amount_fen - purchase.refunded_fen;
      refund.amount_fen = random_.PerMille(500) ? left : std::max<int64_t>(1, left / 3);
      purchase.refunded_fen += refund.amount_fen;
      refund.occurred_at_us = start_us + random_.Between(10 * 60, 21 * 60) * kMinuteUs;
      refund.actor_id = "pos";
      Member& member = members_[purchase.member];
      member.estimated_points = std::max<int64_t>(0, member.estimated_points - refund.amount_fen / 100);
      out->emplace_back(refund.occurred_at_us, refund);
      if (counts_) ++counts_->refunds;
    }
  }

  // Operators correct balances now and then: goodwill grants, a few debits.
  void EmitAdjustments(int64_t day, int64_t start_us,
                       std::vector<std::pair<int64_t, Command>>* out) {
    if (members_.empty() || !random_.PerMille(300)) return;
    const Member& member = members_[random_.Below(static_cast<int64_t>(members_.size()))];
    if (member.enrol_day >= day) return;
    Adjust adjust;
    adjust.adjustment_id = absl::StrFormat("A%06d", ++adjustments_);
    adjust.member_id = member.id;
    const bool debit = random_.PerMille(200);
    adjust.direction = debit ? AdjustmentDirection::kDebit : AdjustmentDirection::kGrant;
    adjust.points = debit ? random_.Between(10, 50) : random_.Between(50, 200);
    adjust.reason = debit ? "duplicate grant corrected" : "service recovery";
    adjust.occurred_at_us = start_us + random_.Between(10 * 60, 20 * 60) * kMinuteUs;
    adjust.actor_id = absl::StrFormat("operator-%d", random_.Between(1, 5));
    out->emplace_back(adjust.occurred_at_us, adjust);
    if (counts_) ++counts_->adjustments;
  }

  const WorkloadOptions options_;
  Random random_;
  absl::FunctionRef<absl::Status(const Command&)> emit_;
  WorkloadCounts* counts_;
  std::vector<Member> members_;
  std::vector<Purchase> purchases_;
  int64_t redemptions_ = 0;
  int64_t refunds_ = 0;
  int64_t adjustments_ = 0;
};

}  // namespace

absl::Status GenerateWorkload(const WorkloadOptions& options,
                              absl::FunctionRef<absl::Status(const Command&)> emit,
                              WorkloadCounts* counts) {
  if (options.members < 0 || options.days < 0 || options.partners <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workload: members ", options.members, ", days ", options.days, " and partners ",
        options.partners, " must not be negative (partners at least 1)"));
  }
  if (counts != nullptr) *counts = WorkloadCounts();
  return Generator(options, emit, counts).Run();
}

int64_t OccurredAtUs(const Command& command) {
  return std::visit([](const auto& c) { return c.occurred_at_us; }, command);
}

}  // namespace loyalty::demo
