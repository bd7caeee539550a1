// MemberKeys: member data keys in the clear for the engine, through the
// master key. Creates a member's key on first use, unwraps it on read,
// destroys it on erasure. Holds the master key in memory only.
//
// Thread safety: every method may be called from many threads; creating
// the key of one member from two threads at once is the caller's to avoid
// (the engine does it under its lock).
#ifndef LOYALTY_PRIVACY_MEMBER_KEYS_H_
#define LOYALTY_PRIVACY_MEMBER_KEYS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "loyalty/privacy.h"
#include "privacy/member_key_store.h"

namespace loyalty::privacy {

class MemberKeys {
 public:
  // Member keys kept in `store` (nullptr: no store, as in a read-only open
  // of a ledger that never had one: no member has a key and none can be
  // made). `master_key` nullopt: no master key (keys can be destroyed, not
  // created or read). InvalidArgument for a master key that is not 32
  // bytes; PermissionDenied when it does not match the check value recorded
  // with the first member key. Nothing is written either way. New data keys
  // come from `random` (empty: RandomBytes).
  static absl::StatusOr<std::unique_ptr<MemberKeys>> Open(std::unique_ptr<MemberKeyStore> store,
                                                          std::optional<std::string> master_key,
                                                          RandomBytesSource random = {});

  bool has_master_key() const { return master_key_.has_value(); }

  // The member's data key (32 bytes). With `create`, a member without one
  // gets a fresh random key, stored wrapped before it is returned.
  // FailedPrecondition without a master key ("no master key: ..." naming
  // `purpose`); NotFound when the member has no key and `create` is false
  // (never had one, or erased); DataLoss when the stored key does not
  // unwrap.
  absl::StatusOr<std::string> DataKey(absl::string_view member_id, bool create,
                                      absl::string_view purpose);

  // Destroys the members' keys for good (MemberKeyStore::Destroy). Needs no
  // master key.
  absl::Status Destroy(absl::Span<const std::string> member_ids);

  // The store; nullptr when there is none.
  MemberKeyStore* store() const { return store_.get(); }

  // `count` bytes from the random source (for nonces).
  absl::StatusOr<std::string> Random(size_t count) const;

 private:
  MemberKeys(std::unique_ptr<MemberKeyStore> store, std::optional<std::string> master_key,
             RandomBytesSource random)
      : store_(std::move(store)), master_key_(std::move(master_key)), random_(std::move(random)) {}

  std::unique_ptr<MemberKeyStore> store_;
  std::optional<std::string> master_key_;
  RandomBytesSource random_;
};

// The FailedPrecondition of a missing master key: "no master key: <purpose>
// needs one (EngineOptions::master_key, or the tool's --master-key FILE)".
absl::Status NoMasterKeyError(absl::string_view purpose);

}  // namespace loyalty::privacy

#endif  // LOYALTY_PRIVACY_MEMBER_KEYS_H_
