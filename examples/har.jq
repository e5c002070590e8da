# examples/har.jq - turn a HAR file (browser devtools: "Save all as HAR",
# or a proxy's export) into redrive records.
#
#   rd-capture --jq "$(cat examples/har.jq)" -i session.har
#
# Keeps the requests that failed: no response at all (status 0), 429, or
# any 5xx.  HTTP/2 pseudo-headers (":authority", ...) are dropped; every
# other header is kept in order, duplicates included.
.log.entries[]
| select(.response.status == 0 or .response.status == 429 or .response.status >= 500)
| {
    method: .request.method,
    url: .request.url,
    headers: [.request.headers[] | select(.name | startswith(":") | not) | [.name, .value]],
    body: (.request.postData.text // ""),
    captured_at: .startedDateTime,
    failure: (if .response.status == 0
              then {type: "connect", message: (.response._error // "no response")}
              else {type: "http_\(.response.status)", status: .response.status}
              end),
    tags: {source: "har"}
  }
