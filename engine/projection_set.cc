#include "engine/projection_set.h"

#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "projections/local_time.h"
#include "projections/scorecard.h"

namespace loyalty::internal {
namespace {

constexpr char kBirthDatesName[] = "birth-dates";

// "member\tYYYY-MM-DD\n" lines in member order: deterministic and small.
std::string EncodeBirthDates(const projections::BirthDates& dates) {
  std::vector<std::pair<std::string, v1::LocalDate>> sorted(dates.begin(), dates.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [member, date] : sorted) {
    absl::StrAppend(&out, member, "\t", date.year(), "-", date.month(), "-", date.day(), "\n");
  }
  return out;
}

absl::Status DecodeBirthDates(absl::string_view bytes, projections::BirthDates* dates) {
  dates->clear();
  for (absl::string_view line : absl::StrSplit(bytes, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    std::vector<absl::string_view> parts =
        fields.size() == 2 ? absl::StrSplit(fields[1], '-') : std::vector<absl::string_view>();
    int year = 0, month = 0, day = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &year) ||
        !absl::SimpleAtoi(parts[1], &month) || !absl::SimpleAtoi(parts[2], &day)) {
      return absl::DataLossError(absl::StrCat("birth-date checkpoint: bad line \"", line, "\""));
    }
    v1::LocalDate date;
    date.set_year(year);
    date.set_month(month);
    date.set_day(day);
    (*dates)[std::string(fields[0])] = date;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ProjectionSet::Apply(const v1::Envelope& envelope) {
  for (projections::Projection* projection : all()) {
    absl::Status status = projection->Apply(envelope);
    if (!status.ok()) return status;
  }
  IndexBirthDate(envelope);
  return absl::OkStatus();
}

void ProjectionSet::IndexBirthDate(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  const v1::Personal* personal = nullptr;
  std::string member_id;
  if (event.has_member_enrolled()) {
    personal = &event.member_enrolled().personal();
    member_id = event.member_enrolled().member_id();
  } else if (event.has_member_profile_updated()) {
    personal = &event.member_profile_updated().personal();
    member_id = event.member_profile_updated().member_id();
  } else if (event.has_member_erased()) {
    birth_dates_.erase(event.member_erased().member_id());
    return;
  }
  if (personal == nullptr) return;
  if (personal->has_plain() && personal->plain().has_birth_date()) {
    birth_dates_[member_id] = personal->plain().birth_date();
  } else {
    birth_dates_.erase(member_id);
  }
}

void ProjectionSet::AdvanceTo(int64_t instant_us) {
  for (projections::Projection* projection : all()) projection->AdvanceTo(instant_us);
}

ProjectionCheckpoint ProjectionSet::ToCheckpoint(uint64_t applied_sequence) const {
  ProjectionCheckpoint checkpoint;
  checkpoint.applied_sequence = applied_sequence;
  for (const projections::Projection* projection : all()) {
    checkpoint.states.emplace_back(std::string(projection->name()), projection->CanonicalState());
  }
  checkpoint.states.emplace_back(kBirthDatesName, EncodeBirthDates(birth_dates_));
  return checkpoint;
}

absl::Status ProjectionSet::Restore(const ProjectionCheckpoint& checkpoint) {
  auto find = [&](absl::string_view name) -> const std::string* {
    for (const auto& [state_name, state] : checkpoint.states) {
      if (state_name == name) return &state;
    }
    return nullptr;
  };
  for (projections::Projection* projection : all()) {
    const std::string* state = find(projection->name());
    if (state == nullptr) {
      return absl::DataLossError(absl::StrCat("checkpoint at sequence ",
                                              checkpoint.applied_sequence, " has no state for ",
                                              projection->name()));
    }
    absl::Status status = projection->Restore(*state);
    if (!status.ok()) return status;
  }
  const std::string* dates = find(kBirthDatesName);
  return dates == nullptr ? absl::OkStatus() : DecodeBirthDates(*dates, &birth_dates_);
}

bool ProjectionSet::HasEveryState(const ProjectionCheckpoint& checkpoint) const {
  for (const projections::Projection* projection : all()) {
    bool found = false;
    for (const auto& [name, state] : checkpoint.states) found = found || name == projection->name();
    if (!found) return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<ProjectionSet>> ProjectionSet::Copy() const {
  auto copy = std::make_unique<ProjectionSet>();
  absl::Status status = copy->Restore(ToCheckpoint(0));
  if (!status.ok()) return status;
  return copy;
}

std::vector<ProjectionDigest> ProjectionSet::Digests() const {
  std::vector<ProjectionDigest> digests;
  for (const projections::Projection* projection : all()) {
    digests.push_back({std::string(projection->name()), projection->Digest()});
  }
  std::sort(digests.begin(), digests.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return digests;
}

absl::StatusOr<MemberView> MakeMemberView(const ProjectionSet& set, const std::string& member_id) {
  const projections::MemberAccount* account = set.balances().FindMember(member_id);
  if (account == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id: \"", member_id, "\" is not enrolled"));
  }
  MemberView view;
  view.member_id = member_id;
  view.erased = account->erased;
  view.enrolled_at_us = account->enrolled_at_us;
  view.available_points = std::max<int64_t>(account->balance_points(), 0);
  view.debt_points = account->debt_points;
  view.earned_points_total = account->granted_points_total;
  view.redeemed_points_total = account->redeemed_points_total;
  view.expired_points_total = account->expired_points_total;
  view.clawed_back_points_total = account->clawed_back_points_total;
  view.last_activity_at_us = account->last_activity_at_us;
  for (const projections::Lot& lot : account->lots) {
    if (lot.points_remaining == 0) continue;
    view.lots.push_back(
        {lot.points_remaining, lot.granted_at_us, lot.expires_at_us, lot.reason, lot.source_id});
  }
  std::stable_sort(view.lots.begin(), view.lots.end(), [](const LotView& a, const LotView& b) {
    return a.expires_at_us < b.expires_at_us;
  });
  if (const projections::MemberTier* tier = set.tiers().FindMember(member_id)) {
    view.tier = tier->tier;
    view.tier_protected_until_us = tier->protected_until_us;
    view.qualifying_spend_fen =
        tier->QualifyingSpendAt(tier->now_us, set.tiers().policy().window_us());
    for (const projections::TierChange& change : tier->history) {
      view.tier_history.push_back(
          {change.at_us, change.from, change.to,
           change.cause == projections::TierChangeCause::kUpgrade ? "upgrade" : "reevaluation",
           change.qualifying_spend_fen});
    }
  }
  // The member's own clock: a full replay and a replay of the member's
  // stream agree on it, whatever other members did.
  view.as_of_sequence = set.balances().last_sequence();
  view.as_of_us = account->now_us;
  return view;
}

ProgramView MakeProgramView(const ProjectionSet& set) {
  return MakeProgramView(set, set.complaints().now_us());
}

ProgramView MakeProgramView(const ProjectionSet& set, int64_t sla_as_of_us) {
  ProgramView view;
  view.as_of_sequence = set.balances().last_sequence();
  view.as_of_us = set.balances().now_us();
  const projections::TierDistribution tiers = set.tiers().Distribution();
  view.tiers = {tiers.regular, tiers.silver, tiers.gold, tiers.platinum};
  view.liability.outstanding_points = set.balances().OutstandingPoints();
  view.liability.debt_points = set.balances().DebtPoints();
  view.liability.members = static_cast<int64_t>(set.balances().members().size());
  absl::btree_map<std::string, int64_t> expiring;
  for (const auto& [member_id, account] : set.balances().members()) {
    for (const projections::Lot& lot : account.lots) {
      if (lot.points_remaining == 0) continue;
      const absl::CivilDay day = projections::LocalDayOf(lot.expires_at_us);
      expiring[absl::StrFormat("%04d-%02d", day.year(), day.month())] += lot.points_remaining;
    }
  }
  view.liability.expiring_by_month.assign(expiring.begin(), expiring.end());
  for (const projections::PartnerScorecard& card :
       projections::MakePartnerScorecards(set.partners(), set.complaints(), sla_as_of_us)) {
    const projections::PartnerScore& score = card.score;
    PartnerScorecard& partner = view.partners.emplace_back();
    partner.partner_id = card.partner_id;
    partner.gross_sales_fen = score.gross_sales_fen;
    partner.refunded_fen = score.refunded_fen;
    partner.net_sales_fen = score.net_sales_fen();
    partner.purchase_count = score.purchase_count;
    partner.refund_count = score.refund_count;
    partner.refund_rate_bp = score.refund_rate_bp();
    partner.points_issued = score.points_issued;
    partner.complaint_count = score.complaint_count;
    partner.sla_met = card.sla.met;
    partner.sla_breached = card.sla.breached;
    partner.sla_compliance_bp = card.sla.compliance_bp().value_or(-1);
    partner.average_satisfaction_centi = score.average_satisfaction_centi().value_or(-1);
  }
  view.digests = set.Digests();
  return view;
}

}  // namespace loyalty::internal
