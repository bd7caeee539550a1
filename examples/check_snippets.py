#!/usr/bin/env python3
"""Keeps a guide's code snippets equal to the example code they show.

    usage: check_snippets.py REPOSITORY_ROOT DOC.md...

A snippet in a document is a fenced code block right after a marker line

    <!-- snippet: examples/service/main.cc open -->

and must equal, line for line, the region of that file between the lines
holding `[START open]` and `[END open]` (any comment syntax), with the
region's common indentation removed. Every repository path a document names
in backquotes (examples/..., tests/..., include/..., docs/..., capi/...) must
exist. The examples themselves run in other tests, so a snippet that passes
here shows code that builds and works.
"""

import os
import re
import sys
import textwrap

MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+)\s+(\S+)\s*-->\s*$")
FENCE = re.compile(r"^(```+|~~~+)")
PATH = re.compile(r"`((?:examples|tests|include|docs|capi|schemas|tools)/[A-Za-z0-9_./-]+)`")


def region(path, name):
    with open(path, encoding="utf-8") as source:
        lines = source.read().splitlines()
    start = [i for i, line in enumerate(lines) if f"[START {name}]" in line]
    end = [i for i, line in enumerate(lines) if f"[END {name}]" in line]
    if len(start) != 1 or len(end) != 1 or end[0] <= start[0]:
        return None
    return textwrap.dedent("\n".join(lines[start[0] + 1:end[0]])).splitlines()


def check(root, doc):
    errors = []
    with open(doc, encoding="utf-8") as text:
        lines = text.read().splitlines()
    snippets = 0
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        i += 1
        if not marker:
            continue
        where = f"{doc}:{i}"
        file, name = marker.groups()
        while i < len(lines) and not lines[i].strip():
            i += 1
        fence = FENCE.match(lines[i]) if i < len(lines) else None
        if not fence:
            errors.append(f"{where}: no code block after the snippet marker")
            continue
        i += 1
        block = []
        while i < len(lines) and not lines[i].startswith(fence.group(1)):
            block.append(lines[i])
            i += 1
        i += 1
        snippets += 1
        path = os.path.join(root, file)
        if not os.path.isfile(path):
            errors.append(f"{where}: {file} does not exist")
            continue
        want = region(path, name)
        if want is None:
            errors.append(f"{where}: {file} has no single region [START {name}]..[END {name}]")
        elif block != want:
            diff = "\n".join(
                f"  line {n + 1}:\n    doc:  {d!r}\n    file: {f!r}"
                for n, (d, f) in enumerate(zip(block + [""] * len(want), want + [""] * len(block)))
                if d != f)
            errors.append(f"{where}: the snippet differs from {file} [{name}]:\n{diff}")
    for number, line in enumerate(lines, 1):
        for named in PATH.findall(line):
            if not os.path.exists(os.path.join(root, named.rstrip("/"))):
                errors.append(f"{doc}:{number}: names {named}, which does not exist")
    if snippets == 0:
        errors.append(f"{doc}: no snippets")
    return snippets, errors


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    failed = False
    for doc in argv[2:]:
        snippets, errors = check(root, doc)
        for error in errors:
            print(error, file=sys.stderr)
        failed = failed or bool(errors)
        if not errors:
            print(f"{doc}: {snippets} snippets match their files")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
