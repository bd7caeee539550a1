// Builders of envelopes for tests: short to write, valid unless told not to be.
#ifndef LOYALTY_TESTING_EVENTS_H_
#define LOYALTY_TESTING_EVENTS_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "loyalty/v1/envelope.pb.h"

namespace loyalty::testing {

// 2024-01-01T00:00:00Z in microseconds.
inline constexpr int64_t kJan2024Us = 1704067200LL * 1000000;

// An envelope as a writer hands it to the ledger (no sequence, no schema
// version), with no event set yet.
inline v1::Envelope EnvelopeOn(const std::string& stream_id, const std::string& idempotency_key,
                               int64_t occurred_at_us, const std::string& actor_id) {
  v1::Envelope envelope;
  envelope.set_stream_id(stream_id);
  envelope.set_idempotency_key(idempotency_key);
  envelope.set_occurred_at_us(occurred_at_us);
  envelope.set_actor_id(actor_id);
  return envelope;
}

// A purchase on stream "member-<member_id>" keyed by "purchase/<purchase_id>".
inline v1::Envelope Purchase(const std::string& member_id, const std::string& purchase_id,
                             int64_t amount_fen, int64_t occurred_at_us = kJan2024Us) {
  v1::Envelope envelope = EnvelopeOn(absl::StrCat("member-", member_id),
                                     absl::StrCat("purchase/", purchase_id), occurred_at_us,
                                     "test");
  auto* purchase = envelope.mutable_event()->mutable_purchase_recorded();
  purchase->set_purchase_id(purchase_id);
  purchase->set_member_id(member_id);
  purchase->set_partner_id("store-1");
  purchase->set_amount_fen(amount_fen);
  purchase->set_category("apparel");
  return envelope;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTING_EVENTS_H_
