# bash completion for rd-proxy(1): the words come from rd-proxy itself
# (--completion-helper), so they are always its own options.
_rd_proxy()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} w
	local IFS=$'\n'

	COMPREPLY=()
	for w in $(rd-proxy --completion-helper bash "$prev" "$cur" 2>/dev/null); do
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
	complete -F _rd_proxy rd-proxy
