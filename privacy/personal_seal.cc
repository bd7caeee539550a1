#include "privacy/personal_seal.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "privacy/aead.h"
#include "util/big_endian.h"

namespace loyalty::privacy {
namespace {

constexpr char kWrappedKeyVersion = 1;
constexpr char kMemberKeyAadLabel[] = "loyalty member key";
constexpr char kCheckLabel[] = "loyalty-ledger master key check v1";

}  // namespace

std::string PersonalDataAad(absl::string_view member_id, absl::string_view stream_id,
                            uint64_t stream_version) {
  std::string aad = absl::StrCat("loyalty.v1.PersonalData", absl::string_view("\0", 1), member_id,
                                 absl::string_view("\0", 1), stream_id, absl::string_view("\0", 1));
  util::PutBigEndian64(&aad, stream_version);
  return aad;
}

absl::StatusOr<v1::SealedPersonalData> SealPersonalData(absl::string_view data_key,
                                                        const v1::PersonalData& personal,
                                                        absl::string_view aad,
                                                        absl::string_view nonce) {
  std::string plaintext;
  {
    google::protobuf::io::StringOutputStream stream(&plaintext);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!personal.SerializeToCodedStream(&coded)) {
      return absl::InternalError("personal data: cannot serialize");
    }
  }
  absl::StatusOr<AeadSealed> sealed = AeadSeal(data_key, plaintext, aad, nonce);
  if (!sealed.ok()) return sealed.status();
  v1::SealedPersonalData out;
  out.set_nonce(std::move(sealed->nonce));
  out.set_ciphertext(std::move(sealed->ciphertext));
  out.set_key_version(kPersonalKeyVersion);
  return out;
}

absl::StatusOr<v1::PersonalData> OpenPersonalData(absl::string_view data_key,
                                                  const v1::SealedPersonalData& sealed,
                                                  absl::string_view aad) {
  if (sealed.key_version() != kPersonalKeyVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("sealed personal data: key_version ", sealed.key_version(), " is unknown"));
  }
  absl::StatusOr<std::string> plaintext =
      AeadOpen(data_key, sealed.nonce(), sealed.ciphertext(), aad, "sealed personal data");
  if (!plaintext.ok()) return plaintext.status();
  v1::PersonalData personal;
  if (!personal.ParseFromString(*plaintext)) {
    return absl::DataLossError("sealed personal data: decrypted bytes are not a PersonalData");
  }
  return personal;
}

absl::StatusOr<std::string> WrapMemberKey(absl::string_view master_key,
                                          absl::string_view member_id,
                                          absl::string_view data_key) {
  absl::StatusOr<AeadSealed> sealed =
      AeadSeal(master_key, data_key,
               absl::StrCat(kMemberKeyAadLabel, absl::string_view("\0", 1), member_id));
  if (!sealed.ok()) return sealed.status();
  return absl::StrCat(absl::string_view(&kWrappedKeyVersion, 1), sealed->nonce,
                      sealed->ciphertext);
}

absl::StatusOr<std::string> UnwrapMemberKey(absl::string_view master_key,
                                            absl::string_view member_id,
                                            absl::string_view wrapped) {
  if (wrapped.size() != 1 + kAeadNonceBytes + kAeadKeyBytes + kAeadTagBytes ||
      wrapped[0] != kWrappedKeyVersion) {
    return absl::DataLossError(absl::StrCat("wrapped key of member \"", member_id, "\": ",
                                            wrapped.size(), " bytes, not a version-1 key"));
  }
  absl::StatusOr<std::string> key = AeadOpen(
      master_key, wrapped.substr(1, kAeadNonceBytes), wrapped.substr(1 + kAeadNonceBytes),
      absl::StrCat(kMemberKeyAadLabel, absl::string_view("\0", 1), member_id),
      absl::StrCat("wrapped key of member \"", member_id, "\""));
  return key;
}

std::string MasterKeyCheckValue(absl::string_view master_key) {
  return HmacSha256(master_key, kCheckLabel);
}

}  // namespace loyalty::privacy
