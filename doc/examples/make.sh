#!/bin/sh
# Regenerates doc/examples/<tool>.txt: boots the test guest once, runs the
# sessions of doc/examples/sessions.sh there against emulated controllers,
# and puts each session's output in place of its "@@name@@" line in
# doc/examples/<tool>.txt.in.  Needs the tools built (make) and what
# tests/vm/run.sh needs.
#   doc/examples/make.sh [tool...]      default: every template
set -eu
cd "$(dirname "$0")/../.."
DIR=doc/examples
[ -x build/btsnoop-sock ] || { echo "make.sh: build the tools first (make)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# EXAMPLES_CAPTURE=file: use the guest output saved by an earlier run
# (KEEP_CAPTURE=file saves it) instead of booting the guest again.
if [ -n "${EXAMPLES_CAPTURE:-}" ]; then
	cp "$EXAMPLES_CAPTURE" "$TMP/all"
else tests/vm/run.sh "sh tests/vm/guest-test.sh $DIR/sessions.sh" > "$TMP/all" || {
	echo "make.sh: the guest run failed; its output:" >&2
	cat "$TMP/all" >&2
	exit 1
}
fi
[ -z "${KEEP_CAPTURE:-}" ] || cp "$TMP/all" "$KEEP_CAPTURE"
# one file per session
awk -v d="$TMP" '
	/^@@BEGIN .*@@$/ { name = $2; sub(/@@$/, "", name); f = d "/s." name; printf "" > f; next }
	/^@@END@@$/ { close(f); f = ""; next }
	f != "" { print >> f }
' "$TMP/all"

[ $# -gt 0 ] || set -- $(cd $DIR && ls *.txt.in | sed 's/\.txt\.in$//')
rc=0
for tool in "$@"; do
	in=$DIR/$tool.txt.in
	missing=$(grep -oE '^@@[A-Za-z0-9_-]+@@$' "$in" | tr -d @ | while read -r s; do
		[ -f "$TMP/s.$s" ] || echo "$s"; done)
	if [ -n "$missing" ]; then
		echo "make.sh: $tool: no session captured for: $missing" >&2
		rc=1
		continue
	fi
	awk -v d="$TMP" '
		/^@@[A-Za-z0-9_-]+@@$/ {
			f = d "/s." substr($0, 3, length($0) - 4)
			while ((getline l < f) > 0) print l
			close(f)
			next
		}
		{ print }
	' "$in" > "$DIR/$tool.txt"
	echo "  GEN      $DIR/$tool.txt"
done
exit $rc
