// EngineImpl: the command loop. A command is decided against the live
// projections, appended expecting the streams it read at the versions it saw,
// and decided again when another writer moved one of them (engine_impl.h).
#include "engine/engine_impl.h"

#include "absl/time/clock.h"

namespace loyalty::internal {

absl::StatusOr<CommandResult> EngineImpl::Execute(const EnrolMember& command) {
  return RunCommand(command, [&](const ProjectionSet& set) -> absl::StatusOr<projections::Events> {
    absl::StatusOr<projections::Events> events =
        projections::DecideEnrolMember(set.decision_state(), command);
    if (!events.ok()) return events;
    absl::Status sealed = personal_->Seal(*events, [&](const std::string& stream) {
      mu_.AssertHeld();  // RunCommand decides under mu_
      return AppliedStreamVersion(stream);
    });
    if (!sealed.ok()) return sealed;
    return events;
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const EraseMember& command) {
  // The intent, then the event, then the key (docs/privacy.md): a crash
  // before the event leaves a mark that the next open drops (the erasure
  // did not happen, and was not acknowledged); a crash after it leaves a
  // key that the next open destroys. The log never holds a member whose
  // key is gone without its erasure.
  if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
  {
    MutexLock lock(&mu_);
    absl::Status status = CatchUp();
    if (status.ok()) status = CheckBusinessTime(command.occurred_at_us, *live_);
    if (!status.ok()) return status;
    absl::StatusOr<projections::Events> events =
        projections::DecideEraseMember(live_->decision_state(), command);
    if (!events.ok()) {
      // A retry of an erasure whose event is in the log: finish it.
      const projections::MemberAccount* account = live_->balances().FindMember(command.member_id);
      if (account != nullptr && account->erased) {
        status = personal_->Destroy({command.member_id});
        if (!status.ok()) return status;
      }
      return events.status();
    }
    status = personal_->MarkErasurePending(command.member_id);
    if (!status.ok()) return status;
  }
  absl::StatusOr<CommandResult> result = RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideEraseMember(set.decision_state(), command);
  });
  if (!result.ok()) return result;
  MutexLock lock(&mu_);
  absl::Status destroyed = personal_->Destroy({command.member_id});
  if (!destroyed.ok()) return destroyed;
  return result;
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const RecordPurchase& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideRecordPurchase(set.decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const RecordRefund& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideRecordRefund(set.decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const Redeem& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideRedeem(set.decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const Adjust& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideAdjust(set.decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const SetPolicy& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideSetPolicy(set.decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const GrantBirthdayBonuses& command) {
  const absl::CivilDay today =
      projections::LocalDayOf(std::max<int64_t>(command.occurred_at_us, 0));
  absl::StatusOr<CommandResult> result =
      RunCommand(command, [&](const ProjectionSet& set) -> absl::StatusOr<projections::Events> {
        // Birth dates are read through the members' keys; the projections
        // never hold them.
        absl::StatusOr<projections::BirthDates> birth_dates = personal_->BirthDates(set, today);
        if (!birth_dates.ok()) return birth_dates.status();
        return projections::DecideBirthdayBonuses(set.decision_state(), command, *birth_dates);
      });
  if (!result.ok()) return result;
  // The day's grants, this run's and any earlier run's for the same day: a
  // rerun writes nothing and answers with the first run's sequences.
  const bool appended = !result->sequences.empty() && !result->deduplicated;
  MutexLock lock(&mu_);
  absl::Status status = CatchUp();
  if (!status.ok()) return status;
  result->sequences = projections::BirthdayGrantsOn(live_->balances(), today);
  result->deduplicated = !appended && !result->sequences.empty();
  return result;
}

absl::StatusOr<std::vector<absl::Status>> EngineImpl::CheckInOrder(
    absl::Span<const PurchaseOrRefund> commands) const {
  std::unique_ptr<ProjectionSet> scratch;
  uint64_t sequence = 0;
  {
    MutexLock lock(&mu_);
    absl::Status status = CatchUp();
    if (!status.ok()) return status;
    absl::StatusOr<std::unique_ptr<ProjectionSet>> copied = live_->Copy();
    if (!copied.ok()) return copied.status();
    scratch = std::move(*copied);
    sequence = applied_;
  }
  // The scratch events get the sequences and time an append would give
  // them, so the projections see what they would see after the append.
  const int64_t recorded_at_us = clock_->NowMicros();
  std::vector<absl::Status> results;
  results.reserve(commands.size());
  for (const PurchaseOrRefund& command : commands) {
    const absl::Status in_time = CheckBusinessTime(
        std::visit([](const auto& c) { return c.occurred_at_us; }, command), *scratch);
    if (!in_time.ok()) {
      results.push_back(in_time);
      continue;
    }
    absl::StatusOr<projections::Events> events =
        std::holds_alternative<RecordPurchase>(command)
            ? projections::DecideRecordPurchase(scratch->decision_state(),
                                                std::get<RecordPurchase>(command))
            : projections::DecideRecordRefund(scratch->decision_state(),
                                              std::get<RecordRefund>(command));
    if (!events.ok()) {
      results.push_back(events.status());
      continue;
    }
    for (v1::Envelope& envelope : *events) {
      envelope.set_sequence(++sequence);
      envelope.set_recorded_at_us(recorded_at_us);
      absl::Status applied = scratch->Apply(envelope);
      if (!applied.ok()) return applied;
    }
    results.push_back(absl::OkStatus());
  }
  return results;
}

absl::StatusOr<CommandResult> EngineImpl::Append(const AppendBatch& batch) {
  if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
  absl::Status status = CheckRawBatchShape(batch);
  if (!status.ok()) return status;
  for (int attempt = 0; attempt < kMaxCommandAttempts; ++attempt) {
    RawBatchContext context;
    std::unique_ptr<ProjectionSet> scratch;
    absl::StatusOr<absl::Status> refusal = PrepareRawCheck(batch, &context, &scratch);
    if (!refusal.ok()) return refusal.status();
    context.now_us = clock_->NowMicros();
    context.personal = personal_.get();
    context.ledger = ledger_.get();
    absl::StatusOr<CheckedRawBatch> checked =
        refusal->ok() ? CheckRawBatch(batch.events(), context, scratch.get()) : *refusal;
    if (!checked.ok()) return AppendIfRepeated(batch, checked.status());
    // Erasures as in Execute(EraseMember): the intent, the event, then
    // the keys.
    for (const std::string& member_id : checked->erased_member_ids) {
      MutexLock lock(&mu_);
      status = personal_->MarkErasurePending(member_id);
      if (!status.ok()) return status;
    }
    // Plain personal data is sealed as EnrolMember seals it: the ledger
    // stores none in the clear.
    absl::StatusOr<AppendBatch> expecting = SealedForAppend(batch, checked->expected_versions);
    if (!expecting.ok()) return expecting.status();
    absl::StatusOr<AppendResult> appended = AppendSettled(*expecting);
    // Another writer changed a stream since the check (Aborted, the
    // ledger's failed test-and-set): check again.
    if (absl::IsAborted(appended.status())) continue;
    if (!appended.ok()) return appended.status();
    MutexLock lock(&mu_);
    if (!checked->erased_member_ids.empty()) {
      status = personal_->Destroy(checked->erased_member_ids);
      if (!status.ok()) return status;
    }
    CatchUpAfterAppend();
    return *appended;
  }
  return absl::AbortedError(absl::StrCat("gave up after ", kMaxCommandAttempts,
                                         " attempts: the batch's streams kept changing"));
}

absl::StatusOr<absl::Status> EngineImpl::PrepareRawCheck(const AppendBatch& batch,
                                                         RawBatchContext* context,
                                                         std::unique_ptr<ProjectionSet>* scratch) {
  MutexLock lock(&mu_);
  absl::Status status = CatchUp();
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<ProjectionSet>> copied = live_->Copy();
  if (!copied.ok()) return copied.status();
  *scratch = std::move(*copied);
  context->applied_sequence = applied_;
  for (const v1::Envelope& envelope : batch.events()) {
    if (context->stream_versions.contains(envelope.stream_id())) continue;
    absl::StatusOr<uint64_t> version = AppliedStreamVersion(envelope.stream_id());
    if (!version.ok()) return version.status();
    context->stream_versions[envelope.stream_id()] = *version;
  }
  // The caller's own expectations hold against the state checked.
  for (const auto& [stream_id, expected] : batch.expected_versions()) {
    absl::StatusOr<uint64_t> version = AppliedStreamVersion(stream_id);
    if (!version.ok()) return version.status();
    if (*version != expected) {
      return absl::AbortedError(absl::StrCat("stream \"", stream_id, "\": expected version ",
                                             expected, ", actual version ", *version));
    }
  }
  return absl::OkStatus();
}

void EngineImpl::CatchUpAfterAppend() const {
  // The append stands whatever happens here: a log that cannot be read for
  // a moment (a failover) must not turn an acknowledged command into an
  // error its caller would retry. The next call catches up, and reports
  // what still fails.
  (void)CatchUp();
}

absl::StatusOr<AppendResult> EngineImpl::AppendSettled(const AppendBatch& batch) {
  absl::StatusOr<AppendResult> appended = ledger_->Append(batch);
  if (options_.postgres_uri.empty()) return appended;  // no unknown outcome
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(options_.unknown_outcome_retry_ms);
  absl::Duration pause = absl::Milliseconds(50);
  while (absl::IsUnavailable(appended.status()) && absl::Now() + pause < deadline) {
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(1));
    appended = ledger_->Append(batch);
  }
  return appended;
}

absl::StatusOr<CommandResult> EngineImpl::AppendIfRepeated(const AppendBatch& batch,
                                                           const absl::Status& refusal) {
  // A retry of a batch appended before meets the state it made and is
  // refused by the deciders; the ledger answers it instead, with the
  // original sequences (or refuses a key reused for other content).
  absl::StatusOr<bool> repeats = RepeatsAppendedKeys(batch);
  if (!repeats.ok()) return repeats.status();
  if (!*repeats) return refusal;
  AppendBatch as_stored = batch;
  if (HasPlainPersonalData(batch)) {
    projections::Events events(batch.events().begin(), batch.events().end());
    absl::Status status = UseStoredSealing(events);
    if (!status.ok()) return status;
    as_stored = BatchOf(std::move(events), batch);
  }
  absl::StatusOr<AppendResult> appended = AppendSettled(as_stored);
  if (!appended.ok()) return appended.status();
  MutexLock lock(&mu_);
  CatchUpAfterAppend();
  return *appended;
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const FileComplaint& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideFileComplaint(set.complaint_decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const ReplyToComplaint& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideReplyToComplaint(set.complaint_decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const StartInvestigation& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideStartInvestigation(set.complaint_decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const ResolveComplaint& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideResolveComplaint(set.complaint_decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const NotifyCustomer& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideNotifyCustomer(set.complaint_decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const ConfirmResolution& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideConfirmResolution(set.complaint_decision_state(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const DeclareCalendarDays& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideDeclareCalendarDays(set.calendar().calendar(), command);
  });
}

absl::StatusOr<CommandResult> EngineImpl::Execute(const RecordSurvey& command) {
  return RunCommand(command, [&](const ProjectionSet& set) {
    return projections::DecideRecordSurvey(set.survey_decision_state(), command);
  });
}

template <typename Command, typename Decide>
absl::StatusOr<CommandResult> EngineImpl::RunCommand(const Command& command, Decide decide) {
  if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
  const Stopwatch stopwatch;
  absl::StatusOr<CommandResult> result =
      Run([&](const ProjectionSet& set) -> absl::StatusOr<projections::Events> {
        absl::Status in_time = CheckBusinessTime(command.occurred_at_us, set);
        if (!in_time.ok()) return in_time;
        return decide(set);
      });
  metrics_.CommandDone(KindOf(command), result.ok(), stopwatch.ElapsedMicros());
  return result;
}

absl::Status EngineImpl::CheckRawBatchShape(const AppendBatch& batch) {
  if (batch.empty()) return absl::InvalidArgumentError("batch: holds no events");
  if (batch.size() > kMaxBatchEvents) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch: holds ", batch.size(), " events, more than the limit of ", kMaxBatchEvents));
  }
  absl::flat_hash_set<absl::string_view> keys;
  for (size_t i = 0; i < batch.size(); ++i) {
    const v1::Envelope& envelope = batch.events()[i];
    absl::Status valid = ValidateNewEnvelope(envelope, i);
    if (!valid.ok()) return valid;
    if (!keys.insert(envelope.idempotency_key()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", i, ": idempotency_key: \"", envelope.idempotency_key(),
                       "\" is used by an earlier event of the same batch"));
    }
  }
  return absl::OkStatus();
}

AppendBatch EngineImpl::BatchOf(projections::Events events, const AppendBatch& expectations) {
  AppendBatch batch;
  for (v1::Envelope& envelope : events) batch.Add(std::move(envelope));
  for (const auto& [stream_id, version] : expectations.expected_versions()) {
    batch.ExpectVersion(stream_id, version);
  }
  return batch;
}

absl::StatusOr<bool> EngineImpl::RepeatsAppendedKeys(const AppendBatch& batch) const {
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> keys_by_stream;
  for (const v1::Envelope& envelope : batch.events()) {
    keys_by_stream[envelope.stream_id()].insert(envelope.idempotency_key());
  }
  for (const auto& entry : keys_by_stream) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
    const std::string& stream_id = entry.first;
    const absl::flat_hash_set<std::string>& keys = entry.second;
    size_t found = 0;
    absl::Status status = ledger_->ScanStream(stream_id, 1, [&](const v1::Envelope& envelope) {
      found += keys.contains(envelope.idempotency_key()) ? 1 : 0;
      return found == keys.size() ? absl::CancelledError() : absl::OkStatus();
    });
    if (!status.ok() && !absl::IsCancelled(status)) return status;
    if (found < keys.size()) return false;
  }
  return true;
}

absl::Status EngineImpl::CheckBusinessTime(int64_t occurred_at_us, const ProjectionSet& set) const {
  return projections::CheckBusinessTimeNotAhead(occurred_at_us, clock_->NowMicros(),
                                                set.policies().policy());
}

template <typename Decide>
absl::StatusOr<CommandResult> EngineImpl::Run(Decide decide) {
  for (int attempt = 0; attempt < kMaxCommandAttempts; ++attempt) {
    std::vector<AppendBatch> batches;
    {
      MutexLock lock(&mu_);
      absl::Status status = CatchUp();
      if (!status.ok()) return status;
      absl::StatusOr<projections::Events> events = decide(*live_);
      if (!events.ok()) return events.status();
      if (events->empty()) return CommandResult();
      absl::StatusOr<std::vector<AppendBatch>> made = MakeBatches(std::move(*events));
      if (!made.ok()) return made.status();
      batches = std::move(*made);
    }
    CommandResult result;
    result.deduplicated = true;
    bool conflict = false;
    for (const AppendBatch& batch : batches) {
      absl::StatusOr<AppendResult> appended = AppendSettled(batch);
      if (!appended.ok()) {
        if (absl::IsAborted(appended.status()) && result.sequences.empty()) {
          conflict = true;
          break;
        }
        return appended.status();
      }
      result.sequences.insert(result.sequences.end(), appended->sequences.begin(),
                              appended->sequences.end());
      result.deduplicated = result.deduplicated && appended->deduplicated;
    }
    if (conflict) continue;
    MutexLock lock(&mu_);
    CatchUpAfterAppend();
    return result;
  }
  return absl::AbortedError(absl::StrCat("gave up after ", kMaxCommandAttempts,
                                         " attempts: the member's stream kept changing"));
}

absl::StatusOr<std::vector<AppendBatch>> EngineImpl::MakeBatches(projections::Events events) {
  std::vector<AppendBatch> batches(1);
  for (v1::Envelope& envelope : events) {
    if (batches.back().size() == kMaxBatchEvents) batches.emplace_back();
    batches.back().Add(std::move(envelope));
  }
  if (batches.size() == 1) {
    for (const v1::Envelope& envelope : batches[0].events()) {
      absl::StatusOr<uint64_t> version = AppliedStreamVersion(envelope.stream_id());
      if (!version.ok()) return version.status();
      batches[0].ExpectVersion(envelope.stream_id(), *version);
    }
  }
  return batches;
}

absl::StatusOr<uint64_t> EngineImpl::AppliedStreamVersion(const std::string& stream_id) {
  if (auto it = stream_versions_.find(stream_id); it != stream_versions_.end()) {
    return it->second;
  }
  absl::StatusOr<uint64_t> version = ledger_->StreamVersion(stream_id);
  if (!version.ok()) return version.status();
  uint64_t applied_version = 0;
  const uint64_t applied = applied_;
  absl::Status status =
      ledger_->ScanStream(stream_id, 1, [&](const v1::Envelope& envelope) -> absl::Status {
        if (envelope.sequence() > applied) return absl::CancelledError();
        applied_version = envelope.stream_version();
        return absl::OkStatus();
      });
  if (!status.ok() && !absl::IsCancelled(status)) return status;
  stream_versions_[stream_id] = applied_version;
  return applied_version;
}

}  // namespace loyalty::internal
