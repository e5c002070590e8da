# tests/proxy.bash - what the rd-proxy suites share: starting and
# stopping rd-proxy, a port nothing listens on, curl and raw requests
# through it, and small perl upstreams.  Loaded after common.bash.

px_setup() {
	common_setup
	PX_PID="" UP_PID=""
}

px_teardown() {
	[ -n "$PX_PID" ] && kill -9 "$PX_PID" 2> /dev/null
	[ -n "$UP_PID" ] && kill "$UP_PID" 2> /dev/null
	ds_stop || true
	ngx_stop
	common_teardown
}

# Start rd-proxy in front of $1 with the other arguments; sets PX (its
# ADDR:PORT), PX_PID, and METRICS when --metrics-listen is given.
px_start() {
	local up=$1 i
	shift
	rd-proxy --listen 127.0.0.1:0 --upstream "$up" --spool "$SPOOL" "$@" \
		2> "$T/px.err" 3>&- &
	PX_PID=$!
	for i in $(seq 100); do
		grep -q 'listening on' "$T/px.err" 2> /dev/null && break
		kill -0 "$PX_PID" 2> /dev/null || break
		sleep 0.05
	done
	PX=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$T/px.err")
	METRICS=$(sed -n 's/.*metrics on \(.*\)$/\1/p' "$T/px.err")
	[ -n "$PX" ] || { cat "$T/px.err" >&2; return 1; }
}

# Stop it with SIGTERM (unless a test sent one and it is gone already):
# it must exit 0 and report no sanitizer finding.
px_stop() {
	local rc=0
	kill -TERM "$PX_PID" 2> /dev/null || true
	wait "$PX_PID" || rc=$?
	PX_PID=""
	! grep -q 'Sanitizer\|runtime error' "$T/px.err" || { cat "$T/px.err" >&2; return 1; }
	[ "$rc" -eq 0 ] || { echo "rd-proxy exited $rc" >&2; cat "$T/px.err" >&2; return 1; }
}

# A free port nothing listens on.
dead_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 20); do
		(exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || { echo "$p"; return; }
	done
	return 1
}

# A header of the last response saved by curl -D into $T/h.
hdr() {
	tr -d '\r' < "$T/h" | sed -n "s/^$1: //Ip" | tail -n 1
}

# curl through the proxy: the status on stdout, headers in $T/h, the body
# in $T/b.
pcurl() {
	curl -s -D "$T/h" -o "$T/b" -w '%{http_code}' "$@"
}

# Request ids stored in the spool.
stored_ids() {
	rd-audit --list 2> /dev/null | jq -r .id | sort
}

# One raw request on a fresh connection; the answer on stdout.
raw() {
	local port=${PX##*:}
	exec 5<> "/dev/tcp/127.0.0.1/$port"
	printf '%b' "$1" >&5
	timeout 5 cat <&5 || true
	exec 5<&-
}

# A perl upstream on 127.0.0.1 that reads a head and then does $1:
# "reset" (closes with RST), "close" (closes, no answer), "big503"
# (answers 503 with 60000 A, 10000 B and 100 C, in chunks sent apart),
# "304" (answers 304 with an ETag and no Content-Length, as nginx does); or
# "plain" answers plain text at once, whatever comes (a TLS client fails
# on it).
# Sets UP_PORT.
perl_up() {
	perl -MIO::Socket::INET -MSocket -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
			Listen => 64, ReuseAddr => 1) or die;
		open(my $f, ">", $ARGV[1]) or die; print $f $s->sockport, "\n"; close $f;
		while (my $c = $s->accept) {
			if ($ARGV[0] eq "plain") { print $c "HTTP/1.1 400 Bad\r\n\r\n"; close $c; next }
			my $h = ""; while (defined(my $l = <$c>)) { $h .= $l; last if $l =~ /^\r?\n$/ }
			setsockopt($c, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)) if $ARGV[0] eq "reset";
			print $c "HTTP/1.1 304 Not Modified\r\nETag: \"e1\"\r\n\r\n" if $ARGV[0] eq "304";
			if ($ARGV[0] eq "big503") {
				$c->autoflush(1);
				print $c "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n";
				for my $p ("A" x 60000, "B" x 10000, "C" x 100) {
					printf $c "%x\r\n%s\r\n", length($p), $p;
					select(undef, undef, undef, 0.1);
				}
				print $c "0\r\n\r\n";
			}
			close $c;
		}' "$1" "$T/up.port" 2> /dev/null 3>&- &
	UP_PID=$!
	local i
	for i in $(seq 100); do [ -s "$T/up.port" ] && break; sleep 0.05; done
	UP_PORT=$(cat "$T/up.port")
}
