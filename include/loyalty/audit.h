// loyalty::audit — what an auditor needs to trust the log without trusting
// the engine: a Merkle tree over the events, inclusion and consistency
// proofs, signed checkpoints, and replays recomputed from the log alone.
//
// docs/audit-format.md specifies every byte defined here (leaf and node
// hashes, the checkpoint record, the signature, the proofs' text form), so
// that an auditor can check them with an independent program; the Python one
// in tools/verify_bundle.py does.
//
// The Merkle tree is RFC 6962's (Certificate Transparency), over the events
// in sequence order: leaf i (0-based) is the event with sequence i + 1, and
//   leaf_hash(event) = SHA-256(0x00 || canonical_bytes(event))
//   node_hash(l, r)  = SHA-256(0x01 || l || r)
// The tree of size n is the tree over events 1..n; its root is the Merkle
// root "at sequence n". The tree of size 0 has root SHA-256("").
//
// Nothing here reads a clock: times are passed in.
#ifndef LOYALTY_AUDIT_H_
#define LOYALTY_AUDIT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "loyalty/ledger.h"
#include "loyalty/views.h"

namespace loyalty::audit {

// ---------------------------------------------------------------------------
// Merkle hashing and proofs, as pure functions.

// SHA-256(0x00 || canonical_bytes).
Hash MerkleLeafHash(absl::string_view canonical_bytes);

// SHA-256(0x01 || left || right).
Hash MerkleNodeHash(const Hash& left, const Hash& right);

// The root of the tree over `leaf_hashes` (RFC 6962's MTH), computed from
// them all: for tests, small trees and independent checks.
Hash MerkleRootOf(absl::Span<const Hash> leaf_hashes);

// The deepest proofs have one hash per level: at most 64.
inline constexpr size_t kMaxProofHashes = 64;

// Proof that the event with `sequence` is leaf sequence - 1 of the tree of
// `tree_size` events. `path` is RFC 6962's audit path PATH(sequence - 1,
// D[tree_size]): the sibling hashes from the leaf up to the root.
struct InclusionProof {
  uint64_t sequence = 0;
  uint64_t tree_size = 0;
  std::vector<Hash> path;
};

// Proof that the tree of `old_size` events is a prefix of the tree of
// `new_size` events: RFC 6962's PROOF(old_size, D[new_size]).
struct ConsistencyProof {
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  std::vector<Hash> path;
};

// The proofs computed from every leaf hash of the larger tree (the naive
// RFC 6962 recursion). InvalidArgument for a sequence or size out of range
// (sequence 1..tree_size <= leaf_hashes.size(); 1 <= old_size <= new_size <=
// leaf_hashes.size()).
absl::StatusOr<InclusionProof> InclusionProofOf(absl::Span<const Hash> leaf_hashes,
                                                uint64_t sequence, uint64_t tree_size);
absl::StatusOr<ConsistencyProof> ConsistencyProofOf(absl::Span<const Hash> leaf_hashes,
                                                    uint64_t old_size, uint64_t new_size);

// Checks `proof` for the leaf `leaf_hash` against `root` (RFC 9162, 2.1.3.2).
// DataLoss, saying which check failed, when it does not hold; InvalidArgument
// for a proof whose shape cannot be right (sequence outside 1..tree_size, a
// path of the wrong length).
absl::Status VerifyInclusion(const InclusionProof& proof, const Hash& leaf_hash, const Hash& root);

// Checks that `old_root` (tree of proof.old_size) and `new_root` (tree of
// proof.new_size) are consistent (RFC 9162, 2.1.4.2). Errors as
// VerifyInclusion. Equal sizes need an empty path and equal roots.
absl::Status VerifyConsistency(const ConsistencyProof& proof, const Hash& old_root,
                               const Hash& new_root);

// A Merkle tree that grows one leaf at a time and keeps only its perfect
// subtrees' roots ("peaks"): O(log n) memory, the root at any moment.
class MerkleFrontier {
 public:
  void Add(const Hash& leaf_hash);
  // As Add, and calls `on_completed(level, index, hash)` for every perfect
  // subtree of two or more leaves that the leaf completes, lowest first: the
  // root of leaves [index * 2^level, (index + 1) * 2^level).
  void Add(const Hash& leaf_hash,
           absl::FunctionRef<void(uint32_t level, uint64_t index, const Hash& hash)> on_completed);
  uint64_t size() const { return size_; }
  // The root of the tree over every leaf added so far.
  Hash Root() const;
  // The peaks, largest (leftmost) first: one per set bit of size().
  const std::vector<Hash>& peaks() const { return peaks_; }
  // A frontier of `size` leaves whose peaks are `peaks` (as peaks() returns
  // them). InvalidArgument when their number is not the number of set bits.
  static absl::StatusOr<MerkleFrontier> FromPeaks(uint64_t size, std::vector<Hash> peaks);

 private:
  uint64_t size_ = 0;
  std::vector<Hash> peaks_;
};

// ---------------------------------------------------------------------------
// Keys and signatures: Ed25519 (RFC 8032) through OpenSSL.

// An Ed25519 public key.
class PublicKey {
 public:
  // From a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo), as
  // `openssl pkey -pubout` writes it. InvalidArgument for anything else.
  static absl::StatusOr<PublicKey> FromPem(absl::string_view pem);
  // From the 32 raw bytes of the key. InvalidArgument for another length.
  static absl::StatusOr<PublicKey> FromRaw(absl::string_view raw);

  // The 32 raw bytes.
  const std::string& raw() const { return raw_; }
  // SHA-256 of the 32 raw bytes: the signer named in a checkpoint record.
  Hash Fingerprint() const;
  std::string Pem() const;

  // OK when `signature` (64 bytes) is this key's Ed25519 signature of
  // `message`; DataLoss otherwise.
  absl::Status Verify(absl::string_view message, absl::string_view signature) const;

 private:
  explicit PublicKey(std::string raw) : raw_(std::move(raw)) {}
  std::string raw_;
};

// An Ed25519 private key.
class SigningKey {
 public:
  // A fresh key from OpenSSL's random generator.
  static absl::StatusOr<SigningKey> Generate();
  // From a PEM "PRIVATE KEY" block (PKCS#8), as
  // `openssl genpkey -algorithm ed25519` writes it. InvalidArgument for
  // anything else, a key of another algorithm included.
  static absl::StatusOr<SigningKey> FromPem(absl::string_view pem);

  // The private key's bytes are wiped when it is destroyed.
  ~SigningKey();
  SigningKey(SigningKey&&) = default;
  SigningKey& operator=(SigningKey&&) = default;
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;

  // The PKCS#8 PEM form, unencrypted.
  std::string Pem() const;
  const PublicKey& public_key() const { return public_key_; }
  // The 64-byte Ed25519 signature of `message`.
  absl::StatusOr<std::string> Sign(absl::string_view message) const;

 private:
  SigningKey(std::string seed, PublicKey public_key)
      : seed_(std::move(seed)), public_key_(std::move(public_key)) {}
  std::string seed_;  // the 32-byte private key
  PublicKey public_key_;
};

// ---------------------------------------------------------------------------
// Checkpoints: what was in the log at one sequence, signed.

// Limits of a checkpoint record, checked when one is made or read.
inline constexpr size_t kMaxCheckpointProjections = 64;
inline constexpr size_t kMaxProjectionNameBytes = 64;

struct Checkpoint {
  // The log's events 1..sequence are what it describes.
  uint64_t sequence = 0;
  // The chain hash of `sequence` (docs/ledger.md).
  Hash chain_head{};
  // The Merkle root of the tree of `sequence` events.
  Hash merkle_root{};
  // Each projection's digest after replaying events 1..sequence into fresh
  // projections, evaluated at the business time of event `sequence`
  // (Engine::Program(AsOf::Sequence(sequence)).digests), by name.
  std::vector<ProjectionDigest> projection_digests;
  // PublicKey::Fingerprint() of the signer.
  Hash signer_key_sha256{};
  // When it was signed (the signer's clock), microseconds since the epoch.
  int64_t signed_at_us = 0;
};

// The record's canonical bytes, which are what is signed (lines of ASCII
// text; docs/audit-format.md). InvalidArgument for a checkpoint that has no
// such form: a projection name that is empty, too long or not
// [a-z0-9_-], names not unique, too many projections, a negative time.
// Projections are written sorted by name whatever their order here.
absl::StatusOr<std::string> EncodeCheckpointRecord(const Checkpoint& checkpoint);

// Reads a record. InvalidArgument unless `record` is exactly the encoding of
// what it holds (so every checkpoint has one byte form).
absl::StatusOr<Checkpoint> DecodeCheckpointRecord(absl::string_view record);

// A checkpoint as stored: its record's bytes and their signature.
struct SignedCheckpoint {
  // 1, 2, 3, ... in the order checkpoints were added to the store.
  uint64_t number = 0;
  Checkpoint checkpoint;
  std::string record;     // EncodeCheckpointRecord(checkpoint)
  std::string signature;  // 64 bytes, Ed25519 over `record`
};

// ---------------------------------------------------------------------------
// The audit store: the Merkle tree's nodes, the checkpoints and the signers'
// public keys, kept in a RocksDB of its own beside the ledger
// (DIRECTORY/audit for the tool). It is derived from the log, except for the
// checkpoints and keys, which are the signers' statements about it.
//
// The tree is brought up to the ledger's head incrementally (CatchUp), like a
// projection. Only the process that holds the ledger open may open its store.
// Thread safety: reads may run concurrently; CatchUp and AddCheckpoint are
// serialized internally.
class AuditStore {
 public:
  // Opens the store in `directory` for `ledger` (not owned; it must outlive
  // the store), creating it, all at once, when the directory does not exist
  // or is empty. DataLoss when the store was built from another log (its
  // recorded chain hash at the last indexed sequence differs from the
  // ledger's), and, with nothing changed, when the directory holds a damaged
  // store (files without their CURRENT) or other files: signed checkpoints
  // cannot be made again, so no store is created over them.
  // Internal/Unavailable for storage errors.
  static absl::StatusOr<std::unique_ptr<AuditStore>> Open(const std::string& directory,
                                                          const Ledger* ledger);
  virtual ~AuditStore() = default;

  // Adds every event up to the ledger's head to the tree; returns its size.
  // DataLoss naming the sequence when the ledger cannot be read back in
  // order.
  virtual absl::StatusOr<uint64_t> CatchUp() = 0;

  // The number of events in the tree.
  virtual uint64_t tree_size() const = 0;

  // The root of the tree of `tree_size` events (0 <= tree_size <=
  // tree_size()). OutOfRange past what is indexed.
  virtual absl::StatusOr<Hash> Root(uint64_t tree_size) const = 0;

  // The peaks of the tree of `tree_size` events (see MerkleFrontier), from
  // which a verifier continues the tree: an audit bundle that starts after
  // sequence 1 carries those of the sequence before it.
  virtual absl::StatusOr<std::vector<Hash>> Peaks(uint64_t tree_size) const = 0;

  // Proofs from the stored nodes, in O(log n) reads. InvalidArgument for
  // sequences or sizes out of order; OutOfRange past what is indexed.
  // ProveInclusion also copies the event's canonical bytes, which a proof
  // document carries, into `*canonical_bytes` unless it is null: they come
  // with the same read of the ledger.
  virtual absl::StatusOr<InclusionProof> ProveInclusion(uint64_t sequence, uint64_t tree_size,
                                                        std::string* canonical_bytes) const = 0;
  absl::StatusOr<InclusionProof> ProveInclusion(uint64_t sequence, uint64_t tree_size) const {
    return ProveInclusion(sequence, tree_size, nullptr);
  }
  virtual absl::StatusOr<ConsistencyProof> ProveConsistency(uint64_t old_size,
                                                            uint64_t new_size) const = 0;

  // Stores a signed checkpoint and its signer's key after checking that the
  // signature is `signer`'s over the record and that the record names it.
  // Returns the checkpoint's number. DataLoss for a bad signature,
  // InvalidArgument for a record that does not decode or names another key.
  virtual absl::StatusOr<uint64_t> AddCheckpoint(absl::string_view record,
                                                 absl::string_view signature,
                                                 const PublicKey& signer) = 0;

  // Every stored checkpoint, by number.
  virtual absl::StatusOr<std::vector<SignedCheckpoint>> Checkpoints() const = 0;

  // The public key of a signer of a stored checkpoint. NotFound if none.
  virtual absl::StatusOr<PublicKey> SignerKey(const Hash& fingerprint) const = 0;
};

// ---------------------------------------------------------------------------
// Proof documents: a proof together with the signed checkpoints it is
// against, as the text `loyalty prove` writes and `loyalty check-proof` and
// tools/verify_bundle.py check offline (docs/audit-format.md, "Proofs").

struct ProofDocument {
  enum class Kind { kInclusion, kConsistency };
  Kind kind = Kind::kInclusion;
  // kInclusion: the proof and the event's canonical bytes, against
  // checkpoints[0], whose sequence is the proof's tree size.
  InclusionProof inclusion;
  std::string event_bytes;
  // kConsistency: the proof, against checkpoints[0] (old_size) and
  // checkpoints[1] (new_size).
  ConsistencyProof consistency;
  std::vector<SignedCheckpoint> checkpoints;
};

// The document's text. Every checkpoint's `record` and `signature` are
// written as they are (its `checkpoint` is not consulted).
std::string EncodeProofDocument(const ProofDocument& document);

// Reads a document. InvalidArgument unless `text` is exactly the encoding of
// what it holds; checkpoints are decoded from their records.
absl::StatusOr<ProofDocument> DecodeProofDocument(absl::string_view text);

// Checks a document offline, trusting only `trusted_key`: every checkpoint
// names that key and carries its valid signature; the tree sizes are the
// checkpoints' sequences; for inclusion, the leaf hash of `event_bytes`
// leads along the path to the checkpoint's Merkle root; for consistency, the
// path joins the old and the new checkpoint's roots. DataLoss saying which
// check failed, a sequence or size out of range and an over-long path
// included (the proof does not hold); InvalidArgument for a document with
// the wrong number of checkpoints for its kind.
absl::Status CheckProofDocument(const ProofDocument& document, const PublicKey& trusted_key);

// ---------------------------------------------------------------------------
// Recomputing from the log.

// What one point of the log is, recomputed from its events alone.
struct LogFigures {
  uint64_t sequence = 0;
  Hash chain_head{};
  Hash merkle_root{};
  // Empty unless asked for; those of AsOf::Sequence(sequence) (evaluated at
  // the business time of event `sequence`), as a checkpoint records them.
  std::vector<ProjectionDigest> projection_digests;
};

// Reads events 1..max(sequences) once, recomputing the chain from the bytes
// (checking it against the hashes the ledger stored and against each
// envelope's sequence and previous_hash), the Merkle tree and, with
// `with_digests`, every projection replayed into a fresh state; returns the
// figures at each of `sequences` (in the order given; 0 is the empty log).
// DataLoss naming the first sequence whose event is missing, misplaced,
// undecodable or does not chain; OutOfRange for a sequence past the head.
absl::StatusOr<std::vector<LogFigures>> RecomputeLogFigures(const Ledger& ledger,
                                                            absl::Span<const uint64_t> sequences,
                                                            bool with_digests);

// Makes, signs and stores a checkpoint of events 1..sequence (at most the
// head), dated `signed_at_us`: recomputes the figures from the log, checks
// that the store's Merkle root agrees (DataLoss if not: the store is damaged)
// and adds the record. The store is caught up first.
absl::StatusOr<SignedCheckpoint> SignCheckpoint(const Ledger& ledger, AuditStore& store,
                                                const SigningKey& key, uint64_t sequence,
                                                int64_t signed_at_us);

// The outcome of checking one checkpoint against the log.
struct CheckpointCheck {
  uint64_t number = 0;
  uint64_t sequence = 0;
  // OK, or why it fails: DataLoss naming the checkpoint and what differs.
  absl::Status status;
};

// Checks every checkpoint: its record decodes, it names `trusted_key` and the
// signature is that key's; then, in one pass over the log, that the chain
// head, the Merkle root and (with `with_digests`) every projection digest
// recomputed from the log equal the recorded ones. Returns one result per
// checkpoint. The call itself fails only when the log cannot be read to the
// end of the checkpoints: DataLoss naming the first bad sequence (altered,
// missing or misplaced), OutOfRange for a checkpoint past the head.
absl::StatusOr<std::vector<CheckpointCheck>> VerifyCheckpoints(
    const Ledger& ledger, absl::Span<const SignedCheckpoint> checkpoints,
    const PublicKey& trusted_key, bool with_digests);

// The whole program as of business time `instant_us`: a replay into fresh
// projections of the events whose occurred_at_us <= instant_us, from the
// whole log, in sequence order (whenever they were recorded), evaluated at
// `instant_us` (expiry and tier re-evaluation up to it): what
// Engine::Program(AsOf::BusinessTime(instant_us)) returns. The view's
// as_of_sequence is the last event applied; `events_applied` (optional)
// receives how many were. An event that occurred by then but was decided on
// a state that included one that occurred later (a redemption of points a
// later purchase earned) is applied as far as the rule it then breaks
// allows, and recorded as an anomaly (docs/reliability.md, "Events that
// break a rule"), as in any replay.
absl::StatusOr<ProgramView> ReplayAsOfBusinessTime(const Ledger& ledger, int64_t instant_us,
                                                   uint64_t* events_applied = nullptr);

// Replays the events of an audit bundle (written by WriteAuditBundle, from
// sequence 1) into fresh projections, as the engine replays its ledger, so
// that an auditor who holds only the bundle gets the same state and digests:
//  AsOf::Sequence(n): events 1..n (n clamped to the bundle's last),
//    evaluated at the business time of the last of them;
//  AsOf::RecordedTime(t): the events recorded (ledger time) at or before t,
//    then evaluated at t;
//  AsOf::BusinessTime(t): the events of the bundle that occurred at or
//    before t, then evaluated at t, as ReplayAsOfBusinessTime;
//  AsOf::Now(): every event of the bundle, as AsOf::Sequence of the last.
// Each as Engine::Program with the same AsOf on the ledger the bundle was
// written from (AsOf::Now aside).
// While reading, each event's sequence and previous_hash are checked against
// its place and the chain recomputed from the bundle's bytes: DataLoss naming
// the first sequence that does not fit. It checks no signature: verify the
// bundle (tools/verify_bundle.py) first. InvalidArgument for a bundle that
// does not start at sequence 1; Unavailable when its files cannot be read.
absl::StatusOr<ProgramView> ReplayBundle(const std::string& bundle_directory, AsOf as_of,
                                         uint64_t* events_applied = nullptr);

// ---------------------------------------------------------------------------
// Schema history: the descriptor sets of the schemas in force, recorded in
// the log as SchemaRegistered events on one stream, so that a replay years
// later decodes each event with the schema it was written under.

// The stream of SchemaRegistered events.
inline constexpr char kSchemaStreamId[] = "schema";

// The FileDescriptorSet of schemas/loyalty/v1 that this build was compiled
// from (`protoc --include_imports --descriptor_set_out`, without source
// info), serialized.
absl::string_view BuiltInDescriptorSet();

// SHA-256 of BuiltInDescriptorSet().
Hash BuiltInDescriptorSetSha256();

// A file this build carries for auditors, by its path in an audit bundle:
// "schemas/loyalty/v1/envelope.proto", "tools/verify_bundle.py", ...
struct BundledFile {
  std::string path;
  absl::string_view content;
};

// The .proto files of schemas/loyalty/v1 this build was compiled from, with
// paths "schemas/loyalty/v1/NAME.proto".
std::vector<BundledFile> BuiltInSchemaFiles();

// A descriptor set the log records.
struct RecordedSchema {
  uint64_t sequence = 0;
  int64_t recorded_at_us = 0;
  Hash descriptor_set_sha256{};
  std::string descriptor_set;
};

// Every SchemaRegistered event of the schema stream, in order. DataLoss when
// an event's descriptor_set_sha256 is not the SHA-256 of its descriptor set.
absl::StatusOr<std::vector<RecordedSchema>> RecordedSchemas(const Ledger& ledger);

struct SchemaRecordResult {
  // The event that records the built-in descriptor set.
  uint64_t sequence = 0;
  // False when the schema stream's latest event already recorded it.
  bool appended = false;
  Hash descriptor_set_sha256{};
};

// Appends a SchemaRegistered event holding BuiltInDescriptorSet() and its
// SHA-256 to the schema stream, unless the stream's latest event holds the
// same digest (idempotent). The ledger's errors otherwise; FailedPrecondition
// when another writer recorded a schema at the same moment.
absl::StatusOr<SchemaRecordResult> RecordBuiltInSchema(Ledger& ledger, absl::string_view actor_id,
                                                       int64_t occurred_at_us);

// ---------------------------------------------------------------------------
// Audit bundles: everything an auditor needs to check a range of the log
// without the engine (layout in docs/audit-format.md, "Audit bundle").

struct BundleSummary {
  uint64_t from_sequence = 0;
  uint64_t to_sequence = 0;
  Hash chain_start{};  // the chain hash of from_sequence - 1
  Hash chain_end{};    // the chain hash of to_sequence
  size_t checkpoints = 0;
  size_t recorded_schemas = 0;
};

// Writes the bundle of events from..to (to clamped to the head) into
// `directory`, which must not exist; it is written as "<directory>.partial"
// and renamed into place when complete. The store must be caught up to `to`.
// InvalidArgument for an empty range or an existing directory; Unavailable
// for I/O errors; the ledger's errors.
absl::StatusOr<BundleSummary> WriteAuditBundle(const Ledger& ledger, const AuditStore& store,
                                               const std::string& directory, uint64_t from_sequence,
                                               uint64_t to_sequence);

}  // namespace loyalty::audit

#endif  // LOYALTY_AUDIT_H_
