# --openmetrics of btsnoop-sock, btacklat, btwmem, bthcicredits and btpktlat under
# real L2CAP traffic (bturblat: t-openmetrics-usb.sh): the files read back through
# Debian's node_exporter (textfile collector) over HTTP, accepted by
# promtool, cumulative over two rounds of traffic; then a Prometheus server
# scraping that node_exporter answers increase() and histogram_quantile().
# Every server is started here, on 127.0.0.1, and stopped here.
# Sourced by guest-test.sh (helpers in lib.sh).
SNOOP=$BUILD/btsnoop-sock
ACK=$BUILD/btacklat
N=20; B=100
OMDIR=$T/textfile
SOCK_CALLS='btbpf_sock_sendmsg_calls_total{proto="l2cap"}'
SOCK_RBYTES='btbpf_sock_recvmsg_bytes_total{proto="l2cap"}'
ACK_COUNT='btbpf_ack_latency_seconds_count{dev="hci0"}'
WMEM_SENDS='btbpf_wmem_sends_total{proto="l2cap"}'
WMEM_COUNT='btbpf_wmem_bytes_count{proto="l2cap"}'
CRED_SENT='btbpf_hci_credits_sent_total{dev="hci0",type="acl"}'
CRED_ACKED='btbpf_hci_credits_acked_total{dev="hci0",type="acl"}'
PKT_SOCK='btbpf_pkt_stage_seconds_count{dev="hci0",stage="sock"}'
PKT_ACK='btbpf_pkt_stage_seconds_count{dev="hci0",stage="ack"}'

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS: until URL answers 200
wait_http() {
	for _i in $(seq $(($2 * 2))); do
		curl -sf --max-time 5 "$1" > /dev/null && return 0
		sleep 0.5
	done
	return 1
}

start_node_exporter() {
	NE_PORT=$(free_port)
	prometheus-node-exporter --web.listen-address=127.0.0.1:$NE_PORT \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$OMDIR" > "$T/ne.log" 2>&1 &
	NE_PID=$!
	wait_http "http://127.0.0.1:$NE_PORT/metrics" 60 ||
		{ not_ok "node_exporter did not answer: $(tail -3 "$T/ne.log")"; return 1; }
}

# scrape: node_exporter's /metrics into $T/scrape; mval NAME{LABELS}: a value
# there (node_exporter keeps our label order: one label each here)
# (and keeps a copy of each version of the files, for promtool)
scrape() {
	for _f in "$OMDIR"/*.prom; do
		[ -e "$_f" ] && cp "$_f" "$T/versions/$(basename "$_f").$(md5sum < "$_f" | cut -c1-8)"
	done
	[ -e "$OMDIR/bthcicredits.prom" ] && stat -c %Y "$OMDIR/bthcicredits.prom" >> "$T/mtimes.cred"
	curl -sf --max-time 10 "http://127.0.0.1:$NE_PORT/metrics" > "$T/scrape"
}
mval() { awk -v m="$1" '$1 == m { print $2 }' "$T/scrape"; }

# wait_metric NAME{LABELS} VALUE SECONDS: scrapes until the metric reads
# VALUE; every value read goes to $T/series.NAME (for the no-reset check);
# prints the last one
wait_metric() {
	_s=$T/series.$(echo "$1" | tr -c 'a-z_\n' _)
	for _i in $(seq $(($3 * 2))); do
		scrape && _v=$(mval "$1")
		[ -n "$_v" ] && echo "$_v" >> "$_s"
		[ "$_v" = "$2" ] && break
		sleep 0.5
	done
	echo "$_v"
}

# never_reset NAME{LABELS}: the values read by wait_metric never went down
never_reset() {
	_s=$T/series.$(echo "$1" | tr -c 'a-z_\n' _)
	if sort -n -c "$_s" 2>/dev/null; then ok "$1 never went down ($(tr '\n' ' ' < "$_s"))"
	else not_ok "$1 went down: $(tr '\n' ' ' < "$_s")"; fi
}

# promql QUERY: the first result's value from the Prometheus HTTP API
promql() {
	curl -sf --max-time 10 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")'
}

# wait_promql QUERY VALUE SECONDS: until the server answers VALUE (it
# scrapes every second); prints the last answer
wait_promql() {
	for _i in $(seq $(($3 * 2))); do
		_v=$(promql "$1")
		[ "$_v" = "$2" ] && break
		sleep 0.5
	done
	echo "$_v"
}

start_prometheus() {
	PROM_PORT=$(free_port)
	cat > "$T/prom.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: node
    static_configs: [ { targets: [ "127.0.0.1:$NE_PORT" ] } ]
EOF
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
		--web.listen-address=127.0.0.1:$PROM_PORT > "$T/prom.log" 2>&1 &
	PROM_PID=$!
	wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 120 ||
		{ not_ok "prometheus did not get ready: $(tail -3 "$T/prom.log")"; return 1; }
	# until it has scraped node_exporter with our series in it
	[ "$(wait_promql "$SOCK_CALLS" 0 60)" = 0 ] && return 0
	not_ok "prometheus never scraped $SOCK_CALLS = 0: $(tail -3 "$T/prom.log")"
	return 1
}

# The text histogram's median bucket in seconds, "LO HI": the row where the
# running count reaches half the total (the bucket histogram_quantile(0.5)
# interpolates in: rank 0.5 * count), from its low bound to its high bound
# + 1 (usecs).
median_bucket() {
	awk '/ -> / { lo[n] = $1; hi[n] = $3 + 1; c[n++] = $5; t += $5 }
	     END { for (i = 0; i < n; i++) { s += c[i]; if (s >= t / 2) break }
		   printf "%g %g\n", lo[i] / 1e6, hi[i] / 1e6 }' "$1"
}

# Two rounds of N sends: after each, the exported counters (read through
# node_exporter) equal everything since the start; btsnoop-sock writes every
# 2 s (-i 2); btacklat, btwmem and bthcicredits every 15 s (the default
# without an interval; bthcicredits' table stays every second).
t_two_rounds() {
	start_bg ack "$ACK" -d hci0 --openmetrics "$OMDIR/btacklat.prom" || return 1
	ACK_PID=$TOOL_PID
	start_tool sock "$SNOOP" -c -i 2 -P l2cap -q --openmetrics "$OMDIR/btsnoop.prom" || return 1
	SOCK_PID=$TOOL_PID
	start_tool wmem "$BUILD/btwmem" -q --openmetrics "$OMDIR/btwmem.prom" || return 1
	WMEM_PID=$TOOL_PID
	start_tool cred "$BUILD/bthcicredits" -d hci0 --openmetrics "$OMDIR/bthcicredits.prom" || return 1
	CRED_PID=$TOOL_PID
	start_bg pkt "$BUILD/btpktlat" -d hci0 --openmetrics "$OMDIR/btpktlat.prom" || return 1
	PKT_PID=$TOOL_PID
	check_eq "files exist at zero once attached" "0" "$(wait_metric "$SOCK_CALLS" 0 10)"
	[ -n "${WITH_PROM:-}" ] && start_prometheus && PROM_OK=1
	_acl0=$(tx_acl hci0)
	l2test_pair $N $B
	check_eq "round 1: $SOCK_CALLS via node_exporter == N" $N "$(wait_metric "$SOCK_CALLS" $N 20)"
	l2test_pair $N $B
	ACL=$(( $(tx_acl hci0) - _acl0 ))
	check_eq "round 2: $SOCK_CALLS == 2N (cumulative)" $((2 * N)) \
		"$(wait_metric "$SOCK_CALLS" $((2 * N)) 20)"
	check_eq "round 2: $SOCK_RBYTES == 2N*B" $((2 * N * B)) \
		"$(wait_metric "$SOCK_RBYTES" $((2 * N * B)) 20)"
	never_reset "$SOCK_CALLS"
	check_eq "$ACK_COUNT == hciconfig TX acl delta (15 s default interval)" \
		$ACL "$(wait_metric "$ACK_COUNT" $ACL 40)"
	check_eq "btbpf_ack_sent_packets_total{dev=\"hci0\"} == TX acl delta" $ACL \
		"$(mval 'btbpf_ack_sent_packets_total{dev="hci0"}')"
	check_eq "btbpf_ack_unmatched_total{dev=\"hci0\"}" 0 "$(mval 'btbpf_ack_unmatched_total{dev="hci0"}')"
	check_eq "$WMEM_SENDS == 2N (btwmem, 15 s default interval)" $((2 * N)) \
		"$(wait_metric "$WMEM_SENDS" $((2 * N)) 40)"
	check_eq "$WMEM_COUNT == 2N" $((2 * N)) "$(mval "$WMEM_COUNT")"
	check_eq "$CRED_SENT == TX acl delta (bthcicredits: the file every 15 s)" $ACL \
		"$(wait_metric "$CRED_SENT" $ACL 40)"
	check_eq "$CRED_ACKED == TX acl delta" $ACL "$(wait_metric "$CRED_ACKED" $ACL 20)"
	# btpktlat: sock counts sends (one fragment each here), ack every ACL
	# frame of hci0, L2CAP signalling included
	check_eq "$PKT_SOCK == 2N (btpktlat, 15 s default interval)" $((2 * N)) \
		"$(wait_metric "$PKT_SOCK" $((2 * N)) 40)"
	check_eq "$PKT_ACK == TX acl delta" $ACL "$(wait_metric "$PKT_ACK" $ACL 20)"
	check_eq "btbpf_pkt_sends_total{dev=\"hci0\"} == 2N" $((2 * N)) \
		"$(mval 'btbpf_pkt_sends_total{dev="hci0"}')"
	check_eq "btbpf_pkt_fifo_unmatched_total{dev=\"hci0\"}" 0 \
		"$(mval 'btbpf_pkt_fifo_unmatched_total{dev="hci0"}')"
	check_eq "node_textfile_scrape_error" 0 "$(mval node_textfile_scrape_error)"
	[ -n "${PROM_OK:-}" ] && t_prometheus
	stop_pid $SOCK_PID INT
	check_eq "btsnoop-sock -q: exit 0 after SIGINT, stdout empty, stderr empty" "0 0 0" \
		"$? $(wc -c < "$T/sock.out") $(wc -c < "$T/sock.err")"
	stop_pid $ACK_PID INT
	check_eq "btacklat: exit 0 after SIGINT" 0 $?
	stop_pid $WMEM_PID INT
	check_eq "btwmem -q: exit 0 after SIGINT, nothing on stdout or stderr" "0 0 0" \
		"$? $(wc -c < "$T/wmem.out") $(wc -c < "$T/wmem.err")"
	stop_pid $CRED_PID INT
	check_eq "bthcicredits: exit 0 after SIGINT, nothing on stderr" "0 0" "$? $(wc -c < "$T/cred.err")"
	stop_pid $PKT_PID INT
	check_eq "btpktlat: exit 0 after SIGINT" 0 $?
	check_grep "btpktlat: the text at exit is the whole run's (sock: count 2N)" \
		"^sock: count $((2 * N)), " "$T/pkt.out"
	# its table stays every second (the default), each row one interval's
	check_eq "bthcicredits: the 1 s tables' SENT add up to the TX acl delta" $ACL \
		"$(awk '$1 == "hci0" && $2 == "acl" { s += $8 } END { print s + 0 }' "$T/cred.out")"
	_rows=$(awk '$1 == "hci0" && $2 == "acl"' "$T/cred.out" | wc -l)
	[ "$_rows" -ge 20 ] && ok "bthcicredits: a table row every second ($_rows rows)" ||
		not_ok "bthcicredits: only $_rows table rows (one a second expected)"
	# the file's writes seen while scraping: 15 s apart, not every second
	_gaps=$(sort -un "$T/mtimes.cred" | awk 'NR > 1 { print $1 - prev } { prev = $1 }' | sort -n | tr '\n' ' ')
	if [ "$(echo "$_gaps" | wc -w)" -ge 1 ] && [ "${_gaps%% *}" -ge 14 ]; then
		ok "bthcicredits.prom written every 15 s (gaps between writes: $_gaps)"
	else
		not_ok "bthcicredits.prom writes not 15 s apart (gaps: '$_gaps')"
	fi
}

# What the Prometheus server computed from its 1 s scrapes of node_exporter.
t_prometheus() {
	check_eq "prometheus: max_over_time($SOCK_CALLS[10m]) == 2N" $((2 * N)) \
		"$(wait_promql "max_over_time(${SOCK_CALLS}[10m])" $((2 * N)) 10)"
	_inc=$(promql "increase(${SOCK_CALLS}[10m])")
	# increase() extrapolates to the window's end: up to one 1 s scrape more
	if python3 -c "import sys; v = float(sys.argv[1]); sys.exit(not $((2 * N)) <= v <= $((2 * N)) * 1.2)" "$_inc"; then
		ok "prometheus: increase($SOCK_CALLS[10m]) = $_inc, 2N = $((2 * N)) (+ extrapolation)"
	else
		not_ok "prometheus: increase($SOCK_CALLS[10m]) = $_inc, want 2N = $((2 * N)) (+ <= 20%)"
	fi
	check_eq "prometheus: $ACK_COUNT == TX acl delta" $ACL "$(wait_promql "$ACK_COUNT" $ACL 20)"
	PROM_P50=$(promql 'histogram_quantile(0.5, btbpf_ack_latency_seconds_bucket)')
	# doc/openmetrics/grafana-dashboard.json: every query parses and runs
	_bad=$(python3 - "http://127.0.0.1:$PROM_PORT" doc/openmetrics/grafana-dashboard.json <<'PY'
import json, sys, urllib.parse, urllib.request
bad = []
for p in json.load(open(sys.argv[2]))["panels"]:
    for t in p["targets"]:
        q = t["expr"].replace("$instance", ".*").replace("$__rate_interval", "1m")
        url = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        try:
            ok = json.load(urllib.request.urlopen(url, timeout=10))["status"] == "success"
        except Exception as e:
            ok = False
        if not ok:
            bad.append(q)
print(" ".join(bad))
PY
)
	check_eq "prometheus: every query of the Grafana dashboard runs" "" "$_bad"
}

# btacklat's text histogram at exit (the whole run: no interval) against the
# median Prometheus computed from the exported buckets.
t_text_and_quantile() {
	_total=$(awk '/ -> / { s += $5 } END { print s + 0 }' "$T/ack.out")
	check_eq "btacklat text histogram at exit == TX acl delta (unchanged by --openmetrics)" $ACL "$_total"
	[ -n "${PROM_P50:-}" ] || return 0
	_range=$(median_bucket "$T/ack.out")
	if python3 -c "import sys; lo, hi, q = map(float, sys.argv[1:]); sys.exit(not lo <= q <= hi)" $_range "$PROM_P50"; then
		ok "prometheus: histogram_quantile(0.5) = $PROM_P50 s, inside the text histogram's median bucket $_range s"
	else
		not_ok "prometheus: histogram_quantile(0.5) = $PROM_P50 s, outside the text histogram's median bucket $_range s"
	fi
}

# Every version of the files seen while scraping, and the last ones
# (written at exit), is accepted by promtool; nothing else is left in the
# directory.
t_files() {
	_bad=
	for _f in "$T"/versions/* "$OMDIR"/*.prom; do
		promtool check metrics < "$_f" > "$T/promtool.out" 2>&1 ||
			_bad="$_bad $(basename "$_f"): $(head -c 200 "$T/promtool.out")"
	done
	check_eq "promtool check metrics accepts all $(ls "$T/versions" | wc -l) versions seen and the final files" "" "$_bad"
	check_eq "only the five .prom files in the directory" \
		"btacklat.prom bthcicredits.prom btpktlat.prom btsnoop.prom btwmem.prom" \
		"$(ls "$OMDIR" | tr '\n' ' ' | sed 's/ $//')"
	check_grep "btsnoop.prom at exit: $SOCK_CALLS $((2 * N))" \
		"^btbpf_sock_sendmsg_calls_total\\{proto=\"l2cap\"\\} $((2 * N))\$" "$OMDIR/btsnoop.prom"
	_b=$(om_sum_check "$OMDIR/btwmem.prom" btbpf_wmem_bytes 'proto="l2cap"') &&
		ok "btwmem.prom: btbpf_wmem_bytes_sum (the BPF side's real sum) within its buckets: $_b" ||
		not_ok "btwmem.prom: btbpf_wmem_bytes_sum outside its buckets: $_b"
	_b=$(om_sum_check "$OMDIR/btacklat.prom" btbpf_ack_latency_seconds 'dev="hci0"') &&
		ok "btacklat.prom: _sum (bucket midpoints) within its buckets: $_b" ||
		not_ok "btacklat.prom: _sum outside its buckets: $_b"
	_b=$(om_sum_check "$OMDIR/btpktlat.prom" btbpf_pkt_stage_seconds 'dev="hci0",stage="total"') &&
		ok "btpktlat.prom: total's _sum (the BPF side's real sum) within its buckets: $_b" ||
		not_ok "btpktlat.prom: total's _sum outside its buckets: $_b"
	check_grep "btacklat.prom at exit: _count $ACL" \
		"^btbpf_ack_latency_seconds_count\\{dev=\"hci0\"\\} $ACL\$" "$OMDIR/btacklat.prom"
}

# doc/openmetrics/btacklat.service's capability set: root bounded to
# CAP_BPF and CAP_PERFMON (setpriv does what CapabilityBoundingSet does)
# loads, attaches, counts and writes its file.
t_service_caps() {
	mkdir -p "$T/svc"
	start_tool svc setpriv --bounding-set=-all,+bpf,+perfmon \
		"$ACK" -d hci0 -q --openmetrics "$T/svc/btacklat.prom" 1 || return
	_a0=$(tx_acl hci0)
	l2test_pair 5 100
	_acl=$(( $(tx_acl hci0) - _a0 ))
	for _i in $(seq 40); do
		[ "$(awk -v m="$ACK_COUNT" '$1 == m { print $2 }' "$T/svc/btacklat.prom")" = $_acl ] && break
		sleep 0.25
	done
	stop_tool INT
	check_eq "CAP_BPF + CAP_PERFMON only: exit 0, nothing on stderr" "0 " "$? $(cat "$T/svc.err")"
	check_eq "CAP_BPF + CAP_PERFMON only: $ACK_COUNT == TX acl delta" $_acl \
		"$(awk -v m="$ACK_COUNT" '$1 == m { print $2 }' "$T/svc/btacklat.prom")"
	check_eq "setpriv's bounding set: exactly CAP_BPF + CAP_PERFMON" 000000c000000000 \
		"$(setpriv --bounding-set=-all,+bpf,+perfmon awk '/^CapEff/ { print $2 }' /proc/self/status)"
}

ip link set lo up
mkdir -p "$OMDIR" "$T/versions"
bt_setup
command -v prometheus > /dev/null && WITH_PROM=1
if start_node_exporter; then
	t_two_rounds
	t_text_and_quantile
	t_files
	check_detached "after all four tools"
	t_service_caps
	[ -n "${PROM_PID:-}" ] && kill $PROM_PID && wait $PROM_PID 2>/dev/null
	kill $NE_PID && wait $NE_PID 2>/dev/null
fi
[ -n "${WITH_PROM:-}" ] || skip "prometheus is not installed: no server-side query"
