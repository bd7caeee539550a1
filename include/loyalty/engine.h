// loyalty::Engine — the facade a service embeds: commands in, views out.
//
// The engine owns a Ledger (the source of truth) and the projections built
// from it (points, tiers, partners, policies, the working-day calendar,
// complaints and their SLA clocks). A command is checked against
// the projections, turned into events, and appended in one atomic batch
// together with the events it causes (points earned with a purchase,
// clawbacks with a refund), so the log alone explains every point.
//
// Projection state is checkpointed with the sequence it reflects and the
// chain hash there in one write, under DIRECTORY/projections; on open the
// engine resumes from the checkpoint and catches up with the log. A
// checkpoint that lacks the state of a projection (written by a build that
// did not have it yet) is discarded and every projection is rebuilt from
// the log.
//
// Damage. The log is the source of truth and the projections are derived
// from it, so damaged derived data heals and damaged source data is named:
// - A checkpoint that does not read back (a damaged or incomplete store),
//   that is past the log's head, or whose chain hash differs from the log's
//   at its sequence (copied from another ledger) is set aside (renamed to
//   DIRECTORY/projections.damaged) and the projections are rebuilt from the
//   log; EngineOptions::notice is told and the metrics count it.
// - The member key store (DIRECTORY/member-keys) is never created over
//   existing files: Open fails with DataLoss, naming the store, when it is
//   damaged, or when it is missing while the log holds sealed personal data.
//   A read-only open goes on without it, and only what needs personal data
//   fails.
// - An erasure is recorded before the member's key is destroyed; an open
//   finishes one that a crash interrupted (docs/privacy.md).
//
// Thread safety: all methods may be called from many threads at once.
// Commands for different members proceed concurrently (optimistic
// concurrency on the member's stream, group commit in the ledger).
#ifndef LOYALTY_ENGINE_H_
#define LOYALTY_ENGINE_H_

#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "loyalty/backup.h"
#include "loyalty/commands.h"
#include "loyalty/ledger.h"
#include "loyalty/privacy.h"
#include "loyalty/views.h"

namespace loyalty {

// Receives a one-line message when the engine repairs derived data on its
// own (engine.h, "Damage").
using NoticeSink = std::function<void(absl::string_view message)>;

struct EngineOptions {
  // Where the log and the member keys live. Empty (the default): in RocksDB
  // in the directory given to Open, with the projections' checkpoint beside
  // them. A libpq connection URI or string, for example
  //   postgresql://db1:5432,db2:5432/mall?target_session_attrs=read-write
  // : in that PostgreSQL database, in the first schema of its search_path
  // (docs/ledger.md, "The PostgreSQL backend"; docs/replication.md), and the
  // directory given to Open holds only the projections' checkpoint, which is
  // derived data: it is made if missing, and an empty directory name keeps
  // the projections in memory only (every open replays the log).
  std::string postgres_uri;
  // With postgres_uri: how long a command appends the same events again
  // when the outcome of its append is unknown (the connection was lost:
  // a failover, docs/replication.md) before it returns Unavailable. The
  // ledger answers events that were committed with their original
  // sequences, so the command returns as if nothing had happened. After
  // Unavailable the caller cannot tell either: Engine::Append of the same
  // raw batch returns the original sequences if it was committed; a
  // command with the same id is refused as already recorded
  // (AlreadyExists, naming the id), and the member's view shows its effect.
  // Default: 120000, two minutes (pg_auto_failover's default timeouts fail
  // over in about one).
  int64_t unknown_outcome_retry_ms = 120000;
  // The ledger's options. ledger.read_only opens the whole engine for
  // reading: nothing under the directory is written, created or deleted
  // (the projections' checkpoint is read if it is there, never saved; the
  // member keys are read, never made), so any number of read-only engines
  // may run beside one writer. Every command fails with FailedPrecondition;
  // views, reads and verification work, each as of the log when opened.
  // Default: LedgerOptions' own defaults (ledger.h).
  LedgerOptions ledger;
  // Save the projections' checkpoint after this many newly applied events
  // (and on close). Smaller means less to replay after a crash. Default:
  // 100000.
  uint64_t checkpoint_interval_events = 100000;
  // Keep a snapshot of a member's balance and tier after every this many
  // events of the member's own stream, saved with the next checkpoint.
  // Member() as of a point before the member's latest event replays the
  // member's stream from the latest snapshot at or before that point, so at
  // most this many of its events, instead of from its start. 0: none. The
  // snapshots are derived data, like the checkpoint: Rebuild writes them
  // again, and no digest covers them. Default: 128.
  uint64_t member_snapshot_interval_events = 128;
  // Threads a full replay (Rebuild, and a program view as of an earlier
  // point) uses: 2 reads and applies half of the projections on the calling
  // thread and the member projections (balances, tiers) on a second one
  // (what that saves: docs/embedding.md, "Queries and AsOf"); 1 keeps it on
  // the calling thread. Open fails with InvalidArgument for any other value.
  // Default: 2.
  int replay_threads = 2;
  // Where the master key comes from (loyalty/privacy.h): it wraps the member
  // data keys that seal personal data. Called once by Open. Empty (the
  // default): no master key; the engine still opens and serves everything but personal data:
  // EnrolMember with personal data, PersonalDataOf, RevealPersonal and the
  // birthday job fail with FailedPrecondition "no master key: ...". Open
  // fails with PermissionDenied for a key other than the one the ledger's
  // member keys were sealed with, and InvalidArgument for one that is not
  // 32 bytes, before anything is written.
  MasterKeySource master_key;
  // Where member data keys and nonces come from (loyalty/privacy.h). Empty
  // (the default): OpenSSL's RAND_bytes.
  RandomBytesSource random_bytes;
  // Told once about each repair of derived data the engine makes on its
  // own (a damaged checkpoint set aside, an erasure finished); the metrics
  // count them too. Empty (the default): "loyalty: <message>" on standard
  // error.
  NoticeSink notice;
};

// The sequences a command appended (in batch order); `deduplicated` when the
// ledger already held them (a retry).
using CommandResult = AppendResult;

// One line of a purchase history being imported: a purchase or a refund.
using PurchaseOrRefund = std::variant<RecordPurchase, RecordRefund>;

// Whether `envelope` is the second event of a decision: the points grant of
// a purchase, the clawback of a refund, the goodwill grant of a resolution.
// Engine::Append takes it only right after the event it belongs to, in the
// same batch, so a split of raw events into batches never falls before it.
bool ContinuesDecision(const v1::Envelope& envelope);

class Engine {
 public:
  // Opens the ledger in `directory` (creating it as options.ledger allows),
  // or in the PostgreSQL database of options.postgres_uri with the
  // projections' checkpoint in `directory`, and brings the projections up
  // to its head. Unimplemented for a postgres_uri when the library was built
  // without PostgreSQL (LOYALTY_POSTGRES off).
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const std::string& directory,
                                                      const EngineOptions& options);
  virtual ~Engine() = default;

  // Commands. Errors: see commands.h; nothing is appended on error.
  //
  // Business time, for every command and every event of Append: an
  // occurred_at_us later than the ledger clock's now (LedgerOptions::clock)
  // plus the tolerance of the policy BusinessTimePolicy (default 24 hours)
  // is refused with InvalidArgument naming the field, both times in RFC 3339
  // and the tolerance:
  //   occurred_at_us: 2099-03-01T02:00:00.000000Z is later than the ledger
  //   clock's now 2024-06-01T00:00:00.000000Z plus the tolerance of 24h
  //   (policy business_time.future_tolerance_seconds 86400)
  // Input dated years ahead would expire points and move every report for
  // good; the log is never rewritten. A retention run or birthday job dated
  // ahead is refused the same way.
  // EnrolMember's personal data (given plain) is stored sealed with the
  // member's data key, created then (docs/privacy.md); FailedPrecondition
  // without a master key, InvalidArgument for data given sealed.
  virtual absl::StatusOr<CommandResult> Execute(const EnrolMember& command) = 0;
  // Destroys the member's data key (and makes RocksDB drop it from disk),
  // then appends MemberErased: from then on the member's personal data
  // reads as erased and new commands for the member are rejected. Points
  // and amounts stay. Needs no master key. A retry after the key was
  // destroyed but the append failed succeeds.
  virtual absl::StatusOr<CommandResult> Execute(const EraseMember& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const RecordPurchase& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const RecordRefund& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const Redeem& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const Adjust& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const GrantBirthdayBonuses& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const SetPolicy& command) = 0;

  // Complaints (contract clause 7): each command is checked against the
  // complaint's state and appended on its stream "complaint-<complaint_id>"
  // (the goodwill grant of a resolution on the member's stream, in the same
  // batch, naming the complaint). A step out of order is FailedPrecondition
  // naming the command, the complaint, its state and cycle, e.g.
  //   ResolveComplaint: complaint "C1" is closed (cycle 2); nothing follows closing
  // NotFound for a complaint never filed. A retry of a step already applied
  // meets the moved-on state (FailedPrecondition); a retried filing gets
  // AlreadyExists.
  virtual absl::StatusOr<CommandResult> Execute(const FileComplaint& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const ReplyToComplaint& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const StartInvestigation& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const ResolveComplaint& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const NotifyCustomer& command) = 0;
  virtual absl::StatusOr<CommandResult> Execute(const ConfirmResolution& command) = 0;
  // Declares calendar days on the stream "calendar" (docs/calendar.md).
  // AlreadyExists when every day is already declared so by the same source
  // (loading a file twice): nothing is appended.
  virtual absl::StatusOr<CommandResult> Execute(const DeclareCalendarDays& command) = 0;
  // A satisfaction survey, on the stream "survey-<survey_id>".
  virtual absl::StatusOr<CommandResult> Execute(const RecordSurvey& command) = 0;

  // Checks purchases and refunds in order, as executing them one after the
  // other would, and appends nothing: each is decided against a scratch copy
  // of the live projections to which the events of the commands before it
  // were applied, so a refund may name a purchase earlier in `commands`.
  // Returns one status per command: OK when Execute would append it,
  // AlreadyExists when its id is recorded already (in the ledger or earlier
  // in `commands`: a retry that Execute would skip), otherwise the error
  // Execute would return. Errors of its own: those of reading the log. The
  // live state is not changed; another writer may change the ledger before
  // the commands are executed.
  virtual absl::StatusOr<std::vector<absl::Status>> CheckInOrder(
      absl::Span<const PurchaseOrRefund> commands) const = 0;

  // Appends raw events (e.g. read from JSON Lines by `loyalty append`) only
  // if the engine's own commands would have appended exactly them. The
  // events are checked in order, each against the live projections plus the
  // events before it in the batch: an event, or the group of events one
  // decision makes (a purchase and its points grant, a refund and its
  // clawback, a resolution and its goodwill grant, always together and in
  // that order), is taken as the command it records, that command is
  // decided as Execute decides it, and the events must equal what the
  // decider emits in stream, idempotency key, occurred-at, actor and
  // payload (the fields the ledger assigns must be unset; schema_version
  // may be 0). So the keys are those of deciders.h and complaint_deciders.h;
  // a manual adjustment ("adjust/<adjustment_id>") and a policy change
  // ("policy/<policy_change_id>") carry their command's id in the key.
  // Every event obeys the business-time rule of the commands (above).
  // Events that no command makes:
  //  - member_profile_updated, consent_changed: on the stream of an
  //    enrolled member who is not erased, under any key;
  //  - schema_registered: as `loyalty schema record` writes it (stream
  //    "schema", key "schema/<position>/<sha256 hex>", a descriptor set that
  //    builds and defines loyalty.v1.Envelope, its true SHA-256);
  //  - anything else (activity_attended, a campaign grant) is refused.
  // Personal data may come plain or sealed. Plain data is sealed before it
  // is appended, as Execute(EnrolMember) seals it (with the member's key,
  // bound to the event's position): the ledger never stores it in the
  // clear. FailedPrecondition "event I: personal: member ... comes with
  // personal data in the clear ...: no master key ..." without a master
  // key. Sealed data is accepted only if it opens with this ledger's key of
  // the member at the event's position (FailedPrecondition without a master
  // key). A retried batch whose plain data was sealed when it was appended
  // is a duplicate if that data opens to what it gives. A member_erased
  // destroys the member's key first, as Execute(EraseMember) does.
  //
  // The batch is appended atomically, expecting each of its streams at the
  // version the check saw (and the streams of batch.expected_versions() at
  // theirs), and checked again if another writer got there first. A batch
  // that repeats one appended before (same keys, same content) returns the
  // original sequences with `deduplicated`.
  //
  // Errors, with nothing appended, naming the event's index in the batch
  // ("event 2: points: member \"M1\" requested 500 points but has 120
  // available"):
  //  InvalidArgument: what Ledger::Append refuses (a negative amount, a
  //    field the ledger assigns, a repeated key, ...); an event the engine
  //    never makes (a field out of its limits, a key, point count or stream
  //    other than the decision's, a grant or clawback without its first
  //    event, an event type no command makes); a business time ahead.
  //  FailedPrecondition: an event the state does not allow: an unknown or
  //    erased member, purchase or complaint, a redemption over the balance,
  //    a complaint step out of order, an id recorded already.
  //  Aborted: a stream not at the caller's expected version (decide again
  //    against the new state and retry).
  //  AlreadyExists: a key appended before for other content (the ledger's).
  //  Others: reading or appending failed (see Ledger::Append).
  virtual absl::StatusOr<CommandResult> Append(const AppendBatch& batch) = 0;

  // The member's current personal data, decrypted with the member's key
  // (an empty PersonalData when none was recorded). NotFound for an unknown
  // member; FailedPrecondition "personal data of member \"M1\" was erased on
  // 2024-05-01 (member request)" after erasure, and without a master key.
  virtual absl::StatusOr<v1::PersonalData> PersonalDataOf(const std::string& member_id) const = 0;

  // The personal data one event of the log carries (an enrolment or a
  // profile update), decrypted: for exports asked to reveal it.
  // InvalidArgument for an event without personal data; FailedPrecondition
  // for an erased member, and without a master key.
  virtual absl::StatusOr<v1::PersonalData> RevealPersonal(const v1::Envelope& envelope) const = 0;

  // The retention job (docs/privacy.md): erases, as EraseMember with reason
  // "retention: inactive since YYYY-MM-DD" at the start of `as_of_day`
  // (local time), every member whose last purchase, redemption, complaint
  // event or survey (the enrolment when none) is more than the retention
  // policy's inactive_days (default 1095) before `as_of_day`. Returns the
  // members erased, in id order; a second run erases nothing new. Needs no
  // master key. InvalidArgument for an empty actor_id.
  virtual absl::StatusOr<std::vector<RetentionErasure>> RunRetention(
      absl::CivilDay as_of_day, const std::string& actor_id) = 0;

  // One member, evaluated as `as_of` says (views.h): as_of_us is the
  // instant evaluated at (for AsOf::Sequence(n), the business time of event
  // n), as_of_sequence the member's (or the policies') last event read. As
  // of a point after the member's last event and the last policy change
  // (now, typically), a copy of the member's state from the live
  // projections; at an earlier point, a replay of only the member's own
  // stream and the policy stream (from the start of them for
  // AsOf::BusinessTime, filtered by occurred-at): cheap at any point of
  // history either way. NotFound for a member not enrolled in that state.
  virtual absl::StatusOr<MemberView> Member(const std::string& member_id, AsOf as_of) const = 0;

  // The whole program: tiers, liability, partner scorecards and digests.
  // AsOf::Now reads the live projections; any other AsOf replays the log
  // into fresh projections and evaluates them as it says (views.h): every
  // time-driven effect (expiry, tier re-evaluation) up to its instant, and
  // the digests of that evaluated state (AsOf::Sequence(n)'s are those a
  // checkpoint at n signs, audit.h). The partners' SLA figures are
  // evaluated at the SLA instant of `as_of` (below).
  virtual absl::StatusOr<ProgramView> Program(AsOf as_of) const = 0;

  // The members that may be contacted on `channel` for `purpose` (views.h:
  // birthday care needs the channel's consent, offers the marketing consent
  // too), ascending, from the consents the log records up to `as_of`: the
  // enrolment's, replaced by each consent change; never an erased member,
  // never one whose consent was withdrawn. Reads no personal data and needs
  // no master key, so a service decides whom it may message without it.
  // AsOf::Now reads the live state; an earlier point reads the log up to it
  // (for AsOf::BusinessTime(t), the events of it that occurred by t).
  // Errors: those of reading the log.
  virtual absl::StatusOr<ContactableView> Contactable(ContactChannel channel,
                                                      ContactPurpose purpose,
                                                      AsOf as_of) const = 0;

  // SLA clocks are facts (start, deadline, done) evaluated at an instant, the
  // SLA instant of the AsOf:
  //  AsOf::Now(): the engine clock's now (LedgerOptions::clock);
  //  AsOf::BusinessTime(t), AsOf::RecordedTime(t): t;
  //  AsOf::Sequence(n): the business time of event n, or the latest
  //    occurred-at of the complaint events read when it is later (event n
  //    was backdated). In a log whose business time never goes backwards
  //    that is the occurred-at of event n for every query.

  // One complaint with its cycles and clocks, replaying only the complaint's
  // stream, the calendar stream and the policy stream (cheap at any point of
  // history). The clocks' deadlines are those a full replay gives.
  // as_of_sequence is the state read (the head for Now, the bound of
  // Sequence(n), the last event recorded by t for RecordedTime(t), the last
  // event of those streams that occurred by t for BusinessTime(t)).
  // NotFound for a complaint not filed in that state.
  virtual absl::StatusOr<ComplaintView> Complaint(const std::string& complaint_id,
                                                  AsOf as_of) const = 0;

  // SLA compliance of the complaint cycles started on a local day in
  // [from_day, to_day] (absl::CivilDay(1970, 1, 1) to (2999, 12, 31) takes
  // them all): counts and rates per deadline month, partner and category,
  // and the open clocks nearest their deadline, evaluated at the SLA instant
  // of `as_of`. AsOf::Now reads the live projection; an earlier point
  // replays the log into a fresh complaint projection. InvalidArgument when
  // from_day is after to_day.
  virtual absl::StatusOr<SlaReportView> SlaReport(absl::CivilDay from_day, absl::CivilDay to_day,
                                                  AsOf as_of) const = 0;

  // The deadline `working_days` working days after the instant from_us, by
  // the calendar in force at the head of the log: the last microsecond
  // (23:59:59.999999 at UTC+8) of the working_days-th working day after the
  // local day of from_us, that day itself not counted. What a complaint's
  // clock started at from_us would be due at, for operators to check a date
  // by hand. InvalidArgument unless 1 <= working_days <= 36600;
  // FailedPrecondition "no holiday schedule is loaded for YYYY ..." when the
  // count needs a year no loaded schedule covers.
  // Example: with data/calendar/cn-2024.txt loaded, a complaint filed on
  // Friday 2024-02-09 must be replied to by 2024-02-20T23:59:59.999999+08:00:
  //   WorkingDayDeadline(/*2024-02-09T10:00+08:00*/ 1707444000000000, 3)
  //   == 1708444799999999
  virtual absl::StatusOr<int64_t> WorkingDayDeadline(int64_t from_us,
                                                     int64_t working_days) const = 0;

  // The events the live projections (at the head) applied only as far as a
  // rule of the domain allowed, each with its sequence, stream, projection,
  // rule and message (AnomalyView). They stop nothing: every command and
  // query goes on, and the commands themselves still refuse what breaks a
  // rule. Errors: those of reading the log to catch up.
  virtual absl::StatusOr<AnomaliesView> Anomalies() const = 0;

  // Replays the whole log into fresh projections, checks that their digests
  // equal the live ones (DataLoss "projection NAME: rebuilt digest HEX
  // differs from the live digest HEX at sequence N; the projections saved
  // under DIR/projections do not match a replay of the log" if not: the
  // checkpoint they were resumed from is damaged), and saves them
  // as the checkpoint. Neither is evaluated at any time: these are the
  // digests of the state the events left, which Program(AsOf::Now())
  // returns too.
  virtual absl::StatusOr<std::vector<ProjectionDigest>> Rebuild() = 0;

  // Saves the projections' checkpoint now.
  virtual absl::Status Checkpoint() = 0;

  // Backs up the ledger into `backup_directory` (loyalty/backup.h) while
  // commands go on: the log, the member keys, the projections' checkpoint
  // (saved first) and the audit store, caught at one moment and copied
  // incrementally. Appends wait only while the stores are caught (each is
  // flushed and hard-linked into DIRECTORY/backup-staging, milliseconds to
  // a second), not while they are copied. The backup holds exactly the
  // appends acknowledged before that moment, so every append acknowledged
  // before the call. The master key is not backed up.
  // Errors, with no backup listed: FailedPrecondition for a read-only
  // engine, and for a backup directory that holds other files;
  // Unavailable while another process uses the backup directory or the
  // audit store; Unimplemented for a ledger on PostgreSQL (which
  // PostgreSQL's own tools back up: docs/replication.md); what copying or
  // writing meets.
  virtual absl::StatusOr<BackupInfo> Backup(const std::string& backup_directory) = 0;

  // The underlying log, for reads, verification and subscriptions.
  virtual Ledger& ledger() = 0;

  // The ledger's metrics and the engine's: commands by kind, their latency,
  // the projections' lag behind the head, checkpoints, the catch-up on open,
  // the anomalies each projection holds (loyalty/metrics.h;
  // ToPrometheusText renders them). Lock-free: never
  // waits for a command or a catch-up, so a scrape sees a stuck one.
  virtual MetricsSnapshot Metrics() const = 0;
};

// Deletes the ledger in `directory`: the files of its log, of its member
// keys and of its projections (with any set aside), and nothing else, as
// RocksDB's DestroyDB deletes a database's files. The directory itself
// stays. Personal data sealed with the deleted member keys can never be
// read again. Errors, with nothing deleted: FailedPrecondition when the
// directory holds anything a ledger is not made of (the message names it)
// or the ledger is open in another process; NotFound when there is no
// ledger (a missing or empty directory).
absl::Status DestroyLedger(const std::string& directory);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_H_
