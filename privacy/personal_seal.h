// Sealing a member's PersonalData into a SealedPersonalData and back, and
// wrapping member data keys with the master key. Pure functions over bytes.
#ifndef LOYALTY_PRIVACY_PERSONAL_SEAL_H_
#define LOYALTY_PRIVACY_PERSONAL_SEAL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/member.pb.h"

namespace loyalty::privacy {

// The only key version so far: AES-256-GCM, AAD from PersonalDataAad.
inline constexpr uint32_t kPersonalKeyVersion = 1;

// The associated data that binds sealed personal data to its place in the
// log: "loyalty.v1.PersonalData" 0x00 member_id 0x00 stream_id 0x00
// BE64(stream_version). A sealed value copied into another member's event,
// or to another position of the stream, no longer opens.
std::string PersonalDataAad(absl::string_view member_id, absl::string_view stream_id,
                            uint64_t stream_version);

// Seals `personal` (its deterministic serialization) with `data_key` under
// `nonce` (empty: a fresh random one).
absl::StatusOr<v1::SealedPersonalData> SealPersonalData(
    absl::string_view data_key, const v1::PersonalData& personal, absl::string_view aad,
    absl::string_view nonce = absl::string_view());

// Opens what SealPersonalData made. DataLoss when it does not authenticate
// (altered, another member's or position's, another key); InvalidArgument
// for an unknown key_version.
absl::StatusOr<v1::PersonalData> OpenPersonalData(absl::string_view data_key,
                                                  const v1::SealedPersonalData& sealed,
                                                  absl::string_view aad);

// A member data key wrapped by the master key: version byte 1, nonce (12),
// the key encrypted (32) and the tag (16); AAD "loyalty member key" 0x00
// member_id, so a wrapped key moved to another member does not unwrap.
absl::StatusOr<std::string> WrapMemberKey(absl::string_view master_key,
                                          absl::string_view member_id,
                                          absl::string_view data_key);
// DataLoss when it does not unwrap (wrong master key, altered bytes).
absl::StatusOr<std::string> UnwrapMemberKey(absl::string_view master_key,
                                            absl::string_view member_id,
                                            absl::string_view wrapped);

// The check value recorded beside the member keys: HMAC-SHA256 of a fixed
// label under the master key. Tells a wrong master key apart without
// revealing the key.
std::string MasterKeyCheckValue(absl::string_view master_key);

}  // namespace loyalty::privacy

#endif  // LOYALTY_PRIVACY_PERSONAL_SEAL_H_
