#include "privacy/aead.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <ios>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/privacy.h"
#include "privacy/personal_seal.h"
#include "testing/temp_dir.h"

namespace loyalty::privacy {
namespace {

using ::testing::HasSubstr;

std::string Key(char fill) { return std::string(kAeadKeyBytes, fill); }

v1::PersonalData Sample() {
  v1::PersonalData personal;
  personal.set_name("Zhao Qiaoyun");
  personal.set_phone("13912345678");
  personal.set_email("zqy@example.com");
  personal.set_gender(v1::GENDER_FEMALE);
  personal.mutable_birth_date()->set_year(1988);
  personal.mutable_birth_date()->set_month(2);
  personal.mutable_birth_date()->set_day(29);
  personal.set_occupation("teacher");
  return personal;
}

TEST(AeadTest, SealThenOpenRoundTrips) {
  absl::StatusOr<AeadSealed> sealed = AeadSeal(Key('k'), "hello", "aad");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->nonce.size(), kAeadNonceBytes);
  EXPECT_EQ(sealed->ciphertext.size(), 5 + kAeadTagBytes);
  EXPECT_EQ(sealed->ciphertext.find("hello"), std::string::npos);
  absl::StatusOr<std::string> opened = AeadOpen(Key('k'), sealed->nonce, sealed->ciphertext, "aad", "t");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "hello");
}

TEST(AeadTest, NoncesDiffer) {
  absl::StatusOr<AeadSealed> a = AeadSeal(Key('k'), "same", "");
  absl::StatusOr<AeadSealed> b = AeadSeal(Key('k'), "same", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_NE(a->ciphertext, b->ciphertext);
}

TEST(AeadTest, TamperingWrongAadAndWrongKeyFail) {
  absl::StatusOr<AeadSealed> sealed = AeadSeal(Key('k'), "secret", "aad");
  ASSERT_TRUE(sealed.ok());
  std::string flipped = sealed->ciphertext;
  flipped[0] ^= 1;
  EXPECT_EQ(AeadOpen(Key('k'), sealed->nonce, flipped, "aad", "t").status().code(),
            absl::StatusCode::kDataLoss);
  std::string flipped_tag = sealed->ciphertext;
  flipped_tag.back() ^= 1;
  EXPECT_EQ(AeadOpen(Key('k'), sealed->nonce, flipped_tag, "aad", "t").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key('k'), sealed->nonce, sealed->ciphertext, "aae", "t").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key('j'), sealed->nonce, sealed->ciphertext, "aad", "t").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key('k'), "short", sealed->ciphertext, "aad", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AeadSeal("short key", "x", "").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PersonalSealTest, SealedDataRoundTripsAndOpensOnlyForItsMemberAndPosition) {
  const std::string aad = PersonalDataAad("M1", "member-M1", 1);
  absl::StatusOr<v1::SealedPersonalData> sealed = SealPersonalData(Key('d'), Sample(), aad);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->key_version(), kPersonalKeyVersion);
  EXPECT_EQ(sealed->SerializeAsString().find("Zhao Qiaoyun"), std::string::npos);
  EXPECT_EQ(sealed->SerializeAsString().find("13912345678"), std::string::npos);
  absl::StatusOr<v1::PersonalData> opened = OpenPersonalData(Key('d'), *sealed, aad);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->SerializeAsString(), Sample().SerializeAsString());
  // Another member, another stream position: the same bytes do not open.
  EXPECT_EQ(OpenPersonalData(Key('d'), *sealed, PersonalDataAad("M2", "member-M1", 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenPersonalData(Key('d'), *sealed, PersonalDataAad("M1", "member-M1", 2)).status().code(),
            absl::StatusCode::kDataLoss);
  v1::SealedPersonalData unknown = *sealed;
  unknown.set_key_version(7);
  EXPECT_EQ(OpenPersonalData(Key('d'), unknown, aad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PersonalSealTest, WrappedKeysUnwrapOnlyForTheirMemberAndMasterKey) {
  absl::StatusOr<std::string> wrapped = WrapMemberKey(Key('m'), "M1", Key('d'));
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->find(Key('d')), std::string::npos);
  absl::StatusOr<std::string> key = UnwrapMemberKey(Key('m'), "M1", *wrapped);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, Key('d'));
  EXPECT_EQ(UnwrapMemberKey(Key('n'), "M1", *wrapped).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(UnwrapMemberKey(Key('m'), "M2", *wrapped).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(MasterKeyCheckValue(Key('m')), MasterKeyCheckValue(Key('n')));
}

TEST(MasterKeyFileTest, CreateThenReadAndRejectBadFiles) {
  testing::TempDir dir;
  const std::string path = dir.Sub("master.key");
  absl::StatusOr<std::string> created = CreateMasterKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->size(), kMasterKeyBytes);
  absl::StatusOr<std::string> read = ReadMasterKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, *created);
  EXPECT_EQ(CreateMasterKeyFile(path).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadMasterKeyFile(dir.Sub("absent")).status().code(), absl::StatusCode::kNotFound);
  const std::string bad = dir.Sub("bad.key");
  FILE* file = fopen(bad.c_str(), "w");
  fputs("not hex\n", file);
  fclose(file);
  ASSERT_EQ(::chmod(bad.c_str(), 0600), 0);  // as a key file must be
  absl::Status status = ReadMasterKeyFile(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("64 hexadecimal digits"));
}

// The key is written under a temporary name and linked to its own, so a
// kill leaves no key file or a whole one; what a killed creation left is
// removed by the next, and nothing else is.
TEST(MasterKeyFileTest, CreationLeavesOnlyTheKeyFileAndRemovesOnlyItsOwnLeftovers) {
  testing::TempDir dir;
  const std::string path = dir.Sub("data.key");
  const std::string leftover = dir.Sub(".data.key.creating-Ab12Cd");  // a killed creation's
  const std::string not_ours = dir.Sub(".data.key.creating-kept");    // another pattern
  const std::string other_key = dir.Sub(".other.key.creating-Ab12Cd");
  for (const std::string& file : {leftover, not_ours, other_key}) {
    FILE* handle = fopen(file.c_str(), "w");
    ASSERT_NE(handle, nullptr);
    fclose(handle);
  }
  absl::StatusOr<std::string> created = CreateMasterKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat status;
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_size, 2 * static_cast<off_t>(kMasterKeyBytes) + 1);
  EXPECT_EQ(status.st_nlink, 1u);  // the temporary name is gone
  EXPECT_NE(::access(leftover.c_str(), F_OK), 0);
  EXPECT_EQ(::access(not_ours.c_str(), F_OK), 0);
  EXPECT_EQ(::access(other_key.c_str(), F_OK), 0);

  // A second creation is refused and leaves the key and no temporary file.
  EXPECT_EQ(CreateMasterKeyFile(path).status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::string> read = ReadMasterKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, *created);
  int temporaries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".data.key.creating-", 0) == 0 && name != ".data.key.creating-kept") {
      ++temporaries;
    }
  }
  EXPECT_EQ(temporaries, 0);
}

// As ssh refuses a private key others can read: whoever reads the master
// key reads every member's personal data.
TEST(MasterKeyFileTest, AKeyFileItsGroupOrOthersMayAccessIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.Sub("master.key");
  absl::StatusOr<std::string> created = CreateMasterKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat status;
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u);
  for (mode_t mode : {0644, 0640, 0604, 0610, 0602, 0660, 0666}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    absl::Status refused = ReadMasterKeyFile(path).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << std::oct << mode;
    EXPECT_EQ(refused.message(),
              absl::StrFormat("master key file %s: mode %04o lets its group or others access "
                              "it; run `chmod 600 %s`",
                              path, mode, path));
    EXPECT_EQ(MasterKeyFromFile(path)().status().code(), absl::StatusCode::kPermissionDenied);
    MasterKeyFileOptions allowed;
    allowed.allow_group_or_other_access = true;
    absl::StatusOr<std::string> read = ReadMasterKeyFile(path, allowed);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, *created);
    EXPECT_TRUE(MasterKeyFromFile(path, allowed)().ok());
  }
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_TRUE(ReadMasterKeyFile(path).ok()) << std::oct << mode;
  }
}

TEST(MasterKeyFileTest, DefaultPathIsBesideTheDirectory) {
  EXPECT_EQ(DefaultMasterKeyPath("./loyalty-data"), "./loyalty-data.key");
  EXPECT_EQ(DefaultMasterKeyPath("/var/lib/mall//"), "/var/lib/mall.key");
  EXPECT_EQ(DefaultMasterKeyPath("/"), "/.key");
}

}  // namespace
}  // namespace loyalty::privacy
