/*
 * segment.c - skb_segment: cut a GSO skb into a list of skbs of at most
 * gso_size payload bytes each, replicating the headers in front of the
 * payload (net/core/skbuff.c).  Paged data is shared by reference when the
 * device can scatter-gather; frag_list members are cloned when a segment
 * starts at a member boundary.
 */
#include "proto.h"
#include "skb_internal.h"

/*
 * __vlan_get_protocol: the ethertype behind any VLAN tags, whose headers
 * follow mac_len bytes (or the Ethernet header); *depth receives their end.
 */
static uint16_t vlan_get_protocol(struct sk_buff *skb, uint16_t type, int *depth)
{
	unsigned int vlan_depth = skb->mac_len, parse_depth = VLAN_MAX_DEPTH;
	unsigned char vhdr[VLAN_HLEN];

	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (vlan_depth) {
			if (vlan_depth < VLAN_HLEN)
				return 0;
			vlan_depth -= VLAN_HLEN;
		} else {
			vlan_depth = ETH_HLEN;
		}
		do {
			if (skb_copy_bits_nocheck(skb, (int)vlan_depth, vhdr, VLAN_HLEN) ||
			    !--parse_depth)
				return 0;
			type = get_be16(vhdr + 2);
			vlan_depth += VLAN_HLEN;
		} while (type == ETH_P_8021Q || type == ETH_P_8021AD);
	}
	if (depth)
		*depth = (int)vlan_depth;
	return type;
}

/**
 * skb_network_protocol - the network protocol, seen through a tunnel's
 * inner Ethernet header (ETH_P_TEB) and VLAN tags
 * @skb: data at the mac header
 * @depth: if given, receives where the network header starts from data
 *
 * Returns the host-order ethertype, or 0 when it cannot be found.
 */
uint16_t skb_network_protocol(struct sk_buff *skb, int *depth)
{
	uint16_t type = skb->protocol;
	int maclen;

	if (type == ETH_P_TEB) {
		if (pskb_may_pull(skb, ETH_HLEN) != 1)
			return 0;
		type = get_be16(skb->data + 12);
	}
	/* vlan_get_protocol_and_depth: the mac header and tags made linear */
	type = vlan_get_protocol(skb, type, &maclen);
	if (!type || pskb_may_pull(skb, (unsigned int)maclen) != 1)
		return 0;
	if (depth)
		*depth = maclen;
	return type;
}

static bool can_checksum_protocol(uint64_t features, uint16_t protocol)
{
	if (protocol == ETH_P_FCOE)
		return false;
	if (features & NETIF_F_HW_CSUM)
		return true;
	if (protocol == ETH_P_IP)
		return features & NETIF_F_IP_CSUM;
	if (protocol == ETH_P_IPV6)
		return features & NETIF_F_IPV6_CSUM;
	return false;
}

/* The device can segment every gso_type bit itself (true for type 0). */
static bool net_gso_ok(uint64_t features, uint32_t gso_type)
{
	uint64_t feature = (uint64_t)gso_type << NETIF_F_GSO_SHIFT;

	return (features & feature) == feature;
}

bool skb_gso_ok(const struct sk_buff *skb, uint64_t features)
{
	return net_gso_ok(features, shinfo(skb)->gso_type) &&
	       (!skb_has_frag_list(skb) || (features & NETIF_F_FRAGLIST));
}

/*
 * The DODGY guard: an untrusted gso_size with a frag_list whose members
 * carry kmalloc'd linear data cannot share pages on mss boundaries, so
 * scatter-gather is turned off and everything is copied.
 */
static uint64_t dodgy_features(struct sk_buff *head_skb, uint64_t features)
{
	const struct skb_shared_info *sh = shinfo(head_skb);
	const struct sk_buff *check;

	if (!(sh->gso_type & SKB_GSO_DODGY) || sh->gso_size == GSO_BY_FRAGS ||
	    sh->gso_size == headlen(head_skb))
		return features;
	for (check = sh->frag_list; check; check = check->next)
		if (headlen(check) && !check->head_frag)
			return features & ~(uint64_t)NETIF_F_SG;
	return features;
}

/*
 * The frag_list split: with every feature but frag_list, a skb whose head
 * payload and members (but the last) all have one length can be cut into
 * GSO skbs of whole members; with GSO_PARTIAL anything can be cut into
 * multiples of gso_size.  Returns the number of MSS per output skb, 0 for a
 * normal segmentation.
 */
static unsigned int partial_segments(struct sk_buff *head_skb, uint64_t features,
				     unsigned int mss, unsigned int doffset)
{
	const struct skb_shared_info *sh = shinfo(head_skb);
	const struct sk_buff *list_skb = sh->frag_list, *iter;
	/* the payload: the length before the headers were pushed back */
	unsigned int len = head_skb->len - doffset, frag_len, segs;

	if (!(features & NETIF_F_GSO_PARTIAL)) {
		if (!list_skb || !net_gso_ok(features, sh->gso_type))
			return 0;
		frag_len = list_skb->len;
		for (iter = list_skb; iter; iter = iter->next) {
			if (frag_len != iter->len && iter->next)
				return 0;
			if (headlen(iter) && !iter->head_frag)
				return 0;
			len -= iter->len;
		}
		if (len != frag_len)
			return 0;
	}
	segs = (len < GSO_BY_FRAGS - 1 ? len : GSO_BY_FRAGS - 1) / mss;
	return segs > 1 ? segs : 0;
}

/*
 * The clone path: the segment is exactly a frag_list member (or its linear
 * part with sg): clone it, trim it, and give it private headroom for the
 * replicated headers.
 */
static struct sk_buff *segment_from_member(struct sk_buff *list_skb, unsigned int len,
					   unsigned int doffset, unsigned int headroom,
					   int *err)
{
	struct sk_buff *nskb;
	uint32_t old_end;
	int ret;

	nskb = skb_clone(list_skb, err);
	if (!nskb)
		return NULL;
	ret = pskb_trim(nskb, len);
	if (!ret) {
		old_end = nskb->end;
		ret = skb_cow_head(nskb, doffset + headroom);
		if (!ret)
			nskb->truesize += nskb->end - old_end;
	}
	if (ret) {
		kfree_skb(nskb);
		*err = ret;
		return NULL;
	}
	nskb->data -= doffset;
	nskb->len += doffset;
	return nskb;
}

/*
 * The device cannot checksum: leave the payload's partial sum and where it
 * starts in SKB_GSO_CB for the L4 handler's gso_make_checksum.
 */
static void segment_software_csum(struct sk_buff *nskb, unsigned int doffset, int64_t csum)
{
	struct skb_gso_cb cb = gso_cb(nskb);

	nskb->ip_summed = CHECKSUM_NONE;
	cb.csum = (uint32_t)csum;
	cb.csum_start = (uint16_t)(data_off(nskb) + doffset);
	set_gso_cb(nskb, &cb);
}

/* The state of the walk over the input's frags, then its members' frags. */
struct seg_cursor {
	struct sk_buff *list_skb;	/* next frag_list member */
	skb_frag_t *frag;		/* current frag */
	int i, nfrags;			/* its index, and how many there are */
	int64_t pos;			/* stream offset where it starts */
};

/*
 * The sg path: reference frags (taking page references) for the bytes
 * [offset + hsize, offset + len), moving on to the members' frags.
 */
static int segment_add_frags(struct sk_buff *nskb, struct seg_cursor *cur,
			     int64_t offset, int64_t len, int64_t hsize)
{
	struct skb_shared_info *nsh = shinfo(nskb);
	skb_frag_t *nskb_frag = nsh->frags;
	int64_t size;

	while (cur->pos < offset + len) {
		if (cur->i >= cur->nfrags) {
			struct sk_buff *list_skb = cur->list_skb;

			/* a member's linear data could only be referenced if its
			 * head were a page fragment, which ours never are */
			if (!list_skb || headlen(list_skb) || !shinfo(list_skb)->nr_frags)
				return SKB_EBUG_SEGMENT;
			cur->i = 0;
			cur->nfrags = shinfo(list_skb)->nr_frags;
			cur->frag = shinfo(list_skb)->frags;
			cur->list_skb = list_skb->next;
		}
		if (nsh->nr_frags >= MAX_SKB_FRAGS)
			return SKB_EINVAL;
		*nskb_frag = *cur->frag;
		get_page(nskb_frag->page);
		size = nskb_frag->len;
		if (cur->pos < offset) {
			nskb_frag->offset += (uint32_t)(offset - cur->pos);
			nskb_frag->len -= (uint32_t)(offset - cur->pos);
		}
		nsh->nr_frags++;
		if (cur->pos + size <= offset + len) {
			cur->i++;
			cur->frag++;
			cur->pos += size;
		} else {
			nskb_frag->len -= (uint32_t)(cur->pos + size - (offset + len));
			break;
		}
		nskb_frag++;
	}
	nskb->data_len = (uint32_t)(len - hsize);
	nskb->len += nskb->data_len;
	nskb->truesize += nskb->data_len;
	return SKB_OK;
}

/* GSO_PARTIAL / frag_list split: the output skbs are still GSO skbs. */
static void mark_partial(struct sk_buff *segs, struct sk_buff *tail,
			 const struct sk_buff *head_skb, uint64_t features,
			 unsigned int partial_segs, unsigned int doffset)
{
	uint32_t type = shinfo(head_skb)->gso_type;
	uint16_t gso_size = shinfo(head_skb)->gso_size;
	struct sk_buff *iter;

	if (features & NETIF_F_GSO_PARTIAL)
		type |= SKB_GSO_PARTIAL;
	type &= ~(uint32_t)SKB_GSO_DODGY;
	for (iter = segs; iter; iter = iter->next) {
		struct skb_gso_cb cb = gso_cb(iter);

		shinfo(iter)->gso_size = gso_size;
		shinfo(iter)->gso_segs = (uint16_t)partial_segs;
		shinfo(iter)->gso_type = type;
		cb.offset = (int32_t)(data_off(iter) + doffset);
		set_gso_cb(iter, &cb);
	}
	if (tail->len - doffset <= gso_size)
		shinfo(tail)->gso_size = 0;
	else if (tail != segs)
		shinfo(tail)->gso_segs = (uint16_t)((tail->len - doffset + gso_size - 1) / gso_size);
}

/* What skb_segment needs to start; SKB_OK or the code for the caller. */
static int segment_check(struct sk_buff *head_skb, unsigned int *doffset,
			 unsigned int *tnl_hlen)
{
	int64_t mac_offset, tnl;

	if (!skb_live(head_skb))
		return SKB_EFREED;
	if (!skb_paged_consistent(head_skb))
		return SKB_EBUG_INCONSISTENT;
	if (!shinfo(head_skb)->gso_size)
		return SKB_EINVAL;
	if (!mac_header_was_set(head_skb) || head_skb->mac_header > data_off(head_skb))
		return SKB_EINVAL;
	*doffset = data_off(head_skb) - head_skb->mac_header;
	/* tunnel headers in front of the mac header are copied too; they must
	 * lie in the headroom */
	mac_offset = gso_cb(head_skb).offset;
	tnl = (int64_t)head_skb->mac_header - mac_offset;
	if (tnl < 0 || tnl > head_skb->mac_header)
		return SKB_EINVAL;
	*tnl_hlen = (unsigned int)tnl;
	return SKB_OK;
}

/**
 * skb_segment - cut a GSO skb into segments
 * @head_skb: data at the payload, mac header set, gso_size the MSS (or
 *            GSO_BY_FRAGS to cut at frag_list member boundaries)
 * @features: the device's NETIF_F_* features (SG shares pages instead of
 *            copying; a missing checksum feature leaves the payload sum in
 *            SKB_GSO_CB for the L4 handler)
 * @err: receives the error code on failure
 *
 * Returns the segments linked by next, with the first's prev pointing at
 * the last.  As in the kernel the input is left pushed: data at the mac
 * header, len grown by the header length.  On failure no segment survives.
 */
struct sk_buff *skb_segment(struct sk_buff *head_skb, uint64_t features, int *err)
{
	struct sk_buff *segs = NULL, *tail = NULL, *nskb;
	struct skb_shared_info *hsh;
	unsigned int mss, doffset = 0, tnl_hlen = 0, headroom, partial_segs = 0;
	struct seg_cursor cur;
	int64_t offset, len, hsize;
	uint16_t proto;
	bool sg, csum;
	int ret;

	ret = segment_check(head_skb, &doffset, &tnl_hlen);
	if (ret)
		goto fail;
	hsh = shinfo(head_skb);
	mss = hsh->gso_size;
	features = dodgy_features(head_skb, features);
	head_skb->data -= doffset;
	head_skb->len += doffset;
	proto = skb_network_protocol(head_skb, NULL);
	if (!proto) {
		ret = SKB_EINVAL;
		goto fail;
	}
	sg = features & NETIF_F_SG;
	csum = can_checksum_protocol(features, proto);
	if (sg && csum && mss != GSO_BY_FRAGS) {
		partial_segs = partial_segments(head_skb, features, mss, doffset);
		if (partial_segs)
			mss *= partial_segs;
	}

	headroom = data_off(head_skb);
	cur.list_skb = hsh->frag_list;
	cur.pos = headlen(head_skb);
	cur.i = 0;
	cur.nfrags = hsh->nr_frags;
	cur.frag = hsh->frags;
	offset = doffset;
	do {
		if (mss == GSO_BY_FRAGS) {
			if (!cur.list_skb) {
				ret = SKB_EBUG_SEGMENT;
				goto err;
			}
			len = cur.list_skb->len;
		} else {
			len = (int64_t)head_skb->len - offset;
			if (len > mss)
				len = mss;
		}
		hsize = (int64_t)headlen(head_skb) - offset;

		if (hsize <= 0 && cur.i >= cur.nfrags && cur.list_skb &&
		    headlen(cur.list_skb) && (headlen(cur.list_skb) == len || sg)) {
			struct sk_buff *list_skb = cur.list_skb;

			if (headlen(list_skb) > len) {
				ret = SKB_EBUG_SEGMENT;
				goto err;
			}
			/* skip the member's frags that this segment covers whole */
			cur.i = 0;
			cur.nfrags = shinfo(list_skb)->nr_frags;
			cur.frag = shinfo(list_skb)->frags;
			cur.pos += headlen(list_skb);
			while (cur.pos < offset + len) {
				if (cur.i >= cur.nfrags) {
					ret = SKB_EBUG_SEGMENT;
					goto err;
				}
				if (cur.pos + cur.frag->len > offset + len)
					break;
				cur.pos += cur.frag->len;
				cur.i++;
				cur.frag++;
			}
			cur.list_skb = list_skb->next;
			nskb = segment_from_member(list_skb, (unsigned int)len, doffset, headroom,
						   &ret);
			if (!nskb)
				goto err;
		} else {
			if (hsize < 0)
				hsize = 0;
			if (hsize > len || !sg)
				hsize = len;
			nskb = alloc_skb_flags((unsigned int)(hsize + doffset + headroom), 0, &ret);
			if (!nskb)
				goto err;
			nskb->data += headroom;
			nskb->tail = headroom + doffset;
			nskb->len = doffset;
		}
		if (segs)
			tail->next = nskb;
		else
			segs = nskb;
		tail = nskb;
		nskb->on_list = 1;

		copy_skb_header_fields(nskb, head_skb);
		skb_headers_offset_update(nskb, (int)data_off(nskb) - (int)headroom);
		skb_reset_mac_len(nskb);
		memcpy(nskb->data - tnl_hlen, head_skb->data - tnl_hlen, doffset + tnl_hlen);

		if (nskb->len == len + doffset)
			goto perform_csum_check;

		if (!sg) {
			ret = skb_copy_bits_nocheck(head_skb, (int)offset, nskb->head + nskb->tail,
						    (unsigned int)len);
			if (ret)
				goto err;
			nskb->tail += (uint32_t)len;
			nskb->len += (uint32_t)len;
			/* skb_copy_and_csum_bits: summed over the input's pieces */
			if (!csum)
				segment_software_csum(nskb, doffset,
						      skb_checksum(head_skb, (int)offset,
								   (unsigned int)len, 0));
			continue;
		}

		memcpy(nskb->head + nskb->tail, head_skb->data + offset, (size_t)hsize);
		nskb->tail += (uint32_t)hsize;
		nskb->len += (uint32_t)hsize;
		ret = segment_add_frags(nskb, &cur, offset, len, hsize);
		if (ret)
			goto err;
perform_csum_check:
		if (!csum)
			segment_software_csum(nskb, doffset,
					      skb_checksum(nskb, (int)doffset, nskb->len - doffset, 0));
	} while ((offset += len) < head_skb->len);

	segs->prev = tail;
	if (partial_segs)
		mark_partial(segs, tail, head_skb, features, partial_segs, doffset);
	return segs;

err:
	kfree_skb_list(segs);
fail:
	*err = ret;
	return NULL;
}
