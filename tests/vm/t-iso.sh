# ISO (LE Audio CIS) counted exactly: tests/vm/isosend connects a CIS from
# hci0 to a listener on hci1 and sends N SDUs of B bytes; btmon records the
# HCI traffic as an independent count, and btsnoop-sock, btwmem, btacklat
# and bthcicredits must agree with it and with N and B.  The same traffic on
# every kernel: isosend passes the Linux 6.4+ struct bt_iso_qos, which 6.1
# reads too (BlueZ 5.66's iso-tester passes the old one, which 6.4+ refuses).
# Both attach modes.  Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
WMEM=$BUILD/btwmem
ACK=$BUILD/btacklat
CRED=$BUILD/bthcicredits
ISOSEND=$BUILD/tests/isosend
N=12; B=100

# btmon_start FILE: btmon records every controller's HCI traffic to FILE
btmon_start() {
	btmon -w "$1" > /dev/null 2>&1 &
	BTMON_PID=$!
	sleep 0.5
}
btmon_stop() { kill $BTMON_PID; wait $BTMON_PID 2>/dev/null; }
# btmon_count WHAT: ISO data packets in the capture ("TX" or "RX")
btmon_count() { btmon -r "$T/iso.snoop" | grep -c "ISO Data $1:"; }
# btmon_sdu_bytes WHAT: their SDU bytes (dlen less the 4-byte ISO data header)
btmon_sdu_bytes() {
	btmon -r "$T/iso.snoop" | awk -v w="ISO Data $1:" 'index($0, w) {
		for (i = 1; i < NF; i++) if ($i == "dlen") s += $(i + 1) - 4 } END { print s + 0 }'
}
# btmon_iso_pkts FILE HCI: the ISO buffers HCI reported in LE Read Buffer
# Size [v2] (none when it answered v1 only)
btmon_iso_pkts() {
	btmon -r "$1" | awk -v d="[$2]" '/^[<>@=] / { dev = $(NF - 1) }
		dev == d && /ISO max packet:/ { n = $NF } END { print n + 0 }'
}

# the controllers' setup is captured: their buffer sizes are in it
modprobe -a bluetooth 2>/dev/null && btmon_start "$T/init.snoop"
bt_setup
for _i in 0 1; do
	btmgmt --index $_i le on > "$T/btmgmt.log" 2>&1 ||
		not_ok "btmgmt --index $_i le on: $(cat "$T/btmgmt.log")"
done
# a CIS rides on an LE ACL link, which the central opens to an advertiser
btmgmt --index 1 connectable on > "$T/btmgmt.log" 2>&1 &&
btmgmt --index 1 advertising on >> "$T/btmgmt.log" 2>&1 ||
	not_ok "hci1 does not advertise: $(cat "$T/btmgmt.log")"
btmon_stop
ISO_PKTS=$(btmon_iso_pkts "$T/init.snoop" hci0)
echo "# hci0 reported $ISO_PKTS ISO buffers"

# iso_pair N BYTES: a listener on hci1 reading N SDUs, a sender on hci0
# sending them; then until both links are gone.  Sets SND_PID, LST_PID.
iso_pair() {
	"$ISOSEND" -l -i "$ADDR1" -n "$1" > "$T/lst.log" 2>&1 &
	LST_PID=$!
	sleep 0.5
	"$ISOSEND" -i "$ADDR0" -n "$1" -b "$2" "$ADDR1" > "$T/snd.log" 2>&1 &
	SND_PID=$!
	wait $SND_PID
	_rc=$?
	wait $LST_PID || _rc=1
	wait_idle hci0
	return $_rc
}

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	btmon_start "$T/iso.snoop"
	start_bg snoop "$SNOOP" -c -P iso || continue
	_ps=$TOOL_PID
	start_bg wmem "$WMEM" || continue
	_pw=$TOOL_PID
	start_bg ack "$ACK" -C || continue
	_pa=$TOOL_PID
	start_bg cred "$CRED" || continue
	_pc=$TOOL_PID
	iso_pair $N $B ||
		not_ok "$mode: isosend failed: $(cat "$T/snd.log" "$T/lst.log")"
	check_grep "$mode: isosend sent $N SDUs of $B bytes" "^sent $N SDUs of $B bytes\$" "$T/snd.log"
	check_grep "$mode: the listener received them" "^received $N SDUs, $((N * B)) bytes\$" "$T/lst.log"
	sleep 0.5
	for _p in $_ps $_pw $_pa $_pc; do
		stop_pid $_p INT
		check_eq "$mode: exit status ($_p)" 0 $?
	done
	btmon_stop
	check_eq "$mode btmon: ISO data packets and SDU bytes sent and received" \
		"$N $((N * B)) $N $((N * B))" \
		"$(btmon_count TX) $(btmon_sdu_bytes TX) $(btmon_count RX) $(btmon_sdu_bytes RX)"
	_h=$(btmon -r "$T/iso.snoop" | sed -n 's/.*ISO Data TX: Handle \([0-9]*\) .*/\1/p' | head -1)

	check_eq "$mode btsnoop-sock: the sender's ISO W calls and bytes" "$N $((N * B))" \
		"$(awk -v p=$SND_PID '$1 == p && $3 == "ISO" && $4 == "W" { print $5, $6 }' "$T/snoop.out")"
	check_eq "$mode btsnoop-sock: the listener's ISO R calls and bytes" "$N $((N * B))" \
		"$(awk -v p=$LST_PID '$1 == p && $3 == "ISO" && $4 == "R" { print $5, $6 }' "$T/snoop.out")"

	check_eq "$mode btwmem: ISO sends" $N \
		"$(awk '/^proto = ISO/ { on = 1 } on && /^  sends:/ { print $2; exit }' "$T/wmem.out")"

	check_eq "$mode btacklat: sent == acked == SDUs" "$N $N" \
		"$(sfield sent "$T/ack.out") $(sfield acked "$T/ack.out")"
	check_grep "$mode btacklat: -C names the CIS (handle $_h) to $ADDR1 as ISO" \
		"^dev = hci0 handle = $_h peer = $ADDR1 type = ISO\$" "$T/ack.out"
	check_eq "$mode btacklat: ISO histograms hold every packet" $N \
		"$(awk '/^dev = / { on = / type = ISO$/; next } on && / -> / { s += $5 } END { print s + 0 }' "$T/ack.out")"
	for _f in overflow stale untracked unmatched skipped; do
		check_eq "$mode btacklat: $_f" 0 "$(sfield "$_f" "$T/ack.out")"
	done

	# the controller either reported ISO buffers of its own (the iso row
	# counts them) or none (ISO takes from the pool the note names)
	if [ "$ISO_PKTS" -gt 0 ]; then
		check_eq "$mode bthcicredits: hci0 iso MAX == the $ISO_PKTS buffers hci0 reported, SENT == ACKED == SDUs" \
			"$ISO_PKTS $N $N" \
			"$(awk '$1 == "hci0" && $2 == "iso" { m = $3; s += $8; a += $9 } END { print m + 0, s + 0, a + 0 }' "$T/cred.out")"
	else
		_pool=$(awk '$1 == "hci0" && $2 == "iso" && /shared:/ { sub(/.*shared:/, ""); print; exit }' "$T/cred.out")
		check_cmd "$mode bthcicredits: hci0 reported no ISO buffers, the iso row says which pool it shares ($_pool)" \
			test -n "$_pool"
		check_eq "$mode bthcicredits: the $_pool pool's SENT counts the SDUs" $N \
			"$(awk -v p="$_pool" '$1 == "hci0" && $2 == p { s += $8 } END { print s + 0 }' "$T/cred.out")"
	fi
	check_detached "$mode"
done
unset BTBPF_ATTACH
