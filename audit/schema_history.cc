// The schemas this build carries, and their history in the log.
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "audit/embedded_files.h"
#include "loyalty/audit.h"
#include "util/sha256.h"

namespace loyalty::audit {
namespace {

constexpr char kDescriptorSetPath[] = "schemas/descriptor_set.binpb";
constexpr char kSchemaFilesPrefix[] = "schemas/loyalty/v1/";

}  // namespace

absl::string_view BuiltInDescriptorSet() {
  for (const internal::EmbeddedFile& file : internal::EmbeddedFiles()) {
    if (absl::string_view(file.path) == kDescriptorSetPath) return file.content();
  }
  return absl::string_view();
}

Hash BuiltInDescriptorSetSha256() { return util::Sha256(BuiltInDescriptorSet()); }

std::vector<BundledFile> BuiltInSchemaFiles() {
  std::vector<BundledFile> files;
  for (const internal::EmbeddedFile& file : internal::EmbeddedFiles()) {
    if (absl::StartsWith(file.path, kSchemaFilesPrefix) && absl::EndsWith(file.path, ".proto")) {
      files.push_back({file.path, file.content()});
    }
  }
  return files;
}

absl::StatusOr<std::vector<RecordedSchema>> RecordedSchemas(const Ledger& ledger) {
  std::vector<RecordedSchema> schemas;
  absl::Status status =
      ledger.ScanStream(kSchemaStreamId, 1, [&](const v1::Envelope& envelope) -> absl::Status {
        if (!envelope.event().has_schema_registered()) return absl::OkStatus();
        const v1::SchemaRegistered& registered = envelope.event().schema_registered();
        RecordedSchema schema;
        schema.sequence = envelope.sequence();
        schema.recorded_at_us = envelope.recorded_at_us();
        schema.descriptor_set = registered.descriptor_set();
        schema.descriptor_set_sha256 = util::Sha256(schema.descriptor_set);
        if (registered.descriptor_set_sha256() !=
            util::DigestBytes(schema.descriptor_set_sha256)) {
          return absl::DataLossError(absl::StrCat(
              "sequence ", envelope.sequence(),
              ": descriptor_set_sha256 is not the SHA-256 of the descriptor set it records"));
        }
        schemas.push_back(std::move(schema));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return schemas;
}

absl::StatusOr<SchemaRecordResult> RecordBuiltInSchema(Ledger& ledger, absl::string_view actor_id,
                                                       int64_t occurred_at_us) {
  const absl::string_view descriptor_set = BuiltInDescriptorSet();
  if (descriptor_set.empty()) {
    return absl::InternalError("this build carries no descriptor set of its schemas");
  }
  SchemaRecordResult result;
  result.descriptor_set_sha256 = BuiltInDescriptorSetSha256();
  absl::StatusOr<std::vector<RecordedSchema>> recorded = RecordedSchemas(ledger);
  if (!recorded.ok()) return recorded.status();
  if (!recorded->empty() &&
      recorded->back().descriptor_set_sha256 == result.descriptor_set_sha256) {
    result.sequence = recorded->back().sequence;
    return result;
  }
  absl::StatusOr<uint64_t> version = ledger.StreamVersion(kSchemaStreamId);
  if (!version.ok()) return version.status();
  v1::Envelope envelope;
  envelope.set_stream_id(kSchemaStreamId);
  // One key per position in the stream: recording a schema again after
  // another one (a rollback) is a new event, a retry of the same is not.
  envelope.set_idempotency_key(
      absl::StrCat("schema/", *version + 1, "/", HashHex(result.descriptor_set_sha256)));
  envelope.set_occurred_at_us(occurred_at_us);
  envelope.set_actor_id(std::string(actor_id));
  v1::SchemaRegistered* registered = envelope.mutable_event()->mutable_schema_registered();
  registered->set_descriptor_set(std::string(descriptor_set));
  registered->set_descriptor_set_sha256(
      std::string(util::DigestBytes(result.descriptor_set_sha256)));
  AppendBatch batch;
  batch.Add(std::move(envelope));
  batch.ExpectVersion(kSchemaStreamId, *version);
  absl::StatusOr<AppendResult> appended = ledger.Append(batch);
  if (!appended.ok()) return appended.status();
  result.sequence = appended->sequences.at(0);
  result.appended = !appended->deduplicated;
  return result;
}

}  // namespace loyalty::audit
