# Pre-flight failures, before anything is loaded: one line on stderr naming
# the cause, exit status 1, for every tool.  Then the duration option.
# Sourced by guest-test.sh (helpers in lib.sh).

TOOLS=$(cd tools && ls *.c | sed 's/\.c$//')

# expect_fail WHAT PATTERN command...: exit 1, exactly one stderr line
# matching PATTERN, nothing on stdout
expect_fail() {
	_what=$1 _pat=$2; shift 2
	"$@" > "$T/pf.out" 2> "$T/pf.err"
	_rc=$?
	if [ $_rc -eq 1 ] && [ "$(wc -l < "$T/pf.err")" -eq 1 ] &&
	   grep -qE "$_pat" "$T/pf.err" && [ ! -s "$T/pf.out" ]; then
		ok "$_what: $(cat "$T/pf.err")"
	else
		not_ok "$_what: exit $_rc, stderr: $(head -c 300 "$T/pf.err"), stdout: $(head -c 100 "$T/pf.out")"
	fi
}

# 1. Not root: no CAP_BPF/CAP_PERFMON either.
for t in $TOOLS; do
	expect_fail "$t as nobody" "must be run as root, or with CAP_BPF and CAP_PERFMON" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$BUILD/$t"
done

# 2. The bluetooth module is not loaded yet.
for t in $TOOLS; do
	expect_fail "$t without the bluetooth module" "module is not loaded \(modprobe [a-z_]+\)" "$BUILD/$t"
done

bt_setup

# 3. A function the run needs is missing: RFCOMM lives in rfcomm.ko.
if ! grep -q '^rfcomm ' /proc/modules; then
	expect_fail "btsnoop-sock -P rfcomm without rfcomm.ko" \
		"kernel function rfcomm_sock_sendmsg not found" "$BUILD/btsnoop-sock" -P rfcomm
fi

# 4. -d ends the trace by itself, with exit status 0.
start=$(date +%s)
"$BUILD/btsnoop-sock" -d 2 > "$T/d.out" 2> "$T/d.err"
rc=$?
took=$(( $(date +%s) - start ))
check_eq "btsnoop-sock -d 2 exits 0" 0 $rc
check_grep "btsnoop-sock -d 2 says the duration" "^Tracing Bluetooth socket calls \(fentry\) for 2 secs" "$T/d.out"
if [ $took -lt 60 ]; then ok "btsnoop-sock -d 2 ended by itself (${took}s with load)"; else not_ok "-d 2 took ${took}s"; fi
check_detached "after -d"

# 5. The vmlinux BTF cache (common/btfcache.h), in a folder of its own.
#    btacklat 1 1 ends by itself after one interval; its module functions'
#    fentry ids need vmlinux's type count, the cache's main answer.
BC=$T/btfcache
cache_run() {	# DIR [-v]: btacklat 1 1 with that cache folder
	BTBPF_CACHE_DIR=$1 timeout -s INT 60 "$BUILD/btacklat" $2 1 1 > "$T/bc.out" 2> "$T/bc.err"
}
probe_lines() { grep -E ': (fentry|kprobe|not present, skipped)$' "$T/bc.err"; }
cache_run "$BC" -v
check_eq "first run with an empty cache folder: exit 0" 0 $?
check_grep "first run writes the cache" "vmlinux BTF cache $BC/vmlinux-btf: written" "$T/bc.err"
probe_lines > "$T/bc.probes1"
want=$(bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | sed -n 's/^\[\([0-9]*\)\].*/\1/p' | tail -1)
check_eq "the cached type count is the kernel's (bpftool's last id)" "types $want" \
	"$(grep '^types ' "$BC/vmlinux-btf")"
cache_run "$BC" -v
check_eq "second run: exit 0" 0 $?
check_grep "second run reads the cache" "vmlinux BTF cache $BC/vmlinux-btf: read$" "$T/bc.err"
probe_lines > "$T/bc.probes2"
check_cmd "the same probe choice from the cache (fentry)" sh -c \
	"cmp $T/bc.probes1 $T/bc.probes2 && grep -q ': fentry\$' $T/bc.probes2"
cp "$BC/vmlinux-btf" "$T/bc.good"
# another kernel's, then a corrupt one: one line each, never used, written anew
sed -i 's/^kernel /kernel 00/' "$BC/vmlinux-btf"
cache_run "$BC"
check_eq "a cache for another kernel: exit 0, one line" "0 1" "$? $(wc -l < "$T/bc.err")"
check_grep "... that says so" "ignored the BTF cache $BC/vmlinux-btf: made for another kernel; it is written anew" "$T/bc.err"
check_cmd "... and is written anew, as it was" cmp "$T/bc.good" "$BC/vmlinux-btf"
check_grep "... the run attached fentry programs" "^Tracing .*fentry" "$T/bc.out"
sed -i 's/^types \([0-9]*\)/types 1\1/' "$BC/vmlinux-btf"
cache_run "$BC"
check_eq "a corrupt cache: exit 0, one line" "0 1" "$? $(wc -l < "$T/bc.err")"
check_grep "... that says so" "ignored the BTF cache .*: corrupt" "$T/bc.err"
check_cmd "... and is written anew, as it was" cmp "$T/bc.good" "$BC/vmlinux-btf"
cache_run /proc/btbpf-no-such-dir
check_eq "an unwritable cache folder: exit 0, one line" "0 1" "$? $(wc -l < "$T/bc.err")"
check_grep "... that says so" "cannot write the BTF cache in /proc/btbpf-no-such-dir" "$T/bc.err"
cache_run ""
check_eq "BTBPF_CACHE_DIR empty (no cache): exit 0, nothing on stderr" "0 0" "$? $(wc -l < "$T/bc.err")"
# every tool run before used the default folder (the guest's /var is fresh
# each boot)
check_grep "the default cache was written by the runs above" "^types [0-9]+$" /var/cache/btbpf-tools/vmlinux-btf

# 6. -v says how many instructions the verifier walked for each program it
#    loaded and in all (the kernel's verified_insns): one line per loaded
#    program, named for the attach mode, and a total that is their sum.
#    Both loads: the generated loader's, and libbpf's (BTBPF_LOADER=libbpf).
for run in fentry:loader kprobe:loader fentry:libbpf; do
	m=${run%:*} ld=${run#*:}
	BTBPF_ATTACH=$m BTBPF_LOADER=$([ $ld = libbpf ] && echo libbpf) timeout -s INT 60 "$BUILD/btacklat" -v 1 1 > "$T/vi.out" 2> "$T/vi.err"
	check_eq "btacklat -v, $m, $ld: exit 0" 0 $?
	grep -E '^btacklat: start-up: [a-z_]+: [0-9]+ instructions verified$' "$T/vi.err" |
		awk '{ print $3 }' | sed 's/:$//' | sort > "$T/vi.progs"
	# btacklat's three hooks, each one program (its probe table)
	check_eq "btacklat -v, $m, $ld: one line per loaded program" \
		"hci_conn_del_$m hci_num_comp_pkts_evt_$m hci_send_frame_$m" "$(echo $(cat "$T/vi.progs"))"
	sum=$(sed -n 's/^btacklat: start-up: [a-z_]*: \([0-9]*\) instructions verified$/\1/p' "$T/vi.err" |
		awk '{ s += $1 } END { print s + 0 }')
	check_grep "btacklat -v, $m, $ld: the total is the sum of the lines ($sum, more than 0)" \
		"^btacklat: start-up: 3 programs, $sum instructions verified$" "$T/vi.err"
	[ "$sum" -gt 0 ] || not_ok "btacklat -v, $m, $ld: no instruction verified"
	# the generated loader is a program too: its verification is a phase
	# of its own, before the phase that runs it; libbpf's load has neither
	n=$(grep -cE '^btacklat: start-up: loader verified \(the kernel, [1-9][0-9]* instructions\) done at [0-9.]+ ms$' "$T/vi.err")
	if [ $ld = loader ]; then
		check_eq "btacklat -v, $m, $ld: the loader's verification is a phase, then its run" \
			"1 loader verified,load" \
			"$n $(sed -n 's/^btacklat: start-up: \(loader verified\|load\) .*/\1/p' "$T/vi.err" | paste -sd, -)"
	else
		check_eq "btacklat -v, $m, $ld: no loader phase" 0 "$n"
	fi
done
