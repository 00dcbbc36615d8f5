#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A name helper writes into the buffer it is given and returns it, so two
# calls with the same buffer inside one statement (one printf) print the
# same text twice: whichever call ran last wins.  This check finds such a
# statement in tools/ and common/: every helper call of one statement must
# name a buffer of its own.
#
# Usage: tests/unit/test_shared_buffers.sh   (from the top of the tree)
# Prints ok/not ok lines and "shared_buffers: N passed, N failed".
exec python3 - "$@" <<'PY'
import glob, re, sys

# helpers that format into a caller's buffer: (name, index of the buffer argument)
HELPERS = {"hci__name": 1, "btaddr__format": 1, "errno__name": 1,
           "trace__time_now": 0, "trace__time_of": 1}
call = re.compile(r"\b(" + "|".join(HELPERS) + r")\s*\(")

def args_of(text, start):
    """The argument list of the call whose '(' is at text[start]."""
    depth, args, cur = 0, [], ""
    for ch in text[start:]:
        if ch == "(":
            depth += 1
            if depth == 1:
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(cur.strip())
                return args
        elif ch == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
            continue
        cur += ch
    return args

passed = failed = 0
for path in sorted(glob.glob("tools/*.c") + glob.glob("common/*.c")):
    src = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                 open(path).read(), flags=re.S)
    line = 1
    for stmt in re.split(r"(;|\{|\})", src):
        bufs = []
        for m in call.finditer(stmt):
            a = args_of(stmt, m.end() - 1)
            idx = HELPERS[m.group(1)]
            if len(a) > idx:
                bufs.append(a[idx])
        dup = sorted({b for b in bufs if bufs.count(b) > 1})
        if dup:
            failed += 1
            print(f"not ok - {path}:{line}: buffer {', '.join(dup)} given to two name helpers in one statement")
        line += stmt.count("\n")
    passed += 1
    print(f"ok - {path}: one buffer per name helper in each statement")
print(f"shared_buffers: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
