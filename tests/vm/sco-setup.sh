#!/bin/sh
# In the test guest: bring up two BR/EDR controllers that can carry SCO.
#   - PEER: a vhci controller of btvirt itself (btvirt -l1);
#   - SCO:  a btbridge vhci controller on btvirt's /tmp/bt-server-bredrle,
#           reporting SCO MTU 64 / 8 packets and echoing SCO frames back.
# Both live in the same btvirt process, so they can connect to each other.
# Both are up with page and inquiry scan: on the 6.1 guest kernel, an
# l2ping to a btvirt controller that does not page-scan crashes the kernel
# (list corruption in hci_chan_del when the failed socket is released).
# btvirt gives every ACL link handle 42, so a controller holds one ACL link
# at a time: wait for bt_idle on the peer before linking another controller.
#
# Prints shell assignments on stdout (eval them):
#   SCO_HCI=hci1 SCO_ADDR=00:AA:01:01:00:42 PEER_HCI=hci0 PEER_ADDR=...
# Logs: /tmp/btvirt.log, /tmp/btbridge-vhci.log.  BTBRIDGE overrides the
# bridge binary (default: build/tests/btbridge, built if missing).
# usb-setup.sh sources this script: it builds on the same test bed.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# Wait up to ~20 s (TCG is slow) for a command to succeed.
bt_wait() {
	_n=0
	until "$@" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 200 ] || { echo "setup: timed out: $*" >&2; return 1; }
		sleep 0.1
	done
}

bt_hcis() { ls /sys/class/bluetooth 2>/dev/null | grep -E '^hci[0-9]+$' || true; }

# The hci that is in `bt_hcis` now but not in $1.
bt_new_hci() {
	for h in $(bt_hcis); do
		echo "$1" | grep -qx "$h" || { echo "$h"; return 0; }
	done
	return 1
}

bt_addr() { hciconfig "$1" | awk '/BD Address/ { print $3 }'; }

# Init is over once the controller's address was read.  Bringing a
# half-initialised controller up races the kernel's own power-on (it once
# crashed the guest with a USB controller), so wait for this first.
bt_inited() { a=$(bt_addr "$1"); [ -n "$a" ] && [ "$a" != 00:00:00:00:00:00 ]; }

# hciconfig up fails with EALREADY while the automatic power-on runs.
bt_up() {
	bt_wait bt_inited "$1"
	bt_wait sh -c "hciconfig $1 up 2>/dev/null; hciconfig $1 | grep -q UP"
	[ $# -lt 2 ] || hciconfig "$1" "$2"
}

# No connection left (links drop ~2 s after their last user is gone).
bt_idle() { [ -z "$(hcitool -i "$1" con | tail -n +2)" ]; }

bt_build() {	# binary source [gcc flags]
	[ -x "$1" ] && [ "$1" -nt "$2" ] && return 0
	mkdir -p "$(dirname "$1")"
	gcc -O2 -Wall -Wextra -o "$1" "$2" ${3:-}
}

BTBRIDGE=${BTBRIDGE:-$ROOT/build/tests/btbridge}
bt_build "$BTBRIDGE" "$HERE/btbridge.c" -pthread

modprobe -a bluetooth hci_vhci algif_hash algif_skcipher cmac ecb

before=$(bt_hcis)
# -s: H:4 server sockets in /tmp; -l1: one vhci controller of its own.
btvirt -s -l1 >/tmp/btvirt.log 2>&1 &
bt_wait test -S /tmp/bt-server-bredrle
bt_wait bt_new_hci "$before" >/dev/null
PEER_HCI=$(bt_new_hci "$before")

# The bridge prints its controller's name once vhci created it.
"$BTBRIDGE" vhci >/tmp/btbridge-vhci.out 2>/tmp/btbridge-vhci.log &
bt_wait grep -q '^hci' /tmp/btbridge-vhci.out
SCO_HCI=$(grep -m1 '^hci' /tmp/btbridge-vhci.out)

bt_up "$PEER_HCI" piscan
bt_up "$SCO_HCI" piscan
echo "SCO_HCI=$SCO_HCI SCO_ADDR=$(bt_addr "$SCO_HCI")" \
	"PEER_HCI=$PEER_HCI PEER_ADDR=$(bt_addr "$PEER_HCI")"
