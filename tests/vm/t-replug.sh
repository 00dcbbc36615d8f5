# A controller removed and another registered under the same index while
# the tools keep running (BlueZ's testers do this for every case, and so
# does a USB dongle replugged): hci0 and hci1 of `btvirt -l2` go away with an
# ACL packet in flight, then sco-setup.sh registers hci0 (btvirt -l1) and
# hci1 (the SCO-capable bridge, other pool sizes: SCO 8 buffers instead of
# 0) and l2test runs between them.  The old connection's stamp must end as
# unacked at disconnect, the new connection must start clean, and nothing
# may be matched across the two (no stale, unmatched or untracked
# completion; per-connection rows apart; credit rows with the new pool
# sizes and exact SENT/ACKED).  Both attach modes.  Sourced by
# guest-test.sh (helpers in lib.sh).
ACK=$BUILD/btacklat
CRED=$BUILD/bthcicredits

# register_new: hci0 and hci1 again, from another emulator setup; sets
# ADDR1 (the new hci1) and BTVIRT_PID (for finish and the next round)
register_new() {
	eval "$(sh tests/vm/sco-setup.sh 2> "$T/sco-setup.err")"
	if [ "${PEER_HCI:-}" != hci0 ] || [ "${SCO_HCI:-}" != hci1 ]; then
		not_ok "sco-setup.sh did not register hci0 and hci1: PEER '${PEER_HCI:-}' SCO '${SCO_HCI:-}': $(cat "$T/sco-setup.err")"
		finish
	fi
	ADDR1=$SCO_ADDR
	BTVIRT_PID=$(pgrep -f 'btvirt -s -l1' | head -1)
	ok "hci0 and hci1 registered again (hci1: the bridge, $ADDR1)"
}

# cleanup_new: the bridge and its emulator, before bt_setup's btvirt -l2
cleanup_new() {
	pkill -f 'btbridge vhci' 2>/dev/null
	kill $BTVIRT_PID 2>/dev/null
	for _i in $(seq 100); do
		[ -e /sys/class/bluetooth/hci0 ] || [ -e /sys/class/bluetooth/hci1 ] || break
		sleep 0.1
	done
	rm -f /tmp/bt-server-*
}

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	bt_setup
	start_bg ack "$ACK" -C || continue
	_pa=$TOOL_PID
	start_bg cred "$CRED" || continue
	_pc=$TOOL_PID
	OLD_ADDR1=$ADDR1
	emulator_killed_midstream
	register_new
	wait_idle hci0
	_before=$(tx_acl hci0)
	l2test_pair 10 200
	_n=$(( $(tx_acl hci0) - _before ))
	stop_pid $_pa INT
	check_eq "$mode btacklat: exit status" 0 $?
	stop_pid $_pc INT
	check_eq "$mode bthcicredits: exit status" 0 $?

	# btacklat: the old connection (hci0 -> old hci1) ends with its stamp
	# unacked; the new one (hci0 -> bridge) holds exactly the new frames
	check_grep "$mode btacklat: the old connection: its in-flight packet unacked at disconnect" \
		"^dev = hci0 handle = [0-9]+ peer = $OLD_ADDR1 type = ACL unacked_at_disconnect = 1\$" "$T/ack.out"
	_new=$(awk -v a="$ADDR1" '/^dev = / { on = ($0 ~ "^dev = hci0 handle = [0-9]+ peer = " a " type = ACL$"); next }
		on && / -> / { s += $5 } END { print s + 0 }' "$T/ack.out")
	check_eq "$mode btacklat: the new connection's histogram == its $_n frames" $_n $_new
	check_eq "$mode btacklat: sent == acked + unacked at disconnect" \
		"$(sfield sent "$T/ack.out")" "$(( $(sfield acked "$T/ack.out") + $(sfield disconnect "$T/ack.out") ))"
	for _f in overflow stale untracked unmatched skipped; do
		check_eq "$mode btacklat: $_f" 0 "$(sfield "$_f" "$T/ack.out")"
	done

	# bthcicredits: the bridge's pool sizes under hci1, and the credits the
	# new traffic took and got back, exactly
	check_eq "$mode bthcicredits: hci1's sco MAX is the bridge's 8" 8 \
		"$(awk '$1 == "hci1" && $2 == "sco" { m = $3 } END { print m }' "$T/cred.out")"
	_sent=$(awk '$1 == "hci0" && $2 == "acl" { s += $8 } END { print s + 0 }' "$T/cred.out")
	_acked=$(awk '$1 == "hci0" && $2 == "acl" { s += $9 } END { print s + 0 }' "$T/cred.out")
	# hci0's acl SENT counts the old controller's frames too; ACKED does not
	# count the one lost with it (given back at disconnect instead)
	check_eq "$mode bthcicredits: hci0 acl SENT == ACKED + the one given back at disconnect" \
		"$_sent" "$((_acked + 1))"
	check_grep "$mode bthcicredits: the credit given back at disconnect is noted" \
		'^hci0 +acl .*disconnect:\+1' "$T/cred.out"
	check_detached "$mode"
	cleanup_new
done
unset BTBPF_ATTACH
