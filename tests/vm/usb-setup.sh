#!/bin/sh
# In the test guest: everything sco-setup.sh brings up (btvirt, its vhci
# PEER, the SCO-capable bridge), plus a USB controller driven by btusb:
# btbridge usb presents a FunctionFS gadget on dummy_hcd shaped like a
# Bluetooth dongle (class e0/01/01) and relays it to btvirt's
# /tmp/bt-server-bredrle.
#
# Prints shell assignments on stdout (eval them), the sco-setup.sh line and:
#   USB_HCI=hci2 USB_ADDR=00:AA:01:02:00:42
# Log: /tmp/btbridge-usb.log.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/sco-setup.sh"

modprobe -a dummy_hcd libcomposite usb_f_fs btusb

before=$(bt_hcis)
"$BTBRIDGE" usb --name btbridge ${BTBRIDGE_USB_OPTS:-} >/tmp/btbridge-usb.out 2>/tmp/btbridge-usb.log &
# btusb binds, registers hciN and the kernel powers it on by itself.
bt_wait bt_new_hci "$before" >/dev/null
USB_HCI=$(bt_new_hci "$before")
bt_up "$USB_HCI" piscan
echo "USB_HCI=$USB_HCI USB_ADDR=$(bt_addr "$USB_HCI")"
