/*
 * proxy_server.h - what the two files of rd-proxy's client side share
 * (proxy_server.c: the daemons, their sockets, deadlines and /metrics;
 * proxy_request.c: reading a request into an exchange, and its answer).
 * Internal: the libmicrohttpd types stay in these files.
 */
#ifndef PROXY_SERVER_H
#define PROXY_SERVER_H

#include <microhttpd.h>
#include <pthread.h>

#include "proxy_int.h"

enum { PH_NONE = 0, PH_HEAD, PH_BODY };

struct pconn {                       /* a client connection, for deadlines */
	int fd;
	int phase;
	int64_t deadline;
	struct pconn *prev, *next;
};

struct plist {
	struct pconn *first, *last;
};

/* One daemon per relay thread, which drives it: what its callbacks get. */
struct part {
	struct proxy *p;
	unsigned i;
};

struct proxy_server {
	struct MHD_Daemon **d, *md;      /* d[i] is driven by relay thread i */
	int *lfd, mfd;                   /* listening sockets, while ours:
					  * lfd[i] is d[i]'s */
	struct part *parts;
	unsigned nd;
	pthread_mutex_t lock;            /* the lists */
	struct plist heads, bodies;
	pthread_rwlock_t stop_lock;      /* wakes against the daemon's stop */
	int stopping;
	int lf_check;                    /* bare LF detection applies */
};

/* Move the connection's deadline to the phase's list (or none). */
void proxy_server_phase(struct proxy *p, struct MHD_Connection *conn, int phase);

/* libmicrohttpd's callbacks for requests (proxy_request.c); cls is the
 * daemon's struct part. */
enum MHD_Result proxy_server_on_request(void *cls, struct MHD_Connection *conn,
					const char *url, const char *method,
					const char *version, const char *data,
					size_t *data_size, void **con_cls);
void *proxy_server_on_uri(void *cls, const char *uri,
			  struct MHD_Connection *conn);
void proxy_server_on_completed(void *cls, struct MHD_Connection *conn,
			       void **con_cls,
			       enum MHD_RequestTerminationCode toe);

#endif
