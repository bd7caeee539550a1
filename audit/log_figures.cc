// Recomputing what the log says from its bytes alone: chain, Merkle root and
// replayed projections at chosen sequences; signing and checking
// checkpoints with them; the replay as of a business time.
#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "replay/projection_set.h"
#include "replay/set_replay.h"
#include "ledger/event_decode.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

using ::loyalty::internal::ProjectionSet;

// The state the scan carries from one event to the next.
struct ScanState {
  Hash chain{};
  MerkleFrontier frontier;
  std::unique_ptr<ProjectionSet> projections;  // null unless digests are wanted

  // The figures after event `sequence`, whose business time is
  // `occurred_at_us`. The digests are those of AsOf::Sequence(sequence): the
  // state evaluated at that business time, on a copy, since the scan goes
  // on from the state as the events left it.
  absl::StatusOr<LogFigures> Figures(uint64_t sequence, int64_t occurred_at_us) const {
    LogFigures figures;
    figures.sequence = sequence;
    figures.chain_head = chain;
    figures.merkle_root = frontier.Root();
    if (projections != nullptr) {
      absl::StatusOr<std::unique_ptr<ProjectionSet>> evaluated = projections->Copy();
      if (!evaluated.ok()) return evaluated.status();
      if (sequence > 0) (*evaluated)->AdvanceTo(occurred_at_us);
      figures.projection_digests = (*evaluated)->Digests();
    }
    return figures;
  }
};

absl::Status CheckEvent(const RawEvent& raw, const v1::Envelope& envelope, const Hash& previous,
                        const Hash& computed) {
  if (envelope.sequence() != raw.sequence) {
    return absl::DataLossError(absl::StrCat(
        "sequence ", raw.sequence, ": holds the event recorded as sequence ", envelope.sequence()));
  }
  if (envelope.previous_hash() != util::DigestBytes(previous)) {
    return absl::DataLossError(absl::StrCat("sequence ", raw.sequence,
                                            ": previous_hash does not match the hash of sequence ",
                                            raw.sequence - 1));
  }
  if (computed != raw.hash) {
    return absl::DataLossError(
        absl::StrCat("sequence ", raw.sequence, ": its bytes do not match its chain hash"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<LogFigures>> RecomputeLogFigures(const Ledger& ledger,
                                                            absl::Span<const uint64_t> sequences,
                                                            bool with_digests) {
  std::vector<uint64_t> targets(sequences.begin(), sequences.end());
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  const uint64_t head = ledger.Head().sequence;
  if (!targets.empty() && targets.back() > head) {
    return absl::OutOfRangeError(
        absl::StrCat("sequence ", targets.back(), " is past the ledger's head ", head));
  }
  ScanState state;
  if (with_digests) state.projections = std::make_unique<ProjectionSet>();
  absl::flat_hash_map<uint64_t, LogFigures> figures;
  size_t next_target = 0;
  while (next_target < targets.size() && targets[next_target] == 0) {
    absl::StatusOr<LogFigures> empty = state.Figures(0, 0);
    if (!empty.ok()) return empty.status();
    figures.emplace(0, std::move(*empty));
    ++next_target;
  }
  if (next_target < targets.size()) {
    v1::Envelope envelope;
    absl::Status status = ledger.ScanRaw(1, targets.back(), [&](const RawEvent& raw) {
      absl::Status decoded =
          loyalty::internal::DecodeEvent(raw.sequence, raw.canonical_bytes, &envelope);
      if (!decoded.ok()) return decoded;
      const Hash computed =
          util::Sha256({util::DigestBytes(state.chain), raw.canonical_bytes});
      absl::Status checked = CheckEvent(raw, envelope, state.chain, computed);
      if (!checked.ok()) return checked;
      state.chain = computed;
      state.frontier.Add(MerkleLeafHash(raw.canonical_bytes));
      if (state.projections != nullptr) {
        absl::Status applied = state.projections->Apply(envelope);
        if (!applied.ok()) return applied;
      }
      while (next_target < targets.size() && targets[next_target] == raw.sequence) {
        absl::StatusOr<LogFigures> at = state.Figures(raw.sequence, envelope.occurred_at_us());
        if (!at.ok()) return at.status();
        figures.emplace(raw.sequence, std::move(*at));
        ++next_target;
      }
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    if (next_target != targets.size()) {
      return absl::DataLossError(
          absl::StrCat("sequence ", state.frontier.size() + 1, ": missing from the ledger"));
    }
  }
  std::vector<LogFigures> result;
  result.reserve(sequences.size());
  for (uint64_t sequence : sequences) result.push_back(figures.at(sequence));
  return result;
}

absl::StatusOr<SignedCheckpoint> SignCheckpoint(const Ledger& ledger, AuditStore& store,
                                                const SigningKey& key, uint64_t sequence,
                                                int64_t signed_at_us) {
  if (sequence < 1) {
    return absl::FailedPreconditionError("a checkpoint needs at least one event in the log");
  }
  absl::StatusOr<uint64_t> indexed = store.CatchUp();
  if (!indexed.ok()) return indexed.status();
  if (sequence > *indexed) {
    return absl::OutOfRangeError(
        absl::StrCat("sequence ", sequence, " is past the ledger's head ", *indexed));
  }
  const uint64_t sequences[] = {sequence};
  absl::StatusOr<std::vector<LogFigures>> figures =
      RecomputeLogFigures(ledger, sequences, /*with_digests=*/true);
  if (!figures.ok()) return figures.status();
  absl::StatusOr<Hash> stored_root = store.Root(sequence);
  if (!stored_root.ok()) return stored_root.status();
  if (*stored_root != (*figures)[0].merkle_root) {
    return absl::DataLossError(absl::StrCat(
        "the audit store's Merkle root at sequence ", sequence,
        " differs from the one recomputed "
        "from the log: the store is damaged (remove the audit directory's Merkle index to rebuild "
        "it) or the log was altered after it was indexed"));
  }
  SignedCheckpoint result;
  result.checkpoint.sequence = sequence;
  result.checkpoint.chain_head = (*figures)[0].chain_head;
  result.checkpoint.merkle_root = (*figures)[0].merkle_root;
  result.checkpoint.projection_digests = std::move((*figures)[0].projection_digests);
  result.checkpoint.signer_key_sha256 = key.public_key().Fingerprint();
  result.checkpoint.signed_at_us = signed_at_us;
  absl::StatusOr<std::string> record = EncodeCheckpointRecord(result.checkpoint);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::string> signature = key.Sign(*record);
  if (!signature.ok()) return signature.status();
  absl::StatusOr<uint64_t> number = store.AddCheckpoint(*record, *signature, key.public_key());
  if (!number.ok()) return number.status();
  result.number = *number;
  result.record = std::move(*record);
  result.signature = std::move(*signature);
  return result;
}

absl::StatusOr<std::vector<CheckpointCheck>> VerifyCheckpoints(
    const Ledger& ledger, absl::Span<const SignedCheckpoint> checkpoints,
    const PublicKey& trusted_key, bool with_digests) {
  std::vector<CheckpointCheck> checks;
  std::vector<uint64_t> sequences;
  const uint64_t head = ledger.Head().sequence;
  for (const SignedCheckpoint& signed_checkpoint : checkpoints) {
    CheckpointCheck check;
    check.number = signed_checkpoint.number;
    check.sequence = signed_checkpoint.checkpoint.sequence;
    const std::string name = absl::StrCat("checkpoint ", check.number);
    absl::StatusOr<Checkpoint> decoded = DecodeCheckpointRecord(signed_checkpoint.record);
    if (!decoded.ok()) {
      check.status = absl::DataLossError(absl::StrCat(name, ": ", decoded.status().message()));
    } else if (decoded->signer_key_sha256 != trusted_key.Fingerprint()) {
      check.status = absl::DataLossError(
          absl::StrCat(name, ": signed by key ", HashHex(decoded->signer_key_sha256),
                       ", not by the trusted key ", HashHex(trusted_key.Fingerprint())));
    } else if (absl::Status signature =
                   trusted_key.Verify(signed_checkpoint.record, signed_checkpoint.signature);
               !signature.ok()) {
      check.status = absl::DataLossError(absl::StrCat(name, ": ", signature.message()));
    } else if (decoded->sequence > head) {
      check.status = absl::DataLossError(
          absl::StrCat(name, ": its sequence ", decoded->sequence, " is past the ledger's head ",
                       head, ": events were removed from the end of the log"));
    } else {
      sequences.push_back(decoded->sequence);
    }
    checks.push_back(std::move(check));
  }
  absl::StatusOr<std::vector<LogFigures>> figures =
      RecomputeLogFigures(ledger, sequences, with_digests);
  if (!figures.ok()) return figures.status();
  size_t next_figures = 0;
  for (size_t i = 0; i < checks.size(); ++i) {
    CheckpointCheck& check = checks[i];
    if (!check.status.ok()) continue;
    const LogFigures& log = (*figures)[next_figures++];
    const Checkpoint& recorded = checkpoints[i].checkpoint;
    const std::string name =
        absl::StrCat("checkpoint ", check.number, " (sequence ", check.sequence, ")");
    if (log.chain_head != recorded.chain_head) {
      check.status = absl::DataLossError(absl::StrCat(
          name, ": the chain head recomputed from the log is ", HashHex(log.chain_head),
          ", not the signed ", HashHex(recorded.chain_head), ": an event at or before sequence ",
          check.sequence, " was altered, removed or reordered"));
      continue;
    }
    if (log.merkle_root != recorded.merkle_root) {
      check.status = absl::DataLossError(absl::StrCat(
          name, ": the Merkle root recomputed from the log is ", HashHex(log.merkle_root),
          ", not the signed ", HashHex(recorded.merkle_root)));
      continue;
    }
    if (!with_digests) continue;
    for (const ProjectionDigest& signed_digest : recorded.projection_digests) {
      auto it = std::find_if(
          log.projection_digests.begin(), log.projection_digests.end(),
          [&](const ProjectionDigest& digest) { return digest.name == signed_digest.name; });
      if (it == log.projection_digests.end()) {
        check.status = absl::DataLossError(absl::StrCat(name, ": projection ", signed_digest.name,
                                                        " is not replayed by this build"));
        break;
      }
      if (it->digest != signed_digest.digest) {
        check.status = absl::DataLossError(
            absl::StrCat(name, ": projection ", signed_digest.name, ": the replay gives ",
                         HashHex(it->digest), ", not the signed ", HashHex(signed_digest.digest),
                         " (the log's chain and Merkle root match: the replay differs)"));
        break;
      }
    }
  }
  return checks;
}

absl::StatusOr<ProgramView> ReplayAsOfBusinessTime(const Ledger& ledger, int64_t instant_us,
                                                   uint64_t* events_applied) {
  ProjectionSet set;
  absl::StatusOr<uint64_t> applied =
      ::loyalty::internal::ReplayLogAsOfBusinessTime(ledger, instant_us, &set);
  if (!applied.ok()) return applied.status();
  if (events_applied != nullptr) *events_applied = *applied;
  ProgramView view = ::loyalty::internal::MakeProgramView(set);
  view.as_of_kind = AsOf::Kind::kBusinessTime;
  return view;
}

}  // namespace loyalty::audit
