// What the projections whose members each keep their own now share
// (BalanceProjection, TierProjection): the members by id, the policy in
// force, the position and the anomalies, and the steps of Apply around the
// event itself (projection.h states the time rule). Internal to
// projections/.
#ifndef LOYALTY_PROJECTIONS_MEMBER_PROJECTION_H_
#define LOYALTY_PROJECTIONS_MEMBER_PROJECTION_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/anomaly.h"
#include "projections/apply_in_order.h"
#include "projections/home_stream.h"
#include "projections/member_time.h"
#include "projections/policy.h"
#include "projections/projection.h"
#include "projections/replay.h"

namespace loyalty::projections {

// `Member` is one member's state (MemberAccount, MemberTier).
template <typename Member>
class MemberProjection : public Projection {
 public:
  const AnomalyLog& anomalies() const override { return anomalies_; }

  // The member's state, or nullptr if the member was never enrolled.
  const Member* FindMember(absl::string_view member_id) const {
    auto it = members_.find(member_id);
    return it == members_.end() ? nullptr : &it->second;
  }

  // Every member, by id, in no particular order (CanonicalState sorts them).
  const absl::flat_hash_map<std::string, Member>& members() const { return members_; }

  const Policy& policy() const { return policy_; }
  // The latest instant any event or AdvanceTo reached (the state's header).
  // No member's state depends on it: each has its own now.
  int64_t now_us() const { return position_.now_us(); }
  uint64_t last_sequence() const { return position_.last_sequence(); }

  // The state grows with the members: it is written one member at a time
  // (WriteCanonicalState), collected or hashed as it comes, never held whole
  // as a message.
  std::string CanonicalState() const final {
    return CollectCanonical([this](CanonicalSink sink) { WriteCanonicalState(sink); });
  }
  Hash Digest() const final {
    return DigestCanonical([this](CanonicalSink sink) { WriteCanonicalState(sink); });
  }

 protected:
  // The canonical state through `sink`; WriteMemberState does it.
  virtual void WriteCanonicalState(CanonicalSink sink) const = 0;

  // Writes the state message `State` (header, policy, repeated members,
  // anomalies, in that field order) field by field: the header of
  // projection `name` and the policy, then each member in id order as
  // `fill(member_id, member, &message)` fills it into one `MemberState`
  // message reused for the next, then the anomalies. Byte for byte the
  // deterministic serialization of the whole message.
  template <typename State, typename MemberState, typename Fill>
  void WriteMemberState(absl::string_view name, Fill&& fill, CanonicalSink sink) const {
    static_assert(State::kHeaderFieldNumber < State::kMembersFieldNumber &&
                      State::kPolicyFieldNumber < State::kMembersFieldNumber &&
                      State::kMembersFieldNumber < State::kAnomaliesFieldNumber,
                  "the members are written between the policy and the anomalies");
    State head;
    *head.mutable_header() = position_.ToHeader(name);
    *head.mutable_policy() = policy_.values();
    sink(SerializeDeterministic(head));
    MemberState member;
    std::string scratch;
    for (const auto* entry : SortedByKey(members_)) {
      member.Clear();
      fill(entry->first, entry->second, &member);
      WriteRepeatedElement(State::kMembersFieldNumber, member, &scratch, sink);
    }
    State tail;
    SetAnomalies(anomalies_, &tail);
    sink(SerializeDeterministic(tail));
  }

  // Apply: moves the projection-wide now to the event's occurred-at. An
  // event of a member's kind or a PolicySet off its home stream is recorded
  // and goes no further (home_stream.h). Otherwise `advance(member)` moves
  // the member whose stream holds the event (if any, and enrolled) to its
  // occurred-at, and `dispatch()` applies the event with that member as
  // the own member (MemberFor).
  template <typename Advance, typename Dispatch>
  absl::Status ApplyOnMemberTime(const v1::Envelope& envelope, Advance&& advance,
                                 Dispatch&& dispatch) {
    return ApplyInOrder(envelope, &position_, [&] {
      position_.MoveTo(envelope.occurred_at_us());
      const v1::Event& event = envelope.event();
      const bool checks_home = IsMemberStreamKind(event) || event.has_policy_set();
      if (checks_home && RecordIfMisplaced(envelope, &anomalies_)) return;
      AdvanceOwnMember(envelope, advance);
      dispatch();
      own_member_ = nullptr;
      own_member_id_ = {};
    });
  }

  // The member `member_id` names; nullptr, recording member_not_enrolled,
  // for a member not enrolled.
  Member* MemberFor(const v1::Envelope& envelope, absl::string_view member_id) {
    if (own_member_ != nullptr && member_id == own_member_id_) return own_member_;
    auto it = members_.find(member_id);
    if (it != members_.end()) return &it->second;
    anomalies_.Record(envelope, anomaly_rule::kMemberNotEnrolled,
                      absl::StrCat("member ", QuotedForAnomaly(member_id),
                                   " is not enrolled; the event is not applied"));
    return nullptr;
  }

  // The new, empty member a MemberEnrolled names; nullptr, recording
  // member_already_enrolled and changing nothing, for one enrolled already.
  Member* Enrol(const v1::Envelope& envelope) {
    const std::string& member_id = envelope.event().member_enrolled().member_id();
    auto [it, inserted] = members_.try_emplace(member_id);
    if (!inserted) {
      anomalies_.Record(envelope, anomaly_rule::kMemberAlreadyEnrolled,
                        absl::StrCat("member ", QuotedForAnomaly(member_id),
                                     " is already enrolled; the enrolment is not applied"));
      return nullptr;
    }
    return &it->second;
  }

  ReplayPosition position_;
  Policy policy_;
  // Hashed, not ordered: looking a member up is the hot path of a replay.
  absl::flat_hash_map<std::string, Member> members_;
  AnomalyLog anomalies_;
  // While one event is applied: the member whose stream holds it, found
  // once instead of once per step (nullptr: none, or not enrolled), and
  // that member's id (a view into the event).
  Member* own_member_ = nullptr;
  absl::string_view own_member_id_;

 private:
  template <typename Advance>
  void AdvanceOwnMember(const v1::Envelope& envelope, Advance& advance) {
    const absl::string_view member_id = TimeOwningMemberId(envelope);
    if (member_id.empty()) return;
    auto it = members_.find(member_id);
    if (it == members_.end()) return;
    advance(it->second);
    own_member_ = &it->second;
    own_member_id_ = member_id;
  }
};

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_MEMBER_PROJECTION_H_
