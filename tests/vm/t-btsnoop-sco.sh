# btsnoop-sock on SCO sockets: frames written through the SCO-capable
# controller of the test bed (tests/vm/btbridge.c advertises SCO buffers and
# echoes SCO frames back).  Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
SCOSEND=$BUILD/tests/scosend

sco_bed

for mode in fentry kprobe; do
	export BTBPF_ATTACH=$mode
	start_tool sco "$SNOOP" -P sco -a || continue
	"$SCOSEND" -i "$SCO_ADDR" -n 20 -s 48 "$PEER_ADDR" > "$T/scosend.out" 2>&1 &
	SP=$!
	wait $SP
	sleep 0.5
	stop_tool INT
	check_eq "$mode: SIGINT exits 0" 0 $?
	check_grep "$mode: scosend sent 20 frames" '^sent 20 frames of 48 bytes$' "$T/scosend.out"
	check_eq "$mode: 20 SCO W lines of 48 bytes from scosend's PID" 20 \
		"$(awk -v p=$SP '$1 == p && $2 == "scosend" && $3 == "SCO" && $4 == "W" && $5 == 48 && $6 == 48' "$T/sco.out" | wc -l)"
	got=$(sed -n 's/^received \([0-9]*\) frames$/\1/p' "$T/scosend.out")
	check_eq "$mode: R lines == the echoed frames scosend read" "${got:-?}" \
		"$(awk -v p=$SP '$1 == p && $3 == "SCO" && $4 == "R" && $5 > 0' "$T/sco.out" | wc -l)"
	check_grep "$mode: -a shows the SCO peer and handle" \
		"^$SP +scosend +SCO +W +48 +48 +$PEER_ADDR +[0-9]+ +-\$" "$T/sco.out"
	check_eq "$mode: -P sco shows no other protocol" 0 \
		"$(awk '$1 ~ /^[0-9]+$/ && $3 != "SCO"' "$T/sco.out" | wc -l)"
	check_detached "$mode"
	sleep 1
done
