# bash completion for rd-capture(1)                        -*- shell-script -*-
_rd_capture()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	-d | --dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-i | --input | --reject | --cacert)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--data | --data-binary)
		if [[ $cur == @* ]]; then
			COMPREPLY=($(compgen -f -P @ -- "${cur#@}"))
		fi
		return ;;
	--fsync)
		COMPREPLY=($(compgen -W 'always batch interval never' -- "$cur"))
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
	-H | --header | --data-raw | --jq | --status | --message | --attempts | \
	--idempotency-key | --tag | --fsync-interval | --segment-size | \
	--max-spool-size | --max-record-size | --timeout | --connect-timeout | \
	--success)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-d --dir --json -q --quiet -v --verbose
			-h --help -V --version -i --input --raw --scheme --jq
			-X --request -H --header --data --data-binary --data-raw
			--failure --status --message --attempts --idempotency-key --tag
			--fsync --fsync-interval --segment-size --max-spool-size
			--max-record-size --reject --try --timeout --connect-timeout
			-k --insecure --cacert --success' -- "$cur"))
	fi
} &&
	complete -F _rd_capture rd-capture
