#include "ledger/prepared_batch.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/hash.h"
#include "ledger/validation.h"
#include "util/sha256.h"

namespace loyalty::internal {

absl::Status PrepareBatch(const AppendBatch& batch, bool allow_plain_personal,
                          PreparedBatch* prepared) {
  if (batch.empty()) return absl::InvalidArgumentError("batch: holds no events");
  if (batch.size() > kMaxBatchEvents) {
    return absl::InvalidArgumentError(absl::StrCat("batch: holds ", batch.size(),
                                                   " events, more than the limit of ",
                                                   kMaxBatchEvents));
  }
  prepared->events.resize(batch.size());
  // Small batches, the common case under many concurrent callers, compare
  // their keys pairwise rather than fill a set.
  constexpr size_t kSmallBatch = 8;
  absl::flat_hash_set<absl::string_view> keys;
  if (batch.size() > kSmallBatch) keys.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const v1::Envelope& envelope = batch.events()[i];
    absl::Status valid = ValidateNewEnvelope(envelope, i);
    if (valid.ok() && !allow_plain_personal) valid = CheckNoPlainPersonal(envelope, i);
    if (!valid.ok()) return valid;
    bool repeated = false;
    if (batch.size() > kSmallBatch) {
      repeated = !keys.insert(envelope.idempotency_key()).second;
    } else {
      for (size_t j = 0; j < i && !repeated; ++j) {
        repeated = batch.events()[j].idempotency_key() == envelope.idempotency_key();
      }
    }
    if (repeated) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", i, ": idempotency_key: \"", envelope.idempotency_key(),
                       "\" is used by an earlier event of the same batch"));
    }
    PreparedEvent& event = prepared->events[i];
    event.envelope = &envelope;
    event.caller_offset = prepared->caller_bytes.size();
    SerializeCallerFields(envelope,
                          envelope.schema_version() == 0 ? kCurrentSchemaVersion
                                                         : envelope.schema_version(),
                          &prepared->caller_bytes);
    event.caller_size = prepared->caller_bytes.size() - event.caller_offset;
  }
  for (PreparedEvent& event : prepared->events) {
    event.content_digest = util::Sha256(prepared->CallerBytes(event));
  }
  for (const auto& [stream_id, version] : batch.expected_versions()) {
    if (stream_id.empty() || stream_id.size() > kMaxStreamIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected version: stream_id \"", stream_id, "\" is empty or longer than ",
          kMaxStreamIdBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PlacedEvent> PlaceEvent(const PreparedBatch& batch, size_t index,
                                       uint64_t sequence, int64_t recorded_at_us,
                                       const Hash& previous) {
  const PreparedEvent& event = batch.events[index];
  PlacedEvent placed;
  placed.header = EncodeEnvelopeHeader(
      {sequence, event.stream_version, recorded_at_us, util::DigestBytes(previous)});
  const absl::string_view caller_bytes = batch.CallerBytes(event);
  const size_t size = placed.header.bytes().size() + caller_bytes.size();
  if (size > kMaxEventBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event ", index, ": is ", size, " bytes long, more than the limit of ", kMaxEventBytes));
  }
  placed.hash = ChainHash(previous, placed.header.bytes(), caller_bytes);
  return placed;
}

}  // namespace loyalty::internal
