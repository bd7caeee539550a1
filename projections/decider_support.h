// Checks and builders the deciders share. Internal to projections/.
#ifndef LOYALTY_PROJECTIONS_DECIDER_SUPPORT_H_
#define LOYALTY_PROJECTIONS_DECIDER_SUPPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/envelope.pb.h"
#include "projections/balances.h"

namespace loyalty::projections {

// InvalidArgument unless `value` is 1..kMaxIdBytes bytes without NUL.
absl::Status CheckCommandId(absl::string_view field, absl::string_view value);

// InvalidArgument unless occurred_at_us > 0 and actor_id is 1..kMaxActorIdBytes bytes.
absl::Status CheckOccurredAtAndActor(int64_t occurred_at_us, absl::string_view actor_id);

// InvalidArgument unless 1 <= value <= max.
absl::Status CheckPositive(absl::string_view field, int64_t value, int64_t max);

// InvalidArgument unless `value` is 1..kMaxNoteBytes bytes.
absl::Status CheckNote(absl::string_view field, absl::string_view value);

// InvalidArgument unless `value` is at most kMaxNoteBytes bytes (may be empty).
absl::Status CheckOptionalNote(absl::string_view field, absl::string_view value);

// The account of an enrolled member; NotFound otherwise.
absl::StatusOr<const MemberAccount*> FindEnrolled(const BalanceProjection& balances,
                                                  absl::string_view member_id);

// FailedPrecondition if the member is erased.
absl::Status CheckNotErased(absl::string_view member_id, const MemberAccount& account);

// An envelope with the fields a decider fills; the event is left empty.
v1::Envelope NewEnvelope(absl::string_view stream_id, std::string idempotency_key,
                         int64_t occurred_at_us, absl::string_view actor_id);

// Text safe for an error message: quoted, cut at 80 bytes, UTF-8 shown as
// it is and control characters escaped (text/quoted.h).
std::string Quoted(absl::string_view value);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_DECIDER_SUPPORT_H_
