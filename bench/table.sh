#!/bin/sh
# Turns the raw lines of bench/guest.sh (file $1) into the benchmark table
# (markdown) on stdout.  Ratios are ours / bpftrace's, from runs made side by
# side in the same guest boot.  Start-up: median of all rounds; workload:
# median of rounds 2.. (round 1 has BPF run-time stats on).
set -eu
awk '
function nvals(key,   a) { return split(vals[key], a, " ") }
function spread(key,   n, i, a, lo, hi) {
	n = split(vals[key], a, " ")
	for (i = 1; i <= n; i++) { if (i == 1 || a[i] + 0 < lo) lo = a[i] + 0; if (i == 1 || a[i] + 0 > hi) hi = a[i] + 0 }
	return n ? hi - lo : 0
}
function med(key,   n, i, j, t, a) {
	n = split(vals[key], a, " ")
	if (n == 0) return -1
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function kv(s, k,   i, n, f, p) {
	n = split(s, f, " ")
	for (i = 1; i <= n; i++) { p = index(f[i], "="); if (substr(f[i], 1, p - 1) == k) return substr(f[i], p + 1) }
	return ""
}
function yn(c) { return c ? "yes" : "**no**" }
# The make static build against the empty floor linked the same way (and,
# for reference, against the dynamic floor sfl).
function static_rows(t, sfl,   ss, sfs, sfls, nf, rs, rfs, rfls, zs) {
	ss = med(t SUBSEP "ours-s" "s"); sfs = med(t SUBSEP "fentry-s" "s"); sfls = med(t SUBSEP "floor-s" "s")
	nf = nvals(t SUBSEP "fentry-s" "s")
	row(t, sprintf("static build: start-up / empty floor linked -static (%.0f ms): kprobe (against the dynamic floor: %.2f)", sfls, sfl > 0 ? ss / sfl : -1),
	    sprintf("%.2f", sfls > 0 ? ss / sfls : -1), "", "", "<= 1.3", yn(sfls > 0 && ss > 0 && ss / sfls <= 1.3))
	row(t, sprintf("static build: start-up / empty floor linked -static: fentry, the default mode (%d runs; against the dynamic floor: %.2f)", nf, sfl > 0 ? sfs / sfl : -1),
	    sprintf("%.2f", sfls > 0 ? sfs / sfls : -1), "", "", "<= 1.3", yn(sfls > 0 && sfs > 0 && sfs / sfls <= 1.3))
	rs = med(t SUBSEP "ours-s" "r") / 1024; rfs = med(t SUBSEP "fentry-s" "r") / 1024; rfls = med(t SUBSEP "floor-s" "r") / 1024
	row(t, sprintf("static build: max RSS MB against the 2 MB target: kprobe; fentry %.1f; empty floor -static %.1f", rfs, rfls),
	    sprintf("%.1f", rs), "", "", "<= 2 MB", yn(rs > 0 && rs <= 2 && rfs <= 2))
	zs = size[t ".static"] / 1024
	row(t, "static build: stripped binary KB (libc, libbpf, libelf, zlib inside)", sprintf("%.0f", zs), "", "", "<= 300 KB", yn(zs > 0 && zs <= 300))
}
function row(tool, what, o, p, r, tgt, met) {
	printf("| %s | %s | %s | %s | %s | %s | %s |\n", tool, what, o, p, r, tgt, met)
}
$1 == "R" {
	tool = $2; cfg = $3; rd = $4; line = $0
	if (!(tool in seen)) { seen[tool] = 1; order[++ntools] = tool }
	ops[tool] = kv(line, "ops")
	k = tool SUBSEP cfg
	if (rd == 1) bpfns[tool, cfg] = kv(line, "bpf_ns")
	if (rd > 1 || cfg == "none") vals[k "w"] = vals[k "w"] " " kv(line, "work_ms")
	if (cfg != "none") {
		vals[k "s"] = vals[k "s"] " " kv(line, "ready_ms")
		vals[k "s2"] = vals[k "s2"] " " kv(line, "ready2_ms")
		r = kv(line, "maxrss_kb") + 0
		vals[k "r"] = vals[k "r"] " " r
		if (r > rss[tool, cfg]) rss[tool, cfg] = r
		if (kv(line, "rc") != "0") bad[tool, cfg]++
	}
	next
}
$1 == "S" { size[$2] = $4; if ($2 == "bpftrace") libs = $5; next }
$1 == "C" { cnt[$2, $3] = $4; next }
$1 == "V" { vprogs[$2, $3] = kv($0, "progs"); vinsns[$2, $3] = kv($0, "insns"); vloader[$2, $3] = kv($0, "loader"); next }
$1 == "L" { lcalls = $2; llines = $3; llost = $4; next }
$1 == "I" { sub(/^I /, ""); notes[++nnotes] = $0; next }
END {
	print "| tool | measure | ours | bpftrace | ours/bpftrace | target | met |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= ntools; i++) {
		t = order[i]
		so = med(t SUBSEP "ours" "s"); sp = med(t SUBSEP "peer" "s"); sp2 = med(t SUBSEP "peer" "s2")
		sf = med(t SUBSEP "fentry" "s"); sfl = med(t SUBSEP "floor" "s")
		hp = nvals(t SUBSEP "peer" "s") > 0	# btpktlat has no bpftrace peer
		if (hp)
		row(t, sprintf("start-up ms, median of %d (bpftrace: to \"Attaching\"; to BEGIN %.0f; ours fentry, %d runs, %.0f; empty floor %.0f)", nvals(t SUBSEP "ours" "s"), sp2, nvals(t SUBSEP "fentry" "s"), sf, sfl),
		    sprintf("%.0f", so), sprintf("%.0f", sp), sprintf("%.3f", sp > 0 ? so / sp : -1), "<= 0.05",
		    yn(so > 0 && sp > 0 && so / sp <= 0.05))
		else
		row(t, sprintf("start-up ms, median of %d (no bpftrace peer; ours fentry, %d runs, %.0f; empty floor %.0f)", nvals(t SUBSEP "ours" "s"), nvals(t SUBSEP "fentry" "s"), sf, sfl),
		    sprintf("%.0f", so), "-", "", "(no peer)", "")
		# the maximum of each run (wait4), median over the runs
		ro = med(t SUBSEP "ours" "r") / 1024; rp = med(t SUBSEP "peer" "r") / 1024
		if (hp)
		row(t, sprintf("max RSS MB, median of the runs (highest: ours %.1f, bpftrace %.1f; ours fentry %.1f)",
		    rss[t, "ours"] / 1024, rss[t, "peer"] / 1024, med(t SUBSEP "fentry" "r") / 1024), sprintf("%.1f", ro), sprintf("%.1f", rp),
		    sprintf("%.3f", rp > 0 ? ro / rp : -1), "<= 0.10 and <= 8 MB", yn(ro > 0 && rp > 0 && ro / rp <= 0.10 && ro <= 8))
		# targets of the common layer: start-up near empty programs on the
		# same hooks, RSS near the libbpf floor (bench/startup.sh has
		# medians of every configuration, fentry included)
		rf = med(t SUBSEP "fentry" "r") / 1024
		row(t, sprintf("start-up / empty floor (%.0f ms): ours kprobe", sfl),
		    sprintf("%.2f", sfl > 0 ? so / sfl : -1), "", "", "<= 1.3", yn(sfl > 0 && so / sfl <= 1.3))
		row(t, sprintf("start-up / empty floor (%.0f ms): ours fentry, the default mode (%d runs)", sfl, nvals(t SUBSEP "fentry" "s")),
		    sprintf("%.2f", sfl > 0 ? sf / sfl : -1), "", "", "<= 1.3", yn(sfl > 0 && sf > 0 && sf / sfl <= 1.3))
		# fentry mode against empty fentry programs on the same functions:
		# what the tool adds to the mechanism (a program and a trampoline
		# per function), beside the kprobe floor above
		sff = med(t SUBSEP "floor-f" "s")
		if (nvals(t SUBSEP "floor-f" "s") > 0)
			row(t, sprintf("start-up / empty fentry floor (%.0f ms: empty fentry/fexit programs on the same functions, loaded by our common layer; its max RSS %.1f MB): ours fentry", sff, med(t SUBSEP "floor-f" "r") / 1024),
			    sprintf("%.2f", sff > 0 ? sf / sff : -1), "", "", "<= 1.3", yn(sff > 0 && sf > 0 && sf / sff <= 1.3))
		row(t, sprintf("max RSS MB against the 2 MB target: ours kprobe; fentry %.1f", rf), sprintf("%.1f", ro), "", "",
		    "<= 2 MB", yn(ro > 0 && ro <= 2))
		if (vinsns[t, "fentry"] != "")
			row(t, sprintf("instructions verified at load (-v), fentry, %d programs (kprobe: %s in %d programs; the empty fentry floor: %s in %d; the generated loader program itself, verified before it runs: %s, on the floor %s)",
			    vprogs[t, "fentry"], vinsns[t, "ours"], vprogs[t, "ours"], vinsns[t, "floor-f"], vprogs[t, "floor-f"],
			    vloader[t, "fentry"], vloader[t, "floor-f"]),
			    vinsns[t, "fentry"], "", "", "(info)", "")
		sc = med(t SUBSEP "cold" "s")
		if (nvals(t SUBSEP "cold" "s") > 0)
			row(t, sprintf("start-up ms, fentry, first run on this kernel (empty BTF cache: walks the vmlinux BTF, writes the cache), median of %d; warm %.0f", nvals(t SUBSEP "cold" "s"), sf),
			    sprintf("%.0f", sc), "", sprintf("cold / warm %.2f", sf > 0 ? sc / sf : -1), "(info)", "")
		if (nvals(t SUBSEP "ours-s" "s") > 0)
			static_rows(t, sfl)
		zo = size[t] / 1024; zp = size["bpftrace"] / 1024
		row(t, "stripped binary KB (bpftrace: its own binary, without its shared libraries)", sprintf("%.0f", zo),
		    sprintf("%.0f", zp), sprintf("%.3f", zp > 0 ? zo / zp : -1), "<= 300 KB", yn(zo <= 300))
		wn = med(t SUBSEP "none" "w"); wf = med(t SUBSEP "floor" "w"); wo = med(t SUBSEP "ours" "w")
		wp = med(t SUBSEP "peer" "w"); we = med(t SUBSEP "fentry" "w"); wff = med(t SUBSEP "floor-f" "w")
		# run-to-run spread of the bare workload: differences below it are noise
		noise = spread(t SUBSEP "none" "w")
		nz = (wf - wn < noise) ? sprintf(" (floor - none %.0f ms < spread of none %.0f ms: noise)", wf - wn, noise) : ""
		nzp = (wp - wn < noise) ? sprintf(" (bpftrace - none %.0f ms < spread of none %.0f ms: noise)", wp - wn, noise) : ""
		row(t, sprintf("workload ms, %d ops, median of %d (none %.0f, spread %.0f; empty-kprobe floor %.0f; empty-fentry floor %.0f; ours fentry %.0f)", ops[t], nvals(t SUBSEP "ours" "w"), wn, noise, wf, wff, we),
		    sprintf("%.0f", wo), hp ? sprintf("%.0f", wp) : "-", "", "", "")
		fo = wf - wn > 0 ? (wo - wn) / (wf - wn) : -1; fp = wf - wn > 0 ? (wp - wn) / (wf - wn) : -1
		row(t, "per-event cost vs floor: (tool - none) / (floor - none)", sprintf("%.2f", fo), hp ? sprintf("%.2f", fp) : "-", "",
		    "ours <= 1.3", (wo < 0 ? "no figure" : yn(fo >= 0 && fo <= 1.3) nz))
		po = wp - wn > 0 ? (wo - wn) / (wp - wn) : -1
		if (hp)
		row(t, "per-event cost vs bpftrace: (ours - none) / (bpftrace - none)", sprintf("%.0f ms", wo - wn),
		    sprintf("%.0f ms", wp - wn), sprintf("%.2f", po), "<= 0.5", (wo < 0 || wp < 0 ? "no figure" : yn(po >= 0 && po <= 0.5) nzp))
		bo = bpfns[t, "ours"]; bp = bpfns[t, "peer"]; bf = bpfns[t, "floor"]; bfe = bpfns[t, "fentry"]
		row(t, sprintf("BPF run time ns per op, bpf_stats, round 1 (floor %.0f, ours fentry %.0f)", bf / ops[t], bfe / ops[t]),
		    sprintf("%.0f", bo / ops[t]), hp ? sprintf("%.0f", bp / ops[t]) : "-", hp ? sprintf("%.2f", bp > 0 ? bo / bp : -1) : "", "(info)", "")
		co = cnt[t, "ours"]; cp = cnt[t, "peer"]; want = cnt[t, "want"]
		if (!hp)
			agree = ""
		else if (co != "" && co == cp && (want == "" || co == want))
			agree = "yes"
		else if (co == "" && cp == "")
			agree = "no figure: no agreement run (see the notes below)"
		else if (t == "bturblat" && co == want && cp < co)
			agree = sprintf("ours yes; bpftrace %d short: its kprobes skip completions that fire inside its own programs (6.1 recursion guard)", co - cp)
		else
			agree = "**no**"
		if (hp)
		row(t, sprintf("same numbers, both tracing one run of the workload: %s%s",
		    t == "btsnoop-sock" ? "W lines of the sender" : t == "bthcicredits" ? "stall histogram total" : "histogram total",
		    want != "" ? ", expected " want : ""), co, cp, "", "equal" (want != "" ? " = " want : ""),
		    agree)
		nbad = bad[t, "ours"] + bad[t, "fentry"] + bad[t, "cold"] + bad[t, "floor"] + bad[t, "floor-f"] + bad[t, "ours-s"] + bad[t, "fentry-s"] + bad[t, "floor-s"]
		if (nbad + bad[t, "peer"])
			row(t, "runs with a non-zero exit", nbad, bad[t, "peer"] + 0, "", "0", "**no**")
	}
	if (lcalls != "")
		row("btsnoop-sock", sprintf("lost events, 2 non-blocking senders, fentry, %s calls, %s W lines", lcalls, llines),
		    llost, "", "", "0, and lines = calls", yn(llost == 0 && llines == lcalls))
	printf("\nbpftrace shared libraries (not in the size row): %.1f MB\n", libs / 1048576)
	for (i = 1; i <= nnotes; i++) print "- " notes[i]
}' "$1"
