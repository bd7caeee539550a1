// The checkpoint record's canonical bytes (docs/audit-format.md,
// "Checkpoint record"): ASCII lines, fixed order, one form per checkpoint.
#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

constexpr char kRecordFormat[] = "loyalty-checkpoint/1";

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

absl::Status CheckName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxProjectionNameBytes ||
      !std::all_of(name.begin(), name.end(), IsNameByte)) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: projection name \"", name,
                                                   "\" is not 1 to ", kMaxProjectionNameBytes,
                                                   " characters of a-z, 0-9, _ and -"));
  }
  return absl::OkStatus();
}

absl::Status Malformed(size_t line_number, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("checkpoint record, line ", line_number, ": ", what));
}

}  // namespace

absl::StatusOr<std::string> EncodeCheckpointRecord(const Checkpoint& checkpoint) {
  if (checkpoint.projection_digests.size() > kMaxCheckpointProjections) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: ", checkpoint.projection_digests.size(),
                     " projections, more than ", kMaxCheckpointProjections));
  }
  if (checkpoint.signed_at_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: signed_at_us ", checkpoint.signed_at_us, " is negative"));
  }
  std::vector<const ProjectionDigest*> sorted;
  for (const ProjectionDigest& digest : checkpoint.projection_digests) {
    absl::Status named = CheckName(digest.name);
    if (!named.ok()) return named;
    sorted.push_back(&digest);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const ProjectionDigest* a, const ProjectionDigest* b) { return a->name < b->name; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i]->name == sorted[i - 1]->name) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint: projection \"", sorted[i]->name, "\" appears twice"));
    }
  }
  std::string record = absl::StrCat(kRecordFormat, "\n", "sequence ", checkpoint.sequence, "\n",
                                    "chain_head ", HashHex(checkpoint.chain_head), "\n",
                                    "merkle_root ", HashHex(checkpoint.merkle_root), "\n");
  for (const ProjectionDigest* digest : sorted) {
    absl::StrAppend(&record, "projection ", digest->name, " ", HashHex(digest->digest), "\n");
  }
  absl::StrAppend(&record, "signer_key_sha256 ", HashHex(checkpoint.signer_key_sha256), "\n",
                  "signed_at_us ", checkpoint.signed_at_us, "\n");
  return record;
}

absl::StatusOr<Checkpoint> DecodeCheckpointRecord(absl::string_view record) {
  if (record.empty() || record.back() != '\n') {
    return absl::InvalidArgumentError("checkpoint record: does not end with a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(record.substr(0, record.size() - 1), '\n');
  // Format line, sequence, chain_head, merkle_root, the projections, signer,
  // signed_at.
  constexpr size_t kFixedLines = 6;
  if (lines.size() < kFixedLines || lines.size() > kFixedLines + kMaxCheckpointProjections) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint record: ", lines.size(),
                                                   " lines, not ", kFixedLines, " to ",
                                                   kFixedLines + kMaxCheckpointProjections));
  }
  if (lines[0] != kRecordFormat) {
    return Malformed(1, absl::StrCat("\"", lines[0], "\" is not \"", kRecordFormat, "\""));
  }
  Checkpoint checkpoint;
  auto field = [&](size_t index, absl::string_view key) -> absl::StatusOr<absl::string_view> {
    absl::string_view line = lines[index];
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, " ")) {
      return Malformed(index + 1, absl::StrCat("expected \"", key, " ...\""));
    }
    return line;
  };
  auto hash_field = [&](size_t index, absl::string_view key, Hash* hash) -> absl::Status {
    absl::StatusOr<absl::string_view> value = field(index, key);
    if (!value.ok()) return value.status();
    if (!util::DigestFromHex(*value, hash)) {
      return Malformed(index + 1, absl::StrCat(key, ": not 64 hexadecimal digits"));
    }
    return absl::OkStatus();
  };
  absl::StatusOr<absl::string_view> sequence = field(1, "sequence");
  if (!sequence.ok()) return sequence.status();
  if (!absl::SimpleAtoi(*sequence, &checkpoint.sequence)) {
    return Malformed(2, "sequence: not a decimal count");
  }
  if (absl::Status status = hash_field(2, "chain_head", &checkpoint.chain_head); !status.ok()) {
    return status;
  }
  if (absl::Status status = hash_field(3, "merkle_root", &checkpoint.merkle_root); !status.ok()) {
    return status;
  }
  const size_t signer_line = lines.size() - 2;
  for (size_t index = 4; index < signer_line; ++index) {
    absl::StatusOr<absl::string_view> value = field(index, "projection");
    if (!value.ok()) return value.status();
    std::vector<absl::string_view> parts = absl::StrSplit(*value, ' ');
    ProjectionDigest digest;
    if (parts.size() != 2 || !util::DigestFromHex(parts[1], &digest.digest)) {
      return Malformed(index + 1, "expected \"projection NAME HEX\"");
    }
    digest.name = std::string(parts[0]);
    checkpoint.projection_digests.push_back(std::move(digest));
  }
  if (absl::Status status =
          hash_field(signer_line, "signer_key_sha256", &checkpoint.signer_key_sha256);
      !status.ok()) {
    return status;
  }
  absl::StatusOr<absl::string_view> signed_at = field(signer_line + 1, "signed_at_us");
  if (!signed_at.ok()) return signed_at.status();
  if (!absl::SimpleAtoi(*signed_at, &checkpoint.signed_at_us)) {
    return Malformed(signer_line + 2, "signed_at_us: not a decimal number");
  }
  // One byte form only: anything the encoder would write differently
  // (upper-case hex, leading zeros, a '+', unsorted names) is refused.
  absl::StatusOr<std::string> encoded = EncodeCheckpointRecord(checkpoint);
  if (!encoded.ok()) return encoded.status();
  if (*encoded != record) {
    return absl::InvalidArgumentError(
        "checkpoint record: not in canonical form (lower-case hex, decimal numbers without "
        "leading zeros or sign, projections sorted by name)");
  }
  return checkpoint;
}

}  // namespace loyalty::audit
