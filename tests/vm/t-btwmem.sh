# btwmem against real traffic between two emulated controllers.  Sourced by
# guest-test.sh (helpers in lib.sh).  Every check runs twice: fentry/fexit,
# then BTBPF_ATTACH=kprobe.
#
# The emulator (btvirt) returns a controller credit per ACL fragment; the
# small-buffer tests stop it for a while (l2send_frozen) so that the send
# buffer fills up whatever the timing.  Those senders send 150 bytes, which fit
# one ACL fragment (MTU 192): a blocking L2CAP send of a PDU whose fragments
# together exceed the send buffer waits for itself until a signal (its first
# fragments hold the buffer until the last one is allocated; seen on 6.1).
WMEM=$BUILD/btwmem
L2SEND=$BUILD/tests/l2send
N=20; B=600

bt_setup

# build_helper BINARY SOURCE: the small C senders of tests/vm, built in the
# guest when missing (its writes go to a tmpfs overlay); checked before
# each use, since a host-side "make clean" empties build/ under us.
build_helper() {
	[ -x "$1" ] && [ "$1" -nt "$2" ] && return 0
	mkdir -p "$(dirname "$1")"
	gcc -O2 -Wall -Wextra -o "$1" "$2" || not_ok "build $2"
}

# field NAME FILE [PROTO]: a number from the summary line ("  sends: 20
# wmem max: ...") of PROTO's (default L2CAP) first section in FILE
field() {
	awk -v f="$1:" -v p="${3:-L2CAP}" '
		/^proto = / { on = ($3 == p || $3 == p ",") }
		on && /^  sends:/ { for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }
	' "$2"
}

# hist_total FILE [PROTO]: counts of the first histogram of PROTO's section
hist_total() {
	awk -v p="${2:-L2CAP}" '
		/^proto = / { on = ($3 == p || $3 == p ","); next }
		on && /->/ { s += $5 } on && /^  sends:/ { on = 0 }
		END { print s + 0 }
	' "$1"
}

# json_field NAME FILE [PROTO]: a number from the first JSON line of PROTO
json_field() {
	grep -m1 "\"proto\":\"${3:-L2CAP}\"" "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# l2send_frozen ARGS...: l2send from hci0 to an l2test receiver on hci1,
# with the emulator stopped (SIGSTOP) from before the first send until
# about 2 s into sending: no controller credits come back, so the send
# buffer fills up for certain,
# whatever the timing under TCG.  Then the emulator runs again and the
# queue drains.
l2send_frozen() {
	l2test -r -i hci1 -P 4113 > "$T/l2srv.log" 2>&1 &
	_srv=$!
	sleep 0.5
	build_helper "$L2SEND" tests/vm/l2send.c
	timeout 120 "$L2SEND" -i "$ADDR0" -d 2000 "$@" "$ADDR1" > "$T/l2send.out" 2> "$T/l2send.err" &
	_snd=$!
	# l2send waits 2 s after "connected": time enough to freeze btvirt
	# even when the guest is slow
	until grep -q '^connected' "$T/l2send.out"; do
		kill -0 $_snd 2>/dev/null || break
		sleep 0.05
	done
	kill -STOP $BTVIRT_PID
	sleep 4
	kill -CONT $BTVIRT_PID
	wait $_snd
	_rc=$?
	sleep 0.5
	kill $_srv 2>/dev/null
	wait $_srv 2>/dev/null
	return $_rc
}

# SCO: a controller that carries SCO (tests/vm/btbridge.c), if present.
SCO_OK=
if [ -f tests/vm/btbridge.c ] && [ -f tests/vm/sco-setup.sh ]; then
	if eval "$(sh tests/vm/sco-setup.sh 2> "$T/sco-setup.err")" && [ -n "${SCO_ADDR:-}" ]; then
		SCO_OK=1
		SCOSEND=$BUILD/tests/scosend
	else
		not_ok "sco-setup.sh failed: $(cat "$T/sco-setup.err")"
	fi
fi

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode

	# 1. One sample per send call: l2test sends N packets, SIGINT prints.
	start_tool hist "$WMEM" || continue
	check_grep "$mode: banner names the attach mode" "^Tracing .*\($mode\)" "$T/hist.out"
	l2test_pair $N $B || not_ok "$mode: l2test failed: $(cat "$T/l2cli.log")"
	# keyed by protocol alone; send_socks only for kprobes' entries
	[ $mode = fentry ] && _socks=1 || _socks=$(bpf_const WMEM_MAX_INFLIGHT)
	check_eq "$mode: map sizes: hists one per protocol, send_socks" \
		"$(bpf_const BTPROTO_MAX) $_socks" "$(map_size $TOOL_PID hists) $(map_size $TOOL_PID send_socks)"
	stop_tool INT; rc=$?
	check_eq "$mode: SIGINT exits 0" 0 $rc
	check_eq "$mode: sends == l2test's N" $N "$(field sends "$T/hist.out")"
	check_eq "$mode: histogram holds N samples" $N "$(hist_total "$T/hist.out")"
	max=$(field max "$T/hist.out"); sndbuf=$(field sndbuf "$T/hist.out")
	[ -n "$max" ] && [ "$max" -gt 0 ] && [ "$max" -le "$sndbuf" ] &&
		ok "$mode: wmem max $max within sndbuf $sndbuf" ||
		not_ok "$mode: wmem max '$max' not in 1..sndbuf '$sndbuf': $(head -c 600 "$T/hist.out")"
	check_eq "$mode: no EAGAIN for a blocking sender" 0 "$(field EAGAIN "$T/hist.out")"
	check_detached "$mode: after SIGINT"

	# 2. Small SO_SNDBUF, blocking: -% -w, top buckets and waits; SIGTERM.
	start_tool small "$WMEM" -% -w || continue
	l2send_frozen -s 1 -n 40 -b 150 || not_ok "$mode: l2send: $(cat "$T/l2send.err")"
	stop_tool TERM; rc=$?
	check_eq "$mode: SIGTERM exits 0" 0 $rc
	check_grep "$mode: l2send sent all 40" '^sent=40 eagain=0 errors=0' "$T/l2send.out"
	check_eq "$mode: -% sends == 40" 40 "$(field sends "$T/small.out")"
	top=$(awk '/^proto = L2CAP/ { on = 1 } /^  sends:/ { on = 0 }
		on && /->/ && $1 >= 90 { s += $5 } END { print s + 0 }' "$T/small.out")
	[ "$top" -gt 0 ] && ok "$mode: $top samples at 90% of sndbuf or more" ||
		not_ok "$mode: no sample at 90% or more: $(head -c 800 "$T/small.out")"
	blocked=$(field blocked "$T/small.out")
	[ "${blocked:-0}" -gt 0 ] && ok "$mode: $blocked blocked allocations" ||
		not_ok "$mode: no blocked allocation: $(head -c 800 "$T/small.out")"
	waits=$(awk '/time waited/ { on = 1 } on && /->/ { s += $5 } END { print s + 0 }' "$T/small.out")
	check_eq "$mode: -w histogram count == blocked" "$blocked" "$waits"
	check_detached "$mode: after SIGTERM"

	# 3. Non-blocking: EAGAIN count == l2send's failed sends; -j.
	start_tool nb "$WMEM" -j || continue
	l2send_frozen -N -s 1 -n 100 -b 150 || not_ok "$mode: l2send -N: $(cat "$T/l2send.err")"
	stop_tool INT; rc=$?
	check_eq "$mode: -j SIGINT exits 0" 0 $rc
	eagain=$(sed -n 's/.*eagain=\([0-9]*\).*/\1/p' "$T/l2send.out")
	[ "${eagain:-0}" -gt 0 ] && ok "$mode: l2send -N got $eagain EAGAIN" ||
		not_ok "$mode: l2send -N got no EAGAIN: $(cat "$T/l2send.out")"
	check_eq "$mode: EAGAIN count == l2send's failed sends" "$eagain" "$(json_field eagain "$T/nb.out")"
	check_eq "$mode: -j sends == 100" 100 "$(json_field sends "$T/nb.out")"
	check_detached "$mode: after -j"

	# 4. -S: per socket, with the peer address and the sender.
	start_tool sock "$WMEM" -S || continue
	l2test_pair $N $B
	stop_tool INT
	check_grep "$mode: -S names the peer and sender" \
		"^proto = L2CAP, sock = 0x[0-9a-f]+, peer = $ADDR1, pid = $CLI_PID, comm = l2test" "$T/sock.out"
	check_eq "$mode: -S sends == N" $N "$(field sends "$T/sock.out")"
	check_detached "$mode: after -S"

	# 4b. -P -T: per process with a time line; -p: another PID sees nothing.
	start_tool proc "$WMEM" -P -T || continue
	l2test_pair $N $B
	check_eq "$mode: -P: hists full size" "$(bpf_const WMEM_MAX_KEYS)" "$(map_size $TOOL_PID hists)"
	stop_tool INT
	check_grep "$mode: -P names the sender" "^proto = L2CAP, pid = $CLI_PID, comm = l2test\$" "$T/proc.out"
	check_grep "$mode: -T prints a time line" '^[0-9]{2}:[0-9]{2}:[0-9]{2}$' "$T/proc.out"
	check_eq "$mode: -P sends == N" $N "$(field sends "$T/proc.out")"
	start_tool other "$WMEM" -p 1 || continue
	l2test_pair $N $B
	stop_tool INT
	check_eq "$mode: -p 1 (init sends nothing) prints no section" 0 "$(grep -c '^proto = ' "$T/other.out")"
	check_detached "$mode: after -P and -p"

	# 5. --heatmap: one row per interval; the count ends the run.
	# (3 s intervals: l2test_pair takes up to ~3 s under TCG)
	start_tool heat "$WMEM" --heatmap 3 3 || continue
	l2test_pair $N $B
	wait $TOOL_PID; rc=$?
	check_eq "$mode: --heatmap exits 0 after the count" 0 $rc
	check_eq "$mode: --heatmap rows == intervals" 3 \
		"$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' "$T/heat.out")"
	check_eq "$mode: --heatmap SENDS add up to N" $N \
		"$(awk '/^[0-9][0-9]:/ { s += $NF } END { print s + 0 }' "$T/heat.out")"
	check_detached "$mode: after --heatmap"

	# 6. SCO: scosend writes 20 frames through the SCO-capable controller.
	if [ -n "$SCO_OK" ]; then
		start_tool sco "$WMEM" || continue
		build_helper "$SCOSEND" tests/vm/scosend.c
		"$SCOSEND" -i "$SCO_ADDR" -n 20 -s 48 "$PEER_ADDR" > "$T/scosend.out" 2>&1 ||
			not_ok "$mode: scosend: $(cat "$T/scosend.out")"
		stop_tool INT
		check_eq "$mode: SCO sends == scosend's 20 frames" 20 "$(field sends "$T/sco.out" SCO)"
		check_eq "$mode: SCO histogram holds 20 samples" 20 "$(hist_total "$T/sco.out" SCO)"
		check_detached "$mode: after SCO"
	fi
done
unset BTBPF_ATTACH

# libbpf's own load (BTBPF_LOADER=libbpf; kernels before 5.17 take it),
# fentry: sock_alloc_send_pskb's id comes from libbpf's parsed vmlinux BTF.
export BTBPF_LOADER=libbpf BTBPF_ATTACH=fentry
if start_tool lb "$WMEM"; then
	l2test_pair $N $B || not_ok "libbpf load: l2test failed: $(cat "$T/l2cli.log")"
	stop_tool INT
	check_eq "libbpf load: SIGINT exits 0" 0 $?
	check_eq "libbpf load: sends == l2test's N" $N "$(field sends "$T/lb.out")"
	check_eq "libbpf load: histogram holds N samples" $N "$(hist_total "$T/lb.out")"
	check_detached "libbpf load"
fi
unset BTBPF_LOADER BTBPF_ATTACH
