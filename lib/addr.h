/*
 * addr.h - what kind of network address a connection is about to reach:
 * an ordinary one, a link-local one, or a cloud provider's metadata
 * service, which hands out the machine's credentials to whoever asks.
 *
 * The classifier looks at the numeric address a socket is opened for,
 * after name resolution, so no spelling of a host (a name that resolves
 * there, a decimal or hexadecimal IPv4, an IPv6 literal) gets around it.
 * An IPv4 address carried inside IPv6 is judged as that IPv4 address:
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), IPv4-translated
 * (::ffff:0:0:0/96), NAT64 (64:ff9b::/96 and, at every RFC 6052 prefix
 * length, 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32, both
 * the server and the obfuscated client address).
 *
 * addr.c lists each metadata address with the public document it comes
 * from.  Deliberately not here: loopback and private ranges, which are
 * where the services a replay is meant for usually live.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>
#include <sys/socket.h>

enum addr_class {
	ADDR_OK = 0,        /* nothing special */
	ADDR_LINK_LOCAL,    /* 169.254.0.0/16 or fe80::/10 */
	ADDR_METADATA       /* a cloud metadata or credential service */
};

/* The class of sa; families other than AF_INET and AF_INET6 are
 * ADDR_OK.  An address both link-local and a metadata service (such as
 * 169.254.169.254) is ADDR_METADATA. */
enum addr_class addr_classify(const struct sockaddr *sa);

/* For people: "a link-local address", "a cloud metadata address", or ""
 * for ADDR_OK. */
const char *addr_class_name(enum addr_class c);

/* The numeric text of sa (no port, no brackets) into out (size n);
 * "?" for another family.  Returns out. */
const char *addr_text(const struct sockaddr *sa, char *out, size_t n);

#endif
