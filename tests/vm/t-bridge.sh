# The test bed's own controllers (tests/vm/btbridge.c), in one guest boot:
#  - the vhci bridge gives an SCO-capable controller: SCO frames written to
#    an SCO socket reach the driver (hciconfig's TX sco counter) and come
#    back (the bridge echoes them);
#  - the usb bridge gives a controller that btusb drives: the driver link
#    in sysfs is btusb, and l2ping works both ways with a vhci controller.
# Sourced by guest-test.sh (helpers in lib.sh).

sco_count() { hciconfig "$1" | sed -n "s/.*$2 bytes:[0-9]* acl:[0-9]* sco:\([0-9]*\).*/\1/p"; }

if ! modprobe -a bluetooth hci_vhci dummy_hcd 2>/dev/null; then
	skip "this kernel has no Bluetooth or dummy_hcd"
	finish
fi
eval "$(sh tests/vm/usb-setup.sh)" || { not_ok "usb-setup.sh failed: $(tail -5 /tmp/btbridge-usb.log)"; finish; }
ok "test bed came up: SCO $SCO_HCI, USB $USB_HCI, peer $PEER_HCI"
check_eq "bridged vhci controller reports SCO MTU 64:8" "64:8" \
	"$(hciconfig $SCO_HCI | sed -n 's/.*SCO MTU: \([0-9]*:[0-9]*\).*/\1/p')"

tx0=$(sco_count $SCO_HCI TX); rx0=$(sco_count $SCO_HCI RX)
$BUILD/tests/scosend -i $SCO_ADDR -n 20 -s 48 $PEER_ADDR > "$T/sco48" 2>&1
$BUILD/tests/scosend -i $SCO_ADDR -n 10 -s 64 $PEER_ADDR > "$T/sco64" 2>&1
check_grep "20 SCO frames of 48 bytes written" '^sent 20 frames of 48 bytes$' "$T/sco48"
check_grep "20 SCO frames of 48 bytes read back" '^received 20 frames$' "$T/sco48"
check_grep "10 SCO frames of 64 bytes written" '^sent 10 frames of 64 bytes$' "$T/sco64"
check_grep "10 SCO frames of 64 bytes read back" '^received 10 frames$' "$T/sco64"
check_eq "driver counted 30 SCO frames sent" 30 $(( $(sco_count $SCO_HCI TX) - tx0 ))
check_eq "driver counted 30 SCO frames received" 30 $(( $(sco_count $SCO_HCI RX) - rx0 ))

# btvirt gives every ACL link handle 42: let the SCO test's link drop first.
wait_idle $PEER_HCI
check_eq "USB controller is driven by btusb" btusb \
	"$(basename "$(readlink /sys/class/bluetooth/$USB_HCI/device/driver)")"
l2ping -i $USB_HCI -c 5 $PEER_ADDR > "$T/ping1" 2>&1
check_grep "l2ping from the USB controller: 5 replies" '5 sent, 5 received, 0% loss' "$T/ping1"
# a new link: the last ping's link is dropped by its initiator ~2 s later
wait_idle $PEER_HCI
l2ping -i $PEER_HCI -c 5 $USB_ADDR > "$T/ping2" 2>&1
check_grep "l2ping to the USB controller: 5 replies" '5 sent, 5 received, 0% loss' "$T/ping2"
