// libFuzzer target: the proof checker of `loyalty check-proof`
// (include/loyalty/audit.h, DecodeProofDocument and CheckProofDocument),
// trusting the key whose proofs seed the corpus (fuzz/corpus/check_proof,
// made with fuzz/trusted_key.pem). A document decodes only from exactly its
// own encoding, so every decoded document must encode back to the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/audit.h"

namespace {

// The public half of fuzz/trusted_key.pem, a key for fuzzing only.
constexpr char kTrustedKeyPem[] = LOYALTY_FUZZ_TRUSTED_PUBLIC_KEY_PEM;

const loyalty::audit::PublicKey& TrustedKey() {
  static const loyalty::audit::PublicKey* key = [] {
    auto parsed = loyalty::audit::PublicKey::FromPem(kTrustedKeyPem);
    if (!parsed.ok()) std::abort();
    return new loyalty::audit::PublicKey(*parsed);
  }();
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto document = loyalty::audit::DecodeProofDocument(input);
  if (!document.ok()) {
    if (document.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (loyalty::audit::EncodeProofDocument(*document) != input) std::abort();
  const absl::Status checked = loyalty::audit::CheckProofDocument(*document, TrustedKey());
  if (!checked.ok() && checked.code() != absl::StatusCode::kDataLoss &&
      checked.code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
