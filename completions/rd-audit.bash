# bash completion for rd-audit(1)                          -*- shell-script -*-
_rd_audit()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--spool)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--html)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--fail-if)
		# Expressions hold < and >: insert them quoted, or the shell
		# would read a redirection.
		local w
		COMPREPLY=()
		for w in 'pending>1000' 'dead>0' 'oldest_pending>1h' 'amplification>1.2'; do
			if [[ $w == "${cur#\'}"* ]]; then
				COMPREPLY+=("'$w'")
			fi
		done
		return ;;
	--where | --match-url | --since | --until | --route-rule | --max-groups | \
	--failure | --limit | --prom-label | \
	--show | --redact)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--spool --json -q --quiet -v --verbose
			-h --help -V --version --where --match-url --since --until
			--route-rule --max-groups --failure --limit --stdin --prom --prom-label
			--html --list --show --redact
			--no-redact --verify --fail-if' -- "$cur"))
	fi
} &&
	complete -F _rd_audit rd-audit
