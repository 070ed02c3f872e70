/*
 * offload.c - checksum offload bookkeeping: finishing a CHECKSUM_PARTIAL
 * checksum in software (skb_checksum_help), local checksum offload for an
 * outer header in front of an offloaded inner one (lco_csum), making header
 * bytes writable (skb_ensure_writable), and a tunnel's view of offloads
 * (iptunnel_handle_offloads).
 */
#include "proto.h"
#include "skb_internal.h"

/**
 * skb_ensure_writable - make the first @write_len bytes linear and private
 * @skb: the skb
 * @write_len: bytes from data that will be written
 */
int skb_ensure_writable(struct sk_buff *skb, unsigned int write_len)
{
	int ret = pskb_may_pull(skb, write_len);

	if (ret < 0)
		return ret;
	if (!ret)
		return SKB_ENOMEM;
	if (!cloned_nocheck(skb) ||
	    (!header_cloned_nocheck(skb) && (uint64_t)data_off(skb) + write_len <= skb->hdr_len))
		return SKB_OK;
	return pskb_expand_head(skb, 0, 0);
}

/**
 * skb_checksum_help - finish a CHECKSUM_PARTIAL checksum in software
 * @skb: the skb; the checksum from csum_start to the end goes at
 *       csum_start + csum_offset (0 is written as 0xffff)
 *
 * Does nothing but reset ip_summed for other states.  Returns 0,
 * SKB_EINVAL for a GSO skb (which needs segmenting first),
 * SKB_EBUG_CSUM_OFFSET when the offsets are outside the linear data (the
 * kernel warns), or an allocation failure.
 */
int skb_checksum_help(struct sk_buff *skb)
{
	int64_t offset, csum;
	uint16_t sum;
	int ret;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		if (skb->ip_summed == CHECKSUM_COMPLETE)
			skb->ip_summed = CHECKSUM_NONE;
		return SKB_OK;
	}
	if (shinfo(skb)->gso_size)
		return SKB_EINVAL;
	offset = (int64_t)skb->csum_start - data_off(skb);
	if (offset < 0 || offset >= headlen(skb) ||
	    offset + skb->csum_offset + 2 > headlen(skb))
		return SKB_EBUG_CSUM_OFFSET;
	csum = skb_checksum(skb, (int)offset, (unsigned int)(skb->len - offset), 0);
	if (csum < 0)
		return (int)csum;
	offset += skb->csum_offset;
	ret = skb_ensure_writable(skb, (unsigned int)(offset + 2));
	if (ret)
		return ret;
	sum = csum_fold((uint32_t)csum);
	store16(skb->data + offset, sum ? sum : CSUM_MANGLED_0);
	skb->ip_summed = CHECKSUM_NONE;
	return SKB_OK;
}

/**
 * lco_csum - the partial sum an outer checksum needs when the inner one is
 * left to the device: the outer L4 header from the transport header up to
 * csum_start, plus the complement of the inner checksum's seed
 * @skb: a CHECKSUM_PARTIAL skb with the outer transport header set
 *
 * Returns the 32-bit partial sum, or a negative code when csum_start is not
 * in the linear data after the transport header.
 */
int64_t lco_csum(const struct sk_buff *skb)
{
	int64_t l4, start;

	if (!skb_live(skb))
		return SKB_EFREED;
	l4 = skb->transport_header;
	start = skb->csum_start;
	if (skb->ip_summed != CHECKSUM_PARTIAL || l4 > start ||
	    start + skb->csum_offset + 2 > skb->tail)
		return SKB_EBUG_CSUM_OFFSET;
	return csum_partial(skb->head + l4, (unsigned int)(start - l4),
			    ~(uint32_t)load16(skb->head + start + skb->csum_offset));
}

/**
 * iptunnel_handle_offloads - prepare an skb for a tunnel header
 * @skb: the inner packet
 * @gso_type: SKB_GSO_* bits the tunnel adds to a GSO skb
 *
 * The inner header offsets are recorded (encapsulation set) the first
 * time; a GSO skb gets a private header and the tunnel's GSO bits; a
 * packet whose checksum is not left to the device is marked CHECKSUM_NONE
 * and, as the kernel does, not encapsulated for offload purposes.
 */
int iptunnel_handle_offloads(struct sk_buff *skb, uint32_t gso_type)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!skb->encapsulation) {
		skb_reset_inner_headers(skb);
		skb->encapsulation = 1;
	}
	if (shinfo(skb)->gso_size) {
		int ret = header_cloned_nocheck(skb) ? pskb_expand_head(skb, 0, 0) : SKB_OK;

		if (ret)
			return ret;
		shinfo(skb)->gso_type |= gso_type;
		return SKB_OK;
	}
	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		skb->ip_summed = CHECKSUM_NONE;
		skb->encapsulation = 0;
	}
	return SKB_OK;
}
