#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bash completion as make install lays it out, with and without
# APP_PREFIX=bpf-: one script, a link per tool, each name registered, and
# the candidates the function offers for options and option values.  The
# tools are the ones in tools/*.c, built in $BTBPF_OUTPUT (default build/).
# Controllers come from a made-up /sys/class/bluetooth (BTBPF_BT_CLASS_DIR).
#
# Prints ok/not ok lines and "completion: N passed, N failed".

out=${BTBPF_OUTPUT:-build}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }

# expect DESCRIPTION WANT GOT
expect() {
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		nok "$1: got '$3', want '$2'"
	fi
}

# comp WORD... : the sorted candidates for the last word, space-separated
comp() {
	local COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
	_btbpf_tools "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>"$tmp/err"
	[[ -s $tmp/err ]] && echo "stderr: $(cat "$tmp/err")"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd' '
}

# The options a tool's --help lists, as the completion should offer them.
want_options() {
	"$1" --help | sed -n 's/^  *\(-.*\)/\1/p' | sed 's/  .*//' | tr ',' '\n' |
		sed 's/^ *//' | while read -r o; do
			case $o in
			'-?' | --usage) ;;
			--*=* | --*\[=*) printf "%s=\n" "${o%%[[=]*}" ;;
			*) printf "%s\n" "${o%% *}" ;;
			esac
		done | LC_ALL=C sort | paste -sd' '
}

mkdir -p "$tmp/class/hci0" "$tmp/class/hci1" "$tmp/class/hci0:11" "$tmp/class/hcix"
export BTBPF_BT_CLASS_DIR=$tmp/class

tools=()
for src in tools/*.c; do
	[[ -e $src ]] || continue
	t=${src#tools/}
	tools+=("${t%.c}")
done

for P in "" bpf-; do
	dest=$tmp/root$P
	if ! make -s install OUTPUT="$out" DESTDIR="$dest" prefix=/usr APP_PREFIX="$P" \
		>"$tmp/install.log" 2>&1; then
		nok "make install APP_PREFIX=$P: $(tail -3 "$tmp/install.log")"
		continue
	fi
	ok "make install APP_PREFIX=$P"
	dir=$dest/usr/share/bash-completion/completions
	PATH=$dest/usr/sbin:$PATH
	hash -r
	[[ -f $dir/${P}btbpf-tools ]] && ok "$dir/${P}btbpf-tools installed" ||
		nok "$dir/${P}btbpf-tools missing"

	# bash-completion's own loader, as an interactive shell would use it
	bc=/usr/share/bash-completion/bash_completion
	if [[ -r $bc && ${#tools[@]} -gt 0 ]]; then
		n=$P${tools[0]}
		got=$(XDG_DATA_DIRS=$dest/usr/share BASH_COMPLETION_USER_DIR=$tmp/none \
			bash --norc -c '. "$1"; __load_completion "$2" && complete -p "$2"' \
			_ "$bc" "$n" 2>&1)
		expect "bash-completion's loader finds $n" "complete -F _btbpf_tools $n" "$got"
	else
		echo "ok - # skip: $bc not installed, loader not tried"
	fi

	for t in "${tools[@]}"; do
		n=$P$t
		if [[ -L $dir/$n && $(readlink "$dir/$n") == "${P}btbpf-tools" ]]; then
			ok "$n: completion link to ${P}btbpf-tools"
		else
			nok "$n: no completion link $dir/$n"
			continue
		fi
		complete -r "$n" 2>/dev/null
		# shellcheck disable=SC1090
		. "$dir/$n"
		[[ $(complete -p "$n" 2>/dev/null) == *"-F _btbpf_tools"* ]] &&
			ok "$n: registered" || nok "$n: sourcing $dir/$n registers no completion"

		expect "$n -<TAB> offers every --help option" \
			"$(want_options "$dest/usr/sbin/$n")" "$(comp "$n" -)"
		expect "$n <TAB> (interval) offers nothing" "" "$(comp "$n" "")"
		expect "$n -T <TAB> offers nothing" "" "$(comp "$n" -T "")"
		expect "$n --ti<TAB>" "--timestamp" "$(comp "$n" --ti)"

		# every option taking hciN
		"$n" --help | sed -n 's/^ *\(-[^ ,]\), \(--[^=]*\)=hciN .*/\1 \2/p' >"$tmp/dev"
		while read -r s l; do
			expect "$n $s <TAB>" "hci0 hci1" "$(comp "$n" "$s" "")"
			expect "$n $s hci1<TAB>" "hci1" "$(comp "$n" "$s" hci1)"
			expect "$n $l=<TAB> (= a word break)" "hci0 hci1" "$(comp "$n" "$l" "=")"
			expect "$n $l=h<TAB> (= a word break)" "hci0 hci1" "$(comp "$n" "$l" "=" h)"
			expect "$n $l=hci0<TAB> (one word)" "$l=hci0" "$(comp "$n" "$l=hci0")"
		done <"$tmp/dev"
		if "$n" --help | grep -q -- '--openmetrics=PATH'; then
			mkdir -p "$tmp/om" && : > "$tmp/om/node.prom"
			expect "$n --openmetrics <TAB> offers file names" "$tmp/om/node.prom" \
				"$(comp "$n" --openmetrics "$tmp/om/n")"
			expect "$n --openmetrics=<TAB> (one word)" "--openmetrics=$tmp/om/node.prom" \
				"$(comp "$n" "--openmetrics=$tmp/om/no")"
		fi
		if "$n" --help | grep -q -- '--pid=PID'; then
			expect "$n -p $$<TAB> offers this shell's PID" "$$" \
				"$(comp "$n" -p "$$" | tr ' ' '\n' | grep -x "$$")"
		fi
	done

	n=${P}btsnoop-sock
	if [[ " ${tools[*]} " == *" btsnoop-sock "* ]]; then
		expect "$n -P <TAB>" "hci iso l2cap rfcomm sco" "$(comp "$n" -P "")"
		expect "$n -P l2cap,s<TAB>" "l2cap,sco" "$(comp "$n" -P l2cap,s)"
		expect "$n -P sco,l2cap,<TAB>" \
			"sco,l2cap,hci sco,l2cap,iso sco,l2cap,l2cap sco,l2cap,rfcomm sco,l2cap,sco" \
			"$(comp "$n" -P sco,l2cap,)"
		expect "$n --proto=r<TAB> (one word)" "--proto=rfcomm" "$(comp "$n" --proto=r)"
		expect "$n --proto=i<TAB> (= a word break)" "iso" "$(comp "$n" --proto = i)"
		expect "$n -c -i <TAB> (seconds)" "" "$(comp "$n" -c -i "")"
	fi
	n=${P}btpktlat
	if [[ " ${tools[*]} " == *" btpktlat "* ]]; then
		expect "$n -P <TAB> (its three)" "iso l2cap sco" "$(comp "$n" -P "")"
		expect "$n -P iso,s<TAB>" "iso,sco" "$(comp "$n" -P iso,s)"
	fi
	n=${P}bturblat
	if [[ " ${tools[*]} " == *" bturblat "* ]]; then
		expect "$n -t <TAB>" "acl cmd iso sco" "$(comp "$n" -t "")"
		expect "$n -t s<TAB>" "sco" "$(comp "$n" -t s)"
		expect "$n --type=<TAB> (= a word break)" "acl cmd iso sco" "$(comp "$n" --type =)"
	fi
done

expect "a command that does not exist: nothing, no error" "" "$(comp no-such-btbpf-tool -)"

echo "completion: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
