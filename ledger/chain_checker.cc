#include "ledger/chain_checker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/hash.h"
#include "util/sha256.h"

namespace loyalty::internal {

absl::Status ChainChecker::Check(uint64_t sequence, absl::string_view canonical_bytes,
                                 const Hash& stored_hash) {
  EnvelopeHeaderAndKeys header;
  if (!ReadEnvelopeHeader(canonical_bytes, &header)) {
    return absl::DataLossError(
        absl::StrCat("sequence ", sequence, ": stored bytes are not a valid envelope"));
  }
  if (header.sequence != sequence) {
    return absl::DataLossError(absl::StrCat("sequence ", sequence,
                                            ": holds the event recorded as sequence ",
                                            header.sequence));
  }
  if (header.previous_hash != util::DigestBytes(previous_)) {
    return absl::DataLossError(absl::StrCat(
        "sequence ", sequence, ": previous_hash does not match the hash of sequence ",
        sequence - 1));
  }
  if (header.recorded_at_us < previous_recorded_at_us_) {
    return absl::DataLossError(
        absl::StrCat("sequence ", sequence, ": recorded_at_us goes back in time"));
  }
  const Hash hash = ChainHash(previous_, canonical_bytes);
  if (hash != stored_hash) {
    return absl::DataLossError(
        absl::StrCat("sequence ", sequence, ": its bytes do not match its chain hash"));
  }
  previous_ = hash;
  previous_recorded_at_us_ = header.recorded_at_us;
  if (on_event_ != nullptr) return on_event_(sequence, canonical_bytes, header);
  return absl::OkStatus();
}

absl::StatusOr<VerifyRange> StartVerify(const Ledger& ledger, uint64_t from, uint64_t to) {
  VerifyRange range;
  range.head = ledger.Head();
  range.from = std::max<uint64_t>(from, 1);
  range.to = std::min(to, range.head.sequence);
  if (range.empty()) return range;
  absl::StatusOr<Hash> start = ledger.HashAt(range.from - 1);
  if (!start.ok()) return start.status();
  range.start = *start;
  return range;
}

}  // namespace loyalty::internal
