/*
 * ip_fragment.c - IPv4 fragmentation on output (net/ipv4/ip_output.c).
 *
 * ip_fragment decides what the output path does with a packet for an MTU:
 * send it as it is, refuse it because DF forbids cutting it (the kernel
 * then sends ICMP "fragmentation needed" and frees it), or cut it with
 * ip_do_fragment.  The fast path turns a frag_list whose members already
 * have fragment geometry (as reassembly and ip_append_data leave them)
 * into the fragments themselves: only headers are written, into the
 * members' headroom.  The slow path copies the payload into new skbs of
 * at most the MTU.  Options whose copy bit is clear travel in the first
 * fragment only (ip_options_fragment).
 */
#include "ip.h"

/* What the slow path carries from one fragment to the next (ip_frag_state). */
struct ip_frag_state {
	unsigned char hdr[60];	/* the header each fragment starts from */
	unsigned int hlen;
	unsigned int ll_rs;
	unsigned int mtu;	/* payload bytes per fragment */
	unsigned int left;
	unsigned int ptr;
	unsigned int offset;
	bool not_last_frag;
	bool df;
};

/*
 * ip_options_fragment: overwrite with NOPs the options that must not be
 * repeated in later fragments (copy bit clear).  The kernel walks
 * IPCB(skb)->opt.optlen bytes, which ip_options_compile sets to the
 * header's option bytes; the walk stops at END or a malformed length.
 */
static void ip_options_fragment(unsigned char *iph)
{
	unsigned char *opt = iph + IPH_LEN;
	int left = (int)ip_hdrlen(iph) - IPH_LEN;

	while (left > 0) {
		int optlen;

		if (*opt == IPOPT_END)
			return;
		if (*opt == IPOPT_NOOP) {
			left--;
			opt++;
			continue;
		}
		optlen = left < 2 ? 0 : opt[1];
		if (optlen < 2 || optlen > left)
			return;
		if (!(*opt & IPOPT_COPIED))
			memset(opt, IPOPT_NOOP, (size_t)optlen);
		left -= optlen;
		opt += optlen;
	}
}

/* ip_copy_metadata: the per-packet state every fragment inherits. */
static void ip_copy_metadata(struct sk_buff *to, const struct sk_buff *from)
{
	to->pkt_type = from->pkt_type;
	to->priority = from->priority;
	to->protocol = from->protocol;
	to->mark = from->mark;
	to->hash = from->hash;
	to->sw_hash = from->sw_hash;
	to->l4_hash = from->l4_hash;
}

/* skb_pagelen: the linear bytes plus the page frags (not the frag_list). */
static uint64_t skb_pagelen(const struct sk_buff *skb)
{
	const struct skb_shared_info *sh = shinfo(skb);
	uint64_t len = headlen(skb);
	int i;

	for (i = 0; i < sh->nr_frags; i++)
		len += sh->frags[i].len;
	return len;
}

/*
 * May the frag_list be sent as the fragments?  The kernel's conditions:
 * the head's own bytes make a first fragment of a multiple of 8 that
 * fits, the packet is no fragment already, the head is not cloned and has
 * room for the link layer; every member fits, all but the last are
 * multiples of 8, each has headroom for an IP and a link-layer header and
 * no other user.  One more for the emulator: the member's header area
 * must be writable (the kernel would write into a head a clone shares).
 */
static bool ip_fraglist_ok(const struct sk_buff *skb, unsigned int hlen, unsigned int mtu,
			   unsigned int ll_rs)
{
	uint64_t first_len = skb_pagelen(skb);
	const struct sk_buff *frag;

	if (first_len < hlen || first_len - hlen > mtu || ((first_len - hlen) & 7) ||
	    ip_is_fragment(ip_hdr(skb)) || cloned_nocheck(skb) || data_off(skb) < ll_rs)
		return false;
	for (frag = shinfo(skb)->frag_list; frag; frag = frag->next) {
		if (frag->len > mtu || ((frag->len & 7) && frag->next) ||
		    data_off(frag) < hlen + ll_rs || frag->users != 1)
			return false;
		if (!region_writable(frag, data_off(frag) - hlen, data_off(frag)))
			return false;
	}
	return true;
}

/*
 * ip_fraglist_prepare: make member @frag the fragment after @prev - the IP
 * header of @prev copied in front of its payload, its own length and
 * offset, the metadata of the packet.  *offset advances past @prev.
 */
static void ip_fraglist_prepare(struct sk_buff *frag, const struct sk_buff *prev,
				unsigned int hlen, unsigned int *offset)
{
	unsigned char *iph;
	uint16_t frag_off;

	frag->ip_summed = CHECKSUM_NONE;
	skb_reset_transport_header(frag);
	frag->data -= hlen;
	frag->len += hlen;
	skb_reset_network_header(frag);
	iph = ip_hdr(frag);
	memcpy(iph, ip_hdr(prev), hlen);
	put_be16(iph + IPH_TOT_LEN, (uint16_t)frag->len);
	ip_copy_metadata(frag, prev);
	*offset += prev->len - hlen;
	frag_off = (uint16_t)(*offset >> 3);
	if (frag->next)
		frag_off |= IP_MF;
	put_be16(iph + IPH_FRAG_OFF, frag_off);
	ip_send_check(iph);
}

/*
 * The fast path: the head keeps its linear part and page frags as the
 * first fragment, each member becomes the next one.  Returns the number of
 * fragments; the head is linked to the members through next.
 */
static int ip_fraglist_fragment(struct sk_buff *skb, unsigned int hlen)
{
	struct skb_shared_info *sh = shinfo(skb);
	unsigned char *iph = ip_hdr(skb);
	uint64_t first_len = skb_pagelen(skb);
	struct sk_buff *frag, *prev = skb;
	unsigned int offset = 0;
	int n = 1;

	/* the members stop being charged to the head (ip_do_fragment) */
	for (frag = sh->frag_list; frag; frag = frag->next)
		skb->truesize -= frag->truesize;

	/* ip_fraglist_init */
	frag = sh->frag_list;
	sh->frag_list = NULL;
	skb->data_len = (uint32_t)(first_len - headlen(skb));
	skb->len = (uint32_t)first_len;
	put_be16(iph + IPH_TOT_LEN, (uint16_t)first_len);
	put_be16(iph + IPH_FRAG_OFF, IP_MF);
	ip_send_check(iph);
	skb->next = frag;

	for (; frag; prev = frag, frag = frag->next, n++) {
		bool first_frag = offset == 0;

		ipcb_set(frag, IPCB_FLAGS, ipcb_get(skb, IPCB_FLAGS));
		ip_fraglist_prepare(frag, prev, hlen, &offset);
		if (first_frag && hlen > IPH_LEN) {
			ip_options_fragment(ip_hdr(frag));
			ip_send_check(ip_hdr(frag));
		}
	}
	return n;
}

/* ip_frag_init: where the slow path starts, from the packet's header. */
static void ip_frag_init(const struct sk_buff *skb, unsigned int hlen, unsigned int ll_rs,
			 unsigned int mtu, bool df, struct ip_frag_state *st)
{
	const unsigned char *iph = ip_hdr(skb);
	uint16_t frag_off = get_be16(iph + IPH_FRAG_OFF);

	memcpy(st->hdr, iph, hlen);
	st->hlen = hlen;
	st->ll_rs = ll_rs;
	st->mtu = mtu;
	st->left = skb->len - hlen;
	st->ptr = hlen;
	st->offset = (frag_off & IP_OFFSET) << 3;
	st->not_last_frag = frag_off & IP_MF;
	st->df = df;
}

/*
 * ip_frag_next: copy the next fragment's worth of payload into a new skb
 * behind a copy of the header.  All but the last fragment carry a
 * multiple of 8 bytes; MF stays set on the last one when the packet was
 * itself a non-last fragment.  Returns NULL with *err on -ENOMEM.
 */
static struct sk_buff *ip_frag_next(const struct sk_buff *skb, struct ip_frag_state *st,
				    int *err)
{
	unsigned int len = st->left;
	struct sk_buff *skb2;
	unsigned char *iph;
	uint16_t frag_off;

	if (len > st->mtu)
		len = st->mtu;
	if (len < st->left)
		len &= ~7u;
	skb2 = alloc_skb(len + st->hlen + st->ll_rs, err);
	if (!skb2)
		return NULL;
	ip_copy_metadata(skb2, skb);
	skb_reserve(skb2, (int)st->ll_rs);
	skb_put(skb2, len + st->hlen);
	skb_reset_network_header(skb2);
	skb_set_transport_header(skb2, (int)st->hlen);
	iph = skb2->data;
	memcpy(iph, st->hdr, st->hlen);
	skb_copy_bits_nocheck(skb, (int)st->ptr, iph + st->hlen, len);
	st->left -= len;

	frag_off = (uint16_t)(st->offset >> 3);
	if (st->df)
		frag_off |= IP_DF;
	if (st->left > 0 || st->not_last_frag)
		frag_off |= IP_MF;
	put_be16(iph + IPH_FRAG_OFF, frag_off);
	st->ptr += len;
	st->offset += len;
	put_be16(iph + IPH_TOT_LEN, (uint16_t)(len + st->hlen));
	ip_send_check(iph);
	return skb2;
}

/*
 * The slow path.  The kernel fixes the options in the original's header
 * once the first fragment is out, so later fragments copy the fixed one;
 * here the fix goes into the state's copy of the header, which gives the
 * same fragments without writing into the original (consumed anyway).
 */
static int ip_frag_slow_path(struct sk_buff *skb, unsigned int hlen, unsigned int mtu,
			     unsigned int ll_rs, struct sk_buff **frags)
{
	uint16_t flags = ipcb_get(skb, IPCB_FLAGS);
	struct sk_buff *segs = NULL, **tail = &segs, *skb2;
	struct ip_frag_state st;
	int n = 0, err = SKB_OK;

	ip_frag_init(skb, hlen, ll_rs, mtu, flags & IPSKB_FRAG_PMTU, &st);
	while (st.left > 0) {
		bool first_frag = st.offset == 0;

		skb2 = ip_frag_next(skb, &st, &err);
		if (!skb2) {
			kfree_skb_list(segs);
			kfree_skb(skb);
			return err;
		}
		ipcb_set(skb2, IPCB_FLAGS, flags);
		if (first_frag)
			ip_options_fragment(st.hdr);
		*tail = skb2;
		tail = &skb2->next;
		n++;
	}
	consume_skb(skb);
	*frags = segs;
	return n;
}

/*
 * ip_do_fragment: cut a packet that does not fit.  A CHECKSUM_PARTIAL
 * checksum is finished first; IPCB(skb)->frag_max_size (the largest
 * fragment a reassembled packet was made of) lowers the MTU.
 */
static int ip_do_fragment(struct sk_buff *skb, unsigned int mtu, unsigned int ll_rs,
			  struct sk_buff **frags)
{
	uint16_t frag_max_size = ipcb_get(skb, IPCB_FRAG_MAX_SIZE);
	unsigned int hlen;
	int err;

	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		err = skb_checksum_help(skb);
		if (err) {
			kfree_skb(skb);
			return err;
		}
	}
	if (frag_max_size && frag_max_size < mtu)
		mtu = frag_max_size;
	hlen = ip_hdrlen(ip_hdr(skb));
	mtu -= hlen;
	ipcb_set(skb, IPCB_FLAGS, ipcb_get(skb, IPCB_FLAGS) | IPSKB_FRAG_COMPLETE);

	if (skb_has_frag_list(skb) && ip_fraglist_ok(skb, hlen, mtu, ll_rs)) {
		*frags = skb;
		return ip_fraglist_fragment(skb, hlen);
	}
	return ip_frag_slow_path(skb, hlen, mtu, ll_rs, frags);
}

/*
 * The input the kernel's output path guarantees, checked so that misuse is
 * refused before anything changes: an IPv4 header (options included) in
 * the linear data at data, a packet no longer than IPv4 allows, not GSO
 * (ip_finish_output_gso segments those first), and an MTU that leaves
 * room for 8 payload bytes behind the header.
 */
static int ip_fragment_check(const struct sk_buff *skb, unsigned int mtu, unsigned int ll_rs)
{
	const unsigned char *iph;
	uint16_t frag_max_size;
	unsigned int hlen;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb->on_list && skb->users != 1)
		return SKB_EBUG_ON_LIST;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if (shinfo(skb)->gso_size || skb->len > IP_MAX_LEN || mtu < IPV4_MIN_MTU ||
	    ll_rs > IP_MAX_LEN || skb->network_header != data_off(skb) || headlen(skb) < IPH_LEN)
		return SKB_EINVAL;
	iph = ip_hdr(skb);
	hlen = ip_hdrlen(iph);
	if ((iph[0] >> 4) != 4 || hlen < IPH_LEN || hlen > headlen(skb))
		return SKB_EINVAL;
	frag_max_size = ipcb_get(skb, IPCB_FRAG_MAX_SIZE);
	if (frag_max_size && frag_max_size < mtu && frag_max_size < hlen + 8)
		return SKB_EINVAL;
	if (mtu < hlen + 8)
		return SKB_EINVAL;
	return SKB_OK;
}

/* A CHECKSUM_PARTIAL packet whose checksum skb_checksum_help cannot finish. */
static bool csum_offsets_bad(const struct sk_buff *skb)
{
	int64_t offset = (int64_t)skb->csum_start - data_off(skb);

	return skb->ip_summed == CHECKSUM_PARTIAL &&
	       (offset < 0 || offset >= headlen(skb) ||
		offset + skb->csum_offset + 2 > headlen(skb));
}

/**
 * ip_fragment - what IPv4 output does with @skb for a path of @mtu bytes
 * @skb: an IPv4 packet, data at its network header; its reference is
 *       consumed unless a refusal code is returned
 * @mtu: the path MTU (at least IPV4_MIN_MTU)
 * @ll_rs: LL_RESERVED_SPACE of the device: headroom each new fragment gets
 *         for its link-layer header (16 for Ethernet)
 * @ignore_df: skb->ignore_df - the packet may be cut although DF is set
 * @frags: receives the packets to send, linked by next
 *
 * As __ip_finish_output then ip_fragment: a packet that fits and was not
 * reassembled (IPCB frag_max_size 0) is returned as it is; a DF packet
 * that must be cut is freed (kfree_skb) and SKB_EMSGSIZE returned - the
 * kernel sends ICMP "fragmentation needed" carrying @mtu; otherwise
 * ip_do_fragment cuts it.  On the fast path the first fragment is @skb
 * itself and the others are its former frag_list members; on the slow
 * path all are new and @skb is consumed.
 *
 * Returns the number of packets in *@frags.  SKB_EMSGSIZE and SKB_ENOMEM
 * mean @skb was freed (the kernel's -EMSGSIZE, -ENOMEM); any other
 * negative code is a refusal with nothing changed: SKB_EINVAL for input
 * the output path never holds (see ip_fragment_check), SKB_EBUG_ON_LIST
 * for an skb another chain links (a frag_list member taken with skb_get),
 * SKB_EBUG_CSUM_OFFSET for a CHECKSUM_PARTIAL checksum outside the linear
 * data, SKB_EBUG_INCONSISTENT for a broken frag_list.
 */
int ip_fragment(struct sk_buff *skb, unsigned int mtu, unsigned int ll_rs, int ignore_df,
		struct sk_buff **frags)
{
	uint16_t frag_max_size;
	int ret = ip_fragment_check(skb, mtu, ll_rs);

	if (ret)
		return ret;
	frag_max_size = ipcb_get(skb, IPCB_FRAG_MAX_SIZE);
	if (skb->len <= mtu && !frag_max_size) {
		skb->next = NULL;
		*frags = skb;
		return 1;
	}
	if (csum_offsets_bad(skb))
		return SKB_EBUG_CSUM_OFFSET;
	if ((get_be16(ip_hdr(skb) + IPH_FRAG_OFF) & IP_DF) &&
	    (!ignore_df || (frag_max_size && frag_max_size > mtu))) {
		kfree_skb(skb);
		return SKB_EMSGSIZE;
	}
	return ip_do_fragment(skb, mtu, ll_rs, frags);
}
