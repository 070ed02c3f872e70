/*
 * proto.h - the few wire formats the engine itself patches (GSO fix-ups),
 * as byte offsets into the headers.  Fields are network order in memory;
 * get_/put_ read and write host values, load16/store16 move the raw
 * native value, as the kernel's __force casts do for checksum arithmetic.
 */
#ifndef SKB_PROTO_H
#define SKB_PROTO_H

#include <stdint.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the engine emulates a little-endian machine");

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define VLAN_MAX_DEPTH 8
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_TEB 0x6558
#define ETH_P_FCOE 0x8906

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_GRE 47
#define IP_DF 0x4000
#define IP_MF 0x2000

/* IPv4 header */
#define IPH_TOT_LEN 2
#define IPH_ID 4
#define IPH_FRAG_OFF 6
#define IPH_PROTOCOL 9
#define IPH_CHECK 10
#define IPH_SADDR 12
#define IPH_DADDR 16
#define IPH_LEN 20

/* IPv6 header */
#define IP6H_PAYLOAD_LEN 4
#define IP6H_NEXTHDR 6
#define IP6H_SADDR 8
#define IP6H_DADDR 24
#define IP6H_LEN 40
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_DEST 60

/* TCP header */
#define TCPH_SEQ 4
#define TCPH_DOFF 12
#define TCPH_FLAGS 13
#define TCPH_CHECK 16
#define TCPH_LEN 20
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* UDP header */
#define UDPH_LEN_FIELD 4
#define UDPH_CHECK 6
#define UDPH_LEN 8
#define CSUM_MANGLED_0 0xFFFF

/* SCTP common header (only its length matters here) */
#define SCTPH_LEN 12

/* GRE base header: flags and version, protocol; the checksum follows */
#define GREH_LEN 4
#define GREH_CSUM 4

/* skb->inner_protocol_type */
#define ENCAP_TYPE_ETHER 0
#define ENCAP_TYPE_IPPROTO 1

static inline uint16_t get_be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static inline uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint16_t load16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void store16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* htonl as a raw value: what the kernel adds when it sums a __be32. */
static inline uint32_t raw_be32(uint32_t host)
{
	return __builtin_bswap32(host);
}

static inline uint16_t raw_be16(uint16_t host)
{
	return __builtin_bswap16(host);
}

#endif /* SKB_PROTO_H */
