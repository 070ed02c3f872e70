/*
 * csum.c - the Internet checksum (RFC 1071) with the semantics of the
 * kernel's generic lib/checksum.c on a little-endian machine, so the
 * unfolded 32-bit partial sums (__wsum), not only their folds, are
 * reproducible by a straightforward reference.
 */
#include "skb_internal.h"

static uint32_t load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * do_csum: the ones' complement sum of @buf as little-endian 16-bit words
 * counted from its start, folded to 16 bits (0 only for all-zero input).
 * Summing 32-bit words into a 64-bit accumulator gives the same residue
 * modulo 0xffff and lets the compiler vectorise the loop.
 */
static uint32_t do_csum(const unsigned char *buf, size_t len)
{
	uint64_t sum = 0;
	size_t i = 0;

	for (; i + 4 <= len; i += 4)
		sum += load_le32(buf + i);
	if (i + 2 <= len) {
		sum += (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8;
		i += 2;
	}
	if (i < len)
		sum += buf[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/**
 * csum_add - add two partial sums with end-around carry
 * @csum: a partial sum
 * @addend: another
 */
uint32_t csum_add(uint32_t csum, uint32_t addend)
{
	uint32_t res = csum + addend;

	return res + (res < addend);
}

/**
 * csum_sub - subtract a partial sum (add its complement)
 * @csum: a partial sum
 * @addend: the one to take away
 */
uint32_t csum_sub(uint32_t csum, uint32_t addend)
{
	return csum_add(csum, ~addend);
}

/**
 * csum_partial - checksum a buffer, continuing @csum
 * @buf: the bytes
 * @len: their number
 * @csum: the partial sum so far (0 to start)
 */
uint32_t csum_partial(const void *buf, unsigned int len, uint32_t csum)
{
	return csum_add(csum, do_csum(buf, len));
}

/**
 * csum_block_add - add the partial sum of a block that starts at @offset
 * @csum: the sum of what precedes
 * @csum2: the block's own partial sum
 * @offset: where the block starts; an odd offset swaps its bytes
 */
uint32_t csum_block_add(uint32_t csum, uint32_t csum2, int offset)
{
	if (offset & 1)
		csum2 = (csum2 >> 8) | (csum2 << 24);
	return csum_add(csum, csum2);
}

/**
 * csum_fold - fold a partial sum to the 16-bit checksum, complemented
 * @csum: the partial sum
 *
 * The result is a native (little-endian) u16: stored as such in memory it
 * reads as the network-order checksum.
 */
uint16_t csum_fold(uint32_t csum)
{
	uint32_t sum = (csum & 0xffff) + (csum >> 16);

	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum_tcpudp_nofold - add the TCP/UDP pseudo-header to a partial sum
 * @saddr: source IPv4 address, 4 bytes in network order
 * @daddr: destination IPv4 address, 4 bytes in network order
 * @len: the L4 length
 * @proto: the IP protocol number
 * @csum: the partial sum of the L4 header and payload
 */
uint32_t csum_tcpudp_nofold(const uint8_t *saddr, const uint8_t *daddr, uint32_t len,
			    uint8_t proto, uint32_t csum)
{
	uint64_t s = csum;

	s += load_le32(saddr);
	s += load_le32(daddr);
	/* the length term wraps at 32 bits, as the kernel's unsigned int does */
	s += (uint32_t)((proto + len) << 8);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

/**
 * csum_tcpudp_magic - the folded TCP/UDP checksum with its pseudo-header
 * @saddr: source address (4 bytes, network order)
 * @daddr: destination address (4 bytes, network order)
 * @len: the L4 length
 * @proto: the IP protocol number
 * @csum: the partial sum of the L4 header and payload
 */
uint16_t csum_tcpudp_magic(const uint8_t *saddr, const uint8_t *daddr, uint32_t len,
			   uint8_t proto, uint32_t csum)
{
	return csum_fold(csum_tcpudp_nofold(saddr, daddr, len, proto, csum));
}

/**
 * ip_fast_csum - the IPv4 header checksum (0 when the header is valid)
 * @iph: the header
 * @ihl: its length in 32-bit words
 */
uint16_t ip_fast_csum(const void *iph, unsigned int ihl)
{
	return csum_fold(csum_partial(iph, ihl * 4, 0));
}

/**
 * csum_ipv6_magic - the folded TCP/UDP checksum with the IPv6 pseudo-header
 * @saddr: source address (16 bytes, network order)
 * @daddr: destination address (16 bytes, network order)
 * @len: the upper-layer length
 * @proto: the next header value
 * @csum: the partial sum of the L4 header and payload
 */
uint16_t csum_ipv6_magic(const uint8_t *saddr, const uint8_t *daddr, uint32_t len,
			 uint8_t proto, uint32_t csum)
{
	uint32_t sum = csum;
	int i;

	for (i = 0; i < 16; i += 4) {
		sum = csum_add(sum, load_le32(saddr + i));
		sum = csum_add(sum, load_le32(daddr + i));
	}
	sum = csum_add(sum, __builtin_bswap32(len));
	sum = csum_add(sum, __builtin_bswap32(proto));
	return csum_fold(sum);
}
