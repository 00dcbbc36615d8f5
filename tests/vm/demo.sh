#!/bin/sh
# Runs one tool for real in the guest against live emulated Bluetooth
# traffic, and shows what it printed.
#   tests/vm/demo.sh [tool [options...]]      default: btsnoop-sock -a
# The guest gets two connected virtual controllers (BlueZ's btvirt); the
# tool is started, l2test sends 10 frames of 200 bytes from hci0 to hci1,
# then the tool gets Ctrl-C (SIGINT).
set -eu
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- btsnoop-sock -a
[ -x "build/$1" ] || { echo "demo: build/$1 not built (run make)" >&2; exit 1; }
cat > build/demo-guest.sh <<GUEST
. tests/vm/lib.sh
bt_setup
echo "guest: \$(uname -r), controllers hci0 \$ADDR0 and hci1 \$ADDR1" >&2
start_tool demo build/$*
echo "guest: l2test sends 10 x 200 bytes hci0 -> hci1" >&2
l2test_pair 10 200
stop_tool INT
cat "\$T/demo.out"; cat "\$T/demo.err" >&2
finish
GUEST
exec tests/vm/run.sh 'sh build/demo-guest.sh'
