# SPDX-License-Identifier: GPL-2.0
# bash completion for the btbpf-tools commands.
#
# One function serves every tool: the options are read from the tool's own
# --help table (argp parses it before any root or kernel check) and cached
# per binary, so a new tool or option needs no change here.  Option values:
#   hciN (a controller)     the hciN entries of /sys/class/bluetooth
#   PID                     running processes
#   PROTO (btsnoop-sock -P) l2cap,sco,hci,rfcomm,iso, comma-separated
#   PROTO (btpktlat -P)     l2cap,iso,sco, comma-separated
#   TYPE  (bturblat -t)     cmd, acl, sco or iso
#   PATH  (--openmetrics)   file names
#
# make install writes this file as $(bashcompdir)/$(APP_PREFIX)btbpf-tools,
# replacing the two placeholders below, and links every tool's name to it.

_btbpf_tools_prefix='@APP_PREFIX@'
declare -gA _btbpf_tools_help 2>/dev/null || declare -A _btbpf_tools_help

# Prints the --help options of command $1 as "OPTION ARGNAME" lines
# (ARGNAME "-" when the option takes none).
_btbpf_tools_options()
{
	local path key
	path=$(type -P -- "$1") || return
	key=$path
	if [[ -z ${_btbpf_tools_help[$key]+set} ]]; then
		_btbpf_tools_help[$key]=$(LC_ALL=C "$path" --help 2>/dev/null | awk '
			/^  +-/ {
				line = $0
				sub(/^ +/, "", line)
				sub(/  .*/, "", line)
				arg = "-"
				if (match(line, /[= ][^- ,][^ ,]*$/)) {
					arg = substr(line, RSTART + 1)
					gsub(/[][=]/, "", arg)
				}
				n = split(line, f, /, /)
				for (i = 1; i <= n; i++) {
					o = f[i]
					sub(/[=[ ].*/, "", o)
					print o, arg
				}
			}')
	fi
	printf '%s\n' "${_btbpf_tools_help[$key]}"
}

# Candidates from a fixed list.  $1 "multi": the value is a comma-separated
# list and the last item is completed; "one": a single item.
_btbpf_tools_list()
{
	local mode=$1 cur=$2 head= w
	[[ $mode == multi && $cur == *,* ]] && head=${cur%,*},
	shift 2
	for w in "$@"; do
		[[ $head$w == "$cur"* ]] && COMPREPLY+=("$head$w")
	done
	# room to type a comma and the next item
	[[ $mode == multi && ${#COMPREPLY[@]} -eq 1 ]] && compopt -o nospace 2>/dev/null
	return 0
}

_btbpf_tools_devices()
{
	local cur=$1 d
	for d in "${BTBPF_BT_CLASS_DIR:-/sys/class/bluetooth}"/hci*; do
		d=${d##*/}
		[[ $d =~ ^hci[0-9]+$ && $d == "$cur"* ]] && COMPREPLY+=("$d")
	done
}

_btbpf_tools_pids()
{
	local cur=$1 p
	for p in /proc/[0-9]*; do
		p=${p##*/}
		[[ $p == "$cur"* ]] && COMPREPLY+=("$p")
	done
}

_btbpf_tools()
{
	local cmd=${COMP_WORDS[0]} cword=$COMP_CWORD
	local cur=${COMP_WORDS[cword]} prev= opt= val= tool line o a
	local -A argname=()
	COMPREPLY=()

	while read -r o a; do
		[[ -n $o ]] && argname[$o]=$a
	done < <(_btbpf_tools_options "$cmd")
	[[ ${#argname[@]} -eq 0 ]] && return 0

	tool=${cmd##*/}
	tool=${tool#"$_btbpf_tools_prefix"}
	((cword > 0)) && prev=${COMP_WORDS[cword - 1]}

	# Which option's value is being completed, if any: "--opt=val" in one
	# word, "--opt" "=" "val" when = is in COMP_WORDBREAKS, or "-o" "val".
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*} val=${cur#*=}
	elif [[ $cur == = && $prev == --* ]]; then
		opt=$prev val=
	elif [[ $prev == = ]] && ((cword > 1)); then
		opt=${COMP_WORDS[cword - 2]} val=$cur
	elif [[ $prev == -* && ${argname[$prev]:--} != - ]]; then
		opt=$prev val=$cur
	fi

	if [[ -n $opt ]]; then
		a=${argname[$opt]:--}
		[[ $a == - ]] && return 0
		case $tool:$opt:$a in
		*:hci*) _btbpf_tools_devices "$val" ;;
		*:PID) _btbpf_tools_pids "$val" ;;
		*:PATH)
			compopt -o filenames 2>/dev/null
			while IFS= read -r o; do COMPREPLY+=("$o"); done < <(compgen -f -- "$val")
			;;
		btpktlat:*:PROTO*) _btbpf_tools_list multi "$val" l2cap iso sco ;;
		*:PROTO*) _btbpf_tools_list multi "$val" l2cap sco hci rfcomm iso ;;
		bturblat:*:TYPE* | bturblat:-t:* | bturblat:--type:*)
			_btbpf_tools_list one "$val" cmd acl sco iso ;;
		esac
		# "--opt=val" in one word: readline replaces the whole word.
		if [[ $cur == --*=* ]]; then
			local i
			for i in "${!COMPREPLY[@]}"; do
				COMPREPLY[i]=$opt=${COMPREPLY[i]}
			done
		fi
		return 0
	fi

	if [[ $cur == -* ]]; then
		for o in "${!argname[@]}"; do
			[[ $o == '-?' || $o == --usage ]] && continue
			if [[ $o == --* && ${argname[$o]} != - ]]; then
				o=$o=
			fi
			[[ $o == "$cur"* ]] && COMPREPLY+=("$o")
		done
		if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
			compopt -o nospace 2>/dev/null
		fi
		# stable order for the listing
		if [[ ${#COMPREPLY[@]} -gt 1 ]]; then
			mapfile -t COMPREPLY < <(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort)
		fi
	fi
	# positional arguments (interval, count): nothing to offer
	return 0
}

complete -F _btbpf_tools -- @NAMES@
