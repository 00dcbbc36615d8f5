#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""JSON output of a tool (-j) against its man page and the truth of a run.

  jsoncheck.py check MAN FILE LABEL [options]
      Every line of FILE must parse as one JSON object.  Each object has a
      kind (the man page's JSON section lists the kinds and their fields): a
      line {"summary":{...}} is of kind "summary", a line with a key named by
      --kind-if KEY=KIND of that kind, any other of --kind's.  Its fields
      must all be documented for that kind, and every "always:" field must
      be there.  Nested histograms (objects with "buckets") are checked as
      kind "hist" (total == sum of the counts, buckets ordered, lo <= hi),
      and the elements of an array field F as kind F without its "s" when
      the page has such a kind.  Options:
        --kind KIND            the kind of the other lines (default: none)
        --kind-if KEY=KIND     lines that have KEY are of KIND
        --seen FILE            appends "kind field" for every field seen
        --eq WHAT EXPR VALUE   str(eval(EXPR)) must be VALUE; EXPR sees
                               rows (kind -> list of objects) and the
                               helpers below (where, total)
        --min-lines N          at least N lines (default 1)
  jsoncheck.py coverage MAN SEEN [--unreachable KIND.FIELD=WHY ...]
      Every documented field of every kind was seen in at least one run
      (SEEN, from --seen); one the test bed cannot produce is named with
      --unreachable and reported as SKIP with the reason.

Prints "ok - ..." / "not ok - ..." / "SKIP - ..." lines (tests/vm/lib.sh's
format); exits 1 when something failed.
"""
import json
import re
import sys

FAILS = 0


def ok(msg):
    print(f"ok - {msg}")


def not_ok(msg):
    global FAILS
    FAILS += 1
    print(f"not ok - {msg}")


def man_kinds(path):
    """{kind: (always, also)} from the .SH JSON section of a man page: a
    .TP, then ".B kind", then lines "... always: a, b (why), c" and
    "also: d (when), e and f (when)"."""
    kinds, kind, part = {}, None, None
    in_json = False
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith(".SH"):
            in_json = line.strip() == ".SH JSON"
            continue
        if not in_json:
            continue
        if line.startswith(".B ") and kind is None:
            kind = line[3:].strip()
            kinds[kind] = ([], [])
            part = None
            continue
        if line.startswith(".TP") or line.startswith(".PP"):
            kind = None
            continue
        if kind is None or line.startswith("."):
            continue
        text = re.sub(r"\\f[BIRP]|\\-|\\%", lambda m: "-" if m.group(0) == "\\-" else "", line)
        for word, idx in (("always:", 0), ("also:", 1)):
            if word in text:
                part = idx
                text = text.split(word, 1)[1]
        if part is not None:
            kinds[kind][part].append(text)
    out = {}
    for k, (always, also) in kinds.items():
        out[k] = (fields_of(" ".join(always)), fields_of(" ".join(also)))
    return out


def fields_of(text):
    """Field names of "a, b (why, more), c and d (when)"."""
    while True:
        t = re.sub(r"\([^()]*\)", "", text)
        if t == text:
            break
        text = t
    names = []
    for item in re.split(r",| and ", text):
        item = item.strip()
        if re.fullmatch(r"[a-z_][a-z0-9_]*", item):
            names.append(item)
    return names


def where(rows, kind, **match):
    return [r for r in rows.get(kind, []) if all(r.get(k) == v for k, v in match.items())]


def total(objs, field):
    return sum(o.get(field, 0) for o in objs)


class Checker:
    def __init__(self, kinds, label):
        self.kinds, self.label = kinds, label
        self.seen = set()
        self.problems = []

    def problem(self, msg):
        if len(self.problems) < 5:
            self.problems.append(msg)

    def check_hist(self, h, where_):
        self.check_fields("hist", h, where_)
        buckets = h.get("buckets", [])
        last_hi = -1
        for b in buckets:
            if set(b) != {"lo", "hi", "count"}:
                self.problem(f"{where_}: bucket fields {sorted(b)}")
                return
            if not (last_hi < b["lo"] <= b["hi"]) or b["count"] <= 0:
                self.problem(f"{where_}: bucket out of order or empty: {b}")
            last_hi = b["hi"]
        if h.get("total") != sum(b.get("count", 0) for b in buckets):
            self.problem(f"{where_}: total {h.get('total')} != sum of the buckets")

    def check_fields(self, kind, obj, where_):
        if kind not in self.kinds:
            self.problem(f"{where_}: kind '{kind}' is not in the man page")
            return
        always, also = self.kinds[kind]
        for k in obj:
            self.seen.add((kind, k))
        unknown = sorted(set(obj) - set(always) - set(also))
        missing = sorted(set(always) - set(obj))
        if unknown:
            self.problem(f"{where_}: {kind} fields not in the man page: {unknown}")
        if missing:
            self.problem(f"{where_}: {kind} lacks always-fields {missing}")
        for k, v in obj.items():
            if isinstance(v, dict) and "buckets" in v:
                self.check_hist(v, f"{where_}.{k}")
            elif isinstance(v, list) and k.endswith("s") and k[:-1] in self.kinds:
                for i, e in enumerate(v):
                    self.check_fields(k[:-1], e, f"{where_}.{k}[{i}]")


def cmd_check(argv):
    man, path, label = argv[:3]
    opts = argv[3:]
    default_kind, kind_if, seen_file, eqs, min_lines = None, {}, None, [], 1
    i = 0
    while i < len(opts):
        o = opts[i]
        if o == "--kind":
            default_kind = opts[i + 1]; i += 2
        elif o == "--kind-if":
            k, v = opts[i + 1].split("=", 1); kind_if[k] = v; i += 2
        elif o == "--seen":
            seen_file = opts[i + 1]; i += 2
        elif o == "--min-lines":
            min_lines = int(opts[i + 1]); i += 2
        elif o == "--eq":
            eqs.append(tuple(opts[i + 1:i + 4])); i += 4
        else:
            sys.exit(f"jsoncheck: unknown option {o}")
    c = Checker(man_kinds(man), label)
    rows = {}
    lines = [l for l in open(path).read().split("\n") if l != ""]
    bad = 0
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            bad += 1
            c.problem(f"line {n} is not JSON ({e}): {line[:120]}")
            continue
        if not isinstance(obj, dict):
            bad += 1
            c.problem(f"line {n} is not an object: {line[:120]}")
            continue
        if list(obj) == ["summary"]:
            kind, obj = "summary", obj["summary"]
        else:
            kind = next((v for k, v in kind_if.items() if k in obj), default_kind)
        rows.setdefault(kind, []).append(obj)
        c.check_fields(kind, obj, f"line {n}")
    if bad or len(lines) < min_lines:
        not_ok(f"{label}: {len(lines)} lines, {bad} not JSON objects (at least {min_lines} wanted)"
               + (f": {c.problems[0]}" if c.problems else ""))
    else:
        ok(f"{label}: {len(lines)} lines, each one JSON object")
    if c.problems:
        not_ok(f"{label}: fields against the man page: " + "; ".join(c.problems))
    else:
        ok(f"{label}: every field documented, every always-field present "
           f"({', '.join(f'{k}:{len(v)}' for k, v in sorted(rows.items(), key=lambda x: str(x[0])))})")
    # globals, not locals: a comprehension inside EXPR sees only globals
    env = {"__builtins__": {}, "rows": rows,
           "where": lambda k, **m: where(rows, k, **m), "total": total, "len": len,
           "sorted": sorted, "set": set, "all": all, "any": any, "sum": sum,
           "min": min, "max": max, "abs": abs, "zip": zip}
    for what, expr, want in eqs:
        try:
            got = str(eval(expr, env))
        except Exception as e:  # a missing field is a failure, not a crash
            got = f"<{type(e).__name__}: {e}>"
        if got == want:
            ok(f"{label}: {what} ({got})")
        else:
            not_ok(f"{label}: {what}: expected '{want}', got '{got}' [{expr}]")
    if seen_file:
        with open(seen_file, "a") as f:
            for kind, key in sorted(c.seen, key=str):
                f.write(f"{kind} {key}\n")


def cmd_coverage(argv):
    man, seen_path = argv[:2]
    unreachable = {}
    rest = argv[2:]
    while rest:
        if rest[0] != "--unreachable":
            sys.exit(f"jsoncheck: unknown option {rest[0]}")
        k, why = rest[1].split("=", 1)
        unreachable[k] = why
        rest = rest[2:]
    try:
        seen = {tuple(l.split()) for l in open(seen_path) if l.strip()}
    except FileNotFoundError:
        seen = set()
    tool = man.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for kind, (always, also) in sorted(man_kinds(man).items()):
        missed = []
        for f in always + also:
            if (kind, f) in seen:
                continue
            if f"{kind}.{f}" in unreachable:
                print(f"SKIP - {tool} JSON {kind}.{f}: never printed here: {unreachable[f'{kind}.{f}']}")
                continue
            missed.append(f)
        if missed:
            not_ok(f"{tool} JSON {kind}: documented but never printed in these runs: {missed}")
        else:
            ok(f"{tool} JSON {kind}: all {len(always) + len(also)} documented fields printed")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("check", "coverage"):
        sys.exit(__doc__)
    (cmd_check if sys.argv[1] == "check" else cmd_coverage)(sys.argv[2:])
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
