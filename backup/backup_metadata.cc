#include "backup/backup_metadata.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::backup {
namespace {

absl::Status Bad(size_t line, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("backup metadata line ", line, ": ", what, " (the backup's record is damaged)"));
}

bool ParseHash(absl::string_view hex, Hash* hash) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    int byte = 0;
    for (const char c : hex.substr(2 * i, 2)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) || absl::ascii_isupper(c)) {
        return false;
      }
      byte = byte * 16 + (absl::ascii_isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    (*hash)[i] = static_cast<uint8_t>(byte);
  }
  return true;
}

bool IsOtherStore(absl::string_view name) {
  return std::find(std::begin(kOtherStores), std::end(kOtherStores), name) !=
         std::end(kOtherStores);
}

}  // namespace

std::string EncodeMetadata(const BackupMetadata& metadata) {
  std::string text = absl::StrCat(kMetadataFormat, "\n");
  absl::StrAppend(&text, "created_at_us ", metadata.created_at_us, "\n");
  absl::StrAppend(&text, "head_sequence ", metadata.head.sequence, "\n");
  absl::StrAppend(&text, "head_hash ", HashHex(metadata.head.hash), "\n");
  absl::StrAppend(&text, "head_recorded_at_us ", metadata.head.recorded_at_us, "\n");
  for (const auto& [store, backup_id] : metadata.parts) {
    absl::StrAppend(&text, store, " ", backup_id, "\n");
  }
  return text;
}

absl::StatusOr<BackupMetadata> DecodeMetadata(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty() || lines[0] != kMetadataFormat) {
    return Bad(1, absl::StrCat("expected the format \"", kMetadataFormat, "\""));
  }
  BackupMetadata metadata;
  bool seen[4] = {false, false, false, false};
  constexpr absl::string_view kFields[] = {"created_at_us", "head_sequence", "head_hash",
                                           "head_recorded_at_us"};
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    const auto& [name, value] = field;
    const auto known = std::find(std::begin(kFields), std::end(kFields), name);
    if (known != std::end(kFields)) {
      const size_t index = static_cast<size_t>(known - std::begin(kFields));
      if (seen[index]) return Bad(i + 1, absl::StrCat("\"", name, "\" repeated"));
      seen[index] = true;
      bool parsed = false;
      switch (index) {
        case 0: parsed = absl::SimpleAtoi(value, &metadata.created_at_us); break;
        case 1: parsed = absl::SimpleAtoi(value, &metadata.head.sequence); break;
        case 2: parsed = ParseHash(value, &metadata.head.hash); break;
        default: parsed = absl::SimpleAtoi(value, &metadata.head.recorded_at_us); break;
      }
      if (!parsed) return Bad(i + 1, absl::StrCat(name, ": \"", value, "\" does not read"));
      continue;
    }
    uint32_t backup_id = 0;
    if (!IsOtherStore(name) || !absl::SimpleAtoi(value, &backup_id) || backup_id == 0) {
      return Bad(i + 1, absl::StrCat("\"", lines[i], "\" is no field and no store's backup"));
    }
    for (const auto& part : metadata.parts) {
      if (part.first == name) return Bad(i + 1, absl::StrCat("store \"", name, "\" repeated"));
    }
    metadata.parts.emplace_back(std::string(name), backup_id);
  }
  for (size_t index = 0; index < 4; ++index) {
    if (!seen[index]) return Bad(lines.size(), absl::StrCat("\"", kFields[index], "\" missing"));
  }
  return metadata;
}

}  // namespace loyalty::backup
