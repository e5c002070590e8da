#!/bin/sh
# tests/helpers/nginx.sh - start Debian's nginx on 127.0.0.1 as a downstream
# for tests and benchmarks, from a configuration written into DIR.
#
# Usage: nginx.sh DIR PORT [--limit RATE BURST] [--tls] [--no-log]
#   --limit RATE BURST  limit_req at RATE r/s with BURST, 503 beyond
#   --tls               listen with TLS and HTTP/2 (a self-signed certificate
#                       for 127.0.0.1 is made in DIR: DIR/cert.pem)
#   --no-log            no access log (throughput runs)
# Every location answers 200 "ok" to any method, but /redirect, which
# answers 302 to /.  The access log,
# DIR/access.log, has one line per request:
#   MSEC STATUS METHOD URI IDEMPOTENCY-KEY PROTOCOL CONNECTION
# nginx runs in the foreground of a background job: the script prints its
# PID once it answers, and the caller stops it by that PID.
set -eu
dir=$1 port=$2
shift 2
limit="" tls="" log=1
while [ $# -gt 0 ]; do
	case $1 in
	--limit) limit="$2 $3"; shift 3 ;;
	--tls) tls=1; shift ;;
	--no-log) log=""; shift ;;
	*) echo "nginx.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$dir/tmp" "$dir/www"
echo ok > "$dir/www/ok.txt"
listen="listen 127.0.0.1:$port;"
if [ -n "$tls" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" > /dev/null 2>&1
	listen="listen 127.0.0.1:$port ssl http2;
		ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;"
fi
zone="" rule=""
if [ -n "$limit" ]; then
	set -- $limit
	zone="limit_req_zone \$binary_remote_addr zone=rd:1m rate=${1}r/s;"
	rule="limit_req zone=rd burst=$2 nodelay; limit_req_status 503;"
fi
if [ -n "$log" ]; then
	logline="log_format rd '\$msec \$status \$request_method \$request_uri \$http_idempotency_key \$server_protocol \$connection';
	access_log $dir/access.log rd;"
else
	logline="access_log off;"
fi
user=""
[ "$(id -u)" -eq 0 ] && user="user root;"
cat > "$dir/nginx.conf" <<CONF
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
	$logline
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	keepalive_requests 1000000;
	$zone
	server {
		$listen
		# A static file, not "return": return runs before limit_req
		# would.  Other methods than GET get the file too, with 200.
		root $dir/www;
		location = /redirect { return 302 /; }
		location / {
			$rule
			try_files /ok.txt =404;
			error_page 405 =200 /ok.txt;
		}
	}
}
CONF
nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' \
	< /dev/null > "$dir/nginx.out" 2>&1 &
pid=$!
scheme=http
[ -n "$tls" ] && scheme=https
i=0
while ! curl -sk -o /dev/null "$scheme://127.0.0.1:$port/" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		cat "$dir/error.log" >&2
		kill "$pid" 2>/dev/null
		exit 1
	fi
	sleep 0.05
done
[ -n "$log" ] && : > "$dir/access.log"
echo "$pid"
