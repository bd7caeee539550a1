/* The C API (include/loyalty/c.h), compiled as C and linked against
 * libloyalty_ledger.so exactly as a C program would: commands, balances,
 * the head and verification, and the codes and messages of its errors.
 *
 * Each CHECK prints the failing line and counts it; main returns non-zero
 * if any failed. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
