# bash completion for rd-audit(1): the words come from rd-audit itself
# (--completion-helper), so they are always its own options.
_rd_audit()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} w
	local IFS=$'\n' pre=""

	# bash splits --opt=VALUE at the '=': ask for "--opt=VALUE" whole,
	# and put back only what follows the '='
	if [[ $cur == = && COMP_CWORD -ge 2 ]]; then
		pre="$prev=" cur="$prev=" prev=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ $prev == = && COMP_CWORD -ge 3 ]]; then
		pre="${COMP_WORDS[COMP_CWORD-2]}="
		cur="$pre$cur" prev=${COMP_WORDS[COMP_CWORD-3]}
	fi
	COMPREPLY=()
	for w in $(rd-audit --completion-helper bash "$prev" "$cur" 2>/dev/null); do
		case $w in
		@file) COMPREPLY+=($(compgen -f -- "${cur#"$pre"}")) ;;
		@dir) COMPREPLY+=($(compgen -d -- "${cur#"$pre"}")) ;;
		@command) COMPREPLY+=($(compgen -c -- "$cur")) ;;
		@atfile) [[ $cur == @* ]] && COMPREPLY+=($(compgen -f -P @ -- "${cur#@}")) ;;
		*) COMPREPLY+=("${w#"$pre"}") ;;
		esac
	done
	return 0
} &&
	complete -F _rd_audit rd-audit
