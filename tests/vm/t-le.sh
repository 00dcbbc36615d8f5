# LE: an L2CAP credit-based channel (l2test -V le_public) over an LE link
# between the two emulated controllers, hci1 advertising.  btsnoop-sock,
# btwmem, btacklat, bthcicredits and btpktlat traced it together, and each must count
# exactly the N sends of B bytes and the LE frames hci0 sent (hciconfig's
# TX acl counter counts LE ACL frames too); btpktlat -r the LE frames hci1
# received and the N frames read.  Both attach modes.  Sourced by
# guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
WMEM=$BUILD/btwmem
ACK=$BUILD/btacklat
CRED=$BUILD/bthcicredits
PKT=$BUILD/btpktlat
N=6; B=150
N2=4; B2=600	# SDUs of several PDUs: over the LE channel's MPS
LE_PSM=128	# first dynamic LE PSM

bt_setup
for _i in 0 1; do
	btmgmt --index $_i le on > "$T/btmgmt.log" 2>&1 ||
		not_ok "btmgmt --index $_i le on: $(cat "$T/btmgmt.log")"
done
btmgmt --index 1 connectable on > "$T/btmgmt.log" 2>&1 &&
btmgmt --index 1 advertising on >> "$T/btmgmt.log" 2>&1 &&
	ok "hci1 advertises on LE" || not_ok "hci1 does not advertise: $(cat "$T/btmgmt.log")"

# le_pair N BYTES: l2test_pair over LE (its own PSM), then until the link
# is gone; sets CLI_PID
le_pair() {
	L2TEST_PSM=$LE_PSM L2TEST_LINK=le_public
	l2test_pair "$1" "$2"
	_rc=$?
	L2TEST_PSM= L2TEST_LINK=
	wait_idle hci0
	return $_rc
}

# le_sdus MODE: btpktlat -r over N2 SDUs of B2 bytes, each sent as several
# LE PDUs (K-frames) that L2CAP queues as the first one's buffer: each SDU
# is timed once, from its first PDU, and its frames are counted.
le_sdus() {
	start_tool ls "$PKT" -r -M 0 -j -d hci1 || return
	_pl=$TOOL_PID
	_rbefore=$(rx_acl hci1)
	le_pair $N2 $B2 || not_ok "$1: l2test over LE ($B2 bytes) failed: $(cat "$T/l2cli.log")"
	_rn=$(( $(rx_acl hci1) - _rbefore ))
	stop_pid $_pl INT
	check_eq "$1: btpktlat -r (SDUs) exit status" 0 $?
	jcheck btpktlat "$T/ls.out" "$1 btpktlat -r -M 0 -j, SDUs of $B2 bytes" --kind event \
		--min-lines $((N2 + 1)) \
		--eq "one line per SDU read, of several frames" \
		"len([e for e in rows['event'] if e['comm'] == 'l2test' and e['bytes'] == $B2 and e['frags'] > 1])" $N2 \
		--eq "no other frame" "len(rows['event'])" $N2 \
		--eq "rxwork + sockq + read == total within 2 us" \
		"[e for e in rows['event'] if not 0 <= e['total_us'] - e['rxwork_us'] - e['sockq_us'] - e['read_us'] <= 2]" "[]" \
		--eq "their frames are among hci1's RX acl delta ($_rn)" \
		"sum(e['frags'] for e in rows['event']) <= $_rn" True \
		--eq "summary: queued == sdus == reads == $N2, none unmatched, partial or stale" \
		"[(s['queued'], s['sdus'], s['reads'], s['sockq_unmatched'], s['sockq_partial'], s['queued_stale'], s['frames'], s['lost_events']) for s in rows['summary']]" \
		"[($N2, $N2, $N2, 0, 0, 0, $_rn, 0)]"
	echo "# $1 SDU frames: $(grep -o '"frags":[0-9]*' "$T/ls.out" | tr '\n' ' ')"
}

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	start_bg snoop "$SNOOP" -P l2cap -a || continue
	_ps=$TOOL_PID
	start_bg ack "$ACK" -C -d hci0 || continue
	_pa=$TOOL_PID
	start_bg cred "$CRED" -d hci0 || continue
	_pc=$TOOL_PID
	start_tool wmem "$WMEM" -j || continue
	_pw=$TOOL_PID
	start_bg pkt "$PKT" -d hci0 || continue
	_pk=$TOOL_PID
	start_bg pkr "$PKT" -r -d hci1 || continue
	_pr=$TOOL_PID
	_before=$(tx_acl hci0)
	_rbefore=$(rx_acl hci1)
	le_pair $N $B || not_ok "$mode: l2test over LE failed: $(cat "$T/l2cli.log")"
	_n=$(( $(tx_acl hci0) - _before ))
	_rn=$(( $(rx_acl hci1) - _rbefore ))
	check_grep "$mode: l2test connected over LE" "Connected to $ADDR1 \\(le_public" "$T/l2cli.log"
	_h=$(sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2cli.log" | head -1)
	for _p in $_ps $_pa $_pc $_pw $_pk $_pr; do
		stop_pid $_p INT
		check_eq "$mode: exit status ($_p)" 0 $?
	done
	[ $_n -ge $N ] && ok "$mode: hciconfig counted $_n LE ACL frames for $N sends" ||
		not_ok "$mode: hciconfig counted only $_n ACL frames"

	check_eq "$mode btsnoop-sock: $N W lines of $B bytes from l2test to $ADDR1" $N \
		"$(awk -v p=$CLI_PID -v b=$B -v a=$ADDR1 '$1 == p && $3 == "L2CAP" && $4 == "W" && $5 == b && $7 == a' "$T/snoop.out" | wc -l)"
	check_eq "$mode btsnoop-sock: the server read $N*$B bytes" $((N * B)) \
		"$(awk '$3 == "L2CAP" && $4 == "R" { s += $5 } END { print s + 0 }' "$T/snoop.out")"

	jcheck btwmem "$T/wmem.out" "$mode btwmem -j over LE" --kind section \
		--eq "L2CAP: $N sends, a histogram of $N" \
		"[(s['sends'], s['wmem']['total']) for s in where('section', proto='L2CAP')]" "[($N, $N)]"

	check_grep "$mode btacklat: -C names the LE link" \
		"^dev = hci0 handle = $_h peer = $ADDR1 type = LE\$" "$T/ack.out"
	check_eq "$mode btacklat: sent == acked == hciconfig's LE frames" "$_n $_n" \
		"$(sfield sent "$T/ack.out") $(sfield acked "$T/ack.out")"
	check_eq "$mode btacklat: histogram count == LE frames" $_n \
		"$(awk '/ -> / { s += $5 } END { print s + 0 }' "$T/ack.out")"
	for _f in overflow stale untracked unmatched skipped; do
		check_eq "$mode btacklat: $_f" 0 "$(sfield "$_f" "$T/ack.out")"
	done

	# the emulator reports LE buffers of its own (le_pkts 1): the le row
	# carries the traffic, the acl row none
	check_eq "$mode bthcicredits: le SENT and ACKED == LE frames" "$_n $_n" \
		"$(awk '$1 == "hci0" && $2 == "le" { s += $8; a += $9 } END { print s + 0, a + 0 }' "$T/cred.out")"
	check_eq "$mode bthcicredits: acl SENT none" 0 \
		"$(awk '$1 == "hci0" && $2 == "acl" { s += $8 } END { print s + 0 }' "$T/cred.out")"
	# btpktlat: the sends (sock) and every LE frame hci0 sent (ack)
	echo "# $mode btpktlat: $(grep -E '^(sock|queue|ack|total): count' "$T/pkt.out" | tr '\n' ' ')"
	check_grep "$mode btpktlat: sock: count $N (the sends)" "^sock: count $N, " "$T/pkt.out"
	check_grep "$mode btpktlat: ack: count == LE frames ($_n)" "^ack: count $_n, " "$T/pkt.out"
	check_grep "$mode btpktlat: total: count $N (every send timed to its ack)" "^total: count $N, " "$T/pkt.out"
	# btpktlat -r on hci1: every LE frame its RX work took (rxwork), and
	# the N frames the server read (sockq, read, total)
	echo "# $mode btpktlat -r: $(grep -E '^(rxwork|sockq|read|total): count' "$T/pkr.out" | tr '\n' ' ')"
	check_grep "$mode btpktlat -r: rxwork: count == hci1's RX acl delta ($_rn)" "^rxwork: count $_rn, " "$T/pkr.out"
	for _s in sockq read total; do
		check_grep "$mode btpktlat -r: $_s: count $N (the frames read)" "^$_s: count $N, " "$T/pkr.out"
	done
	for _f in 'frames stale' 'work partial' 'conts orphan' 'sockq partial' 'sockq unmatched' \
		'queued stale' 'lost events'; do
		check_eq "$mode btpktlat -r: $_f" 0 "$(sfield "$_f" "$T/pkr.out")"
	done
	le_sdus "$mode"
	check_detached "$mode"
done
unset BTBPF_ATTACH
