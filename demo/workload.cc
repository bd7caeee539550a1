#include "demo/workload.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "loyalty/limits.h"

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

// The working days the generator plans complaint handling with: the same
// files the engine is given, so "late" here is late there. A day of a year
// no file covers is a working day from Monday to Friday.
class PlanningCalendar {
 public:
  void Declare(const v1::CalendarDaysDeclared& declaration) {
    for (const v1::DeclaredDay& day : declaration.days()) {
      working_[absl::CivilDay(day.date().year(), day.date().month(), day.date().day())] =
          day.kind() == v1::DAY_KIND_WORKING_DAY;
    }
  }
  bool IsWorkingDay(absl::CivilDay day) const {
    if (auto it = working_.find(day); it != working_.end()) return it->second;
    const absl::Weekday weekday = absl::GetWeekday(day);
    return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday;
  }
  bool IsHoliday(absl::CivilDay day) const {
    auto it = working_.find(day);
    return it != working_.end() && !it->second;
  }
  // The n-th working day after `day` (`day` itself not counted); `day` for 0.
  absl::CivilDay NthWorkingDayAfter(absl::CivilDay day, int64_t n) const {
    while (n > 0) {
      ++day;
      if (IsWorkingDay(day)) --n;
    }
    return day;
  }
  // Whether a declared holiday falls in the `days` days after `day`: the
  // desk comes back to a backlog.
  bool HolidayWithin(absl::CivilDay day, int64_t days) const {
    for (int64_t i = 0; i <= days; ++i) {
      if (IsHoliday(day + i)) return true;
    }
    return false;
  }

 private:
  absl::btree_map<absl::CivilDay, bool> working_;  // declared days: working or not
};

// A command planned for a later day.
struct PlannedCommand {
  Command command;
  bool late = false;  // a reply or notification after its deadline
};

const char* const kComplaintCategories[] = {"service", "product", "parking", "billing"};
const char* const kResolutions[] = {"apology", "refund", "repair", "replacement", "voucher"};
constexpr v1::Channel kComplaintChannels[] = {v1::CHANNEL_PHONE, v1::CHANNEL_APP,
                                              v1::CHANNEL_COUNTER, v1::CHANNEL_EMAIL};
// The complaint desk's cycles at most: a third answer is always accepted.
constexpr int kMaxPlannedCycles = 3;

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
    absl::Status status = EmitCalendars();
    if (!status.ok()) return status;
    status = EmitPolicies();
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

  // The official schedules of every year the workload spans and of the year
  // after, from calendar_data_dir, declared at the first instant.
  absl::Status EmitCalendars() {
    if (options_.calendar_data_dir.empty()) return absl::OkStatus();
    std::error_code error;
    if (!std::filesystem::is_directory(options_.calendar_data_dir, error)) {
      return absl::NotFoundError(absl::StrCat("workload: calendar directory ",
                                              options_.calendar_data_dir, " does not exist"));
    }
    const int64_t first_year = LocalDay(0).year();
    const int64_t last_year = LocalDay(std::max(options_.days, 1) - 1).year() + 1;
    for (int64_t year = first_year; year <= last_year; ++year) {
      const std::string path =
          absl::StrCat(options_.calendar_data_dir, "/cn-", year, ".txt");
      std::ifstream file(path, std::ios::binary);
      if (!file) continue;  // not published yet: deadlines of that year stay unknown
      std::stringstream text;
      text << file.rdbuf();
      absl::StatusOr<v1::CalendarDaysDeclared> declaration = ParseCalendarFile(text.str());
      if (!declaration.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("workload: ", path, ": ", declaration.status().message()));
      }
      calendar_.Declare(*declaration);
      DeclareCalendarDays command;
      command.declaration = *std::move(declaration);
      command.occurred_at_us = options_.start_us;
      command.actor_id = "calendar-admin";
      absl::Status status = Emit(command);
      if (!status.ok()) return status;
      if (counts_) ++counts_->calendar_declarations;
    }
    return absl::OkStatus();
  }

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
        // About one purchase in 150 leads to a complaint about its store,
        // and a few to a satisfaction survey about the store.
        if (random_.Below(150) == 0) PlanComplaint(member.id, command.partner_id, day);
        if (random_.PerMille(4)) PlanSurvey(member.id, command.partner_id, "", day, 0);
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
    // The complaint steps and surveys planned for this day.
    const int64_t day_end_us = DayStartUs(day + 1);
    while (!planned_.empty() && planned_.begin()->first.first < day_end_us) {
      PlannedCommand& planned = planned_.begin()->second;
      CountPlanned(planned);
      commands.emplace_back(planned_.begin()->first.first, std::move(planned.command));
      planned_.erase(planned_.begin());
    }

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

  // Plans a command at `at_us`; it is emitted on its day (or never, past the
  // last day). Ties keep the order they were planned in. `late`: a reply or
  // notification planned after its deadline.
  void Plan(int64_t at_us, Command command, bool late = false) {
    planned_.emplace(std::make_pair(at_us, planned_count_++),
                     PlannedCommand{std::move(command), late});
  }

  // Counts a planned command as it is emitted.
  void CountPlanned(const PlannedCommand& planned) {
    if (!counts_) return;
    const Command& command = planned.command;
    if (std::holds_alternative<FileComplaint>(command)) {
      ++counts_->complaints;
    } else if (std::holds_alternative<RecordSurvey>(command)) {
      ++counts_->surveys;
    } else {
      ++counts_->complaint_steps;
      if (planned.late) ++counts_->late_steps;
      if (const auto* resolve = std::get_if<ResolveComplaint>(&command)) {
        if (resolve->goodwill_points > 0) ++counts_->goodwill_grants;
      }
      if (const auto* confirm = std::get_if<ConfirmResolution>(&command)) {
        if (!confirm->satisfied) ++counts_->reopenings;
      }
    }
  }

  // An instant on `day` (a local day) between `from_minute` and `to_minute`
  // after local midnight, and never before `after_us` (plus a minute).
  int64_t TimeOn(absl::CivilDay day, int64_t from_minute, int64_t to_minute, int64_t after_us) {
    const int64_t midnight_us = (day - absl::CivilDay(1970, 1, 1)) * kDayUs - kLocalOffsetUs;
    const int64_t at = midnight_us + random_.Between(from_minute, to_minute) * kMinuteUs;
    return std::max(at, after_us + random_.Between(1, 30) * kMinuteUs);
  }
  static absl::CivilDay LocalDayOf(int64_t instant_us) {
    const int64_t local_us = instant_us + kLocalOffsetUs;
    return absl::CivilDay(1970, 1, 1) + (local_us >= 0 ? local_us / kDayUs : -1);
  }

  // A step done `late ? after : within` its deadline of `due_working_days`
  // working days after `from_us`'s day; around holidays the desk comes back
  // to a backlog and is late more often. Returns the instant planned.
  int64_t PlanStepTime(int64_t from_us, int64_t due_working_days, bool* late) {
    const absl::CivilDay from_day = LocalDayOf(from_us);
    const bool backlog = calendar_.HolidayWithin(from_day, due_working_days + 2);
    *late = random_.PerMille(backlog ? 380 : 50);
    int64_t offset = 0;
    if (*late) {
      offset = due_working_days + random_.Between(1, 2);
    } else {
      const int64_t roll = random_.Below(100);
      offset = roll < 15 ? 0 : roll < 55 ? 1 : roll < 85 ? 2 : due_working_days;
      offset = std::min(offset, due_working_days);
    }
    if (offset == 0) return from_us + random_.Between(20, 240) * kMinuteUs;
    return TimeOn(calendar_.NthWorkingDayAfter(from_day, offset), 9 * 60, 18 * 60, from_us);
  }

  // A complaint about `partner_id` by `member_id`, filed one to three days
  // after a purchase on `day`, and its whole handling planned ahead: reply,
  // investigation, resolution (sometimes with goodwill points), notification
  // and the customer's answer; a dissatisfied answer reopens it, at most
  // twice. Most steps are on time; around holidays many are late.
  void PlanComplaint(const std::string& member_id, const std::string& partner_id, int64_t day) {
    const std::string id = absl::StrFormat("C%06d", ++complaints_);
    int64_t at = DayStartUs(day + random_.Between(1, 3)) +
                 random_.Between(10 * 60, 21 * 60) * kMinuteUs;
    FileComplaint file;
    file.complaint_id = id;
    file.member_id = member_id;
    file.partner_id = partner_id;
    file.category = kComplaintCategories[random_.Below(4)];
    file.channel = kComplaintChannels[random_.Below(4)];
    file.occurred_at_us = at;
    file.actor_id = "complaint-desk";
    Plan(at, file);
    for (int cycle = 1; cycle <= kMaxPlannedCycles; ++cycle) {
      bool late = false;
      at = PlanStepTime(at, 3, &late);
      Plan(at, ReplyToComplaint{id, file.channel, at, "complaint-desk"}, late);
      if (cycle == 1) {
        at += random_.Between(10, 180) * kMinuteUs;
        Plan(at, StartInvestigation{id, at, "complaint-desk"});
      }
      at = TimeOn(calendar_.NthWorkingDayAfter(LocalDayOf(at), random_.Between(1, 6)), 9 * 60,
                  18 * 60, at);
      const int64_t goodwill = random_.PerMille(300) ? 10 * random_.Between(5, 50) : 0;
      Plan(at, ResolveComplaint{id, kResolutions[random_.Below(5)], goodwill, at,
                                "complaint-desk"});
      at = PlanStepTime(at, 5, &late);
      Plan(at, NotifyCustomer{id, file.channel, at, "complaint-desk"}, late);
      if (random_.PerMille(50)) return;  // the customer never answers
      at = TimeOn(LocalDayOf(at) + random_.Between(1, 4), 10 * 60, 21 * 60, at);
      const bool satisfied = cycle == kMaxPlannedCycles || random_.PerMille(cycle == 1 ? 780 : 700);
      const int32_t score = static_cast<int32_t>(satisfied ? random_.Between(3, 5)
                                                           : random_.Between(1, 2));
      Plan(at, ConfirmResolution{id, satisfied, score, at, "complaint-desk"});
      if (satisfied) {
        if (random_.PerMille(500)) {
          PlanSurvey(member_id, "", id, -1,
                     TimeOn(LocalDayOf(at) + random_.Between(1, 7), 10 * 60, 21 * 60, at),
                     score);
        }
        return;
      }
    }
  }

  // A satisfaction survey: about `partner_id` a few days after a purchase
  // on `day`, or, after a complaint closed, about its handling at `at_us`
  // with a score near the customer's answer.
  void PlanSurvey(const std::string& member_id, const std::string& partner_id,
                  const std::string& complaint_id, int64_t day, int64_t at_us,
                  int32_t near_score = 0) {
    RecordSurvey survey;
    survey.survey_id = absl::StrFormat("Q%06d", ++surveys_);
    survey.member_id = member_id;
    survey.partner_id = partner_id;
    survey.complaint_id = complaint_id;
    if (near_score > 0) {
      survey.score = static_cast<int32_t>(
          std::clamp<int64_t>(near_score + random_.Between(-1, 1), kMinSatisfactionScore,
                              kMaxSatisfactionScore));
    } else {
      const int64_t roll = random_.Below(100);
      survey.score = roll < 5 ? 1 : roll < 12 ? 2 : roll < 35 ? 3 : roll < 75 ? 4 : 5;
    }
    if (day >= 0) {
      at_us = DayStartUs(day + random_.Between(1, 5)) + random_.Between(10 * 60, 21 * 60) * kMinuteUs;
    }
    survey.occurred_at_us = at_us;
    survey.actor_id = "survey-app";
    Plan(at_us, survey);
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
  PlanningCalendar calendar_;
  // Commands planned for later days, by (instant, order planned).
  std::map<std::pair<int64_t, int64_t>, PlannedCommand> planned_;
  int64_t planned_count_ = 0;
  int64_t complaints_ = 0;
  int64_t surveys_ = 0;
};

}  // namespace

std::string DefaultCalendarDataDir() { return LOYALTY_CALENDAR_DATA_DIR; }

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
