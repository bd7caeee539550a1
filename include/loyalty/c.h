/* loyalty C API — the engine (loyalty/engine.h) for programs that cannot use
 * C++: services in other languages load libloyalty_ledger.so and call these
 * functions (examples/python/balance.py does it with ctypes).
 *
 * Pure C99: no C++ types cross this boundary.
 * - An engine is an opaque `loyalty_engine*` from loyalty_engine_open(),
 *   released with loyalty_engine_close().
 * - Every fallible function returns an int: LOYALTY_OK (0) or one of the
 *   error codes below, which are absl::StatusCode's numbers (the same as
 *   gRPC's). On error, loyalty_last_error() returns the message, which names
 *   the field and the value, e.g. `points: member "M1" requested 500 points
 *   but has 120 available`.
 * - Strings are passed as a pointer and a length in bytes (UTF-8, need not be
 *   NUL-terminated). An optional string may be NULL with length 0. A NULL
 *   pointer with a non-zero length is LOYALTY_INVALID_ARGUMENT.
 * - Integers are int64_t: times in microseconds since the Unix epoch (UTC),
 *   money in fen (1/100 yuan), points as counts, sequences from 1.
 * - Out-parameters are written only on success.
 * - No function throws, aborts on bad input or keeps a pointer it was given
 *   after it returns.
 *
 * Thread safety: an engine may be used from any number of threads at once,
 * as loyalty::Engine may; loyalty_engine_close() must not run concurrently
 * with any other call on the same engine. The last-error message is
 * per thread.
 *
 * Example (tests/c_api_test.c has more):
 *
 *   loyalty_engine* engine = NULL;
 *   if (loyalty_engine_open(dir, strlen(dir), 1, &engine) != LOYALTY_OK) {
 *     fprintf(stderr, "%s\n", loyalty_last_error(NULL));
 *     return 1;
 *   }
 *   loyalty_enrol_member(engine, "M1", 2, NULL, 0, NULL, 0, 0, 0, 0,
 *                        now_us, "pos", 3, NULL);
 *   loyalty_record_purchase(engine, "P1", 2, "M1", 2, "store-7", 7, 12345,
 *                           NULL, 0, now_us, "pos", 3, NULL);
 *   loyalty_balance balance;
 *   loyalty_member_balance(engine, "M1", 2, LOYALTY_AS_OF_NOW, &balance);
 *   loyalty_engine_close(engine);
 */
#ifndef LOYALTY_C_H_
#define LOYALTY_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Error codes: absl::StatusCode's numbers. */
enum {
  LOYALTY_OK = 0,
  LOYALTY_CANCELLED = 1,
  LOYALTY_UNKNOWN = 2,
  /* Bad input: a missing or over-long id, a non-positive amount, a NULL
   * pointer, a length past a limit (loyalty/limits.h). */
  LOYALTY_INVALID_ARGUMENT = 3,
  LOYALTY_DEADLINE_EXCEEDED = 4,
  /* An unknown member or purchase. */
  LOYALTY_NOT_FOUND = 5,
  /* An id already used for something else: a member enrolled twice, a
   * purchase id reused with other content. */
  LOYALTY_ALREADY_EXISTS = 6,
  LOYALTY_PERMISSION_DENIED = 7,
  LOYALTY_RESOURCE_EXHAUSTED = 8,
  /* The command is not allowed in the current state: redeeming more points
   * than available, refunding more than is left of a purchase, an erased
   * member; the directory is in use by another process (or engine). */
  LOYALTY_FAILED_PRECONDITION = 9,
  /* Concurrent commands on one member kept conflicting: retry. */
  LOYALTY_ABORTED = 10,
  LOYALTY_OUT_OF_RANGE = 11,
  LOYALTY_UNIMPLEMENTED = 12,
  /* Storage failures and broken invariants, with RocksDB's message. */
  LOYALTY_INTERNAL = 13,
  LOYALTY_UNAVAILABLE = 14,
  /* The log does not verify (loyalty_verify), or stored data is corrupt. */
  LOYALTY_DATA_LOSS = 15,
  LOYALTY_UNAUTHENTICATED = 16
};

/* The name of an error code, e.g. "FAILED_PRECONDITION"; "UNKNOWN" for a
 * number that is not a code. Static storage. */
const char* loyalty_code_name(int code);

/* The error message of the latest call on this thread that returns a code:
 * "" when it returned LOYALTY_OK. NUL-terminated; if `length` is not NULL,
 * the message's length in bytes is stored there. Valid until the next call
 * into this API on the same thread. */
const char* loyalty_last_error(size_t* length);

/* The library's version, e.g. "0.1.0". Static storage. */
const char* loyalty_version(void);

/* ------------------------------------------------------------------------
 * Opening and closing. */

typedef struct loyalty_engine loyalty_engine;

/* Opens the ledger and its projections in `directory`, creating both when
 * the directory holds no ledger (its parent must exist), and stores the
 * engine in *engine_out. The master key that seals personal data is read
 * from the file DIRECTORY.key (64 hex digits, docs/privacy.md), which is
 * created with a fresh random key (mode 0600) when absent; a key file that
 * does not match the ledger's is PERMISSION_DENIED.
 * `sync`: non-zero (recommended) fsyncs every command before it returns, so
 * an acknowledged command survives kill -9, an OS crash and power loss; 0
 * survives a crash of the process only (what each costs: docs/embedding.md,
 * "Durability").
 * Times recorded by the ledger come from the system clock.
 * Errors: INVALID_ARGUMENT for a NULL pointer or an empty directory;
 * FAILED_PRECONDITION when another process has the directory open;
 * DATA_LOSS when the stored chain head disagrees with the events;
 * INTERNAL/UNAVAILABLE for storage errors. */
int loyalty_engine_open(const char* directory, size_t directory_length, int sync,
                        loyalty_engine** engine_out);

/* Saves the projections' checkpoint and closes the engine. NULL is allowed.
 * The engine must not be used afterwards. */
void loyalty_engine_close(loyalty_engine* engine);

/* ------------------------------------------------------------------------
 * Commands. Each is checked against the current state and, if valid,
 * appended with the events it causes in one atomic batch; on error nothing
 * is appended. Ids (member, purchase, refund, redemption; at most 64 bytes)
 * are chosen by the caller, so a command is applied at most once: repeating
 * one whose id is already recorded returns ALREADY_EXISTS, which for a
 * retry after a lost reply means it was applied. (Two identical commands
 * that race may both return OK, the second with `deduplicated` set.)
 * `occurred_at_us` is the business time, > 0; `actor_id` names the service,
 * operator or job issuing the command (required, at most 64 bytes).
 * Errors common to all: INVALID_ARGUMENT for a NULL engine, a missing or
 * over-long id, a NULL string with a non-zero length, occurred_at_us <= 0;
 * ABORTED when concurrent commands on the same member kept winning the race
 * for its stream (the engine decides again up to 16 times first; retry);
 * INTERNAL/UNAVAILABLE for storage errors. */

/* What a successful command appended: its events' sequences. */
typedef struct loyalty_command_result {
  int64_t first_sequence;
  int64_t last_sequence;
  /* 1 when the command repeated one already recorded: the sequences are the
   * original ones and nothing was appended. */
  int32_t deduplicated;
} loyalty_command_result;

/* Enrols a member. `name` and `phone` are optional; the birth date is
 * optional (all three 0) and, if given, earns the yearly birthday bonus.
 * `result_out` may be NULL.
 * Errors: ALREADY_EXISTS if the member id is enrolled; INVALID_ARGUMENT for
 * an empty or over-long id, or a birth date that is not a calendar day. */
int loyalty_enrol_member(loyalty_engine* engine, const char* member_id, size_t member_id_length,
                         const char* name, size_t name_length, const char* phone,
                         size_t phone_length, int32_t birth_year, int32_t birth_month,
                         int32_t birth_day, int64_t occurred_at_us, const char* actor_id,
                         size_t actor_id_length, loyalty_command_result* result_out);

/* Records a purchase of `amount_fen` at a partner (store) and the points it
 * earns (1 point per 100 fen, times the tier's multiplier, by default).
 * `category` is optional. `result_out` may be NULL.
 * Errors: NOT_FOUND for an unknown member; FAILED_PRECONDITION for an erased
 * one; ALREADY_EXISTS for a purchase id already recorded; INVALID_ARGUMENT
 * for a non-positive amount or a missing partner id. */
int loyalty_record_purchase(loyalty_engine* engine, const char* purchase_id,
                            size_t purchase_id_length, const char* member_id,
                            size_t member_id_length, const char* partner_id,
                            size_t partner_id_length, int64_t amount_fen, const char* category,
                            size_t category_length, int64_t occurred_at_us, const char* actor_id,
                            size_t actor_id_length, loyalty_command_result* result_out);

/* Refunds `amount_fen` of a purchase and claws back the points it earned in
 * proportion. `result_out` may be NULL.
 * Errors: NOT_FOUND for an unknown purchase; FAILED_PRECONDITION when the
 * amount is more than what is left of the purchase; ALREADY_EXISTS for a
 * refund id already recorded; INVALID_ARGUMENT for a non-positive amount. */
int loyalty_record_refund(loyalty_engine* engine, const char* refund_id, size_t refund_id_length,
                          const char* purchase_id, size_t purchase_id_length, int64_t amount_fen,
                          int64_t occurred_at_us, const char* actor_id, size_t actor_id_length,
                          loyalty_command_result* result_out);

/* Redeems `points` of a member, soonest-expiring first, for `reward`
 * (optional). `result_out` may be NULL.
 * Errors: FAILED_PRECONDITION when `points` is more than the member has
 * available (the message names both numbers); NOT_FOUND for an unknown
 * member; ALREADY_EXISTS for a redemption id already recorded;
 * INVALID_ARGUMENT for a non-positive number of points. */
int loyalty_redeem(loyalty_engine* engine, const char* redemption_id,
                   size_t redemption_id_length, const char* member_id, size_t member_id_length,
                   int64_t points, const char* reward, size_t reward_length,
                   int64_t occurred_at_us, const char* actor_id, size_t actor_id_length,
                   loyalty_command_result* result_out);

/* ------------------------------------------------------------------------
 * Queries. */

/* Tiers, as loyalty.v1.Tier numbers: the numeric order is the tier order. */
enum {
  LOYALTY_TIER_REGULAR = 1,
  LOYALTY_TIER_SILVER = 2,
  LOYALTY_TIER_GOLD = 3,
  LOYALTY_TIER_PLATINUM = 4
};

/* For loyalty_member_balance: everything appended so far, with expiry and
 * tier re-evaluation up to the system clock's now. */
#define LOYALTY_AS_OF_NOW ((int64_t)-1)

typedef struct loyalty_balance {
  /* Points the member can redeem; never negative. */
  int64_t available_points;
  /* Points the member owes (clawbacks the balance could not cover). */
  int64_t debt_points;
  /* Spend that counts towards the tier, in fen. */
  int64_t qualifying_spend_fen;
  /* The last of the member's events the balance reflects. */
  int64_t as_of_sequence;
  /* LOYALTY_TIER_*. */
  int32_t tier;
} loyalty_balance;

/* A member's balance and tier as of `as_of_sequence`: LOYALTY_AS_OF_NOW, or
 * a sequence >= 0 to read the state after the events up to it (evaluated at
 * the business time of the last of them), which does not change as the log
 * grows.
 * Errors: NOT_FOUND for a member not enrolled at that point;
 * INVALID_ARGUMENT for another negative sequence. */
int loyalty_member_balance(loyalty_engine* engine, const char* member_id, size_t member_id_length,
                           int64_t as_of_sequence, loyalty_balance* balance_out);

/* The size of a buffer for a chain hash in hexadecimal: 64 digits and a
 * NUL. */
#define LOYALTY_HASH_HEX_SIZE 65

/* The newest event's sequence (0 for an empty log) and its chain hash as 64
 * lower-case hexadecimal digits and a NUL, written to `hash_hex_out`, which
 * must hold LOYALTY_HASH_HEX_SIZE bytes. Either out-parameter may be NULL. */
int loyalty_head(loyalty_engine* engine, int64_t* sequence_out, char* hash_hex_out);

/* Recomputes the hash chain over the whole log and checks every event
 * (docs/ledger.md). OK, or DATA_LOSS with a message naming the first
 * sequence that does not match and why. */
int loyalty_verify(loyalty_engine* engine);

/* ------------------------------------------------------------------------
 * Backups (include/loyalty/backup.h, docs/backup.md). */

/* One backup: its number, the log it holds (sequences 1..head_sequence and
 * the chain hash there), when it was taken (the engine's clock), the bytes
 * of its files, what taking it copied and how long appends waited (0 for a
 * backup restored). */
typedef struct loyalty_backup_info {
  uint32_t backup_id;
  int64_t head_sequence;
  char head_hash_hex[LOYALTY_HASH_HEX_SIZE];
  int64_t created_at_us;
  uint64_t size_bytes;
  uint64_t copied_bytes;
  int64_t appends_held_us;
} loyalty_backup_info;

/* Backs up the engine's ledger (log, member keys, projections, audit store)
 * into `backup_directory` while other threads go on with commands:
 * consistent, incremental, without the master key. `info_out` may be NULL.
 * Errors: FAILED_PRECONDITION for a directory that holds other files;
 * UNAVAILABLE while another process uses it. */
int loyalty_backup(loyalty_engine* engine, const char* backup_directory,
                   size_t backup_directory_length, loyalty_backup_info* info_out);

/* Checks every file of backup `backup_id` (0: every backup) against its
 * recorded checksum. DATA_LOSS naming the store and the file; NOT_FOUND for
 * no such backup. */
int loyalty_backup_verify(const char* backup_directory, size_t backup_directory_length,
                          uint32_t backup_id);

/* Restores backup `backup_id` (0: the latest) into `ledger_directory`, which
 * must not exist or be empty, and verifies its chain before it is in place;
 * open it with loyalty_engine_open (and the master key file the backup was
 * taken under, beside it as LEDGER_DIRECTORY.key). `info_out` may be NULL.
 * Errors: FAILED_PRECONDITION when the directory holds files; NOT_FOUND for
 * no such backup; DATA_LOSS for a damaged backup, with nothing left behind. */
int loyalty_restore(const char* backup_directory, size_t backup_directory_length,
                    uint32_t backup_id, const char* ledger_directory,
                    size_t ledger_directory_length, loyalty_backup_info* info_out);

/* ------------------------------------------------------------------------
 * Memory the library allocates for the caller. */

/* Releases what loyalty_metrics_prometheus() and loyalty_cursor_next()
 * allocated (with malloc(), so free() does the same). NULL is allowed. */
void loyalty_free(void* pointer);

/* ------------------------------------------------------------------------
 * Following the log: a pull cursor. */

typedef struct loyalty_cursor loyalty_cursor;

/* A cursor over the engine's log that delivers, in order and without gaps,
 * every event after `after_sequence` (0: from the first), then each new one
 * as it is appended. Close it with loyalty_cursor_close() before closing
 * the engine. One consumer per cursor: a cursor must not be used by two
 * threads at once (different cursors may).
 * Errors: INVALID_ARGUMENT for a NULL engine or cursor_out, or a negative
 * after_sequence. */
int loyalty_cursor_open(loyalty_engine* engine, int64_t after_sequence,
                        loyalty_cursor** cursor_out);

/* The next event, waiting up to `wait_ms` milliseconds (0: not at all) for
 * one to be appended. On success *sequence_out is its sequence and
 * *envelope_out its loyalty.v1.Envelope serialized (deterministic protobuf
 * bytes, decoded with schemas/loyalty/v1/envelope.proto), *length_out bytes
 * allocated with malloc() that the caller releases with loyalty_free().
 * When none arrived in time it is still LOYALTY_OK, with *sequence_out 0,
 * *envelope_out NULL and *length_out 0.
 * Errors: INVALID_ARGUMENT for a NULL argument or a negative wait_ms;
 * DATA_LOSS when a stored event does not decode; INTERNAL/UNAVAILABLE for
 * storage errors. */
int loyalty_cursor_next(loyalty_cursor* cursor, int64_t wait_ms, int64_t* sequence_out,
                        uint8_t** envelope_out, size_t* length_out);

/* Releases a cursor. NULL is allowed. */
void loyalty_cursor_close(loyalty_cursor* cursor);

/* ------------------------------------------------------------------------
 * Metrics. */

/* The engine's and its ledger's metrics (appends, fsyncs, commands by kind,
 * latencies, the projections' lag; docs/embedding.md, "Metrics") in the
 * Prometheus text exposition format, for a service's /metrics endpoint.
 * Stores a NUL-terminated string allocated with malloc() in *text_out (the
 * caller releases it with loyalty_free()) and, if length_out is not NULL,
 * its length in bytes without the NUL. Never waits for a command.
 * Errors: INVALID_ARGUMENT for a NULL engine or text_out. */
int loyalty_metrics_prometheus(loyalty_engine* engine, char** text_out, size_t* length_out);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* LOYALTY_C_H_ */
