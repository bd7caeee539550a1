// Every limit that the ledger and the engine check at the door. Input past
// a limit is refused with InvalidArgument naming the field, its value and
// the limit, and changes nothing.
#ifndef LOYALTY_LIMITS_H_
#define LOYALTY_LIMITS_H_

#include <cstddef>
#include <cstdint>

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

// ---------------------------------------------------------------------------
// Domain limits, checked by the engine's commands, by Engine::Append and by
// the policy rules. They keep every sum and product of the rules far from
// int64 overflow (products are computed in 128 bits regardless). An event
// already in the log past one (from an older build or a raw Ledger::Append)
// is handled as docs/reliability.md, "Events that break a rule", says.

// One purchase or refund (amount_fen): 10 billion CNY.
inline constexpr int64_t kMaxAmountFen = 1'000'000'000'000;
// One grant, redemption or debit (points): 10^12 points.
inline constexpr int64_t kMaxPointsPerEvent = 1'000'000'000'000;
// A member's lifetime total of points granted, and of points debited
// (clawbacks and adjustments): with every per-event limit above, no sum of
// one member's points can then overflow int64 (whose limit is about 9.2e18).
inline constexpr int64_t kMaxPointsTotal = 1'000'000'000'000'000'000;
// An earning multiplier (EarningPolicy.*_multiplier_bp): 100x.
inline constexpr int64_t kMaxMultiplierBp = 1'000'000;
// A tier threshold (TierPolicy.*_threshold_fen): 10 billion CNY.
inline constexpr int64_t kMaxThresholdFen = 1'000'000'000'000;
// A policy's count of days (tier window and protection, SLA working days,
// retention): 100 years.
inline constexpr int64_t kMaxPolicyDays = 36'600;
// ExpiryPolicy.years_after_grant_year.
inline constexpr int64_t kMaxYearsAfterGrantYear = 100;
// BusinessTimePolicy.future_tolerance_seconds: a year. Input dated further
// ahead is a mistake, whatever the policy says.
inline constexpr int64_t kMaxFutureToleranceSeconds = 366LL * 86'400;
// The length of a free-text reason or note (an adjustment's note, an
// erasure's reason), in bytes.
inline constexpr int64_t kMaxNoteBytes = 1024;

// A satisfaction score (CustomerConfirmed.satisfaction_score,
// SurveyAnswered.score) is 1 to 5, the scale of the mall's surveys. A
// confirmation may give none: kNoSatisfactionScore; a survey must give one.
inline constexpr int32_t kMinSatisfactionScore = 1;
inline constexpr int32_t kMaxSatisfactionScore = 5;
inline constexpr int32_t kNoSatisfactionScore = 0;

// Cycles of one complaint: the first and up to 99 reopenings. A complaint
// reopened that often is a case for people, not for more clocks.
inline constexpr int64_t kMaxComplaintCycles = 100;

// A calendar declaration (DeclareCalendarDays, a calendar file): the years a
// declared day or a covered year may be in; the SLA clocks need no others.
inline constexpr int64_t kMinCalendarYear = 1970;
inline constexpr int64_t kMaxCalendarYear = 2999;
// Days one declaration (one file, one event) may declare: well under
// kMaxEventBytes even with the longest names.
inline constexpr int64_t kMaxDeclaredDaysPerDeclaration = 1000;
// A declaration's source, e.g. "cn-official-2024" or "mall": 1..64 bytes of
// letters, digits, '.', '_' and '-' (it becomes part of an idempotency key).
inline constexpr int64_t kMaxCalendarSourceBytes = 64;
// A declared day's name, e.g. "Spring Festival"; may be empty.
inline constexpr int64_t kMaxCalendarDayNameBytes = 128;
// A calendar file (ParseCalendarFile, docs/calendar.md): 1 MiB, far more
// than a year's schedule needs.
inline constexpr int64_t kMaxCalendarFileBytes = 1 << 20;

}  // namespace loyalty

#endif  // LOYALTY_LIMITS_H_
