# Pre-flight failures, before anything is loaded: one line on stderr naming
# the cause, exit status 1, for every tool.  Then the duration option.
# Sourced by guest-test.sh (helpers in lib.sh).

TOOLS=$(cd tools && ls *.c | sed 's/\.c$//')

# expect_fail WHAT PATTERN command...: exit 1, exactly one stderr line
# matching PATTERN, nothing on stdout
expect_fail() {
	_what=$1 _pat=$2; shift 2
	"$@" > "$T/pf.out" 2> "$T/pf.err"
	_rc=$?
	if [ $_rc -eq 1 ] && [ "$(wc -l < "$T/pf.err")" -eq 1 ] &&
	   grep -qE "$_pat" "$T/pf.err" && [ ! -s "$T/pf.out" ]; then
		ok "$_what: $(cat "$T/pf.err")"
	else
		not_ok "$_what: exit $_rc, stderr: $(head -c 300 "$T/pf.err"), stdout: $(head -c 100 "$T/pf.out")"
	fi
}

# 1. Not root: no CAP_BPF/CAP_PERFMON either.
for t in $TOOLS; do
	expect_fail "$t as nobody" "must be run as root, or with CAP_BPF and CAP_PERFMON" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$BUILD/$t"
done

# 2. The bluetooth module is not loaded yet.
for t in $TOOLS; do
	expect_fail "$t without the bluetooth module" "module is not loaded \(modprobe [a-z_]+\)" "$BUILD/$t"
done

bt_setup

# 3. A function the run needs is missing: RFCOMM lives in rfcomm.ko.
if ! grep -q '^rfcomm ' /proc/modules; then
	expect_fail "btsnoop-sock -P rfcomm without rfcomm.ko" \
		"kernel function rfcomm_sock_sendmsg not found" "$BUILD/btsnoop-sock" -P rfcomm
fi

# 4. -d ends the trace by itself, with exit status 0.
start=$(date +%s)
"$BUILD/btsnoop-sock" -d 2 > "$T/d.out" 2> "$T/d.err"
rc=$?
took=$(( $(date +%s) - start ))
check_eq "btsnoop-sock -d 2 exits 0" 0 $rc
check_grep "btsnoop-sock -d 2 says the duration" "^Tracing Bluetooth socket calls \(fentry\) for 2 secs" "$T/d.out"
if [ $took -lt 60 ]; then ok "btsnoop-sock -d 2 ended by itself (${took}s with load)"; else not_ok "-d 2 took ${took}s"; fi
check_detached "after -d"
