// The C API (include/loyalty/c.h) over loyalty::Engine.
//
// Each function turns its C arguments into a command or a query, calls the
// engine and turns the absl::Status into an int code and a per-thread
// message. Nothing may escape into C: every body runs inside Guard(), which
// turns an exception (std::bad_alloc from a container, say) into a code.
#include "loyalty/c.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "loyalty/backup.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/metrics.h"
#include "loyalty/privacy.h"
#include "loyalty/views.h"

#ifndef LOYALTY_VERSION_STRING
#error "LOYALTY_VERSION_STRING must be defined by the build"
#endif

struct loyalty_engine {
  std::unique_ptr<loyalty::Engine> engine;
};

struct loyalty_cursor {
  std::unique_ptr<loyalty::Cursor> cursor;
  // Events read ahead from the ledger's cursor, handed out one by one.
  std::vector<loyalty::v1::Envelope> pending;
  size_t next_pending = 0;
};

namespace {

// The message of the last error on this thread; see loyalty_last_error().
thread_local std::string last_error_message;

// The last absl::StatusCode; codes past it are reported as UNKNOWN.
constexpr int kLastStatusCode = LOYALTY_UNAUTHENTICATED;

// The years a birth date may name: CivilDay can hold more, people cannot.
constexpr int32_t kMinBirthYear = 1850;
constexpr int32_t kMaxBirthYear = 9999;

int Report(const absl::Status& status) {
  if (status.ok()) {
    last_error_message.clear();
    return LOYALTY_OK;
  }
  last_error_message = std::string(status.message());
  const int code = static_cast<int>(status.code());
  return code > 0 && code <= kLastStatusCode ? code : LOYALTY_UNKNOWN;
}

// Runs `body` (returning absl::Status) with every exception caught.
template <typename Body>
int Guard(Body body) {
  try {
    return Report(body());
  } catch (const std::bad_alloc&) {
    return Report(absl::ResourceExhaustedError("out of memory"));
  } catch (const std::exception& exception) {
    return Report(absl::InternalError(absl::StrCat("unexpected exception: ", exception.what())));
  } catch (...) {
    return Report(absl::UnknownError("unexpected exception of an unknown type"));
  }
}

// Copies a C string argument (data, length) into *out; NULL is the empty
// text only with length 0. `field` names it in the error.
absl::Status ReadText(absl::string_view field, const char* data, size_t length,
                      std::string* out) {
  if (data == nullptr) {
    if (length != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": NULL pointer with length ", length));
    }
    out->clear();
    return absl::OkStatus();
  }
  out->assign(data, length);
  return absl::OkStatus();
}

absl::Status CheckEngine(const loyalty_engine* engine) {
  if (engine == nullptr || engine->engine == nullptr) {
    return absl::InvalidArgumentError("engine: NULL");
  }
  return absl::OkStatus();
}

// A birth date of three zeros is "none"; anything else must be a calendar
// day.
absl::Status SetBirthDate(int32_t year, int32_t month, int32_t day, loyalty::v1::Personal& personal) {
  if (year == 0 && month == 0 && day == 0) return absl::OkStatus();
  const absl::CivilDay civil(year, month, day);
  if (year < kMinBirthYear || year > kMaxBirthYear || civil.year() != year ||
      civil.month() != month || civil.day() != day) {
    return absl::InvalidArgumentError(absl::StrCat("birth date: ", year, "-", month, "-", day,
                                                   " is not a calendar day in [",
                                                   kMinBirthYear, ", ", kMaxBirthYear, "]"));
  }
  loyalty::v1::LocalDate& birth = *personal.mutable_plain()->mutable_birth_date();
  birth.set_year(year);
  birth.set_month(month);
  birth.set_day(day);
  return absl::OkStatus();
}

absl::Status Execute(loyalty_engine* engine, const auto& command,
                     loyalty_command_result* result_out) {
  absl::StatusOr<loyalty::CommandResult> result = engine->engine->Execute(command);
  if (!result.ok()) return result.status();
  if (result_out != nullptr) {
    loyalty_command_result out{};
    if (!result->sequences.empty()) {
      out.first_sequence = static_cast<int64_t>(result->sequences.front());
      out.last_sequence = static_cast<int64_t>(result->sequences.back());
    }
    out.deduplicated = result->deduplicated ? 1 : 0;
    *result_out = out;
  }
  return absl::OkStatus();
}

// A directory argument of the backup functions: text, and not empty.
absl::Status ReadDirectory(absl::string_view field, const char* data, size_t length,
                           std::string* out) {
  absl::Status status = ReadText(field, data, length, out);
  if (status.ok() && out->empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  return status;
}

void CopyBackupInfo(const loyalty::BackupInfo& info, loyalty_backup_info* out) {
  if (out == nullptr) return;
  loyalty_backup_info copy{};
  copy.backup_id = info.backup_id;
  copy.head_sequence = static_cast<int64_t>(info.head.sequence);
  const std::string hex = loyalty::HashHex(info.head.hash);
  std::memcpy(copy.head_hash_hex, hex.c_str(), LOYALTY_HASH_HEX_SIZE);
  copy.created_at_us = info.created_at_us;
  copy.size_bytes = info.size_bytes;
  copy.copied_bytes = info.copied_bytes;
  copy.appends_held_us = info.appends_held_us;
  *out = copy;
}

}  // namespace

extern "C" {

const char* loyalty_code_name(int code) {
  switch (code) {
    case LOYALTY_OK: return "OK";
    case LOYALTY_CANCELLED: return "CANCELLED";
    case LOYALTY_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case LOYALTY_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case LOYALTY_NOT_FOUND: return "NOT_FOUND";
    case LOYALTY_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case LOYALTY_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case LOYALTY_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case LOYALTY_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case LOYALTY_ABORTED: return "ABORTED";
    case LOYALTY_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case LOYALTY_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case LOYALTY_INTERNAL: return "INTERNAL";
    case LOYALTY_UNAVAILABLE: return "UNAVAILABLE";
    case LOYALTY_DATA_LOSS: return "DATA_LOSS";
    case LOYALTY_UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

const char* loyalty_last_error(size_t* length) {
  if (length != nullptr) *length = last_error_message.size();
  return last_error_message.c_str();
}

const char* loyalty_version(void) { return LOYALTY_VERSION_STRING; }

int loyalty_engine_open(const char* directory, size_t directory_length, int sync,
                        loyalty_engine** engine_out) {
  return Guard([&]() -> absl::Status {
    if (engine_out == nullptr) return absl::InvalidArgumentError("engine_out: NULL");
    std::string path;
    absl::Status status = ReadText("directory", directory, directory_length, &path);
    if (!status.ok()) return status;
    if (path.empty()) return absl::InvalidArgumentError("directory: empty");
    loyalty::EngineOptions options;
    options.ledger.sync = sync != 0;
    // The master key sits beside the directory, never inside it
    // (docs/privacy.md); a new one is made on first use.
    const std::string key_path = loyalty::DefaultMasterKeyPath(path);
    absl::StatusOr<std::string> created = loyalty::CreateMasterKeyFile(key_path);
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
    options.master_key = loyalty::MasterKeyFromFile(key_path);
    absl::StatusOr<std::unique_ptr<loyalty::Engine>> opened =
        loyalty::Engine::Open(path, options);
    if (!opened.ok()) return opened.status();
    auto handle = std::make_unique<loyalty_engine>();
    handle->engine = std::move(*opened);
    *engine_out = handle.release();
    return absl::OkStatus();
  });
}

void loyalty_engine_close(loyalty_engine* engine) {
  // The engine's destructor saves the checkpoint and cannot report; a lost
  // checkpoint costs only a longer catch-up at the next open.
  Guard([&]() -> absl::Status {
    delete engine;
    return absl::OkStatus();
  });
}

int loyalty_enrol_member(loyalty_engine* engine, const char* member_id, size_t member_id_length,
                         const char* name, size_t name_length, const char* phone,
                         size_t phone_length, int32_t birth_year, int32_t birth_month,
                         int32_t birth_day, int64_t occurred_at_us, const char* actor_id,
                         size_t actor_id_length, loyalty_command_result* result_out) {
  return Guard([&]() -> absl::Status {
    loyalty::EnrolMember command;
    std::string name_text;
    std::string phone_text;
    absl::Status status = CheckEngine(engine);
    if (status.ok()) {
      status = ReadText("member_id", member_id, member_id_length, &command.member_id);
    }
    if (status.ok()) status = ReadText("name", name, name_length, &name_text);
    if (status.ok()) status = ReadText("phone", phone, phone_length, &phone_text);
    if (status.ok()) status = SetBirthDate(birth_year, birth_month, birth_day, command.personal);
    if (status.ok()) status = ReadText("actor_id", actor_id, actor_id_length, &command.actor_id);
    if (!status.ok()) return status;
    if (!name_text.empty()) command.personal.mutable_plain()->set_name(std::move(name_text));
    if (!phone_text.empty()) command.personal.mutable_plain()->set_phone(std::move(phone_text));
    command.occurred_at_us = occurred_at_us;
    return Execute(engine, command, result_out);
  });
}

int loyalty_record_purchase(loyalty_engine* engine, const char* purchase_id,
                            size_t purchase_id_length, const char* member_id,
                            size_t member_id_length, const char* partner_id,
                            size_t partner_id_length, int64_t amount_fen, const char* category,
                            size_t category_length, int64_t occurred_at_us, const char* actor_id,
                            size_t actor_id_length, loyalty_command_result* result_out) {
  return Guard([&]() -> absl::Status {
    loyalty::RecordPurchase command;
    absl::Status status = CheckEngine(engine);
    if (status.ok()) {
      status = ReadText("purchase_id", purchase_id, purchase_id_length, &command.purchase_id);
    }
    if (status.ok()) {
      status = ReadText("member_id", member_id, member_id_length, &command.member_id);
    }
    if (status.ok()) {
      status = ReadText("partner_id", partner_id, partner_id_length, &command.partner_id);
    }
    if (status.ok()) status = ReadText("category", category, category_length, &command.category);
    if (status.ok()) status = ReadText("actor_id", actor_id, actor_id_length, &command.actor_id);
    if (!status.ok()) return status;
    command.amount_fen = amount_fen;
    command.occurred_at_us = occurred_at_us;
    return Execute(engine, command, result_out);
  });
}

int loyalty_record_refund(loyalty_engine* engine, const char* refund_id, size_t refund_id_length,
                          const char* purchase_id, size_t purchase_id_length, int64_t amount_fen,
                          int64_t occurred_at_us, const char* actor_id, size_t actor_id_length,
                          loyalty_command_result* result_out) {
  return Guard([&]() -> absl::Status {
    loyalty::RecordRefund command;
    absl::Status status = CheckEngine(engine);
    if (status.ok()) {
      status = ReadText("refund_id", refund_id, refund_id_length, &command.refund_id);
    }
    if (status.ok()) {
      status = ReadText("purchase_id", purchase_id, purchase_id_length, &command.purchase_id);
    }
    if (status.ok()) status = ReadText("actor_id", actor_id, actor_id_length, &command.actor_id);
    if (!status.ok()) return status;
    command.amount_fen = amount_fen;
    command.occurred_at_us = occurred_at_us;
    return Execute(engine, command, result_out);
  });
}

int loyalty_redeem(loyalty_engine* engine, const char* redemption_id,
                   size_t redemption_id_length, const char* member_id, size_t member_id_length,
                   int64_t points, const char* reward, size_t reward_length,
                   int64_t occurred_at_us, const char* actor_id, size_t actor_id_length,
                   loyalty_command_result* result_out) {
  return Guard([&]() -> absl::Status {
    loyalty::Redeem command;
    absl::Status status = CheckEngine(engine);
    if (status.ok()) {
      status =
          ReadText("redemption_id", redemption_id, redemption_id_length, &command.redemption_id);
    }
    if (status.ok()) {
      status = ReadText("member_id", member_id, member_id_length, &command.member_id);
    }
    if (status.ok()) status = ReadText("reward", reward, reward_length, &command.reward);
    if (status.ok()) status = ReadText("actor_id", actor_id, actor_id_length, &command.actor_id);
    if (!status.ok()) return status;
    command.points = points;
    command.occurred_at_us = occurred_at_us;
    return Execute(engine, command, result_out);
  });
}

int loyalty_member_balance(loyalty_engine* engine, const char* member_id, size_t member_id_length,
                           int64_t as_of_sequence, loyalty_balance* balance_out) {
  return Guard([&]() -> absl::Status {
    absl::Status status = CheckEngine(engine);
    if (!status.ok()) return status;
    if (balance_out == nullptr) return absl::InvalidArgumentError("balance_out: NULL");
    if (as_of_sequence < 0 && as_of_sequence != LOYALTY_AS_OF_NOW) {
      return absl::InvalidArgumentError(absl::StrCat(
          "as_of_sequence: ", as_of_sequence, " is neither >= 0 nor LOYALTY_AS_OF_NOW (-1)"));
    }
    std::string id;
    status = ReadText("member_id", member_id, member_id_length, &id);
    if (!status.ok()) return status;
    const loyalty::AsOf as_of = as_of_sequence == LOYALTY_AS_OF_NOW
                                    ? loyalty::AsOf::Now()
                                    : loyalty::AsOf::Sequence(static_cast<uint64_t>(as_of_sequence));
    absl::StatusOr<loyalty::MemberView> view = engine->engine->Member(id, as_of);
    if (!view.ok()) return view.status();
    loyalty_balance out{};
    out.available_points = view->available_points;
    out.debt_points = view->debt_points;
    out.qualifying_spend_fen = view->qualifying_spend_fen;
    out.as_of_sequence = static_cast<int64_t>(view->as_of_sequence);
    out.tier = static_cast<int32_t>(view->tier);
    *balance_out = out;
    return absl::OkStatus();
  });
}

int loyalty_head(loyalty_engine* engine, int64_t* sequence_out, char* hash_hex_out) {
  return Guard([&]() -> absl::Status {
    absl::Status status = CheckEngine(engine);
    if (!status.ok()) return status;
    const loyalty::ChainHead head = engine->engine->ledger().Head();
    if (sequence_out != nullptr) *sequence_out = static_cast<int64_t>(head.sequence);
    if (hash_hex_out != nullptr) {
      const std::string hex = loyalty::HashHex(head.hash);
      static_assert(LOYALTY_HASH_HEX_SIZE == 2 * sizeof(loyalty::Hash) + 1);
      std::memcpy(hash_hex_out, hex.c_str(), LOYALTY_HASH_HEX_SIZE);
    }
    return absl::OkStatus();
  });
}

int loyalty_verify(loyalty_engine* engine) {
  return Guard([&]() -> absl::Status {
    absl::Status status = CheckEngine(engine);
    if (!status.ok()) return status;
    return engine->engine->ledger().Verify(1, std::numeric_limits<uint64_t>::max());
  });
}

int loyalty_backup(loyalty_engine* engine, const char* backup_directory,
                   size_t backup_directory_length, loyalty_backup_info* info_out) {
  return Guard([&]() -> absl::Status {
    absl::Status status = CheckEngine(engine);
    if (!status.ok()) return status;
    std::string path;
    status = ReadDirectory("backup_directory", backup_directory, backup_directory_length, &path);
    if (!status.ok()) return status;
    absl::StatusOr<loyalty::BackupInfo> info = engine->engine->Backup(path);
    if (!info.ok()) return info.status();
    CopyBackupInfo(*info, info_out);
    return absl::OkStatus();
  });
}

int loyalty_backup_verify(const char* backup_directory, size_t backup_directory_length,
                          uint32_t backup_id) {
  return Guard([&]() -> absl::Status {
    std::string path;
    absl::Status status =
        ReadDirectory("backup_directory", backup_directory, backup_directory_length, &path);
    if (!status.ok()) return status;
    return loyalty::VerifyBackup(path, backup_id).status();
  });
}

int loyalty_restore(const char* backup_directory, size_t backup_directory_length,
                    uint32_t backup_id, const char* ledger_directory,
                    size_t ledger_directory_length, loyalty_backup_info* info_out) {
  return Guard([&]() -> absl::Status {
    std::string from;
    std::string to;
    absl::Status status =
        ReadDirectory("backup_directory", backup_directory, backup_directory_length, &from);
    if (status.ok()) {
      status = ReadDirectory("ledger_directory", ledger_directory, ledger_directory_length, &to);
    }
    if (!status.ok()) return status;
    absl::StatusOr<loyalty::BackupInfo> info = loyalty::RestoreBackup(from, backup_id, to);
    if (!info.ok()) return info.status();
    CopyBackupInfo(*info, info_out);
    return absl::OkStatus();
  });
}

void loyalty_free(void* pointer) { std::free(pointer); }

int loyalty_cursor_open(loyalty_engine* engine, int64_t after_sequence,
                        loyalty_cursor** cursor_out) {
  return Guard([&]() -> absl::Status {
    absl::Status status = CheckEngine(engine);
    if (!status.ok()) return status;
    if (cursor_out == nullptr) return absl::InvalidArgumentError("cursor_out: NULL");
    if (after_sequence < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("after_sequence: ", after_sequence, " is negative"));
    }
    auto handle = std::make_unique<loyalty_cursor>();
    handle->cursor = engine->engine->ledger().NewCursor(static_cast<uint64_t>(after_sequence));
    *cursor_out = handle.release();
    return absl::OkStatus();
  });
}

int loyalty_cursor_next(loyalty_cursor* cursor, int64_t wait_ms, int64_t* sequence_out,
                        uint8_t** envelope_out, size_t* length_out) {
  return Guard([&]() -> absl::Status {
    if (cursor == nullptr || cursor->cursor == nullptr) {
      return absl::InvalidArgumentError("cursor: NULL");
    }
    if (sequence_out == nullptr || envelope_out == nullptr || length_out == nullptr) {
      return absl::InvalidArgumentError("sequence_out, envelope_out and length_out: one is NULL");
    }
    if (wait_ms < 0) return absl::InvalidArgumentError(absl::StrCat("wait_ms: ", wait_ms, " < 0"));
    // Read ahead in chunks: one call into the ledger per event would cost a
    // read per event.
    constexpr size_t kReadAheadEvents = 256;
    if (cursor->next_pending == cursor->pending.size()) {
      absl::StatusOr<std::vector<loyalty::v1::Envelope>> events =
          cursor->cursor->Next(kReadAheadEvents, absl::Milliseconds(wait_ms));
      if (!events.ok()) return events.status();
      cursor->pending = std::move(*events);
      cursor->next_pending = 0;
    }
    if (cursor->pending.empty()) {
      *sequence_out = 0;
      *envelope_out = nullptr;
      *length_out = 0;
      return absl::OkStatus();
    }
    const loyalty::v1::Envelope& envelope = cursor->pending[cursor->next_pending];
    std::string bytes;
    {
      google::protobuf::io::StringOutputStream stream(&bytes);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      if (!envelope.SerializeToCodedStream(&coded)) {
        return absl::InternalError(
            absl::StrCat("event ", envelope.sequence(), ": could not be serialized"));
      }
    }
    // malloc(0) may return NULL: allocate at least a byte.
    auto* copy = static_cast<uint8_t*>(std::malloc(bytes.empty() ? 1 : bytes.size()));
    if (copy == nullptr) return absl::ResourceExhaustedError("out of memory");
    std::memcpy(copy, bytes.data(), bytes.size());
    ++cursor->next_pending;
    *sequence_out = static_cast<int64_t>(envelope.sequence());
    *envelope_out = copy;
    *length_out = bytes.size();
    return absl::OkStatus();
  });
}

void loyalty_cursor_close(loyalty_cursor* cursor) {
  Guard([&]() -> absl::Status {
    delete cursor;
    return absl::OkStatus();
  });
}

int loyalty_metrics_prometheus(loyalty_engine* engine, char** text_out, size_t* length_out) {
  return Guard([&]() -> absl::Status {
    absl::Status status = CheckEngine(engine);
    if (!status.ok()) return status;
    if (text_out == nullptr) return absl::InvalidArgumentError("text_out: NULL");
    const std::string text = loyalty::ToPrometheusText(engine->engine->Metrics());
    auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) return absl::ResourceExhaustedError("out of memory");
    std::memcpy(copy, text.c_str(), text.size() + 1);
    *text_out = copy;
    if (length_out != nullptr) *length_out = text.size();
    return absl::OkStatus();
  });
}

}  // extern "C"
