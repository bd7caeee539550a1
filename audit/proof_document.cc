// The text form of proofs (docs/audit-format.md, "Proofs") and their offline
// check.
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

constexpr char kInclusionFormat[] = "loyalty-proof/1 inclusion";
constexpr char kConsistencyFormat[] = "loyalty-proof/1 consistency";

void AppendCheckpoint(const SignedCheckpoint& checkpoint, std::string* text) {
  absl::StrAppend(text, "checkpoint ", checkpoint.number, " ",
                  absl::Base64Escape(checkpoint.record), "\n", "signature ",
                  absl::BytesToHexString(checkpoint.signature), "\n");
}

// Reads "key value" lines in order.
class LineReader {
 public:
  explicit LineReader(absl::string_view text) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    lines_ = absl::StrSplit(text, '\n');
  }

  bool done() const { return next_ >= lines_.size(); }
  bool NextIs(absl::string_view key) const {
    return !done() && absl::StartsWith(lines_[next_], absl::StrCat(key, " "));
  }

  absl::StatusOr<absl::string_view> Value(absl::string_view key) {
    if (!NextIs(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("proof, line ", next_ + 1, ": expected \"", key, " ...\""));
    }
    absl::string_view line = lines_[next_++];
    line.remove_prefix(key.size() + 1);
    return line;
  }

  absl::StatusOr<uint64_t> Count(absl::string_view key) {
    absl::StatusOr<absl::string_view> value = Value(key);
    if (!value.ok()) return value.status();
    uint64_t count = 0;
    if (!absl::SimpleAtoi(*value, &count)) return Bad(absl::StrCat(key, ": not a count"));
    return count;
  }

  absl::StatusOr<Hash> HashValue(absl::string_view key) {
    absl::StatusOr<absl::string_view> value = Value(key);
    if (!value.ok()) return value.status();
    Hash hash{};
    if (!util::DigestFromHex(*value, &hash)) {
      return Bad(absl::StrCat(key, ": not 64 hexadecimal digits"));
    }
    return hash;
  }

  absl::StatusOr<std::vector<Hash>> Path() {
    std::vector<Hash> path;
    while (NextIs("path")) {
      if (path.size() == kMaxProofHashes) {
        return Bad(absl::StrCat("more than ", kMaxProofHashes, " path hashes"));
      }
      absl::StatusOr<Hash> hash = HashValue("path");
      if (!hash.ok()) return hash.status();
      path.push_back(*hash);
    }
    return path;
  }

  absl::StatusOr<SignedCheckpoint> Checkpoint() {
    absl::StatusOr<absl::string_view> value = Value("checkpoint");
    if (!value.ok()) return value.status();
    std::vector<absl::string_view> parts = absl::StrSplit(*value, ' ');
    SignedCheckpoint checkpoint;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &checkpoint.number) ||
        !absl::Base64Unescape(parts[1], &checkpoint.record)) {
      return Bad("expected \"checkpoint NUMBER BASE64\"");
    }
    absl::StatusOr<absl::string_view> signature = Value("signature");
    if (!signature.ok()) return signature.status();
    checkpoint.signature = absl::HexStringToBytes(*signature);
    if (absl::BytesToHexString(checkpoint.signature) != *signature) {
      return Bad("signature: not lower-case hexadecimal");
    }
    absl::StatusOr<audit::Checkpoint> decoded = DecodeCheckpointRecord(checkpoint.record);
    if (!decoded.ok()) return decoded.status();
    checkpoint.checkpoint = std::move(*decoded);
    return checkpoint;
  }

  absl::Status Bad(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("proof, line ", next_, ": ", what));
  }

  // The format line, which the caller reads first.
  absl::string_view first() const { return lines_.empty() ? absl::string_view() : lines_[0]; }

 private:
  std::vector<absl::string_view> lines_;
  size_t next_ = 1;
};

absl::Status CheckSigned(const SignedCheckpoint& checkpoint, const PublicKey& trusted_key) {
  const std::string name = absl::StrCat("checkpoint ", checkpoint.number);
  absl::StatusOr<Checkpoint> decoded = DecodeCheckpointRecord(checkpoint.record);
  if (!decoded.ok())
    return absl::DataLossError(absl::StrCat(name, ": ", decoded.status().message()));
  if (decoded->signer_key_sha256 != trusted_key.Fingerprint()) {
    return absl::DataLossError(
        absl::StrCat(name, ": signed by key ", HashHex(decoded->signer_key_sha256),
                     ", not by the trusted key ", HashHex(trusted_key.Fingerprint())));
  }
  absl::Status verified = trusted_key.Verify(checkpoint.record, checkpoint.signature);
  if (!verified.ok()) return absl::DataLossError(absl::StrCat(name, ": ", verified.message()));
  return absl::OkStatus();
}

}  // namespace

std::string EncodeProofDocument(const ProofDocument& document) {
  std::string text;
  if (document.kind == ProofDocument::Kind::kInclusion) {
    absl::StrAppend(&text, kInclusionFormat, "\n", "sequence ", document.inclusion.sequence, "\n",
                    "tree_size ", document.inclusion.tree_size, "\n", "event ",
                    absl::Base64Escape(document.event_bytes), "\n");
    for (const Hash& hash : document.inclusion.path)
      absl::StrAppend(&text, "path ", HashHex(hash), "\n");
  } else {
    absl::StrAppend(&text, kConsistencyFormat, "\n", "old_size ", document.consistency.old_size,
                    "\n", "new_size ", document.consistency.new_size, "\n");
    for (const Hash& hash : document.consistency.path) {
      absl::StrAppend(&text, "path ", HashHex(hash), "\n");
    }
  }
  for (const SignedCheckpoint& checkpoint : document.checkpoints)
    AppendCheckpoint(checkpoint, &text);
  return text;
}

absl::StatusOr<ProofDocument> DecodeProofDocument(absl::string_view text) {
  LineReader reader(text);
  ProofDocument document;
  size_t checkpoints = 0;
  if (reader.first() == kInclusionFormat) {
    document.kind = ProofDocument::Kind::kInclusion;
    absl::StatusOr<uint64_t> sequence = reader.Count("sequence");
    if (!sequence.ok()) return sequence.status();
    absl::StatusOr<uint64_t> tree_size = reader.Count("tree_size");
    if (!tree_size.ok()) return tree_size.status();
    absl::StatusOr<absl::string_view> event = reader.Value("event");
    if (!event.ok()) return event.status();
    if (!absl::Base64Unescape(*event, &document.event_bytes))
      return reader.Bad("event: not base64");
    absl::StatusOr<std::vector<Hash>> path = reader.Path();
    if (!path.ok()) return path.status();
    document.inclusion = InclusionProof{*sequence, *tree_size, std::move(*path)};
    checkpoints = 1;
  } else if (reader.first() == kConsistencyFormat) {
    document.kind = ProofDocument::Kind::kConsistency;
    absl::StatusOr<uint64_t> old_size = reader.Count("old_size");
    if (!old_size.ok()) return old_size.status();
    absl::StatusOr<uint64_t> new_size = reader.Count("new_size");
    if (!new_size.ok()) return new_size.status();
    absl::StatusOr<std::vector<Hash>> path = reader.Path();
    if (!path.ok()) return path.status();
    document.consistency = ConsistencyProof{*old_size, *new_size, std::move(*path)};
    checkpoints = 2;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("proof, line 1: \"", reader.first(),
                                                   "\" is neither \"", kInclusionFormat,
                                                   "\" nor \"", kConsistencyFormat, "\""));
  }
  for (size_t i = 0; i < checkpoints; ++i) {
    absl::StatusOr<SignedCheckpoint> checkpoint = reader.Checkpoint();
    if (!checkpoint.ok()) return checkpoint.status();
    document.checkpoints.push_back(std::move(*checkpoint));
  }
  if (!reader.done()) return reader.Bad("unexpected line after the last checkpoint");
  if (EncodeProofDocument(document) != text) {
    return absl::InvalidArgumentError(
        "proof: not in canonical form (one line each, decimal counts, lower-case hex, padded "
        "base64, a newline after the last line)");
  }
  return document;
}

absl::Status CheckProofDocument(const ProofDocument& document, const PublicKey& trusted_key) {
  const size_t expected = document.kind == ProofDocument::Kind::kInclusion ? 1 : 2;
  if (document.checkpoints.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("proof: ", document.checkpoints.size(), " checkpoints, not ", expected));
  }
  for (const SignedCheckpoint& checkpoint : document.checkpoints) {
    absl::Status signed_ok = CheckSigned(checkpoint, trusted_key);
    if (!signed_ok.ok()) return signed_ok;
  }
  if (document.kind == ProofDocument::Kind::kInclusion) {
    const Checkpoint& checkpoint = document.checkpoints[0].checkpoint;
    if (document.inclusion.tree_size != checkpoint.sequence) {
      return absl::DataLossError(absl::StrCat("proof: tree size ", document.inclusion.tree_size,
                                              " is not checkpoint ", document.checkpoints[0].number,
                                              "'s sequence ", checkpoint.sequence));
    }
    absl::Status verified = VerifyInclusion(
        document.inclusion, MerkleLeafHash(document.event_bytes), checkpoint.merkle_root);
    if (!verified.ok()) {
      // A proof of the wrong shape (a sequence 0 or past the tree) is a
      // proof that does not hold, as one whose path leads elsewhere.
      return absl::DataLossError(absl::StrCat("sequence ", document.inclusion.sequence,
                                              " in checkpoint ", document.checkpoints[0].number,
                                              ": ", verified.message()));
    }
    return absl::OkStatus();
  }
  const Checkpoint& old_checkpoint = document.checkpoints[0].checkpoint;
  const Checkpoint& new_checkpoint = document.checkpoints[1].checkpoint;
  if (document.consistency.old_size != old_checkpoint.sequence ||
      document.consistency.new_size != new_checkpoint.sequence) {
    return absl::DataLossError(
        absl::StrCat("proof: sizes ", document.consistency.old_size, " and ",
                     document.consistency.new_size, " are not the checkpoints' sequences ",
                     old_checkpoint.sequence, " and ", new_checkpoint.sequence));
  }
  absl::Status verified = VerifyConsistency(document.consistency, old_checkpoint.merkle_root,
                                            new_checkpoint.merkle_root);
  if (!verified.ok()) {
    return absl::DataLossError(absl::StrCat("checkpoint ", document.checkpoints[1].number,
                                            " as an extension of checkpoint ",
                                            document.checkpoints[0].number, ": ",
                                            verified.message()));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::audit
