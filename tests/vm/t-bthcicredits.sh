# bthcicredits against real traffic between two emulated controllers.
# Sourced by guest-test.sh (helpers in lib.sh).  BlueZ's emulator gives
# each controller one ACL buffer, so acl_cnt toggles 1 -> 0 -> 1 per packet.
CRED=$BUILD/bthcicredits
N=20; B=200

bt_setup

# sum_col TYPE COLUMN FILE: sum of a column over hci0's rows of that pool
sum_col() {
	awk -v t=$1 -v c=$2 '$1 == "hci0" && $2 == t { s += $c } END { print s + 0 }' "$3"
}

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode

	# 1. Interval table and -H under l2test traffic, ended by SIGINT.
	before=$(tx_acl hci0)
	start_tool tab "$CRED" -H || continue
	l2test_pair $N $B
	sleep 1.2
	after=$(tx_acl hci0)
	stop_tool INT; rc=$?
	check_eq "$mode: SIGINT exits 0" 0 $rc
	check_grep "$mode: banner names the attach mode" "^Tracing HCI controller credits \($mode\)" "$T/tab.out"
	sent_kernel=$((after - before))
	[ $sent_kernel -ge $N ] && ok "$mode: hciconfig counted $sent_kernel ACL frames" ||
		not_ok "$mode: hciconfig counted only $sent_kernel ACL frames (N=$N)"
	check_eq "$mode: acl MAX is the emulator's one buffer" 1 \
		"$(awk '$1 == "hci0" && $2 == "acl" { print $3 }' "$T/tab.out" | sort -u)"
	stalls=$(sum_col acl 7 "$T/tab.out")
	[ $stalls -gt 0 ] && ok "$mode: acl hit zero ($stalls stalls)" ||
		not_ok "$mode: acl never hit zero: $(head -c 600 "$T/tab.out")"
	check_eq "$mode: SENT == ACL frames the controller got" $sent_kernel "$(sum_col acl 8 "$T/tab.out")"
	check_eq "$mode: ACKED == ACL frames the controller got" $sent_kernel "$(sum_col acl 9 "$T/tab.out")"
	check_eq "$mode: acl MIN is 0 in the busy interval" 0 \
		"$(awk '$1 == "hci0" && $2 == "acl" { print $4 }' "$T/tab.out" | sort -n | head -1)"
	if [ "$(awk '$1 == "hci0" && $2 == "le" { print $3; exit }' "$T/tab.out")" = 0 ]; then
		check_grep "$mode: le_pkts 0 shows as shared with acl" '^hci0 +le +0 .* shared:acl$' "$T/tab.out"
	else
		check_grep "$mode: le has its own pool (le_pkts > 0)" '^hci0 +le +[1-9][0-9]* +[0-9]' "$T/tab.out"
	fi
	check_grep "$mode: sco marked not flow-controlled" '^hci0 +sco .* not-flow-controlled' "$T/tab.out"
	hist=$(awk '/^hci0 acl: zero-credit stalls:/ { print $5 }' "$T/tab.out")
	check_eq "$mode: -H histogram count == STALLS" $stalls "$hist"
	rows=$(awk '/^hci0 acl: zero-credit/ { on = 1; next } on && /->/ { s += $5 } on && /^$/ { on = 0 }
		END { print s + 0 }' "$T/tab.out")
	check_eq "$mode: -H histogram rows add up to STALLS" $stalls $rows
	check_detached "$mode: after SIGINT"

	# 2. -e -d hci0: one line per change, hci0 only; SIGTERM exits 0.
	before=$(tx_acl hci0)
	start_tool ev "$CRED" -e -d hci0 || continue
	l2test_pair 5 $B
	sleep 1.2
	after=$(tx_acl hci0)
	stop_tool TERM; rc=$?
	check_eq "$mode: -e SIGTERM exits 0" 0 $rc
	check_eq "$mode: -e one '1->0 tx' line per ACL frame" $((after - before)) \
		"$(grep -cE '^[0-9:]{8} +hci0 +acl +1->0 tx$' "$T/ev.out")"
	check_eq "$mode: -e one '0->1 ack' line per ACL frame" $((after - before)) \
		"$(grep -cE '^[0-9:]{8} +hci0 +acl +0->1 ack$' "$T/ev.out")"
	check_eq "$mode: -d hci0 shows no other controller" 0 "$(grep -c 'hci1' "$T/ev.out")"
	check_detached "$mode: after SIGTERM"

	# 3. -j: every line is one JSON object with the stable names.
	start_tool js "$CRED" -j -T || continue
	l2test_pair 3 $B
	sleep 1.2
	stop_tool INT; rc=$?
	check_eq "$mode: -j exits 0" 0 $rc
	check_cmd "$mode: -j lines are JSON with dev/type/state" /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "no output"
for r in rows:
    assert {"ts_ns", "time", "dev", "type", "state", "max"} <= r.keys(), r
acl = [r for r in rows if r["dev"] == "hci0" and r["type"] == "acl"]
assert acl and sum(r["sent"] for r in acl) == sum(r["acked"] for r in acl) > 0, acl
' "$T/js.out"
	check_detached "$mode: after -j"
done
unset BTBPF_ATTACH

# libbpf's own load (BTBPF_LOADER=libbpf; kernels before 5.17 take it),
# fentry: the HCI_SCO_FLOWCTL lookup walks libbpf's parsed BTF there.
export BTBPF_LOADER=libbpf BTBPF_ATTACH=fentry
before=$(tx_acl hci0)
if start_tool lb "$CRED" -H; then
	l2test_pair $N $B
	sleep 1.2
	sent_kernel=$(( $(tx_acl hci0) - before ))
	stop_tool INT
	check_eq "libbpf load: SIGINT exits 0" 0 $?
	check_eq "libbpf load: SENT == ACL frames the controller got" $sent_kernel "$(sum_col acl 8 "$T/lb.out")"
	check_eq "libbpf load: ACKED == ACL frames the controller got" $sent_kernel "$(sum_col acl 9 "$T/lb.out")"
	check_grep "libbpf load: sco marked not flow-controlled (as with the loader)" \
		'^hci0 +sco .* not-flow-controlled' "$T/lb.out"
	check_detached "libbpf load"
fi
unset BTBPF_LOADER BTBPF_ATTACH

# 4. interval and count end the run by themselves.  Rows appear once a
#    controller's credits have been sampled, so give it traffic.
start_tool cnt "$CRED" 2 3 && {
	l2test_pair 3 $B
	wait $TOOL_PID; rc=$?
	check_eq "2 3: exits 0 by itself" 0 $rc
	rows=$(grep -cE '^hci0 +acl ' "$T/cnt.out")
	[ $rows -ge 1 ] && [ $rows -le 3 ] && ok "2 3: at most 3 blocks ($rows)" ||
		not_ok "2 3: $rows hci0 acl rows: $(head -c 600 "$T/cnt.out")"
}

# 5. Errors: one line, exit 64 for usage, 1 for a missing controller.
"$CRED" -d hci9 > "$T/e1.out" 2> "$T/e1.err"; rc=$?
check_eq "-d hci9: exit 1" 1 $rc
check_grep "-d hci9: says the controller does not exist" '^bthcicredits: hci9: no such controller' "$T/e1.err"
check_eq "-d hci9: one line" 1 "$(wc -l < "$T/e1.err")"
"$CRED" -d foo > /dev/null 2> "$T/e2.err"; rc=$?
check_eq "-d foo: exit 64" 64 $rc
"$CRED" 0 > /dev/null 2> "$T/e3.err"; rc=$?
check_eq "interval 0: exit 64" 64 $rc
check_grep "interval 0: names the problem" "invalid interval: '0'" "$T/e3.err"
"$CRED" 1 2 3 > /dev/null 2>&1; rc=$?
check_eq "three positional arguments: exit 64" 64 $rc
check_detached "after the error cases"
# Which branch ran: SCO credits are debited only where the kernel has
# HCI_SCO_FLOWCTL (6.15+, and some stable backports); -v names its bit.
echo "# $(uname -r): $("$CRED" -v 1 1 2>&1 | grep -m1 'HCI_SCO_FLOWCTL' || echo 'HCI_SCO_FLOWCTL: not named by -v')"
