# --cgroup of btsnoop-sock and btwmem: two l2test senders at once, each in
# its own cgroup v2 made here (btbpf-test/a and btbpf-test/b); a tool given
# one cgroup sees exactly that sender's sends, given the parent both (a
# subtree), and never the receiving server (root cgroup).
# Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
WMEM=$BUILD/btwmem
NA=7; NB=11; B=100
CG=/sys/fs/cgroup
PARENT=$CG/btbpf-test

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
rmdir "$PARENT/a" "$PARENT/b" "$PARENT"
check_eq "cgroups removed" no "$([ -d "$PARENT" ] && echo yes || echo no)"
