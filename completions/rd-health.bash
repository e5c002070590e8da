# bash completion for rd-health(1)                         -*- shell-script -*-
_rd_health()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--spool)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--state | --cacert)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--no-data)
		COMPREPLY=($(compgen -W 'unhealthy healthy unknown' -- "$cur"))
		return ;;
	--check)
		# Expressions hold < and >: insert them quoted, or the shell
		# would read a redirection.
		local w
		COMPREPLY=()
		for w in 'p99<250ms' 'p50<100ms' 'error_rate<1%' 'value>=0.99' 'rate<100'; do
			if [[ $w == "${cur#\'}"* ]]; then
				COMPREPLY+=("'$w'")
			fi
		done
		return ;;
	-u | --url | -n | --samples | --timeout | --expect | -H | --header | \
	--jq | --match | --prom | --promql | --metrics | --metric | --window | \
	--open-after | --cooldown | --close-after | -w | --warning | \
	-c | --critical)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--spool --json -q --quiet -v --verbose
			-h --help -V --version -u --url -n --samples --timeout --expect
			-H --header --jq --match -k --insecure --cacert --prom --promql
			--metrics --metric --from-spool --window --check --state --open-after
			--cooldown --close-after --nagios --no-data -w --warning -c --critical' -- "$cur"))
	fi
} &&
	complete -F _rd_health rd-health
