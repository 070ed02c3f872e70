/*
 * ip.h - what IPv4 fragmentation (ip_fragment.c) and reassembly
 * (ip_defrag.c) share: the header fields they read and write, and the
 * IPv4 control block the kernel keeps in skb->cb (IPCB, struct
 * inet_skb_parm), of which the emulator models the two fields these paths
 * use: flags and frag_max_size, at the kernel's x86-64 offsets.
 */
#ifndef SKB_IP_H
#define SKB_IP_H

#include "proto.h"
#include "skb_internal.h"

#define IPH_TOS 1
#define IP_OFFSET 0x1FFF
#define IP_MAX_LEN 65535

#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_COPIED 0x80

/* struct inet_skb_parm: iif (4), struct ip_options (16), flags, frag_max_size. */
#define IPCB_SIZE 24

static inline unsigned char *ip_hdr(const struct sk_buff *skb)
{
	return skb->head + skb->network_header;
}

static inline unsigned int ip_hdrlen(const unsigned char *iph)
{
	return (iph[0] & 0x0F) * 4u;
}

static inline uint16_t ipcb_get(const struct sk_buff *skb, unsigned int field)
{
	uint16_t v;

	memcpy(&v, skb->cb + field, sizeof(v));
	return v;
}

static inline void ipcb_set(struct sk_buff *skb, unsigned int field, uint16_t v)
{
	memcpy(skb->cb + field, &v, sizeof(v));
}

/* ip_send_check: a fresh header checksum. */
static inline void ip_send_check(unsigned char *iph)
{
	store16(iph + IPH_CHECK, 0);
	store16(iph + IPH_CHECK, ip_fast_csum(iph, iph[0] & 0x0F));
}

/* ip_is_fragment: MF set or a non-zero offset. */
static inline bool ip_is_fragment(const unsigned char *iph)
{
	return get_be16(iph + IPH_FRAG_OFF) & (IP_MF | IP_OFFSET);
}

#endif /* SKB_IP_H */
