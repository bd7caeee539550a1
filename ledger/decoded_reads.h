// The reads every backend builds the same way from ScanRaw and Head: events
// decoded and checked as they are read.
#ifndef LOYALTY_LEDGER_DECODED_READS_H_
#define LOYALTY_LEDGER_DECODED_READS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/ledger.h"

namespace loyalty::internal {

// Ledger::Scan over `ledger`'s ScanRaw: each event decoded, naming its own
// sequence and continuing the chain of the one before it (DataLoss if not).
absl::Status ScanDecoded(const Ledger& ledger, uint64_t from, uint64_t to,
                         absl::FunctionRef<absl::Status(const v1::Envelope&)> visit);

// Ledger::Read over `ledger`'s Scan and Head.
absl::StatusOr<std::vector<v1::Envelope>> ReadDecoded(const Ledger& ledger, uint64_t from,
                                                      size_t max_events);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_DECODED_READS_H_
