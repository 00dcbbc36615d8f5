# Guest-side helpers for the integration tests (sourced by tests/vm/t-*.sh).
# Each check prints "ok - what" or "not ok - what (details)"; the host side
# (run-tests.sh) counts them.  Run as root inside the guest.

BUILD=${BUILD:-$PWD/build}
T=$(mktemp -d /tmp/btbpf-test.XXXXXX)
FAILS=0

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
skip()   { echo "SKIP - $*"; }

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected '$2', got '$3'"; fi
}

# check_cmd WHAT command...: passes when the command succeeds
check_cmd() {
	_what=$1; shift
	if "$@" > "$T/check.out" 2>&1; then ok "$_what"
	else not_ok "$_what: '$*' failed: $(head -c 300 "$T/check.out")"; fi
}

# check_grep WHAT PATTERN FILE: passes when FILE has a line matching PATTERN
check_grep() {
	if grep -qE "$2" "$3"; then ok "$1"
	else not_ok "$1: no line matching '$2' in $(basename "$3"): $(head -c 400 "$3")"; fi
}

# static_build TOOL: sets STATIC_BIN to TOOL's self-contained build (make
# static) and succeeds when it is there with no dynamic section; otherwise a
# failed check, so that a static pass is never skipped silently.
static_build() {
	STATIC_BIN=$BUILD/static/$1
	if [ ! -x "$STATIC_BIN" ]; then
		not_ok "static build of $1: $STATIC_BIN missing (make static)"
	elif readelf -d "$STATIC_BIN" 2>/dev/null | grep -q NEEDED; then
		not_ok "static build of $1: $STATIC_BIN needs shared libraries"
	else
		ok "static build of $1 has no shared libraries"
		return 0
	fi
	return 1
}

# Bluetooth test bed: the modules and BlueZ's emulator with two connected
# virtual controllers, hci0 and hci1, both up.  Exports ADDR0, ADDR1.
# Skips the whole script (exit 0 after a SKIP line) without Bluetooth.
bt_setup() {
	if ! modprobe -a bluetooth hci_vhci 2>/dev/null; then
		skip "this kernel has no Bluetooth (modprobe bluetooth hci_vhci failed)"
		exit 0
	fi
	# BlueZ's emulator segfaults without the kernel's AF_ALG crypto.
	modprobe -a algif_hash algif_skcipher cmac ecb
	btvirt -l2 > "$T/btvirt.log" 2>&1 &
	BTVIRT_PID=$!
	for _i in $(seq 100); do
		[ -e /sys/class/bluetooth/hci1 ] && break
		sleep 0.1
	done
	hciconfig hci0 up && hciconfig hci1 up && hciconfig hci1 piscan || {
		not_ok "bt_setup: controllers did not come up: $(cat "$T/btvirt.log")"
		exit 1
	}
	ADDR0=$(hciconfig hci0 | awk '/BD Address/ { print $3 }')
	ADDR1=$(hciconfig hci1 | awk '/BD Address/ { print $3 }')
}

# start_tool NAME tool args...: starts a tool in the background with its
# stdout in $T/NAME.out and stderr in $T/NAME.err, and waits until it is
# attached: its "Tracing" banner, or (for -j runs, which have none) more BPF
# links than before it started.  Sets TOOL_PID.
start_tool() {
	_name=$1; shift
	_links0=$(bpftool link show 2>/dev/null | grep -c '^[0-9]')
	"$@" > "$T/$_name.out" 2> "$T/$_name.err" &
	TOOL_PID=$!
	for _i in $(seq 600); do
		if grep -q '^Tracing' "$T/$_name.out" 2>/dev/null ||
		   [ "$(bpftool link show 2>/dev/null | grep -c '^[0-9]')" -gt "$_links0" ]; then
			sleep 0.5
			return 0
		fi
		kill -0 $TOOL_PID 2>/dev/null || break
		sleep 0.1
	done
	not_ok "start $_name: '$*' did not start: $(cat "$T/$_name.err")"
	return 1
}

# stop_tool [SIGNAL]: ends the tool started last and returns its exit status
stop_tool() {
	kill -"${1:-INT}" $TOOL_PID 2>/dev/null
	wait $TOOL_PID
}

# hci_stat HCI DIR FIELD: a counter of hciconfig's "TX bytes:N acl:N sco:N
# commands:N" line (DIR TX: what the driver was given) or of its "RX
# bytes:N acl:N sco:N events:N" line (RX: what the HCI RX work took from
# it).  tx_count HCI FIELD, tx_acl HCI and rx_acl HCI: the usual ones.
hci_stat() {
	hciconfig "$1" | awk -v d="$2 bytes" -v f="$3:" 'index($0, d) { for (i = 1; i <= NF; i++)
		if (index($i, f) == 1) { sub(f, "", $i); print $i } }'
}
tx_count() { hci_stat "$1" TX "$2"; }
tx_acl() { tx_count "$1" acl; }
rx_acl() { hci_stat "$1" RX acl; }

# sfield NAME FILE: the number after NAME in the last summary line that has
# it ("sent 36, acked 36, unacked at disconnect 0" -> sfield acked)
sfield() {
	sed -n "s/.*\\b$1 \\([0-9][0-9]*\\).*/\\1/p" "$2" | tail -1
}

# pfield LABEL FILE: the number after exactly LABEL in summary lines of
# comma-separated counters ("sends 12, timed 12, ..." -> pfield timed; not
# "urbs timed" for timed); the last one printed
pfield() {
	grep -oE "(^|, )$1 [0-9]+" "$2" | tail -1 | awk '{ print $NF }'
}

# stage_field STAGE FIELD FILE: from btpktlat's per-stage line "ack: count
# 40, avg 1200, p50 2047, p99 4095, max 3000 usecs"; the last one printed
stage_field() {
	sed -n "s/^$1: .*\\b$2 \\([0-9]*\\).*/\\1/p" "$3" | tail -1
}

# stage_sums FILE: per btpktlat -M line of FILE (text, no -T), "PROTO DEV
# HANDLE BYTES PID COMM D SLOWEST ACK" where D is TOTAL_us less the other
# stages ("-" ones count 0) and ACK the ACK_us column as printed ("none"
# with -r); columns found by the header's names, so a stage added later
# needs no change here
stage_sums() {
	awk '/^PID / { for (i = 1; i <= NF; i++) col[$i] = i; next }
		col["PID"] && $1 ~ /^[0-9]+$/ {
			d = $col["TOTAL_us"]
			for (n in col) if (n ~ /_us$/ && n != "TOTAL_us" && $col[n] != "-") d -= $col[n]
			print $col["PROTO"], $col["DEV"], $col["HANDLE"], $col["BYTES"], $col["PID"],
				$col["COMM"], d, $col["SLOWEST"],
				("ACK_us" in col) ? $col["ACK_us"] : "none"
		}' "$1"
}

# btmon_start FILE: btmon records every controller's HCI traffic to FILE
# until btmon_stop
btmon_start() {
	btmon -w "$1" > /dev/null 2>&1 &
	BTMON_PID=$!
	sleep 0.5
}
btmon_stop() { kill $BTMON_PID; wait $BTMON_PID 2>/dev/null; }

# le_setup: LE on for hci0 and hci1, hci1 advertising (a CIS rides on an
# LE ACL link, which the central opens to an advertiser)
le_setup() {
	for _i in 0 1; do
		btmgmt --index $_i le on > "$T/btmgmt.log" 2>&1 ||
			not_ok "btmgmt --index $_i le on: $(cat "$T/btmgmt.log")"
	done
	btmgmt --index 1 connectable on > "$T/btmgmt.log" 2>&1 &&
	btmgmt --index 1 advertising on >> "$T/btmgmt.log" 2>&1 ||
		not_ok "hci1 does not advertise: $(cat "$T/btmgmt.log")"
}

# cis_pair N BYTES: a listener on hci1 reading N SDUs, a CIS from hci0
# sending them (tests/vm/isosend); then until both links are gone.  Sets
# SND_PID, LST_PID.  le_setup first.
cis_pair() {
	"$BUILD/tests/isosend" -l -i "$ADDR1" -n "$1" > "$T/lst.log" 2>&1 &
	LST_PID=$!
	wait_line "$T/lst.log" '^listening$'
	"$BUILD/tests/isosend" -i "$ADDR0" -n "$1" -b "$2" "$ADDR1" > "$T/snd.log" 2>&1 &
	SND_PID=$!
	wait $SND_PID
	_rc=$?
	wait $LST_PID || _rc=1
	wait_idle hci0
	return $_rc
}

# wait_line FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN
# (default 15 s); fails when it never does
wait_line() {
	for _i in $(seq $((${3:-15} * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# map_size PID NAME: max_entries of the BPF map called NAME that process
# PID holds (by the map ids of its fds: this bpftool shows no pids)
map_size() {
	_ids=$(cat /proc/$1/fdinfo/* 2>/dev/null | sed -n 's/^map_id:[[:space:]]*//p' | tr '\n' ' ')
	bpftool map show -j | python3 -c "import json, sys
ids = {int(i) for i in '$_ids'.split()}
print(' '.join(str(m['max_entries']) for m in json.load(sys.stdin)
	       if m.get('name') == '$2' and m['id'] in ids))"
}

# check_maps_sized WHAT PID "MAP MAP" "MAP:CONST MAP:CONST": the first maps
# of process PID hold one entry (unused by this run), the others CONST
# entries (a #define of bpf/*.h)
check_maps_sized() {
	_small= _full= _want=
	for _n in $3; do _small="$_small $(map_size $2 $_n)"; done
	for _n in $4; do
		_full="$_full $(map_size $2 ${_n%%:*})"
		_want="$_want $(bpf_const ${_n#*:})"
	done
	check_eq "$1: unused maps hold one entry ($3)" "$(echo $3 | sed 's/[^ ]*/1/g')" "$(echo $_small)"
	check_eq "$1: the others are full size ($(echo $4 | sed 's/:[^ ]*//g'))" "$(echo $_want)" "$(echo $_full)"
}

# bpf_const NAME: the number a "#define NAME N" of bpf/*.h gives
bpf_const() {
	sed -n "s/^#define $1[[:space:]][[:space:]]*\([0-9][0-9]*\).*/\1/p" bpf/*.h
}

# wait_idle HCI...: until each controller has no ACL link left (up to 20 s
# each; a "#" line says so when one still has)
wait_idle() {
	for _hci; do
		_i=0
		while [ -n "$(hcitool -i "$_hci" con | tail -n +2)" ]; do
			_i=$((_i + 1))
			if [ $_i -gt 100 ]; then
				echo "# wait_idle $_hci: an ACL link still up after 20 s"
				break
			fi
			sleep 0.2
		done
	done
}

# start_bg NAME tool args...: like start_tool, for a tool that runs beside
# others: waits for this tool's own "Tracing" banner (printed once it is
# attached; line-buffered, so it reaches the file at once).  Sets TOOL_PID;
# returns 1 (after a not ok) when the tool never got there.
start_bg() {
	_name=$1; shift
	stdbuf -oL "$@" > "$T/$_name.out" 2> "$T/$_name.err" &
	TOOL_PID=$!
	for _i in $(seq 900); do
		grep -q '^Tracing' "$T/$_name.out" 2>/dev/null && { sleep 0.2; return 0; }
		kill -0 $TOOL_PID 2>/dev/null || break
		sleep 0.1
	done
	not_ok "start $_name: '$*' did not start: $(cat "$T/$_name.err")"
	kill $TOOL_PID 2>/dev/null
	TOOL_PID=
	return 1
}

# stop_pid PID SIGNAL: ends a tool started with start_bg and returns its
# exit status
stop_pid() {
	[ -n "$1" ] || return 1
	kill -"$2" $1 2>/dev/null
	wait $1
}

# Nothing of ours may stay attached after a tool exits.
check_detached() {
	_links=$(bpftool link show 2>/dev/null | grep -c .)
	# prog names are cut to 15 characters: count tracing/kprobe programs
	# (nothing else loads BPF in the guest)
	_progs=$(bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracing|kprobe) ')
	check_eq "$1: no BPF links or programs left" "0 0" "$_links $_progs"
}

# l2test_pair N BYTES [extra client options]: a server on hci1 and a client
# on hci0 sending N frames of BYTES.  Sets SRV_PID, CLI_PID.  The client
# waits a second before disconnecting: closing an L2CAP channel drops what
# is still queued for the controller, and the tests count every frame.
# L2TEST_PSM (default 4113) and L2TEST_LINK (l2test -V: le_public for LE;
# default BR/EDR) apply to both sides.
l2test_pair() {
	_n=$1; _b=$2; shift 2
	_psm=${L2TEST_PSM:-4113} _link=${L2TEST_LINK:+-V $L2TEST_LINK}
	l2test -r -i hci1 $_link -P $_psm > "$T/l2srv.log" 2>&1 &
	SRV_PID=$!
	sleep 0.5
	l2test -s -i hci0 $_link -P $_psm -N "$_n" -b "$_b" -g 1000 "$@" "$ADDR1" \
		> "$T/l2cli.log" 2>&1 &
	CLI_PID=$!
	wait $CLI_PID
	_rc=$?
	# the server forks a child per connection, which ends once it has
	# read everything and seen the disconnect
	for _i in $(seq 50); do
		[ -z "$(pgrep -P $SRV_PID)" ] && break
		sleep 0.1
	done
	sleep 0.2
	kill $SRV_PID 2>/dev/null
	wait $SRV_PID 2>/dev/null
	return $_rc
}

# rctest_pair N BYTES: an RFCOMM server on hci1 (channel 3) and a client
# on hci0 writing N frames of BYTES; waits for the client, gives the data a
# second to leave, then ends both.  Sets RC_PID (the client's).
rctest_pair() {
	rctest -r -i hci1 -P 3 > /dev/null 2>&1 &
	_rs=$!
	sleep 0.5
	rctest -s -i hci0 -P 3 -N "$1" -b "$2" "$ADDR1" > "$T/rc.log" 2>&1 &
	RC_PID=$!
	for _i in $(seq 100); do kill -0 $RC_PID 2>/dev/null || break; sleep 0.1; done
	sleep 1
	kill $RC_PID $_rs 2>/dev/null
}

# eagain_sender [PSM]: a non-blocking L2CAP sender (hci0 to hci1, PSM
# default 4113) with a tiny send buffer: the emulated controller has one ACL
# credit, so the buffer fills and send() fails with EAGAIN.  Prints "sent S
# eagain E pid P".
eagain_sender() {
	/usr/bin/python3 - "$ADDR1" "${1:-4113}" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
s.connect((sys.argv[1], int(sys.argv[2])))
s.setblocking(False)
sent = eagain = 0
for i in range(400):
    try:
        s.send(b"x" * 600)
        sent += 1
    except BlockingIOError:
        eagain += 1
print("sent", sent, "eagain", eagain, "pid", os.getpid())
time.sleep(0.5)
s.close()
PY
}

# jcheck TOOL FILE LABEL [jsoncheck options]: TOOL's -j output in FILE read
# by a JSON parser and held against man/TOOL.8 and the run's truth (see
# tests/vm/jsoncheck.py); the fields seen are kept for jcoverage.
jcheck() {
	_jtool=$1; shift
	/usr/bin/python3 tests/vm/jsoncheck.py check "man/$_jtool.8" "$@" --seen "$T/seen.$_jtool"
}

# jcoverage TOOL [--unreachable KIND.FIELD=WHY ...]: every field TOOL's man
# page documents was printed by one of this script's jcheck runs.
jcoverage() {
	_jtool=$1; shift
	/usr/bin/python3 tests/vm/jsoncheck.py coverage "man/$_jtool.8" "$T/seen.$_jtool" "$@"
}

# wait_unregistered: until hci0 and hci1 are gone (their emulator ended)
wait_unregistered() {
	for _i in $(seq 100); do
		[ -e /sys/class/bluetooth/hci0 ] || [ -e /sys/class/bluetooth/hci1 ] || break
		sleep 0.1
	done
}

# bt_restart: a fresh emulator, hci0 and hci1 up as bt_setup leaves them;
# the old one is ended if it still runs.  Sets BTVIRT_STATUS to how the old
# one ended (its exit status; 143 when this SIGTERM ended it).
bt_restart() {
	kill $BTVIRT_PID 2>/dev/null
	wait $BTVIRT_PID 2>/dev/null
	BTVIRT_STATUS=$?
	wait_unregistered
	bt_setup
}

# emulator_killed_midstream: l2test streams from hci0 to hci1 while
# btvirt is frozen (a packet in flight, its only credit taken) and then
# SIGKILLed, so both controllers are unregistered under traffic.  Returns
# once hci0 and hci1 are gone and l2test has ended.
emulator_killed_midstream() {
	l2test -r -i hci1 -P 4113 > "$T/l2srv.log" 2>&1 &
	_srv=$!
	sleep 0.5
	l2test -s -i hci0 -P 4113 -N 100000 -b 200 "$ADDR1" > "$T/l2cli.log" 2>&1 &
	_cli=$!
	sleep 2
	kill -STOP $BTVIRT_PID
	sleep 0.5
	kill -KILL $BTVIRT_PID
	wait $BTVIRT_PID 2>/dev/null
	wait_unregistered
	kill $_cli $_srv 2>/dev/null
	wait $_cli $_srv 2>/dev/null
}

# sco_bed: the SCO-capable test bed (sco-setup.sh: its assignments, SCO_ADDR
# and the others, are made here); a kernel without Bluetooth skips the
# script, a bed that does not come up fails it
sco_bed() {
	if ! modprobe -a bluetooth hci_vhci 2>/dev/null; then
		skip "this kernel has no Bluetooth"
		finish
	fi
	eval "$(sh tests/vm/sco-setup.sh 2> "$T/sco-setup.err")"
	if [ -z "${SCO_ADDR:-}" ]; then
		not_ok "sco-setup.sh failed: $(cat "$T/sco-setup.err")"
		finish
	fi
}

finish() {
	kill $BTVIRT_PID 2>/dev/null
	rm -rf "$T"
	exit $((FAILS > 0))
}

# om_sum_check FILE NAME LABELS: a Prometheus histogram NAME{LABELS,le=...}
# in FILE: its _sum lies between what its buckets allow (each bucket's
# count times its lower bound, the previous le, and times its upper bound).
# Prints "LOW <= SUM <= HIGH" and succeeds when it does.
om_sum_check() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys
path, name, labels = sys.argv[1:4]
buckets, total = [], None
for line in open(path):
    m = re.match(r'%s_bucket\{%s,?le="([^"]+)"\} (\S+)$' % (re.escape(name), re.escape(labels)), line)
    if m:
        buckets.append((float(m.group(1)), float(m.group(2))))
    elif line.startswith("%s_sum%s " % (name, "{%s}" % labels if labels else "")):
        total = float(line.split()[-1])
low = high = prev_le = prev_n = 0.0
for le, n in buckets:
    c = n - prev_n
    if c:
        low += c * prev_le
        high += c * le
    prev_le, prev_n = le, n
print("%g <= %s <= %g" % (low, total, high))
sys.exit(not (total is not None and low * 0.999999 <= total <= high * 1.000001))
PY
}
