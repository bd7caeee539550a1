// EngineImpl: personal data (sealing, revealing, erasing), consent to be
// contacted and the retention job (engine_impl.h, docs/privacy.md).
#include "engine/engine_impl.h"

namespace loyalty::internal {

absl::Status EngineImpl::OpenMemberKeys() {
  std::optional<std::string> master_key;
  if (options_.master_key) {
    absl::StatusOr<std::string> key = options_.master_key();
    if (!key.ok()) return key.status();
    master_key = std::move(*key);
  }
  absl::Status unusable;
  absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> store =
      options_.postgres_uri.empty()
          ? OpenMemberKeyStore(directory_, read_only_, *ledger_, &unusable)
          : OpenMemberKeyStoreOnPostgres(options_.postgres_uri, read_only_, *ledger_, &unusable);
  if (!store.ok()) return store.status();
  if (!unusable.ok()) notice_(unusable.message());
  absl::StatusOr<std::unique_ptr<privacy::MemberKeys>> keys =
      privacy::MemberKeys::Open(std::move(*store), std::move(master_key), options_.random_bytes);
  if (!keys.ok()) return keys.status();
  personal_ = std::make_unique<PersonalData>(std::move(*keys), ledger_.get(), unusable);
  return absl::OkStatus();
}

absl::StatusOr<v1::PersonalData> EngineImpl::PersonalDataOf(const std::string& member_id) const {
  // The member's stream alone says which event holds the data now and
  // whether it was erased.
  std::optional<v1::Envelope> latest;
  std::optional<v1::Envelope> erased;
  bool enrolled = false;
  absl::Status status = ledger_->ScanStream(
      projections::MemberStreamId(member_id), 1, [&](const v1::Envelope& envelope) {
        std::string owner;
        const v1::Personal* personal = PersonalOf(envelope, &owner);
        enrolled = enrolled || envelope.event().has_member_enrolled();
        if (personal != nullptr) latest = envelope;
        if (envelope.event().has_member_erased()) erased = envelope;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!enrolled) {
    return absl::NotFoundError(absl::StrCat("member_id: \"", member_id, "\" is not enrolled"));
  }
  if (erased.has_value()) {
    const absl::CivilDay day = projections::LocalDayOf(erased->occurred_at_us());
    return absl::FailedPreconditionError(absl::StrCat(
        "personal data of member \"", member_id, "\" was erased on ", absl::FormatCivilTime(day),
        " (", erased->event().member_erased().reason(), ")"));
  }
  if (!personal_->has_master_key()) {
    return privacy::NoMasterKeyError(
        absl::StrCat("reading the personal data of member \"", member_id, "\""));
  }
  std::string owner;
  if (!latest.has_value() ||
      PersonalOf(*latest, &owner)->form_case() == v1::Personal::FORM_NOT_SET) {
    return v1::PersonalData();
  }
  return personal_->Reveal(*latest);
}

absl::StatusOr<v1::PersonalData> EngineImpl::RevealPersonal(const v1::Envelope& envelope) const {
  std::string member_id;
  if (PersonalOf(envelope, &member_id) != nullptr) {
    MutexLock lock(&mu_);
    absl::Status status = CatchUp();
    if (!status.ok()) return status;
    const projections::MemberAccount* account = live_->balances().FindMember(member_id);
    // Plain data of logs written before sealing is erased too.
    if (account != nullptr && account->erased) {
      return absl::FailedPreconditionError(
          absl::StrCat("personal data of member \"", member_id, "\" was erased"));
    }
  }
  if (!personal_->has_master_key()) {
    return privacy::NoMasterKeyError("revealing personal data");
  }
  return personal_->Reveal(envelope);
}

absl::StatusOr<std::vector<RetentionErasure>> EngineImpl::RunRetention(
    absl::CivilDay as_of_day, const std::string& actor_id) {
  if (actor_id.empty()) return absl::InvalidArgumentError("actor_id: must not be empty");
  std::vector<RetentionErasure> candidates;
  {
    MutexLock lock(&mu_);
    absl::Status status = CatchUp();
    if (!status.ok()) return status;
    candidates = RetentionCandidates(*live_, as_of_day,
                                     live_->policies().policy().retention_inactive_days());
  }
  const int64_t occurred_at_us = projections::StartOfLocalDayUs(as_of_day);
  std::vector<RetentionErasure> erased;
  for (RetentionErasure& candidate : candidates) {
    EraseMember command;
    command.member_id = candidate.member_id;
    command.reason =
        absl::StrCat("retention: inactive since ",
                     absl::FormatCivilTime(projections::LocalDayOf(candidate.inactive_since_us)));
    command.occurred_at_us = occurred_at_us;
    command.actor_id = actor_id;
    absl::StatusOr<CommandResult> result = Execute(command);
    // FailedPrecondition: erased by another writer since the candidates
    // were chosen.
    if (absl::IsFailedPrecondition(result.status())) continue;
    if (!result.ok()) return result.status();
    if (!result->sequences.empty()) candidate.sequence = result->sequences.front();
    erased.push_back(std::move(candidate));
  }
  return erased;
}

absl::StatusOr<ContactableView> EngineImpl::Contactable(ContactChannel channel,
                                                        ContactPurpose purpose, AsOf as_of) const {
  ContactableView view;
  view.channel = channel;
  view.purpose = purpose;
  if (as_of.kind() == AsOf::Kind::kNow) {
    MutexLock lock(&mu_);
    absl::Status caught_up = CatchUp();
    if (!caught_up.ok()) return caught_up;
    view.member_ids = live_->contacts().Contactable(channel, purpose);
    view.as_of_sequence = applied_;
    return view;
  }
  absl::StatusOr<uint64_t> bound = SequenceBound(as_of);
  if (!bound.ok()) return bound.status();
  // Consent has no time-driven effect: the events up to the bound decide
  // (by business time, those that occurred by the instant).
  projections::ContactConsents contacts;
  uint64_t last_applied = 0;
  absl::Status status = ScanAsOf(as_of, *bound, &last_applied, [&](const v1::Envelope& envelope) {
    contacts.Apply(envelope);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  view.member_ids = contacts.Contactable(channel, purpose);
  view.as_of_sequence = last_applied;
  view.as_of_kind = as_of.kind();
  return view;
}

bool EngineImpl::HasPlainPersonalData(const AppendBatch& batch) {
  return std::any_of(batch.events().begin(), batch.events().end(),
                     [](const v1::Envelope& e) { return HasPlainPersonal(e); });
}

absl::StatusOr<AppendBatch> EngineImpl::SealedForAppend(
    const AppendBatch& batch, const std::vector<std::pair<std::string, uint64_t>>& versions) {
  AppendBatch sealed;
  if (!HasPlainPersonalData(batch)) {
    sealed = batch;
  } else {
    projections::Events events(batch.events().begin(), batch.events().end());
    absl::Status status = UseStoredSealing(events);
    if (!status.ok()) return status;
    MutexLock lock(&mu_);
    for (size_t i = 0; i < events.size() && !personal_->has_master_key(); ++i) {
      if (!HasPlainPersonal(events[i])) continue;
      std::string member_id;
      PersonalOf(events[i], &member_id);
      return absl::FailedPreconditionError(
          absl::StrCat("event ", i, ": personal: member \"", member_id,
                       "\" comes with personal data in the clear, which is stored only sealed: ",
                       privacy::NoMasterKeyError("sealing it").message()));
    }
    const absl::flat_hash_map<std::string, uint64_t> before(versions.begin(), versions.end());
    status = personal_->Seal(
        events,
        [&](const std::string& stream_id) -> absl::StatusOr<uint64_t> {
          return before.at(stream_id);
        },
        PersonalData::SealedInput::kKeep);
    if (!status.ok()) return status;
    sealed = BatchOf(std::move(events), batch);
  }
  for (const auto& [stream_id, version] : versions) sealed.ExpectVersion(stream_id, version);
  return sealed;
}

absl::Status EngineImpl::UseStoredSealing(projections::Events& events) const {
  for (v1::Envelope& envelope : events) {
    if (!HasPlainPersonal(envelope)) continue;
    std::optional<v1::Envelope> stored;
    absl::Status status =
        ledger_->ScanStream(envelope.stream_id(), 1, [&](const v1::Envelope& candidate) {
          if (candidate.idempotency_key() != envelope.idempotency_key()) {
            return absl::OkStatus();
          }
          stored = candidate;
          return absl::CancelledError();
        });
    if (!status.ok() && !absl::IsCancelled(status)) return status;
    std::string member_id;
    const v1::Personal* stored_personal =
        stored.has_value() ? PersonalOf(*stored, &member_id) : nullptr;
    if (stored_personal == nullptr || !stored_personal->has_sealed() ||
        !personal_->has_master_key()) {
      continue;
    }
    absl::StatusOr<v1::PersonalData> opened = personal_->Reveal(*stored);
    // An erased member's data no longer opens: nothing to compare with.
    if (absl::IsFailedPrecondition(opened.status())) continue;
    if (!opened.ok()) return opened.status();
    v1::Event& event = *envelope.mutable_event();
    v1::Personal& personal = event.has_member_enrolled()
                                 ? *event.mutable_member_enrolled()->mutable_personal()
                                 : *event.mutable_member_profile_updated()->mutable_personal();
    if (google::protobuf::util::MessageDifferencer::Equals(*opened, personal.plain())) {
      *personal.mutable_sealed() = stored_personal->sealed();
    }
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::FinishPendingErasures() {
  if (read_only_) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> pending = personal_->PendingErasures();
  if (!pending.ok()) return pending.status();
  std::vector<std::string> never_recorded;
  for (const std::string& member_id : *pending) {
    const projections::MemberAccount* account = live_->balances().FindMember(member_id);
    if (account == nullptr || !account->erased) {
      never_recorded.push_back(member_id);
      continue;
    }
    absl::Status destroyed = personal_->Destroy({member_id});
    if (!destroyed.ok()) return destroyed;
    metrics_.ErasureCompletedOnOpen();
    notice_(absl::StrCat("finished the erasure of member \"", member_id,
                         "\" that a crash interrupted: its key is destroyed now"));
  }
  return personal_->ClearPendingErasures(never_recorded);
}

}  // namespace loyalty::internal
