#!/bin/sh
# perf script text read by its shape (docs/importers.md "perf-script"):
# perf's default fields (+addr), an -F list in another order with comm, and
# microsecond times import to the records the perf.data of the same
# recording gives (compared through `tmsim inspect --json`: counts, times,
# addresses, footprint, coverage, heatmap; record for record in
# tests/test_perfscript_shapes.c).  The texts are made by perf at test time
# when perf is installed, else the copies in tests/fixtures are read.
# --split pid of the system-wide text gives awk's per-pid counts.
. "$(dirname "$0")/lib.sh"
F=tests/fixtures
# text NAME ARGS...: WORK/NAME.txt from perf script ARGS, or the shipped copy.
text() {
	name=$1
	shift
	if command -v perf >/dev/null 2>&1 &&
		perf script "$@" >"$WORK/$name.txt" 2>/dev/null && [ -s "$WORK/$name.txt" ]; then
		:
	else
		cp "$F/$name.txt" "$WORK/$name.txt"
	fi
}
# view TMT: inspect --json without what names files or the importer.
view() {
	expect_exit 0 "$TMSIM" inspect --json "$1"
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in ("file", "source"):
    d.pop(k, None)
for k in ("source", "provenance"):
    d["header"].pop(k, None)
print(json.dumps(d, sort_keys=True))' "$WORK/out"
}
# same TEXT DATA [import options]: TEXT imports as DATA does.
same() {
	t=$1 d=$2
	shift 2
	expect_exit 0 "$TMSIM" import --from perf-data "$d" -o "$WORK/d.tmt" "$@"
	view "$WORK/d.tmt" > "$WORK/d.json"
	expect_exit 0 "$TMSIM" import --from perf-script "$t" -o "$WORK/t.tmt" "$@"
	view "$WORK/t.tmt" > "$WORK/t.json"
	cmp -s "$WORK/d.json" "$WORK/t.json" || die "$t $*: differs from $d"
}
Z=$F/zstd_dd.perf.data
text zstd_dd.default-addr -i $Z -F +addr --ns
text zstd_dd.reordered -i $Z -F phys_addr,data_src,addr,event,time,cpu,tid,pid,comm,period --ns
text zstd_dd.default -i $Z
text pagetouch.comm -i $F/pagetouch.perf.data \
	-F comm,phys_addr,weight,data_src,addr,period,ip,event,time,cpu,tid,pid --ns
same "$WORK/zstd_dd.default-addr.txt" $Z
same "$WORK/zstd_dd.reordered.txt" $Z
same "$WORK/zstd_dd.reordered.txt" $Z --addr phys
same "$WORK/pagetouch.comm.txt" $F/pagetouch.perf.data
same "$WORK/pagetouch.comm.txt" $F/pagetouch.perf.data --addr phys
same $F/pagetouch.perf-script.txt $F/pagetouch.perf.data
# the same list named in another order
expect_exit 0 "$TMSIM" import --from perf-script "$WORK/zstd_dd.reordered.txt" \
	--fields comm,period,time,tid,pid,addr,cpu,event,data_src,phys_addr -o "$WORK/f.tmt"
view "$WORK/f.tmt" > "$WORK/f.json"
expect_exit 0 "$TMSIM" import --from perf-data $Z -o "$WORK/d.tmt"
view "$WORK/d.tmt" > "$WORK/d.json"
cmp -s "$WORK/d.json" "$WORK/f.json" || die "--fields in another order differs"
# perf's default fields alone: a software event's ip, no data address
expect_exit 2 "$TMSIM" import --from perf-script "$WORK/zstd_dd.default.txt" -o "$WORK/x.tmt"
grep -q "no addr column.*perf script -F +addr" "$WORK/err" || die "default fields: $(cat "$WORK/err")"
[ ! -e "$WORK/x.tmt" ] || die "output left after an error"
# a line that does not fit: file:line:col and the shape
sed '3s/page-faults:/page-faults: 12/' "$WORK/zstd_dd.default-addr.txt" > "$WORK/bad.txt"
expect_exit 2 "$TMSIM" import --from perf-script "$WORK/bad.txt" -o "$WORK/x.tmt"
grep -q "bad.txt:3:.*the text's shape: comm tid \[cpu\] time: period event: addr sym (dso) ip sym (dso)" \
	"$WORK/err" || die "off-shape line: $(cat "$WORK/err")"
# --split pid of perf script text: awk's per-pid counts
text syswide.perf-script -i $F/syswide.perf.data -F comm,pid,tid,cpu,time,addr --ns
expect_exit 0 "$TMSIM" import --from perf-script "$WORK/syswide.perf-script.txt" \
	--split pid -o "$WORK/split"
awk '{split($2, a, "/"); n[a[1]]++} END {for (p in n) print p, n[p]}' \
	"$WORK/syswide.perf-script.txt" | sort > "$WORK/want"
/usr/bin/python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["streams"]:
    print(s["key"], s["samples"])' "$WORK/split/index.json" | sort > "$WORK/got"
cmp -s "$WORK/want" "$WORK/got" || die "--split pid of the text differs from awk"
expect_exit 0 "$TMSIM" validate "$WORK/split/cluster.yaml"
# the text has no pid: a usage error naming the column, no DIR
expect_exit 2 "$TMSIM" import --from perf-script "$WORK/zstd_dd.default-addr.txt" \
	--split pid -o "$WORK/nopid"
grep -q -- "--split pid: no pid column" "$WORK/err" || die "no-pid split: $(cat "$WORK/err")"
[ ! -e "$WORK/nopid" ] || die "DIR left after an error"
exit 0
