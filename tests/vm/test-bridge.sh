#!/bin/sh
# Host-side test of tests/vm/btbridge.c: boots the guest once and checks
#   - the vhci bridge gives an SCO-capable controller: SCO frames written
#     to an SCO socket reach the driver (hciconfig's TX sco counter) and
#     come back (the bridge echoes them);
#   - the usb bridge gives a controller that btusb drives: the driver link
#     in sysfs is btusb, and l2ping works both ways with a vhci controller.
# Prints "ok - ..." / "not ok - ..." lines, then "N passed, N failed".
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/tests
cd "$ROOT"

build() {	# binary source [gcc flags]
	[ -x "$1" ] && [ "$1" -nt "$2" ] && return 0
	mkdir -p "$OUT"
	gcc -O2 -Wall -Wextra -o "$1" "$2" ${3:-}
}
build "$OUT/btbridge" tests/vm/btbridge.c -pthread
build "$OUT/scosend" tests/vm/scosend.c

LOG=$(mktemp "${TMPDIR:-/tmp}/btbridge-test.XXXXXX")
trap 'rm -f "$LOG" "$LOG.out" "$LOG.err"' EXIT INT TERM

# The guest side prints "key=value" lines for the checks below.
tests/vm/run.sh '
set -u
wait_idle() {
	n=0
	while [ -n "$(hcitool -i $1 con | tail -n +2)" ] && [ $n -lt 100 ]; do
		sleep 0.2; n=$((n + 1))
	done
}
sco_count() { hciconfig "$1" | sed -n "s/.*$2 bytes:[0-9]* acl:[0-9]* sco:\([0-9]*\).*/\1/p"; }
eval "$(sh tests/vm/usb-setup.sh)" || { echo "setup=failed"; exit 1; }
echo "sco_hci=$SCO_HCI usb_hci=$USB_HCI peer_hci=$PEER_HCI"
echo "sco_mtu=$(hciconfig $SCO_HCI | sed -n "s/.*SCO MTU: \([0-9]*:[0-9]*\).*/\1/p")"

tx0=$(sco_count $SCO_HCI TX); rx0=$(sco_count $SCO_HCI RX)
build/tests/scosend -i $SCO_ADDR -n 20 -s 48 $PEER_ADDR | sed "s/^/sco48: /"
build/tests/scosend -i $SCO_ADDR -n 10 -s 64 $PEER_ADDR | sed "s/^/sco64: /"
echo "sco_tx=$(( $(sco_count $SCO_HCI TX) - tx0 ))"
echo "sco_rx=$(( $(sco_count $SCO_HCI RX) - rx0 ))"

# btvirt gives every ACL link handle 42: let the link of the SCO test to the
# peer drop before the USB controller links to it.
wait_idle $PEER_HCI
echo "usb_driver=$(basename "$(readlink /sys/class/bluetooth/$USB_HCI/device/driver)")"
l2ping -i $USB_HCI -c 5 $PEER_ADDR | sed "s/^/ping_usb: /"
# A new link: the one left by the last ping is dropped by its initiator
# ~2 s later, which would reset a ping that reused it.
wait_idle $PEER_HCI
l2ping -i $PEER_HCI -c 5 $USB_ADDR | sed "s/^/ping_peer: /"
echo "guest=done"
# The guest powers off right after us: give the serial console time to
# drain, or the last lines can be lost.
sleep 2
' >"$LOG.out" 2>"$LOG.err" || echo "(guest exit status $?)" >>"$LOG.err"
# Separate files: run.sh's qemu writes the guest stderr through its own
# (appending) open of /dev/stderr, which a shared "2>&1" file would let the
# stdout writes overwrite.  The guest serial line may turn LF into CR LF.
cat "$LOG.out" "$LOG.err" | tr -d '\r' >"$LOG"
rm -f "$LOG.out" "$LOG.err"

passed=0 failed=0
check() {	# description, then a command that must succeed
	desc=$1; shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $desc"; passed=$((passed + 1))
	else
		echo "not ok - $desc"; failed=$((failed + 1))
	fi
}
has() { grep -qx -- "$1" "$LOG"; }

check "test bed came up" grep -q '^sco_hci=hci' "$LOG"
check "bridged vhci controller reports SCO MTU 64:8" has 'sco_mtu=64:8'
check "20 SCO frames of 48 bytes written" has 'sco48: sent 20 frames of 48 bytes'
check "20 SCO frames of 48 bytes read back" has 'sco48: received 20 frames'
check "10 SCO frames of 64 bytes written" has 'sco64: sent 10 frames of 64 bytes'
check "10 SCO frames of 64 bytes read back" has 'sco64: received 10 frames'
check "driver counted 30 SCO frames sent" has 'sco_tx=30'
check "driver counted 30 SCO frames received" has 'sco_rx=30'
check "USB controller is driven by btusb" has 'usb_driver=btusb'
check "l2ping from the USB controller: 5 replies" \
	has 'ping_usb: 5 sent, 5 received, 0% loss'
check "l2ping to the USB controller: 5 replies" \
	has 'ping_peer: 5 sent, 5 received, 0% loss'
check "guest script ran to the end" has 'guest=done'

if [ "$failed" -gt 0 ]; then
	echo "--- guest output"
	cat "$LOG"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
