/*
 * test_snats_leader.c - a NATS stream's state is taken from its leader.
 * A server of the stream's group that sees no leader (one back from a
 * crash, before it hears from the others) answers a STREAM.INFO request
 * too, with its own replica's state and no leader named (nats-server
 * 2.9.10's jsStreamInfoRequest and isGroupLeaderless), and the first
 * answer is the one a client takes.  The 3-node test in nats.bats met
 * it: rd-audit, run as the killed leader came back, listed 11,127 of
 * 20,000 records and exited 0.
 *
 * Here the test answers the JetStream API itself, over NATS's text
 * protocol, on a nats-server started without JetStream on 127.0.0.1:
 * after `stale` is set, the next STREAM.INFO gets a leaderless replica's
 * answer (100 bytes, one message), every other one the leader's (900
 * bytes, nine messages).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool.h"
#include "t.h"

#define STREAM_INFO "$JS.API.STREAM.INFO.LEAD"

static const char led[] =
	"{\"type\":\"io.nats.jetstream.api.v1.stream_info_response\","
	"\"config\":{\"name\":\"LEAD\",\"subjects\":[\"rd.LEAD.>\"],\"num_replicas\":3},"
	"\"created\":\"2026-12-02T00:00:00Z\","
	"\"state\":{\"messages\":9,\"bytes\":900,\"first_seq\":1,\"last_seq\":9},"
	"\"cluster\":{\"name\":\"c\",\"leader\":\"n1\"}}";
/* as nats-server writes it: "leader" is omitted when empty */
static const char leaderless[] =
	"{\"type\":\"io.nats.jetstream.api.v1.stream_info_response\","
	"\"config\":{\"name\":\"LEAD\",\"subjects\":[\"rd.LEAD.>\"],\"num_replicas\":3},"
	"\"created\":\"2026-12-02T00:00:00Z\","
	"\"state\":{\"messages\":1,\"bytes\":100,\"first_seq\":1,\"last_seq\":1},"
	"\"cluster\":{\"name\":\"c\"}}";

static atomic_int stale, answered;
static int fd = -1;

/* One line from the server, without its CRLF; 0 at the end. */
static int line_in(char *out, size_t n)
{
	size_t i = 0;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c == '\n') {
			out[i && out[i - 1] == '\r' ? i - 1 : i] = '\0';
			return 1;
		}
		if (i + 1 < n)
			out[i++] = c;
	}
	return 0;
}

static void say(const char *s, size_t n)
{
	if (write(fd, s, n) != (ssize_t)n)
		abort();
}

/* The JetStream API's side: each STREAM.INFO answered on its reply
 * subject, PINGs with PONG. */
static void *responder(void *arg)
{
	char l[512], subj[256], sid[32], reply[256], head[320];
	const char *a;
	unsigned len;
	int k;

	(void)arg;
	while (line_in(l, sizeof(l))) {
		if (strcmp(l, "PING") == 0) {
			say("PONG\r\n", 6);
			continue;
		}
		if (sscanf(l, "MSG %255s %31s %255s %u", subj, sid, reply, &len) != 4)
			continue;
		for (unsigned i = 0; i < len + 2; i++)   /* the request, CRLF */
			if (read(fd, l, 1) != 1)
				return NULL;
		a = atomic_exchange(&stale, 0) ? leaderless : led;
		k = snprintf(head, sizeof(head), "PUB %s %zu\r\n", reply, strlen(a));
		say(head, (size_t)k);
		say(a, strlen(a));
		say("\r\n", 2);
		atomic_fetch_add(&answered, 1);
	}
	return NULL;
}

static char dir[] = "/tmp/rd-lead-XXXXXX";

static pid_t server(int *port)
{
	char path[300], buf[256];
	pid_t pid;
	FILE *f = NULL;

	if (!mkdtemp(dir))
		abort();
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", "-1",
		       "--ports_file_dir", dir, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/nats-server_%ld.ports", dir, (long)pid);
	for (int i = 0; i < 100 && !(f = fopen(path, "r")); i++)
		usleep(50000);
	*port = 0;
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		char *p;

		buf[n] = '\0';
		if ((p = strstr(buf, "127.0.0.1:")))
			*port = atoi(p + 10);
		fclose(f);
	}
	return pid;
}

static int subscribe(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char hello[] = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n"
				    "SUB " STREAM_INFO " 1\r\nPING\r\n";
	char l[4096];

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || !line_in(l, sizeof(l)))
		return -1;
	say(hello, sizeof(hello) - 1);
	while (line_in(l, sizeof(l)))       /* subscribed once PONG comes */
		if (strcmp(l, "PONG") == 0)
			return 0;
	return -1;
}

int main(void)
{
	struct spool_opts so;
	struct spool *sp = NULL;
	struct rd_err err;
	char loc[64];
	pthread_t th;
	uint64_t bytes = 0;
	int port;
	pid_t pid;

	if (system("command -v nats-server > /dev/null 2>&1") != 0) {
		printf("1..0 # skip: nats-server is not installed\n");
		return 0;
	}
	pid = server(&port);
	if (!port || subscribe(port) < 0) {
		printf("# nats-server did not start\n");
		kill(pid, SIGKILL);
		return 1;
	}
	pthread_create(&th, NULL, responder, NULL);
	snprintf(loc, sizeof(loc), "nats://127.0.0.1:%d/LEAD", port);
	spool_opts_init(&so);
	T_OK(spool_open(loc, &so, &sp, &err) == 0, "the location opens on the leader's answer");
	atomic_store(&stale, 1);
	T_OK(sp && spool_usage(sp, &bytes, &err) == 0, "its usage is read");
	T_EQ_INT(bytes, 900, "the usage is the leader's, not a leaderless replica's");
	T_EQ_INT(atomic_load(&answered), 3, "the leaderless answer was asked again");
	spool_close(sp);
	shutdown(fd, SHUT_RDWR);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	pthread_join(th, NULL);
	close(fd);
	rmdir(dir);
	return t_done();
}
