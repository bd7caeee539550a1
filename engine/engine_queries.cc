// EngineImpl: the views, now and as of any point of the log (engine_impl.h,
// include/loyalty/views.h).
#include "engine/engine_impl.h"

namespace loyalty::internal {
namespace {

// The instant `as_of` names by itself: the clock's now, or its recorded or
// business instant. None for a sequence, whose instant the log holds.
std::optional<int64_t> NamedInstant(AsOf as_of, const Clock& clock) {
  switch (as_of.kind()) {
    case AsOf::Kind::kNow:
      return clock.NowMicros();
    case AsOf::Kind::kRecordedTime:
    case AsOf::Kind::kBusinessTime:
      return as_of.instant_us();
    case AsOf::Kind::kSequence:
      break;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<MemberView> EngineImpl::Member(const std::string& member_id, AsOf as_of) const {
  absl::StatusOr<MemberView> view = MemberAsOf(member_id, as_of);
  if (view.ok()) view->as_of_kind = as_of.kind();
  return view;
}

absl::StatusOr<MemberView> EngineImpl::MemberAsOf(const std::string& member_id, AsOf as_of) const {
  if (as_of.kind() == AsOf::Kind::kBusinessTime) {
    // The events that occurred by then may lie anywhere in the log: no
    // prefix of it, so neither the live state nor a snapshot serves.
    return MemberReplayed(member_id, as_of.instant_us(), ledger_->Head().sequence,
                          /*occurred_by_us=*/as_of.instant_us());
  }
  absl::StatusOr<uint64_t> bound = SequenceBound(as_of);
  if (!bound.ok()) return bound.status();
  absl::StatusOr<std::optional<int64_t>> instant_us = QueryInstant(as_of, *bound);
  if (!instant_us.ok()) return instant_us.status();
  absl::StatusOr<std::optional<MemberView>> live = MemberFromLive(member_id, *instant_us, *bound);
  if (!live.ok()) return live.status();
  if (live->has_value()) return std::move(**live);
  return MemberReplayed(member_id, *instant_us, *bound, /*occurred_by_us=*/std::nullopt);
}

absl::StatusOr<MemberView> EngineImpl::MemberReplayed(const std::string& member_id,
                                                      std::optional<int64_t> instant_us,
                                                      uint64_t bound,
                                                      std::optional<int64_t> occurred_by_us) const {
  auto occurred_late = [&](const v1::Envelope& envelope) {
    return occurred_by_us.has_value() && envelope.occurred_at_us() > *occurred_by_us;
  };
  // Snapshots are derived data: a damaged one is passed over, and the
  // member replayed from the start of its stream.
  absl::StatusOr<std::optional<StoredMemberSnapshot>> snapshot = std::nullopt;
  if (store_ != nullptr && !occurred_by_us.has_value()) {
    snapshot = store_->LatestMemberSnapshot(member_id, bound);
  }
  if (!snapshot.ok()) {
    if (!absl::IsDataLoss(snapshot.status())) return snapshot.status();
    snapshot = std::nullopt;
  }
  std::vector<v1::Envelope> policy_events;
  absl::Status status =
      ledger_->ScanStream(projections::kPolicyStreamId, 1, [&](const v1::Envelope& envelope) {
        if (envelope.sequence() > bound) return absl::CancelledError();
        if (!occurred_late(envelope)) policy_events.push_back(envelope);
        return absl::OkStatus();
      });
  if (!status.ok() && !absl::IsCancelled(status)) return status;
  // A member's view is made of its balance and its tier alone: the other
  // projections are not replayed.
  projections::BalanceProjection balances;
  projections::TierProjection tiers;
  auto apply = [&](const v1::Envelope& envelope) {
    absl::Status applied = balances.Apply(envelope);
    return applied.ok() ? tiers.Apply(envelope) : applied;
  };
  size_t next_policy = 0;
  auto apply_policies_before = [&](uint64_t sequence) -> absl::Status {
    for (; next_policy < policy_events.size() && policy_events[next_policy].sequence() < sequence;
         ++next_policy) {
      absl::Status applied = apply(policy_events[next_policy]);
      if (!applied.ok()) return applied;
    }
    return absl::OkStatus();
  };
  uint64_t from_version = 1;
  uint64_t snapshot_sequence = 0;
  if (snapshot->has_value()) {
    // The policies in force at the snapshot, then its member.
    snapshot_sequence = (*snapshot)->sequence;
    status = apply_policies_before(snapshot_sequence + 1);
    if (!status.ok()) return status;
    absl::StatusOr<projections::MemberSnapshotPosition> position =
        projections::AdoptMemberSnapshot((*snapshot)->bytes, member_id, &balances, &tiers);
    if (!position.ok()) return position.status();
    if (position->sequence != snapshot_sequence) {
      return absl::DataLossError(absl::StrCat("member snapshot of \"", member_id,
                                              "\" stored at sequence ", snapshot_sequence,
                                              " was taken at ", position->sequence));
    }
    from_version = position->stream_version + 1;
  }
  uint64_t member_events = 0;
  status = ledger_->ScanStream(projections::MemberStreamId(member_id), from_version,
                               [&](const v1::Envelope& envelope) -> absl::Status {
                                 if (envelope.sequence() > bound) return absl::CancelledError();
                                 if (occurred_late(envelope)) return absl::OkStatus();
                                 absl::Status applied = apply_policies_before(envelope.sequence());
                                 if (!applied.ok()) return applied;
                                 ++member_events;
                                 return apply(envelope);
                               });
  if (!status.ok() && !absl::IsCancelled(status)) return status;
  metrics_.MemberReplayed(snapshot->has_value(), member_events);
  status = apply_policies_before(bound + 1);
  if (!status.ok()) return status;
  if (instant_us.has_value()) {
    balances.AdvanceTo(*instant_us);
    tiers.AdvanceTo(*instant_us);
  }
  absl::StatusOr<MemberView> view = MakeMemberView(balances, tiers, member_id);
  // The snapshot's own event counts among the member's events applied.
  if (view.ok()) view->as_of_sequence = std::max(view->as_of_sequence, snapshot_sequence);
  return view;
}

absl::StatusOr<ProgramView> EngineImpl::Program(AsOf as_of) const {
  if (as_of.kind() == AsOf::Kind::kNow) {
    // From the live set as it would be advanced to the clock's now, without
    // copying it: a copy held a second whole state for the query.
    MutexLock lock(&mu_);
    absl::Status caught_up = CatchUp();
    if (!caught_up.ok()) return caught_up;
    return MakeProgramViewAt(*live_, clock_->NowMicros());
  }
  ProjectionSet set;
  if (as_of.kind() == AsOf::Kind::kBusinessTime) {
    absl::StatusOr<uint64_t> applied =
        ReplayLogAsOfBusinessTime(*ledger_, as_of.instant_us(), &set);
    if (!applied.ok()) return applied.status();
  } else {
    absl::StatusOr<uint64_t> bound = SequenceBound(as_of);
    if (!bound.ok()) return bound.status();
    absl::Status status = Replay(*bound, &set);
    if (!status.ok()) return status;
    absl::StatusOr<std::optional<int64_t>> instant_us = QueryInstant(as_of, *bound);
    if (!instant_us.ok()) return instant_us.status();
    if (instant_us->has_value()) set.AdvanceTo(**instant_us);
  }
  ProgramView view = MakeProgramView(set, SlaInstant(as_of, set.complaints().now_us()));
  view.as_of_kind = as_of.kind();
  return view;
}

absl::StatusOr<ComplaintView> EngineImpl::Complaint(const std::string& complaint_id,
                                                    AsOf as_of) const {
  if (as_of.kind() == AsOf::Kind::kNow) {
    MutexLock lock(&mu_);
    absl::Status caught_up = CatchUp();
    if (!caught_up.ok()) return caught_up;
    absl::StatusOr<ComplaintView> view =
        MakeComplaintView(live_->complaints(), complaint_id, clock_->NowMicros());
    if (view.ok()) view->as_of_sequence = applied_;
    return view;
  }
  absl::StatusOr<uint64_t> bound = SequenceBound(as_of);
  if (!bound.ok()) return bound.status();
  const bool by_business_time = as_of.kind() == AsOf::Kind::kBusinessTime;
  // A complaint's clocks depend on its own events, the calendar and the
  // SLA policy only: merge those three streams in log order.
  std::vector<v1::Envelope> events;
  for (const std::string& stream :
       {std::string(projections::kCalendarStreamId), std::string(projections::kPolicyStreamId),
        projections::ComplaintStreamId(complaint_id)}) {
    absl::Status status = ledger_->ScanStream(stream, 1, [&](const v1::Envelope& envelope) {
      if (envelope.sequence() > *bound) return absl::CancelledError();
      if (by_business_time && envelope.occurred_at_us() > as_of.instant_us()) {
        return absl::OkStatus();
      }
      events.push_back(envelope);
      return absl::OkStatus();
    });
    if (!status.ok() && !absl::IsCancelled(status)) return status;
  }
  std::sort(events.begin(), events.end(), [](const v1::Envelope& a, const v1::Envelope& b) {
    return a.sequence() < b.sequence();
  });
  projections::ComplaintProjection complaints;
  for (const v1::Envelope& envelope : events) {
    absl::Status status = complaints.Apply(envelope);
    if (!status.ok()) return status;
  }
  absl::StatusOr<std::optional<int64_t>> instant_us = QueryInstant(as_of, *bound);
  if (!instant_us.ok()) return instant_us.status();
  if (instant_us->has_value()) complaints.AdvanceTo(**instant_us);
  absl::StatusOr<ComplaintView> view =
      MakeComplaintView(complaints, complaint_id, SlaInstant(as_of, complaints.now_us()));
  if (view.ok()) {
    // By business time, the state read is the last event applied, not a
    // prefix of the log.
    view->as_of_sequence =
        by_business_time ? (events.empty() ? 0 : events.back().sequence()) : *bound;
    view->as_of_kind = as_of.kind();
  }
  return view;
}

absl::StatusOr<SlaReportView> EngineImpl::SlaReport(absl::CivilDay from_day, absl::CivilDay to_day,
                                                    AsOf as_of) const {
  if (as_of.kind() == AsOf::Kind::kNow) {
    MutexLock lock(&mu_);
    absl::Status caught_up = CatchUp();
    if (!caught_up.ok()) return caught_up;
    absl::StatusOr<SlaReportView> view =
        MakeSlaReportView(live_->complaints(), from_day, to_day, clock_->NowMicros());
    if (view.ok()) view->as_of_sequence = applied_;
    return view;
  }
  absl::Status window = CheckSlaWindow(from_day, to_day);
  if (!window.ok()) return window;
  absl::StatusOr<uint64_t> bound = SequenceBound(as_of);
  if (!bound.ok()) return bound.status();
  projections::ComplaintProjection complaints;
  uint64_t last_applied = 0;
  absl::Status status = ScanAsOf(as_of, *bound, &last_applied, [&](const v1::Envelope& envelope) {
    return complaints.Apply(envelope);
  });
  if (!status.ok()) return status;
  absl::StatusOr<std::optional<int64_t>> instant_us = QueryInstant(as_of, *bound);
  if (!instant_us.ok()) return instant_us.status();
  if (instant_us->has_value()) complaints.AdvanceTo(**instant_us);
  absl::StatusOr<SlaReportView> view =
      MakeSlaReportView(complaints, from_day, to_day, SlaInstant(as_of, complaints.now_us()));
  if (view.ok()) {
    view->as_of_sequence = last_applied;
    view->as_of_kind = as_of.kind();
  }
  return view;
}

absl::StatusOr<int64_t> EngineImpl::WorkingDayDeadline(int64_t from_us,
                                                       int64_t working_days) const {
  MutexLock lock(&mu_);
  absl::Status caught_up = CatchUp();
  if (!caught_up.ok()) return caught_up;
  return live_->calendar().DeadlineAfter(from_us, working_days);
}

absl::Status EngineImpl::ScanAsOf(
    AsOf as_of, uint64_t bound, uint64_t* last_applied,
    const std::function<absl::Status(const v1::Envelope&)>& apply) const {
  const bool by_business_time = as_of.kind() == AsOf::Kind::kBusinessTime;
  *last_applied = 0;
  return ledger_->Scan(1, bound, [&](const v1::Envelope& envelope) {
    if (by_business_time && envelope.occurred_at_us() > as_of.instant_us()) {
      return absl::OkStatus();
    }
    *last_applied = envelope.sequence();
    return apply(envelope);
  });
}

absl::StatusOr<uint64_t> EngineImpl::SequenceBound(AsOf as_of) const {
  switch (as_of.kind()) {
    case AsOf::Kind::kNow:
      return ledger_->Head().sequence;
    case AsOf::Kind::kSequence:
      return std::min(as_of.sequence(), ledger_->Head().sequence);
    case AsOf::Kind::kRecordedTime:
      return ledger_->SequenceAtTime(as_of.instant_us());
    case AsOf::Kind::kBusinessTime:
      // The whole log, of which only what occurred by then is read.
      return ledger_->Head().sequence;
  }
  return absl::InvalidArgumentError("as_of: unknown kind");
}

int64_t EngineImpl::SlaInstant(AsOf as_of, int64_t business_us) const {
  return NamedInstant(as_of, *clock_).value_or(business_us);
}

absl::StatusOr<std::optional<MemberView>> EngineImpl::MemberFromLive(
    const std::string& member_id, std::optional<int64_t> instant_us, uint64_t bound) const {
  // Read again after the copy: appends may go on meanwhile. This first
  // read only spares the copy when a replay is needed anyway.
  absl::StatusOr<uint64_t> own = LastSequenceOf(projections::MemberStreamId(member_id));
  if (!own.ok()) return own.status();
  if (*own > bound) return std::nullopt;
  projections::MemberAccount account;
  std::optional<projections::MemberTier> tier;
  projections::Policy tier_policy;
  uint64_t applied = 0;
  {
    MutexLock lock(&mu_);
    absl::Status status = CatchUp();
    if (!status.ok()) return status;
    const projections::MemberAccount* found = live_->balances().FindMember(member_id);
    if (found == nullptr) {
      return absl::NotFoundError(absl::StrCat("member_id: \"", member_id, "\" is not enrolled"));
    }
    account = *found;
    if (const projections::MemberTier* found_tier = live_->tiers().FindMember(member_id)) {
      tier = *found_tier;
    }
    tier_policy = live_->tiers().policy();
    applied = applied_;
  }
  // The view's sequence is the last event of the member or of the policies.
  own = LastSequenceOf(projections::MemberStreamId(member_id));
  if (!own.ok()) return own.status();
  absl::StatusOr<uint64_t> policy = LastSequenceOf(projections::kPolicyStreamId);
  if (!policy.ok()) return policy.status();
  const uint64_t state_at = std::min(applied, bound);
  if (*own > state_at || *policy > state_at) return std::nullopt;
  if (instant_us.has_value()) {
    account.AdvanceTo(*instant_us);
    if (tier.has_value()) tier->AdvanceTo(*instant_us, tier_policy);
  }
  return MakeMemberView(member_id, account, tier.has_value() ? &*tier : nullptr,
                        tier_policy.window_us(), std::max(*own, *policy));
}

absl::StatusOr<uint64_t> EngineImpl::LastSequenceOf(absl::string_view stream_id) const {
  absl::StatusOr<uint64_t> version = ledger_->StreamVersion(stream_id);
  if (!version.ok() || *version == 0) return version;
  uint64_t sequence = 0;
  absl::Status status = ledger_->ScanStream(stream_id, *version, [&](const v1::Envelope& envelope) {
    sequence = envelope.sequence();
    return absl::CancelledError();
  });
  if (!status.ok() && !absl::IsCancelled(status)) return status;
  return sequence;
}

absl::StatusOr<std::optional<int64_t>> EngineImpl::QueryInstant(AsOf as_of, uint64_t bound) const {
  if (std::optional<int64_t> named = NamedInstant(as_of, *clock_)) return named;
  if (bound == 0) return std::nullopt;
  absl::StatusOr<std::vector<v1::Envelope>> last = ledger_->Read(bound, 1);
  if (!last.ok()) return last.status();
  if (last->empty()) {
    return absl::DataLossError(absl::StrCat("sequence ", bound, ": missing from the ledger"));
  }
  return last->front().occurred_at_us();
}

}  // namespace loyalty::internal
