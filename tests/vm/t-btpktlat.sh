# btpktlat in the guest: real L2CAP traffic between two btvirt controllers
# (one ACL credit, every frame acked by its own NUM_COMP_PKTS).  Each send
# is larger than the ACL MTU, so it leaves as several frames; the counts are
# held against l2test's sends and hciconfig's TX counter, the stages of
# every send against its total, and two freezes of the emulator against
# the stage that must hold them.  The receive side (-r) is in
# btpktlat-rx.sh.  Sourced by guest-test.sh with lib.sh loaded.

PKT=$BUILD/btpktlat
L2SEND=$BUILD/tests/l2send
N=12		# sends per run
B=600		# bytes per send: above btvirt's ACL MTU, within L2CAP's 672

check_clean() {
	for _f in overflow stale untracked unmatched skipped 'sends lost' 'sends full' \
		'frames full' 'frames dropped' 'frags untracked' 'hists full' 'lost events' \
		partial nodata 'queue partial'; do
		check_eq "$1: $_f" 0 "$(pfield "$_f" "$2")"
	done
}

acl_mtu() {
	hciconfig "$1" | sed -n 's/.*ACL MTU: \([0-9]*\):.*/\1/p'
}

# N sends of B bytes: sock and total count the sends, queue and ack every
# ACL frame hci0 sent (the fragments and L2CAP's own signalling); in -M 0
# -j, one line per send whose stages add up to its total.
t_counts() {
	_m=$1
	start_tool pt "$PKT" -d hci0 || return
	_pt=$TOOL_PID
	start_tool pj "$PKT" -M 0 -j -T -d hci0 || return
	_pj=$TOOL_PID
	start_tool pp "$PKT" -p 1 -d hci0 || return	# init sends nothing
	_pp=$TOOL_PID
	_before=$(tx_acl hci0)
	l2test_pair $N $B
	_frames=$(( $(tx_acl hci0) - _before ))
	check_maps_sized "$_m" $_pt "rx_frames rx_queued" "sends:PKT_MAX_SENDS frames:PKT_MAX_FRAMES"
	stop_pid $_pj INT
	check_eq "$_m: -M 0 -j exit status" 0 $?
	stop_pid $_pt INT
	check_eq "$_m: exit status after SIGINT" 0 $?
	stop_pid $_pp INT
	check_eq "$_m: -p 1 exit status" 0 $?
	_mtu=$(acl_mtu hci0)
	_frags=$(( (B + 4 + _mtu - 1) / _mtu ))	# L2CAP header 4 bytes
	check_cmd "$_m: a $B-byte send spans several ACL frames (MTU $_mtu: $_frags)" \
		test "$_frags" -gt 1
	check_eq "$_m: sock count == l2test's sends" $N "$(stage_field sock count "$T/pt.out")"
	check_eq "$_m: total count == l2test's sends" $N "$(stage_field total count "$T/pt.out")"
	check_eq "$_m: ack count == hciconfig hci0 TX acl delta" "$_frames" \
		"$(stage_field ack count "$T/pt.out")"
	check_eq "$_m: queue count == TX acl delta" "$_frames" \
		"$(stage_field queue count "$T/pt.out")"
	check_eq "$_m: sends" $N "$(pfield sends "$T/pt.out")"
	check_eq "$_m: timed" $N "$(pfield timed "$T/pt.out")"
	check_eq "$_m: frames noted at hci_send_acl == TX acl delta" "$_frames" \
		"$(pfield frames "$T/pt.out")"
	check_eq "$_m: FIFO sent == acked == TX acl delta" "$_frames $_frames" \
		"$(pfield sent "$T/pt.out") $(pfield acked "$T/pt.out")"
	check_clean "$_m" "$T/pt.out"
	# -p: another process's frames leave the histograms but still enter
	# the FIFO, which must see every frame to pair the rest exactly
	check_eq "$_m: -p 1: no sends, no histogram" "0 0" \
		"$(pfield sends "$T/pp.out") $(grep -c '^stage = ' "$T/pp.out")"
	check_eq "$_m: -p 1: FIFO sent == acked == TX acl delta" "$_frames $_frames" \
		"$(pfield sent "$T/pp.out") $(pfield acked "$T/pp.out")"
	# Each stage is a difference of two of four stamps and is truncated
	# to whole usecs on its own: the three can lose up to 2 us against
	# the total's one truncation, never more, and never add up to more.
	# vhci is no btusb controller: no usb stage (null, never 0).
	_h=$(sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2cli.log" | head -1)
	jcheck btpktlat "$T/pj.out" "$_m: btpktlat -M 0 -j -T" --kind event --min-lines $((N + 1)) \
		--eq "one line per l2test send: pid, comm, L2CAP, hci0, handle $_h, $B bytes, $_frags frags" \
		"len(where('event', pid=$CLI_PID, comm='l2test', proto='L2CAP', dev='hci0', handle=$_h, bytes=$B, frags=$_frags))" $N \
		--eq "no other send" "len(rows['event'])" $N \
		--eq "sock + queue + ack == total within 2 us (truncation), never above" \
		"[e['total_us'] - e['sock_us'] - e['queue_us'] - e['ack_us'] for e in rows['event'] if not 0 <= e['total_us'] - e['sock_us'] - e['queue_us'] - e['ack_us'] <= 2]" "[]" \
		--eq "slowest names the largest stage" \
		"all(e[e['slowest'] + '_us'] == max(e['sock_us'], e['queue_us'], e['ack_us']) for e in rows['event'])" True \
		--eq "usb_us is null on vhci" "set(e['usb_us'] for e in rows['event'])" "{None}" \
		--eq "summary: sends, timed, no lost events, no URB" \
		"[(s['sends'], s['timed'], s['lost_events'], s['urbs'], s['urbs_untracked']) for s in rows['summary']]" "[($N, $N, 0, 0, 0)]"
	check_eq "$_m: no usb histogram on vhci" "" "$(grep '^stage = usb' "$T/pt.out")"
	check_detached "$_m"
}

# The histograms in -j (-T, and -C -m) against the same kind of run.
t_json() {
	_m=$1
	start_tool hj "$PKT" -j -T -d hci0 || return
	_hj=$TOOL_PID
	start_tool hc "$PKT" -j -C -m -d hci0 || return
	_hc=$TOOL_PID
	_before=$(tx_acl hci0)
	l2test_pair $N $B
	_frames=$(( $(tx_acl hci0) - _before ))
	_h=$(sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2cli.log" | head -1)
	for _p in $_hj $_hc; do
		stop_pid $_p INT
		check_eq "$_m: btpktlat -j ($_p) exit status" 0 $?
	done
	jcheck btpktlat "$T/hj.out" "$_m: btpktlat -j -T" --kind histogram --min-lines 5 \
		--eq "stages and counts: sends for sock and total, TX acl delta for queue and ack" \
		"[(r['stage'], r['count']) for r in rows['histogram']]" \
		"[('sock', $N), ('queue', $_frames), ('ack', $_frames), ('total', $N)]" \
		--eq "count == hist total; p50 <= p99; avg <= max" \
		"all(r['count'] == r['hist']['total'] and r['p50'] <= r['p99'] and r['avg'] <= r['max'] for r in rows['histogram'])" True \
		--eq "usecs, time HH:MM:SS" \
		"sorted(set((r['hist']['unit'], len(r['time'].split(':'))) for r in rows['histogram']))" "[('usecs', 3)]" \
		--eq "summary: FIFO sent == acked == TX acl delta" \
		"[(s['sent'], s['acked'], s['frames']) for s in rows['summary']]" "[($_frames, $_frames, $_frames)]"
	jcheck btpktlat "$T/hc.out" "$_m: btpktlat -j -C -m" --kind histogram --min-lines 5 \
		--eq "per connection: hci0, l2test's handle $_h, in msecs" \
		"sorted(set((r['dev'], r['handle'], r['hist']['unit']) for r in rows['histogram']))" \
		"[('hci0', $_h, 'msecs')]" \
		--eq "counts per stage as without -C" \
		"[(r['stage'], r['count']) for r in rows['histogram']]" \
		"[('sock', $N), ('queue', $_frames), ('ack', $_frames), ('total', $N)]"
	check_detached "$_m -j"
}

# freeze_during AT CMD...: runs CMD, a sender that prints "connected" once
# connected and sends after its -d delay, with the emulator frozen from AT
# seconds after "connected" for FREEZE seconds (as t-btwmem.sh's
# l2send_frozen: a delay long enough that a slow guest still freezes
# first); the l2test server on hci1 reads.
FREEZE=5
freeze_during() {
	_at=$1; shift
	l2test -r -i hci1 -P 4113 > "$T/l2srv.log" 2>&1 &
	_srv=$!
	sleep 0.5
	timeout 120 "$@" > "$T/send.log" 2>&1 &
	_snd=$!
	until grep -q '^connected' "$T/send.log"; do
		kill -0 $_snd 2>/dev/null || break
		sleep 0.05
	done
	sleep $_at
	kill -STOP $BTVIRT_PID
	sleep $FREEZE
	kill -CONT $BTVIRT_PID
	wait $_snd
	sleep 1
	kill $_srv 2>/dev/null
	wait $_srv 2>/dev/null
}

# One small send (one frame) while the emulator is frozen: its ack holds it
# about FREEZE s, the socket does not.  -M 500 prints that send and no
# other (the connection's frames are not sends; a later normal run's sends
# take milliseconds).
t_frozen_ack() {
	_m=$1
	start_bg fm "$PKT" -M 500 -d hci0 || return
	_fm=$TOOL_PID
	start_bg fh "$PKT" -d hci0 || { stop_pid $_fm INT; return; }
	_fh=$TOOL_PID
	# frozen 0.5 s after connecting (the connection's own frames acked by
	# then), the send 2.5 s after: held about FREEZE - 2 s
	freeze_during 0.5 "$L2SEND" -i "$ADDR0" -n 1 -b 100 -d 2500 "$ADDR1"
	l2test_pair 5 100
	stop_pid $_fm INT
	check_eq "$_m: -M 500 exit status" 0 $?
	stop_pid $_fh INT
	check_eq "$_m: histogram exit status" 0 $?
	_lines=$(awk '$NF ~ /^(sock|queue|usb|ack)$/' "$T/fm.out")
	check_eq "$_m: -M 500 prints the one held send (l2send: $(tr "\n" " " < "$T/send.log"))" 1 "$(echo "$_lines" | grep -c .)"
	check_eq "$_m: its SLOWEST is ack" ack "$(echo "$_lines" | awk '{ print $NF }')"
	check_eq "$_m: its USB_us is - (vhci)" - "$(echo "$_lines" | awk '{ print $9 }')"
	_ack=$(echo "$_lines" | awk '{ print $10 }')
	check_cmd "$_m: its ack_us ($_ack) is about the freeze (>= 1000000)" test "${_ack:-0}" -ge 1000000
	_amax=$(stage_field ack max "$T/fh.out")
	_smax=$(stage_field sock max "$T/fh.out")
	check_cmd "$_m: ack max ($_amax us) grew by about the freeze" test "${_amax:-0}" -ge 1000000
	check_cmd "$_m: sock max ($_smax us) did not" test "${_smax:-999999999}" -lt 300000
	check_eq "$_m: frozen run: sends" 6 "$(pfield timed "$T/fh.out")"
	check_detached "$_m frozen ack"
}

# A sender with a tiny SO_SNDBUF (blocking) starts while the emulator is
# frozen: its first frame takes the only credit, the rest of the buffer
# fills the queue, and the next sendmsg waits for buffer space until the
# emulator runs again.  sock holds that send about the freeze.  Sends of
# one frame (150 bytes), as t-btwmem.sh's: a sender blocked in the middle
# of a fragmented PDU holds its first fragments' buffer charge, and the
# socket wakes a writer only once the charge is down to half the buffer
# (sock_def_write_space), which with the minimum buffer may never come
# (seen on 6.1: a 600-byte send waited 41 s, the next had not ended 120 s
# later).
t_frozen_sock() {
	_m=$1
	start_bg sm "$PKT" -M 500 -d hci0 || return
	_sm=$TOOL_PID
	start_bg sh "$PKT" -d hci0 || { stop_pid $_sm INT; return; }
	_sh=$TOOL_PID
	# frozen at once, the sends 2.5 s later (a loaded guest may notice
	# "connected" a second late): held about FREEZE - 2.5 s
	freeze_during 0 "$L2SEND" -i "$ADDR0" -n 40 -b 150 -s 1 -d 2500 "$ADDR1"
	stop_pid $_sm INT
	check_eq "$_m: -M 500 exit status" 0 $?
	stop_pid $_sh INT
	check_eq "$_m: histogram exit status" 0 $?
	check_grep "$_m: l2send sent all 40" "^sent=40 " "$T/send.log"
	_smax=$(stage_field sock max "$T/sh.out")
	check_cmd "$_m: sock max ($_smax us) grew by about the freeze" test "${_smax:-0}" -ge 1000000
	check_cmd "$_m: -M 500 has a send held in sock" grep -qE ' sock$' "$T/sm.out"
	check_eq "$_m: sends == timed == 40" "40 40" \
		"$(pfield sends "$T/sh.out") $(pfield timed "$T/sh.out")"
	check_detached "$_m frozen sock"
}

# -r, the receive side: its own functions, the helpers above
. tests/vm/btpktlat-rx.sh

bt_setup
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	t_counts $mode
	t_json $mode
	t_frozen_ack $mode
	t_frozen_sock $mode
done
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	t_rx_counts "$mode -r"
	t_rx_json "$mode -r"
	t_rx_slow_reader "$mode -r"
done
unset BTBPF_ATTACH
# libbpf's own load (BTBPF_LOADER=libbpf; kernels before 5.17 take it):
# both sides, fentry, the largest object of the suite.
export BTBPF_LOADER=libbpf BTBPF_ATTACH=fentry
t_counts "libbpf load, fentry"
t_rx_counts "libbpf load, fentry -r"
unset BTBPF_LOADER BTBPF_ATTACH
# The self-contained build (make static) follows each send as the dynamic one.
if static_build btpktlat; then
	PKT=$STATIC_BIN
	t_counts "static, default attach"
	PKT=$BUILD/btpktlat
fi
jcoverage btpktlat
