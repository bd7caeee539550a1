/* The C API (include/loyalty/c.h), compiled as C and linked against
 * libloyalty_ledger.so exactly as a C program would: commands, balances,
 * the head and verification, the pull cursor, the metrics, the codes and
 * messages of its errors, and personal data stored only sealed.
 *
 * Each CHECK prints the failing line and counts it; main returns non-zero
 * if any failed. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loyalty/c.h"

static int failures = 0;

#define CHECK(condition)                                                     \
  do {                                                                       \
    if (!(condition)) {                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,       \
              #condition);                                                   \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

/* A call that must succeed; on failure shows the code and the message. */
#define CHECK_OK(call)                                                       \
  do {                                                                       \
    int code_ = (call);                                                      \
    if (code_ != LOYALTY_OK) {                                               \
      fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__,    \
              #call, loyalty_code_name(code_), loyalty_last_error(NULL));    \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

/* A call that must fail with `expected` and a message containing `text`. */
#define CHECK_ERROR(call, expected, text)                                    \
  do {                                                                       \
    int code_ = (call);                                                      \
    const char* message_ = loyalty_last_error(NULL);                         \
    if (code_ != (expected) || strstr(message_, (text)) == NULL) {           \
      fprintf(stderr, "%s:%d: %s returned %s \"%s\", want %s with \"%s\"\n", \
              __FILE__, __LINE__, #call, loyalty_code_name(code_), message_, \
              loyalty_code_name(expected), (text));                          \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

/* Literal strings as the API takes them: pointer and length. */
#define S(literal) literal, (sizeof(literal) - 1)

static const int64_t kHourUs = 3600LL * 1000000;

static int64_t NowUs(void) { return (int64_t)time(NULL) * 1000000; }

static void TestCodesAndVersion(void) {
  CHECK(strcmp(loyalty_code_name(LOYALTY_OK), "OK") == 0);
  CHECK(strcmp(loyalty_code_name(LOYALTY_FAILED_PRECONDITION), "FAILED_PRECONDITION") == 0);
  CHECK(strcmp(loyalty_code_name(LOYALTY_DATA_LOSS), "DATA_LOSS") == 0);
  CHECK(strcmp(loyalty_code_name(99), "UNKNOWN") == 0);
  /* absl::StatusCode's numbers. */
  CHECK(LOYALTY_INVALID_ARGUMENT == 3 && LOYALTY_NOT_FOUND == 5 && LOYALTY_ALREADY_EXISTS == 6 &&
        LOYALTY_FAILED_PRECONDITION == 9 && LOYALTY_DATA_LOSS == 15);
  CHECK(strlen(loyalty_version()) > 0);
}

static void TestOpenErrors(const char* directory) {
  loyalty_engine* engine = NULL;
  CHECK_ERROR(loyalty_engine_open(directory, strlen(directory), 0, NULL),
              LOYALTY_INVALID_ARGUMENT, "engine_out");
  CHECK_ERROR(loyalty_engine_open(NULL, 4, 0, &engine), LOYALTY_INVALID_ARGUMENT, "directory");
  CHECK_ERROR(loyalty_engine_open("", 0, 0, &engine), LOYALTY_INVALID_ARGUMENT, "directory");
  CHECK(engine == NULL);
  loyalty_engine_close(NULL); /* allowed */
}

static void TestLifecycle(const char* directory) {
  const int64_t at_us = NowUs() - kHourUs;
  loyalty_engine* engine = NULL;
  CHECK_OK(loyalty_engine_open(directory, strlen(directory), 0, &engine));
  if (engine == NULL) return;

  int64_t head = -1;
  char hash[LOYALTY_HASH_HEX_SIZE];
  CHECK_OK(loyalty_head(engine, &head, hash));
  CHECK(head == 0);
  CHECK(strcmp(hash, "0000000000000000000000000000000000000000000000000000000000000000") == 0);

  /* Enrolment, with and without personal data. */
  loyalty_command_result result;
  CHECK_OK(loyalty_enrol_member(engine, S("M1"), S("Li Lei"), S("13800000000"), 1990, 6, 15,
                                at_us, S("counter"), &result));
  CHECK(result.first_sequence == 1 && result.last_sequence == 1 && result.deduplicated == 0);
  CHECK(loyalty_last_error(NULL)[0] == '\0');
  CHECK_OK(loyalty_enrol_member(engine, S("M2"), NULL, 0, NULL, 0, 0, 0, 0, at_us, S("app"),
                                NULL));
  CHECK_ERROR(loyalty_enrol_member(engine, S("M1"), NULL, 0, NULL, 0, 0, 0, 0, at_us,
                                   S("counter"), NULL),
              LOYALTY_ALREADY_EXISTS, "M1");
  CHECK_ERROR(loyalty_enrol_member(engine, S("M3"), NULL, 0, NULL, 0, 1990, 2, 30, at_us,
                                   S("counter"), NULL),
              LOYALTY_INVALID_ARGUMENT, "1990-2-30");
  CHECK_ERROR(loyalty_enrol_member(engine, S(""), NULL, 0, NULL, 0, 0, 0, 0, at_us, S("counter"),
                                   NULL),
              LOYALTY_INVALID_ARGUMENT, "member_id");
  CHECK_ERROR(loyalty_enrol_member(engine, S("M3"), NULL, 5, NULL, 0, 0, 0, 0, at_us,
                                   S("counter"), NULL),
              LOYALTY_INVALID_ARGUMENT, "name: NULL pointer with length 5");

  /* A purchase earns 1 point per 100 fen, in the same batch. */
  CHECK_OK(loyalty_record_purchase(engine, S("P1"), S("M1"), S("store-7"), 12345, S("apparel"),
                                   at_us, S("pos"), &result));
  CHECK(result.first_sequence == 3 && result.last_sequence == 4);
  CHECK_ERROR(loyalty_record_purchase(engine, S("P1"), S("M1"), S("store-7"), 12345, NULL, 0,
                                      at_us, S("pos"), NULL),
              LOYALTY_ALREADY_EXISTS, "P1");
  CHECK_ERROR(loyalty_record_purchase(engine, S("P2"), S("nobody"), S("store-7"), 100, NULL, 0,
                                      at_us, S("pos"), NULL),
              LOYALTY_NOT_FOUND, "nobody");
  CHECK_ERROR(loyalty_record_purchase(engine, S("P2"), S("M1"), S("store-7"), -5, NULL, 0, at_us,
                                      S("pos"), NULL),
              LOYALTY_INVALID_ARGUMENT, "amount_fen");
  CHECK_ERROR(loyalty_record_purchase(engine, S("P2"), S("M1"), S("store-7"), 100, NULL, 0, 0,
                                      S("pos"), NULL),
              LOYALTY_INVALID_ARGUMENT, "occurred_at_us");

  loyalty_balance balance;
  CHECK_OK(loyalty_member_balance(engine, S("M1"), LOYALTY_AS_OF_NOW, &balance));
  CHECK(balance.available_points == 123);
  CHECK(balance.debt_points == 0);
  CHECK(balance.qualifying_spend_fen == 12345);
  CHECK(balance.tier == LOYALTY_TIER_REGULAR);
  CHECK(balance.as_of_sequence == 4);

  /* Redeeming more than available names both numbers. */
  CHECK_ERROR(loyalty_redeem(engine, S("R1"), S("M1"), 500, S("voucher"), at_us, S("app"), NULL),
              LOYALTY_FAILED_PRECONDITION, "requested 500 points but has 123 available");
  size_t length = 0;
  const char* message = loyalty_last_error(&length);
  CHECK(length == strlen(message) && length > 0);
  CHECK_OK(loyalty_redeem(engine, S("R1"), S("M1"), 23, S("voucher"), at_us, S("app"), NULL));
  CHECK_ERROR(loyalty_redeem(engine, S("R1"), S("M1"), 23, S("voucher"), at_us, S("app"), NULL),
              LOYALTY_ALREADY_EXISTS, "R1");
  CHECK_ERROR(loyalty_redeem(engine, S("R2"), S("M1"), 0, NULL, 0, at_us, S("app"), NULL),
              LOYALTY_INVALID_ARGUMENT, "points");

  /* A refund claws back floor(123 * 5000 / 12345) = 49 points. */
  CHECK_OK(loyalty_record_refund(engine, S("F1"), S("P1"), 5000, at_us, S("pos"), NULL));
  CHECK_ERROR(loyalty_record_refund(engine, S("F2"), S("P1"), 7346, at_us, S("pos"), NULL),
              LOYALTY_FAILED_PRECONDITION, "P1");
  CHECK_ERROR(loyalty_record_refund(engine, S("F3"), S("nope"), 1, at_us, S("pos"), NULL),
              LOYALTY_NOT_FOUND, "nope");
  CHECK_OK(loyalty_member_balance(engine, S("M1"), LOYALTY_AS_OF_NOW, &balance));
  CHECK(balance.available_points == 123 - 23 - 49);

  /* History: as of the purchase's points, and before the member existed. */
  CHECK_OK(loyalty_member_balance(engine, S("M1"), 4, &balance));
  CHECK(balance.available_points == 123 && balance.as_of_sequence == 4);
  CHECK_ERROR(loyalty_member_balance(engine, S("M1"), 0, &balance), LOYALTY_NOT_FOUND, "M1");
  CHECK_ERROR(loyalty_member_balance(engine, S("M1"), -2, &balance), LOYALTY_INVALID_ARGUMENT,
              "as_of_sequence");
  CHECK_ERROR(loyalty_member_balance(engine, S("M9"), LOYALTY_AS_OF_NOW, &balance),
              LOYALTY_NOT_FOUND, "M9");
  CHECK_ERROR(loyalty_member_balance(engine, S("M1"), LOYALTY_AS_OF_NOW, NULL),
              LOYALTY_INVALID_ARGUMENT, "balance_out");

  CHECK_OK(loyalty_head(engine, &head, hash));
  CHECK(head == 7);
  CHECK(strlen(hash) == 64 && strspn(hash, "0123456789abcdef") == 64);
  CHECK_OK(loyalty_head(engine, NULL, NULL));
  CHECK_OK(loyalty_verify(engine));

  /* Only one process (and one engine) may hold the directory. */
  loyalty_engine* second = NULL;
  CHECK_ERROR(loyalty_engine_open(directory, strlen(directory), 0, &second),
              LOYALTY_FAILED_PRECONDITION, "in use");
  CHECK(second == NULL);

  loyalty_engine_close(engine);

  /* Everything acknowledged is there after reopening, with the same head. */
  char hash_before[LOYALTY_HASH_HEX_SIZE];
  memcpy(hash_before, hash, sizeof hash);
  CHECK_OK(loyalty_engine_open(directory, strlen(directory), 1, &engine));
  if (engine == NULL) return;
  CHECK_OK(loyalty_member_balance(engine, S("M1"), LOYALTY_AS_OF_NOW, &balance));
  CHECK(balance.available_points == 51);
  CHECK_OK(loyalty_head(engine, &head, hash));
  CHECK(head == 7 && strcmp(hash, hash_before) == 0);
  CHECK_OK(loyalty_verify(engine));
  loyalty_engine_close(engine);
}

/* Whether `haystack` (of `length` bytes, not NUL-terminated) holds `needle`. */
static int Contains(const uint8_t* haystack, size_t length, const char* needle) {
  const size_t needle_length = strlen(needle);
  for (size_t i = 0; i + needle_length <= length; ++i) {
    if (memcmp(haystack + i, needle, needle_length) == 0) return 1;
  }
  return 0;
}

/* How many regular files under `path` (recursively) hold `needle`. */
static int FilesHolding(const char* path, const char* needle) {
  struct stat status;
  if (stat(path, &status) != 0) return 0;
  if (S_ISDIR(status.st_mode)) {
    DIR* directory = opendir(path);
    if (directory == NULL) return 0;
    int holding = 0;
    struct dirent* entry;
    while ((entry = readdir(directory)) != NULL) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      char child[4400];
      snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
      holding += FilesHolding(child, needle);
    }
    closedir(directory);
    return holding;
  }
  if (!S_ISREG(status.st_mode)) return 0;
  FILE* file = fopen(path, "rb");
  if (file == NULL) return 0;
  uint8_t* bytes = malloc((size_t)status.st_size + 1);
  const size_t length = bytes == NULL ? 0 : fread(bytes, 1, (size_t)status.st_size, file);
  fclose(file);
  const int holds = bytes != NULL && Contains(bytes, length, needle);
  free(bytes);
  return holds;
}

/* Personal data given through the C API is stored sealed: no byte under the
 * directory holds the name or the phone, while the purchase's category
 * (free text, not personal) is found, so the scan would see a leak. */
static void TestPersonalDataAtRest(const char* directory) {
  const int64_t at_us = NowUs() - kHourUs;
  loyalty_engine* engine = NULL;
  CHECK_OK(loyalty_engine_open(directory, strlen(directory), 1, &engine));
  if (engine == NULL) return;
  CHECK_OK(loyalty_enrol_member(engine, S("S1"), S("Nangong Yanran-5107"), S("13755515107"), 1992,
                                4, 9, at_us, S("counter"), NULL));
  CHECK_OK(loyalty_record_purchase(engine, S("SP1"), S("S1"), S("store-7"), 5000,
                                   S("canary-category-Jw4tRm"), at_us, S("pos"), NULL));
  loyalty_engine_close(engine);
  CHECK(FilesHolding(directory, "Nangong Yanran-5107") == 0);
  CHECK(FilesHolding(directory, "13755515107") == 0);
  CHECK(FilesHolding(directory, "canary-category-Jw4tRm") > 0);
}

/* The value of the sample line `name value` (a series without labels) in
 * Prometheus text, or -1 when there is none. */
static double Sample(const char* text, const char* name) {
  const size_t name_length = strlen(name);
  for (const char* line = text; *line != '\0';) {
    const char* end = strchr(line, '\n');
    if (end == NULL) break;
    if (strncmp(line, name, name_length) == 0 && line[name_length] == ' ') {
      return strtod(line + name_length + 1, NULL);
    }
    line = end + 1;
  }
  return -1;
}

/* A pull cursor from the start, then from a position, then waiting for an
 * event that another call appends. */
static void TestCursor(const char* directory) {
  const int64_t at_us = NowUs() - kHourUs;
  loyalty_engine* engine = NULL;
  CHECK_OK(loyalty_engine_open(directory, strlen(directory), 0, &engine));
  if (engine == NULL) return;
  CHECK_OK(loyalty_enrol_member(engine, S("C1"), NULL, 0, NULL, 0, 0, 0, 0, at_us, S("app"),
                                NULL));
  CHECK_OK(loyalty_record_purchase(engine, S("CP1"), S("C1"), S("store-7"), 5000, NULL, 0, at_us,
                                   S("pos"), NULL));
  int64_t head = 0;
  CHECK_OK(loyalty_head(engine, &head, NULL));
  CHECK(head >= 3);

  loyalty_cursor* cursor = NULL;
  CHECK_ERROR(loyalty_cursor_open(engine, -1, &cursor), LOYALTY_INVALID_ARGUMENT,
              "after_sequence");
  CHECK_ERROR(loyalty_cursor_open(NULL, 0, &cursor), LOYALTY_INVALID_ARGUMENT, "engine");
  CHECK_OK(loyalty_cursor_open(engine, head - 3, &cursor));
  if (cursor == NULL) {
    loyalty_engine_close(engine);
    return;
  }
  int64_t sequence = -1;
  uint8_t* envelope = NULL;
  size_t length = 0;
  CHECK_ERROR(loyalty_cursor_next(cursor, -1, &sequence, &envelope, &length),
              LOYALTY_INVALID_ARGUMENT, "wait_ms");
  CHECK_ERROR(loyalty_cursor_next(cursor, 0, NULL, &envelope, &length),
              LOYALTY_INVALID_ARGUMENT, "NULL");
  /* The three newest events, in order: the enrolment of C1, its purchase
   * and the points the purchase earned. Protobuf keeps strings as they are,
   * so the ids show in the bytes. */
  const char* expected[3] = {"C1", "CP1", "CP1"};
  for (int i = 0; i < 3; ++i) {
    CHECK_OK(loyalty_cursor_next(cursor, 0, &sequence, &envelope, &length));
    CHECK(sequence == head - 2 + i);
    CHECK(envelope != NULL && length > 0);
    if (envelope != NULL) CHECK(Contains(envelope, length, expected[i]));
    loyalty_free(envelope);
    envelope = NULL;
  }
  /* Nothing more: OK, with no event, after the wait. */
  CHECK_OK(loyalty_cursor_next(cursor, 20, &sequence, &envelope, &length));
  CHECK(sequence == 0 && envelope == NULL && length == 0);
  /* A new append shows up at the next call. */
  CHECK_OK(loyalty_redeem(engine, S("CR1"), S("C1"), 10, NULL, 0, at_us, S("app"), NULL));
  CHECK_OK(loyalty_cursor_next(cursor, 1000, &sequence, &envelope, &length));
  CHECK(sequence == head + 1);
  if (envelope != NULL) CHECK(Contains(envelope, length, "CR1"));
  loyalty_free(envelope);
  loyalty_cursor_close(cursor);
  loyalty_cursor_close(NULL); /* allowed */
  loyalty_engine_close(engine);
}

/* The metrics of an engine after known commands, as Prometheus text. */
static void TestMetrics(const char* directory) {
  const int64_t at_us = NowUs() - kHourUs;
  loyalty_engine* engine = NULL;
  CHECK_OK(loyalty_engine_open(directory, strlen(directory), 1, &engine));
  if (engine == NULL) return;
  CHECK_OK(loyalty_enrol_member(engine, S("X1"), NULL, 0, NULL, 0, 0, 0, 0, at_us, S("app"),
                                NULL));
  CHECK_OK(loyalty_record_purchase(engine, S("XP1"), S("X1"), S("store-7"), 5000, NULL, 0, at_us,
                                   S("pos"), NULL));
  CHECK_ERROR(loyalty_redeem(engine, S("XR1"), S("X1"), 100000, NULL, 0, at_us, S("app"), NULL),
              LOYALTY_FAILED_PRECONDITION, "X1");

  char* text = NULL;
  size_t length = 0;
  CHECK_ERROR(loyalty_metrics_prometheus(NULL, &text, &length), LOYALTY_INVALID_ARGUMENT,
              "engine");
  CHECK_ERROR(loyalty_metrics_prometheus(engine, NULL, &length), LOYALTY_INVALID_ARGUMENT,
              "text_out");
  CHECK_OK(loyalty_metrics_prometheus(engine, &text, &length));
  if (text != NULL) {
    CHECK(length == strlen(text) && length > 0 && text[length - 1] == '\n');
    /* An enrolment (1 event) and a purchase (2), each fsynced alone. */
    CHECK(Sample(text, "loyalty_ledger_appends_total") == 2);
    CHECK(Sample(text, "loyalty_ledger_events_appended_total") == 3);
    CHECK(Sample(text, "loyalty_ledger_wal_syncs_total") == 2);
    CHECK(Sample(text, "loyalty_engine_projection_lag_events") == 0);
    CHECK(strstr(text, "loyalty_engine_commands_executed_total{kind=\"record_purchase\"} 1\n") !=
          NULL);
    CHECK(strstr(text, "loyalty_engine_commands_rejected_total{kind=\"redeem\"} 1\n") != NULL);
    CHECK(strstr(text, "# TYPE loyalty_ledger_append_latency_seconds histogram\n") != NULL);
  }
  loyalty_free(text);
  loyalty_free(NULL); /* allowed */
  loyalty_engine_close(engine);
}

/* A backup taken through the C API restores into a ledger with the same
 * head, which opens with the master key file copied beside it. */
static void TestBackup(const char* ledger, const char* backups, const char* restored) {
  loyalty_engine* engine = NULL;
  CHECK_OK(loyalty_engine_open(ledger, strlen(ledger), 0, &engine));
  if (engine == NULL) return;
  const int64_t now = NowUs();
  CHECK_OK(loyalty_enrol_member(engine, S("B1"), NULL, 0, NULL, 0, 0, 0, 0, now, S("desk"), NULL));
  CHECK_OK(loyalty_record_purchase(engine, S("BP1"), S("B1"), S("store-1"), 4500, S("food"), now,
                                   S("pos"), NULL));
  int64_t head = 0;
  char hash[LOYALTY_HASH_HEX_SIZE];
  CHECK_OK(loyalty_head(engine, &head, hash));

  loyalty_backup_info info;
  CHECK_OK(loyalty_backup(engine, backups, strlen(backups), &info));
  CHECK(info.backup_id == 1 && info.head_sequence == head);
  CHECK(strcmp(info.head_hash_hex, hash) == 0 && info.copied_bytes > 0);
  CHECK_OK(loyalty_backup(engine, backups, strlen(backups), NULL));
  CHECK_ERROR(loyalty_backup(engine, "", 0, &info), LOYALTY_INVALID_ARGUMENT, "backup_directory");
  loyalty_engine_close(engine);

  CHECK_OK(loyalty_backup_verify(backups, strlen(backups), 0));
  CHECK_ERROR(loyalty_backup_verify(backups, strlen(backups), 9), LOYALTY_NOT_FOUND, "9");
  CHECK_ERROR(loyalty_restore(backups, strlen(backups), 0, ledger, strlen(ledger), &info),
              LOYALTY_FAILED_PRECONDITION, "holds files");
  CHECK_OK(loyalty_restore(backups, strlen(backups), 1, restored, strlen(restored), &info));
  CHECK(info.backup_id == 1 && info.head_sequence == head);

  char command[8400];
  snprintf(command, sizeof command, "cp -p '%s.key' '%s.key'", ledger, restored);
  CHECK(system(command) == 0);
  CHECK_OK(loyalty_engine_open(restored, strlen(restored), 0, &engine));
  if (engine == NULL) return;
  char restored_hash[LOYALTY_HASH_HEX_SIZE];
  int64_t restored_head = 0;
  CHECK_OK(loyalty_head(engine, &restored_head, restored_hash));
  CHECK(restored_head == head && strcmp(restored_hash, hash) == 0);
  CHECK_OK(loyalty_verify(engine));
  loyalty_engine_close(engine);
}

int main(void) {
  const char* base = getenv("TMPDIR");
  char directory[4096];
  snprintf(directory, sizeof directory, "%s/loyalty-c-api-XXXXXX",
           base != NULL && base[0] != '\0' ? base : "/tmp");
  if (mkdtemp(directory) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  char ledger[4200];
  snprintf(ledger, sizeof ledger, "%s/db", directory);

  TestCodesAndVersion();
  TestOpenErrors(ledger);
  TestLifecycle(ledger);
  snprintf(ledger, sizeof ledger, "%s/cursor-db", directory);
  TestCursor(ledger);
  snprintf(ledger, sizeof ledger, "%s/metrics-db", directory);
  TestMetrics(ledger);
  snprintf(ledger, sizeof ledger, "%s/personal-db", directory);
  TestPersonalDataAtRest(ledger);
  snprintf(ledger, sizeof ledger, "%s/backup-db", directory);
  char backups[4200];
  snprintf(backups, sizeof backups, "%s/backups", directory);
  char restored[4200];
  snprintf(restored, sizeof restored, "%s/restored-db", directory);
  TestBackup(ledger, backups, restored);

  char command[8400];
  snprintf(command, sizeof command, "rm -rf '%s'", directory);
  if (system(command) != 0) fprintf(stderr, "could not remove %s\n", directory);

  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
