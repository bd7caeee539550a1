// loyalty export, head, verify and stream: commands that only read.
#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/ledger_io.h"
#include "cli/privacy_commands.h"
#include "cli/reports.h"
#include "google/protobuf/io/coded_stream.h"
#include "loyalty/ledger.h"

namespace loyalty::cli {
namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
// A varint holds 7 bits a byte: 32 bits need at most 5.
constexpr size_t kMaxVarint32Bytes = 5;

// A sequence range from --from and --to; InvalidArgument for an empty one.
absl::Status CheckRange(const char* command, uint64_t from_sequence, uint64_t to_sequence) {
  if (from_sequence < 1) {
    return absl::InvalidArgumentError(absl::StrCat(command, ": flag --from: sequences start at 1"));
  }
  if (to_sequence < from_sequence) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, ": flag --to: ", to_sequence, " is before --from ", from_sequence));
  }
  return absl::OkStatus();
}

void AddRangeFlags(FlagSet& flags, uint64_t* from_sequence, uint64_t* to_sequence) {
  flags.Uint64("from", "N", "first sequence (default: 1)", from_sequence);
  flags.Uint64("to", "N", "last sequence, clamped to the head (default: the head)", to_sequence);
}

// The sealed personal data an event carries (enrolment, profile update);
// nullptr for any other event, and for personal data stored plain.
const v1::Personal* SealedPersonalOf(const v1::Envelope& envelope) {
  const v1::Event& event = envelope.event();
  const v1::Personal* personal = nullptr;
  if (event.has_member_enrolled()) {
    personal = &event.member_enrolled().personal();
  } else if (event.has_member_profile_updated()) {
    personal = &event.member_profile_updated().personal();
  }
  return personal != nullptr && personal->has_sealed() ? personal : nullptr;
}

// `revealer`, when given, opens the sealed personal data of each event with
// the member's key; an erased member's stays sealed, as stored. Only events
// that carry sealed data are copied to be shown opened.
absl::Status ExportJsonLines(const Ledger& ledger, uint64_t from_sequence, uint64_t to_sequence,
                             const Engine* revealer, Output& output) {
  v1::Envelope revealed;
  return ledger.Scan(from_sequence, to_sequence, [&](const v1::Envelope& envelope) {
    const v1::Envelope* shown = &envelope;
    if (revealer != nullptr && SealedPersonalOf(envelope) != nullptr) {
      absl::StatusOr<v1::PersonalData> plain = revealer->RevealPersonal(envelope);
      if (plain.ok()) {
        revealed = envelope;
        // The copy is ours to change: the same field, found in the copy.
        *const_cast<v1::Personal*>(SealedPersonalOf(revealed))->mutable_plain() =
            *std::move(plain);
        shown = &revealed;
      } else if (!absl::IsFailedPrecondition(plain.status())) {
        return plain.status();
      }
    }
    absl::StatusOr<std::string> json = EnvelopeToJson(*shown);
    if (!json.ok()) return json.status();
    json->push_back('\n');
    return output.Write(*json);
  });
}

// Each record: its length as a varint, then the canonical bytes as stored.
absl::Status ExportBinary(const Ledger& ledger, uint64_t from_sequence, uint64_t to_sequence,
                          Output& output) {
  return ledger.ScanRaw(from_sequence, to_sequence, [&](const RawEvent& raw) {
    // The length-delimited framing has a 32-bit length; events are far smaller.
    static_assert(kMaxEventBytes < std::numeric_limits<uint32_t>::max());
    if (raw.canonical_bytes.size() > kMaxEventBytes) {
      return absl::DataLossError(
          absl::StrCat("sequence ", raw.sequence, ": stored event is ", raw.canonical_bytes.size(),
                       " bytes long, more than the limit of ", kMaxEventBytes));
    }
    uint8_t prefix[kMaxVarint32Bytes];
    const uint8_t* prefix_end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
        static_cast<uint32_t>(raw.canonical_bytes.size()), prefix);
    absl::Status written = output.Write(absl::string_view(
        reinterpret_cast<const char*>(prefix), static_cast<size_t>(prefix_end - prefix)));
    if (!written.ok()) return written;
    return output.Write(raw.canonical_bytes);
  });
}

// Prints how many events the projections applied only as far as a rule
// allowed: AnomalyCountLine, after the chain verified. Anomalies are not
// damage, so they never change the exit code; an engine that cannot open
// (a projections checkpoint this build cannot read, say) is reported on
// standard error without failing the verification of the chain either.
int PrintAnomalyCount(const GlobalOptions& global) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngineForReading(global, MasterKeySource());
  absl::StatusOr<AnomaliesView> anomalies =
      engine.ok() ? (*engine)->Anomalies() : absl::StatusOr<AnomaliesView>(engine.status());
  if (!anomalies.ok()) {
    const std::string note =
        absl::StrCat("loyalty: anomalies not counted: ", anomalies.status().message(), "\n");
    std::fwrite(note.data(), 1, note.size(), stderr);
    return kExitOk;
  }
  Print(AnomalyCountLine(anomalies->count));
  return kExitOk;
}

}  // namespace

int RunExport(CommandContext& context) {
  uint64_t from_sequence = 1;
  uint64_t to_sequence = kNoLimit;
  std::string format = "jsonl";
  std::string out_path = "-";
  bool reveal_personal = false;
  std::string master_key_file;
  FlagSet flags = context.NewFlagSet();
  AddRangeFlags(flags, &from_sequence, &to_sequence);
  flags.Bool("reveal-personal",
             "write the personal data in the clear (jsonl only; needs --master-key)",
             &reveal_personal);
  flags.String("master-key", "FILE", "the master key file that reveals personal data",
               &master_key_file);
  flags.String("format", "jsonl|binary", "what to write, as described above (default: jsonl)",
               &format);
  flags.String("out", "FILE", "write to FILE instead of standard output (default: -)", &out_path);
  bool overwrite = false;
  flags.Bool("overwrite",
             "with --reveal-personal: replace FILE if it exists (refused otherwise; without "
             "--reveal-personal FILE is always replaced)",
             &overwrite);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (absl::Status range = CheckRange("export", from_sequence, to_sequence); !range.ok()) {
    return ReportError(range);
  }
  if (format != "jsonl" && format != "binary") {
    return ReportError(absl::InvalidArgumentError(
        absl::StrCat("export: flag --format: \"", format, "\" is neither jsonl nor binary")));
  }
  if (reveal_personal != !master_key_file.empty()) {
    return ReportError(absl::InvalidArgumentError(
        "export: flags --reveal-personal and --master-key FILE go together: personal data is "
        "revealed only when asked for explicitly, with the master key"));
  }
  if (reveal_personal && format != "jsonl") {
    return ReportError(absl::InvalidArgumentError(
        "export: flag --reveal-personal: the binary format holds the events' bytes as stored "
        "and chained; use --format jsonl"));
  }

  // Revealing needs the engine (the member keys); otherwise the log alone.
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Ledger> opened_ledger;
  if (reveal_personal) {
    absl::StatusOr<std::unique_ptr<Engine>> opened =
        OpenEngineWithMasterKey(context.global, master_key_file);
    if (!opened.ok()) return ReportError(opened.status());
    engine = *std::move(opened);
  } else {
    absl::StatusOr<std::unique_ptr<Ledger>> opened =
        OpenLedgerForReading(context.global.db_directory);
    if (!opened.ok()) return ReportError(opened.status());
    opened_ledger = *std::move(opened);
  }
  const Ledger& ledger = engine != nullptr ? engine->ledger() : *opened_ledger;
  // Personal data in the clear goes to a file only its owner reads, and
  // never over another file unless asked.
  Output::Options output_options;
  output_options.personal_data = reveal_personal;
  output_options.overwrite = overwrite;
  absl::StatusOr<std::unique_ptr<Output>> output = Output::Open(out_path, output_options);
  if (!output.ok()) return ReportError(output.status());
  absl::Status exported =
      format == "jsonl"
          ? ExportJsonLines(ledger, from_sequence, to_sequence, engine.get(), **output)
          : ExportBinary(ledger, from_sequence, to_sequence, **output);
  if (!exported.ok()) return ReportError(exported);
  if (absl::Status finished = (*output)->Finish(); !finished.ok()) return ReportError(finished);
  return kExitOk;
}

int RunHead(CommandContext& context) {
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.Bool("json", "print one JSON object instead of lines", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;

  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      OpenLedgerForReading(context.global.db_directory);
  if (!ledger.ok()) return ReportError(ledger.status());
  const ChainHead head = (*ledger)->Head();
  // An empty ledger has no time of its own to show.
  const bool empty = head.sequence == 0;
  if (json) {
    Print(absl::StrCat("{\"sequence\":", head.sequence, ",\"hash\":\"", HashHex(head.hash),
                       "\",\"recorded_at\":",
                       empty ? "null" : absl::StrCat("\"", FormatTimeUs(head.recorded_at_us), "\""),
                       ",\"recorded_at_us\":", head.recorded_at_us, "}\n"));
  } else {
    Print(absl::StrCat("sequence ", head.sequence, "\nhash ", HashHex(head.hash), "\nrecorded_at ",
                       empty ? "none" : FormatTimeUs(head.recorded_at_us), "\n"));
  }
  return kExitOk;
}

int RunVerify(CommandContext& context) {
  uint64_t from_sequence = 1;
  uint64_t to_sequence = kNoLimit;
  FlagSet flags = context.NewFlagSet();
  AddRangeFlags(flags, &from_sequence, &to_sequence);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 0, 0, &positional)) return *done;
  if (absl::Status range = CheckRange("verify", from_sequence, to_sequence); !range.ok()) {
    return ReportError(range);
  }

  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      OpenLedgerForReading(context.global.db_directory);
  if (!ledger.ok()) return ReportError(ledger.status());
  const ChainHead head = (*ledger)->Head();
  absl::Status verified = (*ledger)->Verify(from_sequence, to_sequence);
  if (!verified.ok()) return ReportError(verified);
  const uint64_t last_sequence = std::min(to_sequence, head.sequence);
  if (last_sequence < from_sequence) {
    Print(absl::StrCat("ok: verified no sequences (the ledger ends at sequence ", head.sequence,
                       "), head ", HashHex(head.hash), "\n"));
  } else {
    Print(absl::StrCat("ok: verified sequences ", from_sequence, "..", last_sequence, ", head ",
                       HashHex(head.hash), "\n"));
  }
  ledger->reset();  // the engine opens it again
  return PrintAnomalyCount(context.global);
}

int RunStream(CommandContext& context) {
  uint64_t from_version = 1;
  bool json = false;
  FlagSet flags = context.NewFlagSet();
  flags.Uint64("from-version", "N", "first stream version (default: 1)", &from_version);
  flags.Bool("json", "print each event as a JSON line, as export does", &json);
  std::vector<std::string> positional;
  if (auto done = context.ParseArgs(flags, 1, 1, &positional)) return *done;
  const std::string& stream_id = positional[0];
  if (stream_id.empty()) {
    return ReportError(absl::InvalidArgumentError("stream: STREAM_ID must not be empty"));
  }

  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      OpenLedgerForReading(context.global.db_directory);
  if (!ledger.ok()) return ReportError(ledger.status());
  absl::StatusOr<std::unique_ptr<Output>> output = Output::Open("-");
  if (!output.ok()) return ReportError(output.status());
  absl::Status listed =
      (*ledger)->ScanStream(stream_id, from_version, [&](const v1::Envelope& envelope) {
        std::string line;
        if (json) {
          absl::StatusOr<std::string> event_json = EnvelopeToJson(envelope);
          if (!event_json.ok()) return event_json.status();
          line = std::move(*event_json);
        } else {
          line =
              absl::StrCat(envelope.sequence(), " ", envelope.stream_version(), " ",
                           EventTypeName(envelope), " ", FormatTimeUs(envelope.occurred_at_us()));
        }
        line.push_back('\n');
        return (*output)->Write(line);
      });
  if (!listed.ok()) return ReportError(listed);
  if (absl::Status finished = (*output)->Finish(); !finished.ok()) return ReportError(finished);
  return kExitOk;
}

}  // namespace loyalty::cli
