#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Man pages against the tools: every tool (tools/*.c) has man/<tool>.8,
# every man page has a tool, each page is clean under `man --warnings`,
# its .TH names the tool, and every option in the tool's --help table
# (short and long form) appears in the page's OPTIONS section.
#
# argp adds "-?" and "--usage" to every program; the pages document the
# same help as -h/--help, so those two are not asked for.
#
# Usage: tests/unit/test_manpages.sh   (from the top of the tree; the tools
# are taken from $BTBPF_OUTPUT, default build/)
# Prints ok/not ok lines and "manpages: N passed, N failed"; exit 1 on failure.

out=${BTBPF_OUTPUT:-build}
pass=0 fail=0
export LC_ALL=C.UTF-8 MANWIDTH=200

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }

# Rendered page as plain ASCII, long lines so nothing wraps or hyphenates.
render() {
	groff -Tascii -man -rLL=250n -P-c -P-b -P-u -P-o "$1" 2>/dev/null
}

# The OPTIONS section of a rendered page (section headings start in column 0).
options_section() {
	render "$1" | awk '/^[A-Z]/ { on = ($0 == "OPTIONS") ; next } on'
}

# Options of a tool's --help table, one per line: -x and --long forms.
help_options() {
	"$1" --help 2>/dev/null | awk '
		/^  +-/ {
			line = $0
			sub(/^ +/, "", line)
			# stop at the description (two or more spaces)
			sub(/  .*/, "", line)
			n = split(line, f, /, /)
			for (i = 1; i <= n; i++) {
				o = f[i]
				sub(/[=[ ].*/, "", o)
				print o
			}
		}'
}

# grep -E pattern for an option as a whole token (-m must not match -ms).
opt_re() {
	printf '%s' "$1" | sed -e 's/[][\.*^$?+(){}|/]/\\&/g' \
		-e 's/^/(^|[^A-Za-z0-9_-])/' -e 's/$/([^A-Za-z0-9_-]|$)/'
}

for src in tools/*.c; do
	[ -e "$src" ] || continue
	t=${src#tools/}
	t=${t%.c}
	page=man/$t.8
	if [ ! -f "$page" ]; then
		nok "$t: man page $page is missing"
		continue
	fi
	ok "$t: $page exists"

	warn=$(man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -z "$warn" ]; then
		ok "$t: man --warnings -l $page is clean"
	else
		nok "$t: man --warnings -l $page:"
		echo "$warn" | sed 's/^/#   /'
	fi

	th=$(sed -n 's/^\.TH[ 	]\{1,\}"\{0,1\}\([^ "]*\).*/\1/p' "$page" | head -1)
	if [ "$th" = "$t" ]; then
		ok "$t: .TH names $t"
	else
		nok "$t: .TH names '$th', not $t"
	fi

	if [ ! -x "$out/$t" ]; then
		nok "$t: $out/$t is not built, cannot read its --help"
		continue
	fi
	opts=$(help_options "$out/$t")
	if [ -z "$opts" ]; then
		nok "$t: no options found in $out/$t --help"
		continue
	fi
	section=$(options_section "$page")
	if [ -z "$section" ]; then
		nok "$t: $page has no OPTIONS section"
		continue
	fi
	missing=
	for o in $opts; do
		case $o in
		'-?' | --usage) continue ;;
		esac
		if echo "$section" | grep -Eq -- "$(opt_re "$o")"; then
			ok "$t: $o documented"
		else
			nok "$t: $o (in --help) is not in the OPTIONS of $page"
			missing=1
		fi
	done
done

for page in man/*.8; do
	[ -e "$page" ] || continue
	t=${page#man/}
	t=${t%.8}
	if [ -f "tools/$t.c" ]; then
		ok "$page: tool tools/$t.c exists"
	else
		nok "$page: no tool tools/$t.c for this page"
	fi
done

echo "manpages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
