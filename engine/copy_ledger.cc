// CopyLedger (loyalty/copy.h): the source's events appended again, one
// recorded-at group at a time, under a clock that reads the group's time.
// The ledger assigns sequence, stream version, recorded-at time and previous
// hash exactly as the source's did, so the canonical bytes, and the chain,
// come out the same; each batch's head is checked against the source's.
#include "loyalty/copy.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/engine_stores.h"
#include "loyalty/clock.h"
#include "loyalty/limits.h"
#include "privacy/member_key_store.h"
#include "util/conninfo.h"

namespace loyalty {
namespace {

absl::Status InContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

absl::StatusOr<std::unique_ptr<Ledger>> OpenLedgerAt(const std::string& location,
                                                     const LedgerOptions& options) {
  return util::IsPostgresUri(location) ? Ledger::OpenPostgres(location, options)
                                       : Ledger::Open(location, options);
}

// The ledger's member key store (internal/engine_stores.h): nullptr when
// it has none and needs none; `*unusable` set (read-only) when it needs one
// that is missing or damaged.
absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> OpenKeysAt(const std::string& location,
                                                                    bool read_only,
                                                                    const Ledger& ledger,
                                                                    absl::Status* unusable) {
  return util::IsPostgresUri(location)
             ? internal::OpenMemberKeyStoreOnPostgres(location, read_only, ledger, unusable)
             : internal::OpenMemberKeyStore(location, read_only, ledger, unusable);
}

// Whether directory `inner` is `outer` or lies under it (never for a URI).
bool IsInside(const std::string& inner, const std::string& outer) {
  if (util::IsPostgresUri(inner) || util::IsPostgresUri(outer)) return false;
  std::error_code error;
  const std::filesystem::path a = std::filesystem::weakly_canonical(inner, error);
  if (error) return false;
  const std::filesystem::path b = std::filesystem::weakly_canonical(outer, error);
  if (error) return false;
  const auto [mismatch, _] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return mismatch == b.end();
}

// The source as the copy reads it: opened read-only, its chain verified.
struct Source {
  std::unique_ptr<Ledger> ledger;
  ChainHead head;
  std::unique_ptr<privacy::MemberKeyStore> keys;  // nullptr: no personal data
};

absl::StatusOr<Source> OpenSource(const std::string& from) {
  const std::string context = absl::StrCat("copy: source ", util::ShownLocation(from));
  LedgerOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenLedgerAt(from, options);
  if (!ledger.ok()) return InContext(ledger.status(), context);
  Source source;
  source.ledger = *std::move(ledger);
  source.head = source.ledger->Head();
  if (source.head.sequence > 0) {
    absl::Status verified = source.ledger->Verify(1, source.head.sequence);
    if (!verified.ok()) return InContext(verified, context);
  }
  absl::Status unusable;
  absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> keys =
      OpenKeysAt(from, /*read_only=*/true, *source.ledger, &unusable);
  if (!keys.ok()) return InContext(keys.status(), context);
  if (!unusable.ok()) return InContext(unusable, context);
  source.keys = *std::move(keys);
  if (source.keys != nullptr) {
    absl::StatusOr<std::vector<std::string>> pending = source.keys->PendingErasures();
    if (!pending.ok()) return InContext(pending.status(), context);
    if (!pending->empty()) {
      const std::string more =
          pending->size() > 1 ? absl::StrCat(" and of ", pending->size() - 1, " more") : "";
      return absl::FailedPreconditionError(absl::StrCat(
          context, ": the erasure of member ", pending->front(), more,
          " is in progress; open the ledger for writing once (any writing command) so that the "
          "engine finishes it, then copy"));
    }
  }
  return source;
}

// The number of events at the start of both logs that are the same: the
// largest k with equal hashes at k (equal at k means equal at every
// sequence before: each hash chains its predecessor's).
absl::StatusOr<uint64_t> CommonPrefix(const Ledger& source, const Ledger& destination,
                                      uint64_t upper) {
  uint64_t equal = 0;  // hash(0) is the zero hash in both
  uint64_t unequal = upper + 1;
  while (unequal - equal > 1) {
    const uint64_t middle = equal + (unequal - equal) / 2;
    absl::StatusOr<Hash> theirs = source.HashAt(middle);
    if (!theirs.ok()) return theirs.status();
    absl::StatusOr<Hash> ours = destination.HashAt(middle);
    if (!ours.ok()) return ours.status();
    (*theirs == *ours ? equal : unequal) = middle;
  }
  return equal;
}

// Checks that the destination's log is a prefix of the source's.
absl::Status CheckIsPrefix(const Source& source, const Ledger& destination,
                           absl::string_view context) {
  const ChainHead head = destination.Head();
  const uint64_t upper = std::min(head.sequence, source.head.sequence);
  absl::StatusOr<uint64_t> common = CommonPrefix(*source.ledger, destination, upper);
  if (!common.ok()) return InContext(common.status(), context);
  if (*common == head.sequence) return absl::OkStatus();
  if (*common < upper) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, " holds another log: its event at sequence ", *common + 1,
        " differs from the source's; nothing was copied (copy into a new directory or schema)"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(context, " holds ", head.sequence, " events, more than the source's ",
                   source.head.sequence, "; nothing was copied"));
}

// Whether the destination's member keys were wrapped under the source's
// master key, as far as both have recorded one.
absl::Status CheckSameMasterKey(const privacy::MemberKeyStore& source,
                                const privacy::MemberKeyStore& destination,
                                absl::string_view context) {
  absl::StatusOr<std::optional<std::string>> ours = source.CheckValue();
  if (!ours.ok()) return ours.status();
  absl::StatusOr<std::optional<std::string>> theirs = destination.CheckValue();
  if (!theirs.ok()) return theirs.status();
  if (ours->has_value() && theirs->has_value() && **ours != **theirs) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, ": its member keys are wrapped under another master key than the source's; "
                 "nothing was copied"));
  }
  return absl::OkStatus();
}

// Checks, opening it read-only so that a refusal changes nothing, that the
// destination holds no ledger yet (made afterwards) or a copy of the source
// to continue.
absl::Status CheckDestination(const Source& source, const std::string& to,
                              absl::string_view context) {
  LedgerOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenLedgerAt(to, options);
  // InvalidArgument: no ledger there (missing, empty, or other files, which
  // the writing open then refuses as it finds them).
  if (absl::IsInvalidArgument(ledger.status())) return absl::OkStatus();
  if (!ledger.ok()) return InContext(ledger.status(), context);
  absl::Status prefix = CheckIsPrefix(source, **ledger, context);
  if (!prefix.ok()) return prefix;
  absl::Status unusable;
  absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> keys =
      OpenKeysAt(to, /*read_only=*/true, **ledger, &unusable);
  if (!keys.ok()) return InContext(keys.status(), context);
  if (!unusable.ok()) return InContext(unusable, context);
  if (*keys == nullptr || source.keys == nullptr) return absl::OkStatus();
  return CheckSameMasterKey(*source.keys, **keys, context);
}

// Writes the keys of the source's members that the destination lacks.
// Returns how many.
absl::StatusOr<uint64_t> CopyKeys(const privacy::MemberKeyStore& source,
                                  privacy::MemberKeyStore& destination,
                                  absl::string_view context) {
  absl::Status same_key = CheckSameMasterKey(source, destination, context);
  if (!same_key.ok()) return same_key;
  absl::StatusOr<std::optional<std::string>> check = source.CheckValue();
  if (!check.ok()) return check.status();
  absl::StatusOr<std::vector<std::string>> members = source.MemberIds();
  if (!members.ok()) return members.status();
  uint64_t copied = 0;
  for (const std::string& member_id : *members) {
    absl::StatusOr<std::optional<std::string>> wrapped = source.Get(member_id);
    if (!wrapped.ok()) return wrapped.status();
    if (!wrapped->has_value()) continue;  // destroyed since it was listed
    absl::StatusOr<std::optional<std::string>> theirs = destination.Get(member_id);
    if (!theirs.ok()) return theirs.status();
    if (theirs->has_value()) {
      if (**theirs == **wrapped) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          context, ": member ", member_id, "'s key differs from the source's: not a copy of it"));
    }
    absl::Status put = destination.Put(member_id, **wrapped, check->value_or(""));
    if (!put.ok()) return put;
    ++copied;
  }
  return copied;
}

// Destroys the destination's keys of members the source holds none for.
absl::StatusOr<uint64_t> DestroyErasedKeys(const privacy::MemberKeyStore* source,
                                           privacy::MemberKeyStore& destination) {
  absl::StatusOr<std::vector<std::string>> theirs = destination.MemberIds();
  if (!theirs.ok()) return theirs.status();
  std::set<std::string> kept;
  if (source != nullptr) {
    absl::StatusOr<std::vector<std::string>> ours = source->MemberIds();
    if (!ours.ok()) return ours.status();
    kept.insert(ours->begin(), ours->end());
  }
  std::vector<std::string> erased;
  for (std::string& member_id : *theirs) {
    if (kept.count(member_id) == 0) erased.push_back(std::move(member_id));
  }
  if (erased.empty()) return 0;
  absl::Status destroyed = destination.Destroy(erased);
  if (!destroyed.ok()) return destroyed;
  return erased.size();
}

// Appends the source's events after the destination's head, one batch per
// recorded-at group (split at kMaxBatchEvents), each at its group's time.
class EventCopier {
 public:
  EventCopier(Ledger& destination, ManualClock& clock, absl::string_view context)
      : destination_(destination), clock_(clock), context_(context) {}

  absl::Status Add(const RawEvent& raw) {
    v1::Envelope envelope;
    if (!envelope.ParseFromArray(raw.canonical_bytes.data(),
                                 static_cast<int>(raw.canonical_bytes.size()))) {
      return absl::DataLossError(
          absl::StrCat("copy: the source's event at sequence ", raw.sequence, " does not decode"));
    }
    if (!batch_.empty() &&
        (envelope.recorded_at_us() != recorded_at_us_ || batch_.size() == kMaxBatchEvents)) {
      absl::Status flushed = Flush();
      if (!flushed.ok()) return flushed;
    }
    if (batch_.empty()) {
      first_sequence_ = raw.sequence;
      recorded_at_us_ = envelope.recorded_at_us();
    }
    envelope.clear_sequence();
    envelope.clear_stream_version();
    envelope.clear_recorded_at_us();
    envelope.clear_previous_hash();
    batch_.Add(std::move(envelope));
    last_hash_ = raw.hash;
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    const uint64_t last_sequence = first_sequence_ + batch_.size() - 1;
    const std::string events =
        absl::StrCat(context_, ": the source's events ", first_sequence_, "..", last_sequence);
    clock_.Set(recorded_at_us_);
    absl::StatusOr<AppendResult> appended = destination_.Append(batch_);
    if (!appended.ok()) return InContext(appended.status(), events);
    const ChainHead head = destination_.Head();
    if (appended->deduplicated || appended->sequences.front() != first_sequence_ ||
        head.sequence != last_sequence || head.hash != last_hash_) {
      return absl::DataLossError(absl::StrCat(
          events, " were appended at ", appended->sequences.front(), "..",
          appended->sequences.back(), " with head hash ", HashHex(head.hash),
          ", not the source's ", HashHex(last_hash_),
          " at ", last_sequence, "; did another writer append to the destination?"));
    }
    copied_ += batch_.size();
    batch_ = AppendBatch();
    return absl::OkStatus();
  }

  uint64_t copied() const { return copied_; }

 private:
  Ledger& destination_;
  ManualClock& clock_;
  const std::string context_;
  AppendBatch batch_;
  uint64_t first_sequence_ = 0;
  int64_t recorded_at_us_ = 0;
  Hash last_hash_{};
  uint64_t copied_ = 0;
};

}  // namespace

absl::StatusOr<CopyReport> CopyLedger(const std::string& from, const std::string& to) {
  if (from.empty() || to.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("copy: ", from.empty() ? "from" : "to",
                                                   " is empty: name a ledger directory or a "
                                                   "postgresql:// URI"));
  }
  for (const std::string* location : {&from, &to}) {
    // A libpq key=value string would be taken for a directory's name.
    if (!util::IsPostgresUri(*location) && (absl::StartsWith(*location, "host=") ||
                                            absl::StrContains(*location, "dbname="))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "copy: \"", util::RedactedConninfo(*location),
          "\" looks like a key=value connection string: name a PostgreSQL ledger by its "
          "postgresql:// URI"));
    }
  }
  if (from == to) {
    return absl::InvalidArgumentError(
        absl::StrCat("copy: from and to are the same, \"", util::ShownLocation(from), "\""));
  }
  if (IsInside(to, from)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "copy: to \"", to, "\" is inside the source's directory \"", from,
        "\", which the copy only reads: copy it elsewhere"));
  }
  absl::StatusOr<Source> source = OpenSource(from);
  if (!source.ok()) return source.status();

  const std::string context = absl::StrCat("copy: destination ", util::ShownLocation(to));
  absl::Status fits = CheckDestination(*source, to, context);
  if (!fits.ok()) return fits;
  ManualClock clock(source->head.recorded_at_us);
  LedgerOptions options;
  options.create_if_missing = true;
  options.sync = true;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<Ledger>> destination = OpenLedgerAt(to, options);
  if (!destination.ok()) return InContext(destination.status(), context);
  // Again, open for writing: what a writer did since the check above.
  absl::Status prefix = CheckIsPrefix(*source, **destination, context);
  if (!prefix.ok()) return prefix;

  CopyReport report;
  report.events_present = (*destination)->Head().sequence;
  absl::Status unusable;
  absl::StatusOr<std::unique_ptr<privacy::MemberKeyStore>> keys =
      OpenKeysAt(to, /*read_only=*/false, **destination, &unusable);
  if (!keys.ok()) return InContext(keys.status(), context);
  if (*keys == nullptr) return absl::InternalError(absl::StrCat(context, ": no member key store"));
  if (source->keys != nullptr) {
    absl::StatusOr<uint64_t> copied = CopyKeys(*source->keys, **keys, context);
    if (!copied.ok()) return InContext(copied.status(), context);
    report.member_keys_copied = *copied;
  }

  EventCopier copier(**destination, clock, context);
  absl::Status scanned = source->ledger->ScanRaw(
      report.events_present + 1, source->head.sequence,
      [&copier](const RawEvent& raw) { return copier.Add(raw); });
  if (scanned.ok()) scanned = copier.Flush();
  report.events_copied = copier.copied();
  if (!scanned.ok()) return scanned;

  absl::StatusOr<uint64_t> destroyed = DestroyErasedKeys(source->keys.get(), **keys);
  if (!destroyed.ok()) return InContext(destroyed.status(), context);
  report.member_keys_destroyed = *destroyed;

  report.head = (*destination)->Head();
  if (report.head.sequence > 0) {
    absl::Status verified = (*destination)->Verify(1, report.head.sequence);
    if (!verified.ok()) return InContext(verified, context);
  }
  if (report.head.sequence != source->head.sequence || report.head.hash != source->head.hash ||
      report.head.recorded_at_us != source->head.recorded_at_us) {
    return absl::DataLossError(absl::StrCat(context, ": its head (", report.head.sequence, ", ",
                                            HashHex(report.head.hash), ") is not the source's (",
                                            source->head.sequence, ", ",
                                            HashHex(source->head.hash), ")"));
  }
  return report;
}

}  // namespace loyalty
