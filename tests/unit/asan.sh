#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check-asan: runs the unit tests against tools built with
# -fsanitize=address,undefined in $1 (the rest of the arguments are the
# sanitized unit-test binaries).  test_cli runs build/<tool> relative to the
# current directory, so the C tests run in a scratch directory whose build/
# is the sanitized output; the shell tests take the directory from
# BTBPF_OUTPUT.  Any sanitizer report makes the run fail.
set -u
out=$1
shift
top=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
ln -s "$top/tools" "$scratch/tools"
ln -s "$top/man" "$scratch/man"
ln -s "$top/$out" "$scratch/build"
log=$scratch/sanitizer
# ASan reports go to files (counted below) and exit 1; UBSan, built with
# -fno-sanitize-recover, reports on stderr and exits 1: either way the
# test that ran the program sees a wrong exit status and fails.
export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:log_path=$log"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$log"
rc=0
bins=
for b in "$@"; do
	bins="$bins $top/$b"
done
(cd "$scratch" && "$top/tests/unit/run.sh" $bins) || rc=1
BTBPF_OUTPUT=$out tests/unit/run.sh tests/unit/test_*.sh || rc=1
if ls "$log".* >/dev/null 2>&1; then
	echo "sanitizer reports:"
	cat "$log".*
	rc=1
fi
echo "asan: sanitizer reports: $(ls "$log".* 2>/dev/null | wc -l)"
exit $rc
