#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The example systemd units in doc/openmetrics/ (no systemd runs as PID 1 on
# the test bed, so they are checked, not started):
#  - systemd-analyze verify accepts each one without a single warning (an
#    unknown key or a bad value is only a warning there, so any output fails);
#  - ExecStart runs a tool of ours with options that tool has;
#  - every capability named exists (capsh knows it), and the bounding set is
#    the ambient set.
# Usage: tests/unit/test_service.sh   (from the top of the tree; BTBPF_OUTPUT
# is the build directory).  Prints ok/not ok lines and "service: N passed, N failed".
OUT=${BTBPF_OUTPUT:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
no() { echo "not ok - $1${2:+: $2}"; fail=$((fail + 1)); }

# verify UNIT: systemd-analyze's complaints about UNIT (nothing when clean)
verify() { systemd-analyze verify --man=no "$1" 2>&1; }

for u in doc/openmetrics/*.service; do
	name=$(basename "$u")
	exec_line=$(sed -n 's/^ExecStart=//p' "$u")
	tool=$(basename "${exec_line%% *}")
	[ -x "$OUT/$tool" ] || { no "$name: ExecStart runs $tool, which we do not build"; continue; }
	ok "$name: ExecStart runs $tool, one of our tools"
	# the unit as it would be installed, with the tool at its build path
	sed "s|^ExecStart=[^ ]*|ExecStart=$PWD/$OUT/$tool|" "$u" > "$T/$name"
	msg=$(verify "$T/$name")
	[ -z "$msg" ] && ok "$name: systemd-analyze verify: no warning" ||
		no "$name: systemd-analyze verify" "$(echo "$msg" | head -3 | tr '\n' ' ')"
	for opt in ${exec_line#* }; do
		case $opt in
		-*)	"$OUT/$tool" --help 2>&1 | grep -qE -- "(^|[ ,])${opt%%=*}([ ,=]|\$)" &&
				ok "$name: $tool has option $opt" || no "$name: $tool has no option $opt" ;;
		esac
	done
	bound=$(sed -n 's/^CapabilityBoundingSet=//p' "$u")
	ambient=$(sed -n 's/^AmbientCapabilities=//p' "$u")
	[ -n "$bound" ] && [ "$bound" = "$ambient" ] && ok "$name: capabilities: $bound, bounding = ambient" ||
		no "$name: CapabilityBoundingSet ($bound) and AmbientCapabilities ($ambient) differ"
	for cap in $bound; do
		capsh --supports="$(echo "$cap" | tr 'A-Z' 'a-z')" > /dev/null 2>&1 && ok "$name: $cap exists" ||
			no "$name: $cap is not a capability this system knows"
	done
	printf 'Frobnicate=yes\n' >> "$T/$name"
	[ -n "$(verify "$T/$name")" ] && ok "$name: an unknown key is reported (the check can fail)" ||
		no "$name: an unknown key went unreported"
done
echo "service: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
