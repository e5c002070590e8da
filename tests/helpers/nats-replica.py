#!/usr/bin/env python3
"""tests/helpers/nats-replica.py - a NATS server on 127.0.0.1 that serves
one JetStream stream as a diverged replica does: its consumers skip
sequences the stream's leader has.  nats-server 2.9.10 leaves a killed
stream leader, once back, with such a replica, and a read's consumer
placed there passes over the messages it lacks as if they were deleted;
no real server can be made to do so on purpose, so this one speaks the
client protocol itself (INFO, CONNECT, PING, SUB, UNSUB, PUB, HPUB) and
answers the JetStream API for the stream: STREAM.INFO (the leader's
state, its deleted sequences listed), CONSUMER.CREATE (deliveries from
the consumer's start, without the sequences LACKS names), STREAM.MSG.GET
(the leader's: every stored sequence).  Anything else under $JS.API gets
404.

Usage: nats-replica.py STREAM LINES PORTFILE DELETED LACKS [PLAN]
  LINES      the stream's messages, one line each, sequence 1 first
  PORTFILE   where the port it listens on is written, once it listens
  DELETED    sequences deleted (comma-separated, or -)
  LACKS      sequences the replica lacks (comma-separated, or -)
  PLAN       how each CONSUMER.CREATE is answered in turn, comma-separated:
             ok (made, it delivers), quiet (made, it delivers nothing: a
             consumer lost), unavailable (JetStream's error 10008, as while
             a leader is elected), refused (error 10023, insufficient
             resources, which waiting does not mend), trim:K (the stream's first K sequences
             go first, as MaxAge or MaxBytes drop them; then as ok); ok
             after the last (default: ok)
Each API request is logged to standard error as "API SUBJECT BODY".
It serves until killed.
"""
import base64
import json
import os
import socket
import sys
import threading


def seqs(arg):
    return set() if arg == "-" else {int(x) for x in arg.split(",")}


STREAM, LINES, PORTFILE = sys.argv[1], sys.argv[2], sys.argv[3]
DELETED, LACKS = seqs(sys.argv[4]), seqs(sys.argv[5])
PLAN = sys.argv[6].split(",") if len(sys.argv) > 6 else []
PLAN_LOCK = threading.Lock()
TRIMMED = 0   # sequences 1..TRIMMED are gone from the stream
with open(LINES, encoding="utf-8") as f:
    MSGS = [line.rstrip("\n") for line in f]
API = "$JS.API."
NOT_FOUND = {"code": 404, "err_code": 10037, "description": "no message found"}
UNAVAILABLE = {"code": 503, "err_code": 10008,
               "description": "JetStream system temporarily unavailable"}
REFUSED = {"code": 503, "err_code": 10023, "description": "insufficient resources"}


def matches(pattern, subject):
    p, s = pattern.split("."), subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)


def stored():
    return [q for q in range(TRIMMED + 1, len(MSGS) + 1) if q not in DELETED]


class Client:
    def __init__(self, sock):
        self.sock, self.subs, self.lock = sock, {}, threading.Lock()
        self.buf = b""

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def msg(self, subject, payload, reply=None):
        for sid, pat in list(self.subs.items()):
            if matches(pat, subject):
                head = f"MSG {subject} {sid}{' ' + reply if reply else ''} {len(payload)}\r\n"
                self.send(head.encode() + payload + b"\r\n")
                return

    def answer(self, reply, obj):
        if reply:
            self.msg(reply, json.dumps(obj).encode())

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def payload(self, n):
        while len(self.buf) < n + 2:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        body, self.buf = self.buf[:n], self.buf[n + 2:]
        return body

    def serve(self):
        self.send(("INFO " + json.dumps({
            "server_id": "NREPLICA", "server_name": "replica", "version": "2.9.10",
            "proto": 1, "headers": True, "max_payload": 1048576,
            "host": "127.0.0.1", "port": 0, "jetstream": True}) + "\r\n").encode())
        while (line := self.line()) is not None:
            op, *args = line.split()
            if op == "PING":
                self.send(b"PONG\r\n")
            elif op == "SUB":
                self.subs[args[-1]] = args[0]
            elif op == "UNSUB":
                self.subs.pop(args[0], None)
            elif op in ("PUB", "HPUB"):
                body = self.payload(int(args[-1]))
                if body is None:
                    return
                if op == "HPUB":   # headers, then the body
                    body = body[int(args[-2]):]
                reply = args[1] if len(args) > (3 if op == "HPUB" else 2) else None
                if args[0].startswith(API):
                    self.api(args[0][len(API):], reply, body.decode())

    def api(self, what, reply, body):
        print(f"API {what} {body}", file=sys.stderr, flush=True)
        req = json.loads(body) if body.strip() else {}
        if what == f"STREAM.INFO.{STREAM}":
            have = stored()
            self.answer(reply, {
                "type": "io.nats.jetstream.api.v1.stream_info_response",
                "config": {"name": STREAM, "subjects": [f"rd.{STREAM}.>"],
                           "retention": "limits", "storage": "file", "num_replicas": 3},
                "created": "2026-12-02T00:00:00Z",
                "state": {"messages": len(have), "bytes": sum(len(MSGS[q - 1]) for q in have),
                          "first_seq": TRIMMED + 1, "last_seq": len(MSGS),
                          "num_deleted": len(DELETED), "deleted": sorted(DELETED)},
                "cluster": {"name": "c", "leader": "n1"}})
        elif what.startswith(f"CONSUMER.CREATE.{STREAM}"):
            self.consumer(reply, req.get("config", {}))
        elif what == f"STREAM.MSG.GET.{STREAM}" and "seq" in req:
            q = req["seq"]
            if q in DELETED or not TRIMMED < q <= len(MSGS):
                self.answer(reply, {"type": "io.nats.jetstream.api.v1.stream_msg_get_response",
                                    "error": NOT_FOUND})
            else:
                self.answer(reply, {
                    "type": "io.nats.jetstream.api.v1.stream_msg_get_response",
                    "message": {"subject": f"rd.{STREAM}.req.{q}", "seq": q,
                                "data": base64.b64encode(MSGS[q - 1].encode()).decode(),
                                "time": "2026-12-02T00:00:00Z"}})
        else:
            self.answer(reply, {"type": "io.nats.jetstream.api.v1.error_response",
                                "error": NOT_FOUND})

    def consumer(self, reply, cfg):
        global TRIMMED
        with PLAN_LOCK:
            how = PLAN.pop(0) if PLAN else "ok"
            if how.startswith("trim:"):
                TRIMMED = int(how[5:])
        if how in ("unavailable", "refused"):
            self.answer(reply, {"type": "io.nats.jetstream.api.v1.consumer_create_response",
                                "error": UNAVAILABLE if how == "unavailable" else REFUSED})
            return
        start = cfg.get("opt_start_seq", 1)
        out = [] if how == "quiet" else [q for q in stored() if q >= start and q not in LACKS]
        self.answer(reply, {
            "type": "io.nats.jetstream.api.v1.consumer_create_response",
            "stream_name": STREAM, "name": "R1", "created": "2026-12-02T00:00:00Z",
            "config": cfg, "delivered": {"consumer_seq": 0, "stream_seq": 0},
            "ack_floor": {"consumer_seq": 0, "stream_seq": 0}, "num_pending": len(out)})
        for d, q in enumerate(out, 1):
            ack = f"$JS.ACK.{STREAM}.R1.1.{q}.{d}.1764633600000000000.{len(out) - d}"
            self.msg(cfg["deliver_subject"], MSGS[q - 1].encode(), ack)


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(PORTFILE + ".tmp", "w", encoding="ascii") as f:
        f.write(f"{ls.getsockname()[1]}\n")
    os.rename(PORTFILE + ".tmp", PORTFILE)
    while True:
        sock, _ = ls.accept()
        threading.Thread(target=lambda s=sock: Client(s).serve(), daemon=True).start()


if __name__ == "__main__":
    main()
