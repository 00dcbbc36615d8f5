# The "floor" of each tool for bench/guest.sh and bench/startup.sh (sourced):
# the functions it hooks, for bench/emptyprobe to put empty programs on
# (a trailing + adds a kretprobe).  Only what this kernel has.
present() { grep -qE " $1([[:space:]]|\$)" /proc/kallsyms; }

# floor_of TOOL: its list, on one line
floor_of() {
	_fl=
	case $1 in
	btsnoop-sock)
		for _f in l2cap sco hci rfcomm iso; do
			for _d in send recv; do
				present ${_f}_sock_${_d}msg && _fl="$_fl ${_f}_sock_${_d}msg+"
			done
		done ;;
	btwmem)
		for _f in l2cap_sock_sendmsg sco_sock_sendmsg iso_sock_sendmsg sock_alloc_send_pskb; do
			present $_f && _fl="$_fl $_f+"
		done ;;
	bthcicredits)
		_fl="hci_tx_work+ hci_num_comp_pkts_evt+ hci_conn_del+ hci_send_frame" ;;
	btacklat)
		_fl="hci_send_frame hci_num_comp_pkts_evt hci_conn_del" ;;
	btpktlat)
		_fl="l2cap_sock_sendmsg+ hci_send_acl hci_send_frame hci_num_comp_pkts_evt hci_conn_del"
		for _f in iso_sock_sendmsg sco_sock_sendmsg; do
			present $_f && _fl="$_fl $_f+"
		done
		for _f in hci_send_iso hci_send_sco btusb_send_frame btusb_send_frame_intel \
			btusb_send_frame_mtk btusb_tx_complete btusb_isoc_tx_complete; do
			present $_f && _fl="$_fl $_f"
		done ;;
	bturblat)
		for _f in btusb_send_frame btusb_send_frame_intel btusb_send_frame_mtk; do
			present $_f && _fl="$_fl $_f+"
		done
		for _f in btusb_tx_complete btusb_isoc_tx_complete; do
			present $_f && _fl="$_fl $_f"
		done ;;
	esac
	echo $_fl
}

# fentry_floor_of TOOL: the same for bench/emptyf, with the programs the
# tool loads in fentry mode: a trailing - is an fexit program alone, where
# the tool's fexit reads the arguments too and needs no entry program
fentry_floor_of() {
	case $1 in
	btwmem) floor_of $1 | sed 's/_sock_sendmsg+/_sock_sendmsg-/g' ;;
	*) floor_of $1 ;;
	esac
}
