#!/bin/sh
# Host side of the integration tests: boots the guest once per test script
# (tests/vm/t-*.sh, or the ones named), runs it there, and counts the
# "ok"/"not ok"/"SKIP" lines.  Ends with "N passed, N failed, N skipped".
set -u
# one guest boot per script; the slowest (t-faults) needs ~5 min on an idle
# 2-core machine and more when loaded
export BTBPF_VM_TIMEOUT=${BTBPF_VM_TIMEOUT:-1800}
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- tests/vm/t-*.sh
pass=0 fail=0 skipped=0
for t in "$@"; do
	echo "# $t"
	out=$(mktemp)
	start=$(date +%s)
	tests/vm/run.sh "sh tests/vm/guest-test.sh $t" > "$out" 2>&1
	rc=$?
	sed 's/^/    /' "$out" | grep -vE '^    (ok|not ok|SKIP) ' || true
	grep -E '^(ok|not ok|SKIP) ' "$out"
	p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out"); s=$(grep -c '^SKIP ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited $rc"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - $t printed no results"
		f=1
	fi
	echo "# $t: $p passed, $f failed, $s skipped in $(( $(date +%s) - start )) s"
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
	rm -f "$out"
done
echo "vmtest: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
