#!/usr/bin/env python3
"""Layer and cycle check of the include graph (DESIGN.md §12).

Prints, per folder, the folders its files include, and for sim/engine which
module includes which (a module is foo.c with foo.h), then fails (exit 1) on
  - an include that points up a layer (lib < traces < models < sim < sim/cli),
  - a cycle between folders, or between files,
  - a cycle between the modules of sim/engine (foo.c or foo.h including
    bar.h, and bar.c or bar.h including foo.h: each needs the other).
Includes are written from the top of the tree ("lib/alloc.h") or bare within
one folder ("topk.h"); an include that resolves to neither is an error too.
Usage: depcheck.py [ROOT]   (default: the tree this script lives in)
"""
import os
import re
import sys

LAYERS = [("sim/cli", 4), ("sim", 3), ("models", 2), ("traces", 1), ("lib", 0)]
TOP = ("lib", "traces", "models", "sim")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer(folder):
    for prefix, rank in LAYERS:
        if folder == prefix or folder.startswith(prefix + "/"):
            return prefix, rank
    raise ValueError(folder)


def sources(root):
    for top in TOP:
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, n), root)


def resolve(root, f, inc):
    near = os.path.normpath(os.path.join(os.path.dirname(f), inc))
    if "/" not in inc and os.path.exists(os.path.join(root, near)):
        return near
    if os.path.exists(os.path.join(root, inc)):
        return os.path.normpath(inc)
    return None


def find_cycle(graph):
    """One cycle of a directed graph as a list of nodes, or None."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


ENGINE = "sim/engine"


def modules(files, folder):
    """Module graph of one folder: foo -> bar when foo.c or foo.h includes
    bar.h (both in folder; a header of no .c is a module of its own)."""
    graph = {}
    for f, targets in files.items():
        if os.path.dirname(f) != folder:
            continue
        src = os.path.splitext(os.path.basename(f))[0]
        graph.setdefault(src, set())
        for t in targets:
            if os.path.dirname(t) == folder and t.endswith(".h"):
                dst = os.path.splitext(os.path.basename(t))[0]
                if dst != src:
                    graph[src].add(dst)
    return graph


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors, files, folders = [], {}, {}
    for f in sources(root):
        text = open(os.path.join(root, f), encoding="utf-8").read()
        for lineno, line in enumerate(text.splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = resolve(root, f, m.group(1))
            if target is None:
                errors.append("%s:%d: include \"%s\" resolves to no file "
                              "(write it from the top of the tree)"
                              % (f, lineno, m.group(1)))
                continue
            files.setdefault(f, set()).add(target)
            src, dst = os.path.dirname(f), os.path.dirname(target)
            if src == dst:
                continue
            folders.setdefault(src, {}).setdefault(dst, 0)
            folders[src][dst] += 1
            (sl, sr), (dl, dr) = layer(src), layer(dst)
            if dr > sr:
                errors.append("%s:%d: includes %s: %s (layer %s) may not "
                              "include %s (layer %s)"
                              % (f, lineno, target, src, sl, dst, dl))
    print("include graph by folder (folder -> folders it includes: "
          "number of includes):")
    for src in sorted(folders):
        print("  %-18s -> %s" % (src, ", ".join(
            "%s: %d" % (d, n) for d, n in sorted(folders[src].items()))))
    engine = modules(files, ENGINE)
    print("%s modules (module -> modules whose header it includes):" % ENGINE)
    for src in sorted(engine):
        print("  %-18s -> %s" % (src, ", ".join(sorted(engine[src])) or "-"))
    cycle = find_cycle(engine)
    if cycle:
        errors.append("%s module cycle: %s" % (ENGINE, " -> ".join(cycle)))
    cycle = find_cycle({k: set(v) for k, v in folders.items()})
    if cycle:
        errors.append("folder cycle: " + " -> ".join(cycle))
    cycle = find_cycle(files)
    if cycle:
        errors.append("file include cycle: " + " -> ".join(cycle))
    for e in errors:
        print("depcheck: " + e, file=sys.stderr)
    if errors:
        return 1
    print("depcheck: %d files, layers and cycles ok" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
