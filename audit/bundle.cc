// The audit bundle: a directory of plain files an auditor checks without the
// engine (docs/audit-format.md, "Audit bundle").
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "audit/embedded_files.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

constexpr char kBundleFormat[] = "loyalty-audit-bundle/1";

absl::Status IoError(absl::string_view what, const std::string& path, int error_number) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(error_number)));
}

// A file written in pieces, synced and closed by Close.
class BundleFile {
 public:
  static absl::StatusOr<std::unique_ptr<BundleFile>> Create(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
    if (error) return IoError("cannot create the directory of", path, error.value());
    std::FILE* file = std::fopen(path.c_str(), "wbx");
    if (file == nullptr) return IoError("cannot create", path, errno);
    return std::unique_ptr<BundleFile>(new BundleFile(file, path));
  }
  ~BundleFile() {
    if (file_ != nullptr) std::fclose(file_);
  }

  absl::Status Write(absl::string_view bytes) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
      return IoError("cannot write", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Close() {
    std::FILE* file = file_;
    file_ = nullptr;
    if (std::fflush(file) != 0 || ::fsync(fileno(file)) != 0) {
      const int error_number = errno;
      std::fclose(file);
      return IoError("cannot write", path_, error_number);
    }
    if (std::fclose(file) != 0) return IoError("cannot close", path_, errno);
    return absl::OkStatus();
  }

 private:
  BundleFile(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
};

absl::Status WriteWholeFile(const std::string& path, absl::string_view content) {
  absl::StatusOr<std::unique_ptr<BundleFile>> file = BundleFile::Create(path);
  if (!file.ok()) return file.status();
  absl::Status written = (*file)->Write(content);
  if (!written.ok()) return written;
  return (*file)->Close();
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

absl::Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return IoError("cannot open", path, errno);
  const int synced = ::fsync(fd);
  const int error_number = errno;
  ::close(fd);
  if (synced != 0) return IoError("cannot sync", path, error_number);
  return absl::OkStatus();
}

std::string CheckpointFileName(uint64_t number) { return absl::StrFormat("%06d", number); }

std::string Readme(const BundleSummary& summary, const std::vector<SignedCheckpoint>& checkpoints,
                   const std::vector<RecordedSchema>& schemas) {
  std::string text = absl::StrCat(
      "# Audit bundle of a loyalty ledger\n"
      "\n"
      "Events ",
      summary.from_sequence, " to ", summary.to_sequence,
      " of the log, as the ledger stores them, with the\n"
      "signed checkpoints, the schemas and an independent verifier. `AUDIT-FORMAT.md`\n"
      "defines every byte; nothing here needs the ledger's software.\n"
      "\n"
      "- the chain hash before the first event (sequence ",
      summary.from_sequence - 1, "): `", HashHex(summary.chain_start), "`\n",
      "- the chain hash of the last event (sequence ", summary.to_sequence, "): `",
      HashHex(summary.chain_end),
      "`\n"
      "\n"
      "## Files\n"
      "\n"
      "| file | what it holds |\n"
      "| --- | --- |\n"
      "| `events.bin` | each event's canonical bytes, in sequence order, each preceded by its "
      "length as a protobuf varint (length-delimited) |\n"
      "| `manifest.txt` | the range, the chain hashes above, the Merkle peaks before the first "
      "event, the SHA-256 of `events.bin` |\n"
      "| `schemas/loyalty/v1/*.proto` | the event schema the exporting tool was built with |\n"
      "| `schemas/descriptor_set.binpb` | the same schema compiled: a `FileDescriptorSet` |\n"
      "| `schemas/recorded/sequence-N.binpb` | each descriptor set the log itself records "
      "(`SchemaRegistered` event at sequence N) |\n"
      "| `checkpoints/NNNNNN.checkpoint`, `.sig` | each checkpoint record and its Ed25519 "
      "signature (64 bytes) |\n"
      "| `keys/FINGERPRINT.pem` | the public key of each signer; FINGERPRINT is the SHA-256 of "
      "its 32 raw bytes |\n"
      "| `tools/verify_bundle.py` | a verifier in Python 3, standard library only |\n"
      "\n"
      "## Checking it\n"
      "\n"
      "1. Get the signer's public key from the ledger's operator through a channel you trust, "
      "and run\n"
      "   the verifier with it: it recomputes the hash chain and the Merkle tree from "
      "`events.bin`, checks\n"
      "   every checkpoint's signature and, for each checkpoint inside the range, its chain head "
      "and\n"
      "   Merkle root. It names the first sequence that does not match and exits non-zero.\n"
      "\n"
      "   ```sh\n"
      "   python3 tools/verify_bundle.py . --pubkey operator-key.pub.pem\n"
      "   ```\n"
      "\n"
      "2. Any checkpoint signature, with OpenSSL alone:\n"
      "\n"
      "   ```sh\n"
      "   openssl pkeyutl -verify -pubin -inkey operator-key.pub.pem -rawin \\\n"
      "       -in checkpoints/000001.checkpoint -sigfile checkpoints/000001.sig\n"
      "   ```\n"
      "\n"
      "3. Any event, decoded with the standard protobuf compiler from the schemas alone:\n"
      "\n"
      "   ```sh\n"
      "   python3 tools/verify_bundle.py . --extract SEQUENCE > event.bin\n"
      "   protoc --decode=loyalty.v1.Envelope -I schemas loyalty/v1/envelope.proto < event.bin\n"
      "   protoc --decode=loyalty.v1.Envelope --descriptor_set_in=schemas/descriptor_set.binpb "
      "\\\n"
      "       loyalty/v1/envelope.proto < event.bin\n"
      "   ```\n"
      "\n"
      "   Decode an event with the descriptor set the log recorded last before it "
      "(`schemas/recorded/`)\n"
      "   to read it exactly as it was written.\n"
      "\n"
      "4. The projections' digests in a checkpoint at sequence N are recomputed by replaying "
      "the\n"
      "   events with the ledger's tool, from this bundle alone (it must start at sequence 1):\n"
      "\n"
      "   ```sh\n"
      "   loyalty replay --bundle . --at-seq N\n"
      "   ```\n"
      "\n"
      "   Its digest lines must equal the checkpoint's `projection` lines.\n"
      "\n"
      "Personal data in member events may be sealed with each member's key (`Personal.sealed`);\n"
      "this bundle carries no such key.\n"
      "\n"
      "## Checkpoints\n"
      "\n");
  if (checkpoints.empty()) {
    absl::StrAppend(&text, "None: the ledger had no signed checkpoint when this was written.\n");
  } else {
    absl::StrAppend(&text,
                    "| number | sequence | in this bundle | signer |\n| --- | --- | --- | --- |\n");
    for (const SignedCheckpoint& checkpoint : checkpoints) {
      const uint64_t sequence = checkpoint.checkpoint.sequence;
      const bool inside = sequence + 1 >= summary.from_sequence && sequence <= summary.to_sequence;
      absl::StrAppend(&text, "| ", checkpoint.number, " | ", sequence, " | ", inside ? "yes" : "no",
                      " | `", HashHex(checkpoint.checkpoint.signer_key_sha256), "` |\n");
    }
  }
  absl::StrAppend(&text, "\n## Schemas recorded in the log\n\n");
  if (schemas.empty()) {
    absl::StrAppend(&text, "None: the log records no SchemaRegistered event.\n");
  } else {
    for (const RecordedSchema& schema : schemas) {
      absl::StrAppend(&text, "- sequence ", schema.sequence, ": `",
                      HashHex(schema.descriptor_set_sha256), "`\n");
    }
  }
  return text;
}

absl::Status WriteBundleFiles(const Ledger& ledger, const AuditStore& store,
                              const std::string& directory, BundleSummary& summary) {
  // The events, and what the manifest says of them.
  absl::StatusOr<std::unique_ptr<BundleFile>> events =
      BundleFile::Create(directory + "/events.bin");
  if (!events.ok()) return events.status();
  absl::StatusOr<Hash> chain_start = ledger.HashAt(summary.from_sequence - 1);
  if (!chain_start.ok()) return chain_start.status();
  summary.chain_start = *chain_start;
  Hash chain_end = *chain_start;
  uint64_t count = 0;
  std::string record;
  // The hash of events.bin, computed as it is written.
  util::IncrementalSha256 events_hash;
  absl::Status status = ledger.ScanRaw(
      summary.from_sequence, summary.to_sequence, [&](const RawEvent& raw) -> absl::Status {
        record.clear();
        AppendVarint(raw.canonical_bytes.size(), &record);
        record.append(raw.canonical_bytes.data(), raw.canonical_bytes.size());
        events_hash.Update(record);
        chain_end = raw.hash;
        ++count;
        return (*events)->Write(record);
      });
  if (!status.ok()) return status;
  if (count != summary.to_sequence - summary.from_sequence + 1) {
    return absl::DataLossError(
        absl::StrCat("sequence ", summary.from_sequence + count, ": missing from the ledger"));
  }
  status = (*events)->Close();
  if (!status.ok()) return status;
  const Hash events_sha256 = events_hash.Final();
  summary.chain_end = chain_end;

  absl::StatusOr<std::vector<Hash>> peaks = store.Peaks(summary.from_sequence - 1);
  if (!peaks.ok()) return peaks.status();
  std::string manifest =
      absl::StrCat(kBundleFormat, "\n", "from ", summary.from_sequence, "\n", "to ",
                   summary.to_sequence, "\n", "chain_start ", HashHex(summary.chain_start), "\n",
                   "chain_end ", HashHex(summary.chain_end), "\n");
  for (const Hash& peak : *peaks) absl::StrAppend(&manifest, "merkle_peak ", HashHex(peak), "\n");
  absl::StrAppend(&manifest, "events_sha256 ", HashHex(events_sha256), "\n");
  status = WriteWholeFile(directory + "/manifest.txt", manifest);
  if (!status.ok()) return status;

  // The checkpoints and their signers' keys.
  absl::StatusOr<std::vector<SignedCheckpoint>> checkpoints = store.Checkpoints();
  if (!checkpoints.ok()) return checkpoints.status();
  summary.checkpoints = checkpoints->size();
  for (const SignedCheckpoint& checkpoint : *checkpoints) {
    const std::string base =
        absl::StrCat(directory, "/checkpoints/", CheckpointFileName(checkpoint.number));
    status = WriteWholeFile(base + ".checkpoint", checkpoint.record);
    if (!status.ok()) return status;
    status = WriteWholeFile(base + ".sig", checkpoint.signature);
    if (!status.ok()) return status;
    const std::string key_path =
        absl::StrCat(directory, "/keys/", HashHex(checkpoint.checkpoint.signer_key_sha256), ".pem");
    if (!std::filesystem::exists(key_path)) {
      absl::StatusOr<PublicKey> key = store.SignerKey(checkpoint.checkpoint.signer_key_sha256);
      if (!key.ok()) return key.status();
      status = WriteWholeFile(key_path, key->Pem());
      if (!status.ok()) return status;
    }
  }

  // The schemas: as built, and as the log records them.
  absl::StatusOr<std::vector<RecordedSchema>> schemas = RecordedSchemas(ledger);
  if (!schemas.ok()) return schemas.status();
  summary.recorded_schemas = schemas->size();
  for (const RecordedSchema& schema : *schemas) {
    status = WriteWholeFile(
        absl::StrCat(directory, "/schemas/recorded/sequence-", schema.sequence, ".binpb"),
        schema.descriptor_set);
    if (!status.ok()) return status;
  }
  for (const internal::EmbeddedFile& file : internal::EmbeddedFiles()) {
    std::string path = file.path;
    if (path == "docs/audit-format.md") path = "AUDIT-FORMAT.md";
    status = WriteWholeFile(absl::StrCat(directory, "/", path), file.content());
    if (!status.ok()) return status;
  }
  return WriteWholeFile(directory + "/README.md", Readme(summary, *checkpoints, *schemas));
}

}  // namespace

absl::StatusOr<BundleSummary> WriteAuditBundle(const Ledger& ledger, const AuditStore& store,
                                               const std::string& directory, uint64_t from_sequence,
                                               uint64_t to_sequence) {
  const uint64_t head = ledger.Head().sequence;
  to_sequence = std::min(to_sequence, head);
  if (from_sequence < 1 || from_sequence > to_sequence) {
    return absl::InvalidArgumentError(absl::StrCat("audit bundle: no events in ", from_sequence,
                                                   "..", to_sequence,
                                                   " (the ledger ends at sequence ", head, ")"));
  }
  if (to_sequence > store.tree_size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("audit bundle: the Merkle tree is indexed to ", store.tree_size(), ", not to ",
                     to_sequence, "; catch the audit store up first"));
  }
  std::error_code error;
  if (std::filesystem::exists(directory, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit bundle: ", directory, " exists; name a new directory"));
  }
  const std::string partial = directory + ".partial";
  std::filesystem::remove_all(partial, error);
  if (!std::filesystem::create_directories(partial, error)) {
    return IoError("cannot create", partial, error ? error.value() : EEXIST);
  }
  BundleSummary summary;
  summary.from_sequence = from_sequence;
  summary.to_sequence = to_sequence;
  absl::Status status = WriteBundleFiles(ledger, store, partial, summary);
  if (status.ok()) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(partial, error)) {
      if (entry.is_directory() && status.ok()) status = SyncDirectory(entry.path().string());
    }
    if (status.ok()) status = SyncDirectory(partial);
  }
  if (status.ok()) {
    std::filesystem::rename(partial, directory, error);
    if (error) status = IoError("cannot rename into place", directory, error.value());
  }
  if (!status.ok()) {
    std::filesystem::remove_all(partial, error);
    return status;
  }
  const std::string parent = std::filesystem::absolute(directory).parent_path().string();
  (void)SyncDirectory(parent);
  return summary;
}

}  // namespace loyalty::audit
