// AES-256-GCM through OpenSSL's EVP interface, and the few other primitives
// the personal-data encryption needs (random bytes, HMAC-SHA256). Internal
// to the library: the public side is include/loyalty/privacy.h.
#ifndef LOYALTY_PRIVACY_AEAD_H_
#define LOYALTY_PRIVACY_AEAD_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/privacy.h"

namespace loyalty::privacy {

inline constexpr size_t kAeadKeyBytes = 32;    // AES-256
inline constexpr size_t kAeadNonceBytes = 12;  // GCM's standard IV length
inline constexpr size_t kAeadTagBytes = 16;    // the full GCM tag

struct AeadSealed {
  std::string nonce;       // kAeadNonceBytes, random
  std::string ciphertext;  // the encrypted bytes followed by the tag
};

// Encrypts `plaintext` with `key` (kAeadKeyBytes) under `nonce`
// (kAeadNonceBytes; empty: a fresh one from RandomBytes), authenticating
// `associated_data` too. A nonce must never be used twice with one key.
// InvalidArgument for a key or nonce of another length; Internal if OpenSSL
// fails.
absl::StatusOr<AeadSealed> AeadSeal(absl::string_view key, absl::string_view plaintext,
                                    absl::string_view associated_data,
                                    absl::string_view nonce = absl::string_view());

// Decrypts and checks what AeadSeal made. DataLoss when the tag does not
// match: the ciphertext, the nonce or the associated data was altered, or
// the key is not the one that sealed it (the message says which input).
// InvalidArgument for a key or nonce of the wrong length, or a ciphertext
// shorter than the tag.
absl::StatusOr<std::string> AeadOpen(absl::string_view key, absl::string_view nonce,
                                     absl::string_view ciphertext,
                                     absl::string_view associated_data, absl::string_view what);

// `count` bytes from OpenSSL's RAND_bytes. Internal if it fails.
absl::StatusOr<std::string> RandomBytes(size_t count);

// A deterministic stream of bytes from `seed` (HMAC-SHA256 in counter
// mode), for demos and simulations whose logs must be the same on every run.
// Predictable to anyone who knows the seed: never for real personal data.
RandomBytesSource SeededRandomBytes(uint64_t seed);

// HMAC-SHA256 of `message` under `key`: 32 bytes.
std::string HmacSha256(absl::string_view key, absl::string_view message);

// Compares without leaking where the first difference is.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace loyalty::privacy

#endif  // LOYALTY_PRIVACY_AEAD_H_
