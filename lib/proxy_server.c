/*
 * proxy_server.c - the client side of rd-proxy, on libmicrohttpd: its
 * daemons (one per worker thread, which drives it with external polling,
 * all accepting on one listening socket) and their limits, the wake that
 * resumes a suspended connection, the deadlines that end slow clients,
 * and the /metrics listener.  One request's reading and answer are
 * proxy_request.c.  The libmicrohttpd types stay in these two files.
 *
 * libmicrohttpd calls the access handler once the head is read, once per
 * piece of body, and once more when the body is complete; rd-proxy then
 * hands the exchange over and suspends the connection, and libmicrohttpd
 * calls the handler again after proxy_server_wake resumes it.  An answer
 * that is whole by then (proxy_request.c) is sent from one buffer, its
 * head and body in one write.  Streamed bodies work the same way: the
 * content reader suspends the connection when the pipe is empty and
 * returns 0, and the relay wakes it.  A wake resumes a connection only if
 * it is suspended (ex->suspended, under the exchange's lock, set in the
 * same critical section as the suspend), so each suspend gets exactly one
 * resume, and a suspended connection cannot end under a wake:
 * libmicrohttpd ends one only after resuming it, and wakes stop before
 * the daemons do (stop_lock); the stop then resumes each connection still
 * suspended (libmicrohttpd aborts the process when stopped with one).
 *
 * Deadlines: libmicrohttpd times out a connection with no traffic, not a
 * slow one (one byte every few seconds keeps it alive).  So each
 * connection is on one of two lists while rd-proxy waits for it: the
 * head list (from its start, or from its previous answer, until a head
 * is complete) and the body list (until the body is).  Each list has one
 * timeout, so it is in deadline order and the housekeeper only looks at
 * its front; a connection past its deadline is shut down, and
 * libmicrohttpd closes it.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "clk.h"
#include "proxy_server.h"
#include "xalloc.h"
#include "banned.h"

static void unlink_conn(struct proxy_server *s, struct pconn *c)
{
	struct plist *l = c->phase == PH_HEAD ? &s->heads : &s->bodies;

	if (c->phase == PH_NONE)
		return;
	*(c->prev ? &c->prev->next : &l->first) = c->next;
	*(c->next ? &c->next->prev : &l->last) = c->prev;
	c->prev = c->next = NULL;
	c->phase = PH_NONE;
}

/* Put c on the list of phase (or none), with that phase's deadline. */
static void set_phase(struct proxy *p, struct pconn *c, int phase)
{
	struct proxy_server *s = p->srv;
	struct plist *l = phase == PH_HEAD ? &s->heads : &s->bodies;

	if (!c)
		return;
	pthread_mutex_lock(&s->lock);
	unlink_conn(s, c);
	if (phase != PH_NONE) {
		c->deadline = clk_mono_ns() + 1000000 * (int64_t)
			(phase == PH_HEAD ? p->o.header_timeout_ms : p->o.body_timeout_ms);
		c->phase = phase;
		c->prev = l->last;
		*(l->last ? &l->last->next : &l->first) = c;
		l->last = c;
	}
	pthread_mutex_unlock(&s->lock);
}

static struct pconn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void proxy_server_sweep(struct proxy *p)
{
	struct proxy_server *s = p->srv;
	int64_t now = clk_mono_ns();
	struct plist *ls[2] = { &s->heads, &s->bodies };

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < 2; i++)
		while (ls[i]->first && ls[i]->first->deadline <= now) {
			struct pconn *c = ls[i]->first;

			unlink_conn(s, c);
			/* libmicrohttpd reads the end and closes it; the
			 * descriptor stays open until it says CLOSED, which
			 * takes this lock first. */
			shutdown(c->fd, SHUT_RDWR);
		}
	pthread_mutex_unlock(&s->lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **sock_ctx, enum MHD_ConnectionNotificationCode toe)
{
	struct proxy *p = ((struct part *)cls)->p;
	struct pconn *c = *sock_ctx;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		c = xcalloc(1, sizeof(*c));
		c->fd = ci ? ci->connect_fd : -1;
		*sock_ctx = c;
		set_phase(p, c, PH_HEAD);
		return;
	}
	if (!c)
		return;
	set_phase(p, c, PH_NONE);
	free(c);
	*sock_ctx = NULL;
}

void proxy_server_wake(struct proxy_ex *ex)
{
	struct proxy_server *s = ex->p->srv;
	struct MHD_Connection *conn = NULL;

	if (!s)
		return;
	pthread_rwlock_rdlock(&s->stop_lock);
	pthread_mutex_lock(&ex->lock);
	if (ex->suspended && ex->conn && !s->stopping) {
		ex->suspended = 0;
		conn = ex->conn;
	}
	pthread_mutex_unlock(&ex->lock);
	if (conn)
		MHD_resume_connection(conn);
	pthread_rwlock_unlock(&s->stop_lock);
}

/* At the stop: libmicrohttpd ends a connection only once it is resumed
 * (it aborts the process when stopped with one still suspended). */
static void resume_for_stop(struct proxy_ex *ex)
{
	struct MHD_Connection *conn = NULL;

	pthread_mutex_lock(&ex->lock);
	if (ex->suspended && ex->conn) {
		ex->suspended = 0;
		conn = ex->conn;
	}
	pthread_mutex_unlock(&ex->lock);
	if (conn)
		MHD_resume_connection(conn);
}

void proxy_server_phase(struct proxy *p, struct MHD_Connection *conn, int phase)
{
	set_phase(p, conn_of(conn), phase);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];
	size_t n;

	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '.'))
		text[--n] = '\0';
	proxy_say(cls, PROXY_INFO, "server: %s", text);
}

/* ---- /metrics ---- */

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct MHD_Response *r;
	struct buf b;
	int status = 200;

	(void)version;
	(void)data;
	if (*con_cls == NULL) {          /* the head: wait for the whole request */
		*con_cls = conn;
		return MHD_YES;
	}
	if (*data_size) {
		*data_size = 0;
		return MHD_YES;
	}
	buf_init(&b);
	if (strcmp(url, "/metrics") != 0) {
		status = 404;
		buf_adds(&b, "not found: the metrics are at /metrics\n");
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = 405;
		buf_adds(&b, "use GET\n");
	} else {
		proxy_metrics_text(cls, &b);
	}
	r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	buf_release(&b);
	MHD_add_response_header(r, "Content-Type", status == 200 ?
				"text/plain; version=0.0.4; charset=utf-8" :
				"text/plain; charset=utf-8");
	if (status == 405)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	status = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return (enum MHD_Result)status;
}

/* ---- start and stop ---- */

/* A listening socket on ADDR:PORT ("[v6]:PORT" for IPv6; an empty ADDR
 * is every address), non-blocking; out gets what was bound.  shared:
 * with SO_REUSEPORT, so that each daemon has a socket of its own on the
 * same port, and the kernel spreads new connections evenly among them
 * (one socket shared by all went mostly to whichever woke first). */
static int listen_on(const char *spec, int shared, int *fd, char *out,
		     size_t n, struct rd_err *err)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *colon = strrchr(spec, ':');
	char host[256], ip[INET6_ADDRSTRLEN];
	int one = 1, k;

	if (!colon || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof(host))
		return rd_err_set(err, RD_E_INVAL, "'%s' is not ADDR:PORT", spec);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((k = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai)) != 0)
		return rd_err_set(err, RD_E_INVAL, "cannot use '%s': %s", spec,
				  gai_strerror(k));
	*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0 ||
	    setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (shared &&
	     setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(*fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(*fd, 1024) < 0 ||
	    getsockname(*fd, (struct sockaddr *)&ss, &sl) < 0) {
		k = errno;
		freeaddrinfo(ai);
		return rd_err_sys(err, k, "cannot listen on '%s'", spec);
	}
	freeaddrinfo(ai);
	addr_text((struct sockaddr *)&ss, ip, sizeof(ip));
	snprintf(out, n, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 (unsigned)ntohs(ss.ss_family == AF_INET6 ?
			((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port));
	return 0;
}

static int start_metrics(struct proxy *p, struct rd_err *err)
{
	struct proxy_server *s = p->srv;
	int ret;

	if (!p->o.metrics_listen)
		return 0;
	if ((ret = listen_on(p->o.metrics_listen, 0, &s->mfd, p->mbound,
			     sizeof(p->mbound), err)) < 0)
		return ret;
	s->md = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
				 0, NULL, NULL, on_metrics, p,
				 /* first: libmicrohttpd warns of it otherwise */
				 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, p,
				 MHD_OPTION_LISTEN_SOCKET, s->mfd,
				 MHD_OPTION_CONNECTION_LIMIT, 16u,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				 MHD_OPTION_END);
	if (!s->md)
		return rd_err_set(err, RD_E_IO, "cannot start the metrics listener");
	s->mfd = -1;                     /* the daemon's now */
	return 0;
}

static struct MHD_Daemon *start_one(struct proxy *p, unsigned i, unsigned flags)
{
	struct proxy_server *s = p->srv;

	s->parts[i].p = p;
	s->parts[i].i = i;
	return MHD_start_daemon(flags, 0, NULL, NULL, proxy_server_on_request, &s->parts[i],
		/* first: libmicrohttpd warns of it otherwise */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, p,
		MHD_OPTION_LISTEN_SOCKET, s->lfd[i],
		/* shares that add up to the limit exactly */
		MHD_OPTION_CONNECTION_LIMIT,
		p->o.max_connections / s->nd + (i < p->o.max_connections % s->nd),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, p->o.connection_memory,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)((p->o.idle_timeout_ms + 999) / 1000),
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_URI_LOG_CALLBACK, proxy_server_on_uri, &s->parts[i],
		MHD_OPTION_NOTIFY_COMPLETED, proxy_server_on_completed, &s->parts[i],
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s->parts[i],
		MHD_OPTION_END);
}

/*
 * The daemons' sockets.  The first is bound alone, without SO_REUSEPORT,
 * so that a port another process holds is refused as before (a second
 * rd-proxy started on the same port by mistake must fail, not take half
 * the traffic); then, for more than one daemon, it is closed and the
 * group bound to the address and port it got (so port 0 works too).
 */
static int listen_sockets(struct proxy *p, struct rd_err *err)
{
	struct proxy_server *s = p->srv;
	char again[sizeof(p->bound)];
	int ret;

	if ((ret = listen_on(p->o.listen, 0, &s->lfd[0], p->bound,
			     sizeof(p->bound), err)) < 0 || s->nd == 1)
		return ret;
	close(s->lfd[0]);
	s->lfd[0] = -1;
	for (unsigned i = 0; i < s->nd; i++)
		if ((ret = listen_on(p->bound, 1, &s->lfd[i], again,
				     sizeof(again), err)) < 0)
			return ret;
	return 0;
}

/*
 * One daemon per relay thread, driven by that thread (external polling):
 * a request is read, forwarded and answered by one thread, never handed
 * between two.  Each has a listening socket of its own on the one port,
 * and --max-connections / threads of the connections.
 */
int proxy_server_start(struct proxy *p, struct rd_err *err)
{
	struct proxy_server *s = xcalloc(1, sizeof(*s));
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	int ret;

	p->srv = s;
	s->mfd = -1;
	s->nd = p->nrl;
	s->lfd = xcalloc(s->nd, sizeof(*s->lfd));
	for (unsigned i = 0; i < s->nd; i++)
		s->lfd[i] = -1;
	s->d = xcalloc(s->nd, sizeof(*s->d));
	s->parts = xcalloc(s->nd, sizeof(*s->parts));
	pthread_mutex_init(&s->lock, NULL);
	pthread_rwlock_init(&s->stop_lock, NULL);
	/* What bare_lf relies on was read in this version's source. */
	s->lf_check = strcmp(MHD_get_version(), "0.9.75") == 0;
	if (!s->lf_check)
		proxy_say(p, PROXY_WARN, "bare LF detection is off with libmicrohttpd %s",
			  MHD_get_version());
	if ((ret = listen_sockets(p, err)) < 0)
		return ret;
	if (strchr(p->bound, '['))
		flags |= MHD_USE_IPv6;
	for (unsigned i = 0; i < s->nd; i++)
		if (!(s->d[i] = start_one(p, i, flags)))
			return rd_err_set(err, RD_E_IO, "cannot start the HTTP server on '%s'",
					  p->bound);
	return start_metrics(p, err);
}

int proxy_server_fd(struct proxy *p, unsigned i)
{
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(p->srv->d[i], MHD_DAEMON_INFO_EPOLL_FD);

	return di ? di->epoll_fd : -1;
}

int proxy_server_run(struct proxy *p, unsigned i)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(p->srv->d[i]);
	if (MHD_get_timeout(p->srv->d[i], &ms) == MHD_YES && ms < 100)
		return (int)ms;
	return 100;
}

/* The daemon accepts no more, and its listening socket is closed now,
 * so that new connections are refused: left open, the kernel would go on
 * completing connections nobody accepts, to reset them at the stop.  (A
 * daemon driven by its caller's thread lets go of it at once; a second
 * quiesce does nothing.) */
void proxy_server_quiesce_one(struct proxy *p, unsigned i)
{
	struct proxy_server *s = p->srv;

	if (!s || !s->d[i] || s->lfd[i] < 0)
		return;
	MHD_quiesce_daemon(s->d[i]);
	close(s->lfd[i]);
	s->lfd[i] = -1;
}

void proxy_server_quiesce(struct proxy *p)
{
	for (unsigned i = 0; p->srv && i < p->srv->nd; i++)
		proxy_server_quiesce_one(p, i);
}

void proxy_server_stop(struct proxy *p)
{
	struct proxy_server *s = p->srv;

	if (!s)
		return;
	pthread_rwlock_wrlock(&s->stop_lock);
	s->stopping = 1;
	pthread_rwlock_unlock(&s->stop_lock);
	proxy_ex_each(p, resume_for_stop);
	if (s->md)
		MHD_stop_daemon(s->md);
	s->md = NULL;
	proxy_server_quiesce(p);
	for (unsigned i = 0; i < s->nd; i++) {
		if (s->d[i])
			MHD_stop_daemon(s->d[i]);
		s->d[i] = NULL;
	}
	for (unsigned i = 0; i < s->nd; i++) {
		if (s->lfd[i] >= 0)
			close(s->lfd[i]);
		s->lfd[i] = -1;
	}
	if (s->mfd >= 0)
		close(s->mfd);
	s->mfd = -1;
}

void proxy_server_free(struct proxy *p)
{
	struct proxy_server *s = p->srv;

	if (!s)
		return;
	proxy_server_stop(p);
	pthread_mutex_destroy(&s->lock);
	pthread_rwlock_destroy(&s->stop_lock);
	free(s->d);
	free(s->lfd);
	free(s->parts);
	free(s);
	p->srv = NULL;
}
