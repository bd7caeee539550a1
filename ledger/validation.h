// Checks an envelope at the ledger's door, before anything is written.
#ifndef LOYALTY_LEDGER_VALIDATION_H_
#define LOYALTY_LEDGER_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::internal {

// The schema version this build writes.
inline constexpr uint32_t kCurrentSchemaVersion = 1;

// InvalidArgument naming the event's `index` in its batch, the field and the
// value, when `envelope` is not a well-formed new event: see Ledger::Append.
// Schema rules (see schemas/loyalty/v1/common.proto): fields with the option
// `(loyalty.v1.non_negative)` (schemas/loyalty/v1/options.proto) are never
// negative; `*_id` fields are at most kMaxIdBytes long. Unknown fields (from
// a newer schema) are refused.
absl::Status ValidateNewEnvelope(const v1::Envelope& envelope, size_t index);

// InvalidArgument naming the event's `index` and the field when `envelope`
// carries personal data in the clear (`member_enrolled.personal.plain`,
// `member_profile_updated.personal.plain`): the log cannot be rewritten, so
// personal data stored plain could never be erased (docs/privacy.md). The
// engine seals it before it appends. Checked by Ledger::Append after
// ValidateNewEnvelope; the engine checks the shape of a raw batch with
// ValidateNewEnvelope alone, before it seals.
absl::Status CheckNoPlainPersonal(const v1::Envelope& envelope, size_t index);

}  // namespace loyalty::internal

#endif  // LOYALTY_LEDGER_VALIDATION_H_
