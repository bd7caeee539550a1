// Every projection the engine keeps, applied together in log order.
#ifndef LOYALTY_REPLAY_PROJECTION_SET_H_
#define LOYALTY_REPLAY_PROJECTION_SET_H_

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "replay/checkpoint.h"
#include "loyalty/metrics.h"
#include "loyalty/views.h"
#include "projections/balances.h"
#include "projections/calendar.h"
#include "projections/complaint_deciders.h"
#include "projections/complaints.h"
#include "projections/contact_consent.h"
#include "projections/deciders.h"
#include "projections/partners.h"
#include "projections/policy_projection.h"
#include "projections/survey_deciders.h"
#include "projections/tiers.h"

namespace loyalty::internal {

class ProjectionSet {
 public:
  ProjectionSet() = default;
  ProjectionSet(const ProjectionSet&) = delete;
  ProjectionSet& operator=(const ProjectionSet&) = delete;

  // What the set keeps of each member beside the projections: nothing
  // personal, and not part of any digest.
  struct MemberIndexEntry {
    // The sequence of the latest event carrying the member's personal data
    // (enrolment or profile update); 0 if none, or since erasure.
    uint64_t personal_sequence = 0;
    // The latest occurred-at of the member's survey answers; 0 if none.
    int64_t last_survey_at_us = 0;
  };
  using MemberIndex = absl::flat_hash_map<std::string, MemberIndexEntry>;

  // Applies one event to every projection, the member index and the
  // consents:
  // ApplyMemberHalf, then ApplyProgramHalf.
  absl::Status Apply(const v1::Envelope& envelope);
  // The two halves of Apply. They read and write disjoint state, so two
  // threads may run them at once, each half's events in log order
  // (engine/set_replay.h). The member half: balances, tiers, the member
  // index, the consents and member snapshots. The program half: policies, partners, the
  // calendar and complaints.
  absl::Status ApplyMemberHalf(const v1::Envelope& envelope);
  absl::Status ApplyProgramHalf(const v1::Envelope& envelope);
  // Projection::Prefetch of each half's projections.
  void PrefetchMemberHalf(const v1::Envelope& envelope,
                          projections::Projection::PrefetchStep step) const;
  void PrefetchProgramHalf(const v1::Envelope& envelope,
                           projections::Projection::PrefetchStep step) const;
  // Time-driven effects of every projection up to `instant_us`.
  void AdvanceTo(int64_t instant_us);

  // From now on, after every `every_events`-th event of each member's own
  // stream (versions every_events, 2 * every_events, ...), keeps a snapshot
  // of that member (projections/member_snapshot.h) until TakeMemberSnapshots.
  // 0 (the default): none.
  void KeepMemberSnapshots(uint64_t every_events) { snapshot_every_events_ = every_events; }
  // The member snapshots kept since the last call, in log order.
  std::vector<StoredMemberSnapshot> TakeMemberSnapshots() {
    return std::exchange(member_snapshots_, {});
  }

  // The checkpoint of every projection at `applied_sequence` (without member
  // snapshots).
  ProjectionCheckpoint ToCheckpoint(uint64_t applied_sequence) const;
  // Restores every projection from `checkpoint`; DataLoss if one is missing.
  absl::Status Restore(const ProjectionCheckpoint& checkpoint);
  // Whether `checkpoint` holds a state in this build's format for every
  // projection of the set (one saved by a build with fewer projections or an
  // older state format does not).
  bool HasEveryState(const ProjectionCheckpoint& checkpoint) const;
  // A copy, through the canonical states.
  absl::StatusOr<std::unique_ptr<ProjectionSet>> Copy() const;

  // The anomalies the projections hold (projections/anomaly.h): those kept,
  // by sequence then projection name, and how many in all.
  AnomaliesView Anomalies() const;
  // How many anomalies each projection holds, by projection name.
  std::vector<ProjectionAnomalies> AnomalyCounts() const;

  // Digests of the projections, by name (the member index is not a
  // projection and has none).
  std::vector<ProjectionDigest> Digests() const;
  // The same from a checkpoint of the set: equal to Digests() of the set it
  // was taken from, without serializing the projections again.
  static std::vector<ProjectionDigest> DigestsOf(const ProjectionCheckpoint& checkpoint);

  projections::DecisionState decision_state() const {
    return projections::DecisionState{policies_.policy(), balances_, tiers_};
  }
  projections::ComplaintDecisionState complaint_decision_state() const {
    return projections::ComplaintDecisionState{balances_, complaints_};
  }
  projections::SurveyDecisionState survey_decision_state() const {
    return projections::SurveyDecisionState{balances_, complaints_, partners_};
  }
  const MemberIndex& member_index() const { return member_index_; }
  const projections::ContactConsents& contacts() const { return contacts_; }
  const projections::BalanceProjection& balances() const { return balances_; }
  const projections::TierProjection& tiers() const { return tiers_; }
  const projections::PartnerProjection& partners() const { return partners_; }
  const projections::PolicyProjection& policies() const { return policies_; }
  const projections::CalendarProjection& calendar() const { return calendar_; }
  const projections::ComplaintProjection& complaints() const { return complaints_; }

 private:
  std::array<projections::Projection*, 6> all() {
    return {&policies_, &balances_, &tiers_, &partners_, &calendar_, &complaints_};
  }
  std::array<const projections::Projection*, 6> all() const {
    return {&policies_, &balances_, &tiers_, &partners_, &calendar_, &complaints_};
  }
  // `applied_by_balances`: whether the balances applied the event without
  // recording an anomaly.
  void IndexMember(const v1::Envelope& envelope, bool applied_by_balances);
  absl::Status KeepMemberSnapshot(const v1::Envelope& envelope);

  projections::PolicyProjection policies_;
  projections::BalanceProjection balances_;
  projections::TierProjection tiers_;
  projections::PartnerProjection partners_;
  projections::CalendarProjection calendar_;
  projections::ComplaintProjection complaints_;
  // Which event holds each member's personal data (the birthday job reads
  // birth dates through it, decrypting), and survey activity (retention).
  // Checkpointed with the projections.
  MemberIndex member_index_;
  // The consents of record, for Engine::Contactable. Checkpointed with the
  // projections; not part of any digest.
  projections::ContactConsents contacts_;
  uint64_t snapshot_every_events_ = 0;
  std::vector<StoredMemberSnapshot> member_snapshots_;
};

// Fills a MemberView from the projections; NotFound for an unknown member.
absl::StatusOr<MemberView> MakeMemberView(const ProjectionSet& set, const std::string& member_id);
// The same from the two projections a member's view is made of.
absl::StatusOr<MemberView> MakeMemberView(const projections::BalanceProjection& balances,
                                          const projections::TierProjection& tiers,
                                          const std::string& member_id);
// The same from the member's account and tier (nullptr: none yet), the tier
// policy's window, and the last event of the member or of the policies
// applied to them.
MemberView MakeMemberView(const std::string& member_id, const projections::MemberAccount& account,
                          const projections::MemberTier* tier, int64_t tier_window_us,
                          uint64_t as_of_sequence);

// Fills the whole-program figures from the projections, the partners' SLA
// figures evaluated at `sla_as_of_us`.
ProgramView MakeProgramView(const ProjectionSet& set, int64_t sla_as_of_us);
// The same, the SLA figures evaluated at the business time the projections
// reached (the complaint projection's now).
ProgramView MakeProgramView(const ProjectionSet& set);
// What MakeProgramView(copy, instant_us) gives for a copy of `set` advanced
// to `instant_us` (AdvanceTo), digests aside (those of `set` itself),
// without the copy: lots that expire before the instant are left out and
// tiers are re-evaluated as advancing would, member by member, changing
// nothing. A program query "now" answers from the live set this way.
ProgramView MakeProgramViewAt(const ProjectionSet& set, int64_t instant_us);

}  // namespace loyalty::internal

#endif  // LOYALTY_REPLAY_PROJECTION_SET_H_
