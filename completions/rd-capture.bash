# bash completion for rd-capture(1)                        -*- shell-script -*-
_rd_capture()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--spool)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--input | --reject | --cacert | -o | --output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-d | --data | --data-ascii | --data-binary | --data-urlencode | --json | \
	-H | --header | -w | --write-out)
		if [[ $cur == @* ]]; then
			COMPREPLY=($(compgen -f -P @ -- "${cur#@}"))
		fi
		return ;;
	--fsync)
		COMPREPLY=($(compgen -W 'always batch interval never' -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W 'ids json' -- "$cur"))
		return ;;
	--scheme)
		COMPREPLY=($(compgen -W 'http https' -- "$cur"))
		return ;;
	-X | --request)
		COMPREPLY=($(compgen -W 'GET POST PUT PATCH DELETE HEAD OPTIONS' -- "$cur"))
		return ;;
	--failure)
		COMPREPLY=($(compgen -W 'timeout connect dns tls http_429 http_500 http_502 http_503 http_504 unknown' -- "$cur"))
		return ;;
	--data-raw | -u | --user | -A | --user-agent | -e | --referer | \
	-b | --cookie | --jq | --status | --message | --attempts | \
	--idempotency-key | --idempotency-header | --tag | --fsync-interval | \
	--segment-size | --max-spool-size | --max-record-size | -m | \
	--max-time | --timeout | --connect-timeout | --max-redirs | --success)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--spool -q --quiet -v --verbose
			-h --help -V --version --input --raw --scheme --jq
			-X --request -H --header -d --data --data-ascii --data-binary
			--data-raw --data-urlencode --json -G --get -u --user
			-A --user-agent -e --referer -b --cookie --compressed
			--failure --status --message --attempts --idempotency-key --tag
			--fsync --fsync-interval --segment-size --max-spool-size
			--max-record-size --try --idempotency-header
			--no-idempotency-key --success -i --include -o --output
			-w --write-out -f --fail --fail-with-body -L --location
			--max-redirs -m --max-time --timeout --connect-timeout
			-k --insecure --cacert -s --silent -S --show-error
			--format --reject' -- "$cur"))
	fi
} &&
	complete -F _rd_capture rd-capture
