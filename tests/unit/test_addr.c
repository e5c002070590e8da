/* Unit tests for lib/addr: every form of a metadata or link-local address
 * is caught, and the addresses a replay is meant for are not. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "rw.h"
#include "t.h"

struct row {
	const char *ip;
	enum addr_class want;
	const char *what;
};

static const struct row rows[] = {
	/* IPv4 */
	{ "169.254.169.254", ADDR_METADATA, "AWS, GCP, Azure, OCI, Akamai metadata" },
	{ "169.254.170.2", ADDR_METADATA, "AWS ECS task credentials" },
	{ "169.254.170.23", ADDR_METADATA, "AWS EKS Pod Identity" },
	{ "169.254.42.42", ADDR_METADATA, "Scaleway metadata" },
	{ "100.100.100.200", ADDR_METADATA, "Alibaba metadata" },
	{ "192.0.0.192", ADDR_METADATA, "Oracle Cloud Classic metadata" },
	{ "168.63.129.16", ADDR_METADATA, "Azure WireServer" },
	{ "169.254.0.1", ADDR_LINK_LOCAL, "169.254/16, low end" },
	{ "169.254.255.255", ADDR_LINK_LOCAL, "169.254/16, high end" },
	{ "169.253.255.255", ADDR_OK, "just below 169.254/16" },
	{ "169.255.0.0", ADDR_OK, "just above 169.254/16" },
	{ "100.100.100.201", ADDR_OK, "Alibaba's neighbour" },
	{ "192.0.0.193", ADDR_OK, "Oracle's neighbour" },
	{ "127.0.0.1", ADDR_OK, "loopback" },
	{ "10.1.2.3", ADDR_OK, "private" },
	{ "93.184.216.34", ADDR_OK, "public" },
	/* IPv6 of its own */
	{ "fd00:ec2::254", ADDR_METADATA, "AWS IMDS over IPv6" },
	{ "fd00:ec2::23", ADDR_METADATA, "AWS EKS Pod Identity over IPv6" },
	{ "fd20:ce::254", ADDR_METADATA, "GCP metadata over IPv6" },
	{ "fd00:a9fe:a9fe::1", ADDR_METADATA, "Akamai metadata over IPv6" },
	{ "fd00:42::42", ADDR_METADATA, "Scaleway metadata over IPv6" },
	{ "fd00:ec2::253", ADDR_OK, "AWS DNS, not a credential service" },
	{ "fe80::1", ADDR_LINK_LOCAL, "fe80::/10" },
	{ "fe80::a9fe:a9fe", ADDR_LINK_LOCAL, "OpenStack metadata over IPv6" },
	{ "febf:ffff::1", ADDR_LINK_LOCAL, "fe80::/10, high end" },
	{ "fec0::1", ADDR_OK, "just above fe80::/10" },
	{ "::1", ADDR_OK, "loopback" },
	{ "::", ADDR_OK, "unspecified" },
	{ "fd12:3456::1", ADDR_OK, "another unique-local" },
	{ "2001:db8::1", ADDR_OK, "documentation" },
	/* IPv4 inside IPv6 */
	{ "::ffff:169.254.169.254", ADDR_METADATA, "IPv4-mapped" },
	{ "::ffff:a9fe:a9fe", ADDR_METADATA, "IPv4-mapped, in hex" },
	{ "::ffff:169.254.1.1", ADDR_LINK_LOCAL, "IPv4-mapped link-local" },
	{ "::ffff:100.100.100.200", ADDR_METADATA, "IPv4-mapped Alibaba" },
	{ "::ffff:127.0.0.1", ADDR_OK, "IPv4-mapped loopback" },
	{ "::169.254.169.254", ADDR_METADATA, "IPv4-compatible" },
	{ "::a9fe:a9fe", ADDR_METADATA, "IPv4-compatible, in hex" },
	{ "::ffff:0:a9fe:a9fe", ADDR_METADATA, "IPv4-translated (SIIT)" },
	{ "64:ff9b::a9fe:a9fe", ADDR_METADATA, "NAT64 well-known prefix" },
	{ "64:ff9b::169.254.1.1", ADDR_LINK_LOCAL, "NAT64, link-local" },
	{ "64:ff9b::7f00:1", ADDR_OK, "NAT64, loopback" },
	{ "64:ff9b:1::a9fe:a9fe", ADDR_METADATA, "local NAT64, /96" },
	{ "64:ff9b:1:a9fe:a9:fe00::", ADDR_METADATA, "local NAT64, /48" },
	{ "64:ff9b:1:a9:fe:a9fe::", ADDR_METADATA, "local NAT64, /56" },
	{ "64:ff9b:1:0:a9:fea9:fe00:0", ADDR_METADATA, "local NAT64, /64" },
	{ "64:ff9b:1::6464:64c8", ADDR_METADATA, "local NAT64, Alibaba" },
	{ "64:ff9b:1::7f00:1", ADDR_OK, "local NAT64, loopback" },
	{ "2002:a9fe:a9fe::1", ADDR_METADATA, "6to4" },
	{ "2002:7f00:1::1", ADDR_OK, "6to4, loopback" },
	{ "2001:0:a9fe:a9fe::1", ADDR_METADATA, "Teredo server" },
	{ "2001:0:4136:e378:8000:63bf:5601:5601", ADDR_METADATA, "Teredo client (inverted)" },
	{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", ADDR_OK, "Teredo, RFC 4380's example" },
};

static enum addr_class classify(const char *ip)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, ip, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		return addr_classify((const struct sockaddr *)&in4);
	}
	if (inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		return addr_classify((const struct sockaddr *)&in6);
	}
	return (enum addr_class)-1;
}

int main(void)
{
	struct sockaddr_in6 in6;
	struct sockaddr un = { .sa_family = AF_UNIX };
	char text[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[160];

		snprintf(name, sizeof(name), "%s: %s", rows[i].ip, rows[i].what);
		T_EQ_INT(classify(rows[i].ip), rows[i].want, name);
	}
	T_EQ_INT(addr_classify(&un), ADDR_OK, "another family");
	T_EQ_STR(addr_class_name(ADDR_METADATA), "a cloud metadata address", "name");
	T_EQ_STR(addr_class_name(ADDR_OK), "", "no name");

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:169.254.169.254", &in6.sin6_addr);
	T_EQ_STR(addr_text((const struct sockaddr *)&in6, text, sizeof(text)),
		 "::ffff:169.254.169.254", "the text of what was refused");
	T_EQ_STR(addr_text(&un, text, sizeof(text)), "?", "another family");

	/* replay's refusal is the classifier's */
	T_OK(rw_refuse_link_local(NULL, (const struct sockaddr *)&in6) != NULL,
	     "rw refuses a mapped metadata address");
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	T_OK(rw_refuse_link_local(NULL, (const struct sockaddr *)&in6) == NULL,
	     "and allows a mapped loopback one");
	return t_done();
}
