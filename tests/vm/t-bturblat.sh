# bturblat in the guest: a USB controller driven by the real btusb driver
# (btbridge usb over dummy_hcd, relayed to btvirt), real l2ping traffic to a
# vhci controller, and the counts bturblat prints checked against the
# driver's own TX counters (hciconfig: btusb_send_frame counts every
# command and ACL frame it is given).  Also btacklat and bthcicredits on
# the USB controller.  Sourced by guest-test.sh with lib.sh loaded.

URB=$BUILD/bturblat

# hist_sum LABEL FILE: sum of the counts of the histogram under the
# section line LABEL ("type = ACL", "dev = hci2 type = CMD")
hist_sum() {
	awk -v l="$1" '/^(dev|type) = / { on = ($0 == l); next }
		/->/ && on { s += $5 } END { print s + 0 }' "$2"
}

check_clean() {	# NAME FILE: nothing failed, lost or left over
	for _f in failed errors exit untracked dropped replaced; do
		check_eq "$1: $_f" 0 "$(sfield "$_f" "$2")"
	done
}

# Traffic on the USB controller: an l2ping (ACL both ways) and two
# commands; the link is gone when it returns.
usb_traffic() {
	l2ping -i $USB_HCI -c 5 $PEER_ADDR > "$T/ping" 2>&1
	hciconfig $USB_HCI name "bturblat-$1"
	hcitool -i $USB_HCI cmd 0x04 0x0001 > /dev/null
	wait_idle $PEER_HCI $USB_HCI
	sleep 0.5
}

# Three tracers on the same traffic: the default (SIGINT), -t acl (SIGTERM)
# and -D.  Every command and ACL frame sent over the USB controller is in
# its histogram, once; the summaries are clean.
t_urb() {
	_m=$1
	start_bg all "$URB" || return
	_pall=$TOOL_PID
	# -t and -D run in the default (fentry) round only: in the kprobe
	# round every extra tracer widens the window for the skips noted below
	if [ $_m != kprobe ]; then
		start_bg acl "$URB" -t acl || return
		_pacl=$TOOL_PID
		start_bg dev "$URB" -D || return
		_pdev=$TOOL_PID
		start_tool json "$URB" -j -T || return
		_pjson=$TOOL_PID
	fi
	_a0=$(tx_count $USB_HCI acl); _c0=$(tx_count $USB_HCI commands)
	[ -n "$USB2_HCI" ] && _d0=$(tx_count $USB2_HCI commands)
	usb_traffic $_m
	[ -n "$USB2_HCI" ] && hciconfig $USB2_HCI name "second-$_m" && sleep 0.5
	_acl=$(( $(tx_count $USB_HCI acl) - _a0 )); _cmd=$(( $(tx_count $USB_HCI commands) - _c0 ))
	[ -n "$USB2_HCI" ] && _cmd2=$(( $(tx_count $USB2_HCI commands) - _d0 ))
	stop_pid $_pall INT
	check_eq "$_m: exit status after SIGINT" 0 $?
	if [ $_m != kprobe ]; then
		stop_pid $_pacl TERM
		check_eq "$_m -t acl: exit status after SIGTERM" 0 $?
		stop_pid $_pdev INT
		check_eq "$_m -D: exit status after SIGINT" 0 $?
		stop_pid $_pjson INT
		check_eq "$_m -j -T: exit status after SIGINT" 0 $?
	fi
	check_detached "$_m"
	check_grep "$_m: l2ping over the USB controller: 5 replies" '5 sent, 5 received' "$T/ping"
	check_grep "$_m: banner names the attach mode" "^Tracing btusb URB latency \\($_m\\)" "$T/all.out"
	[ $_acl -ge 5 ] && ok "$_m: hciconfig counted $_acl ACL and $_cmd commands on $USB_HCI" ||
		not_ok "$_m: hciconfig counted only $_acl ACL frames"

	if [ $_m = kprobe ]; then
		# With kprobes the kernel skips a probe that fires while another
		# BPF program runs on the same CPU: dummy_hcd completes URBs from a
		# timer 1 ns after the submit, which can land inside our own
		# send-side program.  6.1 does not count those skips.  A lost
		# completion must still show: as "in flight at exit", or, when
		# the skb's address came back for a later frame before the end,
		# as "replaced" (with a line on stderr); never vanish.
		_fl=$(sfield exit "$T/all.out"); _rp=$(sfield replaced "$T/all.out")
		check_eq "$_m: ACL+CMD histogram + in flight at exit + replaced == TX acl+commands delta" \
			$((_acl + _cmd + ${_cmd2:-0})) \
			$(( $(hist_sum 'type = ACL' "$T/all.out") + $(hist_sum 'type = CMD' "$T/all.out") + _fl + _rp ))
		check_eq "$_m: sent == completed + in flight at exit + replaced" "$(sfield sent "$T/all.out")" \
			$(( $(sfield completed "$T/all.out") + _fl + _rp ))
		[ "$_fl$_rp" = 00 ] ||
			echo "# $_m: $((_fl + _rp)) completion(s) skipped by the kernel's kprobe recursion guard"
		for _f in failed errors untracked dropped; do
			check_eq "$_m: $_f" 0 "$(sfield "$_f" "$T/all.out")"
		done
		if [ "$_rp" -gt 0 ]; then
			check_grep "$_m: replaced stamps are reported on stderr" 'some URBs could not be timed' "$T/all.err"
			: > "$T/all.err"
		fi
	else
		check_eq "$_m: ACL histogram count == TX acl delta" $_acl "$(hist_sum 'type = ACL' "$T/all.out")"
		check_eq "$_m: CMD histogram count == TX commands delta (both USB controllers)" \
			$((_cmd + ${_cmd2:-0})) "$(hist_sum 'type = CMD' "$T/all.out")"
		check_eq "$_m: sent == completed" "$(sfield sent "$T/all.out")" "$(sfield completed "$T/all.out")"
		check_clean "$_m" "$T/all.out"
	fi
	check_eq "$_m: no stderr" "" "$(cat "$T/all.err")"
	[ $_m = fentry ] && sed 's/^/# /' "$T/all.out"	# a sample in the log
	[ $_m = kprobe ] && return

	check_eq "$_m -t acl: ACL histogram count == TX acl delta" $_acl "$(hist_sum 'type = ACL' "$T/acl.out")"
	check_eq "$_m -t acl: no other section" "type = ACL" "$(grep '^type = ' "$T/acl.out" | sort -u)"
	check_eq "$_m -t acl: sent == TX acl delta" $_acl "$(sfield sent "$T/acl.out")"
	check_clean "$_m -t acl" "$T/acl.out"

	check_eq "$_m -D: $USB_HCI ACL count == its TX acl delta" $_acl \
		"$(hist_sum "dev = $USB_HCI type = ACL" "$T/dev.out")"
	check_eq "$_m -D: $USB_HCI CMD count == its TX commands delta" $_cmd \
		"$(hist_sum "dev = $USB_HCI type = CMD" "$T/dev.out")"
	if [ -n "$USB2_HCI" ]; then
		check_eq "$_m -D: $USB2_HCI CMD count == its TX commands delta" $_cmd2 \
			"$(hist_sum "dev = $USB2_HCI type = CMD" "$T/dev.out")"
		check_eq "$_m -D: $USB2_HCI sent no ACL" 0 \
			"$(hist_sum "dev = $USB2_HCI type = ACL" "$T/dev.out")"
	fi
	check_eq "$_m -D: only USB controllers" "" \
		"$(grep '^dev = ' "$T/dev.out" | grep -vE "^dev = ($USB_HCI|${USB2_HCI:-none}) ")"
	check_clean "$_m -D" "$T/dev.out"

	jcheck bturblat "$T/json.out" "$_m -j -T" --kind histogram \
		--eq "ACL and CMD histograms hold the TX acl and commands deltas, in usecs" \
		"[(h['type'], h['count'], h['hist']['total'], h['hist']['unit']) for h in rows['histogram'] if h['type'] in ('ACL', 'CMD')]" \
		"[('CMD', $((_cmd + ${_cmd2:-0})), $((_cmd + ${_cmd2:-0})), 'usecs'), ('ACL', $_acl, $_acl, 'usecs')]" \
		--eq "summary: sent == completed, nothing failed or lost, no errors" \
		"[(s['sent'] == s['completed'], s['failed'], s['submit_errors'], s['in_flight'], s['untracked'], s['dropped'], s['replaced'], s['errors']) for s in rows['summary']]" \
		"[(True, 0, 0, 0, 0, 0, 0, [])]" \
		--eq "summary: sent as in the text output of the same run" \
		"[s['sent'] for s in rows['summary']]" "[$(sfield sent "$T/all.out")]"
}

# Interval mode ends by itself after the count, with the summary.
t_interval() {
	_m=$1
	check_cmd "$_m: -j 1 2 exits 0" timeout 60 "$URB" -j 1 2
	check_eq "$_m: -j 1 2 prints one summary" 1 "$(grep -c '^{"summary":' "$T/check.out")"
	check_detached "$_m interval"
}

# A command URB the device never answers: the bridge is frozen, so the
# control transfer stays in flight.  One tracer stopped then counts it in
# flight at exit; closing the controller (btusb_close kills the URBs)
# completes it with an error status for the other.
t_errors() {
	_m=$1
	_br=$(pgrep -f "btbridge usb --name btbridge" | head -1)
	[ -n "$_br" ] || { not_ok "$_m errors: no btbridge usb process"; return; }
	start_bg urb1 "$URB" -d $USB_HCI || return
	_p1=$TOOL_PID
	start_bg urb2 "$URB" -t cmd || return
	_p2=$TOOL_PID
	start_tool urbj "$URB" -j -D -m || return
	_pj=$TOOL_PID
	hcitool -i $USB_HCI cmd 0x04 0x0001 > /dev/null	# one that completes
	kill -STOP $_br
	# hcitool waits for the command's event, which never comes; btusb
	# counts the command just before it submits its URB
	_cmds=$(tx_count $USB_HCI commands)
	timeout 20 hcitool -i $USB_HCI cmd 0x04 0x0001 > /dev/null 2>&1 &
	_hc=$!
	for _i in $(seq 100); do
		[ "$(tx_count $USB_HCI commands)" -gt "$_cmds" ] && break
		sleep 0.1
	done
	sleep 0.5
	stop_pid $_p1 INT
	check_eq "$_m errors: exit status" 0 $?
	check_eq "$_m errors: the stuck command is in flight at exit" 1 "$(sfield exit "$T/urb1.out")"
	timeout 30 hciconfig $USB_HCI down
	kill -CONT $_br
	{ kill $_hc; wait $_hc; } 2>/dev/null
	stop_pid $_p2 INT
	check_eq "$_m errors: one URB completed with an error" 1 "$(sfield failed "$T/urb2.out")"
	stop_pid $_pj INT
	check_eq "$_m errors -j: exit status" 0 $?
	_st=$(sed -n "s/^completed with error: $USB_HCI CMD \(E[A-Z]*\) 1$/\1/p" "$T/urb2.out")
	jcheck bturblat "$T/urbj.out" "$_m errors -j -D -m" --kind histogram \
		--eq "the failed command: one error object, as in the text output" \
		"[(s['failed'], s['errors']) for s in rows['summary']]" \
		"[(1, [{'dev': '$USB_HCI', 'type': 'CMD', 'status': '$_st', 'count': 1}])]" \
		--eq "$USB_HCI's CMD histogram (msecs) as the text -t cmd run's" \
		"[(h['count'], h['hist']['unit']) for h in where('histogram', dev='$USB_HCI', type='CMD')]" \
		"[($(hist_sum 'type = CMD' "$T/urb2.out"), 'msecs')]" \
		--eq "that histogram is not empty (the command before the freeze)" \
		"[h['count'] > 0 for h in where('histogram', dev='$USB_HCI', type='CMD')]" "[True]"
	check_grep "$_m errors: named by status" "^completed with error: $USB_HCI CMD E[A-Z]+ 1$" "$T/urb2.out"
	sed -n 's/^completed with error/# &/p' "$T/urb2.out"
	check_eq "$_m errors: failed URB not in the histogram" \
		$(( $(sfield completed "$T/urb2.out") - 1 )) "$(hist_sum 'type = CMD' "$T/urb2.out")"
	check_eq "$_m errors: nothing in flight after the close" 0 "$(sfield exit "$T/urb2.out")"
	check_detached "$_m errors"
	for _i in $(seq 50); do
		hciconfig $USB_HCI up 2>/dev/null && break
		sleep 0.2
	done
	hciconfig $USB_HCI piscan
	check_cmd "$_m errors: the USB controller comes back up" sh -c "hciconfig $USB_HCI | grep -q UP"
}

# btacklat and bthcicredits know nothing of the transport: on the USB
# controller they must count exactly the ACL frames btusb was given.
t_other_tools() {
	_m=$1
	start_bg ack "$BUILD/btacklat" -d $USB_HCI || return
	_pack=$TOOL_PID
	start_bg cred "$BUILD/bthcicredits" -d $USB_HCI || return
	_pcred=$TOOL_PID
	_a0=$(tx_count $USB_HCI acl)
	usb_traffic $_m-other
	sleep 1.2	# bthcicredits' last 1 s interval
	_acl=$(( $(tx_count $USB_HCI acl) - _a0 ))
	stop_pid $_pack INT
	check_eq "$_m btacklat: exit status" 0 $?
	stop_pid $_pcred INT
	check_eq "$_m bthcicredits: exit status" 0 $?
	check_eq "$_m btacklat: sent == $USB_HCI TX acl delta" $_acl "$(sfield sent "$T/ack.out")"
	check_eq "$_m btacklat: acked == TX acl delta" $_acl "$(sfield acked "$T/ack.out")"
	check_eq "$_m btacklat: histogram count == TX acl delta" $_acl \
		"$(awk '/ -> / { s += $5 } END { print s + 0 }' "$T/ack.out")"
	check_eq "$_m bthcicredits: SENT == $USB_HCI TX acl delta" $_acl \
		"$(awk -v h=$USB_HCI '$1 == h && $2 == "acl" { s += $8 } END { print s + 0 }' "$T/cred.out")"
	check_eq "$_m bthcicredits: ACKED == TX acl delta" $_acl \
		"$(awk -v h=$USB_HCI '$1 == h && $2 == "acl" { s += $9 } END { print s + 0 }' "$T/cred.out")"
	check_detached "$_m other tools"
}

# ---- before the test bed: the tool must refuse, in one line ----
modprobe -r btusb 2>/dev/null
"$URB" > "$T/e.out" 2> "$T/e.err"
check_eq "btusb not loaded: exit 1" 1 $?
check_grep "btusb not loaded: says so" 'btusb module is not loaded' "$T/e.err"
check_eq "btusb not loaded: one line, no histogram" "1 0" "$(wc -l < "$T/e.err") $(wc -l < "$T/e.out")"
if modprobe btusb 2>/dev/null; then
	"$URB" > "$T/e.out" 2> "$T/e.err"
	check_eq "no USB controller: exit 1" 1 $?
	check_grep "no USB controller: says so" 'no USB Bluetooth controller' "$T/e.err"
	check_eq "no USB controller: one line, no histogram" "1 0" "$(wc -l < "$T/e.err") $(wc -l < "$T/e.out")"
fi

# Two UDCs: the second carries a second USB controller for -D.
modprobe dummy_hcd num=2 2>/dev/null
eval "$(sh tests/vm/usb-setup.sh)" || { not_ok "usb-setup.sh failed: $(tail -5 /tmp/btbridge-usb.log)"; finish; }
ok "test bed came up: USB $USB_HCI, peer $PEER_HCI"
check_eq "USB controller is driven by btusb" btusb \
	"$(basename "$(readlink /sys/class/bluetooth/$USB_HCI/device/driver)")"

USB2_HCI=
_before=$(ls /sys/class/bluetooth)
build/tests/btbridge usb --name other --udc dummy_udc.1 > /tmp/btbridge-usb2.out 2> /tmp/btbridge-usb2.log &
for _i in $(seq 100); do
	USB2_HCI=$(ls /sys/class/bluetooth | grep -vxF "$_before" | head -1)
	[ -n "$USB2_HCI" ] && [ "$(hciconfig $USB2_HCI | awk '/BD Address/ { print $3 }')" != 00:00:00:00:00:00 ] && break
	sleep 0.2
done
if [ -n "$USB2_HCI" ] && { hciconfig $USB2_HCI up 2>/dev/null || hciconfig $USB2_HCI | grep -q UP; }; then
	ok "second USB controller $USB2_HCI up"
else
	skip "no second USB controller: $(tail -3 /tmp/btbridge-usb2.log)"
	USB2_HCI=
fi

"$URB" -d $PEER_HCI > "$T/e.out" 2> "$T/e.err"
check_eq "-d on the vhci controller: exit 1" 1 $?
check_eq "-d on the vhci controller: one line" 1 "$(wc -l < "$T/e.err")"

wait_idle $PEER_HCI $USB_HCI
# The default choice must be fentry on this kernel (the banner check in
# t_urb says so); then kprobes, forced.  The guest run has 600 s: the
# interval mode and the other tools run once, with the default.
t_urb fentry
t_interval fentry
t_other_tools fentry
BTBPF_ATTACH=kprobe t_urb kprobe
t_errors fentry
jcoverage bturblat
