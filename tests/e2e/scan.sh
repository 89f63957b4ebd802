#!/bin/sh
# Scan- and fault-driven identifiers (DESIGN.md §6.2, §13; damon, tpp,
# autotiering, vtmm):
# each drives placement from a generator's full trace and from a lackey
# trace, beating the static first-touch placement on a hot set that starts
# in SMEM; on a samples trace each exits 2 (located, naming the kind and
# the way out) unless `approximate: sampled`; vtmm, which needs EPT, runs
# only where the VM places from the host and is refused (exit 2, located)
# in the guest; and runs are deterministic at 1 and 2 threads.
. "$(dirname "$0")/lib.sh"
kinds="${SCAN_KINDS:-damon tpp autotiering vtmm}"

# A lackey trace of a hot set that first touch puts in SMEM
# (analysis/hot_lackey.py: deterministic, no valgrind needed).
python3 analysis/hot_lackey.py "$WORK/hot.lackey"
expect_exit 0 "$TMSIM" import --from lackey "$WORK/hot.lackey" --time index \
	--rate 100k/s -o "$WORK/hot.tmt"
expect_exit 0 "$TMSIM" import --from lackey "$WORK/hot.lackey" --time index \
	--rate 100k/s --sample-period 97 -o "$WORK/hot-samples.tmt"

# config KIND TRACE-MAPPING [IDENT-EXTRA] [SHADOWS] [WHERE]
config() {
	shadows=${4:-"[{kind: exact}]"}
	where=${5:-}
	[ -n "$where" ] || { [ "$1" = vtmm ] && where=host || where=guest; }
	cat <<YAML
duration: 3s
epoch: 100ms
hosts:
  - fmem: 1GiB
    smem: 4GiB
    vms:
      - memory: 64MiB
        fmem: 4MiB
        identifier: {kind: $1${3:-}}
        shadow_identifiers: $shadows
        migration: {mode: migrate, where: $where}
        trace: $2
YAML
}
# the hot set moves at 0.5 s, when FMEM is full: it is in SMEM then
gen="{gen: hotset, kind: accesses, footprint: 32MiB, hot: 2MiB,
               hot_share: 0.9, moves: [{at: 500ms, offset: 16MiB}],
               rate: 200k/s}"
lackey="{file: $WORK/hot.tmt}"
samples="{file: $WORK/hot-samples.tmt}"

# hit ratio and promotions of a run
result() {
	python3 - "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1] + "/summary.json"))["hosts"][0]["vms"][0]
i = v["identifiers"][0]
# a scan-driven kind takes no samples: its CPU is its own scans and faults
assert i["cpu_ns_per_sample"] == 0 and i["cpu_ns"] > 0, i
# ... split by source in its collection cost, which sums to it
c = i["collection"]
parts = (c["samples_cpu_ns"], c["scan_cpu_ns"], c["fault_cpu_ns"],
         c["pml_cpu_ns"])
assert c["samples"] == 0 and c["samples_cpu_ns"] == 0, c
assert abs(c["cpu_ns"] - sum(parts)) <= 3 and c["cpu_ns"] == i["cpu_ns"], c
assert c["ptes"] > 0 and c["scan_cpu_ns"] > 0, c
assert c["faults"] == 0 or i["kind"] in ("tpp", "autotiering"), c
assert c["pml_entries"] == 0 or i["kind"] == "vtmm", c
assert c["site"] == ("host" if i["kind"] == "vtmm" else "guest"), c
assert abs(c["cpu_ns_per_s"] * 3 - c["cpu_ns"]) <= 3, c   # 3 s runs
print(v["fmem_hit_ratio"], v["static_hit_ratio"],
      v["migration"]["promotions"], i["kind"],
      c["faults"] + c["pml_entries"])
PY
}

# tpp: the sysctl's 1 s threshold promotes nearly every page of a 32 MiB
# footprint at 200k accesses/s (a cold page faults within 0.4 s); 20 ms
# separates the hot set (a fault every ~3 ms) from the rest; autotiering's
# history at the 1 s default gains a 1 on nearly every page every period
# (a cold page is accessed every ~0.4 s): 20 ms visits tell them apart
for kind in $kinds; do
	extra=""
	[ "$kind" != tpp ] || extra=", hot_threshold: 20ms"
	[ "$kind" != autotiering ] ||
		extra=", scan_delay: 20ms, scan_period: 20ms"
	for src in gen lackey; do
		eval "trace=\$$src"
		config "$kind" "$trace" "$extra" >"$WORK/c.yaml"
		expect_exit 0 "$TMSIM" run "$WORK/c.yaml" -q -o "$WORK/r1"
		set -- $(result "$WORK/r1")
		echo "$kind $src: hit $1 static $2 promotions $3"
		[ "$4" = "$kind" ] || die "$kind $src: main identifier is $4"
		[ "$3" -gt 0 ] || die "$kind $src: nothing promoted"
		# hint faults (tpp, autotiering); PML entries (vtmm) from the
		# lackey trace's stores (the generator's accesses are loads)
		[ "$5" -gt 0 ] || [ "$kind" = damon ] ||
			[ "$kind$src" = vtmmgen ] ||
			die "$kind $src: no fault or PML entry"
		python3 -c "import sys; sys.exit(not $1 > $2 + 0.05)" ||
			die "$kind $src: hit $1 not above static $2"
		expect_exit 0 "$TMSIM" run "$WORK/c.yaml" -q -o "$WORK/r2" \
			--threads 2
		for f in summary.json timeseries.csv epochs.csv; do
			cmp "$WORK/r1/$f" "$WORK/r2/$f" ||
				die "$kind $src: $f differs with --threads 2"
		done
	done
	# samples: refused, then approximated
	config "$kind" "$samples" >"$WORK/c.yaml"
	expect_exit 2 "$TMSIM" run "$WORK/c.yaml" -q -o "$WORK/s-$kind"
	grep -q "c.yaml:7:9: vm vm0: identifier '$kind' is scan-driven" \
		"$WORK/err" || die "$kind: not located: $(cat "$WORK/err")"
	grep -q "approximate: sampled" "$WORK/err" ||
		die "$kind: the error does not name the approximation"
	[ ! -e "$WORK/s-$kind/summary.json" ] || die "$kind: output written"
	config "$kind" "$samples" ", approximate: sampled" >"$WORK/c.yaml"
	expect_exit 0 "$TMSIM" run "$WORK/c.yaml" -q -o "$WORK/s-$kind"
	set -- $(result "$WORK/s-$kind")
	echo "$kind samples (approximate: sampled): hit $1 promotions $3"
	# as a shadow beside a sample-driven main identifier
	where=guest
	[ "$kind" != vtmm ] || where=host
	config sdh "$gen" "" "[{kind: $kind}]" "$where" >"$WORK/c.yaml"
	expect_exit 0 "$TMSIM" run "$WORK/c.yaml" -q -o "$WORK/sh"
	# the sample-driven main pays the PEBS sampling and its updates; the
	# scan-driven shadow no sample
	python3 - "$WORK/sh" <<'PY'
import json, sys
v = json.load(open(sys.argv[1] + "/summary.json"))["hosts"][0]["vms"][0]
m, s = (i["collection"] for i in v["identifiers"])
assert m["samples"] == v["samples"] > 0, m
assert abs(m["samples_cpu_ns"] - v["sampler"]["cpu_ns"] -
           v["identifiers"][0]["cpu_ns"]) <= 2, (m, v["sampler"])
assert m["ptes"] == m["faults"] == m["pml_entries"] == 0, m
assert s["samples"] == 0 and s["scan_cpu_ns"] > 0, s
PY
done

# vtmm in the guest, main or shadow: refused, located, naming the way out
for shadows in "" "[{kind: vtmm}]"; do
	if [ -n "$shadows" ]; then
		config sdh "$gen" "" "$shadows" guest >"$WORK/c.yaml"
	else
		config vtmm "$gen" "" "" guest >"$WORK/c.yaml"
	fi
	expect_exit 2 "$TMSIM" run "$WORK/c.yaml" -q -o "$WORK/g"
	grep -q "c.yaml:7:9: vm vm0: identifier 'vtmm' runs in the hypervisor" \
		"$WORK/err" || die "vtmm in the guest: $(cat "$WORK/err")"
	grep -q "migration: {where: host}" "$WORK/err" ||
		die "vtmm in the guest: the error does not name the way out"
	[ ! -e "$WORK/g/summary.json" ] || die "vtmm in the guest: output written"
done
echo ok
