# Guest side of a start-up/RSS-only comparison (no bpftrace, no workload):
#   tests/vm/run.sh 'sh bench/startup.sh'   (after make and bench/run.sh's
#   helpers: build/bench/benchrun, emptyprobe, empty.bpf.o, and
#   make build/bench/emptyf)
# Per tool and round, in rotating order:
#   new-k   the tool, generated loader (default), BTBPF_ATTACH=kprobe
#   new-f   the tool, generated loader, default attach (fentry)
#   old-k   the tool, BTBPF_LOADER=libbpf (bpf_object__load), kprobe
#   old-f   the tool, BTBPF_LOADER=libbpf, fentry
#   floor   empty kprobe programs on the same functions (bench/emptyprobe)
#   floor-f empty fentry/fexit programs on them, loaded as the tools load
#           theirs (bench/emptyf): the floor of fentry mode
#   prev-f  with BTBPF_STARTUP_PREV=DIR (the build directory of an earlier
#           commit, e.g. make OUTPUT=DIR after a git worktree add): that
#           build's tools, default mode, for a before/after in one boot
#   prev-k  the same, BTBPF_ATTACH=kprobe
# benchrun gives exec-to-"Tracing" time and wait4's maximum RSS.  Prints
# "R tool cfg round ready_ms=.. maxrss_kb=.." lines, then per tool and
# configuration the medians: "M tool cfg ready_ms maxrss_kb".
# BTBPF_STARTUP_RUNS (default 5) rounds; BTBPF_BENCH_ONLY narrows the tools,
# BTBPF_STARTUP_CFGS the configurations ("new-k new-f prev-k prev-f").
set -u
. tests/vm/lib.sh
BB=$BUILD/bench
RUNS=${BTBPF_STARTUP_RUNS:-5}
PREV=${BTBPF_STARTUP_PREV:-}
. bench/floors.sh
wanted() { [ -z "${BTBPF_BENCH_ONLY:-}" ] || echo " $BTBPF_BENCH_ONLY " | grep -q " $1 "; }

one() {	# TOOL CFG ROUND
	case $2 in
	new-k)	res=$(BTBPF_ATTACH=kprobe $BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $OURS) ;;
	new-f)	res=$($BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $OURS) ;;
	old-k)	res=$(BTBPF_LOADER=libbpf BTBPF_ATTACH=kprobe $BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $OURS) ;;
	old-f)	res=$(BTBPF_LOADER=libbpf $BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $OURS) ;;
	prev-f)	res=$($BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $(echo "$OURS" | sed "s|$BUILD|$PREV|")) ;;
	prev-k)	res=$(BTBPF_ATTACH=kprobe $BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $(echo "$OURS" | sed "s|$BUILD|$PREV|")) ;;
	floor)	res=$($BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $BB/emptyprobe $BB/empty.bpf.o $FLOOR) ;;
	floor-f) res=$($BB/benchrun -o $T/o -e $T/e -w true -s 100 -t 60 -- $BB/emptyf $FLOOR_F) ;;
	esac
	echo "R $1 $2 $3 $res" | tee -a $T/raw
	case $res in
	*rc=0*) ;;
	*) echo "I $1 $2 $3: $(head -c 300 $T/e | tr '\n' ' ')" ;;
	esac
}

tool() {	# TOOL: RUNS rounds of every configuration, rotating
	wanted $1 || return 0
	FLOOR_F=$(fentry_floor_of $1)
	cfgs=${BTBPF_STARTUP_CFGS:-"new-k new-f old-k old-f floor floor-f${PREV:+ prev-f prev-k}"}
	for round in $(seq $RUNS); do
		for c in $cfgs; do one $1 $c $round; done
		cfgs="$(echo $cfgs | cut -d' ' -f2-) $(echo $cfgs | cut -d' ' -f1)"
	done
}

bt_setup
modprobe rfcomm
for t in btsnoop-sock btwmem bthcicredits btacklat btpktlat; do
	case $t in
	bthcicredits) OURS="$BUILD/bthcicredits -H" ;;
	*) OURS=$BUILD/$t ;;
	esac
	FLOOR=$(floor_of $t)
	tool $t
done
kill $BTVIRT_PID 2>/dev/null
if wanted bturblat && eval "$(sh tests/vm/usb-setup.sh 2> $T/usb.err)" && [ -n "${USB_HCI:-}" ]; then
	OURS=$BUILD/bturblat FLOOR=$(floor_of bturblat)
	tool bturblat
fi
# medians per tool and configuration
for k in ready_ms maxrss_kb; do
	sed -n "s/^R \([^ ]*\) \([^ ]*\) .*$k=\([0-9.-]*\).*/\1 \2 \3/p" $T/raw | sort -k1,1 -k2,2 -k3,3n |
	awk -v k=$k '{ key = $1 " " $2; v[key, ++n[key]] = $3 } END { for (key in n) { m = n[key]; if (m % 2) med = v[key, (m + 1) / 2]; else med = (v[key, m / 2] + v[key, m / 2 + 1]) / 2; print "M", key, k, med } }' | sort
done
rm -rf "$T"
