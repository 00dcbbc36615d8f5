# Fault tests: what the tools do when things go wrong around them.
#   1. Signals and pipes: | head -1, SIGKILL then a re-run ended by
#      SIGTERM, for btsnoop-sock, btacklat, bthcicredits and btwmem
#      (SIGINT ends the runs of parts 2 to 4).
#   2. Connection churn: 1000 L2CAP connect/send/disconnect cycles plus ACL
#      link cycles while btacklat and btsnoop-sock run: maps stay bounded,
#      counts stay exact, RSS does not grow.
#   3. The controller goes away (btvirt SIGKILLed) under l2test traffic while
#      btsnoop-sock, btacklat, bthcicredits and btwmem run.
#   4. The USB controller goes away under bturblat: UDC unbound, then the
#      btbridge usb process SIGKILLed.
# Sourced by guest-test.sh (helpers in lib.sh).  Default attach (fentry).

SNOOP=$BUILD/btsnoop-sock
ACK=$BUILD/btacklat
CRED=$BUILD/bthcicredits
WMEM=$BUILD/btwmem
URB=$BUILD/bturblat

# rss PID: VmRSS in kB
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status 2>/dev/null; }

# map_entries NAME: entries in the (only) BPF map of that name
map_entries() {
	_id=$(bpftool map show | awk -v n="$1" '$4 == n { sub(":", "", $1); print $1; exit }')
	[ -n "$_id" ] || { echo "no-map-$1"; return; }
	bpftool map dump id "$_id" 2>/dev/null | grep -c key
}

# links_of PID: BPF links held by that process (bpftool link show -p ...
# is not in Debian 12's bpftool; the fd table tells)
links_of() {
	ls -l /proc/$1/fd 2>/dev/null | grep -c 'anon_inode:bpf_link'
}

# alive_or_said NAME PID: after a fault, the tool is still running, or it
# ended and said why on stderr
alive_or_said() {
	if kill -0 $2 2>/dev/null; then
		ok "$1: still running after the fault"
	elif [ -s "$T/$1.err" ]; then
		ok "$1: ended with a message: $(head -1 "$T/$1.err")"
	else
		not_ok "$1: gone without a message (stdout tail: $(tail -c 200 "$T/$1.out"))"
	fi
}

# no_oops WHAT: no oops, BUG, list corruption or WARNING in the kernel log
# since DMESG0 (set after bt_setup: loading the crypto modules for btvirt
# logs a self-test WARNING of its own on this kernel)
no_oops() {
	if dmesg | tail -n +$((DMESG0 + 1)) | grep -qE 'BUG:|Oops|general protection|list_(add|del) corruption|WARNING:'; then
		not_ok "$1: kernel log: $(dmesg | tail -n +$((DMESG0 + 1)) | grep -E 'BUG:|Oops|general protection|corruption|WARNING:' | head -3)"
	else
		ok "$1: no oops or warning in the kernel log"
	fi
}

# ---------------------------------------------------------------------------
# 1. | head -1, SIGTERM, SIGKILL and a re-run

# count_ok NAME FILE: the tool's own count of what traffic_for sent
# (l2test_pair 5 200: 5 writes from CLI_PID; ACL frames: TX delta)
N=5; B=200
check_counts() {
	case $1 in
	btsnoop-sock)
		check_eq "$1 re-run: -c counts the client's $N writes" "$N $((N * B))" \
			"$(awk -v p=$CLI_PID '$1 == p && $3 == "L2CAP" && $4 == "W" { print $5, $6 }' "$2")" ;;
	btacklat)
		check_eq "$1 re-run: sent == hci0 TX acl delta" "$3" "$(sfield sent "$2")"
		check_eq "$1 re-run: acked == hci0 TX acl delta" "$3" "$(sfield acked "$2")" ;;
	bthcicredits)
		check_eq "$1 re-run: SENT == hci0 TX acl delta" "$3" \
			"$(awk '$1 == "hci0" && $2 == "acl" { s += $8 } END { print s + 0 }' "$2")" ;;
	btwmem)
		check_eq "$1 re-run: L2CAP sends == $N" "$N" \
			"$(awk '/^proto = / { on = ($3 == "L2CAP" || $3 == "L2CAP,") }
				on && /^  sends:/ { for (i = 1; i < NF; i++) if ($i == "sends:") { print $(i + 1); exit } }' "$2")" ;;
	esac
}

# args for a run that prints as it goes (for | head -1)
streaming_args() {
	case $1 in
	btsnoop-sock) echo "" ;;
	btwmem) echo "1" ;;
	btacklat) echo "-d hci0 1" ;;
	bthcicredits) echo "1" ;;
	esac
}
# args for a run with a final report on exit
final_args() {
	case $1 in
	btsnoop-sock) echo "-c" ;;
	bthcicredits) echo "-H" ;;
	btacklat) echo "-d hci0" ;;
	*) echo "" ;;
	esac
}
# final_pattern TOOL: what the final report has
final_pattern() {
	case $1 in
	btsnoop-sock) echo '^PID +COMM' ;;
	btacklat) echo '^sent [0-9]+, acked [0-9]+' ;;
	bthcicredits) echo '^hci0 +acl ' ;;
	btwmem) echo '^  sends: [0-9]+' ;;
	esac
}

# FAULT_PARTS: which parts to run (default all)
PARTS=${FAULT_PARTS:-1 2 3 4}
part() { case " $PARTS " in *" $1 "*) echo "# $(date +%T) part $1: $2"; return 0 ;; esac; return 1; }

bt_setup
DMESG0=$(dmesg | wc -l)

part 1 "| head -1, SIGTERM, SIGKILL and a re-run" &&
for tool in btsnoop-sock btacklat bthcicredits btwmem; do
	bin=$BUILD/$tool

	# | head -1: the banner goes through, then the reader is gone; the
	# next write fails with EPIPE and the tool ends by itself, quietly.
	rm -f "$T/head.rc"
	( "$bin" $(streaming_args $tool); echo $? > "$T/head.rc" ) 2> "$T/head.err" | head -1 > "$T/head.out" &
	for i in $(seq 300); do [ -n "$(bpftool link show 2>/dev/null | head -1)" ] && break; sleep 0.1; done
	sleep 0.5
	l2test_pair 1 50
	for i in $(seq 50); do [ -s "$T/head.rc" ] && break; sleep 0.2; done
	check_eq "$tool | head -1: exit status 0" 0 "$(cat "$T/head.rc" 2>/dev/null)"
	check_eq "$tool | head -1: nothing on stderr" "" "$(cat "$T/head.err")"
	check_grep "$tool | head -1: the banner came through" '^Tracing' "$T/head.out"
	check_detached "$tool after | head -1"

	# SIGKILL: no chance to clean up; the links are file descriptors, so
	# the kernel drops them with the process.
	start_tool kill "$bin" $(final_args $tool) || continue
	nl=$(links_of $TOOL_PID)
	[ "$nl" -gt 0 ] && ok "$tool: holds $nl BPF links (fds) before SIGKILL" ||
		not_ok "$tool: no bpf_link fd in /proc/$TOOL_PID/fd"
	kill -KILL $TOOL_PID; wait $TOOL_PID; rc=$?
	check_eq "$tool SIGKILL: killed by signal 9" 137 $rc
	check_detached "$tool after SIGKILL (the kernel released the links)"

	# ... and the next run attaches cleanly, counts right, and SIGTERM
	# prints the final report with exit 0 and leaves nothing attached
	# (SIGINT: parts 2 to 4).
	start_tool rerun "$bin" $(final_args $tool) || continue
	before=$(tx_acl hci0)
	l2test_pair $N $B
	sleep 1.2
	after=$(tx_acl hci0)
	stop_tool TERM
	check_eq "$tool re-run after SIGKILL, SIGTERM: exit status 0" 0 $?
	check_eq "$tool re-run: nothing on stderr" "" "$(cat "$T/rerun.err")"
	check_grep "$tool re-run: final report printed" "$(final_pattern $tool)" "$T/rerun.out"
	check_counts $tool "$T/rerun.out" $((after - before))
	check_detached "$tool re-run"
done

# ---------------------------------------------------------------------------
if part 2 "connection churn"; then
# 2. Connection churn.  One python process: CYCLES times connect an L2CAP
# channel hci0 -> hci1, send one 10-byte frame, close (the ACL link stays
# up: btvirt reuses it); then ACLCYC times the same plus an HCI Disconnect
# of the ACL link, so the connection itself (hci_conn, btacklat's ring)
# comes and goes.  The python process touches $T/c100 after 100 cycles.
# Budget under TCG: 1000 channel cycles take 15-35 s, an ACL cycle (waiting
# for its Disconnection Complete) ~0.1 s.
CYCLES=${FAULT_CYCLES:-1000}
ACLCYC=${FAULT_ACL_CYCLES:-100}
cat > "$T/churn.py" <<'PY'
import os, socket, sys, time, struct, threading
addr, n, nacl, mark = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

# The receiving end on hci1, in this process: accept, read, close, one
# channel at a time (l2test -r forks a process per channel; under load
# those piled up and connects failed).
srv = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP)
srv.bind((addr, 4113))
srv.listen(64)
def serve():
    while True:
        c, _ = srv.accept()
        c.settimeout(5)
        try:
            while c.recv(64):
                pass
        except OSError:
            pass
        c.close()
threading.Thread(target=serve, daemon=True).start()
hci = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_RAW, socket.BTPROTO_HCI)
hci.bind((0,))
# HCI_FILTER: event packets, Disconnection Complete (0x05) only
hci.setsockopt(0, 2, struct.pack("<IIIHxx", 1 << 4, 1 << 5, 0, 0))
hci.settimeout(10)
sends = chan = acl = fails = run = 0
errs = {}
t0 = time.time()
deadline = t0 + 400
while (chan < n or acl < nacl) and time.time() < deadline:
    s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP)
    s.settimeout(10)
    try:
        s.connect((addr, 4113))
    except OSError as e:
        fails += 1		# the link is still going down: try again
        errs[e.errno] = errs.get(e.errno, 0) + 1
        run += 1
        if run in (20, 200, 2000):	# stuck: say how, for the log
            print("# %d failed connects in a row, last: %s" % (run, e), file=sys.stderr, flush=True)
            os.system("hcitool con >&2; hciconfig hci0 >&2; hciconfig hci1 >&2; "
                      "ps -o pid,stat,args | grep '[l]2test' >&2; dmesg | tail -5 >&2")
        s.close()
        time.sleep(0.05)
        continue
    run = 0
    handle = struct.unpack("<H", s.getsockopt(6, 2, 8)[:2])[0]	# L2CAP_CONNINFO
    s.send(b"x" * 10)
    sends += 1
    s.close()
    if chan < n:
        chan += 1
        if chan == 100:
            open(mark, "w").close()
        if chan % 250 == 0:
            print("# %.0f s: %d channel cycles" % (time.time() - t0, chan), file=sys.stderr, flush=True)
    else:
        # HCI_Disconnect(handle, 0x13 remote user terminated)
        hci.send(bytes([1, 0x06, 0x04, 3]) + struct.pack("<HB", handle, 0x13))
        # the link is gone once its Disconnection Complete arrives
        try:
            while True:
                ev = hci.recv(64)
                if ev[1] == 0x05 and struct.unpack("<H", ev[4:6])[0] == handle:
                    break
        except socket.timeout:
            print("# no Disconnection Complete", file=sys.stderr)
            continue
        acl += 1
        if acl % 10 == 0:
            print("# %.0f s: %d ACL cycles" % (time.time() - t0, acl), file=sys.stderr, flush=True)
print("channel-cycles", chan, "acl-cycles", acl, "sends", sends,
      "failed-connects", fails, "secs %.0f" % (time.time() - t0), "pid", os.getpid())
print("# failed connects by errno:", errs, file=sys.stderr)
PY

start_bg churn-ack "$ACK" -d hci0 && ACK_PID=$TOOL_PID
start_bg churn-snoop "$SNOOP" -c -P l2cap && SNOOP_PID=$TOOL_PID
tx0=$(tx_acl hci0)
timeout 450 python3 "$T/churn.py" "$ADDR1" $CYCLES $ACLCYC "$T/c100" > "$T/churn.log" &
PY=$!
for i in $(seq 600); do [ -e "$T/c100" ] && break; kill -0 $PY 2>/dev/null || break; sleep 0.1; done
rss_ack1=$(rss $ACK_PID); rss_snoop1=$(rss $SNOOP_PID)
rings1=$(map_entries rings); starts1=$(map_entries starts)
wait $PY
sleep 3		# the last link's disconnect, the server's children
tx1=$(tx_acl hci0)
rss_ack2=$(rss $ACK_PID); rss_snoop2=$(rss $SNOOP_PID)
rings2=$(map_entries rings); starts2=$(map_entries starts)
bpftool map show | grep -E ' name (rings|starts) ' | sed 's/^/# /'
echo "# churn: $(cat "$T/churn.log")"
echo "# maps after 100 cycles: rings $rings1 starts $starts1; at the end: rings $rings2 starts $starts2"
echo "# VmRSS kB btacklat $rss_ack1 -> $rss_ack2, btsnoop-sock $rss_snoop1 -> $rss_snoop2"
chan=$(awk '{ print $2 }' "$T/churn.log"); acl=$(awk '{ print $4 }' "$T/churn.log")
sends=$(awk '{ print $6 }' "$T/churn.log"); PYPID=$(awk '{ print $12 }' "$T/churn.log")
if [ "${chan:-0}" -ge "$CYCLES" ] && [ "${acl:-0}" -ge "$ACLCYC" ]; then
	ok "churn: $chan channel and $acl ACL connect/send/disconnect cycles"
else
	not_ok "churn: only $chan of $CYCLES channel and $acl of $ACLCYC ACL cycles in the time: $(cat "$T/churn.log")"
fi
[ "${rings2:-x}" -le 1 ] 2>/dev/null && [ "${rings1:-x}" -le 2 ] 2>/dev/null &&
	ok "churn: btacklat rings map bounded ($rings1 entries after 100 cycles, $rings2 at the end)" ||
	not_ok "churn: btacklat rings map has $rings1 then $rings2 entries"
[ "${starts2:-x}" -le 2 ] 2>/dev/null && [ "${starts1:-x}" -le 2 ] 2>/dev/null &&
	ok "churn: btsnoop-sock starts map bounded ($starts1 entries after 100 cycles, $starts2 at the end)" ||
	not_ok "churn: btsnoop-sock starts map has $starts1 then $starts2 entries"
for p in ack:$rss_ack1:$rss_ack2 snoop:$rss_snoop1:$rss_snoop2; do
	IFS=:; set -- $p; unset IFS
	n=$1 r1=$2 r2=$3
	if [ -n "$r1" ] && [ -n "$r2" ] && [ $((r2 - r1)) -le 256 ]; then
		ok "churn: $n VmRSS ${r1} kB after 100 cycles, ${r2} kB at the end (growth $((r2 - r1)) kB <= 256)"
	else
		not_ok "churn: $n VmRSS grew from '${r1}' to '${r2}' kB"
	fi
done
stop_pid $SNOOP_PID INT
check_eq "churn: btsnoop-sock SIGINT exit status" 0 $?
stop_pid $ACK_PID INT
check_eq "churn: btacklat SIGINT exit status" 0 $?
check_eq "churn: btsnoop-sock -c W calls of the churner == its sends" "$sends" \
	"$(awk -v p=$PYPID '$1 == p && $3 == "L2CAP" && $4 == "W" { print $5 }' "$T/churn-snoop.out")"
check_eq "churn: btsnoop-sock -c W bytes of the churner == 10 x sends" "$((sends * 10))" \
	"$(awk -v p=$PYPID '$1 == p && $3 == "L2CAP" && $4 == "W" { print $6 }' "$T/churn-snoop.out")"
s=$(sfield sent "$T/churn-ack.out"); a=$(sfield acked "$T/churn-ack.out"); u=$(sfield disconnect "$T/churn-ack.out")
echo "# btacklat: $(grep -E '^(sent|overflow)' "$T/churn-ack.out" | tr '\n' ' ')"
check_eq "churn: btacklat sent == hci0 TX acl delta" "$((tx1 - tx0))" "$s"
check_eq "churn: btacklat sent == acked + unacked" "$s" "$((a + u))"
for f in unmatched overflow untracked stale skipped; do
	check_eq "churn: btacklat $f" 0 "$(sfield $f "$T/churn-ack.out")"
done
check_detached "after churn"

fi
# ---------------------------------------------------------------------------
if part 3 "btvirt SIGKILLed under traffic"; then
# 3. The controller goes away: btvirt SIGKILLed under l2test traffic with
# three tools running.  Each is still running (or ended with a message), and
# SIGINT still gives its final report, exit 0.
start_bg rm-snoop "$SNOOP" -c && P_SNOOP=$TOOL_PID
start_bg rm-ack "$ACK" -C && P_ACK=$TOOL_PID
start_bg rm-cred "$CRED" -H && P_CRED=$TOOL_PID
start_bg rm-wmem "$WMEM" && P_WMEM=$TOOL_PID
l2test -r -i hci1 -P 4113 > /dev/null 2>&1 &
SRV=$!
sleep 0.5
l2test -s -i hci0 -P 4113 -N 100000 -b 200 "$ADDR1" > "$T/l2cli.log" 2>&1 &
CLI=$!
sleep 3
kill -KILL $BTVIRT_PID
wait $BTVIRT_PID 2>/dev/null
for i in $(seq 100); do
	[ -e /sys/class/bluetooth/hci0 ] || [ -e /sys/class/bluetooth/hci1 ] || break
	sleep 0.1
done
check_eq "btvirt SIGKILL: hci0 and hci1 are gone" "" "$(ls /sys/class/bluetooth)"
sleep 2
kill $CLI $SRV 2>/dev/null; wait $CLI $SRV 2>/dev/null
alive_or_said rm-snoop $P_SNOOP
alive_or_said rm-ack $P_ACK
alive_or_said rm-cred $P_CRED
alive_or_said rm-wmem $P_WMEM
stop_pid $P_SNOOP INT
check_eq "controller gone: btsnoop-sock -c SIGINT exit status" 0 $?
check_grep "controller gone: btsnoop-sock -c final counts with l2test's writes" \
	"^$CLI +l2test +L2CAP +W +[1-9][0-9]* +[1-9]" "$T/rm-snoop.out"
stop_pid $P_ACK INT
check_eq "controller gone: btacklat SIGINT exit status" 0 $?
s=$(sfield sent "$T/rm-ack.out"); a=$(sfield acked "$T/rm-ack.out"); u=$(sfield disconnect "$T/rm-ack.out")
echo "# btacklat: $(grep -E '^(sent|overflow)' "$T/rm-ack.out" | tr '\n' ' ')"
[ "${s:-0}" -gt 0 ] && ok "controller gone: btacklat summary printed (sent $s)" ||
	not_ok "controller gone: btacklat printed no summary: $(tail -c 300 "$T/rm-ack.out")"
check_eq "controller gone: btacklat sent == acked + unacked" "$s" "$((a + u))"
check_eq "controller gone: btacklat unmatched" 0 "$(sfield unmatched "$T/rm-ack.out")"
stop_pid $P_CRED INT
check_eq "controller gone: bthcicredits SIGINT exit status" 0 $?
check_grep "controller gone: bthcicredits -H stall histogram printed" \
	'^hci0 acl: zero-credit stalls:' "$T/rm-cred.out"
stop_pid $P_WMEM INT
check_eq "controller gone: btwmem SIGINT exit status" 0 $?
check_grep "controller gone: btwmem L2CAP histogram printed" '^  sends: [1-9]' "$T/rm-wmem.out"
for n in rm-snoop rm-ack rm-cred rm-wmem; do
	echo "# $n stderr: $(cat "$T/$n.err")"
done
check_detached "after the controller went away"
no_oops "btvirt SIGKILL"

fi
# ---------------------------------------------------------------------------
if part 4 "the USB controller goes away"; then
# 4. The USB controller goes away under bturblat.
if [ ! -x "$URB" ]; then
	skip "bturblat not built"
	finish
fi
if ! eval "$(sh tests/vm/usb-setup.sh)"; then
	not_ok "usb-setup.sh failed: $(tail -5 /tmp/btbridge-usb.log)"
	finish
fi
ok "USB test bed: $USB_HCI (btusb), peer $PEER_HCI"
GADGET=/sys/kernel/config/usb_gadget/btbridge
UDC=$(cat $GADGET/UDC)

# usb_fault NAME TRAFFIC ACTION: bturblat runs, TRAFFIC (acl: an l2ping
# flood to the peer; cmd: HCI commands in a loop) keeps URBs in flight,
# ACTION removes the controller; bturblat survives and reports on SIGINT.
# Only the first fault may use ACL: the peer (btvirt) keeps the dead
# link, and a later connection attempt to it from the re-plugged
# controller crashes the 6.1 kernel (list corruption in hci_chan_del,
# the bug sco-setup.sh describes).
usb_fault() {
	_n=$1 _tr=$2; shift 2
	start_bg $_n "$URB" || return
	_p=$TOOL_PID
	if [ $_tr = acl ]; then
		l2ping -i $USB_HCI -f -c 100000 $PEER_ADDR > "$T/$_n.ping" 2>&1 &
	else
		sh -c "while hcitool -i $USB_HCI cmd 0x04 0x0001; do :; done" > /dev/null 2>&1 &
	fi
	_ping=$!
	sleep 3
	"$@"
	for _i in $(seq 100); do [ -e /sys/class/bluetooth/$USB_HCI ] || break; sleep 0.1; done
	check_eq "$_n: $USB_HCI is gone" no "$([ -e /sys/class/bluetooth/$USB_HCI ] && echo yes || echo no)"
	sleep 1
	kill $_ping 2>/dev/null; wait $_ping 2>/dev/null
	alive_or_said $_n $_p
	stop_pid $_p INT
	check_eq "$_n: bturblat SIGINT exit status" 0 $?
	echo "# $_n: $(grep -E '^(sent|untracked)' "$T/$_n.out" | tr '\n' ' ') stderr: $(cat "$T/$_n.err")"
	_s=$(sfield sent "$T/$_n.out"); _c=$(sfield completed "$T/$_n.out"); _f=$(sfield exit "$T/$_n.out")
	_e=$(sfield errors "$T/$_n.out"); _r=$(sfield replaced "$T/$_n.out")
	[ "${_s:-0}" -gt 0 ] && ok "$_n: summary printed (sent $_s)" ||
		not_ok "$_n: no summary: $(tail -c 300 "$T/$_n.out")"
	# A frame sent while the device goes away can be refused by
	# usb_submit_urb (-ENODEV, -ESHUTDOWN): a submit error, never a
	# completion; whether one happens depends on timing.
	check_eq "$_n: sent == completed + submit errors ($_e) + in flight at exit + replaced ($_r)" \
		"$_s" "$((_c + _e + _f + _r))"
	check_eq "$_n: replaced" 0 "$_r"
	check_detached "$_n"
}

unbind_udc() { echo "" > $GADGET/UDC; }
usb_fault usb-unbind acl unbind_udc
no_oops "UDC unbind"

# plug it back in: btusb binds again, a new hciN
before=$(ls /sys/class/bluetooth)
echo "$UDC" > $GADGET/UDC
USB_HCI=
for i in $(seq 200); do
	USB_HCI=$(ls /sys/class/bluetooth | grep -vxF "$before" | head -1)
	[ -n "$USB_HCI" ] && break
	sleep 0.1
done
# wait until its address was read, then up (as usb-setup.sh's bt_up)
for i in $(seq 200); do
	a=$(hciconfig $USB_HCI 2>/dev/null | awk '/BD Address/ { print $3 }')
	[ -n "$a" ] && [ "$a" != 00:00:00:00:00:00 ] && break
	sleep 0.1
done
for i in $(seq 100); do
	hciconfig $USB_HCI up 2>/dev/null; hciconfig $USB_HCI 2>/dev/null | grep -q UP && break
	sleep 0.2
done
if hciconfig $USB_HCI 2>/dev/null | grep -q UP; then
	ok "UDC bound again: $USB_HCI up"
	kill_bridge() { kill -KILL $(pgrep -f "btbridge usb --name btbridge"); }
	usb_fault usb-kill cmd kill_bridge
	no_oops "btbridge usb SIGKILL"
else
	not_ok "UDC bound again: no USB controller came up ($USB_HCI): $(tail -3 /tmp/btbridge-usb.log)"
fi
fi
