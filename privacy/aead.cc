#include "privacy/aead.h"

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "openssl/crypto.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "openssl/rand.h"

namespace loyalty::privacy {
namespace {

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

absl::Status CheckKey(absl::string_view key) {
  if (key.size() == kAeadKeyBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("AES-256-GCM key: ", key.size(), " bytes, expected ", kAeadKeyBytes));
}

}  // namespace

absl::StatusOr<AeadSealed> AeadSeal(absl::string_view key, absl::string_view plaintext,
                                    absl::string_view associated_data,
                                    absl::string_view given_nonce) {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  absl::StatusOr<std::string> nonce =
      given_nonce.empty() ? RandomBytes(kAeadNonceBytes) : std::string(given_nonce);
  if (!nonce.ok()) return nonce.status();
  if (nonce->size() != kAeadNonceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-256-GCM nonce: ", nonce->size(), " bytes, expected ", kAeadNonceBytes));
  }
  CipherContext context(EVP_CIPHER_CTX_new());
  AeadSealed sealed;
  sealed.nonce = std::move(*nonce);
  sealed.ciphertext.resize(plaintext.size() + kAeadTagBytes);
  unsigned char* out = reinterpret_cast<unsigned char*>(sealed.ciphertext.data());
  int length = 0;
  int written = 0;
  bool ok = context != nullptr &&
            EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kAeadNonceBytes,
                                nullptr) == 1 &&
            EVP_EncryptInit_ex(context.get(), nullptr, nullptr, Bytes(key),
                               Bytes(sealed.nonce)) == 1 &&
            EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(associated_data),
                              static_cast<int>(associated_data.size())) == 1 &&
            EVP_EncryptUpdate(context.get(), out, &length, Bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1;
  written = length;
  ok = ok && EVP_EncryptFinal_ex(context.get(), out + written, &length) == 1;
  written += length;
  ok = ok && static_cast<size_t>(written) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes, out + written) == 1;
  if (!ok) return absl::InternalError("AES-256-GCM encryption failed in OpenSSL");
  return sealed;
}

absl::StatusOr<std::string> AeadOpen(absl::string_view key, absl::string_view nonce,
                                     absl::string_view ciphertext,
                                     absl::string_view associated_data, absl::string_view what) {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  if (nonce.size() != kAeadNonceBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": nonce of ", nonce.size(),
                                                   " bytes, expected ", kAeadNonceBytes));
  }
  if (ciphertext.size() < kAeadTagBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ciphertext of ", ciphertext.size(),
                                                   " bytes is shorter than the tag"));
  }
  const size_t body_bytes = ciphertext.size() - kAeadTagBytes;
  std::string plaintext(body_bytes, '\0');
  // The tag is only read, but OpenSSL's ctrl takes a non-const pointer.
  std::string tag(ciphertext.substr(body_bytes));
  CipherContext context(EVP_CIPHER_CTX_new());
  unsigned char* out = reinterpret_cast<unsigned char*>(plaintext.data());
  int length = 0;
  bool ok = context != nullptr &&
            EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kAeadNonceBytes,
                                nullptr) == 1 &&
            EVP_DecryptInit_ex(context.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) == 1 &&
            EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(associated_data),
                              static_cast<int>(associated_data.size())) == 1 &&
            EVP_DecryptUpdate(context.get(), out, &length, Bytes(ciphertext),
                              static_cast<int>(body_bytes)) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes,
                                tag.data()) == 1;
  if (!ok) return absl::InternalError(absl::StrCat(what, ": AES-256-GCM setup failed in OpenSSL"));
  int final_length = 0;
  if (EVP_DecryptFinal_ex(context.get(), out + length, &final_length) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::DataLossError(absl::StrCat(
        what, ": authentication failed (altered ciphertext or associated data, or another key)"));
  }
  return plaintext;
}

absl::StatusOr<std::string> RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    return absl::InternalError("RAND_bytes failed: no randomness for a key or nonce");
  }
  return bytes;
}

RandomBytesSource SeededRandomBytes(uint64_t seed) {
  struct State {
    std::string key;
    uint64_t counter = 0;
    std::string pending;
  };
  auto state = std::make_shared<State>();
  state->key = absl::StrCat("loyalty seeded random ", seed);
  return [state](char* out, size_t count) -> absl::Status {
    while (state->pending.size() < count) {
      state->pending += HmacSha256(state->key, absl::StrCat(state->counter++));
    }
    std::memcpy(out, state->pending.data(), count);
    state->pending.erase(0, count);
    return absl::OkStatus();
  };
}

std::string HmacSha256(absl::string_view key, absl::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(message), message.size(), out,
       &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace loyalty::privacy
