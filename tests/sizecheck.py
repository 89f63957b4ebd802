#!/usr/bin/env python3
"""Size limits of the source tree (STYLE.md habit 8, DESIGN.md §12).

Fails (exit 1) when a .c file under lib/ traces/ models/ sim/ has more than
1,000 lines, or a function body more than 60 lines.  A function is a
definition whose opening brace stands alone at column 0 and whose closing
brace is the next column-0 "}"; tables (initialisers, "= {") are not
functions.  Usage: sizecheck.py [ROOT]
"""
import os
import re
import sys

MAX_FILE, MAX_FUNC = 1000, 60
TOP = ("lib", "traces", "models", "sim")


def check(path, rel):
    lines = open(path, encoding="utf-8").read().split("\n")
    errors = []
    if len(lines) - 1 > MAX_FILE:
        errors.append("%s: %d lines (at most %d)" %
                      (rel, len(lines) - 1, MAX_FILE))
    for i, line in enumerate(lines):
        if line != "{" or i == 0:
            continue
        j = i + 1
        while j < len(lines) and lines[j] != "}":
            j += 1
        sig = " ".join(lines[max(0, i - 3):i])
        m = re.findall(r"(\w+)\s*\(", sig)
        name = m[0] if m else "?"
        if j - i - 1 > MAX_FUNC:
            errors.append("%s:%d: %s: %d lines (at most %d)" %
                          (rel, i + 1, name, j - i - 1, MAX_FUNC))
    return errors


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors, nr = [], 0
    for top in TOP:
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith(".c"):
                    nr += 1
                    p = os.path.join(d, n)
                    errors += check(p, os.path.relpath(p, root))
    for e in errors:
        print("sizecheck: " + e, file=sys.stderr)
    if errors:
        return 1
    print("sizecheck: %d files, none over %d lines, no function over %d" %
          (nr, MAX_FILE, MAX_FUNC))
    return 0


if __name__ == "__main__":
    sys.exit(main())
