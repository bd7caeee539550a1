// EngineImpl: the engine behind include/loyalty/engine.h, as one class whose
// work is split by job over four files:
//   engine.cc           opening, the checkpoint, catching up and rebuilding;
//   engine_commands.cc  the command loop: decide, append, retry on a race;
//   engine_queries.cc   the views, now and as of any point of the log;
//   engine_personal.cc  personal data, consent and retention.
// The projection set it keeps and the replay that rebuilds it are replay/'s.
#ifndef LOYALTY_ENGINE_ENGINE_IMPL_H_
#define LOYALTY_ENGINE_ENGINE_IMPL_H_

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/complaint_views.h"
#include "engine/engine_metrics.h"
#include "engine/engine_stores.h"
#include "engine/event_decision.h"
#include "engine/open_with_hooks.h"
#include "engine/personal_data.h"
#include "engine/projection_store.h"
#include "engine/raw_batch_check.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/validation.h"
#include "loyalty/engine.h"
#include "projections/business_time.h"
#include "projections/calendar_file.h"
#include "projections/complaint_deciders.h"
#include "projections/contact_consent.h"
#include "projections/deciders.h"
#include "projections/local_time.h"
#include "projections/member_snapshot.h"
#include "projections/survey_deciders.h"
#include "replay/projection_set.h"
#include "replay/set_replay.h"
#include "util/file_lock.h"
#include "util/mutex.h"

namespace loyalty::internal {

// How often a command is decided again after another writer changed the
// member's stream between decision and append.
inline constexpr int kMaxCommandAttempts = 16;
// Events read from the ledger per step of a catch-up or replay.
inline constexpr size_t kCatchUpChunk = 4096;

class EngineImpl final : public Engine {
 public:
  // `store` may be nullptr (no checkpoint: the projections are kept in
  // memory only). `local_lock`, when given, is held while the engine lives:
  // the lock of the checkpoint's directory of a ledger on PostgreSQL.
  EngineImpl(const EngineOptions& options, std::string directory, std::unique_ptr<Ledger> ledger,
             std::unique_ptr<ProjectionStore> store,
             std::unique_ptr<util::FileLock> local_lock = nullptr);

  ~EngineImpl() override;

  // Resumes the projections from the checkpoint (or sets it aside when it
  // is damaged or not this log's), catches up with the log, and finishes
  // the erasures a crash left half done.
  absl::Status Start(int stores_set_aside);

  // Opens the member keys beside the ledger with the master key of the
  // options (docs/privacy.md). Called by Open before Start, so that a wrong
  // key stops the engine before anything is written.
  absl::Status OpenMemberKeys();

  absl::StatusOr<CommandResult> Execute(const EnrolMember& command) override;
  absl::StatusOr<CommandResult> Execute(const EraseMember& command) override;

  absl::StatusOr<v1::PersonalData> PersonalDataOf(const std::string& member_id) const override;

  absl::StatusOr<v1::PersonalData> RevealPersonal(const v1::Envelope& envelope) const override;

  absl::StatusOr<std::vector<RetentionErasure>> RunRetention(absl::CivilDay as_of_day,
                                                             const std::string& actor_id) override;

  absl::StatusOr<CommandResult> Execute(const RecordPurchase& command) override;
  absl::StatusOr<CommandResult> Execute(const RecordRefund& command) override;
  absl::StatusOr<CommandResult> Execute(const Redeem& command) override;
  absl::StatusOr<CommandResult> Execute(const Adjust& command) override;
  absl::StatusOr<CommandResult> Execute(const SetPolicy& command) override;
  absl::StatusOr<CommandResult> Execute(const GrantBirthdayBonuses& command) override;

  absl::StatusOr<std::vector<absl::Status>> CheckInOrder(
      absl::Span<const PurchaseOrRefund> commands) const override;

  absl::StatusOr<CommandResult> Append(const AppendBatch& batch) override;
  // Append's steps. Under mu_: the live state copied into *scratch, the
  // applied versions of the batch's streams in *context, and the caller's
  // expectations checked against them (a refusal is the value, Aborted).
  absl::StatusOr<absl::Status> PrepareRawCheck(const AppendBatch& batch, RawBatchContext* context,
                                               std::unique_ptr<ProjectionSet>* scratch);
  // A batch the deciders refused may be a retry of one appended before,
  // which the ledger answers with its original sequences; `refusal`
  // otherwise.
  absl::StatusOr<CommandResult> AppendIfRepeated(const AppendBatch& batch,
                                                 const absl::Status& refusal);

  absl::StatusOr<CommandResult> Execute(const FileComplaint& command) override;
  absl::StatusOr<CommandResult> Execute(const ReplyToComplaint& command) override;
  absl::StatusOr<CommandResult> Execute(const StartInvestigation& command) override;
  absl::StatusOr<CommandResult> Execute(const ResolveComplaint& command) override;
  absl::StatusOr<CommandResult> Execute(const NotifyCustomer& command) override;
  absl::StatusOr<CommandResult> Execute(const ConfirmResolution& command) override;
  absl::StatusOr<CommandResult> Execute(const DeclareCalendarDays& command) override;
  absl::StatusOr<CommandResult> Execute(const RecordSurvey& command) override;

  absl::StatusOr<MemberView> Member(const std::string& member_id, AsOf as_of) const override;

  absl::StatusOr<MemberView> MemberAsOf(const std::string& member_id, AsOf as_of) const;

  // A member as of `bound` by a replay, evaluated at `instant_us` if any:
  // the member's own stream and the policy stream hold every event that
  // decides the member's points and tier, merged in log order, from the
  // member's latest snapshot at or before `bound`
  // (projections/member_snapshot.h) if there is one. With `occurred_by_us`,
  // only the events that occurred by then, and from the start of the
  // streams (a snapshot may hold events that occurred later).
  absl::StatusOr<MemberView> MemberReplayed(const std::string& member_id,
                                            std::optional<int64_t> instant_us, uint64_t bound,
                                            std::optional<int64_t> occurred_by_us) const;

  absl::StatusOr<ProgramView> Program(AsOf as_of) const override;

  absl::StatusOr<ContactableView> Contactable(ContactChannel channel, ContactPurpose purpose,
                                              AsOf as_of) const override;

  absl::StatusOr<ComplaintView> Complaint(const std::string& complaint_id,
                                          AsOf as_of) const override;

  absl::StatusOr<SlaReportView> SlaReport(absl::CivilDay from_day, absl::CivilDay to_day,
                                          AsOf as_of) const override;

  absl::StatusOr<int64_t> WorkingDayDeadline(int64_t from_us, int64_t working_days) const override;

  absl::StatusOr<std::vector<ProjectionDigest>> Rebuild() override;

  absl::StatusOr<AnomaliesView> Anomalies() const override;

  absl::Status Checkpoint() override;

  absl::StatusOr<BackupInfo> Backup(const std::string& backup_directory) override;

  Ledger& ledger() override { return *ledger_; }

  MetricsSnapshot Metrics() const override;

 private:
  // Run, counted and timed as a command of `command`'s kind.
  template <typename Command, typename Decide>
  absl::StatusOr<CommandResult> RunCommand(const Command& command, Decide decide);

  // What Ledger::Append checks of a batch before reading anything, so that
  // its refusals come before the deciders': InvalidArgument for an empty or
  // oversized batch, an envelope the ledger refuses, a repeated key.
  static absl::Status CheckRawBatchShape(const AppendBatch& batch);

  static bool HasPlainPersonalData(const AppendBatch& batch);

  static AppendBatch BatchOf(projections::Events events, const AppendBatch& expectations);

  // `batch` as Append appends it, expecting every stream at `versions` (what
  // the raw batch check saw). Each event's plain personal data is sealed
  // with the member's key, bound to the stream version the event gets (an
  // event repeating one appended before takes its stored sealed data,
  // UseStoredSealing). FailedPrecondition, naming the event, when plain
  // data comes without a master key.
  absl::StatusOr<AppendBatch> SealedForAppend(
      const AppendBatch& batch, const std::vector<std::pair<std::string, uint64_t>>& versions);

  // Replaces the plain personal data of each of `events` whose idempotency
  // key is on its stream already by the sealed data stored there, when that
  // opens to the same data: a retried append then has the content of the
  // first, and the ledger answers it with the original sequences (sealing
  // again would draw a new nonce, and look like other content). Anything
  // else is left as given.
  absl::Status UseStoredSealing(projections::Events& events) const;

  // Calls `apply` with the events 1..bound that `as_of` reads: all of them,
  // or by business time those that occurred by its instant. Sets
  // `*last_applied` to the sequence of the last one applied (0 if none).
  absl::Status ScanAsOf(AsOf as_of, uint64_t bound, uint64_t* last_applied,
                        const std::function<absl::Status(const v1::Envelope&)>& apply) const;

  // Whether every event of `batch` has its idempotency key on its stream
  // already: the batch repeats an append.
  absl::StatusOr<bool> RepeatsAppendedKeys(const AppendBatch& batch) const;

  // InvalidArgument when occurred_at_us is later than the clock's now plus
  // the tolerance of the policy in force in `set` (business_time.h).
  absl::Status CheckBusinessTime(int64_t occurred_at_us, const ProjectionSet& set) const;

  // Decides on the caught-up state, appends with the versions of the
  // streams the events go to (member, complaint, calendar, survey) as
  // expectations, and decides again if another writer got there first.
  template <typename Decide>
  absl::StatusOr<CommandResult> Run(Decide decide);

  // One batch (or several, past the ledger's limit) expecting each stream at
  // the version the decision saw. Batches past the first carry independent
  // events (birthday grants), which need no expectation.
  absl::StatusOr<std::vector<AppendBatch>> MakeBatches(projections::Events events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The stream's version in the applied state (not the ledger's head, which
  // may be ahead with appends not yet applied).
  absl::StatusOr<uint64_t> AppliedStreamVersion(const std::string& stream_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Applies every event appended since the last catch-up. The live state is
  // a cache of the log, so queries may bring it up to date too.
  absl::Status CatchUp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Status SaveCheckpoint() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Saves `checkpoint`, which must be that of live_ at applied_.
  absl::Status SaveCheckpoint(const ProjectionCheckpoint& checkpoint) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // FailedPrecondition in a read-only engine: every command writes.
  absl::Status CheckWritable() const;

  // The chain hash at `sequence`, as the checkpoint records it.
  absl::StatusOr<std::string> ChainHashBytesAt(uint64_t sequence) const;

  // Restores the live projections from the store's checkpoint into
  // *checkpoint (left empty to rebuild from the log). A checkpoint of an
  // older build is discarded; one that does not read back, is past the
  // head, or was taken of another log is set aside (engine.h, "Damage").
  absl::Status ResumeFromCheckpoint(ProjectionCheckpoint* checkpoint)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Finishes the erasures that a crash interrupted (Execute(EraseMember)):
  // a member whose erasure is in the log loses its key now; a mark whose
  // erasure never reached the log is dropped, the key kept.
  absl::Status FinishPendingErasures() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Status Replay(uint64_t to, ProjectionSet* set) const;

  absl::StatusOr<uint64_t> SequenceBound(AsOf as_of) const;

  // The instant SLA clocks are evaluated at (engine.h): the clock's now, the
  // asked-for time, or the business time the state read reached.
  int64_t SlaInstant(AsOf as_of, int64_t business_us) const;

  // A member as of `bound` from the live projections: a copy of the
  // member's account and tier. Only the member's own events and the
  // policies move them, so when none of those came after `bound` the copy
  // is what a replay up to `bound` gives, without the replay. Nothing (and
  // the caller replays) when one did, or when an append raced this read.
  // NotFound for an unknown member.
  absl::StatusOr<std::optional<MemberView>> MemberFromLive(const std::string& member_id,
                                                           std::optional<int64_t> instant_us,
                                                           uint64_t bound) const;

  // ledger_->Append, and on a ledger in PostgreSQL the same batch again
  // while the outcome is unknown (Unavailable: a lost connection, a
  // failover), for up to EngineOptions::unknown_outcome_retry_ms: the
  // ledger answers a batch that was committed with its original sequences.
  absl::StatusOr<AppendResult> AppendSettled(const AppendBatch& batch);
  // CatchUp after an acknowledged append, whose result stands even if it
  // fails.
  void CatchUpAfterAppend() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The sequence of the last event of a stream; 0 for an empty stream.
  absl::StatusOr<uint64_t> LastSequenceOf(absl::string_view stream_id) const;

  // The business time a query evaluates its state at (views.h, AsOf): the
  // clock's now for AsOf::Now(), the instant of a business or recorded
  // time, and for a sequence the occurred-at of its last event, `bound`
  // (none when it reads no event).
  absl::StatusOr<std::optional<int64_t>> QueryInstant(AsOf as_of, uint64_t bound) const;

  // The member snapshots to keep: none without a checkpoint store to save
  // them in (they would pile up in memory).
  uint64_t SnapshotInterval() const {
    return store_ != nullptr ? options_.member_snapshot_interval_events : 0;
  }

  const EngineOptions options_;
  const std::string directory_;
  const bool read_only_;
  const NoticeSink notice_;
  const Clock* const clock_;
  std::unique_ptr<Ledger> ledger_;
  const std::unique_ptr<util::FileLock> local_lock_;  // released after store_ closes
  std::unique_ptr<ProjectionStore> store_;

  // Guards the live projections and what goes with them.
  mutable Mutex mu_;
  mutable std::unique_ptr<ProjectionSet> live_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;  // the last sequence applied to live_
  mutable uint64_t saved_ ABSL_GUARDED_BY(mu_) = 0;    // the sequence of the last checkpoint
  mutable absl::flat_hash_map<std::string, uint64_t> stream_versions_ ABSL_GUARDED_BY(mu_);
  // Member keys and what was decrypted with them (birth dates). Set by
  // OpenMemberKeys; used under mu_ but for the reads of PersonalDataOf and
  // RevealPersonal.
  std::unique_ptr<PersonalData> personal_;

  // Lock-free: Metrics() reads them without mu_.
  mutable EngineCounters metrics_;
};

}  // namespace loyalty::internal

#endif  // LOYALTY_ENGINE_ENGINE_IMPL_H_
