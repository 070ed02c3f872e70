/*
 * check.c - the invariant checker.  It never aborts: it returns the first
 * broken invariant as a sentence, which the Python layer turns into an
 * exception message (as rte_mbuf_check does for DPDK).
 */
#include <stdarg.h>
#include <stdio.h>

#include "skb_internal.h"

#define CHECK_MAX_DEPTH 8

static int broken(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return SKB_EINVAL;
}

static int check_geometry(const struct sk_buff *skb, char *buf, size_t size)
{
	const struct skb_head_block *blk = skb_head_block(skb->head);
	uint32_t doff;

	if (skb->data < skb->head)
		return broken(buf, size, "data is %td bytes before head",
			      skb->head - skb->data);
	doff = data_off(skb);
	if (doff > skb->tail)
		return broken(buf, size, "data (head+%u) is beyond tail (head+%u)",
			      doff, skb->tail);
	if (skb->tail > skb->end)
		return broken(buf, size, "tail (head+%u) is beyond end (head+%u)",
			      skb->tail, skb->end);
	if ((uint64_t)skb->end + SKB_SHINFO_SIZE != blk->size)
		return broken(buf, size,
			      "the shared info at end %u does not close the %u-byte head buffer",
			      skb->end, blk->size);
	if (skb->len < skb->data_len)
		return broken(buf, size, "len %u is smaller than data_len %u",
			      skb->len, skb->data_len);
	if (skb->tail - doff != skb->len - skb->data_len)
		return broken(buf, size,
			      "tail - data = %u but len - data_len = %u - %u = %u",
			      skb->tail - doff, skb->len, skb->data_len,
			      skb->len - skb->data_len);
	if (skb->truesize < SKB_TRUESIZE((uint64_t)skb->end))
		return broken(buf, size, "truesize %u is below the minimum %u for end %u",
			      skb->truesize, (unsigned)SKB_TRUESIZE(skb->end), skb->end);
	return SKB_OK;
}

static const char *const hdr_names[] = {
	"mac_header", "network_header", "transport_header",
	"inner_mac_header", "inner_network_header", "inner_transport_header",
};

static int check_headers(const struct sk_buff *skb, char *buf, size_t size)
{
	const uint16_t off[] = {
		skb->mac_header, skb->network_header, skb->transport_header,
		skb->inner_mac_header, skb->inner_network_header,
		skb->inner_transport_header,
	};
	int i;

	/* reset_inner_headers copies an unset outer marker into the inner trio */
	for (i = 0; i < 6; i++) {
		if (off[i] == SKB_HEADER_UNSET)
			continue;
		if (off[i] > skb->end)
			return broken(buf, size, "%s %u is beyond end %u",
				      hdr_names[i], off[i], skb->end);
	}
	/* order only what was set on purpose, in both the outer and inner trio */
	for (i = 0; i < 6; i++) {
		if (i % 3 == 2)
			continue;
		if ((skb->hdr_set & (1u << i)) && (skb->hdr_set & (1u << (i + 1))) &&
		    off[i] > off[i + 1])
			return broken(buf, size, "%s %u is after %s %u", hdr_names[i],
				      off[i], hdr_names[i + 1], off[i + 1]);
	}
	return SKB_OK;
}

static int check_sharing(const struct sk_buff *skb, char *buf, size_t size)
{
	const struct skb_head_block *blk = skb_head_block(skb->head);
	uint32_t dataref = shinfo(skb)->dataref;
	uint32_t all = dataref & SKB_DATAREF_MASK;
	uint32_t payload = dataref >> SKB_DATAREF_SHIFT;
	const struct sk_buff_fclones *fc;
	uint32_t live;

	if (skb->users < 1)
		return broken(buf, size, "users is 0 on a live skb");
	if (all != blk->nskbs)
		return broken(buf, size, "dataref counts %u references but %u skbs use the head",
			      all, blk->nskbs);
	if (payload != blk->nnohdr)
		return broken(buf, size,
			      "dataref counts %u payload-only references but %u skbs have nohdr",
			      payload, blk->nnohdr);
	if (all > 1 && !skb->cloned)
		return broken(buf, size, "%u skbs share the head but cloned is not set", all);
	switch (skb->fclone) {
	case SKB_FCLONE_UNAVAILABLE:
		return SKB_OK;
	case SKB_FCLONE_ORIG:
		fc = (const void *)((const char *)skb - offsetof(struct sk_buff_fclones, skb1));
		break;
	case SKB_FCLONE_CLONE:
		fc = (const void *)((const char *)skb - offsetof(struct sk_buff_fclones, skb2));
		break;
	default:
		return broken(buf, size, "fclone state %u is not a state", skb->fclone);
	}
	live = (fc->skb1.state == SKB_STATE_LIVE) + (fc->skb2.state == SKB_STATE_LIVE);
	if (fc->fclone_ref != live)
		return broken(buf, size, "fclone_ref is %u but %u skbs of the pair are live",
			      fc->fclone_ref, live);
	return SKB_OK;
}

static int check_one(const struct sk_buff *skb, char *buf, size_t size, int depth);

static int check_paged(const struct sk_buff *skb, char *buf, size_t size, int depth)
{
	const struct skb_shared_info *sh = shinfo(skb);
	uint64_t frag_bytes = 0, list_bytes = 0;
	const struct sk_buff *list;
	int i, ret;

	if (sh->nr_frags > MAX_SKB_FRAGS)
		return broken(buf, size, "nr_frags %u exceeds MAX_SKB_FRAGS %u",
			      sh->nr_frags, MAX_SKB_FRAGS);
	for (i = 0; i < sh->nr_frags; i++) {
		const skb_frag_t *f = &sh->frags[i];

		if (!page_live(f->page))
			return broken(buf, size, "frag %d names a freed page", i);
		if ((uint64_t)f->offset + f->len > page_bytes(f->page))
			return broken(buf, size, "frag %d (offset %u, size %u) overruns its %u-byte page",
				      i, f->offset, f->len, page_bytes(f->page));
		frag_bytes += f->len;
	}
	for (list = sh->frag_list; list; list = list->next) {
		if (depth >= CHECK_MAX_DEPTH)
			return broken(buf, size, "frag_list nesting deeper than %d",
				      CHECK_MAX_DEPTH);
		ret = check_one(list, buf, size, depth + 1);
		if (ret) {
			char inner[200];

			snprintf(inner, sizeof(inner), "%s", buf);
			return broken(buf, size, "frag_list member: %s", inner);
		}
		list_bytes += list->len;
	}
	if (skb->data_len != frag_bytes + list_bytes)
		return broken(buf, size,
			      "data_len %u != frag bytes %llu + frag_list bytes %llu",
			      skb->data_len, (unsigned long long)frag_bytes,
			      (unsigned long long)list_bytes);
	return SKB_OK;
}

static int check_one(const struct sk_buff *skb, char *buf, size_t size, int depth)
{
	int ret;

	if (!skb)
		return broken(buf, size, "NULL skb");
	if (skb->state != SKB_STATE_LIVE)
		return broken(buf, size, "the skb was freed");
	ret = check_geometry(skb, buf, size);
	if (!ret)
		ret = check_headers(skb, buf, size);
	if (!ret)
		ret = check_sharing(skb, buf, size);
	if (!ret)
		ret = check_paged(skb, buf, size, depth);
	return ret;
}

/**
 * skb_check - verify every invariant of an skb
 * @skb: the skb
 * @buf: receives the first broken invariant, as a sentence
 * @size: size of @buf
 *
 * Returns 0 when all hold, SKB_EINVAL otherwise.
 */
int skb_check(const struct sk_buff *skb, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return check_one(skb, buf, size, 0);
}

/**
 * skb_check_pages - every live page's refcount is its frag references
 * (one per frag descriptor in a live head) plus Python's references
 * @buf: receives the first page that disagrees, as a sentence
 * @size: size of @buf
 */
int skb_check_pages(char *buf, size_t size)
{
	const struct skb_head_block *blk;
	struct page *page;
	int i;

	if (size)
		buf[0] = '\0';
	for (page = skb_live_pages; page; page = page->live_next)
		page->check_refs = 0;
	for (blk = skb_live_heads; blk; blk = blk->live_next) {
		const struct skb_shared_info *sh =
			(const void *)((const unsigned char *)(blk + 1) + SKB_WITH_OVERHEAD(blk->size));

		if (!blk->nskbs)
			continue;
		for (i = 0; i < sh->nr_frags && i < MAX_SKB_FRAGS; i++) {
			if (!page_live(sh->frags[i].page))
				return broken(buf, size, "a live head has frag %d on a freed page", i);
			sh->frags[i].page->check_refs++;
		}
	}
	for (page = skb_live_pages; page; page = page->live_next) {
		if (page->refcount != page->check_refs + page->py_refs)
			return broken(buf, size,
				      "page refcount %u != %u frag references + %u held by Python",
				      page->refcount, page->check_refs, page->py_refs);
	}
	return SKB_OK;
}
