# BlueZ's own test suites (bluez-test-tools) with our tools attached: the
# tools must never change what the stack does.  Each tester runs twice
# bare, then once under btsnoop-sock -c, btwmem, btacklat and bthcicredits
# per attach mode; every case that passed or failed the same way in both
# bare runs (the stable ones; the others are listed as flaky) must end the
# same way traced.  Every tool exits 0 on SIGINT, and the kernel log gains
# no WARNING, BUG or verifier splat.  The testers reach paths our own
# traffic does not (LE CoC, ATT, deferred setup, reconnects, broadcast ISO).
#
# BTBPF_BLUEZ_TESTERS (default "l2cap sco iso") picks the testers; rfcomm
# and mgmt take minutes each under TCG and are left to a full run:
#   BTBPF_BLUEZ_TESTERS="l2cap sco iso rfcomm mgmt" tests/vm/run-tests.sh tests/vm/t-bluez.sh
# (run-tests.sh passes BTBPF_BLUEZ_* into the guest).  bturblat needs a USB
# controller, which the testers do not make.  Sourced by guest-test.sh.
TESTERS=${BTBPF_BLUEZ_TESTERS:-l2cap sco iso}

modprobe -a bluetooth hci_vhci algif_hash algif_skcipher cmac ecb 2>/dev/null || {
	skip "this kernel has no Bluetooth"
	finish
}
modprobe rfcomm 2>/dev/null	# rfcomm-tester fails every case without it

# run_tester NAME OUT: the tester's cases as "result<TAB>case" lines in OUT
run_tester() {
	timeout 900 "$1-tester" > "$T/$1.raw" 2>&1
	sed 's/\x1b\[[0-9;]*m//g' "$T/$1.raw" | awk '
		/^Test Summary/ { on = 1; next }
		/^Total:/ { on = 0 }
		on && match($0, / +(Passed|Failed|Not Run|Timed out)( +[0-9.]+ seconds)? *$/) {
			name = substr($0, 1, RSTART - 1)
			res = substr($0, RSTART); sub(/^ +/, "", res); sub(/ *([0-9.]+ seconds)? *$/, "", res)
			print res "\t" name
		}' | sort -t "$(printf '\t')" -k2 > "$2"
}

splats() { dmesg | grep -cE 'WARNING:|BUG:|verifier|Call Trace'; }

# start_tools: the four tools, in the background; TOOL_PIDS
start_tools() {
	TOOL_PIDS=
	for _t in "btsnoop-sock -c" btwmem btacklat bthcicredits; do
		start_bg "$(echo "$_t" | cut -d' ' -f1)" $BUILD/$_t || return 1
		TOOL_PIDS="$TOOL_PIDS $TOOL_PID"
	done
}

for tester in $TESTERS; do
	run_tester $tester "$T/$tester.bare1"
	run_tester $tester "$T/$tester.bare2"
	_cases=$(wc -l < "$T/$tester.bare1")
	if [ "$_cases" -eq 0 ]; then
		not_ok "$tester-tester reported no cases: $(tail -3 "$T/$tester.raw")"
		continue
	fi
	# stable: the same result in both bare runs
	join -t "$(printf '\t')" -1 2 -2 2 "$T/$tester.bare1" "$T/$tester.bare2" |
		awk -F'\t' '$2 == $3 { print $2 "\t" $1 }' | sort -t "$(printf '\t')" -k2 > "$T/$tester.stable"
	_stable=$(wc -l < "$T/$tester.stable")
	_flaky=$(join -t "$(printf '\t')" -1 2 -2 2 "$T/$tester.bare1" "$T/$tester.bare2" |
		awk -F'\t' '$2 != $3 { print $1 }' | paste -sd';' -)
	echo "# $tester-tester bare: $(cut -f1 "$T/$tester.bare1" | sort | uniq -c | tr -s ' ' | paste -sd, -)"
	[ -z "$_flaky" ] || echo "# $tester-tester: left out as flaky (bare runs differ): $_flaky"
	for mode in fentry kprobe; do
		export BTBPF_ATTACH=$mode
		_s0=$(splats)
		start_tools || continue
		run_tester $tester "$T/$tester.$mode"
		for _p in $TOOL_PIDS; do
			stop_pid $_p INT
			check_eq "$mode $tester-tester: a tool ($_p) exits 0 on SIGINT" 0 $?
		done
		_diff=$(join -t "$(printf '\t')" -1 2 -2 2 "$T/$tester.stable" "$T/$tester.$mode" |
			awk -F'\t' '$2 != $3 { print $1 ": " $2 " bare, " $3 " traced" }' | paste -sd';' -)
		_traced=$(join -t "$(printf '\t')" -1 2 -2 2 "$T/$tester.stable" "$T/$tester.$mode" | wc -l)
		check_eq "$mode $tester-tester: all $_stable stable cases ran traced" "$_stable" "$_traced"
		check_eq "$mode $tester-tester: the same result traced as bare ($_stable stable of $_cases)" "" "$_diff"
		check_eq "$mode $tester-tester: no new WARNING/BUG/verifier lines in the kernel log" "$_s0" "$(splats)"
		[ "$tester" = iso ] &&
			echo "# $mode iso-tester: btsnoop-sock -c saw ISO: $(awk '$3 == "ISO" { printf "%s %s calls; ", $4, $5 }' "$T/btsnoop-sock.out")"
		check_detached "$mode $tester-tester"
	done
	unset BTBPF_ATTACH
done
