# BlueZ's own test suites (bluez-test-tools) with our tools attached: the
# tools must never change what the stack does.  Each tester runs bare
# (BTBPF_BLUEZ_BARE_RUNS=2: twice, and only the cases that ended the same
# way in both count; the others are listed as flaky, as mgmt-tester's are
# on 6.12), then once under btsnoop-sock -c, btwmem, btacklat, btpktlat,
# btpktlat -r and bthcicredits per attach mode, and every counted case must
# end the same way traced.  A case that does not is run once more traced:
# when it then ends as it did bare, the first traced run was the odd one;
# if not, it is run up to three times more bare: when one ends as it did
# traced, the bare runs were the odd ones.  Either way it is listed as
# flaky, not counted.
# Every tool exits 0 on SIGINT, and the kernel logs no WARNING, BUG or
# verifier line traced that it did not log bare (each phase is found after
# a mark of its own in the log: counting lines fails once mgmt-tester's
# output makes the log wrap).  The testers reach paths our own
# traffic does not (LE CoC, ATT, deferred setup, reconnects, broadcast ISO).
#
# BTBPF_BLUEZ_TESTERS (default "l2cap sco iso rfcomm") picks the testers;
# rfcomm-tester adds ~40 s per kernel; mgmt-tester takes many minutes under
# TCG and is left to a full run:
#   BTBPF_BLUEZ_TESTERS="l2cap sco iso rfcomm mgmt" BTBPF_BLUEZ_BARE_RUNS=2 \
#	tests/vm/run-tests.sh tests/vm/t-bluez.sh      (make vmtest-bluez)
# (run-tests.sh passes BTBPF_BLUEZ_* into the guest).  bturblat needs a USB
# controller, which the testers do not make.  Sourced by guest-test.sh.
TESTERS=${BTBPF_BLUEZ_TESTERS:-l2cap sco iso rfcomm}
BARE_RUNS=${BTBPF_BLUEZ_BARE_RUNS:-1}
TAB=$(printf '\t')

modprobe -a bluetooth hci_vhci algif_hash algif_skcipher cmac ecb 2>/dev/null || {
	skip "this kernel has no Bluetooth"
	finish
}
modprobe rfcomm 2>/dev/null	# rfcomm-tester fails every case without it

# run_tester NAME OUT [ARGS]: the tester's cases (ARGS: -p PREFIX for some)
# as "result<TAB>case" lines in OUT
run_tester() {
	_name=$1 _out=$2
	shift 2
	timeout 900 "$_name-tester" "$@" < /dev/null > "$T/$_name.raw" 2>&1
	sed 's/\x1b\[[0-9;]*m//g' "$T/$_name.raw" | awk '
		/^Test Summary/ { on = 1; next }
		/^Total:/ { on = 0 }
		on && match($0, / +(Passed|Failed|Not Run|Timed out)( +[0-9.]+ seconds)? *$/) {
			name = substr($0, 1, RSTART - 1)
			res = substr($0, RSTART); sub(/^ +/, "", res); sub(/ *([0-9.]+ seconds)? *$/, "", res)
			print res "\t" name
		}' | sort -t "$(printf '\t')" -k2 > "$_out"
}

# differing TESTER MODE: "case<TAB>bare result<TAB>traced result" for each
# stable case that ended otherwise traced
differing() {
	join -t "$TAB" -1 2 -2 2 "$T/$1.stable" "$T/$1.$2" |
		awk -F'\t' '$2 != $3 { print $1 "\t" $2 "\t" $3 }'
}

# result_of FILE CASE: how CASE ended in a run_tester output
result_of() { awk -F'\t' -v c="$2" '$2 == c { print $1 }' "$1"; }

# retry_traced TESTER MODE (the tools still attached): a case whose traced
# result is not the bare one is run once more, traced and alone.  When it
# then ends as it did bare, the first traced run was timing (a timeout on a
# loaded host), not the tools: the case takes the second result and is
# listed in $T/TESTER.MODE.flaky.  A tool that changes what the stack does
# changes it both times.
retry_traced() {
	: > "$T/$1.$2.flaky"
	differing $1 $2 |
	while IFS="$TAB" read -r _case _bare _traced; do
		run_tester $1 "$T/$1.retry" -p "$_case"
		_retry=$(result_of "$T/$1.retry" "$_case")
		[ "$_retry" = "$_bare" ] || continue
		echo "$_case: $_bare bare, $_traced traced, $_retry traced again" >> "$T/$1.$2.flaky"
		awk -F'\t' -v c="$_case" -v r="$_retry" 'BEGIN { OFS = "\t" } $2 == c { $1 = r } { print }' \
			"$T/$1.$2" > "$T/$1.$2.new" && mv "$T/$1.$2.new" "$T/$1.$2"
	done
}

# differences TESTER MODE: the cases whose traced result is not the bare
# one, "case: R bare, R traced" joined by ";".  Each is run again, bare and
# alone, up to three times: a case that then ends as it did traced is
# timing (6.12's "LL Privacy - Remove Device 1" times out in about half of
# its bare runs alone), not the tools; it goes to $T/TESTER.MODE.flaky.
differences() {
	differing $1 $2 > "$T/$1.$2.diff"
	_res=
	while IFS="$TAB" read -r _case _bare _traced; do
		_agains=
		for _try in 1 2 3; do
			run_tester $1 "$T/$1.again" -p "$_case"
			_again=$(result_of "$T/$1.again" "$_case")
			_agains="$_agains${_agains:+, }$_again"
			[ "$_again" = "$_traced" ] && break
		done
		if [ "$_again" = "$_traced" ]; then
			echo "$_case: $_bare bare, $_traced traced, bare again: $_agains" >> "$T/$1.$2.flaky"
		else
			_res="$_res${_res:+;}$_case: $_bare bare, $_traced traced (bare again: $_agains)"
		fi
	done < "$T/$1.$2.diff"
	echo "$_res"
}

# mark_kmsg TAG: a line in the kernel log that splats_after finds
mark_kmsg() { echo "btbpf-test: $1 begins" > /dev/kmsg; }
# splats_after TAG: the WARNING/BUG/verifier lines logged between
# mark_kmsg TAG and the next mark, without timestamps and pids, one of each
# kind; "the mark is gone" when the log wrapped over it
splats_after() {
	dmesg | awk -v m="btbpf-test: $1 begins" '
		index($0, m) { on = 1; next }
		/btbpf-test: .* begins/ { on = 0 }
		on && /WARNING:|BUG:|verifier|Call Trace/ {
			sub(/^\[[^]]*\] */, ""); gsub(/CPU: [0-9]+ PID: [0-9]+/, "CPU PID"); print }' |
		sort -u
	dmesg | grep -q "btbpf-test: $1 begins" || echo "the mark is gone"
}

# start_tools: every tool but bturblat (the testers make no USB controller),
# btpktlat on both sides, in the background; TOOL_PIDS
start_tools() {
	TOOL_PIDS=
	for _t in "btsnoop-sock:btsnoop-sock -c" btwmem:btwmem btacklat:btacklat \
		bthcicredits:bthcicredits btpktlat:btpktlat "btpktlat-rx:btpktlat -r"; do
		start_bg "${_t%%:*}" $BUILD/${_t#*:} || return 1
		TOOL_PIDS="$TOOL_PIDS $TOOL_PID:${_t%%:*}"
	done
}

# bare: the stable cases of each tester (with two bare runs, those that
# ended the same way in both; the others are listed as flaky)
mark_kmsg bare
for tester in $TESTERS; do
	run_tester $tester "$T/$tester.bare1"
	if [ "$(wc -l < "$T/$tester.bare1")" -eq 0 ]; then
		not_ok "$tester-tester reported no cases: $(tail -3 "$T/$tester.raw")"
		TESTERS=$(echo " $TESTERS " | sed "s/ $tester / /")
		continue
	fi
	cp "$T/$tester.bare1" "$T/$tester.bare2"
	[ "$BARE_RUNS" -lt 2 ] || run_tester $tester "$T/$tester.bare2"
	join -t "$TAB" -1 2 -2 2 "$T/$tester.bare1" "$T/$tester.bare2" |
		awk -F'\t' '$2 == $3 { print $2 "\t" $1 }' | sort -t "$TAB" -k2 > "$T/$tester.stable"
	_flaky=$(join -t "$TAB" -1 2 -2 2 "$T/$tester.bare1" "$T/$tester.bare2" |
		awk -F'\t' '$2 != $3 { print $1 }' | paste -sd';' -)
	echo "# $tester-tester bare: $(cut -f1 "$T/$tester.bare1" | sort | uniq -c | tr -s ' ' | paste -sd, -)"
	[ -z "$_flaky" ] || echo "# $tester-tester: left out as flaky (bare runs differ): $_flaky"
done

splats_after bare > "$T/splats.bare"
sed 's/^/# logged by the kernel during the bare runs: /' "$T/splats.bare"

# traced: the tools attached once per attach mode, every tester run
# under them
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	mark_kmsg "traced $mode"
	start_tools || continue
	for tester in $TESTERS; do
		run_tester $tester "$T/$tester.$mode"
		retry_traced $tester $mode
	done
	for _p in $TOOL_PIDS; do
		stop_pid ${_p%%:*} INT
		check_eq "$mode: ${_p#*:} exits 0 on SIGINT after the testers" 0 $?
	done
	for tester in $TESTERS; do
		_stable=$(wc -l < "$T/$tester.stable")
		_diff=$(differences $tester $mode)
		sed "s/^/# $mode $tester-tester: flaky, not the tools: /" "$T/$tester.$mode.flaky"
		check_eq "$mode $tester-tester: all $_stable stable cases ran traced" "$_stable" \
			"$(join -t "$TAB" -1 2 -2 2 "$T/$tester.stable" "$T/$tester.$mode" | wc -l)"
		check_eq "$mode $tester-tester: the same result traced as bare ($_stable cases)" "" "$_diff"
	done
	splats_after "traced $mode" > "$T/splats.$mode"
	check_eq "$mode: no WARNING/BUG/verifier line in the kernel log traced that bare runs do not log" "" \
		"$(comm -23 "$T/splats.$mode" "$T/splats.bare" | paste -sd';' -)"
	echo "# $mode: btsnoop-sock -c saw ISO: $(awk '$3 == "ISO" { printf "%s %s calls; ", $4, $5 }' "$T/btsnoop-sock.out")"
	check_detached "$mode testers"
done
unset BTBPF_ATTACH
