#include "ledger/decoded_reads.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/event_decode.h"
#include "util/sha256.h"

namespace loyalty::internal {

absl::Status ScanDecoded(const Ledger& ledger, uint64_t from, uint64_t to,
                         absl::FunctionRef<absl::Status(const v1::Envelope&)> visit) {
  v1::Envelope envelope;
  // The pair of the group commit's checks: what was written gap-free and
  // chained must read back so. ScanRaw checks the sequences; here each
  // decoded event must name its own sequence and continue the chain of the
  // one before it. The log is input here, so a break is DataLoss.
  Hash previous{};
  bool have_previous = false;
  return ledger.ScanRaw(from, to, [&](const RawEvent& raw) -> absl::Status {
    absl::Status decoded = DecodeEvent(raw.sequence, raw.canonical_bytes, &envelope);
    if (!decoded.ok()) return decoded;
    if (envelope.sequence() != raw.sequence) {
      return absl::DataLossError(absl::StrCat("sequence ", raw.sequence, ": the event says it is ",
                                              envelope.sequence()));
    }
    if (have_previous && envelope.previous_hash() != util::DigestBytes(previous)) {
      return absl::DataLossError(absl::StrCat("sequence ", raw.sequence,
                                              ": previous_hash does not continue the chain"));
    }
    previous = raw.hash;
    have_previous = true;
    return visit(envelope);
  });
}

absl::StatusOr<std::vector<v1::Envelope>> ReadDecoded(const Ledger& ledger, uint64_t from,
                                                      size_t max_events) {
  std::vector<v1::Envelope> out;
  if (max_events == 0) return out;
  if (from == 0) from = 1;
  const uint64_t head = ledger.Head().sequence;
  if (from > head) return out;
  const uint64_t to = std::min<uint64_t>(head, from + max_events - 1);
  out.reserve(to - from + 1);
  absl::Status status = ledger.Scan(from, to, [&](const v1::Envelope& envelope) {
    out.push_back(envelope);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace loyalty::internal
