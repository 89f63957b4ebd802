#!/usr/bin/python3
"""The identifier-zoo table of a results folder (README "Identifier zoo").

    python3 analysis/zoo_scan_table.py DIR

prints, from DIR/summary.json (docs/outputs.md), one markdown row per VM:
its host (the workload), the kind of its main identifier (the one that
places), the FMEM hit ratio against the oracle's and first touch's, the
main identifier's mean recall, its collection CPU (identifiers[].collection,
ms per simulated second) and the bytes its migrations moved (MiB).

Exit status: 0 ok, 2 bad input (missing file or key), with a message
naming the file.
"""

import json
import sys


def rows(summary):
    for host in summary["hosts"]:
        for vm in host["vms"]:
            ident = vm["identifiers"][0]
            coll = ident["collection"]
            oracle = vm["oracle_hit_ratio"]
            yield "| %s | `%s` | %.3f | %s | %.3f | %s | %.2f | %.0f |" % (
                host["name"], ident["kind"], vm["fmem_hit_ratio"],
                "%.3f" % oracle if oracle is not None else "-",
                vm["static_hit_ratio"],
                "%.2f" % ident["recall"] if ident["recall"] is not None
                else "-",
                coll["cpu_ns_per_s"] / 1e6,
                vm["migration"]["bytes"] / 2**20)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: zoo_scan_table.py DIR\n")
        return 2
    path = argv[1] + "/summary.json"
    try:
        with open(path) as f:
            summary = json.load(f)
        out = list(rows(summary))
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.stderr.write("zoo_scan_table.py: %s: %s\n" % (path, e))
        return 2
    print("| workload | placed by | FMEM hit ratio | oracle | first touch "
          "| recall | collection CPU (ms/s) | MiB moved |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in out:
        print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
