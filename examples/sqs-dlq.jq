# examples/sqs-dlq.jq - turn an SQS dead-letter queue export (the JSON of
# `aws sqs receive-message --attribute-names All ...`) into records that
# redeliver each message body to its consumer's HTTP endpoint:
#
#   SQS_REDRIVE_URL=https://orders.internal/events \
#     rd-capture --jq "$(cat examples/sqs-dlq.jq)" < dlq.json
#
# The message id becomes the idempotency key, so a consumer that dedupes
# on it sees each message once, however often it is replayed.
.Messages[]
| {
    method: "POST",
    url: (env.SQS_REDRIVE_URL // "http://127.0.0.1:8080/events"),
    headers: [["Content-Type", "application/json"]],
    body: .Body,
    failure: {
      type: "sqs_dlq",
      message: ("received " + (.Attributes.ApproximateReceiveCount // "?") + " times before the DLQ")
    },
    attempts: ((.Attributes.ApproximateReceiveCount // "0") | tonumber),
    idempotency_key: .MessageId,
    tags: { sqs_message_id: .MessageId }
  }
