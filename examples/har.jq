# examples/har.jq - turn a HAR file (a browser's DevTools "Export HAR",
# Playwright's recordHar, or a proxy's export) into redrive records.
#
#   rd-capture --jq "$(cat examples/har.jq)" --input session.har
#
# Only one service's requests (a browser records every host it talked to):
#
#   rd-capture --jq "$(cat examples/har.jq) |
#       select(.url | startswith(\"https://api.example.com/\"))" --input session.har
#
# Keeps the http(s) requests that failed: no response at all (status 0, or
# -1 from Playwright: refused, reset, aborted), 408, 429 or any 5xx.  One
# with no response is captured with the failure type rd-capture --try gives
# the same error (Chromium's net::ERR_* in _error or _failureText): dns,
# timeout, tls, network (reset or broken after connecting), else connect
# (refused, aborted, or no reason recorded).  CORS preflights (OPTIONS
# with Access-Control-Request-Method) are the browser's, not the page's,
# and are left out.
#
# Headers keep their order and duplicates; HTTP/2 pseudo-headers
# (":authority", ":method", ":path", ":scheme") are dropped, as the method
# and URL are fields of their own.
#
# The body is postData.text.  Without a text, it is built from
# postData.params:
#   - application/x-www-form-urlencoded: name=value pairs joined with &,
#     encoded as browsers encode a form (space as +, bytes other than
#     A-Z a-z 0-9 * - . _ as %XX), so it is byte for byte what a browser
#     sends for those values;
#   - multipart/form-data: one part per param, CRLF line ends, a
#     Content-Disposition with the name and any fileName, a Content-Type
#     line for a file or a param that has a contentType, then the value.
#     The boundary is the one in the Content-Type header or the mimeType;
#     without one, a boundary is chosen and the Content-Type header set to
#     match.  A file param without a value (a browser never records the
#     file's content) cannot be rebuilt.
# A text that is not the body sent (Content-Length, else bodySize, is the
# number of bytes sent) is not stored either, except when the text is
# those bytes read as Latin-1, as Chromium records a binary body: then the
# bytes are stored exactly, as body_b64.
#
# A failed request whose body the HAR does not hold (a file upload, a
# binary body Playwright left out, recordHar content "omit" or "attach")
# is not stored with a wrong body: after the others are stored, one jq
# error names each such entry (its 1-based index in log.entries), and
# rd-capture exits 1.

def header($name):
  [(.request.headers // [])[] | select(.name | ascii_downcase == $name) | .value][0];

# [name, value] pairs with the value of header $name set: in place, or
# added at the end as Content-Type.
def set_header($name; $value):
  if any(.[]; .[0] | ascii_downcase == $name)
  then map(if .[0] | ascii_downcase == $name then [.[0], $value] else . end)
  else . + [["Content-Type", $value]] end;

# A param name or value as a form encodes it (jq 1.6 and 1.7 @uri differ in
# which of ~ ! * ' ( ) they keep, so each is settled here).
def form_encode:
  @uri | gsub("%20"; "+") | gsub("%2A"; "*") | gsub("~"; "%7E") | gsub("!"; "%21")
  | gsub("'"; "%27") | gsub("\\("; "%28") | gsub("\\)"; "%29");

# A name or file name inside a multipart Content-Disposition.
def mp_quote: gsub("\""; "%22") | gsub("\r"; "%0D") | gsub("\n"; "%0A");

# params as a multipart/form-data body with boundary $b.
def multipart($b):
  [.[]
   | "--\($b)\r\nContent-Disposition: form-data; name=\"\(.name | mp_quote)\""
     + (if .fileName then "; filename=\"\(.fileName | mp_quote)\"" else "" end)
     + "\r\n"
     + (if .fileName or .contentType
        then "Content-Type: \(.contentType // "application/octet-stream")\r\n" else "" end)
     + "\r\n\(.value // "")\r\n"]
  | join("") + "--\($b)--\r\n";

def boundary_of:
  (capture("(?i)boundary=(?<b>\"[^\"]*\"|[^;\\s]+)") | .b | ltrimstr("\"") | rtrimstr("\"")) // null;

# Bytes, each as one character U+0000..U+00FF, to base64.
def latin1_base64:
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" as $t
  | explode as $b
  | [range(0; $b | length; 3) as $i
     | $b[$i:$i + 3] as $g
     | ($g[0] * 65536 + ($g[1] // 0) * 256 + ($g[2] // 0)) as $n
     | ([18, 12, 6, 0][0:($g | length) + 1] | map(($n / pow(2; .) | floor) % 64 | $t[.:. + 1]) | add)
       + (if ($g | length) == 1 then "==" elif ($g | length) == 2 then "=" else "" end)]
  | add // "";

def no_response: .response.status <= 0;

def failure:
  if no_response then
    ((.response._error // .response._failureText // "") | if type == "string" then . else "" end) as $e
    | {type: (if $e | test("NAME_NOT_RESOLVED|NAME_RESOLUTION_FAILED|ERR_DNS_") then "dns"
              elif $e | test("TIMED_OUT") then "timeout"
              elif $e | test("ERR_SSL_|ERR_CERT_|_TLS_") then "tls"
              elif $e | test("CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE|ERR_HTTP2_|ERR_QUIC_|INVALID_HTTP_RESPONSE|INCOMPLETE_CHUNKED") then "network"
              else "connect" end),
       message: (if $e == "" then "no response" else $e end)}
  else
    {type: "http_\(.response.status)", status: .response.status}
    + (if (.response.statusText // "") != "" then {message: .response.statusText} else {} end)
  end;

# {body} or {body_b64}, with {headers} when they change, or {missing: why}.
def body($headers):
  .request as $r
  | ($r.postData // null) as $pd
  | ((header("content-length") | tonumber? // null)
     // ($r.bodySize | if type == "number" and . > 0 then . else null end)) as $sent
  | (($pd.text // "") | if type == "string" then . else "" end) as $text
  | ($pd.params // [] | if type == "array" then . else [] end) as $params
  | (header("content-type") | if type == "string" then . else null end) as $hct
  | (($hct // $pd.mimeType // "") | if type == "string" then . else "" end) as $ctype
  | def sized($n; $ok): if $sent == null or $sent == $n then $ok
                        else {missing: "\($sent) bytes sent, \($n) in the HAR"} end;
    if $pd == null then
      if ($sent // 0) > 0 then {missing: "no postData for \($sent) bytes sent"} else {} end
    elif $text != "" then
      ($text | utf8bytelength) as $n
      | if $sent == null or $sent == $n then {body: $text}
        elif ($text | length) == $sent and all($text | explode[]; . < 256)
        then {body_b64: ($text | latin1_base64)}
        else {missing: "\($sent) bytes sent, \($n) in the HAR"} end
    elif ($params | length) > 0 then
      if $ctype | test("^\\s*multipart/form-data"; "i") then
        if any($params[]; has("fileName") and (has("value") | not)) then
          {missing: "a file's content is not in the HAR"}
        else
          (($ctype | boundary_of) // "----redrive-har-boundary-5b1f7e0c2a9d4e83") as $b
          | {body: ($params | multipart($b))}
            + (if ($hct // "" | boundary_of) == $b then {}
               else {headers: ($headers | set_header("content-type";
                       if ($ctype | boundary_of) then $ctype else "multipart/form-data; boundary=\($b)" end))} end)
        end
      else
        ([$params[] | "\(.name | form_encode)=\(.value // "" | form_encode)"] | join("&")) as $form
        | sized($form | utf8bytelength;
                {body: $form}
                + (if $hct then {}
                   else {headers: ($headers | set_header("content-type";
                           if $ctype == "" then "application/x-www-form-urlencoded" else $ctype end))} end))
      end
    elif ($sent // 0) > 0 then {missing: "\($sent) bytes sent, none in the HAR"}
    else {} end;

[ (.log.entries // []) | to_entries[]
  | .key as $i | .value
  | select((.request.url // "") | test("^https?://"; "i"))
  | select(no_response or .response.status == 408 or .response.status == 429 or .response.status >= 500)
  | select((.request.method == "OPTIONS" and header("access-control-request-method")) | not)
  | [(.request.headers // [])[] | select(.name | startswith(":") | not) | [.name, .value]] as $headers
  | body($headers) as $b
  | if $b.missing then {missing: "entry \($i + 1) \(.request.method) \(.request.url): \($b.missing)"}
    else
      {record: ({
        method: .request.method,
        url: .request.url,
        headers: ($b.headers // $headers)}
        + ($b | del(.headers))
        + (if (.startedDateTime // "") | test("^\\d{4}-\\d\\d-\\d\\d[Tt ]\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?([Zz]|[+-]\\d\\d:\\d\\d)$")
           then {captured_at: .startedDateTime} else {} end)
        + {failure: failure, tags: {source: "har"}})}
    end
] as $out
| ($out[] | .record // empty),
  ([$out[] | .missing // empty] as $m
   | if ($m | length) > 0 then
       error("\($m | length) failed request(s) not stored, the HAR does not hold the body sent: "
             + ($m[0:3] | join("; ")) + (if ($m | length) > 3 then "; ..." else "" end))
     else empty end)
