# bturblat --openmetrics on the USB test bed (tests/vm/usb-setup.sh: a
# controller driven by the real btusb driver): two rounds of l2ping
# traffic, the file's per-type _count equal to the driver's own TX counters
# since the start (cumulative over a 1 s interval that resets the text),
# every version of the file accepted by promtool, the text unchanged; an
# error status exported under its errno name.
# Sourced by guest-test.sh (helpers in lib.sh).
URB=$BUILD/bturblat
OMDIR=$T/textfile
PROM=$OMDIR/bturblat.prom

# mfile NAME{LABELS}: its value in the file as it is now
mfile() { awk -v m="$1" '$1 == m { print $2 }' "$PROM"; }

# wait_file NAME{LABELS} VALUE SECONDS: until the file has it; keeps every
# version seen in $T/versions; prints the last value
wait_file() {
	for _i in $(seq $(($3 * 4))); do
		cp "$PROM" "$T/versions/$(md5sum < "$PROM" | cut -c1-8)" 2>/dev/null
		_v=$(mfile "$1")
		[ "$_v" = "$2" ] && break
		sleep 0.25
	done
	echo "$_v"
}

usb_round() {
	l2ping -i $USB_HCI -c 5 $PEER_ADDR > "$T/ping" 2>&1
	hcitool -i $USB_HCI cmd 0x04 0x0001 > /dev/null
	wait_idle $PEER_HCI $USB_HCI
	sleep 0.5
}

mkdir -p "$OMDIR" "$T/versions"
modprobe dummy_hcd 2>/dev/null
eval "$(sh tests/vm/usb-setup.sh)" || { not_ok "usb-setup.sh failed: $(tail -5 /tmp/btbridge-usb.log)"; finish; }
wait_idle $PEER_HCI $USB_HCI

start_bg urb "$URB" -d $USB_HCI --openmetrics "$PROM" 1 || finish
_a0=$(tx_count $USB_HCI acl); _c0=$(tx_count $USB_HCI commands)
usb_round
_acl1=$(( $(tx_count $USB_HCI acl) - _a0 ))
check_eq "round 1: _count{type=ACL} == $USB_HCI TX acl delta" $_acl1 \
	"$(wait_file "btbpf_urb_latency_seconds_count{dev=\"$USB_HCI\",type=\"ACL\"}" $_acl1 10)"
usb_round
_acl=$(( $(tx_count $USB_HCI acl) - _a0 )); _cmd=$(( $(tx_count $USB_HCI commands) - _c0 ))
check_eq "round 2: _count{type=ACL} == TX acl delta since the start (cumulative)" $_acl \
	"$(wait_file "btbpf_urb_latency_seconds_count{dev=\"$USB_HCI\",type=\"ACL\"}" $_acl 10)"
check_eq "round 2: _count{type=CMD} == TX commands delta since the start" $_cmd \
	"$(wait_file "btbpf_urb_latency_seconds_count{dev=\"$USB_HCI\",type=\"CMD\"}" $_cmd 10)"
check_eq "btbpf_urb_sent_total == TX acl + commands delta" $((_acl + _cmd)) \
	"$(mfile "btbpf_urb_sent_total{dev=\"$USB_HCI\"}")"
stop_pid $TOOL_PID INT
check_eq "exit 0 after SIGINT" 0 $?
check_eq "at exit: btbpf_urb_in_flight 0 (every URB completed)" 0 "$(mfile btbpf_urb_in_flight)"
check_eq "at exit: _count{type=ACL} still the whole run" $_acl \
	"$(mfile "btbpf_urb_latency_seconds_count{dev=\"$USB_HCI\",type=\"ACL\"}")"
_b=$(om_sum_check "$PROM" btbpf_urb_latency_seconds "dev=\"$USB_HCI\",type=\"ACL\"") &&
	ok "_sum{type=ACL} (the BPF side's real sum) within its buckets: $_b" ||
	not_ok "_sum{type=ACL} outside its buckets: $_b"
# the text: one histogram set per 1 s interval, reset each time
_text=$(awk '/^type = / { on = ($0 == "type = ACL"); next } /->/ && on { s += $5 } END { print s + 0 }' "$T/urb.out")
check_eq "text: the ACL histograms of all intervals add up to the TX acl delta" $_acl "$_text"
_bad=
for _f in "$T"/versions/* "$PROM"; do
	promtool check metrics < "$_f" > "$T/promtool.out" 2>&1 ||
		_bad="$_bad $(basename "$_f"): $(head -c 200 "$T/promtool.out")"
done
check_eq "promtool accepts all $(ls "$T/versions" | wc -l) versions seen and the final file" "" "$_bad"
check_eq "no stderr" "" "$(cat "$T/urb.err")"
check_detached "bturblat --openmetrics"

# An error status, per status in the file: a command URB the frozen bridge
# never answers is completed with an error when the controller is closed
# (btusb_close kills it; as t-bturblat.sh's t_errors).  The file's
# btbpf_urb_errors_total has that one URB under the status the text's
# "completed with error" line names; btbpf_urb_failed_total counts it too.
ERR=$OMDIR/err.prom
_br=$(pgrep -f "btbridge usb --name btbridge" | head -1)
if [ -z "$_br" ]; then
	not_ok "error status: no btbridge usb process"
elif start_bg urberr "$URB" -t cmd --openmetrics "$ERR"; then
	_p=$TOOL_PID
	kill -STOP $_br
	# hcitool waits for the command's event, which never comes
	timeout 20 hcitool -i $USB_HCI cmd 0x04 0x0001 > /dev/null 2>&1 &
	_hc=$!
	sleep 1
	timeout 30 hciconfig $USB_HCI down
	kill -CONT $_br
	{ kill $_hc; wait $_hc; } 2>/dev/null
	stop_pid $_p INT
	check_eq "error status: exit 0 after SIGINT" 0 $?
	_st=$(sed -n "s/^completed with error: $USB_HCI CMD \(E[A-Z]*\) 1$/\1/p" "$T/urberr.out")
	sed -n 's/^completed with error/# &/p' "$T/urberr.out"
	check_eq "error status: the text names one failed CMD URB (failed 1)" "1 yes" \
		"$(sfield failed "$T/urberr.out") $([ -n "$_st" ] && echo yes)"
	check_eq "error status: btbpf_urb_errors_total{dev=$USB_HCI,type=CMD,status=$_st} 1, the family's only sample" \
		"btbpf_urb_errors_total{dev=\"$USB_HCI\",type=\"CMD\",status=\"$_st\"} 1" \
		"$(grep '^btbpf_urb_errors_total{' "$ERR")"
	check_eq "error status: btbpf_urb_failed_total 1" 1 \
		"$(awk '$1 == "btbpf_urb_failed_total" { print $2 }' "$ERR")"
	promtool check metrics < "$ERR" > "$T/promtool.out" 2>&1
	_rc=$?
	check_eq "error status: promtool accepts the file ($(head -c 300 "$T/promtool.out"))" 0 $_rc
	check_detached "bturblat --openmetrics, error status"
fi
