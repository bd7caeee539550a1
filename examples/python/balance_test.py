#!/usr/bin/env python3
"""Runs balance.py against the built library and checks what it prints.

    usage: balance_test.py PATH_TO_libloyalty_ledger.so
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    library = argv[1]
    expected = [
        r"libloyalty_ledger \d+\.\d+\.\d+",
        r"M1 available_points=123 debt_points=0 tier=regular",
        r'redeem 500: FAILED_PRECONDITION: points: member "M1" requested 500 points'
        r" but has 123 available",
        r"head: sequence 3, chain hash [0-9a-f]{64}",
    ]
    runs = {
        "argument": ([sys.executable, os.path.join(HERE, "balance.py"), library], {}),
        "LOYALTY_LIBRARY": ([sys.executable, os.path.join(HERE, "balance.py")],
                            {"LOYALTY_LIBRARY": library}),
    }
    failed = False
    for how, (command, extra_environment) in runs.items():
        environment = dict(os.environ, **extra_environment)
        done = subprocess.run(command, capture_output=True, text=True, env=environment,
                              timeout=120)
        lines = done.stdout.splitlines()
        ok = done.returncode == 0 and len(lines) == len(expected) and all(
            re.fullmatch(pattern, line) for pattern, line in zip(expected, lines))
        if not ok:
            failed = True
            print(f"balance.py (library by {how}): exit code {done.returncode}\n"
                  f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}\n"
                  f"want lines matching:\n" + "\n".join(expected), file=sys.stderr)
    if failed:
        return 1
    print("balance_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
