// Ed25519 keys and signatures through OpenSSL's EVP interface.
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// A passphrase callback that gives none: an encrypted key fails to load
// instead of prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

Bio ReadBio(absl::string_view pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

bool IsEd25519(EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

absl::StatusOr<std::string> RawPublic(EVP_PKEY* key) {
  std::string raw(kKeyBytes, '\0');
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
          1 ||
      length != kKeyBytes) {
    return absl::InternalError("OpenSSL could not export an Ed25519 public key");
  }
  return raw;
}

absl::StatusOr<std::string> RawPrivate(EVP_PKEY* key) {
  std::string raw(kKeyBytes, '\0');
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
          1 ||
      length != kKeyBytes) {
    return absl::InternalError("OpenSSL could not export an Ed25519 private key");
  }
  return raw;
}

Pkey PublicPkey(const std::string& raw) {
  return Pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
}

Pkey PrivatePkey(const std::string& seed) {
  return Pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
}

// What differs between reading a public and a private key's PEM block.
struct PemBlock {
  // PEM_read_bio_PUBKEY or PEM_read_bio_PrivateKey.
  EVP_PKEY* (*read)(BIO*, EVP_PKEY**, pem_password_cb*, void*);
  // The error when `pem` holds no such block.
  const char* not_found;
  // "public" or "private".
  const char* which;
};

const PemBlock kPublicPem = {
    PEM_read_bio_PUBKEY,
    "not a PEM public key (expected a \"BEGIN PUBLIC KEY\" block, as `openssl pkey -pubout` "
    "writes)",
    "public"};
const PemBlock kPrivatePem = {
    PEM_read_bio_PrivateKey,
    "not an unencrypted PEM private key (expected a \"BEGIN PRIVATE KEY\" block, as "
    "`openssl genpkey -algorithm ed25519` writes)",
    "private"};

// The Ed25519 key of the `block` in `pem`. InvalidArgument when there is
// none, or when the key is of another type.
absl::StatusOr<Pkey> ReadEd25519Pem(absl::string_view pem, const PemBlock& block) {
  Bio bio = ReadBio(pem);
  if (bio == nullptr) return absl::InternalError("OpenSSL could not allocate a buffer");
  Pkey key(block.read(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) return absl::InvalidArgumentError(block.not_found);
  if (!IsEd25519(key.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", block.which, " key is not an Ed25519 key"));
  }
  return key;
}

// What a SigningKey holds of an Ed25519 private key.
struct SigningParts {
  std::string seed;
  PublicKey public_key;
};

absl::StatusOr<SigningParts> ExportSigningParts(EVP_PKEY* key) {
  absl::StatusOr<std::string> seed = RawPrivate(key);
  if (!seed.ok()) return seed.status();
  absl::StatusOr<std::string> raw_public = RawPublic(key);
  if (!raw_public.ok()) return raw_public.status();
  absl::StatusOr<PublicKey> public_key = PublicKey::FromRaw(*raw_public);
  if (!public_key.ok()) return public_key.status();
  return SigningParts{std::move(*seed), std::move(*public_key)};
}

}  // namespace

absl::StatusOr<PublicKey> PublicKey::FromPem(absl::string_view pem) {
  absl::StatusOr<Pkey> key = ReadEd25519Pem(pem, kPublicPem);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> raw = RawPublic(key->get());
  if (!raw.ok()) return raw.status();
  return PublicKey(std::move(*raw));
}

absl::StatusOr<PublicKey> PublicKey::FromRaw(absl::string_view raw) {
  if (raw.size() != kKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("an Ed25519 public key is ", kKeyBytes, " bytes, not ", raw.size()));
  }
  return PublicKey(std::string(raw));
}

Hash PublicKey::Fingerprint() const { return util::Sha256(raw_); }

std::string PublicKey::Pem() const {
  Pkey key = PublicPkey(raw_);
  Bio bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return std::string();
  }
  return BioContents(bio.get());
}

absl::Status PublicKey::Verify(absl::string_view message, absl::string_view signature) const {
  if (signature.size() != kSignatureBytes) {
    return absl::DataLossError(absl::StrCat("an Ed25519 signature is ", kSignatureBytes,
                                            " bytes, not ", signature.size()));
  }
  Pkey key = PublicPkey(raw_);
  MdCtx ctx(EVP_MD_CTX_new());
  if (key == nullptr || ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return absl::InternalError("OpenSSL could not set up an Ed25519 verification");
  }
  const int verified = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (verified != 1) {
    return absl::DataLossError(
        absl::StrCat("the signature is not valid for key ", HashHex(Fingerprint())));
  }
  return absl::OkStatus();
}

absl::StatusOr<SigningKey> SigningKey::Generate() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) return absl::InternalError("OpenSSL could not generate an Ed25519 key");
  absl::StatusOr<SigningParts> parts = ExportSigningParts(key.get());
  if (!parts.ok()) return parts.status();
  return SigningKey(std::move(parts->seed), std::move(parts->public_key));
}

absl::StatusOr<SigningKey> SigningKey::FromPem(absl::string_view pem) {
  absl::StatusOr<Pkey> key = ReadEd25519Pem(pem, kPrivatePem);
  if (!key.ok()) return key.status();
  absl::StatusOr<SigningParts> parts = ExportSigningParts(key->get());
  if (!parts.ok()) return parts.status();
  return SigningKey(std::move(parts->seed), std::move(parts->public_key));
}

SigningKey::~SigningKey() { OPENSSL_cleanse(seed_.data(), seed_.size()); }

std::string SigningKey::Pem() const {
  Pkey key = PrivatePkey(seed_);
  Bio bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::string();
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> SigningKey::Sign(absl::string_view message) const {
  Pkey key = PrivatePkey(seed_);
  MdCtx ctx(EVP_MD_CTX_new());
  if (key == nullptr || ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return absl::InternalError("OpenSSL could not set up an Ed25519 signature");
  }
  std::string signature(kSignatureBytes, '\0');
  size_t length = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      length != kSignatureBytes) {
    return absl::InternalError("OpenSSL could not sign with Ed25519");
  }
  return signature;
}

}  // namespace loyalty::audit
