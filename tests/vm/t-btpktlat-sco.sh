# btpktlat -P sco: SCO frames written through the SCO-capable controller of
# the test bed (tests/vm/btbridge.c advertises SCO buffers and echoes the
# frames back; sco-setup.sh).  No controller here does SCO flow control, so
# a SCO send has no ack: its stages end at the driver (sock, queue, total),
# ACK_us is "-" (null in -j) and there is no ack histogram.  Counts are
# held against scosend and hciconfig's TX sco counter, the handle against
# btmon.  Both attach modes.  Sourced by guest-test.sh (helpers in lib.sh).
PKT=$BUILD/btpktlat
SCOSEND=$BUILD/tests/scosend
N=20; B=48

sco_bed

# sco_rx_check LABEL HANDLE: btpktlat -r -P sco against the echoes the
# controller delivered (hciconfig RX sco) and those scosend read
sco_rx_check() {
	_got=$(sed -n 's/^received \([0-9]*\) frames$/\1/p' "$T/scosend.out")
	check_cmd "$1 -r: scosend read echoes ($_got of $N)" test "${_got:-0}" -gt 0
	check_eq "$1 -r: rxwork, sockq counts == RX sco delta; read, total == echoes read" \
		"$_rx $_rx $_got $_got" \
		"$(stage_field rxwork count "$T/rh.out") $(stage_field sockq count "$T/rh.out") $(stage_field read count "$T/rh.out") $(stage_field total count "$T/rh.out")"
	check_eq "$1 -r: the four histograms are SCO's" 4 \
		"$(grep -cE '^stage = (rxwork|sockq|read|total) proto = SCO$' "$T/rh.out")"
	check_eq "$1 -r: summary frames, queued, reads" "$_rx $_rx $_got" \
		"$(pfield frames "$T/rh.out") $(pfield queued "$T/rh.out") $(pfield reads "$T/rh.out")"
	for _f in 'frames full' 'frames stale' 'work partial' conts 'conts orphan' 'conns full' \
		'sockq partial' 'sockq unmatched' 'rcvbuf full' 'queued full' 'hists full' 'lost events'; do
		check_eq "$1 -r: summary $_f" 0 "$(pfield "$_f" "$T/rh.out")"
	done
	stage_sums "$T/rm.out" > "$T/rm.sums"
	check_eq "$1 -r -M 0: one line per echo read: SCO $SCO_HCI handle $2, $B bytes, scosend's pid" "$_got" \
		"$(awk -v d="$SCO_HCI" -v h="$2" -v b=$B -v p=$SP '$1 == "SCO" && $2 == d && $3 == h && $4 == b && $5 == p && $6 == "scosend"' "$T/rm.sums" | wc -l)"
	check_eq "$1 -r -M 0: no other line" "$_got" "$(wc -l < "$T/rm.sums")"
	check_eq "$1 -r -M 0: rxwork + sockq + read == total within 2 us, never above" "" \
		"$(awk '$7 < 0 || $7 > 2' "$T/rm.sums")"
}

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	btmon_start "$T/sco.snoop"
	start_bg ph "$PKT" -P sco -d "$SCO_HCI" || continue
	_ph=$TOOL_PID
	start_bg pm "$PKT" -P sco -M 0 -d "$SCO_HCI" || continue
	_pm=$TOOL_PID
	start_tool pj "$PKT" -P sco -M 0 -j -d "$SCO_HCI" || continue
	_pj=$TOOL_PID
	start_bg rh "$PKT" -r -P sco -d "$SCO_HCI" || continue
	_rh=$TOOL_PID
	start_bg rm "$PKT" -r -P sco -M 0 -d "$SCO_HCI" || continue
	_rm=$TOOL_PID
	_before=$(tx_count "$SCO_HCI" sco) _acl0=$(tx_acl "$SCO_HCI")
	_rx0=$(hci_stat "$SCO_HCI" RX sco)
	"$SCOSEND" -i "$SCO_ADDR" -n $N -s $B "$PEER_ADDR" > "$T/scosend.out" 2>&1 &
	SP=$!
	wait $SP
	sleep 0.5
	_frames=$(( $(tx_count "$SCO_HCI" sco) - _before ))
	_acl=$(( $(tx_acl "$SCO_HCI") - _acl0 ))
	_rx=$(( $(hci_stat "$SCO_HCI" RX sco) - _rx0 ))
	for _p in $_ph $_pm $_pj $_rh $_rm; do
		stop_pid $_p INT
		check_eq "$mode: btpktlat ($_p) exits 0 on SIGINT" 0 $?
	done
	btmon_stop
	check_grep "$mode: scosend sent $N frames" "^sent $N frames of $B bytes\$" "$T/scosend.out"
	check_eq "$mode: hciconfig $SCO_HCI TX sco delta == scosend's frames" $N "$_frames"
	_h=$(btmon -r "$T/sco.snoop" | sed -n 's/.*SCO Data TX: Handle \([0-9]*\).*/\1/p' | head -1)
	check_cmd "$mode: btmon saw the SCO handle ($_h)" test -n "$_h"

	check_eq "$mode: sock, queue, total counts == frames sent" "$_frames $_frames $_frames" \
		"$(stage_field sock count "$T/ph.out") $(stage_field queue count "$T/ph.out") $(stage_field total count "$T/ph.out")"
	check_eq "$mode: SCO's histograms: sock, queue, total, no ack" "sock queue total" \
		"$(sed -n 's/^stage = \([a-z]*\) proto = SCO$/\1/p' "$T/ph.out" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "$mode: no other histogram" 3 "$(grep -c '^stage = ' "$T/ph.out")"
	for _f in sends timed frames; do
		check_eq "$mode: summary $_f" $N "$(pfield "$_f" "$T/ph.out")"
	done
	for _f in partial nodata 'sends lost' 'sends full' 'queue partial' 'frames full' \
		'frames dropped' 'frags untracked' 'hists full' 'lost events'; do
		check_eq "$mode: summary $_f" 0 "$(pfield "$_f" "$T/ph.out")"
	done
	# SCO enters no FIFO; the ACL link under it (its setup's signalling)
	# does, untimed with -P sco, so that the FIFO stays exact
	check_eq "$mode: FIFO sent == acked == $SCO_HCI TX acl delta ($_acl), no SCO frame" \
		"$_acl $_acl" "$(pfield sent "$T/ph.out") $(pfield acked "$T/ph.out")"

	# sock + queue == total: two truncations against one, up to 1 us short
	stage_sums "$T/pm.out" > "$T/pm.sums"
	check_eq "$mode: -M 0: one line per frame: SCO $SCO_HCI handle $_h, $B bytes, scosend's pid, ACK_us -" $N \
		"$(awk -v d="$SCO_HCI" -v h="$_h" -v b=$B -v p=$SP '$1 == "SCO" && $2 == d && $3 == h && $4 == b && $5 == p && $6 == "scosend" && $9 == "-"' "$T/pm.sums" | wc -l)"
	check_eq "$mode: -M 0: no other line" $N "$(wc -l < "$T/pm.sums")"
	check_eq "$mode: -M 0: sock + queue == total within 1 us, never above" "" \
		"$(awk '$7 < 0 || $7 > 1' "$T/pm.sums")"
	check_eq "$mode: -M 0: SLOWEST is sock or queue" "" \
		"$(awk '$8 != "sock" && $8 != "queue"' "$T/pm.sums")"
	jcheck btpktlat "$T/pj.out" "$mode: btpktlat -P sco -M 0 -j" --kind event --min-lines $((N + 1)) \
		--eq "one event per frame: pid, comm, SCO, $SCO_HCI, handle $_h, $B bytes, 1 frag" \
		"len(where('event', pid=$SP, comm='scosend', proto='SCO', dev='$SCO_HCI', handle=$_h, bytes=$B, frags=1))" $N \
		--eq "ack_us is null, never 0" "sorted(set(e['ack_us'] is None for e in rows['event']))" "[True]" \
		--eq "sock_us + queue_us == total_us within 1 us" \
		"[e for e in rows['event'] if not 0 <= e['total_us'] - e['sock_us'] - e['queue_us'] <= 1]" "[]" \
		--eq "summary: sends, timed; FIFO sent == acked == TX acl delta" \
		"[(s['sends'], s['timed'], s['sent'], s['acked']) for s in rows['summary']]" "[($N, $N, $_acl, $_acl)]"
	sco_rx_check "$mode" "$_h"
	check_detached "$mode"
	sleep 1
done
unset BTBPF_ATTACH
