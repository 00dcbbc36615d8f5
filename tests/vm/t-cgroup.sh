# --cgroup of btsnoop-sock and btwmem: two l2test senders at once, each in
# its own cgroup v2 made here (btbpf-test/a and btbpf-test/b); a tool given
# one cgroup sees exactly that sender's sends, given the parent both (a
# subtree), and never the receiving server (root cgroup).
# -G/--per-cgroup (both attach modes): the same two senders keyed by their
# cgroups, each path with its exact count in the text, -j and the
# --openmetrics file (accepted by promtool); a cgroup removed before the
# print shows as its id.
# Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
WMEM=$BUILD/btwmem
NA=7; NB=11; B=100
CG=/sys/fs/cgroup
PARENT=$CG/btbpf-test
OMDIR=$T/textfile

# wmem_sends FILE: the "sends:" number of btwmem's L2CAP section
wmem_sends() {
	awk '/^proto = / { on = ($3 == "L2CAP" || $3 == "L2CAP,") }
	     on && /^  sends:/ { print $2; exit }' "$1"
}

# snoop_w FILE PID: CALLS of btsnoop-sock -c's L2CAP W row of PID ("" if none)
snoop_w() {
	awk -v p="$2" '$1 == p && $3 == "L2CAP" && $4 == "W" { print $5 }' "$1"
}

# Both senders at once, each moved into its cgroup before exec'ing l2test;
# the server on hci1 (forks one child per connection) stays in the root.
# Sets PID_A, PID_B.
two_senders() {
	l2test -r -i hci1 -P 4113 > "$T/l2srv.log" 2>&1 &
	_srv=$!
	sleep 0.5
	for _c in a:$NA b:$NB; do
		sh -c 'echo $$ > "$1/cgroup.procs" && exec l2test -s -i hci0 -P 4113 -N "$2" -b "$3" -g 1000 "$4"' \
			sh "$PARENT/${_c%:*}" "${_c#*:}" $B "$ADDR1" > "$T/l2cli.${_c%:*}.log" 2>&1 &
		eval "PID_$(echo ${_c%:*} | tr a-z A-Z)=$!"
	done
	wait $PID_A; _ra=$?
	wait $PID_B; _rb=$?
	check_eq "both senders ended well" "0 0" "$_ra $_rb"
	for _i in $(seq 50); do
		[ -z "$(pgrep -P $_srv)" ] && break
		sleep 0.1
	done
	kill $_srv 2>/dev/null
	wait $_srv 2>/dev/null
}

# t_run NAME CGROUP_DIR: both tools on CGROUP_DIR during two_senders
t_run() {
	start_bg snoop.$1 "$SNOOP" -c --cgroup "$2" || return 1
	_ps=$TOOL_PID
	start_bg wmem.$1 "$WMEM" --cgroup "$2" || return 1
	_pw=$TOOL_PID
	two_senders
	stop_pid $_ps INT
	check_eq "$1: btsnoop-sock exit 0" 0 $?
	stop_pid $_pw INT
	check_eq "$1: btwmem exit 0" 0 $?
}

grep -q "^[^ ]* $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG
mkdir -p "$PARENT/a" "$PARENT/b"
bt_setup

t_run a "$PARENT/a"
check_eq "--cgroup a: btsnoop-sock W calls of sender a" $NA "$(snoop_w "$T/snoop.a.out" $PID_A)"
check_eq "--cgroup a: no row of sender b" "" "$(snoop_w "$T/snoop.a.out" $PID_B)"
check_eq "--cgroup a: rows: only sender a's (no server, no b)" "$PID_A" \
	"$(awk '$3 == "L2CAP" { print $1 }' "$T/snoop.a.out" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_eq "--cgroup a: btwmem sends == NA" $NA "$(wmem_sends "$T/wmem.a.out")"

t_run b "$PARENT/b"
check_eq "--cgroup b: btsnoop-sock W calls of sender b" $NB "$(snoop_w "$T/snoop.b.out" $PID_B)"
check_eq "--cgroup b: no row of sender a" "" "$(snoop_w "$T/snoop.b.out" $PID_A)"
check_eq "--cgroup b: btwmem sends == NB" $NB "$(wmem_sends "$T/wmem.b.out")"

t_run parent "$PARENT"
check_eq "--cgroup parent: sender a counted (subtree)" $NA "$(snoop_w "$T/snoop.parent.out" $PID_A)"
check_eq "--cgroup parent: sender b counted (subtree)" $NB "$(snoop_w "$T/snoop.parent.out" $PID_B)"
check_eq "--cgroup parent: no R row (the server is in the root cgroup)" 0 \
	"$(awk '$3 == "L2CAP" && $4 == "R"' "$T/snoop.parent.out" | wc -l)"
check_eq "--cgroup parent: btwmem sends == NA + NB" $((NA + NB)) "$(wmem_sends "$T/wmem.parent.out")"
check_detached "after the --cgroup runs"

# the root: everything, the server's reads too
if start_bg snoop.root "$SNOOP" -c --cgroup $CG; then
	two_senders
	stop_pid $TOOL_PID INT
	check_eq "--cgroup / (root): exit 0" 0 $?
fi
check_eq "--cgroup / (root): R rows present (the server)" yes \
	"$(awk '$3 == "L2CAP" && $4 == "R"' "$T/snoop.root.out" | grep -q . && echo yes)"
check_eq "--cgroup / (root): sender a's W calls" $NA "$(snoop_w "$T/snoop.root.out" $PID_A)"
check_detached "after the root cgroup run"

# ---- -G/--per-cgroup ----

# snoop_cg FILE CGROUP DIR: CALLS of btsnoop-sock -c -G's L2CAP DIR row of
# CGROUP ("" if none)
snoop_cg() {
	awk -v c="$2" -v d="$3" '$1 == c && $2 == "L2CAP" && $3 == d { print $4 }' "$1"
}

# wmem_cg_sends FILE CGROUP: "sends:" of btwmem -G's L2CAP section of CGROUP
wmem_cg_sends() {
	awk -v l="proto = L2CAP, cgroup = $2" '/^proto = / { on = ($0 == l) }
	     on && /^  sends:/ { print $2; exit }' "$1"
}

# mval FILE NAME{LABELS}: the sample's value in a metrics file
mval() { awk -v m="$2" '$1 == m { print $2 }' "$1"; }

# promtool_ok LABEL FILE...: promtool check metrics accepts every FILE
promtool_ok() {
	_l=$1; shift
	_bad=
	for _f in "$@"; do
		promtool check metrics < "$_f" > "$T/promtool.out" 2>&1 ||
			_bad="$_bad $(basename "$_f"): $(head -c 300 "$T/promtool.out")"
	done
	check_eq "$_l: promtool check metrics accepts $*" "" "$_bad"
}

# t_per_cgroup MODE: btsnoop-sock -c -G and btwmem -G, text with
# --openmetrics and -j, on both senders at once
t_per_cgroup() {
	_m=$1
	_a=/btbpf-test/a _b=/btbpf-test/b
	start_bg snoop.g$_m "$SNOOP" -c -G --openmetrics "$OMDIR/snoop.$_m.prom" || return
	_ps=$TOOL_PID
	start_tool snoopj.g$_m "$SNOOP" -c -G -j || return
	_psj=$TOOL_PID
	start_bg wmem.g$_m "$WMEM" -G --openmetrics "$OMDIR/wmem.$_m.prom" || return
	_pw=$TOOL_PID
	start_tool wmemj.g$_m "$WMEM" -G -j || return
	_pwj=$TOOL_PID
	two_senders
	for _p in $_ps $_psj $_pw $_pwj; do
		stop_pid $_p INT
		check_eq "$_m -G: exit 0 ($_p)" 0 $?
	done
	_o=$T/snoop.g$_m.out
	check_eq "$_m: btsnoop-sock -c -G: $_a W calls" $NA "$(snoop_cg "$_o" $_a W)"
	check_eq "$_m: btsnoop-sock -c -G: $_b W calls" $NB "$(snoop_cg "$_o" $_b W)"
	check_eq "$_m: btsnoop-sock -c -G: / (the server) has R and no W row" "yes " \
		"$([ -n "$(snoop_cg "$_o" / R)" ] && echo yes) $(snoop_cg "$_o" / W)"
	check_eq "$_m: btsnoop-sock -c -G: the L2CAP rows' cgroups" "/ $_a $_b" \
		"$(awk '$2 == "L2CAP" { print $1 }' "$_o" | sort -u | tr '\n' ' ' | sed 's/ $//')"
	jcheck btsnoop-sock "$T/snoopj.g$_m.out" "$_m: btsnoop-sock -c -G -j" --kind count \
		--eq "L2CAP W rows: $_a $NA calls, $_b $NB, cgroup_id the directories' kernfs ids" \
		"[(r['cgroup'], r['cgroup_id'], r['calls']) for r in where('count', proto='L2CAP', dir='W')]" \
		"[('$_a', $ID_A, $NA), ('$_b', $ID_B, $NB)]" \
		--eq "no pid, comm or kthread with -G" \
		"[r for r in rows['count'] if 'pid' in r or 'comm' in r or 'kthread' in r]" "[]"
	_f=$OMDIR/snoop.$_m.prom
	check_eq "$_m: openmetrics sendmsg calls of $_a and $_b" "$NA $NB" \
		"$(mval "$_f" "btbpf_sock_sendmsg_calls_total{proto=\"l2cap\",cgroup=\"$_a\"}") $(mval "$_f" "btbpf_sock_sendmsg_calls_total{proto=\"l2cap\",cgroup=\"$_b\"}")"
	check_eq "$_m: openmetrics sendmsg bytes of $_a and $_b" "$((NA * B)) $((NB * B))" \
		"$(mval "$_f" "btbpf_sock_sendmsg_bytes_total{proto=\"l2cap\",cgroup=\"$_a\"}") $(mval "$_f" "btbpf_sock_sendmsg_bytes_total{proto=\"l2cap\",cgroup=\"$_b\"}")"
	check_eq "$_m: openmetrics: no sendmsg of the root cgroup" 0 \
		"$(mval "$_f" "btbpf_sock_sendmsg_calls_total{proto=\"l2cap\",cgroup=\"/\"}")"
	_o=$T/wmem.g$_m.out
	check_eq "$_m: btwmem -G: $_a and $_b sends" "$NA $NB" \
		"$(wmem_cg_sends "$_o" $_a) $(wmem_cg_sends "$_o" $_b)"
	jcheck btwmem "$T/wmemj.g$_m.out" "$_m: btwmem -G -j" --kind section \
		--eq "L2CAP sections: $_a $NA sends, $_b $NB, nothing from the root" \
		"[(s['cgroup'], s['cgroup_id'], s['sends'], s['wmem']['total']) for s in where('section', proto='L2CAP')]" \
		"[('$_a', $ID_A, $NA, $NA), ('$_b', $ID_B, $NB, $NB)]"
	_f=$OMDIR/wmem.$_m.prom
	check_eq "$_m: openmetrics btwmem sends and _count of $_a and $_b" "$NA $NA $NB $NB" \
		"$(mval "$_f" "btbpf_wmem_sends_total{proto=\"l2cap\",cgroup=\"$_a\"}") $(mval "$_f" "btbpf_wmem_bytes_count{proto=\"l2cap\",cgroup=\"$_a\"}") $(mval "$_f" "btbpf_wmem_sends_total{proto=\"l2cap\",cgroup=\"$_b\"}") $(mval "$_f" "btbpf_wmem_bytes_count{proto=\"l2cap\",cgroup=\"$_b\"}")"
	promtool_ok "$_m -G" "$OMDIR/snoop.$_m.prom" "$OMDIR/wmem.$_m.prom"
	check_detached "$_m -G"
}

# cgroup v2 ids are the directories' kernfs node ids, their inode numbers
ID_A=$(stat -c %i "$PARENT/a")
ID_B=$(stat -c %i "$PARENT/b")
mkdir -p "$OMDIR"
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	t_per_cgroup $mode
done
unset BTBPF_ATTACH

# a cgroup removed between the sends and the print: its id, never a path
if start_bg snoop.gone "$SNOOP" -c -G; then
	two_senders
	rmdir "$PARENT/b"
	check_eq "-G: cgroup b removed after its sends" no "$([ -d "$PARENT/b" ] && echo yes || echo no)"
	stop_pid $TOOL_PID INT
	check_eq "-G, b removed: exit 0" 0 $?
fi
check_eq "-G, b removed: b's W calls under its id $ID_B, a's under its path" "$NB $NA" \
	"$(snoop_cg "$T/snoop.gone.out" $ID_B W) $(snoop_cg "$T/snoop.gone.out" /btbpf-test/a W)"
check_eq "-G, b removed: no row names its old path" "" \
	"$(awk '$1 == "/btbpf-test/b"' "$T/snoop.gone.out")"
rmdir "$PARENT/a" "$PARENT/b" "$PARENT" 2>/dev/null
check_eq "cgroups removed" no "$([ -d "$PARENT" ] && echo yes || echo no)"
