#!/usr/bin/env python3
"""Runs the examples of docs/auditing.md and checks their output.

    usage: auditing_doc_test.py LOYALTY_BINARY PROTOC DOC.md

A block to run is a fenced code block right after the line

    <!-- doc-test: run -->

Blocks run in document order, each with `bash -e -o pipefail`, all in one
fresh temporary directory (so later blocks see the files earlier ones
wrote), with `loyalty` and `protoc` first on the PATH. A block that exits
non-zero fails the test. A fenced block right after

    <!-- doc-test: output -->

holds lines that the output (standard output and error together) of the
run block before it must contain, in this order (other lines may come
between them); in an expected line, `...` matches any text. A document with
no block to run fails too, so that removing the markers cannot pass.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^<!--\s*doc-test:\s*(run|output)\s*-->\s*$")
FENCE = re.compile(r"^(```+|~~~+)")
TIMEOUT_SECONDS = 120


def blocks(path):
    """(kind, first line number, text lines) for every marked block."""
    with open(path, encoding="utf-8") as doc:
        lines = doc.read().splitlines()
    found = []
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        i += 1
        if not marker:
            continue
        where = i
        while i < len(lines) and not lines[i].strip():
            i += 1
        fence = FENCE.match(lines[i]) if i < len(lines) else None
        if not fence:
            raise SystemExit(f"{path}:{where}: no code block after the doc-test marker")
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(fence.group(1)):
            body.append(lines[i])
            i += 1
        i += 1
        found.append((marker.group(1), where, body))
    return found


def pattern(line):
    return re.compile("^" + ".*".join(re.escape(part) for part in line.split("...")) + "$")


def missing_lines(expected, output):
    """The first expected line not found in order in `output`, or None."""
    actual = output.splitlines()
    position = 0
    for line in expected:
        wanted = pattern(line)
        while position < len(actual) and not wanted.match(actual[position]):
            position += 1
        if position == len(actual):
            return line
        position += 1
    return None


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    loyalty, protoc, doc = sys.argv[1:]
    found = blocks(doc)
    if not any(kind == "run" for kind, _, _ in found):
        print(f"{doc}: no block marked <!-- doc-test: run -->", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="loyalty-auditing-doc-")
    try:
        tools = os.path.join(work, ".bin")
        os.mkdir(tools)
        os.symlink(os.path.abspath(loyalty), os.path.join(tools, "loyalty"))
        os.symlink(os.path.abspath(protoc), os.path.join(tools, "protoc"))
        environment = dict(os.environ, PATH=tools + os.pathsep + os.environ.get("PATH", ""),
                           TZ="UTC", LC_ALL="C")
        failures = 0
        last_output = None
        runs = 0
        for kind, line, body in found:
            where = f"{doc}:{line}"
            if kind == "output":
                if last_output is None:
                    print(f"{where}: an output block with no run block before it", file=sys.stderr)
                    failures += 1
                    continue
                missing = missing_lines(body, last_output)
                if missing is not None:
                    print(f"{where}: the output has no line matching {missing!r} (in order); "
                          f"it was:\n{last_output}", file=sys.stderr)
                    failures += 1
                last_output = None
                continue
            runs += 1
            script = "\n".join(body) + "\n"
            result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=work,
                                    env=environment, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    timeout=TIMEOUT_SECONDS, check=False)
            last_output = result.stdout.decode("utf-8", errors="replace")
            if result.returncode != 0:
                print(f"{where}: the block exited with {result.returncode}:\n{script}\n"
                      f"output:\n{last_output}", file=sys.stderr)
                failures += 1
        if failures:
            print(f"auditing_doc_test: {failures} failure(s) in {runs} blocks", file=sys.stderr)
            return 1
        print(f"auditing_doc_test: {runs} blocks of {doc} ran and printed what it says")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
