// loyalty replay, checkpoint, prove, check-proof, audit-bundle and schema:
// what an auditor runs, through the public audit API (loyalty/audit.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/as_of.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/report_format.h"
#include "cli/reports.h"
#include "loyalty/audit.h"
#include "loyalty/engine.h"
#include "loyalty/ledger.h"
#include "loyalty/limits.h"

namespace loyalty::cli {
namespace {

constexpr char kDefaultSchemaActor[] = "schema-recorder";
// Key and proof files are small; anything larger is not one.
constexpr size_t kMaxInputFileBytes = 16 << 20;

// The audit store of the ledger in `directory`: DIRECTORY/audit.
std::string AuditDirectory(const std::string& directory) { return directory + "/audit"; }

// The ledger and its audit store, caught up with the ledger's head.
struct AuditHandles {
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<audit::AuditStore> store;
};

absl::StatusOr<AuditHandles> OpenAudit(const std::string& directory) {
  AuditHandles handles;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = OpenLedgerForReading(directory);
  if (!ledger.ok()) return ledger.status();
  handles.ledger = std::move(*ledger);
  absl::StatusOr<std::unique_ptr<audit::AuditStore>> store =
      audit::AuditStore::Open(AuditDirectory(directory), handles.ledger.get());
  if (!store.ok()) return store.status();
  handles.store = std::move(*store);
  absl::StatusOr<uint64_t> indexed = handles.store->CatchUp();
  if (!indexed.ok()) return indexed.status();
  return handles;
}

// The whole of a small file ("-": standard input).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view what) {
  std::string content;
  if (path == "-") {
    content.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", path, ": cannot be read: ", std::strerror(errno)));
    }
    std::ostringstream buffer;
    buffer << file.rdbuf();
    content = buffer.str();
  }
  if (content.size() > kMaxInputFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": larger than ", kMaxInputFileBytes, " bytes"));
  }
  return content;
}

// The key of type `Key` (audit::SigningKey or audit::PublicKey) in the PEM
// file `path`; `what` names the file in errors.
template <typename Key>
absl::StatusOr<Key> ReadKeyFile(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> pem = ReadSmallFile(path, what);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<Key> key = Key::FromPem(*pem);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, ": ", key.status().message()));
  }
  return key;
}

absl::StatusOr<audit::SigningKey> ReadSigningKey(const std::string& path) {
  return ReadKeyFile<audit::SigningKey>(path, "key file");
}

absl::StatusOr<audit::PublicKey> ReadPublicKey(const std::string& path) {
  return ReadKeyFile<audit::PublicKey>(path, "public key file");
}

// Creates `path` with `mode`, failing if it exists, and writes `content`.
absl::Status WriteNewFile(const std::string& path, absl::string_view content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::InvalidArgumentError(absl::StrCat(path, " exists; it is not replaced"));
    }
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(error_number)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status UnknownSubcommand(absl::string_view command, absl::string_view given,
                               absl::string_view known) {
  return absl::InvalidArgumentError(absl::StrCat(command, ": unknown subcommand \"", given,
                                                 "\": one of ", known, " (see `loyalty help ",
                                                 command, "`)"));
}

// --- replay -----------------------------------------------------------------

// The program's net sales and points issued, summed over its partners.
struct PartnerTotals {
  int64_t net_sales_fen = 0;
  int64_t points_issued = 0;
};

PartnerTotals SumPartners(const ProgramView& program) {
  PartnerTotals totals;
  for (const PartnerScorecard& partner : program.partners) {
    totals.net_sales_fen += partner.net_sales_fen;
    totals.points_issued += partner.points_issued;
  }
  return totals;
}

std::string ReplayText(const ProgramView& program, absl::string_view selected_by,
                       uint64_t events_replayed) {
  const PartnerTotals totals = SumPartners(program);
  TextTable table({TextTable::Align::kLeft, TextTable::Align::kLeft});
  table.AddRow({"as of", program.as_of_sequence == 0 && program.as_of_us == 0
                             ? std::string("sequence 0, none")
                             : absl::StrCat("sequence ", program.as_of_sequence, ", ",
                                            FormatLocalTimeUs(program.as_of_us))});
  table.AddRow({"selected by", std::string(selected_by)});
  table.AddRow({"events replayed", absl::StrCat(events_replayed)});
  table.AddRow({"members", absl::StrCat(program.liability.members)});
  table.AddRow({"tiers", absl::StrCat("regular ", program.tiers.regular, ", silver ",
                                      program.tiers.silver, ", gold ", program.tiers.gold,
                                      ", platinum ", program.tiers.platinum)});
  table.AddRow({"outstanding", absl::StrCat(program.liability.outstanding_points, " points")});
  table.AddRow({"debt", absl::StrCat(program.liability.debt_points, " points")});
  table.AddRow({"partners", absl::StrCat(program.partners.size())});
  table.AddRow({"net sales", absl::StrCat(FormatFenAsYuan(totals.net_sales_fen), " CNY")});
  table.AddRow({"points issued", absl::StrCat(totals.points_issued)});
  return absl::StrCat(table.Render(), "digests:\n", DigestsText(program.digests));
}

std::string ReplayJson(const ProgramView& program, absl::string_view selected_by,
                       uint64_t events_replayed) {
  const PartnerTotals totals = SumPartners(program);
  std::vector<std::string> digests;
  for (const ProjectionDigest& digest : program.digests) {
    digests.push_back(
        JsonObject().String("name", digest.name).String("digest", HashHex(digest.digest)).Build());
  }
  return absl::StrCat(JsonObject()
                          .Uint("as_of_sequence", program.as_of_sequence)
                          .Instant("as_of", program.as_of_us, /*none_when_zero=*/true)
                          .String("selected_by", selected_by)
                          .Uint("events_replayed", events_replayed)
                          .Int("members", program.liability.members)
                          .Raw("tiers", JsonObject()
                                            .Int("regular", program.tiers.regular)
                                            .Int("silver", program.tiers.silver)
                                            .Int("gold", program.tiers.gold)
                                            .Int("platinum", program.tiers.platinum)
                                            .Build())
                          .Int("outstanding_points", program.liability.outstanding_points)
                          .Int("debt_points", program.liability.debt_points)
                          .Int("partners", static_cast<int64_t>(program.partners.size()))
                          .Int("net_sales_fen", totals.net_sales_fen)
                          .Int("points_issued", totals.points_issued)
                          .Raw("digests", JsonArray(digests))
                          .Build(),
                      "\n");
}

// --- checkpoint -----------------------------------------------------------

int RunCheckpointKeygen(const std::string& out_path) {
  if (out_path.empty()) {
    return ReportError(
        absl::InvalidArgumentError("checkpoint keygen: flag --out FILE is required"));
  }
  absl::StatusOr<audit::SigningKey> key = audit::SigningKey::Generate();
  if (!key.ok()) return ReportError(key.status());
  const std::string public_path = out_path + ".pub";
  if (access(public_path.c_str(), F_OK) == 0) {
    return ReportError(
        absl::InvalidArgumentError(absl::StrCat(public_path, " exists; it is not replaced")));
  }
  absl::Status written = WriteNewFile(out_path, key->Pem(), 0600);
  if (!written.ok()) return ReportError(written);
  written = WriteNewFile(public_path, key->public_key().Pem(), 0644);
  if (!written.ok()) return ReportError(written);
  Print(absl::StrCat("private key  ", out_path, "\npublic key   ", public_path, "\nfingerprint  ",
                     HashHex(key->public_key().Fingerprint()), "\n"));
  return kExitOk;
}

int RunCheckpointSign(CommandContext& context, FlagSet& flags, const std::string& key_path,
                      uint64_t at_sequence, const std::string& signed_at) {
  if (key_path.empty()) {
    return ReportError(absl::InvalidArgumentError("checkpoint sign: flag --key FILE is required"));
  }
  int64_t signed_at_us = absl::ToUnixMicros(absl::Now());
  if (flags.WasSet("signed-at")) {
    absl::StatusOr<int64_t> parsed = ParseAsOfTimeUs(signed_at);
    if (!parsed.ok()) {
      return ReportError(absl::InvalidArgumentError(absl::StrCat(
          "checkpoint sign: flag --signed-at: \"", signed_at, "\": ", parsed.status().message())));
    }
    signed_at_us = *parsed;
  }
  absl::StatusOr<audit::SigningKey> key = ReadSigningKey(key_path);
  if (!key.ok()) return ReportError(key.status());
  absl::StatusOr<AuditHandles> handles = OpenAudit(context.global.db_directory);
  if (!handles.ok()) return ReportError(handles.status());
  const uint64_t head = handles->ledger->Head().sequence;
  uint64_t sequence = head;
  if (flags.WasSet("at-seq")) {
    if (at_sequence < 1 || at_sequence > head) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("checkpoint sign: flag --at-seq: ", at_sequence,
                       " is not a sequence of the log (1..", head, ")")));
    }
    sequence = at_sequence;
  }
  absl::StatusOr<audit::SignedCheckpoint> checkpoint =
      audit::SignCheckpoint(*handles->ledger, *handles->store, *key, sequence, signed_at_us);
  if (!checkpoint.ok()) return ReportError(checkpoint.status());
  Print(absl::StrCat("checkpoint ", checkpoint->number, " signed:\n", checkpoint->record));
  return kExitOk;
}

int RunCheckpointVerify(CommandContext& context, const std::string& pubkey_path,
                        bool skip_digests) {
  if (pubkey_path.empty()) {
    return ReportError(
        absl::InvalidArgumentError("checkpoint verify: flag --pubkey FILE is required"));
  }
  absl::StatusOr<audit::PublicKey> key = ReadPublicKey(pubkey_path);
  if (!key.ok()) return ReportError(key.status());
  absl::StatusOr<AuditHandles> handles = OpenAudit(context.global.db_directory);
  if (!handles.ok()) return ReportError(handles.status());
  absl::StatusOr<std::vector<audit::SignedCheckpoint>> checkpoints = handles->store->Checkpoints();
  if (!checkpoints.ok()) return ReportError(checkpoints.status());
  if (checkpoints->empty()) {
    Print("no checkpoints to verify (sign one with `loyalty checkpoint sign`)\n");
    return kExitOk;
  }
  absl::StatusOr<std::vector<audit::CheckpointCheck>> checks =
      audit::VerifyCheckpoints(*handles->ledger, *checkpoints, *key, !skip_digests);
  if (!checks.ok()) return ReportError(checks.status());
  absl::Status first_failure;
  size_t failures = 0;
  for (const audit::CheckpointCheck& check : *checks) {
    if (check.status.ok()) {
      Print(absl::StrCat("checkpoint ", check.number, " (sequence ", check.sequence,
                         "): signature ok, chain head ok, merkle root ok",
                         skip_digests ? ", digests not checked" : ", digests ok", "\n"));
    } else {
      if (failures++ == 0) first_failure = check.status;
      std::fflush(stdout);
      std::fprintf(stderr, "loyalty: %s\n", std::string(check.status.message()).c_str());
    }
  }
  if (failures > 0) {
    std::fprintf(stderr, "loyalty: %zu of %zu checkpoints failed\n", failures, checks->size());
    return ExitCodeFor(first_failure);
  }
  Print(absl::StrCat("ok: ", checks->size(), " checkpoints verified against the log (head ",
                     handles->ledger->Head().sequence, ")\n"));
  return kExitOk;
}

int RunCheckpointList(CommandContext& context) {
  absl::StatusOr<AuditHandles> handles = OpenAudit(context.global.db_directory);
  if (!handles.ok()) return ReportError(handles.status());
  absl::StatusOr<std::vector<audit::SignedCheckpoint>> checkpoints = handles->store->Checkpoints();
  if (!checkpoints.ok()) return ReportError(checkpoints.status());
  if (checkpoints->empty()) {
    Print("no checkpoints\n");
    return kExitOk;
  }
  TextTable table({TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft,
                   TextTable::Align::kLeft, TextTable::Align::kLeft});
  table.AddRow({"NUMBER", "SEQUENCE", "SIGNED AT", "SIGNER", "MERKLE ROOT"});
  for (const audit::SignedCheckpoint& checkpoint : *checkpoints) {
    table.AddRow({absl::StrCat(checkpoint.number), absl::StrCat(checkpoint.checkpoint.sequence),
                  FormatTimeUs(checkpoint.checkpoint.signed_at_us),
                  HashHex(checkpoint.checkpoint.signer_key_sha256).substr(0, 16),
                  HashHex(checkpoint.checkpoint.merkle_root)});
  }
  Print(table.Render());
  return kExitOk;
}

// The checkpoint with `number`, NotFound naming it otherwise.
absl::StatusOr<audit::SignedCheckpoint> FindCheckpoint(
    const std::vector<audit::SignedCheckpoint>& checkpoints, uint64_t number) {
  for (const audit::SignedCheckpoint& checkpoint : checkpoints) {
    if (checkpoint.number == number) return checkpoint;
  }
  return absl::InvalidArgumentError(absl::StrCat("there is no checkpoint ", number, " (",
                                                 checkpoints.size(),
                                                 " stored; `loyalty checkpoint list` lists them)"));
}

absl::StatusOr<uint64_t> ParseCount(absl::string_view command, absl::string_view what,
                                    const std::string& text) {
  uint64_t value = 0;
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, ": ", what, " \"", text, "\" is not a count"));
  }
  return value;
}

}  // namespace

int RunReplay(CommandContext& context) {
  AsOfFlags as_of_flags;
  bool business_time = false;
  bool json = false;
  std::string bundle;
  FlagSet flags = context.NewFlagSet();
  AddAsOfFlags(flags, &as_of_flags);
  flags.Bool("business-time",
             "with --as-of: changes nothing (--as-of is business time); accepted so that "
             "scripts written for earlier builds run",
             &business_time);
  flags.String("bundle", "DIR", "replay an audit bundle's events; no ledger is opened", &bundle);
  flags.Bool("json", "print one JSON object instead of text", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (business_time && !flags.WasSet("as-of")) {
    return ReportError(absl::InvalidArgumentError(
        "replay: flag --business-time needs --as-of TIME (the business time to replay to)"));
  }
  absl::StatusOr<AsOf> as_of = AsOfFromFlags("replay", flags, as_of_flags);
  if (!as_of.ok()) return ReportError(as_of.status());

  ProgramView program;
  uint64_t events_replayed = 0;
  if (flags.WasSet("bundle")) {
    absl::StatusOr<ProgramView> replayed = audit::ReplayBundle(bundle, *as_of, &events_replayed);
    if (!replayed.ok()) return ReportError(replayed.status());
    program = std::move(*replayed);
  } else {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        OpenEngineForReading(context.global);
    if (!engine.ok()) return ReportError(engine.status());
    if (as_of->kind() == AsOf::Kind::kBusinessTime) {
      absl::StatusOr<ProgramView> replayed =
          audit::ReplayAsOfBusinessTime((*engine)->ledger(), as_of->instant_us(), &events_replayed);
      if (!replayed.ok()) return ReportError(replayed.status());
      program = std::move(*replayed);
    } else {
      // Without a flag: the whole log, replayed (not the live projections).
      const AsOf point = as_of->kind() == AsOf::Kind::kNow
                             ? AsOf::Sequence((*engine)->ledger().Head().sequence)
                             : *as_of;
      absl::StatusOr<ProgramView> replayed = (*engine)->Program(point);
      if (!replayed.ok()) return ReportError(replayed.status());
      program = std::move(*replayed);
      events_replayed = program.as_of_sequence;
    }
  }
  // The same words for the ledger and for a bundle, so that the outputs
  // compare with diff.
  std::string selected_by;
  if (as_of->kind() == AsOf::Kind::kBusinessTime) {
    selected_by = absl::StrCat("--as-of ", FormatLocalTimeUs(as_of->instant_us()),
                               " (business time: the events that occurred by then)");
  } else if (as_of->kind() == AsOf::Kind::kRecordedTime) {
    selected_by = absl::StrCat("--known-at ", FormatLocalTimeUs(as_of->instant_us()),
                               " (recorded time: the events recorded by then)");
  } else {
    const uint64_t sequence =
        as_of->kind() == AsOf::Kind::kSequence ? as_of->sequence() : program.as_of_sequence;
    selected_by =
        absl::StrCat("--at-seq ", sequence, " (by sequence: evaluated at its last event's time)");
  }
  Print(json ? ReplayJson(program, selected_by, events_replayed)
             : ReplayText(program, selected_by, events_replayed));
  if (IsTimeAxis(*as_of) && events_replayed == 0) {
    ReportNotice("replay", NothingByThenHint(*as_of, as_of_flags, "nothing"));
  }
  return kExitOk;
}

int RunCheckpoint(CommandContext& context) {
  std::string out_path;
  std::string key_path;
  std::string pubkey_path;
  uint64_t at_sequence = 0;
  std::string signed_at;
  bool skip_digests = false;
  FlagSet flags = context.NewFlagSet();
  flags.String("out", "FILE", "keygen: the private key file to create (and FILE.pub)", &out_path);
  flags.String("key", "FILE", "sign: the signer's Ed25519 private key (PEM)", &key_path);
  flags.Uint64("at-seq", "N", "sign: the sequence to sign (default: the head)", &at_sequence);
  flags.String("signed-at", "TIME", "sign: the signing time to record (default: now)", &signed_at);
  flags.String("pubkey", "FILE", "verify: the trusted signer's public key (PEM)", &pubkey_path);
  flags.Bool("skip-digests", "verify: do not replay the projections", &skip_digests);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 1, &positional)) return *done;
  const std::string& subcommand = positional[0];
  // Each subcommand takes only its own flags.
  const SubcommandFlags allowed = {{"keygen", {"out"}},
                                   {"sign", {"key", "at-seq", "signed-at"}},
                                   {"verify", {"pubkey", "skip-digests"}},
                                   {"list", {}}};
  if (subcommand != "keygen" && subcommand != "sign" && subcommand != "verify" &&
      subcommand != "list") {
    return ReportError(UnknownSubcommand("checkpoint", subcommand, "keygen, sign, verify, list"));
  }
  if (absl::Status own = CheckSubcommandFlags("checkpoint", subcommand, flags, allowed);
      !own.ok()) {
    return ReportError(own);
  }
  if (subcommand == "keygen") return RunCheckpointKeygen(out_path);
  if (subcommand == "sign") {
    return RunCheckpointSign(context, flags, key_path, at_sequence, signed_at);
  }
  if (subcommand == "verify") return RunCheckpointVerify(context, pubkey_path, skip_digests);
  return RunCheckpointList(context);
}

int RunProve(CommandContext& context) {
  bool consistency = false;
  uint64_t checkpoint_number = 0;
  std::string out_path = "-";
  FlagSet flags = context.NewFlagSet();
  flags.Bool("consistency", "prove that checkpoint NEW extends checkpoint OLD", &consistency);
  flags.Uint64("checkpoint", "K",
               "inclusion: the checkpoint to prove against (default: the latest that covers SEQ)",
               &checkpoint_number);
  flags.String("out", "FILE", "write the proof to FILE instead of standard output", &out_path);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 2, &positional)) return *done;
  if (consistency != (positional.size() == 2)) {
    return ReportError(absl::InvalidArgumentError(
        consistency ? "prove: --consistency takes two checkpoint numbers, OLD and NEW"
                    : "prove: give one sequence, or --consistency OLD NEW"));
  }
  if (consistency && flags.WasSet("checkpoint")) {
    return ReportError(absl::InvalidArgumentError(
        "prove: flag --checkpoint is for inclusion proofs; --consistency names its two"));
  }
  std::vector<uint64_t> numbers;
  for (const std::string& argument : positional) {
    absl::StatusOr<uint64_t> number =
        ParseCount("prove", consistency ? "checkpoint number" : "sequence", argument);
    if (!number.ok()) return ReportError(number.status());
    numbers.push_back(*number);
  }

  absl::StatusOr<AuditHandles> handles = OpenAudit(context.global.db_directory);
  if (!handles.ok()) return ReportError(handles.status());
  absl::StatusOr<std::vector<audit::SignedCheckpoint>> checkpoints = handles->store->Checkpoints();
  if (!checkpoints.ok()) return ReportError(checkpoints.status());
  audit::ProofDocument document;
  if (!consistency) {
    const uint64_t sequence = numbers[0];
    const uint64_t head = handles->ledger->Head().sequence;
    if (sequence < 1 || sequence > head) {
      return ReportError(absl::InvalidArgumentError(
          absl::StrCat("prove: sequence ", sequence, " is not in the log (1..", head, ")")));
    }
    absl::StatusOr<audit::SignedCheckpoint> checkpoint;
    if (flags.WasSet("checkpoint")) {
      checkpoint = FindCheckpoint(*checkpoints, checkpoint_number);
      if (checkpoint.ok() && checkpoint->checkpoint.sequence < sequence) {
        checkpoint = absl::InvalidArgumentError(
            absl::StrCat("prove: checkpoint ", checkpoint_number, " is at sequence ",
                         checkpoint->checkpoint.sequence, ", before ", sequence));
      }
    } else {
      checkpoint = absl::FailedPreconditionError(
          absl::StrCat("prove: no checkpoint covers sequence ", sequence,
                       " yet; sign one with `loyalty checkpoint sign --key FILE`"));
      for (const audit::SignedCheckpoint& candidate : *checkpoints) {
        if (candidate.checkpoint.sequence >= sequence) checkpoint = candidate;
      }
    }
    if (!checkpoint.ok()) return ReportError(checkpoint.status());
    absl::StatusOr<audit::InclusionProof> proof = handles->store->ProveInclusion(
        sequence, checkpoint->checkpoint.sequence, &document.event_bytes);
    if (!proof.ok()) return ReportError(proof.status());
    document.kind = audit::ProofDocument::Kind::kInclusion;
    document.inclusion = std::move(*proof);
    document.checkpoints = {*checkpoint};
  } else {
    absl::StatusOr<audit::SignedCheckpoint> old_checkpoint =
        FindCheckpoint(*checkpoints, numbers[0]);
    if (!old_checkpoint.ok()) return ReportError(old_checkpoint.status());
    absl::StatusOr<audit::SignedCheckpoint> new_checkpoint =
        FindCheckpoint(*checkpoints, numbers[1]);
    if (!new_checkpoint.ok()) return ReportError(new_checkpoint.status());
    if (old_checkpoint->checkpoint.sequence > new_checkpoint->checkpoint.sequence) {
      return ReportError(absl::InvalidArgumentError(absl::StrCat(
          "prove: checkpoint ", numbers[0], " (sequence ", old_checkpoint->checkpoint.sequence,
          ") is after checkpoint ", numbers[1], " (sequence ", new_checkpoint->checkpoint.sequence,
          "); name the older one first")));
    }
    absl::StatusOr<audit::ConsistencyProof> proof = handles->store->ProveConsistency(
        old_checkpoint->checkpoint.sequence, new_checkpoint->checkpoint.sequence);
    if (!proof.ok()) return ReportError(proof.status());
    document.kind = audit::ProofDocument::Kind::kConsistency;
    document.consistency = std::move(*proof);
    document.checkpoints = {*old_checkpoint, *new_checkpoint};
  }
  absl::StatusOr<std::unique_ptr<Output>> output = Output::Open(out_path);
  if (!output.ok()) return ReportError(output.status());
  if (absl::Status written = (*output)->Write(audit::EncodeProofDocument(document));
      !written.ok()) {
    return ReportError(written);
  }
  if (absl::Status finished = (*output)->Finish(); !finished.ok()) return ReportError(finished);
  return kExitOk;
}

int RunCheckProof(CommandContext& context) {
  std::string pubkey_path;
  FlagSet flags = context.NewFlagSet();
  flags.String("pubkey", "FILE", "the trusted signer's Ed25519 public key (PEM); required",
               &pubkey_path);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 1, &positional)) return *done;
  if (pubkey_path.empty()) {
    return ReportError(absl::InvalidArgumentError("check-proof: flag --pubkey FILE is required"));
  }
  const std::string proof_path = positional.empty() ? "-" : positional[0];
  absl::StatusOr<audit::PublicKey> key = ReadPublicKey(pubkey_path);
  if (!key.ok()) return ReportError(key.status());
  absl::StatusOr<std::string> text = ReadSmallFile(proof_path, "proof file");
  if (!text.ok()) return ReportError(text.status());
  absl::StatusOr<audit::ProofDocument> document = audit::DecodeProofDocument(*text);
  if (!document.ok()) return ReportError(document.status());
  absl::Status checked = audit::CheckProofDocument(*document, *key);
  if (!checked.ok()) return ReportError(checked);
  if (document->kind == audit::ProofDocument::Kind::kInclusion) {
    Print(absl::StrCat("ok: sequence ", document->inclusion.sequence, " is in checkpoint ",
                       document->checkpoints[0].number, " (a tree of ",
                       document->inclusion.tree_size, " events), signed by ",
                       HashHex(key->Fingerprint()), "\n"));
  } else {
    Print(absl::StrCat("ok: checkpoint ", document->checkpoints[1].number, " (",
                       document->consistency.new_size, " events) extends checkpoint ",
                       document->checkpoints[0].number, " (", document->consistency.old_size,
                       " events), signed by ", HashHex(key->Fingerprint()), "\n"));
  }
  return kExitOk;
}

int RunAuditBundle(CommandContext& context) {
  std::string out_directory;
  uint64_t from_sequence = 1;
  uint64_t to_sequence = UINT64_MAX;
  FlagSet flags = context.NewFlagSet();
  flags.String("out", "DIR", "the directory to create; required", &out_directory);
  flags.Uint64("from", "N", "first sequence (default: 1)", &from_sequence);
  flags.Uint64("to", "N", "last sequence, clamped to the head (default: the head)", &to_sequence);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (out_directory.empty()) {
    return ReportError(absl::InvalidArgumentError("audit-bundle: flag --out DIR is required"));
  }
  if (from_sequence < 1 || to_sequence < from_sequence) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("audit-bundle: flags --from and --to: ", from_sequence, "..", to_sequence,
                     " is not a range of sequences from 1")));
  }
  absl::StatusOr<AuditHandles> handles = OpenAudit(context.global.db_directory);
  if (!handles.ok()) return ReportError(handles.status());
  absl::StatusOr<audit::BundleSummary> summary = audit::WriteAuditBundle(
      *handles->ledger, *handles->store, out_directory, from_sequence, to_sequence);
  if (!summary.ok()) return ReportError(summary.status());
  Print(absl::StrCat("wrote ", out_directory, ": events ", summary->from_sequence, "..",
                     summary->to_sequence, ", ", summary->checkpoints, " checkpoints, ",
                     summary->recorded_schemas, " recorded schemas\n", "chain_start ",
                     HashHex(summary->chain_start), "\nchain_end   ", HashHex(summary->chain_end),
                     "\n"));
  return kExitOk;
}

int RunSchema(CommandContext& context) {
  std::string actor = kDefaultSchemaActor;
  FlagSet flags = context.NewFlagSet();
  flags.String("actor", "ID", "record: who records it (default: schema-recorder)", &actor);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 1, &positional)) return *done;
  const std::string& subcommand = positional[0];
  if (subcommand != "record" && subcommand != "list") {
    return ReportError(UnknownSubcommand("schema", subcommand, "record, list"));
  }
  if (subcommand == "list" && flags.WasSet("actor")) {
    return ReportError(
        absl::InvalidArgumentError("schema list: flag --actor belongs to `schema record`"));
  }
  if (actor.empty() || actor.size() > kMaxActorIdBytes) {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("schema record: flag --actor: must be 1 to ", kMaxActorIdBytes, " bytes")));
  }
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      subcommand == "record" ? OpenLedgerForWriting(context.global.db_directory)
                             : OpenLedgerForReading(context.global.db_directory);
  if (!ledger.ok()) return ReportError(ledger.status());
  if (subcommand == "record") {
    absl::StatusOr<audit::SchemaRecordResult> result =
        audit::RecordBuiltInSchema(**ledger, actor, absl::ToUnixMicros(absl::Now()));
    if (!result.ok()) return ReportError(result.status());
    Print(absl::StrCat(result->appended ? "recorded the schema at sequence "
                                        : "the schema is already recorded, at sequence ",
                       result->sequence, " (sha256 ", HashHex(result->descriptor_set_sha256),
                       ")\n"));
    return kExitOk;
  }
  absl::StatusOr<std::vector<audit::RecordedSchema>> schemas = audit::RecordedSchemas(**ledger);
  if (!schemas.ok()) return ReportError(schemas.status());
  const Hash built_in = audit::BuiltInDescriptorSetSha256();
  std::string text;
  for (const audit::RecordedSchema& schema : *schemas) {
    absl::StrAppend(&text, "sequence ", schema.sequence, "  ", FormatTimeUs(schema.recorded_at_us),
                    "  ", HashHex(schema.descriptor_set_sha256),
                    schema.descriptor_set_sha256 == built_in ? "  (this build's)" : "", "\n");
  }
  if (schemas->empty()) text = "no schema recorded in the log\n";
  absl::StrAppend(&text, "this build ", HashHex(built_in),
                  !schemas->empty() && schemas->back().descriptor_set_sha256 == built_in
                      ? " (the latest recorded)\n"
                      : " (not the latest recorded: `loyalty schema record` records it)\n");
  Print(text);
  return kExitOk;
}

}  // namespace loyalty::cli
