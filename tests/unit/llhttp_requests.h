/*
 * llhttp_requests.h - request inputs that llhttp publishes with its
 * parser (the files of its test/request directory), with the outcome each
 * has when read by lib/rawhttp as one connection with no scheme: how many
 * messages are accepted, and the first refusal.  Shared by
 * test_rawhttp_llhttp.c, which checks those outcomes, and
 * test_roundtrip.c, which renders every accepted message and reads it
 * again.  Test data only: include it in one test_*.c per binary.
 */
#ifndef LLHTTP_REQUESTS_H
#define LLHTTP_REQUESTS_H

/*
 * One input read with rawhttp_next and scheme NULL (no Host needed): how
 * many messages are accepted before the end or the first refusal, and
 * that refusal.
 */
struct ll {
	const char *name;
	int msgs;
	const char *why; /* NULL: the whole input is accepted; else part of the reason */
	long at;         /* the refused byte, counted from the start of the input */
	const char *in;
};

/*
 * Translated from the request cases that llhttp publishes with its parser
 * (MIT licence): the inputs, with the outcome each has here.  llhttp's
 * responses, its callback and pausing API (pausing.md adds three inputs),
 * the skipBody callback case of content-length.md and the 2 KB obs-fold
 * of sample.md's X-SSL-Nonsense (the same rule as "Line folding in header
 * value with CRLF") are left out; an input that appears twice (a strict
 * case and its lenient twin) is here once.  A case llhttp accepts only
 * with a lenient flag is refused, as its strict mode does.  Deliberate
 * differences are marked "differs".  llhttp feeds input as a stream and
 * waits at its end; here an input that ends mid-message is refused.
 */
/* llhttp test/request/invalid.md */
static const struct ll ll_invalid[] = {
	{ "ICE protocol and GET method", 0, "unsupported version", 23,
	  "GET /music/sweet/music ICE/1.0\r\nHost: example.com\r\n\r\n" },
	{ "ICE protocol, but not really", 0, "unsupported version", 23,
	  "GET /music/sweet/music IHTTP/1.0\r\nHost: example.com\r\n\r\n" },
	{ "RTSP protocol and PUT method", 0, "unsupported version", 23,
	  "PUT /music/sweet/music RTSP/1.0\r\nHost: example.com\r\n\r\n" },
	/* differs: llhttp knows a fixed list of methods; any token is one here */
	{ "HTTP protocol and ANNOUNCE method", 1, NULL, -1,
	  "ANNOUNCE /music/sweet/music HTTP/1.0\r\nHost: example.com\r\n\r\n" },
	{ "Headers separated by CR", 0, "bare CR in a line", 22,
	  "GET / HTTP/1.1\r\nFoo: 1\rBar: 2\r\n\r\n" },
	{ "Headers separated by LF",
	  0, "bare LF, but the request line ends in CRLF", 42,
	  "POST / HTTP/1.1\r\nHost: localhost:5000\r\nx:x\nTransfer-Encoding:"
	  " chunked\r\n\r\n1\r\nA\r\n0\r\n" },
	{ "Headers separated by dummy characters", 0, "bare CR in a line", 44,
	  "GET / HTTP/1.1\r\nConnection: close\r\nHost: a\r\n\rZGET /evil: HT"
	  "TP/1.1\r\nHost: a\r\n" },
	{ "Empty headers separated by CR", 0, "bare CR in a line", 60,
	  "POST / HTTP/1.1\r\nConnection: Close\r\nHost: localhost:5000\r\nx:"
	  "\rTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n0\r\n" },
	{ "Empty headers separated by LF",
	  0, "bare LF, but the request line ends in CRLF", 41,
	  "POST / HTTP/1.1\r\nHost: localhost:5000\r\nx:\nTransfer-Encoding: "
	  "chunked\r\n\r\n1\r\nA\r\n0\r\n" },
	{ "Invalid header token #1", 0, "header name is not a token", 18,
	  "GET / HTTP/1.1\r\nFo@: Failure\r\n\r\n" },
	{ "Invalid header token #2", 0, "header name is not a token", 19,
	  "GET / HTTP/1.1\r\nFoo\001\test: Bar\r\n\r\n" },
	{ "Invalid header token #3", 0, "header name is not a token", 16,
	  "GET / HTTP/1.1\r\n: Bar\r\n\r\n" },
	/* differs: llhttp knows a fixed list of methods; any token is one here */
	{ "Invalid method", 1, NULL, -1,
	  "MKCOLA / HTTP/1.1\r\n\r\n" },
	{ "Illegal header field name line folding",
	  0, "header name is not a token", 20,
	  "GET / HTTP/1.1\r\nname\r\n : value\r\n\r\n" },
	{ "Corrupted Connection header", 0, "bare CR in a line", 49,
	  "GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection\r\0335\303\225"
	  "eep-Alive\r\nAccept-Encoding: gzip\r\n\r\n" },
	{ "Corrupted header name", 0, "bare CR in a line", 52,
	  "GET / HTTP/1.1\r\nHost: www.example.com\r\nX-Some-Header\r\0335\303"
	  "\225eep-Alive\r\nAccept-Encoding: gzip\r\n\r\n" },
	{ "Missing CR between headers",
	  0, "bare LF, but the request line ends in CRLF", 41,
	  "GET / HTTP/1.1\r\nHost: localhost\r\nDummy: x\nContent-Length: 23\r"
	  "\n\r\nGET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: localh"
	  "ost\r\n\r\n" },
	{ "Invalid HTTP version", 0, "incomplete header section", 14,
	  "GET / HTTP/5.6" },
	{ "Invalid space after start line", 0, "incomplete header section", 26,
	  "GET / HTTP/1.1\r\n Host: foo" },
	{ "Only LFs present", 0, "CRLF, but the request line ends in LF", 55,
	  "POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: Baz\r\nFoo: "
	  "abc\nBar: def\n\n1\nA\n1;abc\nB\n1;def=ghi\nC\n1;jkl=\"mno\"\nD\n0"
	  "\n\nBaz: ghi\n\n\\" },
	/* llhttp accepts this only with its lenient-all flag */
	{ "Only LFs present (lenient)",
	  0, "CRLF, but the request line ends in LF", 55,
	  "POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: Baz\r\nFoo: "
	  "abc\nBar: def\n\n1\nA\n1;abc\nB\n1;def=ghi\nC\n1;jkl=\"mno\"\nD\n0"
	  "\n\nBaz: ghi\n\n" },
	{ "Spaces before headers",
	  0, "obsolete line folding is not accepted", 49,
	  "POST /hello HTTP/1.1\r\nHost: localhost\r\nFoo: bar\r\n Content-Le"
	  "ngth: 38\r\n\r\nGET /bye HTTP/1.1\r\nHost: localhost\r\n\r\n" },
};

/* llhttp test/request/sample.md */
static const struct ll ll_sample[] = {
	{ "Simple request", 1, NULL, -1,
	  "OPTIONS /url HTTP/1.1\r\nHeader1: Value1\r\nHeader2:\t Value2\r\n\r"
	  "\n" },
	{ "Request with method starting with `H`", 1, NULL, -1,
	  "HEAD /url HTTP/1.1\r\n\r\n" },
	{ "curl GET", 1, NULL, -1,
	  "GET /test HTTP/1.1\r\nUser-Agent: curl/7.18.0 (i486-pc-linux-gnu) "
	  "libcurl/7.18.0 OpenSSL/0.9.8g zlib/1.2.3.3 libidn/1.1\r\nHost: 0.0"
	  ".0.0=5000\r\nAccept: */*\r\n\r\n" },
	{ "Firefox GET", 1, NULL, -1,
	  "GET /favicon.ico HTTP/1.1\r\nHost: 0.0.0.0=5000\r\nUser-Agent: Moz"
	  "illa/5.0 (X11; U; Linux i686; en-US; rv:1.9) Gecko/2008061015 Fire"
	  "fox/3.0\r\nAccept: text/html,application/xhtml+xml,application/xml"
	  ";q=0.9,*/*;q=0.8\r\nAccept-Language: en-us,en;q=0.5\r\nAccept-Enco"
	  "ding: gzip,deflate\r\nAccept-Charset: ISO-8859-1,utf-8;q=0.7,*;q=0"
	  ".7\r\nKeep-Alive: 300\r\nConnection: keep-alive\r\n\r\n" },
	{ "DUMBPACK", 1, NULL, -1,
	  "GET /dumbpack HTTP/1.1\r\naaaaaaaaaaaaa:++++++++++\r\n\r\n" },
	{ "No headers and no body", 1, NULL, -1,
	  "GET /get_no_headers_no_body/world HTTP/1.1\r\n\r\n" },
	{ "One header and no body", 1, NULL, -1,
	  "GET /get_one_header_no_body HTTP/1.1\r\nAccept: */*\r\n\r\n" },
	{ "Apache bench GET", 1, NULL, -1,
	  "GET /test HTTP/1.0\r\nHost: 0.0.0.0:5000\r\nUser-Agent: ApacheBenc"
	  "h/2.3\r\nAccept: */*\r\n\r\n" },
	{ "Prefix newline", 1, NULL, -1,
	  "\r\nGET /test HTTP/1.1\r\n\r\n" },
	/* differs: llhttp also reads HTTP/0.9, RTSP and ICE; only HTTP/1.x is here */
	{ "No HTTP version",
	  0, "request line is not 'METHOD TARGET HTTP/1.1'", 5,
	  "GET /\r\n\r\n" },
	/* llhttp accepts this only with its lenient-headers flag */
	{ "Line folding in header value with CRLF",
	  0, "obsolete line folding is not accepted", 30,
	  "GET / HTTP/1.1\r\nLine1:   abc\r\n\tdef\r\n ghi\r\n\t\tjkl\r\n  mn"
	  "o \r\n\t \tqrs\r\nLine2: \t line2\t\r\nLine3:\r\n line3\r\nLine4: "
	  "\r\n \r\nConnection:\r\n close\r\n\r\n" },
	{ "Line folding in header value with LF",
	  0, "bare LF, but the request line ends in CRLF", 28,
	  "GET / HTTP/1.1\r\nLine1:   abc\n\tdef\n ghi\n\t\tjkl\n  mno \n\t \t"
	  "qrs\nLine2: \t line2\t\nLine3:\n line3\nLine4: \n \nConnection:\n "
	  "close\n\n" },
	{ "No LF after CR", 0, "bare CR in a line", 14,
	  "GET / HTTP/1.1\rLine: 1\r\n" },
	{ "Request starting with CRLF", 1, NULL, -1,
	  "\r\nGET /url HTTP/1.1\r\nHeader1: Value1\r\n\r\n" },
	{ "Extended Characters", 1, NULL, -1,
	  "GET / HTTP/1.1\r\nTest: D\303\274sseldorf\r\n\r\n" },
	{ "255 ASCII in header value", 1, NULL, -1,
	  "OPTIONS /url HTTP/1.1\r\nHeader1: Value1\r\nHeader2: \303\277Value"
	  "2\r\n\r\n" },
};

/* llhttp test/request/method.md */
static const struct ll ll_method[] = {
	{ "REPORT request", 1, NULL, -1,
	  "REPORT /test HTTP/1.1\r\n\r\n" },
	/* differs: llhttp reads CONNECT; a tunnel is not a request to replay */
	{ "CONNECT request", 0, "unsupported request target", 8,
	  "CONNECT 0-home0.netscape.com:443 HTTP/1.0\r\nUser-agent: Mozilla/1"
	  ".1N\r\nProxy-authorization: basic aGVsbG86d29ybGQ=\r\n\r\nsome dat"
	  "a\r\nand yet even more data" },
	/* differs: llhttp reads CONNECT; a tunnel is not a request to replay */
	{ "CONNECT request with CAPS", 0, "unsupported request target", 8,
	  "CONNECT HOME0.NETSCAPE.COM:443 HTTP/1.0\r\nUser-agent: Mozilla/1.1"
	  "N\r\nProxy-authorization: basic aGVsbG86d29ybGQ=\r\n\r\n" },
	/* differs: llhttp reads CONNECT; a tunnel is not a request to replay */
	{ "CONNECT with body", 0, "unsupported request target", 8,
	  "CONNECT foo.bar.com:443 HTTP/1.0\r\nUser-agent: Mozilla/1.1N\r\nPr"
	  "oxy-authorization: basic aGVsbG86d29ybGQ=\r\nContent-Length: 10\r\n"
	  "\r\nblarfcicle\"" },
	/* differs: llhttp takes an asterisk-form target: not a URL to replay */
	{ "M-SEARCH request", 0, "unsupported request target", 9,
	  "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:d"
	  "iscover\"\r\nST: \"ssdp:all\"\r\n\r\n" },
	{ "PATCH request", 1, NULL, -1,
	  "PATCH /file.txt HTTP/1.1\r\nHost: www.example.com\r\nContent-Type:"
	  " application/example\r\nIf-Match: \"e0023aa4e\"\r\nContent-Length:"
	  " 10\r\n\r\ncccccccccc" },
	{ "PURGE request", 1, NULL, -1,
	  "PURGE /file.txt HTTP/1.1\r\nHost: www.example.com\r\n\r\n" },
	{ "SEARCH request", 1, NULL, -1,
	  "SEARCH / HTTP/1.1\r\nHost: www.example.com\r\n\r\n" },
	{ "LINK request", 1, NULL, -1,
	  "LINK /images/my_dog.jpg HTTP/1.1\r\nHost: example.com\r\nLink: <ht"
	  "tp://example.com/profiles/joe>; rel=\"tag\"\r\nLink: <http://examp"
	  "le.com/profiles/sally>; rel=\"tag\"\r\n\r\n" },
	{ "LINK request", 1, NULL, -1,
	  "UNLINK /images/my_dog.jpg HTTP/1.1\r\nHost: example.com\r\nLink: <"
	  "http://example.com/profiles/sally>; rel=\"tag\"\r\n\r\n" },
	{ "SOURCE request", 1, NULL, -1,
	  "SOURCE /music/sweet/music HTTP/1.1\r\nHost: example.com\r\n\r\n" },
	/* differs: llhttp also reads HTTP/0.9, RTSP and ICE; only HTTP/1.x is here */
	{ "SOURCE request with ICE", 0, "unsupported version", 26,
	  "SOURCE /music/sweet/music ICE/1.0\r\nHost: example.com\r\n\r\n" },
	/* differs: llhttp also reads HTTP/0.9, RTSP and ICE; only HTTP/1.x is here */
	{ "OPTIONS request with RTSP", 0, "unsupported version", 27,
	  "OPTIONS /music/sweet/music RTSP/1.0\r\nHost: example.com\r\n\r\n" },
	/* differs: llhttp also reads HTTP/0.9, RTSP and ICE; only HTTP/1.x is here */
	{ "ANNOUNCE request with RTSP", 0, "unsupported version", 28,
	  "ANNOUNCE /music/sweet/music RTSP/1.0\r\nHost: example.com\r\n\r\n" },
	{ "PRI request HTTP2", 0, "unsupported request target", 4,
	  "PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n" },
	{ "QUERY request", 1, NULL, -1,
	  "QUERY /contacts HTTP/1.1\r\nHost: example.org\r\nContent-Type: exa"
	  "mple/query\r\nAccept: text/csv\r\nContent-Length: 41\r\n\r\nselect"
	  " surname, givenname, email limit 10" },
};

/* llhttp test/request/uri.md */
static const struct ll ll_uri[] = {
	{ "Quotes in URI", 1, NULL, -1,
	  "GET /with_\"lovely\"_quotes?foo=\\\"bar\\\" HTTP/1.1\r\n\r\n" },
	{ "Query URL with question mark", 1, NULL, -1,
	  "GET /test.cgi?foo=bar?baz HTTP/1.1\r\n\r\n" },
	{ "Host terminated by a query string", 1, NULL, -1,
	  "GET http://hypnotoad.org?hail=all HTTP/1.1\r\n\r\n\r\n" },
	{ "`host:port` terminated by a query string", 1, NULL, -1,
	  "GET http://hypnotoad.org:1234?hail=all HTTP/1.1\r\n\r\n" },
	{ "Query URL with vertical bar character", 1, NULL, -1,
	  "GET /test.cgi?query=| HTTP/1.1\r\n\r\n" },
	{ "`host:port` terminated by a space", 1, NULL, -1,
	  "GET http://hypnotoad.org:1234 HTTP/1.1\r\n\r\n" },
	{ "Disallow UTF-8 in URI path in strict mode",
	  0, "invalid byte in the request target", 5,
	  "GET /\316\264\302\266/\316\264t/pope?q=1#narf HTTP/1.1\r\nHost: gi"
	  "thub.com\r\n\r\n" },
	/* differs: llhttp takes a fragment; a replay could not send it */
	{ "Fragment in URI", 0, "fragment", 32,
	  "GET /forums/1/topics/2375?page=1#posts-17408 HTTP/1.1\r\n\r\n" },
	/* differs: llhttp reads CONNECT; a tunnel is not a request to replay */
	{ "Underscore in hostname", 0, "unsupported request target", 8,
	  "CONNECT home_0.netscape.com:443 HTTP/1.0\r\nUser-agent: Mozilla/1."
	  "1N\r\nProxy-authorization: basic aGVsbG86d29ybGQ=\r\n\r\n" },
	{ "`host:port` and basic auth", 1, NULL, -1,
	  "GET http://a%12:b!&*$@hypnotoad.org:1234/toto HTTP/1.1\r\n\r\n" },
	{ "Space in URI", 0, "unsupported version", 9,
	  "GET /foo bar/ HTTP/1.1\r\n\r\n" },
};

/* llhttp test/request/connection.md */
static const struct ll ll_connection[] = {
	{ "Setting flag", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nConnection: keep-alive\r\n\r\n" },
	{ "Restarting when keep-alive is explicitly", 2, NULL, -1,
	  "PUT /url HTTP/1.1\r\nConnection: keep-alive\r\n\r\nPUT /url HTTP/1"
	  ".1\r\nConnection: keep-alive\r\n\r\n" },
	{ "No restart when keep-alive is off (1.0)",
	  1, "data after an HTTP/1.0 request without", 21,
	  "PUT /url HTTP/1.0\r\n\r\nPUT /url HTTP/1.1\r\n\r\n" },
	{ "Resetting flags when keep-alive is off (1.0, lenient)",
	  1, "data after an HTTP/1.0 request without", 40,
	  "PUT /url HTTP/1.0\r\nContent-Length: 0\r\n\r\nPUT /url HTTP/1.1\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n" },
	{ "CRLF between requests, implicit `keep-alive`",
	  1, "incomplete header section", 132,
	  "POST / HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: applicat"
	  "ion/x-www-form-urlencoded\r\nContent-Length: 4\r\n\r\nq=42\r\n\r\n"
	  "GET / HTTP/1.1" },
	{ "Not treating `\r` as `-`", 0, "bare CR in a line", 35,
	  "PUT /url HTTP/1.1\r\nConnection: keep\ralive\r\n\r\n" },
	{ "Setting flag on `close`", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nConnection: close\r\n\r\n" },
	{ "Setting flag on `close` followed by tab", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nConnection: close\t\r\n\r\n" },
	{ "CRLF between requests, explicit `close`",
	  1, "data after a request with 'Connection:", 137,
	  "POST / HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: applicat"
	  "ion/x-www-form-urlencoded\r\nContent-Length: 4\r\nConnection: clos"
	  "e\r\n\r\nq=42\r\n\r\nGET / HTTP/1.1" },
	{ "CRLF between requests, explicit `close` followed by tab",
	  1, "data after a request with 'Connection:", 138,
	  "POST / HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: applicat"
	  "ion/x-www-form-urlencoded\r\nContent-Length: 4\r\nConnection: clos"
	  "e\t\r\n\r\nq=42\r\n\r\nGET / HTTP/1.1" },
	{ "Sample", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nConnection: close, token, upgrade, token, kee"
	  "p-alive\r\n\r\n" },
	/* llhttp accepts this only with its lenient-headers flag */
	{ "Multiple tokens with folding",
	  0, "obsolete line folding is not accepted", 63,
	  "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Something,\r"
	  "\n Upgrade, ,Keep-Alive\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r"
	  "\nSec-WebSocket-Protocol: sample\r\nUpgrade: WebSocket\r\nSec-WebS"
	  "ocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n"
	  "\r\nHot diggity dogg" },
	{ "Multiple tokens with folding and LWS",
	  1, "data after a request that upgrades the", 75,
	  "GET /demo HTTP/1.1\r\nConnection: keep-alive, upgrade\r\nUpgrade: "
	  "WebSocket\r\n\r\nHot diggity dogg" },
	/* llhttp accepts this only with its lenient-headers flag */
	{ "Multiple tokens with folding, LWS, and CRLF",
	  0, "obsolete line folding is not accepted", 46,
	  "GET /demo HTTP/1.1\r\nConnection: keep-alive, \r\n upgrade\r\nUpgr"
	  "ade: WebSocket\r\n\r\nHot diggity dogg" },
	{ "Invalid whitespace token with `Connection` header field",
	  0, "header name is not a token", 29,
	  "PUT /url HTTP/1.1\r\nConnection : upgrade\r\nContent-Length: 4\r\n"
	  "Upgrade: ws\r\n\r\nabcdefgh" },
	{ "Setting a flag and pausing", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: ws\r\n\r\n" },
	{ "Emitting part of body and pausing",
	  1, "data after a request that upgrades the", 78,
	  "PUT /url HTTP/1.1\r\nConnection: upgrade\r\nContent-Length: 4\r\nU"
	  "pgrade: ws\r\n\r\nabcdefgh" },
	{ "Upgrade GET request",
	  1, "data after a request that upgrades the", 224,
	  "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n"
	  "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: "
	  "sample\r\nUpgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%"
	  "0l 1 5\r\nOrigin: http://example.com\r\n\r\nHot diggity dogg" },
	{ "Upgrade POST request",
	  1, "data after a request that upgrades the", 117,
	  "POST /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n"
	  "Upgrade: HTTP/2.0\r\nContent-Length: 15\r\n\r\nsweet post bodyHot "
	  "diggity dogg" },
};

/* llhttp test/request/content-length.md */
static const struct ll ll_content_length[] = {
	{ "`Content-Length` with zeroes", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nContent-Length: 003\r\n\r\nabc" },
	{ "`Content-Length` with follow-up headers", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nContent-Length: 003\r\nOhai: world\r\n\r\nabc" },
	{ "Error on `Content-Length` overflow",
	  0, "incomplete header section", 59,
	  "PUT /url HTTP/1.1\r\nContent-Length: 1000000000000000000000\r\n" },
	{ "Error on duplicate `Content-Length`",
	  0, "incomplete header section", 57,
	  "PUT /url HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n" },
	{ "Error on simultaneous `Content-Length` and `Transfer-Encoding: identity`",
	  0, "both Content-Length and Transfer-Encoding", 38,
	  "PUT /url HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: ident"
	  "ity\r\n\r\n" },
	{ "Invalid whitespace token with `Content-Length` header field",
	  0, "header name is not a token", 54,
	  "PUT /url HTTP/1.1\r\nConnection: upgrade\r\nContent-Length : 4\r\n"
	  "Upgrade: ws\r\n\r\nabcdefgh" },
	{ "Funky `Content-Length` with body", 1, NULL, -1,
	  "GET /get_funky_content_length_body_hello HTTP/1.0\r\nconTENT-Lengt"
	  "h: 5\r\n\r\nHELLO" },
	{ "Spaces in `Content-Length` (surrounding)",
	  0, "body shorter than Content-Length", 41,
	  "POST / HTTP/1.1\r\nContent-Length:  42 \r\n\r\n" },
	{ "Tabs in `Content-Length` (surrounding)",
	  0, "body shorter than Content-Length", 42,
	  "POST / HTTP/1.1\r\nContent-Length:\t42\t  \r\n\r\n" },
	{ "Spaces in `Content-Length` #2", 0, "is not a byte count", 17,
	  "POST / HTTP/1.1\r\nContent-Length: 4 2\r\n\r\n" },
	{ "Spaces in `Content-Length` #3", 0, "is not a byte count", 17,
	  "POST / HTTP/1.1\r\nContent-Length: 13 37\r\n\r\n" },
	{ "Empty `Content-Length`", 0, "empty Content-Length", 17,
	  "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n" },
	{ "`Content-Length` with CR instead of dash",
	  0, "bare CR in a line", 26,
	  "PUT /url HTTP/1.1\r\nContent\rLength: 003\r\n\r\nabc" },
	{ "Missing CRLF-CRLF before body", 0, "bare CR in a line", 38,
	  "PUT /url HTTP/1.1\r\nContent-Length: 3\r\n\rabc" },
};

/* llhttp test/request/transfer-encoding.md */
static const struct ll ll_transfer_encoding[] = {
	{ "Parsing and setting flag", 0, "body ends inside chunked data", 49,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" },
	{ "Parse chunks with lowercase size", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n012345"
	  "6789\r\n0\r\n\r\n" },
	{ "Parse chunks with uppercase size", 1, NULL, -1,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n012345"
	  "6789\r\n0\r\n\r\n" },
	{ "POST with `Transfer-Encoding: chunked`", 1, NULL, -1,
	  "POST /post_chunked_all_your_base HTTP/1.1\r\nTransfer-Encoding: ch"
	  "unked\r\n\r\n1e\r\nall your base are belong to us\r\n0\r\n\r\n" },
	{ "Two chunks and triple zero prefixed end chunk", 1, NULL, -1,
	  "POST /two_chunks_mult_zero_end HTTP/1.1\r\nTransfer-Encoding: chun"
	  "ked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n000\r\n\r\n" },
	{ "Trailing headers", 1, NULL, -1,
	  "POST /chunked_w_trailing_headers HTTP/1.1\r\nTransfer-Encoding: ch"
	  "unked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nVary: *\r\nContent-"
	  "Type: text/plain\r\n\r\n" },
	{ "Chunk extensions", 0, "body ends inside the chunked trailer", 175,
	  "POST /chunked_w_unicorns_after_length HTTP/1.1\r\nTransfer-Encodin"
	  "g: chunked\r\n\r\n5;ilovew3;somuchlove=aretheseparametersfor;anoth"
	  "er=withvalue\r\nhello\r\n6;blahblah;blah\r\n world\r\n0\r\n" },
	{ "No semicolon before chunk extensions", 0, "bad chunk size", 97,
	  "POST /chunked_w_unicorns_after_length HTTP/1.1\r\nHost: localhost\r"
	  "\nTransfer-encoding: chunked\r\n\r\n2 erfrferferf\r\naa\r\n0 rrrr\r"
	  "\n\r\n" },
	{ "No extension after semicolon",
	  0, "chunk extension without a name", 97,
	  "POST /chunked_w_unicorns_after_length HTTP/1.1\r\nHost: localhost\r"
	  "\nTransfer-encoding: chunked\r\n\r\n2;\r\naa\r\n0\r\n\r\n" },
	{ "Chunk extensions quoting",
	  0, "body ends inside the chunked trailer", 201,
	  "POST /chunked_w_unicorns_after_length HTTP/1.1\r\nTransfer-Encodin"
	  "g: chunked\r\n\r\n5;ilovew3=\"I \\\"love\\\"; \\\\extensions\\\\\""
	  ";somuchlove=\"aretheseparametersfor\";blah;foo=bar\r\nhello\r\n6;b"
	  "lahblah;blah\r\n world\r\n0\r\n" },
	{ "Unbalanced chunk extensions quoting",
	  0, "unterminated quoted string in a chunk", 114,
	  "POST /chunked_w_unicorns_after_length HTTP/1.1\r\nTransfer-Encodin"
	  "g: chunked\r\n\r\n5;ilovew3=\"abc\";somuchlove=\"def; ghi\r\nhello"
	  "\r\n6;blahblah;blah\r\n world\r\n0\r\n" },
	{ "Ignoring `pigeons`", 0, "does not end in chunked", 19,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: pigeons\r\n\r\n" },
	{ "POST with `Transfer-Encoding` and `Content-Length`",
	  0, "both Content-Length and Transfer-Encoding", 96,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nWorld" },
	{ "POST with `Transfer-Encoding` and `Content-Length` (lenient)",
	  0, "both Content-Length and Transfer-Encoding", 96,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: identity\r\nContent-Length: 1\r\n\r\nWorld" },
	{ "POST with empty `Transfer-Encoding` and `Content-Length` (lenient)",
	  0, "both Content-Length and Transfer-Encoding", 48,
	  "POST / HTTP/1.1\r\nHost: foo\r\nContent-Length: 10\r\nTransfer-Enc"
	  "oding:\r\nTransfer-Encoding:\r\nTransfer-Encoding:\r\n\r\n2\r\nAA\r"
	  "\n0" },
	{ "POST with `chunked` before other transfer coding names",
	  0, "does not end in chunked", 67,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: chunked, deflate\r\n\r\nWorld" },
	{ "POST with `chunked` and duplicate transfer-encoding",
	  0, "does not end in chunked", 95,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: deflate\r\n\r"
	  "\nWorld" },
	/* differs: llhttp takes codings before chunked; the body would stay encoded */
	{ "POST with `chunked` as last transfer-encoding",
	  0, "is not supported", 67,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: deflate, chunked\r\n\r\n5\r\nWorld\r\n0\r\n"
	  "\r\n" },
	/* differs: the same */
	{ "POST with `chunked` as last transfer-encoding (multiple headers)",
	  0, "is not supported", 67,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r"
	  "\n5\r\nWorld\r\n0\r\n\r\n" },
	{ "POST with `chunkedchunked` as transfer-encoding",
	  0, "does not end in chunked", 67,
	  "POST /post_identity_body_world?q=search#hey HTTP/1.1\r\nAccept: */"
	  "*\r\nTransfer-Encoding: chunkedchunked\r\n\r\n5\r\nWorld\r\n0\r\n\r"
	  "\n" },
	{ "Missing last-chunk", 0, "bad chunk size", 57,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfoo\r\n"
	  "\r\n" },
	{ "Validate chunk parameters",
	  0, "bare LF, but the request line ends in CRLF", 51,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 \n  \r\nf"
	  "oo\r\n\r\n" },
	{ "Invalid OBS fold after chunked value",
	  0, "obsolete line folding is not accepted", 47,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n  abc\r\n\r\n5\r"
	  "\nWorld\r\n0\r\n\r\n" },
	{ "Chunk header not terminated by CRLF", 0, "bare CR in a line", 77,
	  "GET / HTTP/1.1\r\nHost: a\r\nConnection: close \r\nTransfer-Encodi"
	  "ng: chunked \r\n\r\n5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\nGET / HTTP/1"
	  ".1 \r\nHost: a\r\nContent-Length: 5\r\n\r\n0\r\n" },
	/* llhttp accepts this only with its lenient-optional-lf-after-cr flag */
	{ "Chunk header not terminated by CRLF (lenient)",
	  0, "bare CR in a line", 77,
	  "GET / HTTP/1.1\r\nHost: a\r\nConnection: close \r\nTransfer-Encodi"
	  "ng: chunked \r\n\r\n6\r\r;ABCD\r\n33\r\nE\r\n0\r\n\r\nGET / HTTP/1"
	  ".1 \r\nHost: a\r\nContent-Length: 5\r\n0\r\n\r\n" },
	{ "Chunk data not terminated by CRLF",
	  0, "chunk data not followed by CRLF", 84,
	  "GET / HTTP/1.1\r\nHost: a\r\nConnection: close \r\nTransfer-Encodi"
	  "ng: chunked \r\n\r\n5\r\nABCDE0\r\n" },
	{ "Space after chunk header",
	  0, "whitespace at the end of a chunk line", 50,
	  "PUT /url HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na \r\n01234"
	  "56789\r\n0\r\n\r\n" },
};

/* llhttp test/request/pipelining.md */
static const struct ll ll_pipelining[] = {
	{ "Should parse multiple events",
	  2, "body shorter than Content-Length", 138,
	  "POST /aaa HTTP/1.1\r\nContent-Length: 3\r\n\r\nAAA\r\nPUT /bbb HTT"
	  "P/1.1\r\nContent-Length: 4\r\n\r\nBBBB\r\nPATCH /ccc HTTP/1.1\r\nC"
	  "ontent-Length: 5\r\n\r\nCCCC" },
};

/* llhttp test/request/finish.md */
static const struct ll ll_finish[] = {
	{ "It should be safe to finish after GET request", 1, NULL, -1,
	  "GET / HTTP/1.1\r\n\r\n" },
	{ "It should be unsafe to finish after incomplete PUT request",
	  0, "incomplete header section", 37,
	  "PUT / HTTP/1.1\r\nContent-Length: 100\r\n" },
	{ "It should be unsafe to finish inside of the header",
	  0, "incomplete header section", 28,
	  "PUT / HTTP/1.1\r\nContent-Leng" },
};

/* llhttp test/request/lenient-headers.md */
static const struct ll ll_lenient_headers[] = {
	/* llhttp accepts this only with its lenient-headers flag */
	{ "Header value (lenient)",
	  0, "control byte 0x0c in a header value", 28,
	  "GET /url HTTP/1.1\r\nHeader1: \014\r\n\r\n" },
	/* llhttp accepts this only with its lenient-headers flag */
	{ "Second request header value (lenient)",
	  1, "control byte 0x0c in a header value", 66,
	  "GET /url HTTP/1.1\r\nHeader1: Okay\r\n\r\n\r\nGET /url HTTP/1.1\r\n"
	  "Header1: \014\r\n\r\n" },
	{ "Header value", 0, "control byte 0x0c in a header value", 28,
	  "GET /url HTTP/1.1\r\nHeader1: \014\r\n\r\n\r\n" },
};

/* llhttp test/request/lenient-header-value-relaxed.md */
static const struct ll ll_lenient_header_value_relaxed[] = {
	{ "Control char in header value (strict)",
	  0, "control byte 0x0c in a header value", 33,
	  "GET /url HTTP/1.1\r\nHeader1: hello\014world\r\n\r\n" },
	{ "CR without LF in header value should be rejected even with relaxed flag",
	  0, "bare CR in a line", 41,
	  "POST / HTTP/1.1\r\nHost: localhost:5000\r\nx:\rTransfer-Encoding: "
	  "chunked\r\n\r\n1\r\nA\r\n0\r\n" },
	{ "Space after start line must still fail",
	  0, "whitespace between the request line and the", 19,
	  "GET /url HTTP/1.1\r\n Header1: value\r\n" },
};

/* llhttp test/request/lenient-version.md */
static const struct ll ll_lenient_version[] = {
	/* llhttp accepts this only with its lenient-version flag */
	{ "Invalid HTTP version (lenient)", 0, "unsupported version", 6,
	  "GET / HTTP/5.6\r\n\r\n" },
};

/* llhttp test/request/pausing.md */
static const struct ll ll_pausing[] = {
	{ "on_message_begin", 1, NULL, -1,
	  "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" },
	{ "on_chunk_header", 1, NULL, -1,
	  "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n012345678"
	  "9\r\n0\r\n\r\n" },
	{ "on_chunk_extension_name", 1, NULL, -1,
	  "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na;foo=bar\r\n0"
	  "123456789\r\n0\r\n\r\n" },
};

/* Not from llhttp: the rules above, case by case. */
static const struct ll own[] = {
	/* One line ending per message: the request line sets it */
	{ "all-LF message", 1, NULL, -1,
	  "GET / HTTP/1.1\nAccept: */*\n\n" },
	{ "all-LF chunked message with trailers", 1, NULL, -1,
	  "POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: Baz\nFoo"
	  ": abc\n\n1\nA\n1;abc\nB\n1;def=ghi\nC\n1;jkl=\"mno\"\nD\n0\nBa"
	  "z: ghi\n\n" },
	{ "LF request line, then a CRLF header",
	  0, "CRLF, but the request line ends in LF", 19,
	  "GET / HTTP/1.1\nA: b\r\n\n" },
	{ "CRLF message ending in an LF empty line", 0, "bare LF", 22,
	  "GET / HTTP/1.1\r\nA: b\r\n\n" },
	{ "CRLF message with an LF chunk line", 0, "bare LF", 48,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r"
	  "\n0\r\n\r\n" },
	{ "CRLF message with LF after chunk data",
	  0, "chunk data not followed by CRLF", 55,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhell"
	  "o\n0\r\n\r\n" },
	{ "LF message with CRLF after chunk data",
	  0, "chunk data not followed by LF", 51,
	  "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n5\nhello\r\n0\n"
	  "\n" },
	{ "CRLF message with an LF trailer line", 0, "bare LF", 54,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b"
	  "\n\r\n" },
	{ "CRLF message with an LF last chunk", 0, "bare LF", 48,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n" },
	{ "bare CR before a request line", 1, "bare CR", 18,
	  "GET / HTTP/1.1\r\n\r\n\rGET / HTTP/1.1\r\n\r\n" },
	{ "bare CR in the target", 0, "bare CR", 6,
	  "GET /a\rb HTTP/1.1\r\n\r\n" },
	/* Empty lines around messages (RFC 9112 2.2) */
	{ "empty lines before, between and after", 3, NULL, -1,
	  "\r\n\nGET / HTTP/1.1\r\n\r\n\r\n\n\r\nGET / HTTP/1.1\n\n\n\r\n"
	  "GET / HTTP/1.1\r\n\r\n\r\n\r\n" },
	{ "blanks at the end of the input", 1, NULL, -1,
	  "GET / HTTP/1.1\r\n\r\n \t\r\n \r" },
	{ "a blank line is not an empty line", 1, "method is not a token", 18,
	  "GET / HTTP/1.1\r\n\r\n \r\nGET / HTTP/1.1\r\n\r\n" },
	/* Request line */
	{ "two spaces after the method", 0, "request line is not", 4,
	  "GET  / HTTP/1.1\r\n\r\n" },
	{ "space after the version", 0, "unsupported version", 6,
	  "GET / HTTP/1.1 \r\n\r\n" },
	{ "tab after the method", 0, "method is not a token", 3,
	  "GET\t/ HTTP/1.1\r\n\r\n" },
	{ "lower-case HTTP name", 0, "unsupported version", 6,
	  "GET / http/1.1\r\n\r\n" },
	{ "whitespace before the first header",
	  0, "whitespace between the request line", 16,
	  "GET / HTTP/1.1\r\n Host: foo\r\n\r\n" },
	{ "HTTP/5.6, complete", 0, "unsupported version", 6,
	  "GET / HTTP/5.6\r\n\r\n" },
	{ "asterisk-form", 0, "unsupported request target", 8,
	  "OPTIONS * HTTP/1.1\r\n\r\n" },
	/* Header and trailer fields */
	{ "DEL in a value", 0, "control byte 0x7f", 20,
	  "GET / HTTP/1.1\r\nA: b\177\r\n\r\n" },
	{ "tab and obs-text in a value", 1, NULL, -1,
	  "GET / HTTP/1.1\r\nA: b\tc\303\251\r\n\r\n" },
	{ "trailer with a space before the colon",
	  0, "header name is not a token", 51,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA : "
	  "b\r\n\r\n" },
	{ "trailer folded", 0, "obsolete line folding", 56,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b"
	  "\r\n c\r\n\r\n" },
	{ "trailer with a control byte", 0, "control byte 0x01", 53,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: \001"
	  "\r\n\r\n" },
	{ "trailer without a colon", 0, "header name is not a token", 51,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA\r\n"
	  "\r\n" },
	/* Content-Length and Transfer-Encoding */
	{ "Content-Length overflow, complete", 0, "is too large", 19,
	  "PUT /url HTTP/1.1\r\nContent-Length: 1000000000000000000000\r\n"
	  "\r\n" },
	{ "duplicate Content-Length, complete",
	  0, "conflicting Content-Length", 38,
	  "PUT /url HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
	  "\r\nab" },
	{ "Content-Length as a list", 0, "is not a byte count", 16,
	  "PUT / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na" },
	{ "signed Content-Length", 0, "is not a byte count", 16,
	  "PUT / HTTP/1.1\r\nContent-Length: +1\r\n\r\na" },
	{ "chunked in upper case, empty list elements", 1, NULL, -1,
	  "PUT / HTTP/1.1\r\nTransfer-Encoding: , CHUNKED ,\r\n\r\n0\r\n\r"
	  "\n" },
	{ "empty Transfer-Encoding", 0, "does not end in chunked", 16,
	  "PUT / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n" },
	/* Chunk lines (RFC 9112 7.1): HEX [BWS ; BWS name [BWS = BWS value]]... */
	{ "blanks around ; and =", 1, NULL, -1,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 ;\ta = "
	  "b ; c\r\nhello\r\n0\t; d=\"x\"\r\n\r\n" },
	{ "quoted-pair in a quoted value", 1, NULL, -1,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"\\\""
	  "\\\\\\ x\"\r\nA\r\n0\r\n\r\n" },
	{ "hex prefix", 0, "bad chunk size", 48,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhe"
	  "llo\r\n0\r\n\r\n" },
	{ "negative size", 0, "bad chunk size", 47,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n" },
	{ "size too large", 0, "chunk size too large", 63,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000000"
	  "00000000\r\n" },
	{ "size larger than the input",
	  0, "body ends inside a 4294967295-byte chunk", 61,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r"
	  "\nab\r\n" },
	{ "= without a value", 0, "without a value", 51,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\r\nh"
	  "ello\r\n0\r\n\r\n" },
	{ "= without a name", 0, "without a name", 49,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;=b\r\nh"
	  "ello\r\n0\r\n\r\n" },
	{ "two words as a name", 0, "bad chunk extension", 51,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a b\r\n"
	  "hello\r\n0\r\n\r\n" },
	{ "blank after a value", 0, "whitespace at the end of a chunk line", 52,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b \r\n"
	  "hello\r\n0\r\n\r\n" },
	{ "text after a quoted value", 0, "bad chunk extension", 54,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\""
	  "y\r\nhello\r\n0\r\n\r\n" },
	{ "control byte in a quoted value",
	  0, "control byte 0x01 in a chunk extension", 52,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"\001"
	  "\"\r\nhello\r\n0\r\n\r\n" },
	{ "quoted-pair of a control byte",
	  0, "control byte 0x01 in a chunk extension", 53,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"\\\001"
	  "\"\r\nhello\r\n0\r\n\r\n" },
	{ "chunk data too long", 0, "chunk data not followed by CRLF", 52,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r"
	  "\n0\r\n\r\n" },
	{ "no CRLF after the last chunk",
	  0, "body ends inside the chunked trailer", 50,
	  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" },
	/* What may follow a request on its connection */
	{ "HTTP/1.0 keep-alive", 2, NULL, -1,
	  "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET / HTTP/1.1"
	  "\r\n\r\n" },
	{ "close in any case, among other tokens",
	  1, "data after a request with", 42,
	  "GET / HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\nGET / HTTP/1.1"
	  "\r\n\r\n" },
	{ "\"closed\" is not close", 2, NULL, -1,
	  "GET / HTTP/1.1\r\nConnection: closed\r\n\r\nGET / HTTP/1.1\r\n"
	  "\r\n" },
	{ "close, then empty lines only", 1, NULL, -1,
	  "GET / HTTP/1.1\r\nConnection: close\r\n\r\n\r\n\r\n" },
	{ "Upgrade without Connection: upgrade", 2, NULL, -1,
	  "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\n"
	  "\r\n" },
	{ "Connection: upgrade without Upgrade", 2, NULL, -1,
	  "GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\nGET / HTTP/1.1\r\n"
	  "\r\n" },
	{ "a request hidden after an upgrade", 1, "upgrades the connection", 59,
	  "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
	  "\r\nGET /admin HTTP/1.1\r\n\r\n" },
};

#endif
