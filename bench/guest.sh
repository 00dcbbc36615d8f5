# Guest side of `make bench` (bench/run.sh boots the guest and runs this in
# the repository): each tool against its bpftrace peer (bench/peers/*.bt),
# side by side in one boot, on the btvirt test bed of tests/vm.
#
# Per tool, BTBPF_BENCH_RUNS (default 5) rounds; in each, in rotating order:
#   none    the workload alone
#   floor   the workload under empty kprobe/kretprobe programs on the tool's
#           functions (build/bench/emptyprobe)
#   floor-f the same functions with empty fentry/fexit programs, loaded by
#           the tools' own common layer (build/bench/emptyf): the floor of
#           fentry mode, which pays one program and one trampoline per
#           function where the kprobe floor shares two programs
#   ours    the tool, kprobe mode (BTBPF_ATTACH=kprobe: the same attach
#           mechanism as the floor and bpftrace)
#   fentry  the tool in its default mode (fentry/fexit)
#   peer    bpftrace bench/peers/<tool>.bt
#   cold    fentry with an empty BTBPF_CACHE_DIR of its own: the first run
#           on a kernel, which walks vmlinux's BTF and writes the cache
#           (the others read /var/cache/btbpf-tools); start-up only, no
#           workload
#   ours-s, fentry-s, floor-s   ours, fentry and floor again, linked
#           -static (make static; build/bench/emptyprobe-static): start-up
#           and memory without ld.so and shared libraries
# benchrun times start-up (exec to ready line), the workload, and takes the
# maximum RSS.  Round 1 runs with kernel.bpf_stats_enabled=1 and records
# the BPF programs' run time per workload operation; its workload times are
# left out of the medians (bench/table.sh).  Every configuration runs in
# every round.
# Raw results: one line per run on stdout ("R tool cfg round key=val...");
# bench/table.sh turns them into the table.
set -u
. tests/vm/lib.sh
BB=$BUILD/bench
PEERS=$PWD/bench/peers
RUNS=${BTBPF_BENCH_RUNS:-5}
M_SOCK=${BTBPF_BENCH_SOCK_CALLS:-3000}	# socket-path workload: non-blocking sends
M_ACL=${BTBPF_BENCH_ACL_SENDS:-100}	# HCI-path workload: blocking 600-byte sends
M_USB=${BTBPF_BENCH_USB_PINGS:-40}	# USB workload: l2ping echo requests
M_LOST=${BTBPF_BENCH_LOST_CALLS:-10000}	# lost-events run: per sender, two senders

info() { echo "I $*"; }
. bench/floors.sh

# hist_total FILE: the sum of the counts of every log2 histogram in FILE,
# bcc style ("  8 -> 15  : 3  |**|") or bpftrace style ("[8, 16)  3 |@@|")
hist_total() {
	awk '/\|/ && (/->/ || /^\[/) { sub(/\|.*/, ""); s += $NF } END { print s + 0 }' "$1"
}

# stats_sum: BPF run time (ns) of all loaded kprobe/tracing programs
stats_sum() {
	bpftool prog show 2>/dev/null | awk '/run_time_ns/ {
		for (i = 1; i < NF; i++) if ($i == "run_time_ns") s += $(i + 1) }
		END { print s + 0 }'
}

# run TOOL CFG ROUND: one measured run (the caller sets WORK, FLOOR, OURS, PEER, OPS;
# bench sets FLOOR_F)
run() {
	_t=$1 _c=$2 _r=$3 _o=$T/$1.$2.$3
	_after=
	[ "$_r" = 1 ] && _after="bpftool prog show > $_o.stats"
	case $_c in
	none)	_res=$($BB/benchrun -w "$WORK") ;;
	floor)	_res=$($BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" -s 300 \
			-- $BB/emptyprobe $BB/empty.bpf.o $FLOOR) ;;
	floor-f) _res=$($BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" -s 300 \
			-- $BB/emptyf $FLOOR_F) ;;
	ours)	_res=$(BTBPF_ATTACH=kprobe $BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" \
			-s 400 -t 45 -- $OURS) ;;
	fentry)	_res=$($BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" -s 400 -t 45 -- $OURS) ;;
	cold)	rm -rf $T/cold; _res=$(BTBPF_CACHE_DIR=$T/cold $BB/benchrun -o $_o.out -e $_o.err -w true \
			-s 400 -t 45 -- $OURS) ;;
	floor-s) _res=$($BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" -s 300 \
			-- $BB/emptyprobe-static $BB/empty.bpf.o $FLOOR) ;;
	ours-s)	_res=$(BTBPF_ATTACH=kprobe $BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" \
			-s 400 -t 45 -- $(static_of "$OURS")) ;;
	fentry-s) _res=$($BB/benchrun -o $_o.out -e $_o.err -w "$WORK" -a "$_after" -s 400 -t 45 \
			-- $(static_of "$OURS")) ;;
	peer)	_res=$($BB/benchrun -r Attaching -R Tracing -o $_o.out -e $_o.err -w "$WORK" \
			-a "$_after" -s 400 -t 300 -- bpftrace $PEER) ;;
	esac
	_ns=-1
	[ -f "$_o.stats" ] && _ns=$(awk '/run_time_ns/ { for (i = 1; i < NF; i++)
		if ($i == "run_time_ns") s += $(i + 1) } END { print s + 0 }' "$_o.stats")
	echo "R $_t $_c $_r $_res bpf_ns=$_ns ops=$OPS"
	# a run that never got ready, or that had to be killed (no exit within
	# 180 s of SIGINT): no more rounds
	case $_res in
	ready_ms=-1.0*|*rc=137) [ "$_c" != none ] && NOTREADY="$NOTREADY $_c" ;;
	esac
	if [ "$_c" != none ] && ! echo "$_res" | grep -q 'rc=0'; then
		info "$_t $_c round $_r: $(echo "$_res" | tr '\n' ' ') stderr: $(head -c 300 "$_o.err" 2>/dev/null | tr '\n' ' ')"
	fi
}

# static_of "BUILD/TOOL ARGS": the same command with the make static build
static_of() { echo "$1" | sed "s|^$BUILD/|$BUILD/static/|"; }

# BTBPF_BENCH_ONLY="tool ...": only these tools (default: all)
wanted() { [ -z "${BTBPF_BENCH_ONLY:-}" ] || echo " $BTBPF_BENCH_ONLY " | grep -q " $1 "; }

# verified TOOL: "V TOOL CFG progs=N insns=M loader=L", the instructions the
# verifier walked at load (-v's total; L: the generated loader program's
# own), in both modes and for the fentry floor: the part of start-up a
# change to our BPF code moves, and the same every run
verified() {
	for _c in fentry ours floor-f; do
		case $_c in
		fentry)	_cmd="$OURS -v" ;;
		ours)	_cmd="env BTBPF_ATTACH=kprobe $OURS -v" ;;
		floor-f) _cmd="$BB/emptyf -v $FLOOR_F" ;;
		esac
		$BB/benchrun -o $T/verified.out -e $T/verified.err -w true -s 400 -t 45 -- $_cmd > /dev/null
		echo "V $1 $_c $(sed -n 's/.*start-up: \([0-9]*\) programs, \([0-9]*\) instructions verified.*/progs=\1 insns=\2/p' $T/verified.err)" \
			"$(sed -n 's/.*start-up: loader verified (the kernel, \([0-9]*\) instructions).*/loader=\1/p' $T/verified.err)"
	done
}

# bench TOOL CHECK: the rounds; CHECK is a function TOOL FILE printing the
# figure both tools must agree on.  Round 1 runs with bpf_stats on.
bench() {
	_tool=$1 _check=$2 NOTREADY= PEER_OUT=
	wanted "$_tool" || return 0
	FLOOR_F=$(fentry_floor_of $_tool)
	info "$_tool: floor on:$FLOOR; fentry floor on: $FLOOR_F"
	for _r in $(seq 1 "$RUNS"); do
		case $((_r % 4)) in
		1) _cfgs="none floor ours fentry cold peer floor-f ours-s fentry-s floor-s" ;;
		2) _cfgs="peer none floor-s floor ours fentry-s cold ours-s floor-f fentry" ;;
		3) _cfgs="floor-f ours-s fentry ours peer cold none floor fentry-s floor-s" ;;
		0) _cfgs="floor fentry-s ours floor-s floor-f cold peer ours-s fentry none" ;;
		esac
		# a tool with no peer, or a peer left out after it failed
		[ -n "$PEER" ] && [ -z "$PEER_OUT" ] || _cfgs=$(echo $_cfgs | sed 's/ *peer//')
		[ "$_r" = 1 ] && sysctl -qw kernel.bpf_stats_enabled=1
		for _c in $_cfgs; do
			run "$_tool" "$_c" "$_r"
		done
		[ "$_r" = 1 ] && sysctl -qw kernel.bpf_stats_enabled=0
		if [ "$NOTREADY" = " peer" ]; then
			# bpftrace alone failed (0.17 has hung at exit after SIGINT):
			# ours go on without it, and there is no agreement run
			info "$_tool: bpftrace left out after round $_r (never ready, or killed 180 s after SIGINT)"
			PEER_OUT=1 NOTREADY=
		elif [ -n "$NOTREADY" ]; then
			info "$_tool: stopped after round $_r: failed:$NOTREADY (never ready, or killed 180 s after SIGINT)"
			break
		fi
	done
	verified "$_tool"
	[ -z "$PEER" ] || [ -n "$PEER_OUT" ] || agree "$_tool" "$_check"
}

# agree TOOL CHECK: the same-numbers check.  Ours (default attach) and the
# peer run at the same time on one run of AGREE_WORK (blocking sends, slow
# enough for bpftrace's perf buffer), so both see exactly the same events.
agree() {
	[ -n "$NOTREADY" ] && return 0
	# an earlier round's link gone before the tools attach: its Disconnect
	# (a command) would be theirs, and not in the TX delta read below
	wait_idle $AGREE_HCI
	$OURS > $T/agree.ours 2> $T/agree.ours.err &
	_po=$!
	bpftrace $PEER > $T/agree.peer 2> $T/agree.peer.err &
	_pp=$!
	for _i in $(seq 1800); do
		grep -q '^Tracing' $T/agree.ours && grep -q '^Tracing' $T/agree.peer && break
		kill -0 $_po 2>/dev/null && kill -0 $_pp 2>/dev/null || break
		sleep 0.1
	done
	_tx0=$(tx_sum acl) _cmd0=$(tx_sum commands)
	sh -c "$AGREE_WORK"
	sleep 2
	# and so is this one's: its Disconnect (a command) is sent some 2 s
	# after the last channel closed, and the tools count it
	wait_idle $AGREE_HCI
	_tx=$(( $(tx_sum acl) - _tx0 )) _cmd=$(( $(tx_sum commands) - _cmd0 ))
	kill -INT $_po $_pp 2>/dev/null
	wait $_po; _ro=$?
	wait $_pp; _rp=$?
	echo "C $1 ours $($2 $1 $T/agree.ours) rc=$_ro"
	echo "C $1 peer $($2 $1 $T/agree.peer) rc=$_rp"
	[ -n "${AGREE_WANT:-}" ] && echo "C $1 want $AGREE_WANT"
	# what the driver was given meanwhile: btacklat counts ACL frames,
	# bturblat ACL frames and commands
	case $1 in
	btacklat) echo "C $1 want $_tx" ;;
	bturblat) echo "C $1 want $((_tx + _cmd))" ;;
	esac
	[ "$_ro$_rp" = 00 ] || info "$1 agreement run: exit $_ro/$_rp: $(head -c 200 $T/agree.ours.err) $(head -c 200 $T/agree.peer.err)"
}

# tx_sum FIELD: a TX counter of hciconfig summed over the controllers in
# AGREE_HCI (what their drivers were given)
tx_sum() {
	_s=0
	for _h in $AGREE_HCI; do _s=$((_s + $(tx_count $_h $1))); done
	echo $_s
}

# --- the figures both sides must agree on ---
chk_snoop() {	# W lines of the workload's sender
	awk '$2 == "l2send" && $4 == "W"' "$2" | wc -l
}
chk_hist() { hist_total "$2"; }

# --- sizes ---
mkdir -p $T/strip
for t in btsnoop-sock btwmem bthcicredits btacklat btpktlat bturblat; do
	[ -x $BUILD/$t ] || continue
	cp $BUILD/$t $T/strip/$t && strip $T/strip/$t
	echo "S $t $(stat -c %s $BUILD/$t) $(stat -c %s $T/strip/$t)"
	[ -x $BUILD/static/$t ] || continue
	cp $BUILD/static/$t $T/strip/$t.static && strip $T/strip/$t.static
	echo "S $t.static $(stat -c %s $BUILD/static/$t) $(stat -c %s $T/strip/$t.static)"
done
BPFTRACE=$(command -v bpftrace)
cp "$BPFTRACE" $T/strip/bpftrace && strip $T/strip/bpftrace
libs=$(ldd "$BPFTRACE" | awk '$3 ~ /^\// { print $3 }' | xargs -r readlink -f | sort -u | xargs -r stat -L -c %s | awk '{ s += $1 } END { print s + 0 }')
echo "S bpftrace $(stat -c %s "$BPFTRACE") $(stat -c %s $T/strip/bpftrace) $libs"
info "bpftrace: $(bpftrace --version)"

# --- the test bed: hci0 -> hci1, l2test -d on hci1 as the sink ---
bt_setup
modprobe rfcomm
sysctl -qw kernel.bpf_stats_enabled=0
l2test -d -i hci1 -P 4113 > /dev/null 2>&1 &
SINK=$!
sleep 0.5
L2SEND=$BUILD/tests/l2send

# 1. btsnoop-sock: per-call lines; non-blocking sends into a 4.5 KiB buffer,
#    most of them EAGAIN: cheap calls, so the probes' cost shows
AGREE_HCI="hci0 hci1"
OURS=$BUILD/btsnoop-sock PEER=$PEERS/btsnoop-sock.bt OPS=$M_SOCK
FLOOR=$(floor_of btsnoop-sock)
WORK="$L2SEND -N -s 2048 -i $ADDR0 -n $M_SOCK $ADDR1 > /dev/null"
AGREE_WORK="$L2SEND -i $ADDR0 -n $M_ACL $ADDR1 > /dev/null"
AGREE_WANT=$M_ACL	# one W line, one btwmem sample per send
bench btsnoop-sock chk_snoop

# 2. btwmem: histogram per protocol; the same workload
OURS=$BUILD/btwmem PEER=$PEERS/btwmem.bt
FLOOR=$(floor_of btwmem)
bench btwmem chk_hist

# 3. bthcicredits -H: credits per second, stall histogram on exit; blocking
#    sends, each one ACL frame through the emulator's single ACL credit
TXOFF=$(bpftool btf dump file /sys/kernel/btf/bluetooth 2>/dev/null | awk '
	/^\[[0-9]+\] STRUCT / { on = ($3 == "'"'"'hci_dev'"'"'") }
	on && $1 == "'"'"'tx_work'"'"'" { sub(/bits_offset=/, "", $3); print $3 / 8; exit }')
CBOFF=$(bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | awk '
	/^\[[0-9]+\] STRUCT / { on = ($3 == "'"'"'sk_buff'"'"'") }
	on && $1 == "'"'"'cb'"'"'" { sub(/bits_offset=/, "", $3); print $3 / 8; exit }')
info "peers: offsetof(struct hci_dev, tx_work) = $TXOFF, offsetof(struct sk_buff, cb) = $CBOFF"
AGREE_WANT=
OURS="$BUILD/bthcicredits -H" PEER="$PEERS/bthcicredits.bt $TXOFF $CBOFF" OPS=$M_ACL
FLOOR=$(floor_of bthcicredits)
WORK="$L2SEND -i $ADDR0 -n $M_ACL $ADDR1 > /dev/null"
bench bthcicredits chk_hist

# 4. btacklat: ack latency histogram; the same workload (run bare like the
# floor: trace__run flushes the banner into the pipe)
OURS="$BUILD/btacklat" PEER="$PEERS/btacklat.bt $CBOFF"
FLOOR=$(floor_of btacklat)
bench btacklat chk_hist

# 4b. btpktlat: start-up, RSS and per-event cost against the floor on its
#     hooks, the same workload.  No bpftrace peer: following each send's
#     fragments through three hooks and the per-handle ack FIFO would be a
#     second implementation of the tool in bpftrace, not a peer of it.
OURS="$BUILD/btpktlat" PEER=
FLOOR=$(floor_of btpktlat)
bench btpktlat chk_hist

# 5. lost events: btsnoop-sock (default mode) under two non-blocking senders
#    as fast as the emulator lets them, output to a file
wanted lost && {
WORK="for i in 1 2; do $L2SEND -N -s 2048 -i $ADDR0 -n $M_LOST $ADDR1 > $T/lost.\$i & done; wait"
res=$($BB/benchrun -o $T/lost.out -e $T/lost.err -w "$WORK" -s 3000 -- $BUILD/btsnoop-sock)
calls=$(cat $T/lost.1 $T/lost.2 | sed -n 's/sent=\([0-9]*\) eagain=\([0-9]*\).*/\1 \2/p' | awk '{ s += $1 + $2 } END { print s + 0 }')
lines=$(awk '$2 == "l2send" && $4 == "W"' $T/lost.out | wc -l)
lost=$(sed -n 's/.* \([0-9][0-9]*\) events lost.*/\1/p' $T/lost.err | awk '{ s += $1 } END { print s + 0 }')
echo "L $calls $lines $lost $res"
[ -s $T/lost.err ] && info "lost-events run stderr: $(head -c 300 $T/lost.err)"
}

kill $SINK $BTVIRT_PID 2>/dev/null
wait $SINK $BTVIRT_PID 2>/dev/null

# 6. bturblat: a btusb controller (tests/vm/usb-setup.sh), l2ping flood to
#    its peer
if ! wanted bturblat; then
	:
elif [ -x $BUILD/bturblat ]; then
	if eval "$(sh tests/vm/usb-setup.sh 2> $T/usb.err)" && [ -n "${USB_HCI:-}" ]; then
		OURS=$BUILD/bturblat PEER="$PEERS/bturblat.bt $CBOFF" OPS=$M_USB AGREE_HCI=$USB_HCI
		FLOOR=$(floor_of bturblat)
		WORK="l2ping -i $USB_HCI -c $M_USB -f $PEER_ADDR > $T/l2ping.out 2>&1"
		AGREE_WORK=$WORK
		bench bturblat chk_hist
		info "bturblat workload: $(tail -2 $T/l2ping.out | tr '\n' ' ')"
	else
		info "bturblat: the USB test bed did not come up: $(head -c 300 $T/usb.err)"
	fi
else
	info "bturblat: not built (no tools/bturblat.c yet)"
fi
rm -rf "$T"
