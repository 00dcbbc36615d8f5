# btacklat in the guest: real L2CAP traffic between two btvirt controllers.
# The emulator grants one ACL credit and acks every packet with its own
# NUM_COMP_PKTS, so every ACL packet hci0 sends must appear exactly once.
# Sourced by guest-test.sh with lib.sh loaded.

ACK=$BUILD/btacklat

hist_total() {
	awk '/ -> / { s += $5 } END { print s + 0 }' "$1"
}

check_clean() {
	for _f in overflow stale untracked unmatched skipped; do
		check_eq "$1: $_f" 0 "$(sfield "$_f" "$T/ack.out")"
	done
}

# Every ACL packet hci0 sent is in the histogram, once.
t_counts() {
	_m=$1
	start_tool ack "$ACK" -d hci0 || return
	_before=$(tx_acl hci0)
	l2test_pair 30 200
	_sent=$(( $(tx_acl hci0) - _before ))
	check_eq "$_m: one histogram, one entry in hists" 1 "$(map_size $TOOL_PID hists)"
	stop_tool INT
	check_eq "$_m: exit status after SIGINT" 0 $?
	check_eq "$_m: sent == hciconfig hci0 TX acl delta" "$_sent" "$(sfield sent "$T/ack.out")"
	check_eq "$_m: acked == TX acl delta" "$_sent" "$(sfield acked "$T/ack.out")"
	check_eq "$_m: histogram count == TX acl delta" "$_sent" "$(hist_total "$T/ack.out")"
	check_eq "$_m: unacked at disconnect" 0 "$(sfield disconnect "$T/ack.out")"
	check_clean "$_m"
	check_detached "$_m"
}

# -C labels the histogram with l2test's handle and hci1's address.
t_per_conn() {
	_m=$1
	start_tool ack "$ACK" -C -d hci0 || return
	l2test_pair 10 100
	check_eq "$_m: -C: hists full size" "$(bpf_const ACK_MAX_HISTS)" "$(map_size $TOOL_PID hists)"
	stop_tool TERM
	check_eq "$_m: exit status after SIGTERM" 0 $?
	_h=$(sed -n 's/.*handle \([0-9]*\),.*/\1/p' "$T/l2cli.log" | head -1)
	check_grep "$_m: -C names handle $_h and peer $ADDR1" \
		"^dev = hci0 handle = $_h peer = $ADDR1 type = ACL" "$T/ack.out"
	check_eq "$_m: -C histogram count == acked" "$(sfield acked "$T/ack.out")" \
		"$(hist_total "$T/ack.out")"
	check_clean "$_m -C"
	check_detached "$_m -C"
}

# Interval mode ends by itself after the count, with the summary.
t_interval() {
	_m=$1
	check_cmd "$_m: 1 2 exits 0" timeout 60 "$ACK" -j 1 2
	check_eq "$_m: -j 1 2 prints one summary" 1 "$(grep -c '^{"summary":' "$T/check.out")"
	check_detached "$_m interval"
}

# The controller vanishes with a packet in flight: freeze the emulator while
# l2test streams, then kill it.  hci_unregister_dev flushes the connection:
# the unacked stamp is counted as such, never as a latency.  Restarts the
# emulator afterwards.
t_disconnect() {
	_m=$1
	start_tool ack "$ACK" -C -d hci0 || return
	emulator_killed_midstream
	stop_tool INT
	check_eq "$_m: exit status" 0 $?
	_un=$(sfield disconnect "$T/ack.out")
	_sent=$(sfield sent "$T/ack.out")
	_acked=$(sfield acked "$T/ack.out")
	check_eq "$_m: one packet (the only credit) unacked at disconnect" 1 "$_un"
	check_eq "$_m: sent == acked + unacked" "$_sent" "$((_acked + _un))"
	check_eq "$_m: histogram count == acked (unacked not in it)" "$_acked" \
		"$(hist_total "$T/ack.out")"
	check_grep "$_m: per-connection unacked" "unacked_at_disconnect = 1" "$T/ack.out"
	check_clean "$_m"
	check_detached "$_m disconnect"
	bt_setup
}

bt_setup
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	t_counts $mode
	t_per_conn $mode
	t_interval $mode
	t_disconnect $mode
done
unset BTBPF_ATTACH
# The self-contained build (make static) counts exactly as the dynamic one.
if static_build btacklat; then
	ACK=$STATIC_BIN
	t_counts "static, default attach"
	ACK=$BUILD/btacklat
fi
# libbpf's own load (BTBPF_LOADER=libbpf; kernels before 5.17 take it, the
# others the generated loader): the same exact counts, both attach modes.
export BTBPF_LOADER=libbpf
for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	t_counts "libbpf load, $mode"
done
unset BTBPF_ATTACH BTBPF_LOADER
check_cmd "default attach prints fentry" sh -c "timeout -s INT 20 $ACK 1 1 | grep -q '^Tracing.*fentry'"
# Which branch ran: the kernel's own tx queue hooks (6.15+) or our FIFO
# stamped at hci_send_frame (older kernels).
_kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$_kv" -ge 6015 ]; then _want=hci_conn_tx_queue; else _want=hci_send_frame; fi
check_cmd "branch on $(uname -r): packets stamped at $_want" \
	sh -c "timeout -s INT 20 $ACK 1 1 | grep -q '^Tracing Bluetooth packet ack latency ($_want, '"
