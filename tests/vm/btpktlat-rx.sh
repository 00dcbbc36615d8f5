# btpktlat -r in the guest, sourced by t-btpktlat.sh (which has the
# helpers pfield, stage_field and acl_mtu, and N and B): real L2CAP
# traffic from hci0 received on hci1 (btvirt).  Each frame is larger than the ACL MTU, so it arrives as
# several ACL fragments that L2CAP reassembles.  The counts are held
# against hciconfig's RX counter and the receivers' reads, the stages of
# every frame against its total, and a receiver that sleeps before each
# recv against the read stage.

L2RECV=$BUILD/tests/l2recv

check_rx_clean() {
	for _f in 'frames full' 'frames stale' 'work partial' 'conts orphan' 'conns full' \
		'sockq partial' 'sockq unmatched' 'sockq kernel' 'rcvbuf full' 'queued full' \
		'queued stale' 'reads other' peeks 'hists full' 'lost events'; do
		check_eq "$1: $_f" 0 "$(pfield "$_f" "$2")"
	done
}

# N frames of B bytes read by l2test on hci1: rxwork counts every ACL
# frame hci1's RX work took (hciconfig RX acl: the fragments and L2CAP's
# signalling), sockq, read and total the N frames; in -M 0 -j, one line
# per frame whose stages add up to its total.
t_rx_counts() {
	_m=$1
	start_tool rh "$PKT" -r -d hci1 || return
	_rh=$TOOL_PID
	start_tool rj "$PKT" -r -M 0 -j -T -d hci1 || return
	_rj=$TOOL_PID
	start_tool rp "$PKT" -r -p 1 -d hci1 || return	# init reads nothing
	_rp=$TOOL_PID
	start_tool ro "$PKT" -r -q -d hci1 --openmetrics "$T/rx.prom" || return
	_ro=$TOOL_PID
	_before=$(rx_acl hci1)
	l2test_pair $N $B
	_frames=$(( $(rx_acl hci1) - _before ))
	check_maps_sized "$_m" $_rh "sends frames" "rx_frames:PKT_MAX_RX_FRAMES rx_queued:PKT_MAX_RX_QUEUED"
	for _p in $_rh $_rj $_rp $_ro; do
		stop_pid $_p INT
		check_eq "$_m: btpktlat -r ($_p) exit status after SIGINT" 0 $?
	done
	_mtu=$(acl_mtu hci0)
	_frags=$(( (B + 4 + _mtu - 1) / _mtu ))	# L2CAP header 4 bytes
	check_cmd "$_m: a $B-byte frame spans several ACL frames (MTU $_mtu: $_frags)" \
		test "$_frags" -gt 1
	check_eq "$_m: rxwork count == hciconfig hci1 RX acl delta" "$_frames" \
		"$(stage_field rxwork count "$T/rh.out")"
	for _s in sockq read total; do
		check_eq "$_m: $_s count == l2test's frames" $N "$(stage_field $_s count "$T/rh.out")"
	done
	check_eq "$_m: frames noted at hci_recv_frame == RX acl delta" "$_frames" \
		"$(pfield frames "$T/rh.out")"
	check_eq "$_m: continuation fragments: N * (frags - 1)" $((N * (_frags - 1))) \
		"$(pfield conts "$T/rh.out")"
	check_eq "$_m: first fragments == RX acl delta - continuations" \
		$((_frames - N * (_frags - 1))) "$(pfield starts "$T/rh.out")"
	check_eq "$_m: queued == reads == N" "$N $N" \
		"$(pfield queued "$T/rh.out") $(pfield reads "$T/rh.out")"
	check_rx_clean "$_m" "$T/rh.out"
	# -p 1: l2test's reads are another process's, counted and not timed
	check_eq "$_m: -p 1: no histogram, reads other == N" "0 $N" \
		"$(grep -c '^stage = ' "$T/rp.out") $(pfield 'reads other' "$T/rp.out")"
	# --openmetrics: the receive side's own family and counters
	for _s in "rxwork $_frames" "sockq $N" "read $N" "total $N"; do
		check_grep "$_m: --openmetrics: ${_s% *} count ${_s#* }" \
			"^btbpf_pkt_rx_stage_seconds_count\\{dev=\"hci1\",stage=\"${_s% *}\"\\} ${_s#* }\$" "$T/rx.prom"
	done
	check_grep "$_m: --openmetrics: reads $N" "^btbpf_pkt_rx_reads_total\\{dev=\"hci1\"\\} $N\$" "$T/rx.prom"
	check_grep "$_m: --openmetrics: untraced 0" "^btbpf_pkt_rx_untraced_total\\{dev=\"hci1\"\\} 0\$" "$T/rx.prom"
	check_eq "$_m: --openmetrics: no send-side family" 0 "$(grep -c '^btbpf_pkt_stage_seconds' "$T/rx.prom")"
	# the server's child read them all; its handle from its log
	_h=$(sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2srv.log" | head -1)
	jcheck btpktlat "$T/rj.out" "$_m: btpktlat -r -M 0 -j -T" --kind event --min-lines $((N + 1)) \
		--eq "one line per frame l2test read: comm, L2CAP, hci1, handle $_h, $B bytes, $_frags frags" \
		"len(where('event', comm='l2test', proto='L2CAP', dev='hci1', handle=$_h, bytes=$B, frags=$_frags))" $N \
		--eq "no other frame" "len(rows['event'])" $N \
		--eq "one reader" "len(set(e['pid'] for e in rows['event']))" 1 \
		--eq "rxwork + sockq + read == total within 2 us (truncation), never above" \
		"[e['total_us'] - e['rxwork_us'] - e['sockq_us'] - e['read_us'] for e in rows['event'] if not 0 <= e['total_us'] - e['rxwork_us'] - e['sockq_us'] - e['read_us'] <= 2]" "[]" \
		--eq "slowest names the largest stage" \
		"all(e[e['slowest'] + '_us'] == max(e['rxwork_us'], e['sockq_us'], e['read_us']) for e in rows['event'])" True \
		--eq "summary: frames, reads, no lost events" \
		"[(s['frames'], s['reads'], s['lost_events']) for s in rows['summary']]" "[($_frames, $N, 0)]"
	check_detached "$_m"
}

# The histograms in -j with -C -m against the same kind of run.
t_rx_json() {
	_m=$1
	start_tool hc "$PKT" -r -j -C -m -d hci1 || return
	_hc=$TOOL_PID
	_before=$(rx_acl hci1)
	l2test_pair $N $B
	_frames=$(( $(rx_acl hci1) - _before ))
	_h=$(sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2srv.log" | head -1)
	stop_pid $_hc INT
	check_eq "$_m: btpktlat -r -j -C -m exit status" 0 $?
	jcheck btpktlat "$T/hc.out" "$_m: btpktlat -r -j -C -m" --kind histogram --min-lines 5 \
		--eq "per connection: hci1, the server's handle $_h, in msecs" \
		"sorted(set((r['dev'], r['handle'], r['hist']['unit']) for r in rows['histogram']))" \
		"[('hci1', $_h, 'msecs')]" \
		--eq "stages and counts: RX acl delta for rxwork, frames read for the others" \
		"[(r['stage'], r['count']) for r in rows['histogram']]" \
		"[('rxwork', $_frames), ('sockq', $N), ('read', $N), ('total', $N)]" \
		--eq "summary: queued, reads" \
		"[(s['queued'], s['reads'], s['starts'] + s['conts']) for s in rows['summary']]" "[($N, $N, $_frames)]"
	check_detached "$_m -j"
}

# A receiver that sleeps W ms before each of its SLOW recvs, from when a
# frame is queued: each frame waits on the socket queue for W ms or more
# (the k-th about k * W less its arrival after the first), so read grows and rxwork and sockq do not (they stay
# under half the sleep: the RX work of a loaded emulated guest was seen to
# take 200 ms).  -M 700 prints exactly those frames, SLOWEST read; a normal
# run after them (frames read at once) prints nothing.
SLOW=5
W=1000
t_rx_slow_reader() {
	_m=$1
	start_bg sm "$PKT" -r -M 700 -d hci1 || return
	_sm=$TOOL_PID
	start_bg sh "$PKT" -r -d hci1 || { stop_pid $_sm INT; return; }
	_sh=$TOOL_PID
	"$L2RECV" -i "$ADDR1" -P 4115 -n $SLOW -w $W > "$T/l2recv.log" 2>&1 &
	_rcv=$!
	until grep -q '^listening' "$T/l2recv.log"; do
		kill -0 $_rcv 2>/dev/null || break
		sleep 0.05
	done
	# -p: the reader's frames only, all four stages taken at its reads
	start_bg sp "$PKT" -r -p $_rcv -d hci1 || { stop_pid $_sm INT; stop_pid $_sh INT; return; }
	_sp=$TOOL_PID
	# the sender stays connected until the reader is done
	l2test -s -i hci0 -P 4115 -N $SLOW -b $B -g $((SLOW * W + 3000)) "$ADDR1" \
		> "$T/l2slow.log" 2>&1
	wait $_rcv
	check_eq "$_m: l2recv exit status" 0 $?
	_pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$T/l2recv.log")
	check_grep "$_m: l2recv read $SLOW frames of $B bytes" "^received=$SLOW bytes=$((SLOW * B)) " \
		"$T/l2recv.log"
	l2test_pair 5 $B
	stop_pid $_sm INT
	check_eq "$_m: -M 700 exit status" 0 $?
	stop_pid $_sh INT
	check_eq "$_m: histogram exit status" 0 $?
	stop_pid $_sp INT
	check_eq "$_m: -p exit status" 0 $?
	check_eq "$_m: -p l2recv: every stage counts its $SLOW frames, the next run's 5 are another's" \
		"$SLOW $SLOW $SLOW $SLOW 5" "$(for _s in rxwork sockq read total; do
			stage_field $_s count "$T/sp.out"; done | tr '\n' ' ')$(pfield 'reads other' "$T/sp.out")"
	_x=$(stage_field read max "$T/sp.out")
	check_cmd "$_m: -p l2recv: read max ($_x us) grew by about $SLOW sleeps" \
		test "${_x:-0}" -ge $(( (SLOW * W - 300) * 1000 ))
	_lines=$(awk '$NF ~ /^(rxwork|sockq|read)$/' "$T/sm.out")
	check_eq "$_m: -M 700 prints the $SLOW delayed frames" $SLOW "$(echo "$_lines" | grep -c .)"
	check_eq "$_m: all of l2recv (pid $_pid), $B bytes, SLOWEST read" \
		"$SLOW" "$(echo "$_lines" | awk -v p="$_pid" -v b=$B '$1 == p && $2 == "l2recv" && $6 == b && $NF == "read"' | wc -l)"
	# READ_us is column 9; W ms or more each (the reader sleeps once a
	# frame is queued)
	_rmin=$(echo "$_lines" | awk 'NR == 1 || $9 < m { m = $9 } END { print m + 0 }')
	check_cmd "$_m: the shortest delayed read ($_rmin us) is the sleep ($W ms) or more" \
		test "$_rmin" -ge $((W * 1000))
	_rmax=$(stage_field read max "$T/sh.out")
	check_cmd "$_m: read max ($_rmax us) grew by about $SLOW sleeps" \
		test "${_rmax:-0}" -ge $(( (SLOW * W - 300) * 1000 ))
	for _s in rxwork sockq; do
		_x=$(stage_field $_s max "$T/sh.out")
		check_cmd "$_m: $_s max ($_x us) did not" test "${_x:-999999999}" -lt $((W * 500))
	done
	check_eq "$_m: reads == read count == $SLOW + 5" "$((SLOW + 5)) $((SLOW + 5))" \
		"$(pfield reads "$T/sh.out") $(stage_field read count "$T/sh.out")"
	check_detached "$_m slow reader"
}
