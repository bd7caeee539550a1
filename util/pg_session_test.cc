#include "util/pg_session.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::util {
namespace {

using ::testing::HasSubstr;

struct Mapping {
  const char* sqlstate;
  absl::StatusCode code;
};

// A caller acts on the code alone: retry, reconnect, or give up.
TEST(PgErrorStatusTest, MapsSqlStatesToTheCodeACallerActsOn) {
  const Mapping mappings[] = {
      {"08006", absl::StatusCode::kUnavailable},       // connection failure
      {"08003", absl::StatusCode::kUnavailable},       // connection does not exist
      {"57P01", absl::StatusCode::kUnavailable},       // admin shutdown
      {"57P03", absl::StatusCode::kUnavailable},       // cannot connect now
      {"25006", absl::StatusCode::kUnavailable},       // read-only: a standby
      {"40001", absl::StatusCode::kAborted},           // serialization failure
      {"40P01", absl::StatusCode::kAborted},           // deadlock
      {"55P03", absl::StatusCode::kAborted},           // lock not available
      {"23505", absl::StatusCode::kAlreadyExists},     // unique violation
      {"23514", absl::StatusCode::kFailedPrecondition},  // check violation
      {"22003", absl::StatusCode::kInvalidArgument},   // numeric out of range
      {"3D000", absl::StatusCode::kNotFound},          // no such database
      {"42P01", absl::StatusCode::kNotFound},          // no such table
      {"28P01", absl::StatusCode::kUnauthenticated},   // wrong password
      {"42501", absl::StatusCode::kPermissionDenied},  // insufficient privilege
      {"53100", absl::StatusCode::kResourceExhausted},  // disk full
      {"57014", absl::StatusCode::kCancelled},         // statement timeout
      {"XX001", absl::StatusCode::kDataLoss},          // data corrupted
      {"42601", absl::StatusCode::kInternal},          // syntax error: a bug here
  };
  for (const Mapping& mapping : mappings) {
    EXPECT_EQ(PgErrorStatus(mapping.sqlstate, "w", "m").code(), mapping.code) << mapping.sqlstate;
  }
}

TEST(PgErrorStatusTest, NamesWhatFailedTheSqlStateAndTheServersWords) {
  const absl::Status status =
      PgErrorStatus("23505", "appending", "duplicate key value violates unique constraint");
  EXPECT_EQ(status.message(),
            "appending: SQLSTATE 23505: duplicate key value violates unique constraint");
}

TEST(PgSessionTest, AServerThatCannotBeReachedIsUnavailable) {
  absl::StatusOr<std::unique_ptr<PgSession>> session =
      PgSession::Connect("host=/nonexistent-loyalty-socket-dir dbname=x connect_timeout=1");
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(session.status().message(), HasSubstr("SQLSTATE 08006"));
}

}  // namespace
}  // namespace loyalty::util
