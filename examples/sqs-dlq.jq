# examples/sqs-dlq.jq - turn an SQS dead-letter queue export (the JSON of
# `aws sqs receive-message --attribute-names All --message-attribute-names
# All ...`) into records that redeliver each message body to its
# consumer's HTTP endpoint:
#
#   SQS_REDRIVE_URL=https://orders.internal/events \
#     rd-capture --jq "$(cat examples/sqs-dlq.jq)" < dlq.json
#
# Any number of pages may be concatenated (a loop of receive-message
# calls appending to one file); a list of messages (--query 'Messages')
# works too.  A page without messages stores nothing and is no error:
# the CLI prints nothing for an empty queue, the SQS API returns {}.
#
# The message id becomes the idempotency key, so a consumer that dedupes
# on it sees each message once, however often it is replayed.  The body is
# sent as it is, as application/json when it parses as JSON, else as
# text/plain; charset=utf-8.  String and Number message attributes become
# tags named sqs_attr_NAME (Binary ones are left out), and the queue a
# message was dead-lettered from (the DeadLetterQueueSourceArn attribute)
# the tag sqs_source_queue.
def content_type:
  if [.Body | fromjson?] != [] then "application/json" else "text/plain; charset=utf-8" end;

(if type == "array" then .[] else (.Messages // [])[] end)
| (.Attributes.ApproximateReceiveCount // null) as $received
| {
    method: "POST",
    url: (env.SQS_REDRIVE_URL // "http://127.0.0.1:8080/events"),
    headers: [["Content-Type", content_type]],
    body: .Body,
    failure: {
      type: "sqs_dlq",
      message: (if $received then "received \($received) times before the DLQ"
                else "in the dead-letter queue" end)
    },
    attempts: ($received | tonumber? // 0),
    idempotency_key: .MessageId,
    tags: ({sqs_message_id: .MessageId}
           + (if .Attributes.DeadLetterQueueSourceArn
              then {sqs_source_queue: .Attributes.DeadLetterQueueSourceArn} else {} end)
           + ((.MessageAttributes // {}) | with_entries(
                select(.value.StringValue | type == "string")
                | {key: "sqs_attr_\(.key)", value: .value.StringValue})))
  }
