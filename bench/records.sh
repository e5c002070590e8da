#!/bin/sh
# bench/records.sh N - N realistic failed POSTs as NDJSON on stdout, the
# same every time (fixed seed): a few headers, a JSON body, ~600 bytes a
# line, and no single quotes, so the same text can feed SQL.
awk -v n="${1:-500000}" 'BEGIN {
	srand(42);
	for (i = 1; i <= n; i++) {
		printf "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:8080/api/v1/orders/%d/items?session=%08x\",", i, int(rand() * 4294967295);
		printf "\"headers\":[[\"Content-Type\",\"application/json\"],[\"Accept\",\"application/json\"],[\"User-Agent\",\"checkout-service/4.2.1\"],[\"X-Request-Id\",\"%08x-%04x-%04x\"],[\"Authorization\",\"Bearer %016x\"]],", int(rand()*4294967295), int(rand()*65535), int(rand()*65535), int(rand()*4294967295);
		printf "\"body\":\"{\\\"order_id\\\":%d,\\\"customer\\\":\\\"c-%06d\\\",\\\"items\\\":[{\\\"sku\\\":\\\"SKU-%05d\\\",\\\"qty\\\":%d,\\\"price_cents\\\":%d},{\\\"sku\\\":\\\"SKU-%05d\\\",\\\"qty\\\":%d,\\\"price_cents\\\":%d}],\\\"currency\\\":\\\"EUR\\\",\\\"note\\\":\\\"deliver after 5pm, ring twice\\\"}\",", i, int(rand()*999999), int(rand()*99999), 1+int(rand()*5), int(rand()*99999), int(rand()*99999), 1+int(rand()*5), int(rand()*99999);
		printf "\"failure\":{\"type\":\"http_503\",\"status\":503,\"message\":\"upstream unavailable\"},\"tags\":{\"service\":\"checkout\",\"region\":\"eu-west-1\"}}\n";
	}
}'
