#!/bin/sh
# Host side of the integration tests: for each kernel, boots the guest once
# per test script (tests/vm/t-*.sh, or the ones named), runs it there, and
# counts the "ok"/"not ok"/"SKIP" lines.  Prints one summary line per kernel
# ("vmtest 6.1.0-57-amd64: N passed, ...") and ends with "vmtest: N passed,
# N failed, N skipped" over all of them.
#
# Kernels: both lines Debian 12 ships, by meta-package (BTBPF_KERNELS,
# default "linux-image-amd64 linux-image-6.12-amd64": 6.1 and 6.12), or the
# one package BTBPF_KPKG names (a kernel package such as
# linux-image-6.12.117+deb12-amd64, or a meta-package such as
# linux-image-amd64, for quick work on one kernel).
set -u
# one guest boot per script; the slowest (t-faults) needs ~5 min on an idle
# 2-core machine and more when loaded
export BTBPF_VM_TIMEOUT=${BTBPF_VM_TIMEOUT:-1800}
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- tests/vm/t-*.sh
if [ -n "${BTBPF_KPKG:-}" ]; then
	kernels=$BTBPF_KPKG
else
	kernels=${BTBPF_KERNELS:-linux-image-amd64 linux-image-6.12-amd64}
fi
pass=0 fail=0 skipped=0 summaries=

# boot_once SCRIPT OUT: one guest boot running SCRIPT, output in OUT, status in rc
boot_once() {
	rc=0
	tests/vm/run.sh "sh tests/vm/guest-test.sh $1" > "$2" 2>&1 || rc=$?
}

# run_script SCRIPT KVER: a guest boot (two if the first died at boot); adds
# to the kernel's counts
run_script() {
	echo "# $1 [$2]"
	out=$(mktemp)
	start=$(date +%s)
	boot_once "$1" "$out"
	# A guest that died at boot (TCG now and then oopses in early boot,
	# before any test ran) is booted once more; the first try is shown.
	if [ "$rc" -eq 125 ] && ! grep -qE '^(ok|not ok|SKIP) ' "$out" &&
		[ $(( $(date +%s) - start )) -lt 120 ]; then
		echo "# $1 [$2]: the guest died before the test began; booting it once more:"
		sed 's/^/    # /' "$out"
		boot_once "$1" "$out"
	fi
	sed 's/^/    /' "$out" | grep -vE '^    (ok|not ok|SKIP) ' || true
	grep -E '^(ok|not ok|SKIP) ' "$out"
	p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out"); s=$(grep -c '^SKIP ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 [$2] exited $rc"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - $1 [$2] printed no results"
		f=1
	fi
	echo "# $1 [$2]: $p passed, $f failed, $s skipped in $(( $(date +%s) - start )) s"
	kp=$((kp + p)) kf=$((kf + f)) ks=$((ks + s))
	rm -f "$out"
}

for k in $kernels; do
	export BTBPF_KPKG=$k
	kp=0 kf=0 ks=0
	if guest=$(tests/vm/setup.sh); then
		kver=$(cat "$guest/kver")
		for t in "$@"; do
			run_script "$t" "$kver"
		done
	else
		kver=$k
		echo "not ok - $k: the guest could not be set up"
		kf=1
	fi
	summaries="$summaries
vmtest $kver: $kp passed, $kf failed, $ks skipped"
	pass=$((pass + kp)) fail=$((fail + kf)) skipped=$((skipped + ks))
done
echo "$summaries" | sed '/^$/d'
echo "vmtest: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
