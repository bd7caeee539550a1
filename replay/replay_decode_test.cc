#include "replay/replay_decode.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "ledger/event_decode.h"
#include "testing/events.h"

namespace loyalty::internal {
namespace {

// The tests' usual purchase, as the ledger stores it: with the fields it
// assigns (the chain hash among them) and the caller's `idempotency_key`.
v1::Envelope StoredPurchase(const std::string& idempotency_key) {
  v1::Envelope envelope = ::loyalty::testing::Purchase("M000001", "P0000001", 12345);
  envelope.set_sequence(41);
  envelope.set_stream_version(7);
  envelope.set_recorded_at_us(::loyalty::testing::kJan2024Us + 1000000);
  envelope.set_previous_hash(std::string(32, '\x9c'));
  envelope.set_idempotency_key(idempotency_key);
  envelope.set_schema_version(1);
  return envelope;
}

// What DecodeForProjections must give for `bytes`: DecodeEvent's verdict
// and, on success, its envelope less the two ledger fields.
void ExpectAsDecodeEventLessLedgerFields(const std::string& bytes) {
  // Protobuf logs every string that is not UTF-8; the verdict is what counts.
  google::protobuf::LogSilencer quiet;
  v1::Envelope full;
  const absl::Status full_status = DecodeEvent(9, bytes, &full);
  full.clear_previous_hash();
  full.clear_idempotency_key();
  std::string scratch;
  v1::Envelope envelope;
  const absl::Status status = DecodeForProjections(9, bytes, &scratch, &envelope);
  ASSERT_EQ(status, full_status);
  if (status.ok()) {
    ASSERT_EQ(envelope.SerializeAsString(), full.SerializeAsString());
  }
}

TEST(ReplayDecodeTest, LeavesOutTheHashAndTheKeyAndNothingElse) {
  const v1::Envelope original = StoredPurchase("purchase/P0000001/grant");
  std::string scratch;
  v1::Envelope envelope;
  ASSERT_TRUE(DecodeForProjections(41, original.SerializeAsString(), &scratch, &envelope).ok());
  EXPECT_EQ(envelope.previous_hash(), "");
  EXPECT_EQ(envelope.idempotency_key(), "");
  v1::Envelope expected = original;
  expected.clear_previous_hash();
  expected.clear_idempotency_key();
  EXPECT_EQ(envelope.SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(envelope.event().purchase_recorded().member_id(), "M000001");
}

TEST(ReplayDecodeTest, ReusesTheScratchAcrossEvents) {
  std::string scratch;
  for (const char* key : {"a-much-longer-key-than-the-next-one", "k", ""}) {
    v1::Envelope original = StoredPurchase(key);
    original.mutable_event()->mutable_purchase_recorded()->set_purchase_id(key);
    v1::Envelope envelope;
    ASSERT_TRUE(DecodeForProjections(1, original.SerializeAsString(), &scratch, &envelope).ok());
    EXPECT_EQ(envelope.event().purchase_recorded().purchase_id(), key);
    EXPECT_EQ(envelope.idempotency_key(), "");
  }
}

// A key that is not ASCII goes to the decoder, which checks its UTF-8: an
// invalid one fails as it does for DecodeEvent.
TEST(ReplayDecodeTest, AKeyThatIsNotAsciiIsJudgedByTheDecoder) {
  ExpectAsDecodeEventLessLedgerFields(StoredPurchase("caf\xc3\xa9").SerializeAsString());
  v1::Envelope invalid = StoredPurchase("");
  std::string bytes = invalid.SerializeAsString();
  // Field 6, length 2, bytes that are not UTF-8.
  bytes += std::string("\x32\x02\xff\xfe", 4);
  google::protobuf::LogSilencer quiet;
  v1::Envelope full;
  EXPECT_FALSE(DecodeEvent(9, bytes, &full).ok());
  ExpectAsDecodeEventLessLedgerFields(bytes);
  std::string scratch;
  EXPECT_EQ(DecodeForProjections(9, bytes, &scratch, &full), EventDoesNotDecode(9));
}

TEST(ReplayDecodeTest, TheLedgerFieldsInAnotherWireTypeAreJudgedByTheDecoder) {
  const std::string bytes = StoredPurchase("k").SerializeAsString();
  // Field 4 and field 6 as varints: unknown fields to the decoder.
  ExpectAsDecodeEventLessLedgerFields(bytes + std::string("\x20\x05\x30\x07", 4));
}

// Every single-byte change and every truncation of real envelopes: the
// verdict and the envelope are DecodeEvent's, less the ledger fields.
TEST(ReplayDecodeTest, CorruptedBytesGetDecodeEventsVerdict) {
  std::vector<std::string> originals = {StoredPurchase("purchase/P0000001").SerializeAsString(),
                                        StoredPurchase("").SerializeAsString()};
  v1::Envelope granted = StoredPurchase("purchase/P0000001/grant");
  v1::PointsGranted* grant = granted.mutable_event()->mutable_points_granted();
  grant->set_member_id("M000001");
  grant->set_points(123);
  grant->set_purchase_id("P0000001");
  originals.push_back(granted.SerializeAsString());
  std::mt19937 random(20261126);
  int refused = 0;
  for (const std::string& original : originals) {
    for (size_t cut = 0; cut < original.size(); ++cut) {
      ExpectAsDecodeEventLessLedgerFields(original.substr(0, cut));
    }
    for (size_t at = 0; at < original.size(); ++at) {
      for (int value : {0x00, 0x01, 0x02, 0x07, 0x0a, 0x22, 0x32, 0x7f, 0x80, 0xff,
                        static_cast<int>(random() & 0xff)}) {
        std::string bytes = original;
        bytes[at] = static_cast<char>(value);
        v1::Envelope full;
        google::protobuf::LogSilencer quiet;
        if (!DecodeEvent(9, bytes, &full).ok()) ++refused;
        ExpectAsDecodeEventLessLedgerFields(bytes);
      }
    }
  }
  // The changes reach both verdicts.
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace loyalty::internal
