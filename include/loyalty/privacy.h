// Personal data at rest: the master key the embedding service provides, and
// what erasure and retention report. See docs/privacy.md.
//
// The personal fields of enrolment and profile events (name, phone, e-mail,
// gender, birth date, occupation) are stored sealed with AES-256-GCM under a
// 32-byte data key of their member. Member data keys are stored wrapped
// (AES-256-GCM again) by the master key, in DIRECTORY/member-keys; the
// master key itself is never stored, only a check value (HMAC-SHA256 of a
// fixed label) that tells a wrong key from the right one.
//
// Thread safety: the functions are safe to call from many threads; a
// MasterKeySource is called once, by Engine::Open.
#ifndef LOYALTY_PRIVACY_H_
#define LOYALTY_PRIVACY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

// The master key is 32 bytes (AES-256).
inline constexpr size_t kMasterKeyBytes = 32;

// Supplies the master key's 32 raw bytes, e.g. from a key-management
// service. An error it returns makes Engine::Open fail with that error.
using MasterKeySource = std::function<absl::StatusOr<std::string>()>;

// Fills out[0, count) with random bytes; the engine draws member data keys
// and the nonces of sealed personal data from it. The default (an empty
// source) is OpenSSL's RAND_bytes. A deterministic source makes a log the
// same on every run, as simulations and the demo need; it also makes the
// keys predictable, so it is never for real personal data. Called under the
// engine's lock only.
using RandomBytesSource = std::function<absl::Status(char* out, size_t count)>;

// A source that returns `key_bytes` (which Engine::Open checks to be 32
// bytes long).
MasterKeySource MasterKeyFromBytes(std::string key_bytes);

// How a key file is read.
struct MasterKeyFileOptions {
  // Whether a key file that its group or others may access (any of the
  // mode bits 077) is used. By default it is refused, as ssh refuses such a
  // private key: whoever can read the file can read every member's personal
  // data. Set it only where the file's directory alone keeps others out.
  // Default: false.
  bool allow_group_or_other_access = false;
};

// A source that reads the key file at `path` (ReadMasterKeyFile) when the
// engine opens.
MasterKeySource MasterKeyFromFile(std::string path,
                                  MasterKeyFileOptions options = MasterKeyFileOptions());

// Reads a key file: 64 hexadecimal digits (the 32 bytes), optionally
// followed by one newline; nothing else. NotFound when the file does not
// exist or cannot be read; PermissionDenied naming the path and its mode
// when its group or others may access it (unless `options` allows it):
//   master key file /srv/ledger.key: mode 0644 lets its group or others
//   access it; run `chmod 600 /srv/ledger.key`
// InvalidArgument naming the path when its content is not a key.
// Example file content: "00112233...eeff\n" (64 digits).
absl::StatusOr<std::string> ReadMasterKeyFile(
    const std::string& path, const MasterKeyFileOptions& options = MasterKeyFileOptions());

// Creates a key file at `path` holding a fresh random key (RAND_bytes), with
// mode 0600. AlreadyExists if `path` exists (a key is never overwritten);
// Internal if the file cannot be written. Returns the key's bytes. The key
// is written and synced as ".NAME.creating-XXXXXX" beside `path`, then
// linked to `path`: a process killed at any moment leaves no key file or a
// whole one. Such leftovers of a killed creation (that pattern only) are
// removed by the next creation.
absl::StatusOr<std::string> CreateMasterKeyFile(const std::string& path);

// Where the tool and the C API keep the master key of the ledger in
// `directory`: the file DIRECTORY.key beside it, never inside it
// ("./loyalty-data" and "./loyalty-data/" -> "./loyalty-data.key";
// docs/privacy.md).
std::string DefaultMasterKeyPath(const std::string& directory);

// One member whose personal data the retention job erased.
struct RetentionErasure {
  std::string member_id;
  // The member's last purchase, redemption, complaint event or survey (or
  // the enrolment when there was none), microseconds since the Unix epoch.
  int64_t inactive_since_us = 0;
  // The sequence of the MemberErased event appended.
  uint64_t sequence = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_PRIVACY_H_
