// The canonical bytes of an envelope are the deterministic serialization of
// the whole envelope, and the ledger builds them as header || caller fields.
// These tests pin that the two are the same bytes.
#include "ledger/envelope_header.h"

#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "testing/events.h"

namespace loyalty::internal {
namespace {

std::string DeterministicBytes(const v1::Envelope& envelope) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream output(&stream);
    output.SetSerializationDeterministic(true);
    EXPECT_TRUE(envelope.SerializeToCodedStream(&output));
  }
  return bytes;
}

// A string of `size` random bytes, NULs and high bytes included, for bytes
// fields.
std::string RandomBytes(std::mt19937_64& random, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random() & 0xff);
  return out;
}

// Random text of about `size` bytes for string fields, which proto3 requires
// to be UTF-8: ASCII (NUL included) and two- and three-byte characters.
std::string RandomText(std::mt19937_64& random, size_t size) {
  static const char* const kPieces[] = {"a", "Z", "7", "-", "/", " ", "\xc3\xa9", "\xe5\x95\x86"};
  std::string out;
  while (out.size() < size) {
    if (random() % 16 == 0) {
      out.push_back('\0');
    } else {
      out += kPieces[random() % 8];
    }
  }
  return out;
}

// An envelope with a random event of several types and random caller fields.
v1::Envelope RandomEnvelope(std::mt19937_64& random, int index) {
  v1::Envelope envelope;
  switch (index % 6) {
    case 0:
      envelope = testing::Purchase(absl::StrCat("M", random() % 1000), absl::StrCat("P", index),
                                   static_cast<int64_t>(random() % 10000000));
      break;
    case 1: {
      auto* grant = envelope.mutable_event()->mutable_points_granted();
      grant->set_member_id(RandomText(random, random() % 70));
      grant->set_points(static_cast<int64_t>(random()));
      grant->set_reason(v1::GRANT_REASON_BIRTHDAY);
      grant->set_birthday_year(-static_cast<int32_t>(random() % 3000));  // 10-byte varint
      break;
    }
    case 2: {
      auto* days = envelope.mutable_event()->mutable_calendar_days_declared();
      days->set_source("cn-official-2024");
      for (int i = 0, n = static_cast<int>(random() % 40); i < n; ++i) {
        auto* day = days->add_days();
        day->mutable_date()->set_year(2024);
        day->mutable_date()->set_month(1 + static_cast<int>(random() % 12));
        day->set_kind(v1::DAY_KIND_HOLIDAY);
        day->set_name(RandomText(random, random() % 300));  // multi-byte lengths
      }
      break;
    }
    case 3: {
      auto* enrolled = envelope.mutable_event()->mutable_member_enrolled();
      enrolled->set_member_id("M1");
      if (random() % 2 == 0) {
        enrolled->mutable_personal()->mutable_plain()->set_name(RandomText(random, 20));
      } else {
        enrolled->mutable_personal()->mutable_sealed()->set_ciphertext(RandomBytes(random, 40));
      }
      enrolled->mutable_consent()->set_sms(true);
      break;
    }
    case 4:
      envelope.mutable_event()->mutable_policy_set()->mutable_tiers()->set_window_days(365);
      break;
    case 5:
      envelope.mutable_event();  // an empty event: no type set
      break;
  }
  // Caller fields: any of them may be missing (zero), long or odd.
  if (random() % 8 != 0) envelope.set_stream_id(RandomText(random, random() % 200));
  if (random() % 8 != 0) envelope.set_idempotency_key(RandomText(random, random() % 200));
  if (random() % 8 != 0) envelope.set_occurred_at_us(static_cast<int64_t>(random()));
  if (random() % 8 != 0) envelope.set_actor_id(RandomText(random, random() % 70));
  if (random() % 8 == 0) envelope.clear_event();
  return envelope;
}

TEST(LedgerEnvelopeBytesTest, HeaderThenCallerFieldsIsTheDeterministicSerialization) {
  std::mt19937_64 random(20261125);
  std::set<size_t> header_sizes;
  for (int i = 0; i < 3000; ++i) {
    v1::Envelope caller = RandomEnvelope(random, i);
    const uint32_t schema_version = static_cast<uint32_t>(random() % 3);  // 0 is left out
    const std::string hash = RandomBytes(random, i % 17 == 0 ? 0 : 32);
    EnvelopeHeader header;
    // Small and large values: varints of 1 to 10 bytes, and zero (omitted).
    header.sequence = i % 13 == 0 ? 0 : random() >> (random() % 64);
    header.stream_version = i % 11 == 0 ? 0 : random() >> (random() % 64);
    header.recorded_at_us = i % 7 == 0 ? 0 : static_cast<int64_t>(random() >> (random() % 64));
    if (i % 5 == 0) header.recorded_at_us = -header.recorded_at_us;
    header.previous_hash = hash;

    v1::Envelope full = caller;
    full.set_schema_version(schema_version);
    full.set_sequence(header.sequence);
    full.set_stream_version(header.stream_version);
    full.set_recorded_at_us(header.recorded_at_us);
    full.set_previous_hash(hash);

    const EncodedHeader encoded = EncodeEnvelopeHeader(header);
    ASSERT_LE(encoded.bytes().size(), kMaxEnvelopeHeaderBytes);
    header_sizes.insert(encoded.bytes().size());
    std::string built(encoded.bytes());
    SerializeCallerFields(caller, schema_version, &built);  // appends
    ASSERT_EQ(built, DeterministicBytes(full)) << "envelope " << i;

    // The header reads back from the whole bytes.
    EnvelopeHeader read;
    ASSERT_TRUE(ReadEnvelopeHeader(built, &read));
    EXPECT_EQ(read.sequence, header.sequence);
    EXPECT_EQ(read.stream_version, header.stream_version);
    EXPECT_EQ(read.recorded_at_us, header.recorded_at_us);
    EXPECT_EQ(read.previous_hash, header.previous_hash);
  }
  EXPECT_GT(header_sizes.size(), 20u);  // the sizes really varied
}

TEST(LedgerEnvelopeBytesTest, CallerFieldsIgnoreTheAssignedFieldsAndKeepTheirOwnSchemaVersion) {
  v1::Envelope envelope = testing::Purchase("M1", "P1", 100);
  envelope.set_schema_version(1);
  std::string plain;
  SerializeCallerFields(envelope, 1, &plain);
  EXPECT_EQ(plain, DeterministicBytes(envelope));
  envelope.set_sequence(7);
  envelope.set_previous_hash(std::string(32, 'h'));
  std::string with_assigned;
  SerializeCallerFields(envelope, 1, &with_assigned);
  EXPECT_EQ(with_assigned, plain);
}

// A new field in Envelope must be placed by envelope_header.cc: a ledger
// field numbered below the caller's, a caller field written by
// SerializeCallerFields. This fails until it is.
TEST(LedgerEnvelopeBytesTest, EnvelopeHasExactlyTheFieldsTheCodecWrites) {
  const google::protobuf::Descriptor* descriptor = v1::Envelope::descriptor();
  const char* const expected[] = {"sequence",       "stream_version", "recorded_at_us",
                                  "previous_hash",  "stream_id",      "idempotency_key",
                                  "occurred_at_us", "actor_id",       "schema_version",
                                  "event"};
  ASSERT_EQ(descriptor->field_count(), 10);
  for (int number = 1; number <= 10; ++number) {
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByNumber(number);
    ASSERT_NE(field, nullptr) << number;
    EXPECT_EQ(field->name(), expected[number - 1]);
  }
}

TEST(LedgerEnvelopeBytesTest, MalformedBytesAreRefused) {
  EnvelopeHeader header;
  EXPECT_FALSE(ReadEnvelopeHeader(std::string("\x22\x20short", 7), &header));  // hash too short
  EXPECT_FALSE(ReadEnvelopeHeader(std::string("\x08", 1), &header));          // varint cut off
  EXPECT_TRUE(ReadEnvelopeHeader("", &header));
}

}  // namespace
}  // namespace loyalty::internal
