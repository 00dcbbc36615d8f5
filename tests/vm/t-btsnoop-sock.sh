# btsnoop-sock against real traffic between two emulated controllers.
# Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
N=7; B=123

bt_setup

# "static": the self-contained build (make static), default attach (fentry);
# "libbpf": libbpf's own load (BTBPF_LOADER=libbpf; kernels before 5.17
# take it), fentry: each of the twenty programs through our section handlers
for mode in fentry kprobe static libbpf; do
	attach=$mode
	if [ $mode = static ]; then
		static_build btsnoop-sock || continue
		SNOOP=$STATIC_BIN attach=fentry
	elif [ $mode = libbpf ]; then
		SNOOP=$BUILD/btsnoop-sock attach=fentry
		export BTBPF_LOADER=libbpf
	fi
	export BTBPF_ATTACH=$attach

	# 1. N writes of B bytes: N W lines with the client's PID, and R lines
	#    on the server side that add up to N*B.
	start_tool ev "$SNOOP" -a || continue
	l2test_pair $N $B
	stop_tool INT; rc=$?
	check_eq "$mode: SIGINT exits 0" 0 $rc
	check_grep "$mode: banner names the attach mode" "^Tracing Bluetooth socket calls \($attach\)" "$T/ev.out"
	w=$(awk -v p=$CLI_PID -v b=$B '$1 == p && $2 == "l2test" && $3 == "L2CAP" && $4 == "W" && $5 == b && $6 == b' "$T/ev.out" | wc -l)
	check_eq "$mode: $N W lines of $B bytes from l2test's PID $CLI_PID" $N $w
	wother=$(awk -v p=$CLI_PID '$4 == "W" && $1 == p' "$T/ev.out" | wc -l)
	check_eq "$mode: no other W lines from the client" $N $wother
	rsum=$(awk '$3 == "L2CAP" && $4 == "R" { s += $5 } END { print s + 0 }' "$T/ev.out")
	check_eq "$mode: R lines sum to N*B" $((N * B)) $rsum
	check_grep "$mode: -a shows the peer, handle and PSM" \
		"^$CLI_PID +l2test +L2CAP +W +$B +$B +$ADDR1 +[0-9]+ +psm=0x1011 cid=0x" "$T/ev.out"
	check_detached "$mode: after SIGINT"

	# 2. Counting mode reports the same totals, and SIGTERM also prints.
	start_tool cnt "$SNOOP" -c || continue
	l2test_pair $N $B
	stop_tool TERM; rc=$?
	check_eq "$mode: -c SIGTERM exits 0" 0 $rc
	line=$(awk -v p=$CLI_PID '$1 == p && $3 == "L2CAP" && $4 == "W"' "$T/cnt.out")
	check_eq "$mode: -c calls and bytes for the client" "$N $((N * B)) -" \
		"$(echo "$line" | awk '{ print $5, $6, $7 }')"
	rbytes=$(awk '$3 == "L2CAP" && $4 == "R" { s += $6 } END { print s + 0 }' "$T/cnt.out")
	check_eq "$mode: -c receive bytes" $((N * B)) $rbytes
	check_detached "$mode: after SIGTERM"
done
unset BTBPF_ATTACH BTBPF_LOADER
SNOOP=$BUILD/btsnoop-sock

# 3. EAGAIN from a non-blocking sender with a full send buffer, in both the
#    per-call and the counting view.
l2test -d -i hci1 -P 4113 > /dev/null 2>&1 &
DUMP=$!
sleep 0.5
start_tool x "$SNOOP" -x -P l2cap
XPID=$TOOL_PID
start_tool xc "$SNOOP" -c -P l2cap
res=$(eagain_sender)
sleep 0.5
stop_tool INT
check_eq "-c after SIGINT: exit 0, nothing on stderr" "0 " "$? $(cat "$T/xc.err")"
TOOL_PID=$XPID; stop_tool INT
kill $DUMP 2>/dev/null
eagain=$(echo "$res" | awk '{ print $4 }')
sent=$(echo "$res" | awk '{ print $2 }')
if [ "${eagain:-0}" -gt 0 ]; then ok "the sender hit EAGAIN ($res)"; else not_ok "the sender never hit EAGAIN ($res)"; fi
ea=$(awk '$4 == "W" && $5 == 0 && $6 == "EAGAIN"' "$T/x.out" | wc -l)
check_eq "-x shows each EAGAIN" "$eagain" "$ea"
okw=$(awk '$6 != "EAGAIN" && $1 ~ /^[0-9]+$/' "$T/x.out" | wc -l)
check_eq "-x shows no successful call" 0 $okw
check_grep "-c counts the EAGAINs by name" "python3 +L2CAP +W +$((sent + eagain)) +$((sent * 600)) EAGAIN:$eagain\$" "$T/xc.out"

# 4. HCI sockets: btmgmt talks to the kernel over an HCI (mgmt) socket.
start_tool hci "$SNOOP" -P hci
btmgmt --index 0 info > "$T/btmgmt.out" 2>&1 &
MG=$!
sleep 2; kill $MG 2>/dev/null; wait $MG 2>/dev/null
stop_tool INT
check_grep "btmgmt's writes show as PROTO HCI" "^$MG +btmgmt +HCI +W +[1-9]" "$T/hci.out"
check_grep "btmgmt's reads show as PROTO HCI" "^$MG +btmgmt +HCI +R +[1-9]" "$T/hci.out"
check_eq "-P hci shows HCI only" 0 "$(awk '$3 == "L2CAP" || $3 == "SCO"' "$T/hci.out" | wc -l)"

# 5. -p: only the chosen process, while another sender runs too.
l2test -r -i hci1 -P 4113 > /dev/null 2>&1 &
SRV=$!
# the chosen sender waits for the tool to be attached, then execs l2test
sh -c 'while [ ! -e "$1" ]; do sleep 0.1; done; exec l2test -s -i hci0 -P 4113 -N 5 -b 77 "$2"' \
	sh "$T/go" "$ADDR1" > /dev/null 2>&1 &
PICK=$!
start_tool pid "$SNOOP" -p $PICK
touch "$T/go"
l2test -s -i hci0 -P 4113 -N 4 -b 55 "$ADDR1" > /dev/null 2>&1
wait $PICK
sleep 0.5
stop_tool INT
kill $SRV 2>/dev/null
check_eq "-p $PICK: its 5 writes of 77 bytes" 5 "$(awk -v p=$PICK '$1 == p && $4 == "W" && $5 == 77' "$T/pid.out" | wc -l)"
check_eq "-p $PICK: no line from another PID" 0 "$(awk -v p=$PICK '$1 ~ /^[0-9]+$/ && $1 != p' "$T/pid.out" | wc -l)"

# 6. JSON: one object per line with the documented fields.
start_tool json "$SNOOP" -j -d 30
l2test_pair 3 99
stop_tool INT
check_eq "-j: 3 W objects with bytes 99" 3 "$(grep -c "\"pid\":$CLI_PID,.*\"proto\":\"L2CAP\",\"dir\":\"W\",\"bytes\":99,\"ret\":99" "$T/json.out")"
check_eq "-j: every line is an object" 0 "$(grep -vc '^{.*}$' "$T/json.out")"

# 7. | head -1: the reader goes away, the tool ends quietly, detached.
( "$SNOOP"; echo $? > "$T/head.rc" ) 2> "$T/head.err" | head -1 > "$T/head.out" &
for i in $(seq 300); do [ -n "$(bpftool link show | head -1)" ] && break; sleep 0.1; done
sleep 0.5
l2test_pair 3 50
for i in $(seq 50); do [ -s "$T/head.rc" ] && break; sleep 0.2; done
check_eq "| head -1: exit status 0" 0 "$(cat "$T/head.rc" 2>/dev/null)"
check_eq "| head -1: nothing on stderr" "" "$(cat "$T/head.err")"
check_detached "after | head -1"

# 8. RFCOMM: the application's writes show as RFCOMM, and the kernel thread
#    krfcommd re-sending them over L2CAP is shown apart, in brackets.
if modprobe rfcomm 2>/dev/null; then
	start_tool rf "$SNOOP" -P rfcomm,l2cap
	rctest_pair 5 100
	RC=$RC_PID
	stop_tool INT
	check_eq "rctest's 5 writes show as RFCOMM" 5 \
		"$(awk -v p=$RC '$1 == p && $2 == "rctest" && $3 == "RFCOMM" && $4 == "W" && $5 == 100' "$T/rf.out" | wc -l)"
	check_eq "krfcommd sends each 100-byte frame over L2CAP, marked as a kernel thread" 5 \
		"$(awk '$2 == "[krfcommd]" && $3 == "L2CAP" && $4 == "W" && $5 == 104' "$T/rf.out" | wc -l)"
else
	skip "no rfcomm module"
fi
