#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/audit.h"

namespace loyalty::audit {
namespace {

using ::testing::HasSubstr;

Hash Filled(uint8_t byte) {
  Hash hash;
  hash.fill(byte);
  return hash;
}

Checkpoint SampleCheckpoint(const PublicKey& signer) {
  Checkpoint checkpoint;
  checkpoint.sequence = 1234;
  checkpoint.chain_head = Filled(0xab);
  checkpoint.merkle_root = Filled(0x01);
  checkpoint.projection_digests = {{"tiers", Filled(0x44)}, {"balances", Filled(0x22)}};
  checkpoint.signer_key_sha256 = signer.Fingerprint();
  checkpoint.signed_at_us = 1704067200000000;
  return checkpoint;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<SigningKey>(std::move(*key));
    auto other = SigningKey::Generate();
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = std::make_unique<SigningKey>(std::move(*other));
  }

  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<SigningKey> other_;
};

TEST_F(CheckpointTest, RecordHasTheDocumentedBytes) {
  Checkpoint checkpoint = SampleCheckpoint(key_->public_key());
  checkpoint.signer_key_sha256 = Filled(0x0f);
  auto record = EncodeCheckpointRecord(checkpoint);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(*record,
            "loyalty-checkpoint/1\n"
            "sequence 1234\n"
            "chain_head " +
                HashHex(Filled(0xab)) +
                "\n"
                "merkle_root " +
                HashHex(Filled(0x01)) +
                "\n"
                "projection balances " +
                HashHex(Filled(0x22)) +
                "\n"
                "projection tiers " +
                HashHex(Filled(0x44)) +
                "\n"
                "signer_key_sha256 " +
                HashHex(Filled(0x0f)) +
                "\n"
                "signed_at_us 1704067200000000\n");
  auto decoded = DecodeCheckpointRecord(*record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->sequence, 1234u);
  ASSERT_EQ(decoded->projection_digests.size(), 2u);
  EXPECT_EQ(decoded->projection_digests[0].name, "balances");
  EXPECT_EQ(decoded->projection_digests[1].digest, Filled(0x44));
  EXPECT_EQ(*EncodeCheckpointRecord(*decoded), *record);
}

TEST_F(CheckpointTest, RecordWithoutProjectionsRoundTrips) {
  Checkpoint checkpoint = SampleCheckpoint(key_->public_key());
  checkpoint.projection_digests.clear();
  auto record = EncodeCheckpointRecord(checkpoint);
  ASSERT_TRUE(record.ok());
  auto decoded = DecodeCheckpointRecord(*record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->projection_digests.empty());
}

TEST_F(CheckpointTest, NonCanonicalRecordsAreRefused) {
  const std::string record = *EncodeCheckpointRecord(SampleCheckpoint(key_->public_key()));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"sequence 1234", "sequence 01234"},
           {"sequence 1234", "sequence +1234"},
           {"chain_head abab", "chain_head ABAB"},
           {"projection balances", "projection  balances"},
           {"signed_at_us 1704067200000000\n", "signed_at_us 1704067200000000"},
           {"signed_at_us 1704067200000000\n", "signed_at_us 1704067200000000\n\n"},
           {"loyalty-checkpoint/1", "loyalty-checkpoint/2"},
       }) {
    const std::string altered = absl::StrReplaceAll(record, {{from, to}});
    ASSERT_NE(altered, record) << from;
    EXPECT_EQ(DecodeCheckpointRecord(altered).status().code(), absl::StatusCode::kInvalidArgument)
        << to;
  }
  // Projections out of order.
  std::string swapped = record;
  const size_t balances = swapped.find("projection balances");
  const size_t tiers = swapped.find("projection tiers");
  const size_t line = tiers - balances;
  swapped = swapped.substr(0, balances) + swapped.substr(tiers, line) +
            swapped.substr(balances, line) + swapped.substr(tiers + line);
  EXPECT_FALSE(DecodeCheckpointRecord(swapped).ok());
}

TEST_F(CheckpointTest, BadProjectionNamesAreRefused) {
  Checkpoint checkpoint = SampleCheckpoint(key_->public_key());
  checkpoint.projection_digests = {{"Balances", Hash{}}};
  EXPECT_EQ(EncodeCheckpointRecord(checkpoint).status().code(), absl::StatusCode::kInvalidArgument);
  checkpoint.projection_digests = {{"a", Hash{}}, {"a", Hash{}}};
  EXPECT_THAT(EncodeCheckpointRecord(checkpoint).status().message(), HasSubstr("twice"));
  checkpoint.projection_digests = {{"", Hash{}}};
  EXPECT_FALSE(EncodeCheckpointRecord(checkpoint).ok());
}

TEST_F(CheckpointTest, SignatureVerifiesWithTheSignersKeyOnly) {
  const std::string record = *EncodeCheckpointRecord(SampleCheckpoint(key_->public_key()));
  auto signature = key_->Sign(record);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(key_->public_key().Verify(record, *signature).ok());
  EXPECT_EQ(other_->public_key().Verify(record, *signature).code(), absl::StatusCode::kDataLoss);
}

TEST_F(CheckpointTest, AnAlteredFieldOrSignatureFails) {
  const std::string record = *EncodeCheckpointRecord(SampleCheckpoint(key_->public_key()));
  const std::string signature = *key_->Sign(record);
  for (size_t i = 0; i < record.size(); ++i) {
    std::string altered = record;
    altered[i] ^= 0x01;
    EXPECT_FALSE(key_->public_key().Verify(altered, signature).ok()) << i;
  }
  for (size_t i = 0; i < signature.size(); ++i) {
    std::string altered = signature;
    altered[i] ^= 0x80;
    EXPECT_FALSE(key_->public_key().Verify(record, altered).ok()) << i;
  }
  EXPECT_FALSE(key_->public_key().Verify(record, signature.substr(1)).ok());
}

TEST_F(CheckpointTest, KeysRoundTripThroughPem) {
  const std::string private_pem = key_->Pem();
  EXPECT_THAT(private_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  auto reloaded = SigningKey::FromPem(private_pem);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(reloaded->public_key().raw(), key_->public_key().raw());
  const std::string public_pem = key_->public_key().Pem();
  EXPECT_THAT(public_pem, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  auto public_key = PublicKey::FromPem(public_pem);
  ASSERT_TRUE(public_key.ok()) << public_key.status();
  EXPECT_EQ(public_key->Fingerprint(), key_->public_key().Fingerprint());
  // Ed25519 signatures are deterministic: the reloaded key signs alike.
  EXPECT_EQ(*reloaded->Sign("message"), *key_->Sign("message"));

  EXPECT_EQ(SigningKey::FromPem(public_pem).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKey::FromPem("not a key").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKey::FromRaw("short").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CheckpointTest, KeysOfAnotherAlgorithmAreRefused) {
  // An X25519 key (`openssl genpkey -algorithm X25519`): valid PKCS#8, but
  // for key agreement, not Ed25519 signatures.
  constexpr char kX25519Pem[] =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VuBCIEILgrEaB8pO7/WfDsE7n+rXb0KvwWcvvvoSu8ixg1gSR0\n"
      "-----END PRIVATE KEY-----\n";
  auto key = SigningKey::FromPem(kX25519Pem);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(key.status().message(), HasSubstr("not an Ed25519 key"));
}

// A proof document signed by key_, for the tree over `leaves`.
ProofDocument InclusionDocument(const SigningKey& key, const std::vector<std::string>& events,
                                uint64_t sequence) {
  std::vector<Hash> leaves;
  for (const std::string& event : events) leaves.push_back(MerkleLeafHash(event));
  Checkpoint checkpoint;
  checkpoint.sequence = events.size();
  checkpoint.merkle_root = MerkleRootOf(leaves);
  checkpoint.signer_key_sha256 = key.public_key().Fingerprint();
  SignedCheckpoint signed_checkpoint;
  signed_checkpoint.number = 3;
  signed_checkpoint.checkpoint = checkpoint;
  signed_checkpoint.record = *EncodeCheckpointRecord(checkpoint);
  signed_checkpoint.signature = *key.Sign(signed_checkpoint.record);
  ProofDocument document;
  document.kind = ProofDocument::Kind::kInclusion;
  document.inclusion = *InclusionProofOf(leaves, sequence, events.size());
  document.event_bytes = events[sequence - 1];
  document.checkpoints = {signed_checkpoint};
  return document;
}

TEST_F(CheckpointTest, ProofDocumentsRoundTripAndCheck) {
  const std::vector<std::string> events = {"one", "two", "three", "four", "five"};
  ProofDocument document = InclusionDocument(*key_, events, 4);
  const std::string text = EncodeProofDocument(document);
  EXPECT_THAT(text, ::testing::StartsWith("loyalty-proof/1 inclusion\nsequence 4\ntree_size 5\n"));
  auto decoded = DecodeProofDocument(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(EncodeProofDocument(*decoded), text);
  EXPECT_TRUE(CheckProofDocument(*decoded, key_->public_key()).ok());
  // Another trusted key, or another event's bytes: refused.
  EXPECT_THAT(CheckProofDocument(*decoded, other_->public_key()).message(),
              HasSubstr("not by the trusted key"));
  ProofDocument wrong_event = *decoded;
  wrong_event.event_bytes = "fiv3";
  EXPECT_EQ(CheckProofDocument(wrong_event, key_->public_key()).code(),
            absl::StatusCode::kDataLoss);
  // One byte of the text changed anywhere but in the checkpoint's number (a
  // label, outside what is signed): it no longer decodes or no longer checks.
  const size_t label = text.find("checkpoint 3 ") + std::string("checkpoint ").size();
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == label) continue;
    std::string altered = text;
    altered[i] = altered[i] == '0' ? '1' : '0';
    auto reread = DecodeProofDocument(altered);
    if (reread.ok()) {
      EXPECT_FALSE(CheckProofDocument(*reread, key_->public_key()).ok()) << i;
    }
  }
}

TEST_F(CheckpointTest, ConsistencyDocumentsCheck) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 11; ++i) leaves.push_back(MerkleLeafHash(std::to_string(i)));
  ProofDocument document;
  document.kind = ProofDocument::Kind::kConsistency;
  document.consistency = *ConsistencyProofOf(leaves, 6, 11);
  for (uint64_t size : {6, 11}) {
    Checkpoint checkpoint;
    checkpoint.sequence = size;
    checkpoint.merkle_root = MerkleRootOf(absl::MakeConstSpan(leaves).subspan(0, size));
    checkpoint.signer_key_sha256 = key_->public_key().Fingerprint();
    SignedCheckpoint signed_checkpoint;
    signed_checkpoint.number = size;
    signed_checkpoint.checkpoint = checkpoint;
    signed_checkpoint.record = *EncodeCheckpointRecord(checkpoint);
    signed_checkpoint.signature = *key_->Sign(signed_checkpoint.record);
    document.checkpoints.push_back(signed_checkpoint);
  }
  auto decoded = DecodeProofDocument(EncodeProofDocument(document));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(CheckProofDocument(*decoded, key_->public_key()).ok());
  std::swap(decoded->checkpoints[0], decoded->checkpoints[1]);
  EXPECT_FALSE(CheckProofDocument(*decoded, key_->public_key()).ok());
}

}  // namespace
}  // namespace loyalty::audit
