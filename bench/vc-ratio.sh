#!/usr/bin/env bash
# vc-ratio.sh: package vc's BenchmarkVerifyCredential beside the JS reference
# (bench/jsref: jsonld-signatures 9.3.1 with @digitalbazaar/ed25519-signature-2020
# 3.0.0 on node, contexts and DID documents in memory, warmed up), verifying
# the same credential (vc/testdata/vectors/vc/01-valid.vc.json) in one run.
# The two alternate, ROUNDS times, so that both see the same machine; it
# prints the median of each and their ratios, and leaves the raw lines (which
# benchstat reads) in $OUT.
#
#   bench/vc-ratio.sh            # or: make bench-vc
#   ROUNDS=10 BENCHTIME=3 bench/vc-ratio.sh
#
# It needs Go and node (20 or later); the first run installs the pinned JS
# packages with `npm ci` into bench/jsref/node_modules. CI does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-6}
benchtime=${BENCHTIME:-2}
out=${OUT:-bench-vc.txt}

if ! command -v node >/dev/null; then
	echo "vc-ratio: node is not installed; the JS reference needs it" >&2
	exit 1
fi
if [ ! -d bench/jsref/node_modules ]; then
	(cd bench/jsref && npm ci --no-audit --no-fund)
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test -c -o "$bin/vc.test" ./vc

: >"$out"
for i in $(seq "$rounds"); do
	echo "round $i/$rounds" >&2
	(cd vc && "$bin/vc.test" -test.run '^$' -test.bench '^BenchmarkVerify(Credential|CredentialPlain|CredentialParallel|Presentation)$' \
		-test.benchtime "${benchtime}s" -test.benchmem -test.count 1) | grep '^Benchmark' >>"$out"
	node bench/jsref/verify.js -count 1 -benchtime "$benchtime" >>"$out"
done

# Medians, and each Go figure over the JS reference's: wall time (ns/op) and
# the process's CPU time (cpu-ns/op), which a shared machine's load disturbs less.
awk -v cores="$(nproc)" '
	function median(list,   n, i, j, t, a) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		name = $1; sub(/-[0-9]+$/, "", name)
		for (i = 2; i < NF; i++) {
			if ($(i + 1) == "ns/op") wall[name] = wall[name] " " $i
			if ($(i + 1) == "cpu-ns/op") cpu[name] = cpu[name] " " $i
			if ($(i + 1) == "allocs/op") allocs[name] = $i
		}
		if (!(name in seen)) { seen[name] = 1; order[++k] = name }
	}
	END {
		js = "BenchmarkJSReferenceVerifyCredential"
		jw = median(wall[js]); jc = median(cpu[js])
		printf "%-38s %11s %9s %11s %9s %9s\n", "benchmark (median of rounds)", "ns/op", "× JS", "cpu-ns/op", "× JS", "allocs/op"
		for (i = 1; i <= k; i++) {
			b = order[i]; w = median(wall[b])
			if (cpu[b] != "") { c = median(cpu[b]); printf "%-38s %11.0f %9.3f %11.0f %9.3f %9s\n", b, w, w / jw, c, c / jc, allocs[b] }
			else printf "%-38s %11.0f %9.3f %11s %9s %9s\n", b, w, w / jw, "", "", allocs[b]
		}
		printf "(%d cores; the parallel figure is ns per verification with all cores busy)\n", cores
		# Each round beside its own JS run.
		for (m = 1; m <= 2; m++) {
			if (m == 1) { gl = wall["BenchmarkVerifyCredential"]; jl = wall[js]; what = "wall" }
			else { gl = cpu["BenchmarkVerifyCredential"]; jl = cpu[js]; what = "CPU" }
			n = split(gl, g, " "); split(jl, j, " ")
			rl = ""
			for (i = 1; i <= n; i++) rl = rl " " g[i] / j[i]
			split(rl, r, " "); lo = hi = r[1]
			for (i = 2; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
			printf "VerifyCredential ÷ JS reference, %s time, round by round: median %.3f (%.3f to %.3f, %d rounds)\n", what, median(rl), lo, hi, n
		}
	}' "$out"
