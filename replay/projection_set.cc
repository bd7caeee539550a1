#include "replay/projection_set.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/container/btree_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "projections/local_time.h"
#include "projections/member_snapshot.h"
#include "projections/member_time.h"
#include "projections/replay.h"
#include "projections/scorecard.h"

namespace loyalty::internal {
namespace {

constexpr char kMemberIndexName[] = "member-index";
// The consents of record (projections/contact_consent.h): checkpointed beside
// the projections, not a projection, no digest.
constexpr char kContactConsentsName[] = "contact-consents";

// The first line of the member index since member ids are escaped: no line
// of the format before has no tab.
constexpr absl::string_view kMemberIndexEscapedIds = "member-index/escaped-ids";

// kMemberIndexEscapedIds, then "member\tpersonal_sequence\tlast_survey_at_us\n"
// lines in member order: deterministic and small, and no personal value.
// Member ids are C-escaped, since one may hold a tab or a newline.
std::string EncodeMemberIndex(const ProjectionSet::MemberIndex& index) {
  std::vector<std::pair<std::string, ProjectionSet::MemberIndexEntry>> sorted(index.begin(),
                                                                             index.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = absl::StrCat(kMemberIndexEscapedIds, "\n");
  for (const auto& [member, entry] : sorted) {
    absl::StrAppend(&out, absl::CEscape(member), "\t", entry.personal_sequence, "\t",
                    entry.last_survey_at_us, "\n");
  }
  return out;
}

absl::Status DecodeMemberIndex(absl::string_view bytes, ProjectionSet::MemberIndex* index) {
  index->clear();
  // Checkpoints of the builds before kept the ids as they are.
  const bool escaped = absl::ConsumePrefix(&bytes, absl::StrCat(kMemberIndexEscapedIds, "\n"));
  for (absl::string_view line : absl::StrSplit(bytes, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    ProjectionSet::MemberIndexEntry entry;
    std::string member;
    if (fields.size() == 3 && !escaped) member = std::string(fields[0]);
    if (fields.size() != 3 || (escaped && !absl::CUnescape(fields[0], &member)) ||
        !absl::SimpleAtoi(fields[1], &entry.personal_sequence) ||
        !absl::SimpleAtoi(fields[2], &entry.last_survey_at_us)) {
      return absl::DataLossError(absl::StrCat("member-index checkpoint: bad line \"", line, "\""));
    }
    (*index)[std::move(member)] = entry;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ProjectionSet::Apply(const v1::Envelope& envelope) {
  absl::Status status = ApplyMemberHalf(envelope);
  return status.ok() ? ApplyProgramHalf(envelope) : status;
}

absl::Status ProjectionSet::ApplyMemberHalf(const v1::Envelope& envelope) {
  const uint64_t anomalies_before = balances_.anomalies().count();
  absl::Status status = balances_.Apply(envelope);
  if (status.ok()) status = tiers_.Apply(envelope);
  if (!status.ok()) return status;
  IndexMember(envelope, balances_.anomalies().count() == anomalies_before);
  contacts_.Apply(envelope);
  return KeepMemberSnapshot(envelope);
}

absl::Status ProjectionSet::ApplyProgramHalf(const v1::Envelope& envelope) {
  for (projections::Projection* projection :
       std::array<projections::Projection*, 4>{&policies_, &partners_, &calendar_, &complaints_}) {
    absl::Status status = projection->Apply(envelope);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

void ProjectionSet::PrefetchMemberHalf(const v1::Envelope& envelope,
                                       projections::Projection::PrefetchStep step) const {
  balances_.Prefetch(envelope, step);
  tiers_.Prefetch(envelope, step);
}

void ProjectionSet::PrefetchProgramHalf(const v1::Envelope& envelope,
                                        projections::Projection::PrefetchStep step) const {
  partners_.Prefetch(envelope, step);
}

absl::Status ProjectionSet::KeepMemberSnapshot(const v1::Envelope& envelope) {
  if (snapshot_every_events_ == 0 || envelope.stream_version() % snapshot_every_events_ != 0) {
    return absl::OkStatus();
  }
  const absl::string_view member_id = projections::MemberIdOfStream(envelope.stream_id());
  // A stream of a member never enrolled (its events are anomalies) has none.
  if (member_id.empty() || balances_.FindMember(member_id) == nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> bytes = projections::EncodeMemberSnapshot(
      balances_, tiers_, member_id, {envelope.sequence(), envelope.stream_version()});
  if (!bytes.ok()) return bytes.status();
  member_snapshots_.push_back({std::string(member_id), envelope.sequence(), *std::move(bytes)});
  return absl::OkStatus();
}

void ProjectionSet::IndexMember(const v1::Envelope& envelope, bool applied_by_balances) {
  const v1::Event& event = envelope.event();
  // Personal data of record comes only from events of the member's own
  // stream that the balances applied: not from a second enrolment, nor from
  // an event off the member's stream.
  if ((event.has_member_enrolled() || event.has_member_profile_updated() ||
       event.has_member_erased()) &&
      (!applied_by_balances || projections::TimeOwningMemberId(envelope).empty())) {
    return;
  }
  if (event.has_member_enrolled()) {
    const v1::MemberEnrolled& enrolled = event.member_enrolled();
    member_index_[enrolled.member_id()].personal_sequence =
        enrolled.has_personal() && enrolled.personal().form_case() != v1::Personal::FORM_NOT_SET
            ? envelope.sequence()
            : 0;
  } else if (event.has_member_profile_updated()) {
    const v1::MemberProfileUpdated& updated = event.member_profile_updated();
    member_index_[updated.member_id()].personal_sequence =
        updated.personal().form_case() != v1::Personal::FORM_NOT_SET ? envelope.sequence() : 0;
  } else if (event.has_member_erased()) {
    member_index_[event.member_erased().member_id()].personal_sequence = 0;
  } else if (event.has_survey_answered()) {
    // A survey of a member never enrolled (an anomaly of the balances)
    // counts for no member.
    if (balances_.FindMember(event.survey_answered().member_id()) == nullptr) return;
    MemberIndexEntry& entry = member_index_[event.survey_answered().member_id()];
    entry.last_survey_at_us = std::max(entry.last_survey_at_us, envelope.occurred_at_us());
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
  checkpoint.states.emplace_back(kMemberIndexName, EncodeMemberIndex(member_index_));
  checkpoint.states.emplace_back(kContactConsentsName, contacts_.Encode());
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
  const std::string* index = find(kMemberIndexName);
  if (index == nullptr) {
    return absl::DataLossError(absl::StrCat("checkpoint at sequence ", checkpoint.applied_sequence,
                                            " has no state for ", kMemberIndexName));
  }
  absl::Status status = DecodeMemberIndex(*index, &member_index_);
  if (!status.ok()) return status;
  const std::string* contacts = find(kContactConsentsName);
  if (contacts == nullptr) {
    return absl::DataLossError(absl::StrCat("checkpoint at sequence ", checkpoint.applied_sequence,
                                            " has no state for ", kContactConsentsName));
  }
  return contacts_.Decode(*contacts);
}

bool ProjectionSet::HasEveryState(const ProjectionCheckpoint& checkpoint) const {
  for (const projections::Projection* projection : all()) {
    bool found = false;
    for (const auto& [name, state] : checkpoint.states) {
      if (name != projection->name()) continue;
      // A state in an older format is as good as missing: rebuilt too.
      projections::state::HeaderOnly header_only;
      found = header_only.ParseFromString(state) &&
              header_only.header().format_version() == projections::kStateFormatVersion;
    }
    if (!found) return false;
  }
  // Checkpoints of builds that kept birth dates in the clear lack the index:
  // they are rebuilt from the log (and their dates overwritten). Those of
  // builds before the consents were kept lack them, and are rebuilt too.
  bool has_index = false;
  bool has_contacts = false;
  for (const auto& [name, state] : checkpoint.states) {
    has_index = has_index || name == kMemberIndexName;
    has_contacts = has_contacts || name == kContactConsentsName;
  }
  return has_index && has_contacts;
}

absl::StatusOr<std::unique_ptr<ProjectionSet>> ProjectionSet::Copy() const {
  auto copy = std::make_unique<ProjectionSet>();
  absl::Status status = copy->Restore(ToCheckpoint(0));
  if (!status.ok()) return status;
  return copy;
}

AnomaliesView ProjectionSet::Anomalies() const {
  AnomaliesView view;
  for (const projections::Projection* projection : all()) {
    view.count += projection->anomalies().count();
    for (const projections::Anomaly& anomaly : projection->anomalies().kept()) {
      view.anomalies.push_back({anomaly.sequence, anomaly.stream_id,
                                std::string(projection->name()), anomaly.rule, anomaly.message});
    }
  }
  // Stable: one projection's anomalies of one event stay in the order recorded.
  std::stable_sort(view.anomalies.begin(), view.anomalies.end(),
                   [](const AnomalyView& a, const AnomalyView& b) {
                     return std::tie(a.sequence, a.projection) < std::tie(b.sequence, b.projection);
                   });
  return view;
}

std::vector<ProjectionAnomalies> ProjectionSet::AnomalyCounts() const {
  std::vector<ProjectionAnomalies> counts;
  for (const projections::Projection* projection : all()) {
    counts.push_back({std::string(projection->name()), projection->anomalies().count()});
  }
  std::sort(counts.begin(), counts.end(),
            [](const auto& a, const auto& b) { return a.projection < b.projection; });
  return counts;
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

std::vector<ProjectionDigest> ProjectionSet::DigestsOf(const ProjectionCheckpoint& checkpoint) {
  std::vector<ProjectionDigest> digests;
  for (const auto& [name, state] : checkpoint.states) {
    if (name == kMemberIndexName || name == kContactConsentsName) continue;
    digests.push_back({name, projections::DigestOf(state)});
  }
  std::sort(digests.begin(), digests.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return digests;
}

absl::StatusOr<MemberView> MakeMemberView(const ProjectionSet& set, const std::string& member_id) {
  return MakeMemberView(set.balances(), set.tiers(), member_id);
}

absl::StatusOr<MemberView> MakeMemberView(const projections::BalanceProjection& balances,
                                          const projections::TierProjection& tiers,
                                          const std::string& member_id) {
  const projections::MemberAccount* account = balances.FindMember(member_id);
  if (account == nullptr) {
    return absl::NotFoundError(absl::StrCat("member_id: \"", member_id, "\" is not enrolled"));
  }
  // The member's own clock: a full replay and a replay of the member's
  // stream agree on it, whatever other members did.
  return MakeMemberView(member_id, *account, tiers.FindMember(member_id),
                        tiers.policy().window_us(), balances.last_sequence());
}

MemberView MakeMemberView(const std::string& member_id, const projections::MemberAccount& account,
                          const projections::MemberTier* tier, int64_t tier_window_us,
                          uint64_t as_of_sequence) {
  MemberView view;
  view.member_id = member_id;
  view.erased = account.erased;
  view.enrolled_at_us = account.enrolled_at_us;
  view.available_points = std::max<int64_t>(account.balance_points(), 0);
  view.debt_points = account.debt_points;
  view.earned_points_total = account.granted_points_total;
  view.redeemed_points_total = account.redeemed_points_total;
  view.expired_points_total = account.expired_points_total;
  view.clawed_back_points_total = account.clawed_back_points_total;
  view.last_activity_at_us = account.last_activity_at_us;
  for (const projections::Lot& lot : account.lots) {
    if (lot.points_remaining == 0) continue;
    view.lots.push_back(
        {lot.points_remaining, lot.granted_at_us, lot.expires_at_us, lot.reason, lot.source_id});
  }
  std::stable_sort(view.lots.begin(), view.lots.end(), [](const LotView& a, const LotView& b) {
    return a.expires_at_us < b.expires_at_us;
  });
  if (tier != nullptr) {
    view.tier = tier->tier;
    view.tier_protected_until_us = tier->protected_until_us;
    view.qualifying_spend_fen = tier->QualifyingSpendAt(tier->now_us, tier_window_us);
    for (const projections::TierChange& change : tier->history) {
      view.tier_history.push_back(
          {change.at_us, change.from, change.to,
           change.cause == projections::TierChangeCause::kUpgrade ? "upgrade" : "reevaluation",
           change.qualifying_spend_fen});
    }
  }
  view.as_of_sequence = as_of_sequence;
  view.as_of_us = account.now_us;
  return view;
}

namespace {

// The program as of `instant_us` (lots expiring before it left out, tiers
// re-evaluated up to it; the minimum: each member as of its own now), the
// SLA figures at `sla_as_of_us`. Reads `set` only.
ProgramView ProgramViewOf(const ProjectionSet& set, int64_t instant_us, int64_t sla_as_of_us) {
  ProgramView view;
  view.as_of_sequence = set.balances().last_sequence();
  view.as_of_us = std::max(set.balances().now_us(), instant_us);
  const projections::TierDistribution tiers = set.tiers().DistributionAt(instant_us);
  view.tiers = {tiers.regular, tiers.silver, tiers.gold, tiers.platinum};
  view.liability.outstanding_points = set.balances().OutstandingPointsAt(instant_us);
  view.liability.debt_points = set.balances().DebtPoints();
  view.liability.members = static_cast<int64_t>(set.balances().members().size());
  absl::btree_map<std::string, int64_t> expiring;
  for (const auto& [member_id, account] : set.balances().members()) {
    for (const projections::Lot& lot : account.lots) {
      if (lot.points_remaining == 0 || lot.expires_at_us < instant_us) continue;
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
  return view;
}

}  // namespace

ProgramView MakeProgramView(const ProjectionSet& set) {
  return MakeProgramView(set, set.complaints().now_us());
}

ProgramView MakeProgramView(const ProjectionSet& set, int64_t sla_as_of_us) {
  ProgramView view = ProgramViewOf(set, std::numeric_limits<int64_t>::min(), sla_as_of_us);
  view.digests = set.Digests();
  return view;
}

ProgramView MakeProgramViewAt(const ProjectionSet& set, int64_t instant_us) {
  ProgramView view = ProgramViewOf(set, instant_us, instant_us);
  view.digests = set.Digests();
  return view;
}

}  // namespace loyalty::internal
