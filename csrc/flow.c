/*
 * flow.c - the flow hash (skb_get_hash) and the UDP tunnel source port
 * derived from it (udp_flow_src_port, include/net/udp.h).
 *
 * The hash is Bob Jenkins' lookup3 as the kernel's jhash uses it, over the
 * flow's protocol, addresses and ports, made symmetric so both directions
 * of a flow agree.  The kernel seeds it with a random value per boot; the
 * seed here is fixed, so results are reproducible.
 */
#include "proto.h"
#include "skb_internal.h"

#define JHASH_INITVAL 0xdeadbeefu

static uint32_t rol32(uint32_t x, unsigned int k)
{
	return (x << k) | (x >> (32 - k));
}

/* lookup3's mix of three words, reversibly. */
static void jhash_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*a -= *c; *a ^= rol32(*c, 4);  *c += *b;
	*b -= *a; *b ^= rol32(*a, 6);  *a += *c;
	*c -= *b; *c ^= rol32(*b, 8);  *b += *a;
	*a -= *c; *a ^= rol32(*c, 16); *c += *b;
	*b -= *a; *b ^= rol32(*a, 19); *a += *c;
	*c -= *b; *c ^= rol32(*b, 4);  *b += *a;
}

/* lookup3's final avalanche of three words into c. */
static void jhash_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*c ^= *b; *c -= rol32(*b, 14);
	*a ^= *c; *a -= rol32(*c, 11);
	*b ^= *a; *b -= rol32(*a, 25);
	*c ^= *b; *c -= rol32(*b, 16);
	*a ^= *c; *a -= rol32(*c, 4);
	*b ^= *a; *b -= rol32(*a, 14);
	*c ^= *b; *c -= rol32(*b, 24);
}

/**
 * jhash - hash @length bytes of @key with @initval (the kernel's jhash)
 * @key: the bytes
 * @length: their number
 * @initval: the seed
 */
uint32_t jhash(const void *key, uint32_t length, uint32_t initval)
{
	const unsigned char *k = key;
	uint32_t a, b, c, tail[3] = { 0, 0, 0 };
	unsigned int i;

	a = b = c = JHASH_INITVAL + length + initval;
	while (length > 12) {
		a += (uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
		b += (uint32_t)k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 | (uint32_t)k[7] << 24;
		c += (uint32_t)k[8] | (uint32_t)k[9] << 8 | (uint32_t)k[10] << 16 | (uint32_t)k[11] << 24;
		jhash_mix(&a, &b, &c);
		length -= 12;
		k += 12;
	}
	if (!length)
		return c;
	/* the last 1..12 bytes, little-endian into a, b, c */
	for (i = 0; i < length; i++)
		tail[i / 4] |= (uint32_t)k[i] << (8 * (i % 4));
	a += tail[0];
	b += tail[1];
	c += tail[2];
	jhash_final(&a, &b, &c);
	return c;
}

/*
 * The flow keys the hash covers: network protocol, L4 protocol, addresses
 * and ports, low address (and port) first so both directions match.
 */
struct flow_keys {
	uint32_t proto;		/* ethertype << 16 | ip_proto */
	uint32_t ports;		/* src << 16 | dst, ordered */
	uint8_t addrs[32];	/* src then dst, ordered; IPv4 uses 8 bytes */
};

static void order_pair(uint8_t *a, uint8_t *b, size_t n, uint32_t *ports)
{
	uint8_t tmp[16];
	int cmp = memcmp(a, b, n);

	if (cmp > 0 || (cmp == 0 && (*ports >> 16) > (*ports & 0xffff))) {
		memcpy(tmp, a, n);
		memcpy(a, b, n);
		memcpy(b, tmp, n);
		*ports = (*ports << 16) | (*ports >> 16);
	}
}

/* Read @len bytes at @off from data, whatever part of the skb holds them. */
static bool flow_read(const struct sk_buff *skb, int64_t off, void *buf, unsigned int len)
{
	if (off < 0 || off > INT32_MAX)
		return false;
	return !skb_copy_bits_nocheck(skb, (int)off, buf, len);
}

/* Dissect IPv4 or IPv6 at the network header; false when there is no flow. */
static bool flow_dissect(const struct sk_buff *skb, struct flow_keys *keys, size_t *addr_len)
{
	int64_t nhoff = (int64_t)skb->network_header - data_off(skb), thoff;
	unsigned char hdr[IP6H_LEN], ports[4];
	unsigned int ip_proto;
	bool fragment = false;

	if (skb->protocol == ETH_P_IP) {
		if (!flow_read(skb, nhoff, hdr, IPH_LEN) || (hdr[0] >> 4) != 4 ||
		    (hdr[0] & 0x0f) < 5)
			return false;
		ip_proto = hdr[IPH_PROTOCOL];
		fragment = get_be16(hdr + IPH_FRAG_OFF) & (IP_MF | 0x1fff);
		memcpy(keys->addrs, hdr + IPH_SADDR, 8);
		*addr_len = 4;
		thoff = nhoff + (hdr[0] & 0x0f) * 4;
	} else if (skb->protocol == ETH_P_IPV6) {
		if (!flow_read(skb, nhoff, hdr, IP6H_LEN) || (hdr[0] >> 4) != 6)
			return false;
		ip_proto = hdr[IP6H_NEXTHDR];
		memcpy(keys->addrs, hdr + IP6H_SADDR, 32);
		*addr_len = 16;
		thoff = nhoff + IP6H_LEN;
	} else {
		return false;
	}
	keys->proto = (uint32_t)skb->protocol << 16 | ip_proto;
	keys->ports = 0;
	if (!fragment && (ip_proto == IPPROTO_TCP || ip_proto == IPPROTO_UDP) &&
	    flow_read(skb, thoff, ports, 4))
		keys->ports = get_be32(ports);
	order_pair(keys->addrs, keys->addrs + *addr_len, *addr_len, &keys->ports);
	return true;
}

/**
 * skb_get_hash - the flow hash of the packet, computed once
 * @skb: the skb, with protocol and network header set
 *
 * Returns the hash (never 0 for a flow), or 0 when no IPv4/IPv6 flow can be
 * found.  It is cached in skb->hash with sw_hash (and l4_hash when ports
 * were hashed).
 */
int64_t skb_get_hash(struct sk_buff *skb)
{
	struct flow_keys keys;
	size_t addr_len;
	uint32_t hash;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb->sw_hash || skb->l4_hash)
		return skb->hash;
	memset(&keys, 0, sizeof(keys));
	if (!flow_dissect(skb, &keys, &addr_len))
		return 0;
	hash = jhash(&keys, (uint32_t)(offsetof(struct flow_keys, addrs) + 2 * addr_len),
		     SKB_FLOW_HASH_SEED);
	if (!hash)
		hash = 1;
	skb->hash = hash;
	skb->sw_hash = 1;
	skb->l4_hash = keys.ports != 0;
	return hash;
}

/**
 * udp_flow_src_port - a UDP source port for a tunnel, from the inner flow
 * @skb: the inner packet (data at its Ethernet header when @use_eth)
 * @min: lowest port; with @max <= @min the local port range 32768..60999
 * @max: one above the highest port
 * @use_eth: without a flow hash, hash the Ethernet addresses instead
 *
 * Returns the host-order port in [min, max), or a negative code.
 */
int64_t udp_flow_src_port(struct sk_buff *skb, int min, int max, int use_eth)
{
	unsigned char eth[12];
	int64_t hash;

	if (min >= max) {
		min = 32768;
		max = 60999;
	}
	if (min < 0 || max > 65536)
		return SKB_EINVAL;
	hash = skb_get_hash(skb);
	if (hash < 0)
		return hash;
	if (!hash) {
		/* the kernel falls back to a random value per boot; ours is fixed */
		hash = SKB_FLOW_HASH_SEED;
		if (use_eth && !flow_read(skb, 0, eth, sizeof(eth)))
			use_eth = 0;
		if (use_eth)
			hash = jhash(eth, sizeof(eth), raw_be16(skb->protocol));
	}
	hash = (uint32_t)(hash ^ (hash << 16));
	return (int64_t)((((uint64_t)hash * (uint32_t)(max - min)) >> 32) + (uint32_t)min);
}
