// Every limit that the ledger checks at the door. Input past a limit is
// rejected with InvalidArgument naming the field, its value and the limit.
#ifndef LOYALTY_LIMITS_H_
#define LOYALTY_LIMITS_H_

#include <cstddef>

namespace loyalty {

// Stream ids such as "member-" followed by a 64-byte member id.
inline constexpr size_t kMaxStreamIdBytes = 128;
inline constexpr size_t kMaxIdempotencyKeyBytes = 160;
inline constexpr size_t kMaxActorIdBytes = 64;
// Domain ids (member, purchase, partner, complaint, ...).
inline constexpr size_t kMaxIdBytes = 64;
// One event's canonical bytes, envelope included.
inline constexpr size_t kMaxEventBytes = 256 * 1024;
// Events in one appended batch.
inline constexpr size_t kMaxBatchEvents = 10000;
// Events one group commit writes at most; the rest wait for the next write.
inline constexpr size_t kMaxGroupCommitEvents = 20000;

}  // namespace loyalty

#endif  // LOYALTY_LIMITS_H_
