#include "loyalty/engine.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/complaint_views.h"
#include "engine/personal_data.h"
#include "engine/engine_metrics.h"
#include "engine/engine_stores.h"
#include "engine/event_decision.h"
#include "engine/open_with_hooks.h"
#include "engine/projection_set.h"
#include "engine/projection_store.h"
#include "engine/raw_batch_check.h"
#include "engine/set_replay.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/validation.h"
#include "projections/business_time.h"
#include "projections/calendar_file.h"
#include "projections/complaint_deciders.h"
#include "projections/contact_consent.h"
#include "projections/deciders.h"
#include "projections/local_time.h"
#include "projections/member_snapshot.h"
#include "projections/survey_deciders.h"

namespace loyalty {
namespace internal {
namespace {

// How often a command is decided again after another writer changed the
// member's stream between decision and append.
constexpr int kMaxCommandAttempts = 16;
// Events read from the ledger per step of a catch-up or replay.
constexpr size_t kCatchUpChunk = 4096;

class EngineImpl final : public Engine {
 public:
  EngineImpl(const EngineOptions& options, std::string directory, std::unique_ptr<Ledger> ledger,
             std::unique_ptr<ProjectionStore> store)
      : options_(options),
        directory_(std::move(directory)),
        read_only_(options.ledger.read_only),
        notice_(NoticeSinkOf(options)),
        clock_(options.ledger.clock != nullptr ? options.ledger.clock : DefaultClock()),
        ledger_(std::move(ledger)),
        store_(std::move(store)),
        live_(std::make_unique<ProjectionSet>()) {
    live_->KeepMemberSnapshots(options_.member_snapshot_interval_events);
  }

  ~EngineImpl() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (applied_ != saved_ && !read_only_) (void)SaveLocked();
  }

  // Resumes the projections from the checkpoint (or sets it aside when it
  // is damaged or not this log's), catches up with the log, and finishes
  // the erasures a crash left half done.
  absl::Status Start(int stores_set_aside) {
    for (int i = 0; i < stores_set_aside; ++i) metrics_.CheckpointSetAside();
    ProjectionCheckpoint checkpoint;
    absl::Status resumed = ResumeFromCheckpoint(&checkpoint);
    if (!resumed.ok()) return resumed;
    std::lock_guard<std::mutex> lock(mu_);
    applied_ = saved_ = checkpoint.applied_sequence;
    const uint64_t checkpoint_sequence = applied_;
    const Stopwatch catch_up;
    absl::Status caught_up = CatchUpLocked();
    metrics_.CaughtUpOnOpen(applied_ - checkpoint_sequence, catch_up.ElapsedMicros());
    // Those of the checkpoint, when the catch-up applied nothing.
    metrics_.AnomaliesHeld(live_->AnomalyCounts());
    if (!caught_up.ok()) return caught_up;
    return FinishPendingErasuresLocked();
  }

  // Opens the member keys beside the ledger with the master key of the
  // options (docs/privacy.md). Called by Open before Start, so that a wrong
  // key stops the engine before anything is written.
  absl::Status OpenMemberKeys() {
    std::optional<std::string> master_key;
    if (options_.master_key) {
      absl::StatusOr<std::string> key = options_.master_key();
      if (!key.ok()) return key.status();
      master_key = std::move(*key);
    }
    absl::Status unusable;
    absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> store =
        OpenMemberKeyStore(directory_, read_only_, *ledger_, &unusable);
    if (!store.ok()) return store.status();
    if (!unusable.ok()) notice_(unusable.message());
    absl::StatusOr<std::unique_ptr<privacy::MemberKeys>> keys = privacy::MemberKeys::Open(
        std::move(*store), std::move(master_key), options_.random_bytes);
    if (!keys.ok()) return keys.status();
    personal_ = std::make_unique<PersonalData>(std::move(*keys), ledger_.get(), unusable);
    return absl::OkStatus();
  }

  absl::StatusOr<CommandResult> Execute(const EnrolMember& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) -> absl::StatusOr<projections::Events> {
      absl::StatusOr<projections::Events> events =
          projections::DecideEnrolMember(set.decision_state(), command);
      if (!events.ok()) return events;
      absl::Status sealed = personal_->Seal(
          *events, [&](const std::string& stream) { return StreamVersionLocked(stream); });
      if (!sealed.ok()) return sealed;
      return events;
    });
  }
  absl::StatusOr<CommandResult> Execute(const EraseMember& command) override {
    // The intent, then the event, then the key (docs/privacy.md): a crash
    // before the event leaves a mark that the next open drops (the erasure
    // did not happen, and was not acknowledged); a crash after it leaves a
    // key that the next open destroys. The log never holds a member whose
    // key is gone without its erasure.
    if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
    {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status status = CatchUpLocked();
      if (status.ok()) status = CheckBusinessTime(command.occurred_at_us, *live_);
      if (!status.ok()) return status;
      absl::StatusOr<projections::Events> events =
          projections::DecideEraseMember(live_->decision_state(), command);
      if (!events.ok()) {
        // A retry of an erasure whose event is in the log: finish it.
        const projections::MemberAccount* account =
            live_->balances().FindMember(command.member_id);
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
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status destroyed = personal_->Destroy({command.member_id});
    if (!destroyed.ok()) return destroyed;
    return result;
  }

  absl::StatusOr<v1::PersonalData> PersonalDataOf(const std::string& member_id) const override {
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
      return absl::FailedPreconditionError(
          absl::StrCat("personal data of member \"", member_id, "\" was erased on ",
                       absl::FormatCivilTime(day), " (", erased->event().member_erased().reason(),
                       ")"));
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

  absl::StatusOr<v1::PersonalData> RevealPersonal(const v1::Envelope& envelope) const override {
    std::string member_id;
    if (PersonalOf(envelope, &member_id) != nullptr) {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status status = CatchUpLocked();
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

  absl::StatusOr<std::vector<RetentionErasure>> RunRetention(
      absl::CivilDay as_of_day, const std::string& actor_id) override {
    if (actor_id.empty()) return absl::InvalidArgumentError("actor_id: must not be empty");
    std::vector<RetentionErasure> candidates;
    {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status status = CatchUpLocked();
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

  absl::StatusOr<CommandResult> Execute(const RecordPurchase& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideRecordPurchase(set.decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const RecordRefund& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideRecordRefund(set.decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const Redeem& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideRedeem(set.decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const Adjust& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideAdjust(set.decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const SetPolicy& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideSetPolicy(set.decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const GrantBirthdayBonuses& command) override {
    const absl::CivilDay today =
        projections::LocalDayOf(std::max<int64_t>(command.occurred_at_us, 0));
    absl::StatusOr<CommandResult> result =
        RunCommand(command, [&](const ProjectionSet& set) -> absl::StatusOr<projections::Events> {
          // Birth dates are read through the members' keys; the projections
          // never hold them.
          absl::StatusOr<projections::BirthDates> birth_dates =
              personal_->BirthDates(set, today);
          if (!birth_dates.ok()) return birth_dates.status();
          return projections::DecideBirthdayBonuses(set.decision_state(), command, *birth_dates);
        });
    if (!result.ok()) return result;
    // The day's grants, this run's and any earlier run's for the same day: a
    // rerun writes nothing and answers with the first run's sequences.
    const bool appended = !result->sequences.empty() && !result->deduplicated;
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status status = CatchUpLocked();
    if (!status.ok()) return status;
    result->sequences = projections::BirthdayGrantsOn(live_->balances(), today);
    result->deduplicated = !appended && !result->sequences.empty();
    return result;
  }

  absl::StatusOr<std::vector<absl::Status>> CheckInOrder(
      absl::Span<const PurchaseOrRefund> commands) const override {
    std::unique_ptr<ProjectionSet> scratch;
    uint64_t sequence = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status status = CatchUpLocked();
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

  absl::StatusOr<CommandResult> Append(const AppendBatch& batch) override {
    if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
    absl::Status status = CheckRawBatchShape(batch);
    if (!status.ok()) return status;
    for (int attempt = 0; attempt < kMaxCommandAttempts; ++attempt) {
      RawBatchContext context;
      std::unique_ptr<ProjectionSet> scratch;
      absl::Status refusal;
      {
        std::lock_guard<std::mutex> lock(mu_);
        status = CatchUpLocked();
        if (!status.ok()) return status;
        absl::StatusOr<std::unique_ptr<ProjectionSet>> copied = live_->Copy();
        if (!copied.ok()) return copied.status();
        scratch = std::move(*copied);
        context.applied_sequence = applied_;
        for (const v1::Envelope& envelope : batch.events()) {
          if (context.stream_versions.contains(envelope.stream_id())) continue;
          absl::StatusOr<uint64_t> version = StreamVersionLocked(envelope.stream_id());
          if (!version.ok()) return version.status();
          context.stream_versions[envelope.stream_id()] = *version;
        }
        // The caller's own expectations hold against the state checked.
        for (const auto& [stream_id, expected] : batch.expected_versions()) {
          absl::StatusOr<uint64_t> version = StreamVersionLocked(stream_id);
          if (!version.ok()) return version.status();
          if (*version != expected && refusal.ok()) {
            refusal = absl::FailedPreconditionError(absl::StrCat("stream \"", stream_id,
                                                                 "\": expected version ", expected,
                                                                 ", actual version ", *version));
          }
        }
      }
      context.now_us = clock_->NowMicros();
      context.personal = personal_.get();
      context.ledger = ledger_.get();
      absl::StatusOr<CheckedRawBatch> checked =
          refusal.ok() ? CheckRawBatch(batch.events(), context, scratch.get()) : refusal;
      if (!checked.ok()) {
        // A retry of a batch appended before meets the state it made and is
        // refused by the deciders; the ledger answers it instead, with the
        // original sequences (or refuses a key reused for other content).
        absl::StatusOr<bool> repeats = RepeatsAppendedKeys(batch);
        if (!repeats.ok()) return repeats.status();
        if (!*repeats) return checked.status();
        AppendBatch as_stored = batch;
        if (HasPlainPersonalData(batch)) {
          projections::Events events(batch.events().begin(), batch.events().end());
          status = UseStoredSealing(events);
          if (!status.ok()) return status;
          as_stored = BatchOf(std::move(events), batch);
        }
        absl::StatusOr<AppendResult> appended = ledger_->Append(as_stored);
        if (!appended.ok()) return appended.status();
        std::lock_guard<std::mutex> lock(mu_);
        status = CatchUpLocked();
        if (!status.ok()) return status;
        return *appended;
      }
      // Erasures as in Execute(EraseMember): the intent, the event, then
      // the keys.
      for (const std::string& member_id : checked->erased_member_ids) {
        std::lock_guard<std::mutex> lock(mu_);
        status = personal_->MarkErasurePending(member_id);
        if (!status.ok()) return status;
      }
      // Plain personal data is sealed as EnrolMember seals it: the ledger
      // stores none in the clear.
      absl::StatusOr<AppendBatch> expecting = SealedForAppend(batch, checked->expected_versions);
      if (!expecting.ok()) return expecting.status();
      absl::StatusOr<AppendResult> appended = ledger_->Append(*expecting);
      // Another writer changed a stream since the check: check again.
      if (absl::IsFailedPrecondition(appended.status())) continue;
      if (!appended.ok()) return appended.status();
      std::lock_guard<std::mutex> lock(mu_);
      if (!checked->erased_member_ids.empty()) {
        status = personal_->Destroy(checked->erased_member_ids);
        if (!status.ok()) return status;
      }
      status = CatchUpLocked();
      if (!status.ok()) return status;
      return *appended;
    }
    return absl::AbortedError(absl::StrCat("gave up after ", kMaxCommandAttempts,
                                           " attempts: the batch's streams kept changing"));
  }

  absl::StatusOr<CommandResult> Execute(const FileComplaint& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideFileComplaint(set.complaint_decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const ReplyToComplaint& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideReplyToComplaint(set.complaint_decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const StartInvestigation& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideStartInvestigation(set.complaint_decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const ResolveComplaint& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideResolveComplaint(set.complaint_decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const NotifyCustomer& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideNotifyCustomer(set.complaint_decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const ConfirmResolution& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideConfirmResolution(set.complaint_decision_state(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const DeclareCalendarDays& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideDeclareCalendarDays(set.calendar().calendar(), command);
    });
  }
  absl::StatusOr<CommandResult> Execute(const RecordSurvey& command) override {
    return RunCommand(command, [&](const ProjectionSet& set) {
      return projections::DecideRecordSurvey(set.survey_decision_state(), command);
    });
  }

  absl::StatusOr<MemberView> Member(const std::string& member_id, AsOf as_of) const override {
    absl::StatusOr<MemberView> view = MemberAsOf(member_id, as_of);
    if (view.ok()) view->as_of_kind = as_of.kind();
    return view;
  }

  absl::StatusOr<MemberView> MemberAsOf(const std::string& member_id, AsOf as_of) const {
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

  // A member as of `bound` by a replay, evaluated at `instant_us` if any:
  // the member's own stream and the policy stream hold every event that
  // decides the member's points and tier, merged in log order, from the
  // member's latest snapshot at or before `bound`
  // (projections/member_snapshot.h) if there is one. With `occurred_by_us`,
  // only the events that occurred by then, and from the start of the
  // streams (a snapshot may hold events that occurred later).
  absl::StatusOr<MemberView> MemberReplayed(const std::string& member_id,
                                            std::optional<int64_t> instant_us, uint64_t bound,
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
    absl::Status status = ledger_->ScanStream(
        projections::kPolicyStreamId, 1, [&](const v1::Envelope& envelope) {
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
      for (; next_policy < policy_events.size() &&
             policy_events[next_policy].sequence() < sequence;
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

  absl::StatusOr<ProgramView> Program(AsOf as_of) const override {
    if (as_of.kind() == AsOf::Kind::kNow) {
      std::unique_ptr<ProjectionSet> copy;
      std::vector<ProjectionDigest> digests;
      {
        std::lock_guard<std::mutex> lock(mu_);
        absl::Status caught_up = CatchUpLocked();
        if (!caught_up.ok()) return caught_up;
        absl::StatusOr<std::unique_ptr<ProjectionSet>> copied = live_->Copy();
        if (!copied.ok()) return copied.status();
        copy = std::move(*copied);
        digests = live_->Digests();
      }
      copy->AdvanceTo(clock_->NowMicros());
      ProgramView view = MakeProgramView(*copy, clock_->NowMicros());
      // Digests describe the log's state, not the wall clock's.
      view.digests = std::move(digests);
      return view;
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

  absl::StatusOr<ContactableView> Contactable(ContactChannel channel, ContactPurpose purpose,
                                              AsOf as_of) const override {
    ContactableView view;
    view.channel = channel;
    view.purpose = purpose;
    if (as_of.kind() == AsOf::Kind::kNow) {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status caught_up = CatchUpLocked();
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
    absl::Status status =
        ScanAsOf(as_of, *bound, &last_applied, [&](const v1::Envelope& envelope) {
          contacts.Apply(envelope);
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    view.member_ids = contacts.Contactable(channel, purpose);
    view.as_of_sequence = last_applied;
    view.as_of_kind = as_of.kind();
    return view;
  }

  absl::StatusOr<ComplaintView> Complaint(const std::string& complaint_id,
                                          AsOf as_of) const override {
    if (as_of.kind() == AsOf::Kind::kNow) {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status caught_up = CatchUpLocked();
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

  absl::StatusOr<SlaReportView> SlaReport(absl::CivilDay from_day, absl::CivilDay to_day,
                                          AsOf as_of) const override {
    if (as_of.kind() == AsOf::Kind::kNow) {
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status caught_up = CatchUpLocked();
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
    absl::StatusOr<SlaReportView> view = MakeSlaReportView(
        complaints, from_day, to_day, SlaInstant(as_of, complaints.now_us()));
    if (view.ok()) {
      view->as_of_sequence = last_applied;
      view->as_of_kind = as_of.kind();
    }
    return view;
  }

  absl::StatusOr<int64_t> WorkingDayDeadline(int64_t from_us,
                                             int64_t working_days) const override {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status caught_up = CatchUpLocked();
    if (!caught_up.ok()) return caught_up;
    return live_->calendar().DeadlineAfter(from_us, working_days);
  }

  absl::StatusOr<std::vector<ProjectionDigest>> Rebuild() override {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status status = CatchUpLocked();
    if (!status.ok()) return status;
    auto fresh = std::make_unique<ProjectionSet>();
    fresh->KeepMemberSnapshots(options_.member_snapshot_interval_events);
    status = Replay(applied_, fresh.get());
    if (!status.ok()) return status;
    // Serializing the states is most of what follows the replay: the live
    // digests are computed on a second thread, and the rebuilt states are
    // serialized once, for their digests and the checkpoint.
    std::vector<ProjectionDigest> live;
    std::thread live_digests([&] { live = live_->Digests(); });
    ProjectionCheckpoint checkpoint = fresh->ToCheckpoint(applied_);
    // Every snapshot again, equal to those saved before (or missing).
    checkpoint.member_snapshots = fresh->TakeMemberSnapshots();
    std::vector<ProjectionDigest> rebuilt = ProjectionSet::DigestsOf(checkpoint);
    live_digests.join();
    for (size_t i = 0; i < rebuilt.size(); ++i) {
      if (rebuilt[i].digest != live[i].digest) {
        // The live state came from the saved checkpoint and the events
        // after it: the checkpoint is damaged data, not a failed call.
        return absl::DataLossError(absl::StrCat(
            "projection ", rebuilt[i].name, ": rebuilt digest ", HashHex(rebuilt[i].digest),
            " differs from the live digest ", HashHex(live[i].digest), " at sequence ", applied_,
            "; the projections saved under ", directory_, "/", internal::kProjectionsDirectory,
            " do not match a replay of the log"));
      }
    }
    live_ = std::move(fresh);
    metrics_.AnomaliesHeld(live_->AnomalyCounts());
    if (read_only_) return rebuilt;
    absl::StatusOr<std::string> hash = ChainHashBytesAt(applied_);
    if (!hash.ok()) return hash.status();
    checkpoint.applied_hash = std::move(*hash);
    status = SaveLocked(checkpoint);
    if (!status.ok()) return status;
    return rebuilt;
  }

  absl::StatusOr<AnomaliesView> Anomalies() const override {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status status = CatchUpLocked();
    if (!status.ok()) return status;
    AnomaliesView view = live_->Anomalies();
    view.as_of_sequence = applied_;
    return view;
  }

  absl::Status Checkpoint() override {
    if (absl::Status writable = CheckWritable(); !writable.ok()) return writable;
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status status = CatchUpLocked();
    if (!status.ok()) return status;
    return SaveLocked();
  }

  Ledger& ledger() override { return *ledger_; }

  MetricsSnapshot Metrics() const override {
    MetricsSnapshot snapshot;
    snapshot.ledger = ledger_->Metrics();
    snapshot.engine = metrics_.Snapshot(snapshot.ledger.head_sequence);
    return snapshot;
  }

 private:
  // Run, counted and timed as a command of `command`'s kind.
  template <typename Command, typename Decide>
  absl::StatusOr<CommandResult> RunCommand(const Command& command, Decide decide) {
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

  // What Ledger::Append checks of a batch before reading anything, so that
  // its refusals come before the deciders': InvalidArgument for an empty or
  // oversized batch, an envelope the ledger refuses, a repeated key.
  static absl::Status CheckRawBatchShape(const AppendBatch& batch) {
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

  static bool HasPlainPersonalData(const AppendBatch& batch) {
    return std::any_of(batch.events().begin(), batch.events().end(),
                       [](const v1::Envelope& e) { return HasPlainPersonal(e); });
  }

  static AppendBatch BatchOf(projections::Events events, const AppendBatch& expectations) {
    AppendBatch batch;
    for (v1::Envelope& envelope : events) batch.Add(std::move(envelope));
    for (const auto& [stream_id, version] : expectations.expected_versions()) {
      batch.ExpectVersion(stream_id, version);
    }
    return batch;
  }

  // `batch` as Append appends it, expecting every stream at `versions` (what
  // the raw batch check saw). Each event's plain personal data is sealed
  // with the member's key, bound to the stream version the event gets (an
  // event repeating one appended before takes its stored sealed data,
  // UseStoredSealing). FailedPrecondition, naming the event, when plain
  // data comes without a master key.
  absl::StatusOr<AppendBatch> SealedForAppend(
      const AppendBatch& batch, const std::vector<std::pair<std::string, uint64_t>>& versions) {
    AppendBatch sealed;
    if (!HasPlainPersonalData(batch)) {
      sealed = batch;
    } else {
      projections::Events events(batch.events().begin(), batch.events().end());
      absl::Status status = UseStoredSealing(events);
      if (!status.ok()) return status;
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < events.size() && !personal_->has_master_key(); ++i) {
        if (!HasPlainPersonal(events[i])) continue;
        std::string member_id;
        PersonalOf(events[i], &member_id);
        return absl::FailedPreconditionError(absl::StrCat(
            "event ", i, ": personal: member \"", member_id,
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

  // Replaces the plain personal data of each of `events` whose idempotency
  // key is on its stream already by the sealed data stored there, when that
  // opens to the same data: a retried append then has the content of the
  // first, and the ledger answers it with the original sequences (sealing
  // again would draw a new nonce, and look like other content). Anything
  // else is left as given.
  absl::Status UseStoredSealing(projections::Events& events) const {
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

  // Calls `apply` with the events 1..bound that `as_of` reads: all of them,
  // or by business time those that occurred by its instant. Sets
  // `*last_applied` to the sequence of the last one applied (0 if none).
  absl::Status ScanAsOf(AsOf as_of, uint64_t bound, uint64_t* last_applied,
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

  // Whether every event of `batch` has its idempotency key on its stream
  // already: the batch repeats an append.
  absl::StatusOr<bool> RepeatsAppendedKeys(const AppendBatch& batch) const {
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

  // InvalidArgument when occurred_at_us is later than the clock's now plus
  // the tolerance of the policy in force in `set` (business_time.h).
  absl::Status CheckBusinessTime(int64_t occurred_at_us, const ProjectionSet& set) const {
    return projections::CheckBusinessTimeNotAhead(occurred_at_us, clock_->NowMicros(),
                                                  set.policies().policy());
  }

  // Decides on the caught-up state, appends with the versions of the
  // streams the events go to (member, complaint, calendar, survey) as
  // expectations, and decides again if another writer got there first.
  template <typename Decide>
  absl::StatusOr<CommandResult> Run(Decide decide) {
    for (int attempt = 0; attempt < kMaxCommandAttempts; ++attempt) {
      std::vector<AppendBatch> batches;
      {
        std::lock_guard<std::mutex> lock(mu_);
        absl::Status status = CatchUpLocked();
        if (!status.ok()) return status;
        absl::StatusOr<projections::Events> events = decide(*live_);
        if (!events.ok()) return events.status();
        if (events->empty()) return CommandResult();
        absl::StatusOr<std::vector<AppendBatch>> made = MakeBatchesLocked(std::move(*events));
        if (!made.ok()) return made.status();
        batches = std::move(*made);
      }
      CommandResult result;
      result.deduplicated = true;
      bool conflict = false;
      for (const AppendBatch& batch : batches) {
        absl::StatusOr<AppendResult> appended = ledger_->Append(batch);
        if (!appended.ok()) {
          if (appended.status().code() == absl::StatusCode::kFailedPrecondition &&
              result.sequences.empty()) {
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
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status status = CatchUpLocked();
      if (!status.ok()) return status;
      return result;
    }
    return absl::AbortedError(absl::StrCat("gave up after ", kMaxCommandAttempts,
                                           " attempts: the member's stream kept changing"));
  }

  // One batch (or several, past the ledger's limit) expecting each stream at
  // the version the decision saw. Batches past the first carry independent
  // events (birthday grants), which need no expectation.
  absl::StatusOr<std::vector<AppendBatch>> MakeBatchesLocked(projections::Events events) {
    std::vector<AppendBatch> batches(1);
    for (v1::Envelope& envelope : events) {
      if (batches.back().size() == kMaxBatchEvents) batches.emplace_back();
      batches.back().Add(std::move(envelope));
    }
    if (batches.size() == 1) {
      for (const v1::Envelope& envelope : batches[0].events()) {
        absl::StatusOr<uint64_t> version = StreamVersionLocked(envelope.stream_id());
        if (!version.ok()) return version.status();
        batches[0].ExpectVersion(envelope.stream_id(), *version);
      }
    }
    return batches;
  }

  // The stream's version in the applied state (not the ledger's head, which
  // may be ahead with appends not yet applied).
  absl::StatusOr<uint64_t> StreamVersionLocked(const std::string& stream_id) {
    if (auto it = stream_versions_.find(stream_id); it != stream_versions_.end()) {
      return it->second;
    }
    absl::StatusOr<uint64_t> version = ledger_->StreamVersion(stream_id);
    if (!version.ok()) return version.status();
    uint64_t applied_version = 0;
    absl::Status status =
        ledger_->ScanStream(stream_id, 1, [&](const v1::Envelope& envelope) -> absl::Status {
          if (envelope.sequence() > applied_) return absl::CancelledError();
          applied_version = envelope.stream_version();
          return absl::OkStatus();
        });
    if (!status.ok() && !absl::IsCancelled(status)) return status;
    stream_versions_[stream_id] = applied_version;
    return applied_version;
  }

  // Applies every event appended since the last catch-up. The live state is
  // a cache of the log, so queries may bring it up to date too.
  absl::Status CatchUpLocked() const {
    const uint64_t head = ledger_->Head().sequence;
    const uint64_t applied_before = applied_;
    while (applied_ < head) {
      const uint64_t to = std::min<uint64_t>(head, applied_ + kCatchUpChunk);
      absl::Status status =
          ledger_->Scan(applied_ + 1, to, [&](const v1::Envelope& envelope) -> absl::Status {
            absl::Status applied = live_->Apply(envelope);
            if (!applied.ok()) return applied;
            stream_versions_[envelope.stream_id()] = envelope.stream_version();
            applied_ = envelope.sequence();
            return absl::OkStatus();
          });
      if (!status.ok()) return status;
      if (applied_ - saved_ >= options_.checkpoint_interval_events && !read_only_) {
        status = SaveLocked();
        if (!status.ok()) return status;
      }
    }
    metrics_.Applied(applied_, applied_ - applied_before, /*at_head=*/true);
    if (applied_ != applied_before) metrics_.AnomaliesHeld(live_->AnomalyCounts());
    return absl::OkStatus();
  }

  absl::Status SaveLocked() const {
    ProjectionCheckpoint checkpoint = live_->ToCheckpoint(applied_);
    absl::StatusOr<std::string> hash = ChainHashBytesAt(applied_);
    if (!hash.ok()) return hash.status();
    checkpoint.applied_hash = std::move(*hash);
    // Lost if the save fails: a query then starts from an earlier snapshot.
    checkpoint.member_snapshots = live_->TakeMemberSnapshots();
    return SaveLocked(checkpoint);
  }

  // Saves `checkpoint`, which must be that of live_ at applied_.
  absl::Status SaveLocked(const ProjectionCheckpoint& checkpoint) const {
    absl::Status status = store_->Save(checkpoint);
    if (status.ok()) {
      saved_ = applied_;
      metrics_.CheckpointSaved();
    }
    return status;
  }

  // FailedPrecondition in a read-only engine: every command writes.
  absl::Status CheckWritable() const {
    if (!read_only_) return absl::OkStatus();
    return absl::FailedPreconditionError(
        "the engine is open read-only (LedgerOptions::read_only): commands need a writing open");
  }

  // The chain hash at `sequence`, as the checkpoint records it.
  absl::StatusOr<std::string> ChainHashBytesAt(uint64_t sequence) const {
    absl::StatusOr<Hash> hash = ledger_->HashAt(sequence);
    if (!hash.ok()) return hash.status();
    return std::string(reinterpret_cast<const char*>(hash->data()), hash->size());
  }

  // Restores the live projections from the store's checkpoint into
  // *checkpoint (left empty to rebuild from the log). A checkpoint of an
  // older build is discarded; one that does not read back, is past the
  // head, or was taken of another log is set aside (engine.h, "Damage").
  absl::Status ResumeFromCheckpoint(ProjectionCheckpoint* checkpoint) {
    if (store_ == nullptr) return absl::OkStatus();
    absl::StatusOr<ProjectionCheckpoint> loaded = store_->Load();
    std::string damage;
    if (!loaded.ok()) {
      if (!absl::IsDataLoss(loaded.status())) return loaded.status();
      damage = std::string(loaded.status().message());
    } else if (loaded->applied_sequence == 0) {
      return absl::OkStatus();
    } else if (loaded->applied_sequence > ledger_->Head().sequence) {
      damage = absl::StrCat("it is at sequence ", loaded->applied_sequence,
                            ", past the ledger's head ", ledger_->Head().sequence);
    } else if (loaded->applied_hash.empty() || !live_->HasEveryState(*loaded)) {
      // Saved by a build with fewer projections, an older state format or
      // no chain hash: the log is the source of truth, so every projection
      // is rebuilt from it. Cleared first: such a checkpoint may hold states
      // no longer saved (the birth dates of builds that kept them in the
      // clear).
      return read_only_ ? absl::OkStatus() : store_->Clear();
    } else {
      absl::StatusOr<std::string> hash = ChainHashBytesAt(loaded->applied_sequence);
      if (!hash.ok()) return hash.status();
      if (*hash != loaded->applied_hash) {
        damage = absl::StrCat("it was taken of another log (its chain hash at sequence ",
                              loaded->applied_sequence, " differs from this ledger's)");
      } else {
        absl::Status restored = live_->Restore(*loaded);
        if (restored.ok()) {
          *checkpoint = std::move(*loaded);
          return absl::OkStatus();
        }
        if (!absl::IsDataLoss(restored) && !absl::IsInvalidArgument(restored)) return restored;
        damage = std::string(restored.message());
        live_ = std::make_unique<ProjectionSet>();
        live_->KeepMemberSnapshots(options_.member_snapshot_interval_events);
      }
    }
    metrics_.CheckpointSetAside();
    if (read_only_) {
      notice_(absl::StrCat("the projections' checkpoint is not used: ", damage,
                           "; the projections are replayed from the log (a writing command "
                           "sets it aside and saves a new one)"));
      store_.reset();
      return absl::OkStatus();
    }
    store_.reset();  // closed before its directory is renamed
    absl::StatusOr<std::unique_ptr<ProjectionStore>> fresh =
        SetAsideProjectionStore(directory_, damage, notice_);
    if (!fresh.ok()) return fresh.status();
    store_ = std::move(*fresh);
    return absl::OkStatus();
  }

  // Finishes the erasures that a crash interrupted (Execute(EraseMember)):
  // a member whose erasure is in the log loses its key now; a mark whose
  // erasure never reached the log is dropped, the key kept.
  absl::Status FinishPendingErasuresLocked() {
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

  absl::Status Replay(uint64_t to, ProjectionSet* set) const {
    return ReplayLog(*ledger_, 1, to, options_.replay_threads, set);
  }

  absl::StatusOr<uint64_t> SequenceBound(AsOf as_of) const {
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

  // The instant SLA clocks are evaluated at (engine.h): the clock's now, the
  // asked-for time, or the business time the state read reached.
  int64_t SlaInstant(AsOf as_of, int64_t business_us) const {
    switch (as_of.kind()) {
      case AsOf::Kind::kNow:
        return clock_->NowMicros();
      case AsOf::Kind::kRecordedTime:
      case AsOf::Kind::kBusinessTime:
        return as_of.instant_us();
      case AsOf::Kind::kSequence:
        return business_us;
    }
    return business_us;
  }

  // A member as of `bound` from the live projections: a copy of the
  // member's account and tier. Only the member's own events and the
  // policies move them, so when none of those came after `bound` the copy
  // is what a replay up to `bound` gives, without the replay. Nothing (and
  // the caller replays) when one did, or when an append raced this read.
  // NotFound for an unknown member.
  absl::StatusOr<std::optional<MemberView>> MemberFromLive(const std::string& member_id,
                                                           std::optional<int64_t> instant_us,
                                                           uint64_t bound) const {
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
      std::lock_guard<std::mutex> lock(mu_);
      absl::Status status = CatchUpLocked();
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

  // The sequence of the last event of a stream; 0 for an empty stream.
  absl::StatusOr<uint64_t> LastSequenceOf(absl::string_view stream_id) const {
    absl::StatusOr<uint64_t> version = ledger_->StreamVersion(stream_id);
    if (!version.ok() || *version == 0) return version;
    uint64_t sequence = 0;
    absl::Status status =
        ledger_->ScanStream(stream_id, *version, [&](const v1::Envelope& envelope) {
          sequence = envelope.sequence();
          return absl::CancelledError();
        });
    if (!status.ok() && !absl::IsCancelled(status)) return status;
    return sequence;
  }

  // The business time a query evaluates its state at (views.h, AsOf): the
  // clock's now for AsOf::Now(), the instant of a business or recorded
  // time, and for a sequence the occurred-at of its last event, `bound`
  // (none when it reads no event).
  absl::StatusOr<std::optional<int64_t>> QueryInstant(AsOf as_of, uint64_t bound) const {
    switch (as_of.kind()) {
      case AsOf::Kind::kNow:
        return clock_->NowMicros();
      case AsOf::Kind::kRecordedTime:
      case AsOf::Kind::kBusinessTime:
        return as_of.instant_us();
      case AsOf::Kind::kSequence:
        break;
    }
    if (bound == 0) return std::nullopt;
    absl::StatusOr<std::vector<v1::Envelope>> last = ledger_->Read(bound, 1);
    if (!last.ok()) return last.status();
    if (last->empty()) {
      return absl::DataLossError(absl::StrCat("sequence ", bound, ": missing from the ledger"));
    }
    return last->front().occurred_at_us();
  }

  const EngineOptions options_;
  const std::string directory_;
  const bool read_only_;
  const NoticeSink notice_;
  const Clock* const clock_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<ProjectionStore> store_;

  // Guards the live projections and what goes with them.
  mutable std::mutex mu_;
  mutable std::unique_ptr<ProjectionSet> live_;
  mutable uint64_t applied_ = 0;  // the last sequence applied to live_
  mutable uint64_t saved_ = 0;    // the sequence of the last checkpoint
  mutable absl::flat_hash_map<std::string, uint64_t> stream_versions_;
  // Member keys and what was decrypted with them (birth dates). Set by
  // OpenMemberKeys; used under mu_ but for the reads of PersonalDataOf and
  // RevealPersonal.
  std::unique_ptr<PersonalData> personal_;

  // Lock-free: Metrics() reads them without mu_.
  mutable EngineCounters metrics_;
};

}  // namespace
}  // namespace internal

bool ContinuesDecision(const v1::Envelope& envelope) {
  return internal::ContinuesDecision(envelope);
}

absl::StatusOr<v1::CalendarDaysDeclared> ParseCalendarFile(absl::string_view text) {
  return projections::ParseCalendarFile(text);
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const std::string& directory,
                                                     const EngineOptions& options) {
  return internal::OpenEngineWithHooks(directory, options, internal::StorageHooks());
}

absl::StatusOr<std::unique_ptr<Engine>> internal::OpenEngineWithHooks(
    const std::string& directory, const EngineOptions& options, const StorageHooks& hooks) {
  absl::Status valid = CheckReplayThreads(options.replay_threads);
  if (!valid.ok()) return valid;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      RocksDbLedger::Open(directory, options.ledger, hooks);
  if (!ledger.ok()) return ledger.status();
  // The ledger holds the directory's lock (unless read-only, when nothing
  // is written), so the stores beside it are ours.
  int stores_set_aside = 0;
  absl::StatusOr<std::unique_ptr<internal::ProjectionStore>> store = internal::OpenProjectionStore(
      directory, options.ledger.read_only, internal::NoticeSinkOf(options), &stores_set_aside);
  if (!store.ok()) return store.status();
  auto engine = std::make_unique<internal::EngineImpl>(options, directory, std::move(*ledger),
                                                       std::move(*store));
  absl::Status started = engine->OpenMemberKeys();
  if (!started.ok()) return started;
  started = engine->Start(stores_set_aside);
  if (!started.ok()) return started;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace loyalty
