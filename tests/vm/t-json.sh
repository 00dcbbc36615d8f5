# -j of btsnoop-sock, btwmem, bthcicredits and btacklat, every mode, read by
# a JSON parser (tests/vm/jsoncheck.py, through jcheck): each line one
# object, each field documented in the tool's man page (section JSON) and
# every "always" field there; the values held against the truth of the run
# (what l2test sent, the peer's address, the connection handle, the
# controller's name and its hciconfig counters) or against the text output
# of the same run; at the end, every documented field printed by at least
# one run (jcoverage).  bturblat's JSON is checked on the USB test bed, in
# t-bturblat.sh.  JSON is formatted in user space: one attach mode (the
# default) is enough here; the counts are checked in both by the tools'
# own scripts.  Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
WMEM=$BUILD/btwmem
CRED=$BUILD/bthcicredits
ACK=$BUILD/btacklat

bt_setup

# l2cap_handle: the ACL handle l2test's last client connection used
l2cap_handle() {
	sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2cli.log" | head -1
}

# btsnoop-sock: per-call events (-j -T) and counts (-j -c -T) of one run:
# l2test's sends, a sender that hits EAGAIN, RFCOMM through krfcommd.
t_snoop() {
	_rfcomm=$(modprobe rfcomm 2>/dev/null && echo yes)	# before the tools start
	start_tool sj "$SNOOP" -j -T || return
	_ev=$TOOL_PID
	start_tool sc "$SNOOP" -j -c -T || return
	_cnt=$TOOL_PID
	start_tool sg "$SNOOP" -j -c -G || return
	_cg=$TOOL_PID
	l2test_pair 5 222
	_h=$(l2cap_handle)
	l2test -d -i hci1 -P 4115 > /dev/null 2>&1 &
	_dump=$!
	sleep 0.5
	_res=$(eagain_sender 4115)
	kill $_dump 2>/dev/null
	set -- $_res
	_sent=$2 _eagain=$4 _epid=$6
	hcitool -i hci0 cmd 0x04 0x0001 > /dev/null &	# Read Local Version
	_hc=$!
	wait $_hc
	_rc=none
	if [ "$_rfcomm" = yes ]; then
		rctest_pair 3 100
		_rc=$RC_PID
	fi
	stop_pid $_ev INT
	check_eq "btsnoop-sock -j: exit status" 0 $?
	stop_pid $_cnt INT
	check_eq "btsnoop-sock -j -c: exit status" 0 $?
	stop_pid $_cg INT
	check_eq "btsnoop-sock -j -c -G: exit status" 0 $?
	[ "${_eagain:-0}" -gt 0 ] && ok "the EAGAIN sender hit EAGAIN ($_res)" ||
		not_ok "the EAGAIN sender never hit EAGAIN ($_res)"
	jcheck btsnoop-sock "$T/sj.out" "btsnoop-sock -j -T" --kind event --min-lines 10 \
		--eq "l2test's 5 sends: pid, tid, comm, L2CAP W 222 bytes, peer $ADDR1, handle $_h, psm 4113" \
		"len(where('event', pid=$CLI_PID, tid=$CLI_PID, comm='l2test', kthread=False, proto='L2CAP', dir='W', bytes=222, ret=222, len=222, peer='$ADDR1', handle=$_h, psm=4113))" 5 \
		--eq "no other event from l2test's client" "len(where('event', pid=$CLI_PID))" 5 \
		--eq "the server's reads on PSM 4113 add up to 5*222, from peer $ADDR0" \
		"total(where('event', proto='L2CAP', dir='R', psm=4113, peer='$ADDR0'), 'bytes')" 1110 \
		--eq "EAGAIN events: ret -11, bytes 0, errno EAGAIN, len 600" \
		"len(where('event', pid=$_epid, dir='W', ret=-11, bytes=0, errno='EAGAIN', len=600))" "$_eagain" \
		--eq "the EAGAIN sender's good sends have no errno" \
		"len([e for e in where('event', pid=$_epid, dir='W', bytes=600) if 'errno' not in e])" "$_sent" \
		--eq "hcitool's command: one HCI W event of 4 bytes on hci0" \
		"[(e['dev'], e['bytes']) for e in where('event', pid=$_hc, proto='HCI', dir='W')]" "[('hci0', 4)]" \
		--eq "lat_us is a number >= 0 everywhere" \
		"all(e['lat_us'] >= 0 for e in rows['event'])" True \
		--eq "time is HH:MM:SS everywhere (-T)" \
		"sorted(set(len(e['time'].split(':')) for e in rows['event']))" "[3]" \
		--eq "cid is a dynamic channel id (>= 0x40) on every L2CAP event with a peer" \
		"all(e['cid'] >= 64 for e in rows['event'] if e['proto'] == 'L2CAP' and 'peer' in e)" True
	if [ "$_rc" != none ]; then
		jcheck btsnoop-sock "$T/sj.out" "btsnoop-sock -j RFCOMM" --kind event \
			--eq "rctest's 3 writes: RFCOMM W 100 bytes, channel 3, peer $ADDR1" \
			"len(where('event', pid=$_rc, comm='rctest', proto='RFCOMM', dir='W', bytes=100, channel=3, peer='$ADDR1'))" 3 \
			--eq "krfcommd's L2CAP frames are kernel-thread events" \
			"len(where('event', comm='krfcommd', kthread=True, proto='L2CAP', dir='W', bytes=104))" 3
	else
		skip "no rfcomm module: RFCOMM events not checked"
	fi
	jcheck btsnoop-sock "$T/sc.out" "btsnoop-sock -j -c -T" --kind count \
		--eq "l2test's row: calls 5, bytes 1110, no errors" \
		"[(r['comm'], r['kthread'], r['calls'], r['bytes'], r['errors']) for r in where('count', pid=$CLI_PID, proto='L2CAP', dir='W')]" \
		"[('l2test', False, 5, 1110, {})]" \
		--eq "the EAGAIN sender's row: every call, the good bytes, EAGAIN by name" \
		"[(r['calls'], r['bytes'], r['errors']) for r in where('count', pid=$_epid, dir='W')]" \
		"[($((_sent + _eagain)), $((_sent * 600)), {'EAGAIN': $_eagain})]"
	[ "$_rc" = none ] || jcheck btsnoop-sock "$T/sc.out" "btsnoop-sock -j -c RFCOMM" --kind count \
		--eq "rctest's row and krfcommd's" \
		"[(r['calls'], r['bytes']) for r in where('count', pid=$_rc, proto='RFCOMM', dir='W')] + [r['kthread'] for r in where('count', comm='krfcommd', proto='L2CAP', dir='W')]" \
		"[(3, 300), True]"
	# -G: everything here runs in the root cgroup (id 1); the same calls
	_pp=$(/usr/bin/python3 -c 'import json, sys; print(sum(r["calls"] for r in map(json.loads, open(sys.argv[1])) if (r["proto"], r["dir"]) == ("L2CAP", "W")))' "$T/sc.out")
	jcheck btsnoop-sock "$T/sg.out" "btsnoop-sock -j -c -G" --kind count \
		--eq "every row in the root cgroup (id 1)" "sorted(set(r['cgroup_id'] for r in rows['count']))" "[1]" \
		--eq "L2CAP W calls: as many as the per-process rows' ($_pp)" \
		"total(where('count', proto='L2CAP', dir='W'), 'calls')" "$_pp"
	check_detached "btsnoop-sock -j"
	jcoverage btsnoop-sock
}

# btwmem: the default sections (-T), -P -w, -S -%, and --heatmap, all on
# one l2test run of 6 sends of 300 bytes.
t_wmem() {
	start_tool wd "$WMEM" -j -T || return
	_wd=$TOOL_PID
	start_tool wp "$WMEM" -j -P -w || return
	_wp=$TOOL_PID
	start_tool ws "$WMEM" -j -S -% || return
	_ws=$TOOL_PID
	start_tool wh "$WMEM" -j --heatmap || return
	_wh=$TOOL_PID
	start_tool wg "$WMEM" -j -G || return
	_wg=$TOOL_PID
	l2test_pair 6 300
	for _p in $_wd $_wp $_ws $_wh $_wg; do
		stop_pid $_p INT
		check_eq "btwmem -j ($_p): exit status" 0 $?
	done
	jcheck btwmem "$T/wd.out" "btwmem -j -T" --kind section \
		--eq "one L2CAP section: 6 sends, wmem hist of 6 in bytes, no waits" \
		"[(s['sends'], s['wmem']['total'], s['wmem']['unit'], s['blocked'], s['eagain']) for s in where('section', proto='L2CAP')]" \
		"[(6, 6, 'bytes', 0, 0)]" \
		--eq "sndbuf_min <= sndbuf_max, both > 0; wmem_max > 0" \
		"all(0 < s['sndbuf_min'] <= s['sndbuf_max'] and s['wmem_max'] > 0 for s in where('section', proto='L2CAP'))" True \
		--eq "every send allocated at least one buffer" \
		"all(s['allocs'] >= 6 for s in where('section', proto='L2CAP'))" True
	jcheck btwmem "$T/wp.out" "btwmem -j -P -w" --kind section \
		--eq "l2test's section: pid $CLI_PID, comm, 6 sends, a wait hist of 0 in usecs" \
		"[(s['comm'], s['sends'], s['wait']['unit'], s['wait']['total']) for s in where('section', proto='L2CAP', pid=$CLI_PID)]" \
		"[('l2test', 6, 'usecs', 0)]"
	jcheck btwmem "$T/ws.out" "btwmem -j -S -%" --kind section \
		--eq "l2test's socket: pid, comm, peer $ADDR1, 6 sends, a percent hist of 6, none over 100%" \
		"[(s['pid'], s['comm'], s['peer'], s['sends'], s['percent']['unit'], s['percent']['total'], s['over'], s['sock'][:2]) for s in where('section', proto='L2CAP', peer='$ADDR1')]" \
		"[($CLI_PID, 'l2test', '$ADDR1', 6, 'percent', 6, 0, '0x')]"
	jcheck btwmem "$T/wh.out" "btwmem -j --heatmap" --kind heatmap --min-lines 2 \
		--eq "L2CAP rows add up to 6 sends" "total(where('heatmap', proto='L2CAP'), 'sends')" 6 \
		--eq "each row's cells add up to its sends" \
		"all(sum(h['cells']) == h['sends'] for h in rows['heatmap'])" True
	jcheck btwmem "$T/wg.out" "btwmem -j -G" --kind section \
		--eq "one L2CAP section, the root cgroup (id 1): 6 sends" \
		"[(s['cgroup_id'], s['sends']) for s in where('section', proto='L2CAP')]" "[(1, 6)]"
	check_detached "btwmem -j"
	jcoverage btwmem
}

# bthcicredits: the table rows (-T -H, interval 1) with the stall lines at
# the end, and -e; against hciconfig's TX counter for hci0.
t_cred() {
	start_tool cj "$CRED" -j -T -H 1 || return
	_cj=$TOOL_PID
	start_tool ce "$CRED" -j -e -d hci0 || return
	_ce=$TOOL_PID
	_before=$(tx_acl hci0)
	l2test_pair 5 200
	sleep 1.2
	_n=$(( $(tx_acl hci0) - _before ))
	stop_pid $_cj INT
	check_eq "bthcicredits -j -H: exit status" 0 $?
	stop_pid $_ce INT
	check_eq "bthcicredits -j -e: exit status" 0 $?
	jcheck bthcicredits "$T/cj.out" "bthcicredits -j -T -H 1" --kind row --kind-if stall_hist=stall \
		--eq "hci0 acl rows: sent and acked add up to the $_n ACL frames hciconfig counted, max 1" \
		"[total(where('row', dev='hci0', type='acl', state='ok'), f) for f in ('sent', 'acked')] + sorted(set(r['max'] for r in where('row', dev='hci0', type='acl')))" \
		"[$_n, $_n, 1]" \
		--eq "the hci0 acl stall line: stalls == its histogram's total == the rows' stalls > 0" \
		"[(s['stalls'] == s['stall_hist']['total'] == total(where('row', dev='hci0', type='acl'), 'stalls') > 0, s['stall_hist']['unit']) for s in where('stall', dev='hci0', type='acl')]" \
		"[(True, 'usecs')]" \
		--eq "sco rows are not flow-controlled and count 0 frames" \
		"sorted(set((r['state'], r['frames']) for r in where('row', dev='hci0', type='sco')))" "[('not_flow_controlled', 0)]" \
		--eq "each hci0 acl row's interval_ns is the time since the row before it" \
		"[b['interval_ns'] - (b['ts_ns'] - a['ts_ns']) for a, b in zip(where('row', dev='hci0', type='acl'), where('row', dev='hci0', type='acl')[1:])] == [0] * (len(where('row', dev='hci0', type='acl')) - 1)" True \
		--eq "min <= avg <= max_seen <= max, cur <= max, 0 <= zero_pct <= 100 in every ok row" \
		"all(r['min'] <= r['avg'] <= r['max_seen'] <= r['max'] and r['cur'] <= r['max'] and 0 <= r['zero_pct'] <= 100 for r in where('row', state='ok'))" True \
		--eq "le and iso have pools of their own on this controller (so no shared row, no pool field)" \
		"sorted(set((r['type'], r['state'], r['max'] > 0) for r in rows['row'] if r['type'] in ('le', 'iso')))" \
		"[('iso', 'ok', True), ('le', 'ok', True)]"
	jcheck bthcicredits "$T/ce.out" "bthcicredits -j -e" --kind event --min-lines 2 \
		--eq "one 1->0 tx and one 0->1 ack event per ACL frame, hci0 only" \
		"[len(where('event', dev='hci0', type='acl', old=1, new=0, cause='tx')), len(where('event', dev='hci0', type='acl', old=0, new=1, cause='ack')), sorted(set(e['dev'] for e in rows['event']))]" \
		"[$_n, $_n, ['hci0']]"
	check_detached "bthcicredits -j"
	jcoverage bthcicredits --unreachable \
		"row.pool=btvirt gives LE and ISO buffers of their own (checked above): no row shares a pool"
}

# btacklat: histograms (-T) and per connection (-C -m), with the summary,
# against hciconfig's TX counter, l2test's handle and hci1's address.
t_ack() {
	start_tool aj "$ACK" -j -T -d hci0 || return
	_aj=$TOOL_PID
	start_tool ac "$ACK" -j -C -m -d hci0 || return
	_ac=$TOOL_PID
	start_tool at "$ACK" -C -d hci0 || return
	_at=$TOOL_PID
	_before=$(tx_acl hci0)
	l2test_pair 8 200
	_n=$(( $(tx_acl hci0) - _before ))
	_h=$(l2cap_handle)
	for _p in $_aj $_ac $_at; do
		stop_pid $_p INT
		check_eq "btacklat ($_p): exit status" 0 $?
	done
	_text=$(sed -n 's/^dev = \(hci[0-9]*\) handle = \([0-9]*\) peer = \([0-9A-F:]*\) type = \([A-Z]*\).*/(\x27\1\x27, \2, \x27\3\x27, \x27\4\x27)/p' "$T/at.out" | paste -sd, -)
	jcheck btacklat "$T/aj.out" "btacklat -j -T" --kind histogram \
		--eq "one histogram of the $_n ACL frames hciconfig counted, in usecs" \
		"[(h['count'], h['hist']['total'], h['hist']['unit']) for h in rows['histogram']]" "[($_n, $_n, 'usecs')]" \
		--eq "summary: sent and acked $_n, nothing lost" \
		"[(s['sent'], s['acked'], s['unacked_at_disconnect'], s['overflow'], s['stale'], s['untracked'], s['unmatched'], s['skipped']) for s in rows['summary']]" \
		"[($_n, $_n, 0, 0, 0, 0, 0, 0)]"
	jcheck btacklat "$T/ac.out" "btacklat -j -C -m" --kind histogram \
		--eq "the connection: hci0, l2test's handle $_h, peer $ADDR1, ACL, $_n packets in msecs" \
		"[(h['dev'], h['handle'], h['peer'], h['type'], h['count'], h['unacked_at_disconnect'], h['hist']['unit']) for h in rows['histogram']]" \
		"[('hci0', $_h, '$ADDR1', 'ACL', $_n, 0, 'msecs')]" \
		--eq "the same connection as the text output of -C" \
		"[(h['dev'], h['handle'], h['peer'], h['type']) for h in rows['histogram']]" "[$_text]"
	check_detached "btacklat -j"
	jcoverage btacklat
}

for t in ${BTBPF_JSON_ONLY:-t_snoop t_wmem t_cred t_ack}; do
	$t
done
