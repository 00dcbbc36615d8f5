# ISO (LE Audio) counted exactly, unicast and broadcast: tests/vm/isosend
# sends N SDUs of B bytes from hci0 to a receiver on hci1, over a CIS and
# then over a BIS; btmon records the HCI traffic as an independent count,
# and btsnoop-sock, btwmem, btacklat and bthcicredits must agree with it and
# with N and B; btpktlat -P iso times every SDU.  The same traffic on
# every kernel: isosend passes the Linux 6.4+ struct bt_iso_qos, which 6.1
# reads too (BlueZ 5.66's iso-tester passes the old one, which 6.4+
# refuses).  Both attach modes.  Sourced by guest-test.sh (helpers in
# lib.sh).
SNOOP=$BUILD/btsnoop-sock
WMEM=$BUILD/btwmem
ACK=$BUILD/btacklat
CRED=$BUILD/bthcicredits
ISOSEND=$BUILD/tests/isosend
PKT=$BUILD/btpktlat
N=12; B=100

# btmon_count WHAT: ISO data packets in the capture ("TX" or "RX")
btmon_count() { btmon -r "$T/iso.snoop" | grep -c "ISO Data $1:"; }
# btmon_sdu_bytes WHAT: their SDU bytes (dlen less the 4-byte ISO data header)
btmon_sdu_bytes() {
	btmon -r "$T/iso.snoop" | awk -v w="ISO Data $1:" 'index($0, w) {
		for (i = 1; i < NF; i++) if ($i == "dlen") s += $(i + 1) - 4 } END { print s + 0 }'
}
# btmon_iso_pkts FILE HCI: the ISO buffers HCI reported in LE Read Buffer
# Size [v2] (none when it answered v1 only)
btmon_iso_pkts() {
	btmon -r "$1" | awk -v d="[$2]" '/^[<>@=] / { dev = $(NF - 1) }
		dev == d && /ISO max packet:/ { n = $NF } END { print n + 0 }'
}

# the controllers' setup is captured: their buffer sizes are in it
modprobe -a bluetooth 2>/dev/null && btmon_start "$T/init.snoop"
bt_setup
le_setup
btmon_stop
ISO_PKTS=$(btmon_iso_pkts "$T/init.snoop" hci0)
echo "# hci0 reported $ISO_PKTS ISO buffers"

# bis_pair N BYTES: hci0 broadcasts N SDUs on a BIS, a receiver on hci1
# reads them.  The emulator reports a BIG only to a receiver that syncs
# after it exists, so: the broadcaster connects, the receiver syncs and is
# accepted, and only then does the broadcaster (isosend -g) send.  Sets
# SND_PID, LST_PID.
bis_pair() {
	rm -f "$T/go"; mkfifo "$T/go"
	"$ISOSEND" -B -g -i "$ADDR0" -n "$1" -b "$2" < "$T/go" > "$T/snd.log" 2>&1 &
	SND_PID=$!
	exec 3> "$T/go"
	wait_line "$T/snd.log" '^connected '
	# The receiver syncs to the BIG.  Under TCG that sync was once not
	# made within 15 s (6.12: "listening", no "accepted").  It is not
	# started again beside the old one: a receiver killed once synced
	# brings this emulator down (see the end of this file), and the
	# sender's first write then fails ("Software caused connection
	# abort").  Without "accepted" in 30 s nothing is sent: the pair
	# fails before any SDU and iso_run runs it again.
	"$ISOSEND" -l -B -i "$ADDR1" -n "$1" "$ADDR0" > "$T/lst.log" 2>&1 &
	LST_PID=$!
	if ! wait_line "$T/lst.log" '^accepted$' 30; then
		echo "# bis: the receiver did not sync to the BIG within 30 s"
		kill $LST_PID 2>/dev/null
		exec 3>&-
		wait $SND_PID
		wait $LST_PID
		return 1
	fi
	echo go >&3
	exec 3>&-
	wait $SND_PID
	_rc=$?
	wait $LST_PID || _rc=1
	return $_rc
}

# iso_traced_pair KIND: KIND's pair (cis or bis) run once under btmon and
# every tool; 1 when the pair failed (the tools are stopped either way), 2
# when a tool did not start
iso_traced_pair() {
	btmon_start "$T/iso.snoop"
	start_bg snoop "$SNOOP" -c -P iso || return 2
	_ps=$TOOL_PID
	start_bg wmem "$WMEM" || return 2
	_pw=$TOOL_PID
	start_bg ack "$ACK" -C || return 2
	_pa=$TOOL_PID
	start_bg cred "$CRED" || return 2
	_pc=$TOOL_PID
	start_bg pkt "$PKT" -P iso -d hci0 || return 2
	_pp=$TOOL_PID
	start_bg pktm "$PKT" -P iso -M 0 -d hci0 || return 2
	_pm=$TOOL_PID
	start_bg pktr "$PKT" -r -P iso -d hci1 || return 2
	_pr=$TOOL_PID
	start_bg pktrm "$PKT" -r -P iso -M 0 -d hci1 || return 2
	_prm=$TOOL_PID
	${1}_pair $N $B
	_pair_rc=$?
	sleep 0.5
	TOOL_STATUS=
	for _p in $_ps $_pw $_pa $_pc $_pp $_pm $_pr $_prm; do
		stop_pid $_p INT
		TOOL_STATUS="$TOOL_STATUS $_p:$?"
	done
	btmon_stop
	return $_pair_rc
}

# say_pair_failed KIND MODE: what each side of a failed pair printed, and
# whether the emulator still runs, as "#" lines
say_pair_failed() {
	sed "s/^/# $2 $1: the sender: /" "$T/snd.log"
	sed "s/^/# $2 $1: the receiver: /" "$T/lst.log"
	kill -0 $BTVIRT_PID 2>/dev/null && _st="still running" || _st="gone"
	echo "# $2 $1: btvirt $_st; ISO data packets in btmon's capture: $(btmon_count TX) sent, $(btmon_count RX) received"
}

# iso_run KIND MODE: KIND's pair traced by the four tools in MODE, and
# every count held against N, B and btmon's capture.  A pair that failed
# before hci0 sent any ISO data is an emulator's failure, not a count's:
# it is run again on a fresh emulator, up to three times, with "#" lines
# that say what each side printed; the checks below are of the last run.
# (Once under TCG, on 6.12, a broadcast pair failed that way: the
# sender's one write refused, the receiver's one read empty, as when the
# emulator is gone.)
iso_run() {
	_k=$1 mode=$2
	for _attempt in 1 2 3; do
		iso_traced_pair $_k
		case $? in 0) break ;; 2) return ;; esac
		say_pair_failed $_k $mode
		[ $_attempt = 3 ] || [ "$(btmon_count TX)" != 0 ] && break
		echo "# $mode $_k: no ISO data left hci0 (try $_attempt): the emulator restarted, the pair run again"
		bt_restart
		le_setup
	done
	[ "$_pair_rc" = 0 ] || not_ok "$mode $_k: isosend failed (the lines above say how)"
	check_grep "$mode $_k: isosend sent $N SDUs of $B bytes" "^sent $N SDUs of $B bytes\$" "$T/snd.log"
	check_grep "$mode $_k: the receiver got them" "^received $N SDUs, $((N * B)) bytes\$" "$T/lst.log"
	for _s in $TOOL_STATUS; do
		check_eq "$mode $_k: exit status (${_s%:*})" 0 ${_s#*:}
	done
	check_eq "$mode $_k btmon: ISO data packets and SDU bytes sent and received" \
		"$N $((N * B)) $N $((N * B))" \
		"$(btmon_count TX) $(btmon_sdu_bytes TX) $(btmon_count RX) $(btmon_sdu_bytes RX)"
	_h=$(btmon -r "$T/iso.snoop" | sed -n 's/.*ISO Data TX: Handle \([0-9]*\) .*/\1/p' | head -1)

	check_eq "$mode $_k btsnoop-sock: the sender's ISO W calls and bytes" "$N $((N * B))" \
		"$(awk -v p=$SND_PID '$1 == p && $3 == "ISO" && $4 == "W" { print $5, $6 }' "$T/snoop.out")"
	check_eq "$mode $_k btsnoop-sock: the receiver's ISO R calls and bytes" "$N $((N * B))" \
		"$(awk -v p=$LST_PID '$1 == p && $3 == "ISO" && $4 == "R" { print $5, $6 }' "$T/snoop.out")"

	check_eq "$mode $_k btwmem: ISO sends" $N \
		"$(awk '/^proto = ISO/ { on = 1 } on && /^  sends:/ { print $2; exit }' "$T/wmem.out")"

	check_eq "$mode $_k btacklat: sent == acked == SDUs" "$N $N" \
		"$(sfield sent "$T/ack.out") $(sfield acked "$T/ack.out")"
	# a CIS has its peer's address; a BIS none (the kernel's hcon->dst
	# stays BDADDR_ANY for a broadcaster); its type is ISO (ISO_LINK,
	# one type for both, up to 6.16) or BIS (BIS_LINK, 6.17 and kernels
	# with that change backported, such as Debian's 6.12.117)
	_peer=$ADDR1 _types=ISO
	[ $_k = bis ] && _peer=00:00:00:00:00:00 _types='ISO|BIS'
	check_grep "$mode $_k btacklat: -C names the link (handle $_h, peer $_peer) as $_types" \
		"^dev = hci0 handle = $_h peer = $_peer type = ($_types)\$" "$T/ack.out"
	echo "# $mode $_k btacklat: $(grep '^dev = hci0 ' "$T/ack.out" | sed 's/.* type = /the kernel link type is /' | sort -u | tr '\n' ' ')"
	check_eq "$mode $_k btacklat: the link's histogram holds every packet" $N \
		"$(awk -v t="$_types" '/^dev = / { on = $NF ~ "^(" t ")$"; next } on && / -> / { s += $5 } END { print s + 0 }' "$T/ack.out")"
	for _f in overflow stale untracked unmatched skipped; do
		check_eq "$mode $_k btacklat: $_f" 0 "$(sfield "$_f" "$T/ack.out")"
	done

	# the controller either reported ISO buffers of its own (the iso row
	# counts them) or none (ISO takes from the pool the note names)
	if [ "$ISO_PKTS" -gt 0 ]; then
		check_eq "$mode $_k bthcicredits: hci0 iso MAX == the $ISO_PKTS buffers hci0 reported, SENT == ACKED == SDUs" \
			"$ISO_PKTS $N $N" \
			"$(awk '$1 == "hci0" && $2 == "iso" { m = $3; s += $8; a += $9 } END { print m + 0, s + 0, a + 0 }' "$T/cred.out")"
	else
		_pool=$(awk '$1 == "hci0" && $2 == "iso" && /shared:/ { sub(/.*shared:/, ""); print; exit }' "$T/cred.out")
		check_cmd "$mode $_k bthcicredits: hci0 reported no ISO buffers, the iso row says which pool it shares ($_pool)" \
			test -n "$_pool"
		check_eq "$mode $_k bthcicredits: the $_pool pool's SENT counts the SDUs" $N \
			"$(awk -v p="$_pool" '$1 == "hci0" && $2 == p { s += $8 } END { print s + 0 }' "$T/cred.out")"
	fi
	pkt_check "$mode $_k" "$_h"
	pkt_rx_check "$mode $_k"
	check_detached "$mode $_k"
}

# pkt_check LABEL HANDLE: btpktlat -P iso against isosend and btmon: sock
# and total count the SDUs, queue and ack the ISO frames hci0 sent; one -M 0
# line per SDU whose stages add up to its total
pkt_check() {
	_tx=$(btmon_count TX)
	check_eq "$1 btpktlat: sock, queue, ack, total counts == SDUs, ISO frames sent (btmon) x2, SDUs" \
		"$N $_tx $_tx $N" \
		"$(stage_field sock count "$T/pkt.out") $(stage_field queue count "$T/pkt.out") $(stage_field ack count "$T/pkt.out") $(stage_field total count "$T/pkt.out")"
	check_eq "$1 btpktlat: the four histograms are ISO's" 4 \
		"$(grep -cE '^stage = (sock|queue|ack|total) proto = ISO$' "$T/pkt.out")"
	check_eq "$1 btpktlat: no L2CAP histogram with -P iso" 0 \
		"$(grep -cE '^stage = [a-z]+$' "$T/pkt.out")"
	for _f in sends timed frames sent acked; do
		check_eq "$1 btpktlat: summary $_f" $N "$(pfield "$_f" "$T/pkt.out")"
	done
	for _f in partial nodata 'sends lost' 'sends full' 'queue partial' 'frames full' \
		'frames dropped' 'frags untracked' 'hists full' overflow stale untracked unmatched \
		skipped 'lost events'; do
		check_eq "$1 btpktlat: summary $_f" 0 "$(pfield "$_f" "$T/pkt.out")"
	done
	# each stage is truncated to whole usecs on its own: the others may
	# fall short of TOTAL_us by up to 2 us (three truncations), never more
	stage_sums "$T/pktm.out" > "$T/pktm.sums"
	check_eq "$1 btpktlat -M 0: one line per SDU: ISO hci0 handle $2, $B bytes, isosend's pid" $N \
		"$(awk -v h="$2" -v b=$B -v p=$SND_PID '$1 == "ISO" && $2 == "hci0" && $3 == h && $4 == b && $5 == p && $6 == "isosend"' "$T/pktm.sums" | wc -l)"
	check_eq "$1 btpktlat -M 0: no other line" $N "$(wc -l < "$T/pktm.sums")"
	check_eq "$1 btpktlat -M 0: sock + queue + ack == total within 2 us, never above" "" \
		"$(awk '$7 < 0 || $7 > 2' "$T/pktm.sums")"
	check_eq "$1 btpktlat -M 0: every ack timed (a number)" $N \
		"$(awk '$9 ~ /^[0-9]+$/' "$T/pktm.sums" | wc -l)"
}

# pkt_rx_check LABEL: btpktlat -r -P iso on hci1 against btmon and the
# receiver: rxwork counts the ISO frames hci1 got, sockq, read and total
# the SDUs read; one -M 0 line per SDU read, whose stages add up
pkt_rx_check() {
	_rx=$(btmon_count RX)
	_rh=$(btmon -r "$T/iso.snoop" | sed -n 's/.*ISO Data RX: Handle \([0-9]*\) .*/\1/p' | head -1)
	check_eq "$1 btpktlat -r: rxwork, sockq, read, total counts == ISO frames received (btmon), SDUs x3" \
		"$_rx $N $N $N" \
		"$(stage_field rxwork count "$T/pktr.out") $(stage_field sockq count "$T/pktr.out") $(stage_field read count "$T/pktr.out") $(stage_field total count "$T/pktr.out")"
	check_eq "$1 btpktlat -r: the four histograms are ISO's" 4 \
		"$(grep -cE '^stage = (rxwork|sockq|read|total) proto = ISO$' "$T/pktr.out")"
	for _f in frames queued reads; do
		check_eq "$1 btpktlat -r: summary $_f" $N "$(pfield "$_f" "$T/pktr.out")"
	done
	for _f in 'frames full' 'frames stale' 'work partial' 'conts orphan' 'conns full' \
		'sockq partial' 'sockq unmatched' 'rcvbuf full' 'queued full' 'queued stale' \
		'reads other' 'hists full' 'lost events'; do
		check_eq "$1 btpktlat -r: summary $_f" 0 "$(pfield "$_f" "$T/pktr.out")"
	done
	stage_sums "$T/pktrm.out" > "$T/pktrm.sums"
	check_eq "$1 btpktlat -r -M 0: one line per SDU read: ISO hci1 handle $_rh, $B bytes, the receiver's pid" $N \
		"$(awk -v h="$_rh" -v b=$B -v p=$LST_PID '$1 == "ISO" && $2 == "hci1" && $3 == h && $4 == b && $5 == p && $6 == "isosend"' "$T/pktrm.sums" | wc -l)"
	check_eq "$1 btpktlat -r -M 0: no other line" $N "$(wc -l < "$T/pktrm.sums")"
	check_eq "$1 btpktlat -r -M 0: rxwork + sockq + read == total within 2 us, never above" "" \
		"$(awk '$7 < 0 || $7 > 2' "$T/pktrm.sums")"
}

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	iso_run cis $mode
done
# BlueZ 5.66's btvirt ends with SIGSEGV (status 139) when hci1 ends its BIG
# sync on 6.12 (a use-after-free in its LE BIG Terminate Sync, which walks
# the connection list while freeing from it).  On 6.1 it survives: hci0's
# kernel ends the BIS with HCI Disconnect, which removes hci1's side too, and
# the Terminate Sync that follows finds nothing (Command Disallowed).  Each
# broadcast run gets a fresh emulator; the line below says how it ended.
# Every SDU was acknowledged and received before that, so no count changes.
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	bt_restart
	le_setup
	iso_run bis $mode
	sleep 0.5
	kill -0 $BTVIRT_PID 2>/dev/null && _st="still running" ||
		{ wait $BTVIRT_PID; _st="exited with status $?"; }
	echo "# $mode bis: btvirt $_st after the receiver closed"
done
unset BTBPF_ATTACH

