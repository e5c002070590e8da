# bash completion for rd-replay(1)                         -*- shell-script -*-
_rd_replay()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--spool)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--cacert)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--gate)
		COMPREPLY=($(compgen -c -- "$cur"))
		return ;;
	--rate)
		COMPREPLY=($(compgen -W 'max 10/s 100/s 1000/s' -- "$cur"))
		return ;;
	--failure)
		COMPREPLY=($(compgen -W 'timeout connect dns tls network http_429 http_500 http_502 http_503 http_504 unknown' -- "$cur"))
		return ;;
	--burst | -c | --concurrency | --adaptive-start | --latency-target | \
	--error-target | --gate-every | --gate-timeout | --max-attempts | \
	--backoff | --backoff-max | --success | --where | --match-url | \
	--since | --until | --limit | --target | -H | --header | \
	--drop-header | --idempotency-header | --allow-host | --timeout | \
	--connect-timeout | --max-time | --grace | --max-age | \
	--response-bytes | --reason | --max-revives)
		return ;;
	esac

	if [[ $cur == --dry-run=* ]]; then
		COMPREPLY=($(compgen -W '--dry-run=curl --dry-run=raw' -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--spool --json -q --quiet -v --verbose
			-h --help -V --version --rate --burst -c --concurrency
			--adaptive --adaptive-start --latency-target --error-target
			--gate --gate-every --gate-timeout --max-attempts --backoff
			--backoff-max --success --where --match-url --since --until
			--failure --limit --stdin --revive --target -H --header
			--drop-header --idempotency-header --no-idempotency-key --no-redact
			--allow-host --timeout --connect-timeout -k --insecure --cacert
			--http1.1 --http2-prior-knowledge --max-time --grace
			--dry-run --max-age --response-bytes --reason --max-revives
			--force' -- "$cur"))
	fi
} &&
	complete -F _rd_replay rd-replay
