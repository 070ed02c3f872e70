/*
 * gso.c - software GSO above skb_segment: skb_gso_segment walks the
 * protocol handlers (net/core/gso.c, net/ipv4/af_inet.c, tcp_offload.c,
 * udp_offload.c, net/ipv6/ip6_offload.c, tcpv6_offload.c), each pulling its
 * header, letting the layer above segment, then fixing up its replicated
 * header in every segment: IPv4 total length, ID and checksum; IPv6 payload
 * length; TCP sequence numbers, flags and checksum; UDP length and checksum.
 *
 * Handlers return the segment list, or NULL with *err set: 0 when the
 * device can take the skb as it is, a negative SKB_E* code otherwise.
 */
#include "proto.h"
#include "skb_internal.h"

static unsigned char *mac_hdr(const struct sk_buff *skb)
{
	return skb->head + skb->mac_header;
}

static unsigned char *network_hdr(const struct sk_buff *skb)
{
	return skb->head + skb->network_header;
}

static unsigned char *transport_hdr(const struct sk_buff *skb)
{
	return skb->head + skb->transport_header;
}

/* The kernel's ~th->check as a __wsum: the u16 is promoted before ~. */
static uint32_t complement_check(uint16_t check)
{
	return ~(uint32_t)check;
}

/* csum16_add: add a 16-bit value to a folded checksum, end-around. */
static uint16_t csum16_add(uint16_t csum, uint16_t addend)
{
	uint16_t res = (uint16_t)(csum + addend);

	return (uint16_t)(res + (res < addend));
}

static uint16_t csum16_sub(uint16_t csum, uint16_t addend)
{
	return csum16_add(csum, (uint16_t)~addend);
}

/* gso_reset_checksum: the device will finish this segment's checksum. */
static void gso_reset_checksum(struct sk_buff *skb, uint32_t res)
{
	struct skb_gso_cb cb = gso_cb(skb);

	cb.csum = res;
	cb.csum_start = skb->csum_start;
	set_gso_cb(skb, &cb);
}

/*
 * gso_make_checksum: complete a segment's checksum in software by summing
 * its transport header (seeded with the pseudo-header) up to where
 * skb_segment's payload sum starts.
 */
static uint16_t gso_make_checksum(struct sk_buff *skb, uint32_t res)
{
	struct skb_gso_cb cb = gso_cb(skb);
	int64_t plen = (int64_t)cb.csum_start - skb->transport_header;
	uint32_t partial = cb.csum;

	if (plen < 0 || skb->transport_header + plen > skb->tail)
		plen = 0;
	cb.csum = res;
	cb.csum_start = skb->transport_header;
	set_gso_cb(skb, &cb);
	return csum_fold(csum_partial(transport_hdr(skb), (unsigned int)plen, partial));
}

/* __skb_pull of a header that pskb_may_pull made linear. */
static void pull_header(struct sk_buff *skb, unsigned int len)
{
	skb->data += len;
	skb->len -= len;
}

static bool may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len) == 1;
}

static struct sk_buff *skb_mac_gso_segment(struct sk_buff *skb, uint64_t features, int *err);

/* ---------------------------------------------------------------------
 * TCP
 */

/* tcp_gso_segment: data at the TCP header, CHECKSUM_PARTIAL set up. */
static struct sk_buff *tcp_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	unsigned int thlen, mss, seq, oldlen;
	struct sk_buff *segs, *seg;
	uint16_t newcheck;
	unsigned char *th;
	uint32_t delta;

	*err = SKB_EINVAL;
	thlen = (transport_hdr(skb)[TCPH_DOFF] >> 4) * 4u;
	if (thlen < TCPH_LEN || skb->csum_start != skb->transport_header ||
	    !may_pull(skb, thlen))
		return NULL;
	oldlen = ~skb->len;
	pull_header(skb, thlen);
	mss = shinfo(skb)->gso_size;
	if (skb->len <= mss)
		return NULL;
	if (skb_gso_ok(skb, features | NETIF_F_GSO_ROBUST)) {
		shinfo(skb)->gso_segs = (uint16_t)((skb->len + mss - 1) / mss);
		*err = SKB_OK;
		return NULL;
	}
	segs = skb_segment(skb, features, err);
	if (!segs)
		return NULL;
	if (shinfo(segs)->gso_size)
		mss *= shinfo(segs)->gso_segs;

	delta = raw_be32(oldlen + thlen + mss);
	seg = segs;
	th = transport_hdr(seg);
	seq = get_be32(th + TCPH_SEQ);
	newcheck = (uint16_t)~csum_fold(csum_add(load16(th + TCPH_CHECK), delta));
	while (seg->next) {
		th[TCPH_FLAGS] &= (unsigned char)~(TCP_FIN | TCP_PSH);
		store16(th + TCPH_CHECK, newcheck);
		if (seg->ip_summed == CHECKSUM_PARTIAL)
			gso_reset_checksum(seg, complement_check(newcheck));
		else
			store16(th + TCPH_CHECK, gso_make_checksum(seg, complement_check(newcheck)));
		seq += mss;
		seg = seg->next;
		th = transport_hdr(seg);
		put_be32(th + TCPH_SEQ, seq);
		/* CWR only on the first segment */
		th[TCPH_FLAGS] &= (unsigned char)~TCP_CWR;
	}
	delta = raw_be32(oldlen + (seg->tail - seg->transport_header) + seg->data_len);
	store16(th + TCPH_CHECK,
		(uint16_t)~csum_fold(csum_add(load16(th + TCPH_CHECK), delta)));
	if (seg->ip_summed == CHECKSUM_PARTIAL)
		gso_reset_checksum(seg, complement_check(load16(th + TCPH_CHECK)));
	else
		store16(th + TCPH_CHECK,
			gso_make_checksum(seg, complement_check(load16(th + TCPH_CHECK))));
	return segs;
}

/* Checksum offload from here on: the pseudo-header goes into th->check. */
static void tcp_setup_partial(struct sk_buff *skb, uint16_t pseudo)
{
	store16(transport_hdr(skb) + TCPH_CHECK, (uint16_t)~pseudo);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb->transport_header;
	skb->csum_offset = TCPH_CHECK;
}

static struct sk_buff *tcp4_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	const unsigned char *iph;

	*err = SKB_EINVAL;
	if (!(shinfo(skb)->gso_type & SKB_GSO_TCPV4) || !may_pull(skb, TCPH_LEN))
		return NULL;
	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		iph = network_hdr(skb);
		store16(transport_hdr(skb) + TCPH_CHECK, 0);
		tcp_setup_partial(skb, csum_tcpudp_magic(iph + IPH_SADDR, iph + IPH_DADDR,
							 skb->len, IPPROTO_TCP, 0));
	}
	return tcp_gso_segment(skb, features, err);
}

static struct sk_buff *tcp6_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	const unsigned char *ip6h;

	*err = SKB_EINVAL;
	if (!(shinfo(skb)->gso_type & SKB_GSO_TCPV6) || !may_pull(skb, TCPH_LEN))
		return NULL;
	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		ip6h = network_hdr(skb);
		store16(transport_hdr(skb) + TCPH_CHECK, 0);
		tcp_setup_partial(skb, csum_ipv6_magic(ip6h + IP6H_SADDR, ip6h + IP6H_DADDR,
						       skb->len, IPPROTO_TCP, 0));
	}
	return tcp_gso_segment(skb, features, err);
}

/* ---------------------------------------------------------------------
 * UDP
 */

/* The UDP checksum as software finishes it: 0 goes on the wire as 0xffff. */
static uint16_t udp_software_check(struct sk_buff *seg, uint16_t check)
{
	uint16_t sum = gso_make_checksum(seg, complement_check(check));

	return sum ? sum : CSUM_MANGLED_0;
}

/*
 * __udp_gso_segment (SKB_GSO_UDP_L4): every segment is a whole UDP
 * datagram of its own, length and checksum adjusted from the original's.
 */
static struct sk_buff *udp_gso_segment(struct sk_buff *gso_skb, uint64_t features,
				       int *err)
{
	unsigned int mss = shinfo(gso_skb)->gso_size;
	struct sk_buff *segs, *seg;
	uint16_t check, newlen;
	unsigned char *uh;

	*err = SKB_EINVAL;
	if (gso_skb->len <= UDPH_LEN + mss || gso_skb->csum_start != gso_skb->transport_header)
		return NULL;
	if (gso_skb->ip_summed != CHECKSUM_PARTIAL)
		features &= ~(uint64_t)(NETIF_F_GSO_UDP_L4 | NETIF_F_HW_CSUM | NETIF_F_IP_CSUM |
					NETIF_F_IPV6_CSUM);
	if (skb_gso_ok(gso_skb, features | NETIF_F_GSO_ROBUST)) {
		shinfo(gso_skb)->gso_segs =
			(uint16_t)((gso_skb->len - UDPH_LEN + mss - 1) / mss);
		*err = SKB_OK;
		return NULL;
	}
	pull_header(gso_skb, UDPH_LEN);
	segs = skb_segment(gso_skb, features, err);
	if (!segs)
		return NULL;

	seg = segs;
	uh = transport_hdr(seg);
	newlen = raw_be16((uint16_t)(UDPH_LEN + mss));
	check = csum16_add(csum16_sub(load16(uh + UDPH_CHECK), load16(uh + UDPH_LEN_FIELD)),
			   newlen);
	for (; seg->next; seg = seg->next, uh = transport_hdr(seg)) {
		store16(uh + UDPH_LEN_FIELD, newlen);
		store16(uh + UDPH_CHECK, check);
		if (seg->ip_summed == CHECKSUM_PARTIAL)
			gso_reset_checksum(seg, complement_check(check));
		else
			store16(uh + UDPH_CHECK, udp_software_check(seg, check));
	}
	/* unless it is still a GSO skb, the last datagram may be short */
	if (!shinfo(seg)->gso_size)
		newlen = raw_be16((uint16_t)(seg->tail - seg->transport_header + seg->data_len));
	check = csum16_add(csum16_sub(load16(uh + UDPH_CHECK), load16(uh + UDPH_LEN_FIELD)),
			   newlen);
	store16(uh + UDPH_LEN_FIELD, newlen);
	store16(uh + UDPH_CHECK, check);
	if (seg->ip_summed == CHECKSUM_PARTIAL)
		gso_reset_checksum(seg, complement_check(check));
	else
		store16(uh + UDPH_CHECK, udp_software_check(seg, check));
	if (gso_skb->ip_summed == CHECKSUM_NONE)
		gso_skb->ip_summed = CHECKSUM_UNNECESSARY;
	return segs;
}

/* ---------------------------------------------------------------------
 * Tunnels: UDP (VXLAN and friends) and GRE.  The outer headers up to the
 * inner mac header are pulled, the inner frame is segmented as if it were
 * the packet, and each segment gets the outer headers back (skb_segment
 * copied them in front of every segment) with its own lengths and
 * checksums; the outer IP header is fixed by the caller on the way out.
 * The device's encapsulation features are taken to be its features.
 */

/* Where a tunnel's GSO handler started, to put the skb back on failure. */
struct tnl_saved {
	uint16_t protocol, mac_header, mac_len;
	unsigned int tnl_hlen;
};

/* Make the inner frame the packet: data, mac and network at its headers. */
static void tnl_enter_inner(struct sk_buff *skb, struct tnl_saved *saved,
			    unsigned int tnl_hlen, uint16_t new_protocol)
{
	struct skb_gso_cb cb = gso_cb(skb);

	saved->protocol = skb->protocol;
	saved->mac_header = skb->mac_header;
	saved->mac_len = skb->mac_len;
	saved->tnl_hlen = tnl_hlen;
	skb->encapsulation = 0;
	cb.encap_level = 0;
	set_gso_cb(skb, &cb);
	pull_header(skb, tnl_hlen);
	skb_reset_mac_header(skb);
	skb->network_header = skb->inner_network_header;
	skb->mac_len = (uint16_t)(skb->inner_network_header - skb->inner_mac_header);
	skb->protocol = new_protocol;
}

/* skb_gso_error_unwind: the inner segmentation failed. */
static void tnl_error_unwind(struct sk_buff *skb, const struct tnl_saved *saved)
{
	skb->protocol = saved->protocol;
	skb->encapsulation = 1;
	skb->data -= saved->tnl_hlen;
	skb->len += saved->tnl_hlen;
	skb_reset_transport_header(skb);
	skb->mac_header = saved->mac_header;
	skb->network_header = (uint16_t)(saved->mac_header + saved->mac_len);
	skb->mac_len = saved->mac_len;
}

/* skb_tnl_header_len: the outer headers in front of the inner mac header. */
static unsigned int tnl_header_len(const struct sk_buff *skb)
{
	return (unsigned int)(skb->mac_header - gso_cb(skb).offset);
}

/*
 * Give a segment of the inner frame its outer headers back: the inner
 * offsets are recorded when the inner checksum is left to the device.
 */
static void tnl_restore_outer(struct sk_buff *seg, const struct tnl_saved *saved,
			      unsigned int outer_hlen, unsigned int l4_offset)
{
	if (seg->ip_summed == CHECKSUM_PARTIAL) {
		skb_reset_inner_headers(seg);
		seg->encapsulation = 1;
	}
	seg->mac_len = saved->mac_len;
	seg->protocol = saved->protocol;
	seg->data -= outer_hlen;
	seg->len += outer_hlen;
	skb_reset_mac_header(seg);
	seg->network_header = (uint16_t)(seg->mac_header + saved->mac_len);
	seg->transport_header = (uint16_t)(seg->mac_header + l4_offset);
	seg->hdr_set |= SKB_HDR_NETWORK | SKB_HDR_TRANSPORT;
}

/* __skb_udp_tunnel_segment: data at the outer UDP header. */
static struct sk_buff *udp_tunnel_segment(struct sk_buff *skb, uint64_t features,
					  bool is_ipv6, int *err)
{
	int64_t tnl_hlen = (int64_t)skb->inner_mac_header - skb->transport_header;
	bool need_csum, offload_csum, gso_partial;
	unsigned int outer_hlen, udp_offset, len;
	struct sk_buff *segs, *seg;
	struct tnl_saved saved;
	uint16_t new_protocol;
	uint32_t partial;
	unsigned char *uh;

	*err = SKB_EINVAL;
	if (skb->inner_protocol_type != ENCAP_TYPE_ETHER) {
		/* inner IP protocols (ENCAP_TYPE_IPPROTO) are not emulated */
		*err = SKB_EPROTONOSUPPORT;
		return NULL;
	}
	if (shinfo(skb)->gso_type & SKB_GSO_TUNNEL_REMCSUM) {
		*err = SKB_EPROTONOSUPPORT;
		return NULL;
	}
	if (!inner_mac_header_was_set(skb) || tnl_hlen < UDPH_LEN ||
	    !may_pull(skb, (unsigned int)tnl_hlen))
		return NULL;
	uh = transport_hdr(skb);
	/* the pseudo-header sum without its length term, re-added per segment */
	if (shinfo(skb)->gso_type & SKB_GSO_PARTIAL)
		partial = load16(uh + UDPH_LEN_FIELD);
	else
		partial = raw_be32(skb->len);
	partial = csum_sub(load16(uh + UDPH_CHECK), partial);
	new_protocol = skb->inner_protocol;
	tnl_enter_inner(skb, &saved, (unsigned int)tnl_hlen, new_protocol);
	skb->transport_header = skb->inner_transport_header;

	need_csum = shinfo(skb)->gso_type & SKB_GSO_UDP_TUNNEL_CSUM;
	skb->encap_hdr_csum = need_csum;
	offload_csum = need_csum &&
		       (features & (NETIF_F_HW_CSUM | (is_ipv6 ? NETIF_F_IPV6_CSUM :
								 NETIF_F_IP_CSUM)));

	segs = skb_mac_gso_segment(skb, features, err);
	if (!segs) {
		tnl_error_unwind(skb, &saved);
		return NULL;
	}
	gso_partial = shinfo(segs)->gso_type & SKB_GSO_PARTIAL;
	outer_hlen = tnl_header_len(skb);
	udp_offset = outer_hlen - (unsigned int)tnl_hlen;
	for (seg = segs; seg; seg = seg->next) {
		tnl_restore_outer(seg, &saved, outer_hlen, udp_offset);
		len = seg->len - udp_offset;
		uh = transport_hdr(seg);
		/* a GSO_PARTIAL segment's UDP length is one MSS worth */
		if (gso_partial && shinfo(seg)->gso_size)
			put_be16(uh + UDPH_LEN_FIELD,
				 (uint16_t)(shinfo(seg)->gso_size + gso_cb(seg).offset -
					    seg->transport_header));
		else
			put_be16(uh + UDPH_LEN_FIELD, (uint16_t)len);
		if (!need_csum)
			continue;
		store16(uh + UDPH_CHECK,
			(uint16_t)~csum_fold(csum_add(partial, raw_be32(len))));
		if (seg->encapsulation || !offload_csum) {
			uint16_t check = gso_make_checksum(seg,
							   complement_check(load16(uh + UDPH_CHECK)));

			store16(uh + UDPH_CHECK, check ? check : CSUM_MANGLED_0);
		} else {
			seg->ip_summed = CHECKSUM_PARTIAL;
			seg->csum_start = seg->transport_header;
			seg->csum_offset = UDPH_CHECK;
		}
	}
	*err = SKB_OK;
	return segs;
}

/* gre_gso_segment: data at the GRE header. */
static struct sk_buff *gre_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	int64_t tnl_hlen = (int64_t)skb->inner_mac_header - skb->transport_header;
	unsigned int outer_hlen, gre_offset, adj;
	bool need_csum, offload_csum, gso_partial;
	struct sk_buff *segs, *seg;
	struct tnl_saved saved;
	unsigned char *greh;

	*err = SKB_EINVAL;
	if (!skb->encapsulation || !inner_mac_header_was_set(skb) || tnl_hlen < GREH_LEN ||
	    !may_pull(skb, (unsigned int)tnl_hlen))
		return NULL;
	tnl_enter_inner(skb, &saved, (unsigned int)tnl_hlen, skb->inner_protocol);

	need_csum = shinfo(skb)->gso_type & SKB_GSO_GRE_CSUM;
	skb->encap_hdr_csum = need_csum;
	offload_csum = need_csum && (features & NETIF_F_HW_CSUM);

	segs = skb_mac_gso_segment(skb, features, err);
	if (!segs) {
		tnl_error_unwind(skb, &saved);
		return NULL;
	}
	gso_partial = shinfo(segs)->gso_type & SKB_GSO_PARTIAL;
	outer_hlen = tnl_header_len(skb);
	gre_offset = outer_hlen - (unsigned int)tnl_hlen;
	for (seg = segs; seg; seg = seg->next) {
		tnl_restore_outer(seg, &saved, outer_hlen, gre_offset);
		if (!need_csum)
			continue;
		greh = transport_hdr(seg);
		store16(greh + GREH_CSUM, 0);
		if (gso_partial && shinfo(seg)->gso_size) {
			/* the sum covers the real length; the header one MSS */
			adj = seg->len + data_off(seg) - (unsigned int)gso_cb(seg).offset -
			      shinfo(seg)->gso_size;
			store16(greh + GREH_CSUM, (uint16_t)~csum_fold(raw_be32(adj)));
		}
		store16(greh + GREH_CSUM + 2, 0);
		if (seg->encapsulation || !offload_csum) {
			store16(greh + GREH_CSUM, gso_make_checksum(seg, 0));
		} else {
			seg->ip_summed = CHECKSUM_PARTIAL;
			seg->csum_start = seg->transport_header;
			seg->csum_offset = GREH_CSUM;
		}
	}
	*err = SKB_OK;
	return segs;
}

/*
 * udp4_ufo_fragment: UDP_L4 datagrams, or legacy UFO, which checksums the
 * whole datagram in software and lets inet_gso_segment turn the segments
 * into IP fragments.
 */
static struct sk_buff *udp4_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	const unsigned char *iph;
	unsigned char *uh;
	uint16_t check;
	int64_t csum;

	*err = SKB_EINVAL;
	if (skb->encapsulation &&
	    (shinfo(skb)->gso_type & (SKB_GSO_UDP_TUNNEL | SKB_GSO_UDP_TUNNEL_CSUM)))
		return udp_tunnel_segment(skb, features, false, err);
	if (!(shinfo(skb)->gso_type & (SKB_GSO_UDP | SKB_GSO_UDP_L4)) || !may_pull(skb, UDPH_LEN))
		return NULL;
	if (shinfo(skb)->gso_type & SKB_GSO_UDP_L4)
		return udp_gso_segment(skb, features, err);
	if (skb->len <= shinfo(skb)->gso_size)
		return NULL;
	uh = transport_hdr(skb);
	iph = network_hdr(skb);
	store16(uh + UDPH_CHECK, 0);
	csum = skb_checksum(skb, 0, skb->len, 0);
	if (csum < 0) {
		*err = (int)csum;
		return NULL;
	}
	check = csum_tcpudp_magic(iph + IPH_SADDR, iph + IPH_DADDR, skb->len, IPPROTO_UDP,
				  (uint32_t)csum);
	store16(uh + UDPH_CHECK, check ? check : CSUM_MANGLED_0);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	/* without an outer checksum to fill, the segments need no more */
	if (!skb->encap_hdr_csum)
		features |= NETIF_F_HW_CSUM;
	return skb_segment(skb, features, err);
}

static struct sk_buff *udp6_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	*err = SKB_EINVAL;
	if (skb->encapsulation &&
	    (shinfo(skb)->gso_type & (SKB_GSO_UDP_TUNNEL | SKB_GSO_UDP_TUNNEL_CSUM)))
		return udp_tunnel_segment(skb, features, true, err);
	if (!(shinfo(skb)->gso_type & (SKB_GSO_UDP | SKB_GSO_UDP_L4)) || !may_pull(skb, UDPH_LEN))
		return NULL;
	if (!(shinfo(skb)->gso_type & SKB_GSO_UDP_L4)) {
		/* IPv6 UFO (fragment headers inserted per segment) is not emulated */
		*err = SKB_EPROTONOSUPPORT;
		return NULL;
	}
	return udp_gso_segment(skb, features, err);
}

/* ---------------------------------------------------------------------
 * IPv4 and IPv6
 */

static void ip_send_check(unsigned char *iph, unsigned int ihl)
{
	store16(iph + IPH_CHECK, 0);
	store16(iph + IPH_CHECK, ip_fast_csum(iph, ihl / 4));
}

/* One segment's IPv4 header: total length, ID (or fragment offset), checksum. */
struct ipv4_fixup {
	unsigned int nhoff, ihl, frag_offset;
	int id;
	bool udpfrag, fixedid, gso_partial, encap;
};

static void inet_fixup_segment(struct sk_buff *seg, struct ipv4_fixup *f)
{
	unsigned char *iph = mac_hdr(seg) + f->nhoff;
	unsigned int tot_len;

	if (f->udpfrag) {
		put_be16(iph + IPH_FRAG_OFF,
			 (uint16_t)((f->frag_offset >> 3) | (seg->next ? IP_MF : 0)));
		f->frag_offset += seg->len - f->nhoff - f->ihl;
		tot_len = seg->len - f->nhoff;
	} else if (shinfo(seg)->gso_size) {
		if (!f->fixedid) {
			put_be16(iph + IPH_ID, (uint16_t)f->id);
			f->id += shinfo(seg)->gso_segs;
		}
		if (f->gso_partial)
			tot_len = (unsigned int)(shinfo(seg)->gso_size + gso_cb(seg).offset -
						 (iph - seg->head));
		else
			tot_len = seg->len - f->nhoff;
	} else {
		if (!f->fixedid)
			put_be16(iph + IPH_ID, (uint16_t)f->id++);
		tot_len = seg->len - f->nhoff;
	}
	put_be16(iph + IPH_TOT_LEN, (uint16_t)tot_len);
	ip_send_check(iph, f->ihl);
	if (f->encap)
		skb_reset_inner_headers(seg);
	seg->network_header = (uint16_t)(iph - seg->head);
	skb_reset_mac_len(seg);
}

/* inet_gso_segment: data at the IPv4 header. */
static struct sk_buff *inet_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	struct sk_buff *segs = NULL, *seg;
	struct ipv4_fixup f = { 0 };
	struct skb_gso_cb cb;
	const unsigned char *iph;
	unsigned int proto;

	*err = SKB_EINVAL;
	skb_reset_network_header(skb);
	f.nhoff = skb->network_header - skb->mac_header;
	if (!may_pull(skb, IPH_LEN))
		return NULL;
	iph = network_hdr(skb);
	f.ihl = (iph[0] & 0x0f) * 4u;
	if (f.ihl < IPH_LEN)
		return NULL;
	f.id = get_be16(iph + IPH_ID);
	proto = iph[IPH_PROTOCOL];
	if (!may_pull(skb, f.ihl))
		return NULL;
	pull_header(skb, f.ihl);

	cb = gso_cb(skb);
	f.encap = cb.encap_level > 0;
	cb.encap_level += (int32_t)f.ihl;
	set_gso_cb(skb, &cb);
	skb_reset_transport_header(skb);

	*err = SKB_EPROTONOSUPPORT;
	if (!skb->encapsulation || f.encap) {
		f.udpfrag = shinfo(skb)->gso_type & SKB_GSO_UDP;
		f.fixedid = shinfo(skb)->gso_type & SKB_GSO_TCP_FIXEDID;
		/* a fixed ID is only valid with DF set */
		if (f.fixedid && !(get_be16(network_hdr(skb) + IPH_FRAG_OFF) & IP_DF))
			return NULL;
	}
	if (proto == IPPROTO_TCP)
		segs = tcp4_gso_segment(skb, features, err);
	else if (proto == IPPROTO_UDP)
		segs = udp4_gso_segment(skb, features, err);
	else if (proto == IPPROTO_GRE)
		segs = gre_gso_segment(skb, features, err);
	if (!segs) {
		if (!*err)
			skb->network_header = (uint16_t)(skb->mac_header + f.nhoff);
		return NULL;
	}
	f.gso_partial = shinfo(segs)->gso_type & SKB_GSO_PARTIAL;
	for (seg = segs; seg; seg = seg->next)
		inet_fixup_segment(seg, &f);
	return segs;
}

/*
 * ipv6_gso_pull_exthdrs: step over hop-by-hop, routing and destination
 * options headers (the ones GSO may replicate) to the upper protocol.
 */
static unsigned int ipv6_gso_pull_exthdrs(struct sk_buff *skb, unsigned int proto)
{
	unsigned int len;

	while (proto == NEXTHDR_HOP || proto == NEXTHDR_ROUTING || proto == NEXTHDR_DEST) {
		if (!may_pull(skb, 8))
			break;
		len = (skb->data[1] + 1u) * 8u;
		if (!may_pull(skb, len))
			break;
		proto = skb->data[0];
		pull_header(skb, len);
	}
	return proto;
}

/* ipv6_gso_segment: data at the IPv6 header. */
static struct sk_buff *ipv6_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	struct sk_buff *segs = NULL, *seg;
	unsigned int nhoff, proto, payload_len;
	struct skb_gso_cb cb;
	unsigned char *ip6h;
	bool encap, gso_partial;

	*err = SKB_EINVAL;
	skb_reset_network_header(skb);
	nhoff = skb->network_header - skb->mac_header;
	if (!may_pull(skb, IP6H_LEN))
		return NULL;
	cb = gso_cb(skb);
	encap = cb.encap_level > 0;
	cb.encap_level += IP6H_LEN;
	set_gso_cb(skb, &cb);
	proto = network_hdr(skb)[IP6H_NEXTHDR];
	pull_header(skb, IP6H_LEN);
	proto = ipv6_gso_pull_exthdrs(skb, proto);
	skb_reset_transport_header(skb);
	*err = SKB_EPROTONOSUPPORT;
	if (proto == IPPROTO_TCP)
		segs = tcp6_gso_segment(skb, features, err);
	else if (proto == IPPROTO_UDP)
		segs = udp6_gso_segment(skb, features, err);
	else if (proto == IPPROTO_GRE)
		segs = gre_gso_segment(skb, features, err);
	if (!segs) {
		if (!*err)
			skb->network_header = (uint16_t)(skb->mac_header + nhoff);
		return NULL;
	}
	gso_partial = shinfo(segs)->gso_type & SKB_GSO_PARTIAL;
	for (seg = segs; seg; seg = seg->next) {
		ip6h = mac_hdr(seg) + nhoff;
		if (gso_partial && shinfo(seg)->gso_size)
			payload_len = (unsigned int)(shinfo(seg)->gso_size + gso_cb(seg).offset -
						     (ip6h + IP6H_LEN - seg->head));
		else
			payload_len = seg->len - nhoff - IP6H_LEN;
		put_be16(ip6h + IP6H_PAYLOAD_LEN, (uint16_t)payload_len);
		seg->network_header = (uint16_t)(ip6h - seg->head);
		skb_reset_mac_len(seg);
		if (encap)
			skb_reset_inner_headers(seg);
	}
	return segs;
}

/* ---------------------------------------------------------------------
 * The front-end
 */

/* skb_mac_gso_segment: past the mac header (and VLAN tags) to the handler. */
static struct sk_buff *skb_mac_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	int vlan_depth = skb->mac_len;
	uint16_t type = skb_network_protocol(skb, &vlan_depth);
	struct sk_buff *segs = NULL;

	*err = SKB_EINVAL;
	if (!type)
		return NULL;
	pull_header(skb, (unsigned int)vlan_depth);
	*err = SKB_EPROTONOSUPPORT;
	if (type == ETH_P_IP)
		segs = inet_gso_segment(skb, features, err);
	else if (type == ETH_P_IPV6)
		segs = ipv6_gso_segment(skb, features, err);
	skb->len += data_off(skb) - skb->mac_header;
	skb->data = mac_hdr(skb);
	return segs;
}

/**
 * skb_gso_segment - software GSO through the protocol handlers
 * @skb: data at the mac header, network header set, protocol and gso_size,
 *       gso_type set; CHECKSUM_PARTIAL with the pseudo-header seeded, or
 *       not (the handlers then set it up)
 * @features: the device's NETIF_F_* features
 * @err: receives 0 when the device can segment it itself (nothing done),
 *       or a negative code
 *
 * Returns the segments, or NULL.  The skb is left at its mac header; its
 * checksum fields may have been set up for offload.
 */
struct sk_buff *skb_gso_segment(struct sk_buff *skb, uint64_t features, int *err)
{
	struct skb_gso_cb cb;
	int ret;

	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	if (!skb_paged_consistent(skb)) {
		*err = SKB_EBUG_INCONSISTENT;
		return NULL;
	}
	if (skb->ip_summed != CHECKSUM_PARTIAL && skb->ip_summed != CHECKSUM_UNNECESSARY) {
		/* the handlers will initialise the checksum fields */
		ret = skb_cow_head(skb, 0);
		if (ret) {
			*err = ret;
			return NULL;
		}
	}
	if ((features & NETIF_F_GSO_PARTIAL) && !skb_gso_ok(skb, features | NETIF_F_GSO_ROBUST))
		features &= ~(uint64_t)NETIF_F_GSO_PARTIAL;
	cb = gso_cb(skb);
	cb.offset = (int32_t)data_off(skb);
	cb.encap_level = 0;
	set_gso_cb(skb, &cb);
	skb_reset_mac_header(skb);
	skb_reset_mac_len(skb);
	return skb_mac_gso_segment(skb, features, err);
}

/**
 * skb_gso_reset - forget the GSO state (size, segments, type)
 * @skb: the skb
 */
int skb_gso_reset(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	shinfo(skb)->gso_size = 0;
	shinfo(skb)->gso_segs = 0;
	shinfo(skb)->gso_type = 0;
	return SKB_OK;
}

/* The L4 header plus one MSS of payload, for the validate helpers. */
static unsigned int gso_transport_seglen(const struct sk_buff *skb)
{
	const struct skb_shared_info *sh = shinfo(skb);
	unsigned int thlen = 0;

	if (skb->encapsulation) {
		thlen = (unsigned int)(skb->inner_transport_header - skb->transport_header);
		if (sh->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))
			thlen += (skb->head[skb->inner_transport_header + TCPH_DOFF] >> 4) * 4u;
	} else if (sh->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) {
		thlen = (skb->head[skb->transport_header + TCPH_DOFF] >> 4) * 4u;
	} else if (sh->gso_type & SKB_GSO_SCTP) {
		thlen = SCTPH_LEN;
	} else if (sh->gso_type & SKB_GSO_UDP_L4) {
		thlen = UDPH_LEN;
	}
	return thlen + sh->gso_size;
}

/* skb_gso_size_check: with GSO_BY_FRAGS each member is a segment. */
static bool gso_size_check(const struct sk_buff *skb, unsigned int seg_len,
			   unsigned int max_len)
{
	const struct sk_buff *iter;

	if (shinfo(skb)->gso_size != GSO_BY_FRAGS)
		return seg_len <= max_len;
	seg_len -= GSO_BY_FRAGS;
	for (iter = shinfo(skb)->frag_list; iter; iter = iter->next)
		if (seg_len + headlen(iter) > max_len)
			return false;
	return true;
}

/* The transport header must be set and inside the linear data to be read. */
static bool gso_headers_readable(const struct sk_buff *skb)
{
	uint32_t th = skb->encapsulation ? skb->inner_transport_header : skb->transport_header;

	if (!transport_header_was_set(skb) || skb->transport_header > skb->tail)
		return false;
	/* only TCP's header length is read from the packet */
	if (shinfo(skb)->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))
		return th + TCPH_LEN <= skb->tail;
	return true;
}

/**
 * skb_gso_validate_network_len - would every segment fit @mtu (from the
 * network header on)?
 * @skb: a GSO skb with network and transport headers set
 * @mtu: the MTU
 */
int skb_gso_validate_network_len(const struct sk_buff *skb, unsigned int mtu)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!gso_headers_readable(skb))
		return SKB_EINVAL;
	return gso_size_check(skb, (unsigned int)(skb->transport_header - skb->network_header) +
			      gso_transport_seglen(skb), mtu);
}

/**
 * skb_gso_validate_mac_len - would every segment fit @len (from the mac
 * header on)?
 * @skb: a GSO skb with mac and transport headers set
 * @len: the length
 */
int skb_gso_validate_mac_len(const struct sk_buff *skb, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!gso_headers_readable(skb) || !mac_header_was_set(skb))
		return SKB_EINVAL;
	return gso_size_check(skb, (unsigned int)(skb->transport_header - skb->mac_header) +
			      gso_transport_seglen(skb), len);
}
