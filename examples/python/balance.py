#!/usr/bin/env python3
"""Embeds the loyalty ledger in Python through its C API (include/loyalty/c.h).

Opens a ledger in a temporary directory, enrols a member, records a purchase,
prints the member's balance, shows how an error comes back, and closes.

    usage: balance.py [PATH_TO_libloyalty_ledger.so]

The library is the argument, else $LOYALTY_LIBRARY, else the dynamic
loader's search for libloyalty_ledger.so (an installed package's lib/ on
LD_LIBRARY_PATH, say). Only the standard library is needed: ctypes loads the
shared library and the functions are declared below, as c.h declares them.
docs/embedding.md walks through this file.
"""

import ctypes
import os
import sys
import tempfile
import time

# [START declarations]
LOYALTY_OK = 0
LOYALTY_AS_OF_NOW = -1
TIER_NAMES = {1: "regular", 2: "silver", 3: "gold", 4: "platinum"}


class Balance(ctypes.Structure):
    """loyalty_balance: the same fields in the same order as in c.h."""

    _fields_ = [
        ("available_points", ctypes.c_int64),
        ("debt_points", ctypes.c_int64),
        ("qualifying_spend_fen", ctypes.c_int64),
        ("as_of_sequence", ctypes.c_int64),
        ("tier", ctypes.c_int32),
    ]


def load_library(path):
    lib = ctypes.CDLL(path)
    text = [ctypes.c_char_p, ctypes.c_size_t]  # a string: pointer and length
    engine = ctypes.c_void_p  # loyalty_engine*, opaque
    lib.loyalty_version.restype = ctypes.c_char_p
    lib.loyalty_version.argtypes = []
    lib.loyalty_code_name.restype = ctypes.c_char_p
    lib.loyalty_code_name.argtypes = [ctypes.c_int]
    lib.loyalty_last_error.restype = ctypes.c_char_p
    lib.loyalty_last_error.argtypes = [ctypes.POINTER(ctypes.c_size_t)]
    lib.loyalty_engine_open.argtypes = text + [ctypes.c_int, ctypes.POINTER(engine)]
    lib.loyalty_engine_close.restype = None
    lib.loyalty_engine_close.argtypes = [engine]
    lib.loyalty_enrol_member.argtypes = (
        [engine] + text + text + text + [ctypes.c_int32] * 3 + [ctypes.c_int64] + text
        + [ctypes.c_void_p])
    lib.loyalty_record_purchase.argtypes = (
        [engine] + text + text + text + [ctypes.c_int64] + text + [ctypes.c_int64] + text
        + [ctypes.c_void_p])
    lib.loyalty_redeem.argtypes = (
        [engine] + text + text + [ctypes.c_int64] + text + [ctypes.c_int64] + text
        + [ctypes.c_void_p])
    lib.loyalty_member_balance.argtypes = (
        [engine] + text + [ctypes.c_int64, ctypes.POINTER(Balance)])
    lib.loyalty_head.argtypes = [engine, ctypes.POINTER(ctypes.c_int64), ctypes.c_char_p]
    lib.loyalty_verify.argtypes = [engine]
    return lib
# [END declarations]


class LoyaltyError(Exception):
    """A call returned an error code; `code` is its number, `name` its name."""

    def __init__(self, lib, code):
        self.code = code
        self.name = lib.loyalty_code_name(code).decode()
        self.message = lib.loyalty_last_error(None).decode()
        super().__init__(f"{self.name}: {self.message}")


def s(value):
    """A Python str as the C API's (pointer, length) pair of UTF-8 bytes."""
    data = value.encode()
    return data, len(data)


# [START engine]
class Engine:
    """An open ledger. Raises LoyaltyError for any code but LOYALTY_OK."""

    def __init__(self, lib, directory, sync=True):
        self._lib = lib
        self._engine = ctypes.c_void_p()
        self._check(lib.loyalty_engine_open(*s(directory), int(sync),
                                            ctypes.byref(self._engine)))

    def close(self):
        self._lib.loyalty_engine_close(self._engine)
        self._engine = ctypes.c_void_p()

    def _check(self, code):
        if code != LOYALTY_OK:
            raise LoyaltyError(self._lib, code)

    def enrol(self, member_id, occurred_at_us, actor_id, name="", phone="",
              birth_date=(0, 0, 0)):
        self._check(self._lib.loyalty_enrol_member(
            self._engine, *s(member_id), *s(name), *s(phone), *birth_date,
            occurred_at_us, *s(actor_id), None))

    def record_purchase(self, purchase_id, member_id, partner_id, amount_fen,
                        occurred_at_us, actor_id, category=""):
        self._check(self._lib.loyalty_record_purchase(
            self._engine, *s(purchase_id), *s(member_id), *s(partner_id), amount_fen,
            *s(category), occurred_at_us, *s(actor_id), None))

    def redeem(self, redemption_id, member_id, points, occurred_at_us, actor_id,
               reward=""):
        self._check(self._lib.loyalty_redeem(
            self._engine, *s(redemption_id), *s(member_id), points, *s(reward),
            occurred_at_us, *s(actor_id), None))

    def balance(self, member_id, as_of_sequence=LOYALTY_AS_OF_NOW):
        balance = Balance()
        self._check(self._lib.loyalty_member_balance(
            self._engine, *s(member_id), as_of_sequence, ctypes.byref(balance)))
        return balance

    def head(self):
        sequence = ctypes.c_int64()
        hash_hex = ctypes.create_string_buffer(65)  # LOYALTY_HASH_HEX_SIZE
        self._check(self._lib.loyalty_head(self._engine, ctypes.byref(sequence), hash_hex))
        return sequence.value, hash_hex.value.decode()

    def verify(self):
        self._check(self._lib.loyalty_verify(self._engine))
# [END engine]


def main(argv):
    path = (argv[1] if len(argv) > 1 else None) or os.environ.get("LOYALTY_LIBRARY") \
        or "libloyalty_ledger.so"
    lib = load_library(path)
    print(f"libloyalty_ledger {lib.loyalty_version().decode()}")
    # [START main]
    now_us = time.time_ns() // 1000
    with tempfile.TemporaryDirectory(prefix="loyalty-python-") as directory:
        engine = Engine(lib, os.path.join(directory, "db"), sync=True)
        try:
            engine.enrol("M1", now_us, "python-example", name="Han Meimei",
                         birth_date=(1992, 8, 8))
            engine.record_purchase("P1", "M1", "store-7", 12345, now_us, "python-example")
            balance = engine.balance("M1")
            print(f"M1 available_points={balance.available_points} "
                  f"debt_points={balance.debt_points} tier={TIER_NAMES[balance.tier]}")
            try:
                engine.redeem("R1", "M1", 500, now_us, "python-example")
            except LoyaltyError as error:
                print(f"redeem 500: {error}")
            engine.verify()
            sequence, hash_hex = engine.head()
            print(f"head: sequence {sequence}, chain hash {hash_hex}")
        finally:
            engine.close()
    # [END main]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
