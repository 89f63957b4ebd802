#!/usr/bin/python3
"""A small lackey trace with a hot set that first touch puts in SMEM.

    python3 analysis/hot_lackey.py OUT

writes, in valgrind's `--tool=lackey --trace-mem=yes` format, the memory
accesses of a program that first writes a 16 MiB buffer (4096 pages), then
reads its last 2 MiB 90% of the time and the rest 10%, 300,000 reads (plus
one stack read in 7): the hot pages are touched last, so first-touch
placement puts them in SMEM.  Deterministic (a fixed LCG), so the repo can
make it without valgrind.  `tmsim import --from lackey OUT -o T.tmt
--time index --rate 100k/s` turns it into a full trace
(tests/e2e/scan.sh, analysis/zoo_scan_lackey.sh).
"""

import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: hot_lackey.py OUT\n")
        return 2
    base, pages, hot = 0x4a28000, 4096, 512
    with open(argv[1], "w") as out:
        out.write("==1== Lackey, an example Valgrind tool\n")
        for p in range(pages):
            out.write(" S %08x,8\n" % (base + p * 4096))
        x = 12345
        for i in range(300000):
            x = (x * 1103515245 + 12345) % (1 << 31)
            if x % 10:
                p = pages - hot + (x >> 8) % hot
            else:
                p = (x >> 8) % pages
            out.write(" L %08x,8\n" % (base + p * 4096 + (x & 0xff0)))
            if i % 7 == 0:
                out.write(" L 1ffefff%03x,8\n" % (x & 0xff8))
        out.write("==1== \n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
