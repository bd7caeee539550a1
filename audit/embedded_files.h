// Files compiled into the binary at build time (audit/embed_files.cmake):
// the schemas, their descriptor set, the audit format and the Python
// verifier. Internal to audit/.
#ifndef LOYALTY_AUDIT_EMBEDDED_FILES_H_
#define LOYALTY_AUDIT_EMBEDDED_FILES_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace loyalty::audit::internal {

struct EmbeddedFile {
  // The file's path in an audit bundle, e.g. "schemas/loyalty/v1/envelope.proto".
  const char* path;
  const unsigned char* data;
  size_t size;

  absl::string_view content() const {
    return absl::string_view(reinterpret_cast<const char*>(data), size);
  }
};

// Every embedded file, in the order they were listed at build time.
absl::Span<const EmbeddedFile> EmbeddedFiles();

}  // namespace loyalty::audit::internal

#endif  // LOYALTY_AUDIT_EMBEDDED_FILES_H_
