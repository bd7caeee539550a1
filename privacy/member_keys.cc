#include "privacy/member_keys.h"

#include "absl/strings/str_cat.h"
#include "loyalty/privacy.h"
#include "privacy/aead.h"
#include "privacy/personal_seal.h"

namespace loyalty::privacy {

absl::Status NoMasterKeyError(absl::string_view purpose) {
  return absl::FailedPreconditionError(
      absl::StrCat("no master key: ", purpose,
                   " needs one (EngineOptions::master_key, or the tool's --master-key FILE)"));
}

absl::StatusOr<std::unique_ptr<MemberKeys>> MemberKeys::Open(
    std::unique_ptr<MemberKeyStore> store, std::optional<std::string> master_key,
    RandomBytesSource random) {
  if (master_key.has_value() && master_key->size() != kMasterKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("master key: ", master_key->size(),
                                                   " bytes, expected ", kMasterKeyBytes));
  }
  if (master_key.has_value() && store != nullptr) {
    absl::StatusOr<std::optional<std::string>> check = store->CheckValue();
    if (!check.ok()) return check.status();
    if (check->has_value() &&
        !ConstantTimeEquals(**check, MasterKeyCheckValue(*master_key))) {
      return absl::PermissionDeniedError(
          "master key: not the key this ledger's member keys were sealed with (its check value "
          "differs); nothing was read or written");
    }
  }
  return std::unique_ptr<MemberKeys>(
      new MemberKeys(std::move(store), std::move(master_key), std::move(random)));
}

absl::Status MemberKeys::Destroy(absl::Span<const std::string> member_ids) {
  if (store_ == nullptr) return absl::OkStatus();  // no key to destroy
  return store_->Destroy(member_ids);
}

absl::StatusOr<std::string> MemberKeys::Random(size_t count) const {
  if (!random_) return RandomBytes(count);
  std::string bytes(count, '\0');
  absl::Status status = random_(bytes.data(), count);
  if (!status.ok()) return status;
  return bytes;
}

absl::StatusOr<std::string> MemberKeys::DataKey(absl::string_view member_id, bool create,
                                                absl::string_view purpose) {
  if (!master_key_.has_value()) return NoMasterKeyError(purpose);
  if (store_ == nullptr) {
    if (!create) {
      return absl::NotFoundError(absl::StrCat("member \"", member_id, "\" has no data key"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat(purpose, ": the ledger has no member key store and is open read-only"));
  }
  absl::StatusOr<std::optional<std::string>> wrapped = store_->Get(member_id);
  if (!wrapped.ok()) return wrapped.status();
  if (wrapped->has_value()) return UnwrapMemberKey(*master_key_, member_id, **wrapped);
  if (!create) {
    return absl::NotFoundError(absl::StrCat("member \"", member_id, "\" has no data key"));
  }
  absl::StatusOr<std::string> key = Random(kAeadKeyBytes);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> made = WrapMemberKey(*master_key_, member_id, *key);
  if (!made.ok()) return made.status();
  absl::Status stored = store_->Put(member_id, *made, MasterKeyCheckValue(*master_key_));
  if (!stored.ok()) return stored;
  return key;
}

}  // namespace loyalty::privacy
