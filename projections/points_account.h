// loyalty::projections::MemberAccount — one member's points: lots, debt,
// lifetime totals, purchases and the ids that make grants happen once.
//
// Pure data and rules, no events: BalanceProjection decides when to call
// what. Invariants, kept by every method:
// - every lot has points_remaining > 0; `lots` is in consumption order:
//   soonest expires_at_us first, then oldest granted_at_us, then lot_number;
// - debt_points >= 0, and a member with debt has no lots (grants repay debt
//   before they make a lot);
// - granted - redeemed - expired - clawed_back - debited == balance_points();
// - no lot has expires_at_us < now_us (what expired before the member's now
//   is gone).
#ifndef LOYALTY_PROJECTIONS_POINTS_ACCOUNT_H_
#define LOYALTY_PROJECTIONS_POINTS_ACCOUNT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/btree_set.h"
#include "loyalty/v1/points.pb.h"

namespace loyalty::projections {

// Points granted together, expiring together.
struct Lot {
  uint64_t lot_number = 0;  // per member: 1, 2, 3, ... in grant order
  int64_t points_remaining = 0;
  int64_t granted_at_us = 0;  // the grant's occurred-at
  int64_t expires_at_us = 0;  // last microsecond the points can be used
  v1::GrantReason reason = v1::GRANT_REASON_UNSPECIFIED;
  // The purchase, complaint or campaign id; the year of a birthday bonus;
  // empty for an adjustment (its event names operator and note).
  std::string source_id;
  uint64_t grant_sequence = 0;  // the PointsGranted event
};

// A purchase of the member, with what it earned and what was refunded.
struct PurchaseRecord {
  std::string partner_id;
  int64_t occurred_at_us = 0;
  int64_t amount_fen = 0;
  int64_t points_earned = 0;       // P, from the PURCHASE grant
  int64_t refunded_fen = 0;        // R, all refunds so far
  int64_t clawed_back_points = 0;  // all CLAWBACK debits so far
  uint64_t lot_number = 0;         // its own lot; 0 if the grant made none
  absl::btree_set<std::string> refund_ids;

  // What may still be refunded.
  int64_t refundable_fen() const { return amount_fen - refunded_fen; }
};

// The birthday bonus of one year, as granted.
struct BirthdayGrantRecord {
  uint64_t sequence = 0;  // the grant's event
  int64_t granted_at_us = 0;
};

struct MemberAccount {
  int64_t enrolled_at_us = 0;
  bool erased = false;
  std::vector<Lot> lots;
  int64_t debt_points = 0;
  int64_t granted_points_total = 0;  // every grant, whatever its reason
  int64_t redeemed_points_total = 0;
  int64_t expired_points_total = 0;
  int64_t clawed_back_points_total = 0;  // CLAWBACK debits
  int64_t debited_points_total = 0;      // ADJUSTMENT debits
  // Hashed: canonical serialization sorts them by id.
  absl::flat_hash_map<std::string, PurchaseRecord> purchases;
  absl::btree_map<int32_t, BirthdayGrantRecord> birthday_grants;  // by year
  absl::btree_set<std::string> redemption_ids;
  // The latest occurred-at of a purchase or redemption (events of the
  // member's own stream); 0 if none. Complaints and surveys live on other
  // streams and are not counted here (balances.h).
  int64_t last_activity_at_us = 0;
  uint64_t next_lot_number = 1;
  // The member's own business time: the latest occurred-at of the events of
  // its own stream and of the instants AdvanceTo moved it to. Lots are
  // expired up to here; the events of other members never move it.
  int64_t now_us = 0;

  // The points in lots.
  int64_t lot_points() const;
  // lot_points() - debt_points: negative when the member owes points.
  int64_t balance_points() const { return lot_points() - debt_points; }
  // The balance as it will be at `instant_us`: lots that expire before it
  // are left out.
  int64_t BalancePointsAt(int64_t instant_us) const;
  // The points in lots that expire at or after `instant_us`.
  int64_t LotPointsAt(int64_t instant_us) const;

  // Grants `lot.points_remaining` points: they repay debt first, and what is
  // left becomes a lot with the next lot number. Returns that number, or 0
  // when the debt took everything. Requires points_remaining > 0.
  uint64_t Grant(Lot lot);

  // Redeems `points`, soonest-expiring lots first. Requires
  // 0 < points <= balance_points().
  void Redeem(int64_t points);

  // Takes `points` away: from lot `first_lot_number` first when it is
  // still there (0: none), then soonest-expiring first; what the lots cannot
  // cover becomes debt. `clawback` says which lifetime total it counts in.
  void Debit(int64_t points, uint64_t first_lot_number, bool clawback);

  // Expires every lot with expires_at_us < instant_us; returns the points.
  int64_t ExpireBefore(int64_t instant_us);

  // Moves now_us forward to `instant_us`, expiring every lot with
  // expires_at_us < instant_us on the way. An instant at or before now_us
  // does nothing.
  void AdvanceTo(int64_t instant_us);

  // The soonest expires_at_us of the lots; 0 when there is none.
  int64_t next_expiry_us() const { return lots.empty() ? 0 : lots.front().expires_at_us; }

 private:
  // Aborts when the lots or the debt break the account's rules (debt only
  // without lots; LOYALTY_ALL_CHECKS builds: lots hold points, are numbered
  // and in consumption order).
  void CheckInvariants() const;
  // Takes up to `points` from lots; returns what they could not cover.
  int64_t TakeFromLots(int64_t points, uint64_t first_lot_number);
  // Takes up to `points` from lots[index]; returns what it took.
  int64_t TakeFromLot(size_t index, int64_t points);
};

// True when `a` is consumed before `b`.
bool ConsumedBefore(const Lot& a, const Lot& b);

}  // namespace loyalty::projections

#endif  // LOYALTY_PROJECTIONS_POINTS_ACCOUNT_H_
