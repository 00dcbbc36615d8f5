#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Debian package, built the way a buildd would: `dpkg-buildpackage -us
# -uc -b` in clean copies of a commit (git archive, default HEAD), twice, in
# two different directories.  Checks: lintian reports no error and no
# warning (binary and source package); the .deb holds every tool of
# tools/*.c in /usr/sbin, its man page in man8 and its bash completion; the
# two builds give byte-identical binaries, BPF objects and skeletons (so
# the BPF code embedded in the binaries too) and no build path leaks into
# them; `make install APP_PREFIX=bpf-` gives the Fedora-style names.
# Installs nothing.  Needs dpkg-dev, debhelper, lintian, fakeroot and the
# build-dependencies in debian/control (tests/deps.sh installs them).
#
# Usage: tests/pkg/build-deb.sh [COMMIT]   (BTBPF_PKG_KEEP=1 keeps the
# scratch directory).  Prints ok/not ok lines and "pkg: N passed, N failed".
set -u
rev=${1:-HEAD}
top=$(git rev-parse --show-toplevel) || exit 1
pass=0 fail=0
work=$(mktemp -d /tmp/btbpf-deb.XXXXXX)
if [ -z "${BTBPF_PKG_KEEP:-}" ]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "# scratch directory: $work"
fi

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
finish() {
	echo "pkg: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

# Two builds in directories of different names and depths, so a build path
# that reaches a binary shows up as a difference.
dirs="$work/a $work/bb/deeper"
for d in $dirs; do
	mkdir -p "$d"
	if ! git -C "$top" archive --format=tar --prefix=btbpf-tools/ "$rev" | tar -x -C "$d"; then
		nok "git archive $rev"
		finish
	fi
done
one=$work/a
src=$one/btbpf-tools
if [ ! -d "$src/debian" ]; then
	nok "$rev has no debian/ directory"
	finish
fi

start=$(date +%s)
for d in $dirs; do
	log=$d/build.log
	if (cd "$d/btbpf-tools" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$(nproc)" \
		dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
		ok "dpkg-buildpackage -us -uc -b in $d"
	else
		nok "dpkg-buildpackage -us -uc -b in $d failed; the end of $log:"
		tail -25 "$log" | sed 's/^/#   /'
		finish
	fi
done
echo "# two builds: $(($(date +%s) - start)) s"

deb=$(ls "$one"/btbpf-tools_*_amd64.deb 2>/dev/null | head -1)
changes=$(ls "$one"/btbpf-tools_*.changes 2>/dev/null | head -1)
if [ -z "$deb" ] || [ -z "$changes" ]; then
	nok "no .deb/.changes in $one"
	finish
fi

# lintian: the binary upload, then the source package.
lint() {
	out=$(lintian --fail-on error,warning "$1" 2>&1 | grep -v '^running with root privileges')
	rc=$?
	if [ -z "$out" ]; then
		ok "lintian $(basename "$1"): no tags"
	elif echo "$out" | grep -q '^[EW]: '; then
		nok "lintian $(basename "$1"):"
		echo "$out" | sed 's/^/#   /'
	else
		ok "lintian $(basename "$1"): no errors or warnings"
		echo "$out" | sed 's/^/#   /'
	fi
}
lint "$changes"
if (cd "$work/bb/deeper" && rm -rf srcpkg && mkdir srcpkg &&
	git -C "$top" archive --format=tar --prefix=btbpf-tools/ "$rev" | tar -x -C srcpkg &&
	cd srcpkg && dpkg-source -b btbpf-tools) >"$work/source.log" 2>&1; then
	lint "$(ls "$work"/bb/deeper/srcpkg/*.dsc)"
else
	nok "dpkg-source -b: $(tail -3 "$work/source.log")"
fi

# Contents: every tool, its man page and completion; nothing else odd.
list=$work/contents
dpkg-deb -c "$deb" | awk '{ p = $6; if ($7 == "->") p = p " -> " $8; print $1, p }' >"$list"
tools=$(cd "$src/tools" && ls *.c | sed 's/\.c$//')
has() {
	if grep -qxF -- "$1" "$list"; then ok "$deb_name: $2"; else nok "$deb_name: $2 (no '$1')"; fi
}
deb_name=$(basename "$deb")
for t in $tools; do
	has "-rwxr-xr-x ./usr/sbin/$t" "/usr/sbin/$t"
	has "-rw-r--r-- ./usr/share/man/man8/$t.8.gz" "man8/$t.8.gz"
	has "lrwxrwxrwx ./usr/share/bash-completion/completions/$t -> btbpf-tools" \
		"bash completion for $t"
done
has "-rw-r--r-- ./usr/share/bash-completion/completions/btbpf-tools" "the completion script"
odd=$(awk '{ print $2 }' "$list" |
	grep -vE '^\./(usr/(share/((man|bash-completion|doc)/)?)?)?$' |
	grep -vE '^\./usr/(sbin|share/man/man8|share/bash-completion/completions|share/doc/btbpf-tools)/')
if [ -z "$odd" ]; then
	ok "$deb_name: nothing outside sbin, man8, completions, doc"
else
	nok "$deb_name: unexpected files: $odd"
fi
if dpkg-deb -f "$deb" Depends | grep -q libbpf; then
	ok "Depends names libbpf: $(dpkg-deb -f "$deb" Depends)"
else
	nok "Depends lacks libbpf: $(dpkg-deb -f "$deb" Depends)"
fi

# Reproducible: the two builds, file by file.
same() {
	if cmp -s "$1" "$2"; then
		ok "identical in both builds: $3"
	else
		nok "differs between the builds: $3 ($(cmp "$1" "$2" 2>&1 | head -1))"
	fi
}
for d in $dirs; do
	mkdir -p "$d/x" "$d/dbg"
	dpkg-deb -x "$(ls "$d"/btbpf-tools_*_amd64.deb)" "$d/x"
	dpkg-deb -x "$(ls "$d"/btbpf-tools-dbgsym_*_amd64.deb)" "$d/dbg" 2>/dev/null
done
two=$work/bb/deeper
for t in $tools; do
	same "$one/x/usr/sbin/$t" "$two/x/usr/sbin/$t" "/usr/sbin/$t (stripped, in the .deb)"
	same "$one/btbpf-tools/build/$t" "$two/btbpf-tools/build/$t" "build/$t (unstripped)"
	same "$one/btbpf-tools/build/$t.bpf.o" "$two/btbpf-tools/build/$t.bpf.o" "build/$t.bpf.o"
	same "$one/btbpf-tools/build/$t.skel.h" "$two/btbpf-tools/build/$t.skel.h" \
		"build/$t.skel.h (the BPF object the binary embeds)"
done
dbg1=$(cd "$one/dbg" && find . -type f | sort)
dbg2=$(cd "$two/dbg" && find . -type f | sort)
if [ -n "$dbg1" ] && [ "$dbg1" = "$dbg2" ]; then
	ok "the -dbgsym packages hold the same files (same build ids)"
	for f in $dbg1; do
		same "$one/dbg/$f" "$two/dbg/$f" "dbgsym ${f#./usr/lib/debug/}"
	done
else
	nok "-dbgsym contents differ: '$dbg1' vs '$dbg2'"
fi
for d in $dirs; do
	leak=$(grep -l -a -F "$d" "$d"/x/usr/sbin/* "$d"/btbpf-tools/build/*.bpf.o 2>/dev/null)
	if [ -z "$leak" ]; then
		ok "no build path $d in the binaries or BPF objects"
	else
		nok "the build path $d is in: $leak"
	fi
done
same "$deb" "$(ls "$two"/btbpf-tools_*_amd64.deb)" "$deb_name as a whole"

# APP_PREFIX: Fedora-style names from the same tree.
inst=$work/prefixed
if make -s -C "$src" install DESTDIR="$inst" prefix=/usr APP_PREFIX=bpf- >"$work/install.log" 2>&1; then
	bad=
	for t in $tools; do
		[ -x "$inst/usr/sbin/bpf-$t" ] || bad="$bad /usr/sbin/bpf-$t"
		[ -f "$inst/usr/share/man/man8/bpf-$t.8" ] || bad="$bad man8/bpf-$t.8"
		[ "$(readlink "$inst/usr/share/bash-completion/completions/bpf-$t")" = bpf-btbpf-tools ] ||
			bad="$bad completions/bpf-$t"
	done
	unprefixed=$(find "$inst" -type f -o -type l | grep -E '/(sbin|man8|completions)/bt' || true)
	if [ -z "$bad" ] && [ -z "$unprefixed" ]; then
		ok "make install APP_PREFIX=bpf-: bpf-<tool>, man8/bpf-<tool>.8, completions/bpf-<tool>"
	else
		nok "make install APP_PREFIX=bpf-: missing$bad; unprefixed: $unprefixed"
	fi
else
	nok "make install APP_PREFIX=bpf-: $(tail -3 "$work/install.log")"
fi

echo "# total: $(($(date +%s) - start)) s"
finish
