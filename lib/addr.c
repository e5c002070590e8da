/*
 * addr.c - the address classifier (see addr.h).
 *
 * Metadata and credential services, with where each is documented:
 *  169.254.169.254, fd00:ec2::254   AWS EC2 instance metadata:
 *      docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
 *      (also GCP, Azure, Oracle OCI, Akamai and others: see below)
 *  169.254.170.2                    AWS ECS task credentials:
 *      docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 *  169.254.170.23, fd00:ec2::23     AWS EKS Pod Identity Agent:
 *      docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html
 *  169.254.169.254 (metadata.google.internal), fd20:ce::254
 *                                   Google Compute Engine:
 *      cloud.google.com/compute/docs/metadata/querying-metadata
 *  169.254.169.254                  Azure IMDS:
 *      learn.microsoft.com/azure/virtual-machines/instance-metadata-service
 *  168.63.129.16                    Azure WireServer (host agent channel;
 *      routable, not link-local):
 *      learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16
 *  100.100.100.200                  Alibaba Cloud ECS:
 *      alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata
 *  169.254.169.254                  Oracle OCI:
 *      docs.oracle.com/en-us/iaas/Content/Compute/Tasks/gettingmetadata.htm
 *  192.0.0.192                      Oracle Cloud Infrastructure Classic
 *      (its metadata service; legacy)
 *  169.254.169.254, fd00:a9fe:a9fe::1  Akamai (Linode):
 *      linode.com/docs/products/compute/compute-instances/guides/metadata-api/
 *  169.254.42.42, fd00:42::42       Scaleway:
 *      scaleway.com/en/developers/api/instance/user-data
 *  fe80::a9fe:a9fe                  OpenStack's IPv6 metadata (link-local):
 *      specs.openstack.org/openstack/neutron-specs/specs/ussuri/metadata-add-ipv6-support.html
 * Link-local addresses are refused as a class as well, so a provider that
 * is missing here but lives in 169.254.0.0/16 or fe80::/10 is covered.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "banned.h"

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
			((uint32_t)(c) << 8) | (uint32_t)(d))

static const uint32_t meta_v4[] = {
	V4(169, 254, 169, 254), V4(169, 254, 170, 2), V4(169, 254, 170, 23),
	V4(169, 254, 42, 42), V4(168, 63, 129, 16), V4(100, 100, 100, 200),
	V4(192, 0, 0, 192)
};

/* Written as 16 bytes, so no parsing is needed to compare. */
static const unsigned char meta_v6[][16] = {
	/* fd00:ec2::254 */
	{ 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 },
	/* fd00:ec2::23 */
	{ 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23 },
	/* fd20:ce::254 */
	{ 0xfd, 0x20, 0, 0xce, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 },
	/* fd00:a9fe:a9fe::1 */
	{ 0xfd, 0, 0xa9, 0xfe, 0xa9, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	/* fd00:42::42 */
	{ 0xfd, 0, 0, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42 },
};

static enum addr_class class_v4(uint32_t a)
{
	for (size_t i = 0; i < sizeof(meta_v4) / sizeof(meta_v4[0]); i++)
		if (a == meta_v4[i])
			return ADDR_METADATA;
	if ((a >> 16) == V4(0, 0, 169, 254)) /* 169.254.0.0/16 */
		return ADDR_LINK_LOCAL;
	return ADDR_OK;
}

static uint32_t get32(const unsigned char *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
}

/* The worse of two classes. */
static enum addr_class worse(enum addr_class a, enum addr_class b)
{
	return a > b ? a : b;
}

static int zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/*
 * 64:ff9b:1::/48 is for local NAT64 (RFC 8215), and the operator picks
 * the prefix length inside it, so the IPv4 address may sit at any RFC
 * 6052 place a /48 or longer prefix leaves: bits 48-63 and 72-87 for
 * /48, 56-63 and 72-95 for /56, 72-103 for /64 and 96-127 for /96 (bits
 * 64-71 are always skipped).  Each place is tried.
 */
static enum addr_class class_nat64_local(const unsigned char *b)
{
	static const unsigned char at[][4] = {
		{ 6, 7, 9, 10 }, { 7, 9, 10, 11 }, { 9, 10, 11, 12 },
		{ 12, 13, 14, 15 }
	};
	enum addr_class c = ADDR_OK;

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		unsigned char v4[4] = { b[at[i][0]], b[at[i][1]], b[at[i][2]],
					b[at[i][3]] };

		c = worse(c, class_v4(get32(v4)));
	}
	return c;
}

static enum addr_class class_v6(const unsigned char *b)
{
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };

	for (size_t i = 0; i < sizeof(meta_v6) / sizeof(meta_v6[0]); i++)
		if (memcmp(b, meta_v6[i], 16) == 0)
			return ADDR_METADATA;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 */
		return ADDR_LINK_LOCAL;
	/* ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped) and
	 * ::ffff:0:a.b.c.d (translated): the IPv4 address is the last 32
	 * bits; ::1 and :: fall out as 0.0.0.1 and 0.0.0.0. */
	if (zero(b, 10) && ((b[10] == 0 && b[11] == 0) ||
			    (b[10] == 0xff && b[11] == 0xff)))
		return class_v4(get32(b + 12));
	if (zero(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
		return class_v4(get32(b + 12));
	if (memcmp(b, nat64, sizeof(nat64)) == 0)  /* 64:ff9b::/96 */
		return class_v4(get32(b + 12));
	if (memcmp(b, nat64_local, sizeof(nat64_local)) == 0)
		return class_nat64_local(b);
	if (b[0] == 0x20 && b[1] == 0x02)          /* 6to4, 2002:V4::/48 */
		return class_v4(get32(b + 2));
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		/* Teredo: the server in clear, the client inverted. */
		return worse(class_v4(get32(b + 4)), class_v4(~get32(b + 12)));
	return ADDR_OK;
}

enum addr_class addr_classify(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return class_v4(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return class_v6(in6->sin6_addr.s6_addr);
	}
	return ADDR_OK;
}

const char *addr_class_name(enum addr_class c)
{
	switch (c) {
	case ADDR_LINK_LOCAL: return "a link-local address";
	case ADDR_METADATA: return "a cloud metadata address";
	case ADDR_OK: break;
	}
	return "";
}

const char *addr_text(const struct sockaddr *sa, char *out, size_t n)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)n))
		snprintf(out, n, "?");
	return out;
}
