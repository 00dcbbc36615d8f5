#!/bin/sh
# make bench: each tool against its bpftrace equivalent (bench/peers), side
# by side in one guest boot (tests/vm/run.sh); prints one table.
# Raw results: build/bench/raw.txt, table: build/bench/table.md.
# BTBPF_BENCH_RUNS (rounds, default 5), the workload sizes of bench/guest.sh
# and BTBPF_BENCH_ONLY="btacklat lost ..." (a subset) can be set in the
# environment.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUTPUT:-build}/bench
mkdir -p "$OUT"
CC=${CC:-cc}
CLANG=${CLANG:-clang}
MULTIARCH=$($CC -print-multiarch 2>/dev/null || true)
$CC -O2 -Wall -Wextra -o "$OUT/benchrun" bench/benchrun.c
$CLANG -target bpf -O2 -g -I/usr/include/$MULTIARCH -c bench/empty.bpf.c -o "$OUT/empty.bpf.o"
# the floor, linked as the tools are (make) and as make static links them
for link in "" -static; do
	$CC -O2 -Wall -Wextra -Wno-unused-parameter $link -o "$OUT/emptyprobe$link" bench/emptyprobe.c \
		$(pkg-config --cflags --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
done
command -v bpftrace > /dev/null || { echo "bench: bpftrace is not installed (tests/deps.sh)" >&2; exit 1; }
start=$(date +%s)
# the guest's -e/-u; variables it reads pass through the job's command line
env_pass=$(env | grep -E '^BTBPF_BENCH_[A-Z_]+=[0-9]+$' | tr '\n' ' ' || true)
[ -z "${BTBPF_BENCH_ONLY:-}" ] || env_pass="$env_pass BTBPF_BENCH_ONLY='$(echo "$BTBPF_BENCH_ONLY" | tr -cd 'a-z -')'"
BTBPF_VM_TIMEOUT=${BTBPF_VM_TIMEOUT:-1500} tests/vm/run.sh "$env_pass sh bench/guest.sh" > "$OUT/raw.txt" || {
	echo "bench: the guest run failed; raw output in $OUT/raw.txt" >&2
	exit 1
}
{
	echo "$(date -u +%Y-%m-%d), $(uname -n): Debian 12 host, qemu TCG guest $(cat "$(tests/vm/setup.sh)/kver"), ${BTBPF_VM_SMP:-2} cores; $(($(date +%s) - start)) s"
	echo
	bench/table.sh "$OUT/raw.txt"
} > "$OUT/table.md"
cat "$OUT/table.md"
