/*
 * skb_internal.h - helpers shared by the engine's C files, not exported to
 * Python: the kernel's size macros, one-line geometry inlines, the hidden
 * prefix in front of every head buffer, and the allocator hooks.
 */
#ifndef SKB_INTERNAL_H
#define SKB_INTERNAL_H

#include <stdbool.h>
#include <string.h>

#include "skbuff.h"

#define SKB_ALIGN(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define SKB_DATA_ALIGN(x) SKB_ALIGN((uint64_t)(x), SMP_CACHE_BYTES)
#define SKB_WITH_OVERHEAD(x) ((x) - SKB_SHINFO_SIZE)
#define SKB_HEAD_ALIGN(x) (SKB_DATA_ALIGN(x) + SKB_SHINFO_SIZE)
#define SKB_TRUESIZE(x) ((x) + SKB_STRUCT_SIZE + SKB_SHINFO_SIZE)

#define SKB_ALLOC_FCLONE 1

/* Bits of sk_buff.hdr_set: which offsets were set by reset/set calls. */
#define SKB_HDR_MAC 1
#define SKB_HDR_NETWORK 2
#define SKB_HDR_TRANSPORT 4
#define SKB_HDR_INNER_MAC 8
#define SKB_HDR_INNER_NETWORK 16
#define SKB_HDR_INNER_TRANSPORT 32

struct sk_buff_fclones {
	struct sk_buff skb1;
	struct sk_buff skb2;
	uint32_t fclone_ref;
};

/*
 * Every head buffer is preceded by this block, one cache line long so head
 * keeps the kernel's alignment.  The kernel has no such thing: nskbs and
 * nnohdr let the checker verify dataref against the skbs that really use
 * the head, py_pins and dead let Python views outlive the kernel's free.
 */
struct skb_head_block {
	struct skb_head_block *live_next;
	struct skb_head_block *live_prev;
	uint32_t size;
	uint32_t py_pins;
	uint32_t nskbs;
	uint32_t nnohdr;
	uint8_t dead;
	uint8_t pad[SMP_CACHE_BYTES - 2 * sizeof(void *) - 17];
};

_Static_assert(sizeof(struct skb_head_block) == SMP_CACHE_BYTES,
	       "the head prefix must keep head cache-line aligned");
_Static_assert(sizeof(struct skb_shared_info) <= SKB_SHINFO_SIZE,
	       "our shared info must fit where the kernel's goes");
_Static_assert(sizeof(struct page) <= SMP_CACHE_BYTES,
	       "struct page must fit in the line in front of its memory");

static inline unsigned int page_bytes(const struct page *page)
{
	return (unsigned int)PAGE_SIZE << page->order;
}

static inline bool page_live(const struct page *page)
{
	return page && page->state == SKB_STATE_LIVE;
}

static inline struct page *page_of_addr(const unsigned char *addr)
{
	return (struct page *)(void *)(addr - SMP_CACHE_BYTES);
}

static inline struct skb_head_block *skb_head_block(const unsigned char *head)
{
	return (struct skb_head_block *)(void *)(head - sizeof(struct skb_head_block));
}

static inline bool skb_live(const struct sk_buff *skb)
{
	return skb && skb->state == SKB_STATE_LIVE;
}

static inline struct skb_shared_info *shinfo(const struct sk_buff *skb)
{
	return (struct skb_shared_info *)(void *)(skb->head + skb->end);
}

static inline uint32_t data_off(const struct sk_buff *skb)
{
	return (uint32_t)(skb->data - skb->head);
}

static inline uint32_t headlen(const struct sk_buff *skb)
{
	return skb->len - skb->data_len;
}

static inline bool skb_is_nonlinear(const struct sk_buff *skb)
{
	return skb->data_len != 0;
}

static inline bool skb_has_frag_list(const struct sk_buff *skb)
{
	return shinfo(skb)->frag_list != NULL;
}

static inline bool mac_header_was_set(const struct sk_buff *skb)
{
	return skb->mac_header != SKB_HEADER_UNSET;
}

static inline bool transport_header_was_set(const struct sk_buff *skb)
{
	return skb->transport_header != SKB_HEADER_UNSET;
}

static inline bool inner_mac_header_was_set(const struct sk_buff *skb)
{
	return skb->inner_mac_header != SKB_HEADER_UNSET;
}

static inline bool cloned_nocheck(const struct sk_buff *skb)
{
	return skb->cloned && (shinfo(skb)->dataref & SKB_DATAREF_MASK) != 1;
}

static inline bool header_cloned_nocheck(const struct sk_buff *skb)
{
	uint32_t dataref;

	if (!skb->cloned)
		return false;
	dataref = shinfo(skb)->dataref;
	return (dataref & SKB_DATAREF_MASK) - (dataref >> SKB_DATAREF_SHIFT) != 1;
}

/*
 * May the bytes [start, end) of the head (offsets from head) be written by
 * this skb?  Everything is private unless the head is cloned; a clone of a
 * header-released skb owns the area up to hdr_len while nobody else does.
 */
static inline bool region_writable(const struct sk_buff *skb, uint64_t start,
				   uint64_t end)
{
	(void)start;
	if (!cloned_nocheck(skb))
		return true;
	return !header_cloned_nocheck(skb) && end <= skb->hdr_len;
}

/*
 * SKB_GSO_CB: the GSO layer's scratch state, kept in cb[] at the kernel's
 * offset so a Python view of cb shows what the kernel's would.
 */
#define SKB_GSO_CB_OFFSET 32

struct skb_gso_cb {
	int32_t offset;		/* the kernel's mac_offset, data_offset once segmented */
	int32_t encap_level;
	uint32_t csum;
	uint16_t csum_start;
};

_Static_assert(SKB_GSO_CB_OFFSET + sizeof(struct skb_gso_cb) <= 48,
	       "SKB_GSO_CB must fit in cb");

static inline struct skb_gso_cb gso_cb(const struct sk_buff *skb)
{
	struct skb_gso_cb cb;

	memcpy(&cb, skb->cb + SKB_GSO_CB_OFFSET, sizeof(cb));
	return cb;
}

static inline void set_gso_cb(struct sk_buff *skb, const struct skb_gso_cb *cb)
{
	memcpy(skb->cb + SKB_GSO_CB_OFFSET, cb, sizeof(*cb));
}

/* alloc.c: raw memory with fault injection, the counters, head buffers,
 * and the lists of live heads and pages the page checker walks. */
extern struct skb_counters skb_counters;
extern struct skb_head_block *skb_live_heads;
extern struct page *skb_live_pages;

void *skb_malloc(size_t size);
void *skb_zalloc(size_t size);
void skb_mfree(void *p);
unsigned char *skb_head_alloc(unsigned int *size);
void skb_head_release(unsigned char *head);

/* page.c */
void page_memory_release(struct page *page);

/* skbuff.c internals used across files. */
struct sk_buff *alloc_skb_flags(unsigned int size, int flags, int *err);
void kfree_skb_list(struct sk_buff *segs);
void kfree_skb_list_reason(struct sk_buff *segs, unsigned int reason);
void kfree_skb_nocheck(struct sk_buff *skb, unsigned int reason);
void skb_free_struct_memory(struct sk_buff *skb);
void skb_headers_offset_update(struct sk_buff *skb, int off);
void copy_skb_header_fields(struct sk_buff *new, const struct sk_buff *old);
void skb_copy_header(struct sk_buff *new, const struct sk_buff *old);
void skb_release_data(struct sk_buff *skb, unsigned int reason);
int pskb_trim_nonlinear(struct sk_buff *skb, unsigned int len);
void skb_morph(struct sk_buff *dst, struct sk_buff *src);

/* segment.c and gso.c internals */
struct sk_buff *skb_segment(struct sk_buff *head_skb, uint64_t features, int *err);
uint16_t skb_network_protocol(struct sk_buff *skb, int *depth);
bool skb_gso_ok(const struct sk_buff *skb, uint64_t features);

/* nonlinear.c internals */
bool skb_paged_consistent(const struct sk_buff *skb);
int skb_copy_bits_nocheck(const struct sk_buff *skb, int offset, void *to,
			  unsigned int len);
int pskb_pull_tail_nocheck(struct sk_buff *skb, unsigned int delta);
int frag_list_height(const struct sk_buff *skb, int cap);

#endif /* SKB_INTERNAL_H */
