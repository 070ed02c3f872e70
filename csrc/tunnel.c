/*
 * tunnel.c - pushing a tunnel's outer headers from a prebuilt template, the
 * fast path of Open vSwitch's userspace datapath (tnl_push): the headers are
 * built once per tunnel, and each packet costs one copy plus the per-packet
 * fields - lengths, IPv4 ID and checksum, UDP source port and checksum, GRE
 * sequence number and checksum - set as the kernel's tunnel transmit path
 * sets them (iptunnel_handle_offloads, udp_set_csum, gre_build_header,
 * ip_tunnel_ecn_encap).
 */
#include "proto.h"
#include "skb_internal.h"

#define INET_ECN_MASK 3
#define INET_ECN_ECT_0 2
#define INET_ECN_CE 3

/* The template's offsets must describe headers that fit in it. */
static bool template_sane(const struct skb_tnl_template *t)
{
	unsigned int l3_len = (t->flags & SKB_TNL_IPV6) ? IP6H_LEN : IPH_LEN;

	if (t->len > SKB_TNL_MAX_HLEN || t->l3_off + l3_len > t->len)
		return false;
	if (t->flags & SKB_TNL_IPV6) {
		if ((t->hdr[t->l3_off] >> 4) != 6)
			return false;
	} else {
		l3_len = (t->hdr[t->l3_off] & 0x0f) * 4u;
		if ((t->hdr[t->l3_off] >> 4) != 4 || l3_len < IPH_LEN || t->l3_off + l3_len > t->len)
			return false;
	}
	if (!(t->flags & (SKB_TNL_UDP | SKB_TNL_GRE)))
		return !(t->flags & SKB_TNL_CSUM);
	if ((t->flags & SKB_TNL_UDP) && (t->flags & SKB_TNL_GRE))
		return false;
	if (t->l4_off < t->l3_off + l3_len)
		return false;
	if (t->flags & SKB_TNL_UDP)
		return t->l4_off + UDPH_LEN <= t->len;
	return t->l4_off + 4u + ((t->flags & SKB_TNL_CSUM) ? 4u : 0u) <= t->len &&
	       (!t->seq_off || t->l4_off + t->seq_off + 4u <= t->len);
}

/**
 * skb_tnl_template_check - SKB_OK when the template's offsets and flags
 * describe headers inside it, else SKB_EBUG_ARGS
 * @t: the template
 */
int skb_tnl_template_check(const struct skb_tnl_template *t)
{
	return t && template_sane(t) ? SKB_OK : SKB_EBUG_ARGS;
}

/* The inner packet's DS field and DF bit, before the push. */
static void inner_ip_facts(struct sk_buff *skb, uint8_t *dsfield, bool *df)
{
	unsigned char hdr[4];
	int64_t nhoff = (int64_t)skb->network_header - data_off(skb);

	*dsfield = 0;
	*df = false;
	if (nhoff < 0 || nhoff > INT32_MAX || skb_copy_bits_nocheck(skb, (int)nhoff, hdr, 4))
		return;
	if (skb->protocol == ETH_P_IP && (hdr[0] >> 4) == 4) {
		*dsfield = hdr[1];
		if (!skb_copy_bits_nocheck(skb, (int)nhoff + IPH_FRAG_OFF, hdr, 2))
			*df = get_be16(hdr) & IP_DF;
	} else if (skb->protocol == ETH_P_IPV6 && (hdr[0] >> 4) == 6) {
		*dsfield = (uint8_t)((hdr[0] << 4) | (hdr[1] >> 4));
		*df = true;
	}
}

/* INET_ECN_encapsulate: the outer ECN field follows the inner one (CE as ECT(0)). */
static uint8_t ecn_encapsulate(uint8_t outer, uint8_t inner)
{
	uint8_t ecn = inner & INET_ECN_MASK;

	return (uint8_t)((outer & ~INET_ECN_MASK) | (ecn == INET_ECN_CE ? INET_ECN_ECT_0 : ecn));
}

static void fix_ipv4(struct sk_buff *skb, struct skb_tnl_template *t, uint8_t dsfield,
		     bool df)
{
	unsigned char *iph = skb->data + t->l3_off;
	/* iptunnel_xmit reserves one ID per segment (gso_segs, at least 1) */
	unsigned int segs = shinfo(skb)->gso_segs ? shinfo(skb)->gso_segs : 1;

	put_be16(iph + IPH_TOT_LEN, (uint16_t)(skb->len - t->l3_off));
	if (t->flags & SKB_TNL_ECN)
		iph[1] = ecn_encapsulate(iph[1], dsfield);
	if ((t->flags & SKB_TNL_DF_INHERIT) && df)
		put_be16(iph + IPH_FRAG_OFF, get_be16(iph + IPH_FRAG_OFF) | IP_DF);
	put_be16(iph + IPH_ID, t->ip_id);
	t->ip_id = (uint16_t)(t->ip_id + segs);
	store16(iph + IPH_CHECK, 0);
	store16(iph + IPH_CHECK, ip_fast_csum(iph, (iph[0] & 0x0f)));
}

static void fix_ipv6(struct sk_buff *skb, const struct skb_tnl_template *t, uint8_t dsfield)
{
	unsigned char *ip6h = skb->data + t->l3_off;
	uint8_t tclass;

	put_be16(ip6h + IP6H_PAYLOAD_LEN, (uint16_t)(skb->len - t->l3_off - IP6H_LEN));
	if (t->flags & SKB_TNL_ECN) {
		tclass = ecn_encapsulate((uint8_t)((ip6h[0] << 4) | (ip6h[1] >> 4)), dsfield);
		ip6h[0] = (unsigned char)((ip6h[0] & 0xf0) | (tclass >> 4));
		ip6h[1] = (unsigned char)((ip6h[1] & 0x0f) | (tclass << 4));
	}
}

/* The pseudo-header of the outer header, folded but not complemented. */
static uint16_t outer_pseudo(const struct sk_buff *skb, const struct skb_tnl_template *t,
			     uint32_t len, uint8_t proto, uint32_t csum)
{
	const unsigned char *nh = skb->data + t->l3_off;

	if (t->flags & SKB_TNL_IPV6)
		return csum_ipv6_magic(nh + IP6H_SADDR, nh + IP6H_DADDR, len, proto, csum);
	return csum_tcpudp_magic(nh + IPH_SADDR, nh + IPH_DADDR, len, proto, csum);
}

/* udp_set_csum / udp6_set_csum. */
static void fix_udp(struct sk_buff *skb, const struct skb_tnl_template *t, uint16_t sport)
{
	unsigned char *uh = skb->data + t->l4_off;
	uint32_t len = skb->len - t->l4_off;
	uint16_t check;

	put_be16(uh, sport);
	put_be16(uh + UDPH_LEN_FIELD, (uint16_t)len);
	store16(uh + UDPH_CHECK, 0);
	if (!(t->flags & SKB_TNL_CSUM))
		return;
	if (shinfo(skb)->gso_size) {
		store16(uh + UDPH_CHECK, (uint16_t)~outer_pseudo(skb, t, len, IPPROTO_UDP, 0));
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		check = outer_pseudo(skb, t, len, IPPROTO_UDP, (uint32_t)lco_csum(skb));
		store16(uh + UDPH_CHECK, check ? check : CSUM_MANGLED_0);
	} else {
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb->transport_header;
		skb->csum_offset = UDPH_CHECK;
		store16(uh + UDPH_CHECK, (uint16_t)~outer_pseudo(skb, t, len, IPPROTO_UDP, 0));
	}
}

/* gre_build_header's sequence number and checksum. */
static void fix_gre(struct sk_buff *skb, struct skb_tnl_template *t)
{
	unsigned char *greh = skb->data + t->l4_off;

	if (t->seq_off)
		put_be32(greh + t->seq_off, t->seq++);
	if (!(t->flags & SKB_TNL_CSUM) ||
	    (shinfo(skb)->gso_type & (SKB_GSO_GRE | SKB_GSO_GRE_CSUM)))
		return;
	store16(greh + 4, 0);
	store16(greh + 6, 0);
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		store16(greh + 4, csum_fold((uint32_t)lco_csum(skb)));
	} else {
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb->transport_header;
		skb->csum_offset = 4;
	}
}

/**
 * skb_tnl_push - push a tunnel's outer headers from its template
 * @skb: the inner packet, data at its first byte (e.g. the inner Ethernet
 *       header), protocol and network header describing it
 * @t: the template; its IPv4 ID and GRE sequence counters advance
 *
 * Makes room (skb_cow_head), records the inner headers and adds the
 * template's GSO type (iptunnel_handle_offloads), pushes the headers, sets
 * mac, network and transport headers and protocol, and fills the
 * per-packet fields.  An outer UDP or GRE checksum is left to the device
 * (CHECKSUM_PARTIAL) or computed by local checksum offload, as the kernel
 * does; skb_checksum_help finishes it in software.  Returns 0 or a negative
 * code with the packet unchanged (but for the flow hash, now cached).
 */
int skb_tnl_push(struct sk_buff *skb, struct skb_tnl_template *t)
{
	uint8_t dsfield;
	int64_t sport = 0;
	bool df;
	int ret;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (!t || !template_sane(t))
		return SKB_EBUG_ARGS;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	inner_ip_facts(skb, &dsfield, &df);
	if (t->flags & SKB_TNL_UDP) {
		sport = udp_flow_src_port(skb, t->sport_min, t->sport_max, 1);
		if (sport < 0)
			return (int)sport;
	}
	ret = skb_cow_head(skb, t->len);
	if (ret)
		return ret;
	/* the inner frame starts at data, as dev_queue_xmit leaves it */
	skb_reset_mac_header(skb);
	ret = iptunnel_handle_offloads(skb, t->gso_type);
	if (ret)
		return ret;
	skb->inner_protocol = t->inner_protocol;
	skb->inner_protocol_type = 0;
	skb->data -= t->len;
	skb->len += t->len;
	memcpy(skb->data, t->hdr, t->len);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, t->l3_off);
	if (t->flags & (SKB_TNL_UDP | SKB_TNL_GRE))
		skb_set_transport_header(skb, t->l4_off);
	skb->mac_len = t->l3_off;
	skb->protocol = (t->flags & SKB_TNL_IPV6) ? ETH_P_IPV6 : ETH_P_IP;
	if (t->flags & SKB_TNL_IPV6)
		fix_ipv6(skb, t, dsfield);
	if (t->flags & SKB_TNL_UDP)
		fix_udp(skb, t, (uint16_t)sport);
	if (t->flags & SKB_TNL_GRE)
		fix_gre(skb, t);
	/* the IPv4 checksum comes last: it covers the fields set above */
	if (!(t->flags & SKB_TNL_IPV6))
		fix_ipv4(skb, t, dsfield, df);
	return SKB_OK;
}

/**
 * skb_tnl_push_burst - skb_tnl_push over an array of skbs
 * @skbs: the packets
 * @n: how many
 * @t: the template
 * @results: receives each packet's result
 *
 * Returns the number of packets encapsulated.
 */
int skb_tnl_push_burst(struct sk_buff **skbs, int n, struct skb_tnl_template *t,
		       int *results)
{
	int i, done = 0;

	for (i = 0; i < n; i++) {
		results[i] = skb_tnl_push(skbs[i], t);
		done += !results[i];
	}
	return done;
}
