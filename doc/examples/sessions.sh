# The sessions shown in doc/examples/<tool>.txt, captured in one guest boot.
# Run by doc/examples/make.sh as "sh tests/vm/guest-test.sh
# doc/examples/sessions.sh" (lib.sh loaded).  Prints each session between
# "@@BEGIN name@@" and "@@END name@@": the command as typed, then what it
# printed, with "^C" where SIGINT (Ctrl-C) was sent.

# traffic for a session: l2test sends 5 frames of 200 bytes hci0 -> hci1
tr_l2() { l2test_pair 5 200; sleep 1.2; }
tr_l2big() { l2test_pair 20 600; sleep 1.2; }
tr_none() { sleep 2; }

# A slow reader on hci1: tests/vm/l2recv sleeps 300 ms (once a frame is
# queued) before each of its 5 recvs of the 5 frames of 600 bytes l2test
# sends from hci0.
tr_slowread() {
	"$BUILD/tests/l2recv" -i "$ADDR1" -P 4115 -n 5 -w 300 > "$T/l2recv.log" 2>&1 &
	_r=$!
	until grep -q '^listening' "$T/l2recv.log"; do sleep 0.05; done
	l2test -s -i hci0 -P 4115 -N 5 -b 600 -g 3000 "$ADDR1" > /dev/null 2>&1
	wait $_r
	sleep 1.2
}

# A non-blocking sender with a 2 KB send buffer, 30 x 600 bytes in a row:
# the emulated controller has one ACL buffer, so most get EAGAIN.
tr_eagain() {
	l2test -d -i hci1 -P 4113 > /dev/null 2>&1 &
	_d=$!
	sleep 0.5
	/usr/bin/python3 - "$ADDR1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2048)
s.connect((sys.argv[1], 4113))
s.setblocking(False)
for i in range(30):
    try:
        s.send(b"x" * 600)
    except BlockingIOError:
        pass
time.sleep(0.5)
s.close()
PY
	sleep 0.5
	kill $_d 2>/dev/null; wait $_d 2>/dev/null
}

# Two services in cgroups of their own (made here, as systemd would):
# a.service sends 3 frames of 200 bytes, b.service 8, at the same time.
tr_cg() {
	_cg=/sys/fs/cgroup
	grep -q "^[^ ]* $_cg cgroup2 " /proc/mounts || mount -t cgroup2 none $_cg
	mkdir -p $_cg/example.slice/a.service $_cg/example.slice/b.service
	l2test -r -i hci1 -P 4113 > /dev/null 2>&1 &
	_srv=$!
	sleep 0.5
	for _c in a:3 b:8; do
		sh -c 'echo $$ > "$1/cgroup.procs" && exec l2test -s -i hci0 -P 4113 -N "$2" -b 200 -g 1000 "$3"' \
			sh $_cg/example.slice/${_c%:*}.service ${_c#*:} "$ADDR1" > /dev/null 2>&1 &
	done
	sleep 3
	kill $_srv 2>/dev/null; wait $_srv 2>/dev/null
	sleep 1.2
}

# USB controller: an l2ping of 5 echoes and two HCI commands
tr_usb() {
	l2ping -i $USB_HCI -c 5 $PEER_ADDR > /dev/null 2>&1
	hciconfig $USB_HCI name example
	hcitool -i $USB_HCI cmd 0x04 0x0001 > /dev/null
	sleep 1
}

# USB controller: l2send sends one frame of 100 bytes to the peer 2.5 s
# after connecting; the bridge is stopped from 0.5 s to 4.5 s after, so its
# bulk-OUT URB waits (btpktlat's usb stage); then 3 sends that are not.
tr_usb_held() {
	_br=$(pgrep -f "btbridge usb --name btbridge" | head -1)
	l2test -r -i $PEER_HCI -P 4113 > /dev/null 2>&1 &
	_srv=$!
	sleep 0.5
	"$BUILD/tests/l2send" -i $USB_ADDR -n 1 -b 100 -d 2500 $PEER_ADDR > "$T/send.log" 2>&1 &
	_snd=$!
	wait_line "$T/send.log" '^connected' 30
	sleep 0.5
	kill -STOP $_br
	sleep 4
	kill -CONT $_br
	wait $_snd
	sleep 1
	"$BUILD/tests/l2send" -i $USB_ADDR -n 3 -b 100 $PEER_ADDR > /dev/null 2>&1
	sleep 1
	kill $_srv 2>/dev/null; wait $_srv 2>/dev/null
	wait_idle $PEER_HCI
}

# show NAME TOOL ARGS...: the command line as typed at a root prompt
begin() { echo "@@BEGIN $1@@"; shift; echo "# $*"; }
end() { cat "$T/s.err"; echo "@@END@@"; }

# session NAME TRAFFIC TOOL ARGS...: run the tool, make the traffic,
# then Ctrl-C.
session() {
	_s=$1 _tr=$2; shift 2
	_tool=$1; shift
	start_tool s "$BUILD/$_tool" "$@" || return
	$_tr
	_sz=$(wc -c < "$T/s.out")
	stop_tool INT
	# a banner still in the stdio buffer came before the ^C
	_b=$(head -1 "$T/s.out" | wc -c)
	grep -q '^Tracing' "$T/s.out" && [ "$_sz" -lt "$_b" ] && _sz=$_b
	begin "$_s" "$_tool" "$@"
	head -c "$_sz" "$T/s.out"; echo "^C"; tail -c +$((_sz + 1)) "$T/s.out"
	end
}

# timed NAME TRAFFIC TOOL ARGS...: the tool ends by itself (interval count)
timed() {
	_s=$1 _tr=$2; shift 2
	_tool=$1; shift
	start_tool s "$BUILD/$_tool" "$@" || return
	$_tr
	wait $TOOL_PID
	begin "$_s" "$_tool" "$@"
	cat "$T/s.out"
	end
}

help() {
	begin "$1-help" "$1" --help
	"$BUILD/$1" --help 2>&1
	echo "@@END@@"
}

bt_setup
echo "guest: $(uname -r), hci0 $ADDR0 -> hci1 $ADDR1" >&2

session snoop-default tr_l2 btsnoop-sock
session snoop-a tr_l2 btsnoop-sock -a
session snoop-L tr_l2 btsnoop-sock -T -L -P l2cap
session snoop-c tr_l2 btsnoop-sock -c
session snoop-cG tr_cg btsnoop-sock -c -G
session snoop-x tr_eagain btsnoop-sock -x
session snoop-j tr_l2 btsnoop-sock -j -P l2cap
help btsnoop-sock

session ack-default tr_l2big btacklat
session ack-C tr_l2big btacklat -C
timed ack-interval tr_l2big btacklat -T -d hci0 2 2
help btacklat

session pkt-default tr_l2big btpktlat -d hci0
session pkt-M tr_l2big btpktlat -M 0 -d hci0
session pkt-rM tr_slowread btpktlat -r -M 0 -d hci1
help btpktlat

session cred-default tr_l2big bthcicredits
session cred-e tr_l2 bthcicredits -e -d hci0
session cred-H tr_l2big bthcicredits -H -d hci0
help bthcicredits

session wmem-default tr_eagain btwmem
session wmem-percent tr_eagain btwmem -%
session wmem-S tr_l2big btwmem -S
session wmem-G tr_cg btwmem -G
help btwmem

# bturblat needs a controller driven by btusb: the USB test bed instead.
kill $BTVIRT_PID; wait $BTVIRT_PID 2>/dev/null
sleep 1
if [ -x "$BUILD/bturblat" ] && eval "$(sh tests/vm/usb-setup.sh)"; then
	echo "guest: USB controller $USB_HCI -> peer $PEER_HCI $PEER_ADDR" >&2
	session urb-default tr_usb bturblat
	session urb-D tr_usb bturblat -D
	session urb-t tr_usb bturblat -t acl -m
	help bturblat
	session pkt-usb-M tr_usb_held btpktlat -M 0 -d $USB_HCI
fi
