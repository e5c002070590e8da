# bash completion for rd-compact(1): the words come from rd-compact itself
# (--completion-helper), so they are always its own options.
_rd_compact()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} w
	local IFS=$'\n'

	COMPREPLY=()
	for w in $(rd-compact --completion-helper bash "$prev" "$cur" 2>/dev/null); do
		case $w in
		@file) COMPREPLY+=($(compgen -f -- "$cur")) ;;
		@dir) COMPREPLY+=($(compgen -d -- "$cur")) ;;
		@command) COMPREPLY+=($(compgen -c -- "$cur")) ;;
		@atfile) [[ $cur == @* ]] && COMPREPLY+=($(compgen -f -P @ -- "${cur#@}")) ;;
		*) COMPREPLY+=("$w") ;;
		esac
	done
	return 0
} &&
	complete -F _rd_compact rd-compact
