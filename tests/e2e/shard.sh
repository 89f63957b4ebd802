#!/bin/sh
# tmsim run --shard I/N + tmsim merge (DESIGN.md §11): a 5-host config run
# unsharded and as 1, 2, 3 and 7 shards (7 > hosts: two shards hold no
# host), each merged, gives the same summary.json, timeseries.csv and
# epochs.csv byte for byte; parts are marked partial; merge refuses a
# missing or repeated shard, parts of another config or split, a whole
# run, an unfinished or damaged part, with exit status 2.
. "$(dirname "$0")/lib.sh"
cfg=tests/e2e/shard.yaml
files="summary.json timeseries.csv epochs.csv"
expect_exit 0 "$TMSIM" merge --help
grep -q "usage: tmsim merge PART... -o DIR" "$WORK/out" || die "merge --help has no usage"
expect_exit 0 "$TMSIM" run --help
grep -q -- "--shard I/N" "$WORK/out" || die "run --help does not tell --shard"
expect_exit 0 "$TMSIM" --help
grep -q "^  merge PART" "$WORK/out" || die "tmsim --help does not list merge"
expect_exit 0 "$TMSIM" run "$cfg" -q --threads 2 -o "$WORK/full"

# run_shards N: every shard I/N into $WORK/pN-I (1 thread: the shard
# output must not depend on it either).
run_shards() {
	i=0
	while [ "$i" -lt "$1" ]; do
		expect_exit 0 "$TMSIM" run "$cfg" -q --threads 1 --shard "$i/$1" \
			-o "$WORK/p$1-$i"
		i=$((i + 1))
	done
}
for n in 1 2 3 7; do
	run_shards "$n"
	# Parts in reverse order: the merge orders hosts, not arguments.
	parts=$(ls -d "$WORK/p$n-"* | sort -r)
	# shellcheck disable=SC2086
	expect_exit 0 "$TMSIM" merge $parts -o "$WORK/m$n"
	for f in $files; do
		cmp "$WORK/full/$f" "$WORK/m$n/$f" ||
			die "$f of $n shards merged differs from the unsharded run"
	done
	[ "$(ls "$WORK/m$n")" = "$(ls "$WORK/full")" ] ||
		die "merge of $n wrote other files: $(ls "$WORK/m$n")"
done

# part.json keeps every double exactly: each VM's fair_x is
# min(1, hits_fmem / accesses / target_hit), recomputed here from the
# integers of the unsharded summary.json (IEEE division either way).
python3 - "$WORK/full/summary.json" "$WORK/p3-0/part.json" "$WORK/p3-1/part.json" \
	"$WORK/p3-2/part.json" <<'PY' || die "part.json does not keep fair_x exactly"
import json, sys
full = json.load(open(sys.argv[1]))
n = 0
for path in sys.argv[2:]:
    for host in json.load(open(path))["hosts"]:
        vms = full["hosts"][host["index"]]["vms"]
        for vm, agg in zip(vms, host["aggregate"]["vms"]):
            want = min(1.0, vm["hits_fmem"] / vm["accesses"] /
                       vm["rebalancing"]["target_hit"])
            if agg["fair_x"] != want:
                sys.exit("%s: %s: fair_x %r, expected %r" % (path, vm["name"], agg["fair_x"], want))
            n += 1
sys.exit(0 if n == 10 else "checked %d VMs, expected 10" % n)
PY

# The merge adds doubles in config order (hosts, then VMs), as one run
# does.  Per-VM mean FMEM pages of 2^-13, 2^40, 2^-13 on hosts 0, 1, 2:
# in config order each 2^-13 is half an ulp of 2^40 and rounds away
# (2^40 pages = 2^52 bytes); in the parts' order (hosts 0, 2, 4, 1, 3) the
# two add up first and survive (2^52 + 1 bytes).
cp -r "$WORK/p2-0" "$WORK/q0"
cp -r "$WORK/p2-1" "$WORK/q1"
python3 - "$WORK/q0/part.json" "$WORK/q1/part.json" <<'PY'
import json, sys
pages = {0: 2.0 ** -13, 1: 2.0 ** 40, 2: 2.0 ** -13}
for path in sys.argv[1:]:
    part = json.load(open(path))
    for host in part["hosts"]:
        for k, vm in enumerate(host["aggregate"]["vms"]):
            vm["mean_fmem_pages"] = pages.get(host["index"], 0.0) if k == 0 else 0.0
    json.dump(part, open(path, "w"), indent=1)
PY
expect_exit 0 "$TMSIM" merge "$WORK/q1" "$WORK/q0" -o "$WORK/order"
python3 - "$WORK/order/summary.json" <<'PY' || die "the merge added in another order"
import json, sys
got = json.load(open(sys.argv[1]))["cluster"]["rebalancing"]["fmem_mean_allocated_bytes"]
sys.exit(0 if got == 2 ** 52 else "fmem_mean_allocated_bytes %d, expected 2^52" % got)
PY

# A part is marked partial and holds exactly its hosts (h % N == I).
p=$WORK/p3-1
[ ! -e "$p/summary.json" ] || die "a part has a summary.json"
[ "$(ls "$p")" = "epochs.part.csv
part.json
timeseries.part.csv" ] || die "unexpected files in a part: $(ls "$p")"
grep -q '"partial": true' "$p/part.json" || die "part.json not marked partial"
grep -q '"index": 1,' "$p/part.json" && grep -q '"count": 3' "$p/part.json" ||
	die "part.json does not name shard 1/3"
hosts=$(cut -d, -f2 "$p/timeseries.part.csv" | sed 1d | sort -u | tr '\n' ' ')
[ "$hosts" = "h1 h4 " ] || die "shard 1/3 simulated hosts '$hosts', expected h1 h4"
expect_exit 0 "$TMSIM" run "$cfg" --threads 1 --shard 1/3 -o "$WORK/table"
[ "$(cut -d' ' -f1 "$WORK/out" | sed 1d | sort -u | tr '\n' ' ')" = "h1 h4 " ] ||
	die "the result table of shard 1/3 shows other hosts: $(cat "$WORK/out")"
grep -q "shard 1/3 (2 of 5 hosts)" "$WORK/err" || die "no shard line: $(cat "$WORK/err")"

# expect_fail MESSAGE CMD...: exit status 2, MESSAGE on stderr, and no
# summary.json written into $WORK/bad.
expect_fail() {
	msg=$1
	shift
	expect_exit 2 "$@"
	grep -qF -- "$msg" "$WORK/err" ||
		die "'$*': expected '$msg', got: $(cat "$WORK/err")"
	[ ! -e "$WORK/bad/summary.json" ] || die "'$*' wrote a summary.json"
}
expect_fail "missing shard 1/3" "$TMSIM" merge "$WORK/p3-0" "$WORK/p3-2" -o "$WORK/bad"
expect_fail "missing shards 1/7, 2/7, 5/7" "$TMSIM" merge "$WORK/p7-0" \
	"$WORK/p7-3" "$WORK/p7-4" "$WORK/p7-6" -o "$WORK/bad"
expect_fail "shard 0/3 given twice: $WORK/p3-0 and $WORK/p3-0" "$TMSIM" merge \
	"$WORK/p3-0" "$WORK/p3-1" "$WORK/p3-0" "$WORK/p3-2" -o "$WORK/bad"
expect_fail "is shard 0/2 but $WORK/p3-1 is shard 1/3: parts of different splits" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/p3-1" -o "$WORK/bad"
expect_exit 0 "$TMSIM" run "$cfg" -q --seed 12 --shard 1/2 -o "$WORK/seed12"
expect_fail "$WORK/p2-0 and $WORK/seed12 are parts of different configs" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/seed12" -o "$WORK/bad"
expect_exit 0 "$TMSIM" run "$cfg" -q --set hosts.h2.vms.kv.fmem=20% \
	--shard 1/2 -o "$WORK/other"
expect_fail "parts of different configs" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/other" -o "$WORK/bad"
expect_fail "$WORK/full: the results of a whole run (summary.json), not a partial folder" \
	"$TMSIM" merge "$WORK/full" -o "$WORK/bad"
expect_fail "$WORK/nowhere: no such folder" "$TMSIM" merge "$WORK/nowhere" -o "$WORK/bad"
expect_fail "a partial folder (part.json): merge into another folder" \
	"$TMSIM" merge "$WORK/p1-0" -o "$WORK/p2-0"
expect_fail "expected PART... and -o DIR" "$TMSIM" merge "$WORK/p1-0"
expect_fail "--shard: expected I/N with 0 <= I < N (0-based), got \"3/3\"" \
	"$TMSIM" run "$cfg" -q --shard 3/3 -o "$WORK/bad"
expect_fail "holds the results of a run (summary.json)" \
	"$TMSIM" run "$cfg" -q --shard 0/2 -o "$WORK/full"

# Unfinished and damaged parts.
cp -r "$WORK/p2-1" "$WORK/cut"
rm "$WORK/cut/part.json"
expect_fail "$WORK/cut: no part.json: not a partial results folder, or its shard did not finish" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/cut" -o "$WORK/bad"
rm -r "$WORK/cut"
cp -r "$WORK/p2-1" "$WORK/cut"
head -c -10 "$WORK/p2-1/timeseries.part.csv" >"$WORK/cut/timeseries.part.csv"
expect_fail "$WORK/cut/timeseries.part.csv: " "$TMSIM" merge "$WORK/p2-0" "$WORK/cut" -o "$WORK/bad"
grep -qF "the file is not this part's" "$WORK/err" || die "truncation: $(cat "$WORK/err")"
cp "$WORK/p2-1/timeseries.part.csv" "$WORK/cut/"
sed 's/"seed": 11,/"seed": 13,/' "$WORK/p2-1/part.json" >"$WORK/cut/part.json"
expect_fail "does not match its config" "$TMSIM" merge "$WORK/p2-0" "$WORK/cut" -o "$WORK/bad"
sed 's/"tmsim_version": "[^"]*"/"tmsim_version": "0.0.0"/' "$WORK/p2-1/part.json" \
	>"$WORK/cut/part.json"
expect_fail "$WORK/cut/part.json: written by tmsim 0.0.0, this is tmsim" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/cut" -o "$WORK/bad"
printf '{"partial": true,\n "tmsim_version": 1}\n' >"$WORK/cut/part.json"
expect_fail "$WORK/cut/part.json: tmsim_version: wrong type, expected a string" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/cut" -o "$WORK/bad"
printf '{"partial": tru' >"$WORK/cut/part.json"
expect_fail "$WORK/cut/part.json:1:" "$TMSIM" merge "$WORK/p2-0" "$WORK/cut" -o "$WORK/bad"

# Writing a shard again replaces the part whole (part.json last).
expect_exit 0 "$TMSIM" run "$cfg" -q --shard 0/3 -o "$WORK/p2-0"
expect_fail "is shard 0/3 but $WORK/p2-1 is shard 1/2" \
	"$TMSIM" merge "$WORK/p2-0" "$WORK/p2-1" -o "$WORK/bad"
[ -z "$(ls -A "$WORK/p2-0" | grep tmp || true)" ] || die "temp files left in a part"
echo ok
