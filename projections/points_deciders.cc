// Deciders of points that are not earned on a purchase: redemptions, manual
// adjustments and birthday bonuses.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "projections/decider_support.h"
#include "projections/deciders.h"
#include "loyalty/limits.h"
#include "projections/local_time.h"

namespace loyalty::projections {
namespace {

v1::Envelope BirthdayGrant(const std::string& member_id, int64_t year, int64_t points,
                           const GrantBirthdayBonuses& command) {
  v1::Envelope envelope =
      NewEnvelope(MemberStreamId(member_id), absl::StrCat("birthday/", member_id, "/", year),
                  command.occurred_at_us, command.actor_id);
  v1::PointsGranted& granted = *envelope.mutable_event()->mutable_points_granted();
  granted.set_member_id(member_id);
  granted.set_points(points);
  granted.set_reason(v1::GRANT_REASON_BIRTHDAY);
  granted.set_birthday_year(static_cast<int32_t>(year));
  return envelope;
}

// The day the bonus of `year` falls due for a member born on `birth_date`,
// with the member's id in the error.
absl::StatusOr<absl::CivilDay> DueDayOf(const std::string& member_id,
                                        const v1::LocalDate& birth_date, int64_t year) {
  absl::StatusOr<absl::CivilDay> due = BirthdayBonusDueDay(birth_date, year);
  if (!due.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("birth date of member ", Quoted(member_id), ": ",
                                                   due.status().message()));
  }
  return due;
}

v1::Envelope RedemptionEnvelope(const Redeem& command) {
  v1::Envelope envelope = NewEnvelope(MemberStreamId(command.member_id),
                                      absl::StrCat("redemption/", command.redemption_id),
                                      command.occurred_at_us, command.actor_id);
  v1::PointsRedeemed& redeemed = *envelope.mutable_event()->mutable_points_redeemed();
  redeemed.set_member_id(command.member_id);
  redeemed.set_redemption_id(command.redemption_id);
  redeemed.set_points(command.points);
  redeemed.set_reward(command.reward);
  return envelope;
}

v1::Envelope AdjustmentEnvelope(const Adjust& command) {
  v1::Envelope envelope =
      NewEnvelope(MemberStreamId(command.member_id), absl::StrCat("adjust/", command.adjustment_id),
                  command.occurred_at_us, command.actor_id);
  if (command.direction == AdjustmentDirection::kGrant) {
    v1::PointsGranted& granted = *envelope.mutable_event()->mutable_points_granted();
    granted.set_member_id(command.member_id);
    granted.set_points(command.points);
    granted.set_reason(v1::GRANT_REASON_ADJUSTMENT);
    granted.set_note(command.reason);
  } else {
    v1::PointsDebited& debited = *envelope.mutable_event()->mutable_points_debited();
    debited.set_member_id(command.member_id);
    debited.set_points(command.points);
    debited.set_reason(v1::DEBIT_REASON_ADJUSTMENT);
    debited.set_note(command.reason);
  }
  return envelope;
}

}  // namespace

absl::StatusOr<absl::CivilDay> BirthdayBonusDueDay(const v1::LocalDate& birth_date,
                                                   int64_t year) {
  const int month = birth_date.month();
  const int day = birth_date.day();
  const absl::CivilDay in_leap_year(2000, month, day);
  if (month < 1 || month > 12 || day < 1 || in_leap_year.month() != month ||
      in_leap_year.day() != day) {
    return absl::InvalidArgumentError(
        absl::StrCat(birth_date.year(), "-", month, "-", day, " is not a calendar date"));
  }
  // The day before the first of the next month: 28 or 29 February for a
  // February birthday, 29 February included.
  return absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1;
}

std::vector<int32_t> BirthdayYearsOpen(const MemberAccount& account, absl::CivilDay today) {
  std::vector<int32_t> years;
  if (account.erased) return years;
  const absl::CivilDay enrolled_day = LocalDayOf(account.enrolled_at_us);
  for (int64_t year = today.year() - 1; year <= today.year(); ++year) {
    if (account.birthday_grants.contains(static_cast<int32_t>(year))) continue;
    // The bonus of a year goes to the members enrolled by its end.
    if (enrolled_day > absl::CivilDay(year, 12, 31)) continue;
    years.push_back(static_cast<int32_t>(year));
  }
  return years;
}

absl::StatusOr<Events> DecideRedeem(const DecisionState& state, const Redeem& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("redemption_id", command.redemption_id);
  if (status.ok()) status = CheckPositive("points", command.points, kMaxPointsPerEvent);
  if (status.ok()) status = CheckOptionalNote("reward", command.reward);
  if (!status.ok()) return status;
  absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, command.member_id);
  if (!account.ok()) return account.status();
  status = CheckNotErased(command.member_id, **account);
  if (!status.ok()) return status;
  if ((*account)->redemption_ids.contains(command.redemption_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("redemption_id: ", Quoted(command.redemption_id), " is already recorded"));
  }
  const int64_t available =
      *state.balances.BalancePointsAt(command.member_id, command.occurred_at_us);
  if (command.points > available) {
    return absl::FailedPreconditionError(absl::StrCat("points: member ", Quoted(command.member_id),
                                                      " requested ", command.points,
                                                      " points but has ", available, " available"));
  }
  return Events{RedemptionEnvelope(command)};
}

absl::StatusOr<Events> DecideAdjust(const DecisionState& state, const Adjust& command) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (status.ok()) status = CheckCommandId("adjustment_id", command.adjustment_id);
  if (status.ok()) status = CheckPositive("points", command.points, kMaxPointsPerEvent);
  if (status.ok()) status = CheckNote("reason", command.reason);
  if (!status.ok()) return status;
  absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, command.member_id);
  if (!account.ok()) return account.status();
  return Events{AdjustmentEnvelope(command)};
}

absl::StatusOr<Events> DecideBirthdayBonuses(const DecisionState& state,
                                             const GrantBirthdayBonuses& command,
                                             const BirthDates& birth_dates) {
  absl::Status status = CheckOccurredAtAndActor(command.occurred_at_us, command.actor_id);
  if (!status.ok()) return status;
  const absl::CivilDay today = LocalDayOf(command.occurred_at_us);
  std::vector<const std::string*> member_ids;
  for (const auto& [member_id, date] : birth_dates) member_ids.push_back(&member_id);
  std::sort(member_ids.begin(), member_ids.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  Events events;
  for (const std::string* member_id : member_ids) {
    absl::StatusOr<const MemberAccount*> account = FindEnrolled(state.balances, *member_id);
    if (!account.ok()) return account.status();
    for (int32_t year : BirthdayYearsOpen(**account, today)) {
      absl::StatusOr<absl::CivilDay> due = DueDayOf(*member_id, birth_dates.at(*member_id), year);
      if (!due.ok()) return due.status();
      if (*due > today) continue;
      events.push_back(
          BirthdayGrant(*member_id, year, state.policy.birthday_bonus_points(), command));
    }
  }
  return events;
}

std::vector<uint64_t> BirthdayGrantsOn(const BalanceProjection& balances, absl::CivilDay day) {
  std::vector<uint64_t> sequences;
  for (const auto& [member_id, account] : balances.members()) {
    // A run grants the bonuses of its own year and of the year before.
    for (int64_t year = day.year() - 1; year <= day.year(); ++year) {
      auto grant = account.birthday_grants.find(static_cast<int32_t>(year));
      if (grant != account.birthday_grants.end() &&
          LocalDayOf(grant->second.granted_at_us) == day) {
        sequences.push_back(grant->second.sequence);
      }
    }
  }
  std::sort(sequences.begin(), sequences.end());
  return sequences;
}

}  // namespace loyalty::projections
