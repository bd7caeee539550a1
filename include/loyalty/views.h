// What the engine's queries return: plain values, copied out of the
// projections, safe to keep and to pass between threads.
#ifndef LOYALTY_VIEWS_H_
#define LOYALTY_VIEWS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "loyalty/ledger.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/points.pb.h"

namespace loyalty {

// Which state a query reads.
class AsOf {
 public:
  // Everything appended so far, with time-driven effects (expiry, tier
  // re-evaluation) up to the engine clock's now.
  static AsOf Now() { return AsOf(Kind::kNow, 0); }
  // The events with sequence <= `sequence`, evaluated at the business time
  // of the last of them.
  static AsOf Sequence(uint64_t sequence) { return AsOf(Kind::kSequence, sequence); }
  // The events recorded (ledger time) at or before `instant_us`, evaluated
  // at `instant_us`.
  static AsOf Time(int64_t instant_us) {
    return AsOf(Kind::kTime, static_cast<uint64_t>(instant_us));
  }

  enum class Kind { kNow, kSequence, kTime };
  Kind kind() const { return kind_; }
  uint64_t sequence() const { return value_; }
  int64_t instant_us() const { return static_cast<int64_t>(value_); }

 private:
  AsOf(Kind kind, uint64_t value) : kind_(kind), value_(value) {}
  Kind kind_;
  uint64_t value_;
};

// A lot of points granted together and expiring together.
struct LotView {
  int64_t points_remaining = 0;
  int64_t granted_at_us = 0;
  int64_t expires_at_us = 0;
  v1::GrantReason reason = v1::GRANT_REASON_UNSPECIFIED;
  std::string source_id;  // purchase, complaint or campaign id; birthday year
};

struct TierChangeView {
  int64_t at_us = 0;
  v1::Tier from = v1::TIER_UNSPECIFIED;
  v1::Tier to = v1::TIER_UNSPECIFIED;
  std::string cause;  // "upgrade" or "reevaluation"
  int64_t qualifying_spend_fen = 0;
};

struct MemberView {
  std::string member_id;
  bool erased = false;
  int64_t enrolled_at_us = 0;
  // Points the member can redeem now; never negative.
  int64_t available_points = 0;
  // Points the member owes (clawbacks the balance could not cover).
  int64_t debt_points = 0;
  int64_t earned_points_total = 0;
  int64_t redeemed_points_total = 0;
  int64_t expired_points_total = 0;
  int64_t clawed_back_points_total = 0;
  std::vector<LotView> lots;  // soonest-expiring first
  v1::Tier tier = v1::TIER_REGULAR;
  int64_t tier_protected_until_us = 0;
  int64_t qualifying_spend_fen = 0;
  std::vector<TierChangeView> tier_history;
  // The last event of the member applied, and the business time evaluated at.
  uint64_t as_of_sequence = 0;
  int64_t as_of_us = 0;
};

struct TierCounts {
  int64_t regular = 0;
  int64_t silver = 0;
  int64_t gold = 0;
  int64_t platinum = 0;
};

struct LiabilityView {
  // Points held in unexpired lots, summed over members: what the mall owes.
  int64_t outstanding_points = 0;
  // Points members owe, summed over members (not netted against the above).
  int64_t debt_points = 0;
  int64_t members = 0;
  // Outstanding points by the local month (Asia/Shanghai) their lots expire
  // in, "YYYY-MM", soonest first; months with nothing to expire are absent.
  std::vector<std::pair<std::string, int64_t>> expiring_by_month;
};

struct PartnerScorecard {
  std::string partner_id;
  int64_t gross_sales_fen = 0;
  int64_t refunded_fen = 0;
  int64_t net_sales_fen = 0;
  int64_t purchase_count = 0;
  int64_t refund_count = 0;
  int64_t refund_rate_bp = 0;  // refunded_fen * 10000 / gross_sales_fen
  int64_t points_issued = 0;   // granted on its sales
};

// One projection's canonical digest: SHA-256 of its canonical state.
struct ProjectionDigest {
  std::string name;
  Hash digest{};
};

// A whole-program report at one point of the log.
struct ProgramView {
  uint64_t as_of_sequence = 0;
  int64_t as_of_us = 0;
  TierCounts tiers;
  LiabilityView liability;
  std::vector<PartnerScorecard> partners;  // by partner id
  std::vector<ProjectionDigest> digests;   // by projection name
};

}  // namespace loyalty

#endif  // LOYALTY_VIEWS_H_
