/*
 * skbuff.c - sk_buff allocation, the free path, linear operations, header
 * offsets, clones and the copy family, following net/core/skbuff.c and
 * include/linux/skbuff.h.  Every exported function checks its preconditions
 * and returns an error code, leaving the skb unchanged, where the kernel
 * would BUG() or panic.
 */
#include "skb_internal.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* ---------------------------------------------------------------------
 * Allocation
 */

/* Fill a zeroed struct around a fresh head of @size allocated bytes. */
static void skb_finalize_around(struct sk_buff *skb, unsigned char *data,
				unsigned int size)
{
	struct skb_shared_info *sh;

	size = SKB_WITH_OVERHEAD(size);
	skb->truesize = SKB_TRUESIZE(size);
	skb->users = 1;
	skb->head = data;
	skb->data = data;
	skb->tail = 0;
	skb->end = size;
	skb->mac_header = SKB_HEADER_UNSET;
	skb->transport_header = SKB_HEADER_UNSET;
	skb->state = SKB_STATE_LIVE;
	sh = shinfo(skb);
	memset(sh, 0, sizeof(*sh));
	sh->dataref = 1;
	skb_head_block(data)->nskbs = 1;
	skb_counters.live_skbs++;
}

/**
 * alloc_skb_flags - allocate an skb with a head of at least @size bytes
 * @size: bytes wanted between head and end (rounded up by the allocator)
 * @flags: SKB_ALLOC_FCLONE for the fclone pair
 * @err: receives SKB_ENOMEM on failure
 *
 * The result has no headroom and tailroom == end >= size; the head is
 * zero-filled (the kernel leaves it uninitialised).  Returns NULL on failure.
 */
struct sk_buff *alloc_skb_flags(unsigned int size, int flags, int *err)
{
	struct sk_buff_fclones *fclones = NULL;
	struct sk_buff *skb;
	unsigned char *data;

	if (flags & SKB_ALLOC_FCLONE) {
		fclones = skb_zalloc(sizeof(*fclones));
		skb = fclones ? &fclones->skb1 : NULL;
	} else {
		skb = skb_zalloc(sizeof(*skb));
	}
	if (!skb)
		goto nomem;
	data = skb_head_alloc(&size);
	if (!data) {
		skb_mfree(fclones ? (void *)fclones : (void *)skb);
		goto nomem;
	}
	memset(data, 0, SKB_WITH_OVERHEAD(size));
	skb_finalize_around(skb, data, size);
	if (fclones) {
		skb->fclone = SKB_FCLONE_ORIG;
		fclones->fclone_ref = 1;
	}
	return skb;
nomem:
	*err = SKB_ENOMEM;
	return NULL;
}

/**
 * alloc_skb - allocate a network buffer
 * @size: minimum tailroom wanted
 * @err: receives SKB_ENOMEM on failure
 */
struct sk_buff *alloc_skb(unsigned int size, int *err)
{
	return alloc_skb_flags(size, 0, err);
}

/**
 * alloc_skb_fclone - allocate a buffer whose first clone is free
 * @size: minimum tailroom wanted
 * @err: receives SKB_ENOMEM on failure
 *
 * The companion struct behind the skb is used by its first skb_clone().
 */
struct sk_buff *alloc_skb_fclone(unsigned int size, int *err)
{
	return alloc_skb_flags(size, SKB_ALLOC_FCLONE, err);
}

/* ---------------------------------------------------------------------
 * The free path
 */

/* Drop this skb's share of its head; true when the data must be freed. */
static bool skb_data_unref(struct sk_buff *skb, struct skb_shared_info *sh)
{
	uint32_t bias;

	if (!skb->cloned)
		return true;
	bias = skb->nohdr ? (1u << SKB_DATAREF_SHIFT) + 1 : 1;
	if (sh->dataref == bias)
		return true;
	sh->dataref -= bias;
	return sh->dataref == 0;
}

/* The skb stops using its head (checker bookkeeping only). */
static void skb_head_detach(struct sk_buff *skb)
{
	struct skb_head_block *blk = skb_head_block(skb->head);

	blk->nskbs--;
	if (skb->nohdr)
		blk->nnohdr--;
}

/*
 * Drop the skb's reference to its data: the last one releases the frags'
 * pages, the frag_list members (freed for @reason, as the kernel passes
 * the reason of the free down) and the head.
 */
void skb_release_data(struct sk_buff *skb, unsigned int reason)
{
	struct skb_shared_info *sh = shinfo(skb);
	int i;

	skb_head_detach(skb);
	if (!skb_data_unref(skb, sh))
		return;
	for (i = 0; i < sh->nr_frags; i++)
		put_page(sh->frags[i].page);
	if (sh->frag_list)
		kfree_skb_list_reason(sh->frag_list, reason);
	skb_head_release(skb->head);
}

/*
 * Release the memory of a struct the kernel has finished with.  A struct
 * pinned by a Python wrapper is kept (a zombie) until the wrapper lets go.
 */
void skb_free_struct_memory(struct sk_buff *skb)
{
	struct sk_buff_fclones *fclones;

	switch (skb->fclone) {
	case SKB_FCLONE_UNAVAILABLE:
		skb_mfree(skb);
		return;
	case SKB_FCLONE_ORIG:
		fclones = container_of(skb, struct sk_buff_fclones, skb1);
		break;
	default:
		fclones = container_of(skb, struct sk_buff_fclones, skb2);
		break;
	}
	if (!fclones->fclone_ref && !fclones->skb1.py_pins && !fclones->skb2.py_pins)
		skb_mfree(fclones);
}

/* kfree_skbmem: release the struct following the fclone rules. */
static void kfree_skbmem(struct sk_buff *skb)
{
	struct sk_buff_fclones *fclones;

	skb->state = SKB_STATE_FREED;
	skb_counters.live_skbs--;
	if (skb->py_pins)
		skb_counters.zombie_skbs++;
	switch (skb->fclone) {
	case SKB_FCLONE_UNAVAILABLE:
		if (!skb->py_pins)
			skb_free_struct_memory(skb);
		return;
	case SKB_FCLONE_ORIG:
		fclones = container_of(skb, struct sk_buff_fclones, skb1);
		break;
	default:
		fclones = container_of(skb, struct sk_buff_fclones, skb2);
		break;
	}
	fclones->fclone_ref--;
	if (!fclones->fclone_ref)
		skb_free_struct_memory(skb);
}

/**
 * kfree_skb_nocheck - free an skb whose last reference is gone
 * @skb: the skb
 * @reason: why, for the frag_list members this frees too
 */
void kfree_skb_nocheck(struct sk_buff *skb, unsigned int reason)
{
	if (skb->head)
		skb_release_data(skb, reason);
	kfree_skbmem(skb);
}

/* Drop one user reference; true when it was the last. */
static bool skb_unref(struct sk_buff *skb)
{
	if (skb->users == 1)
		return true;
	skb->users--;
	return false;
}

static uint64_t drop_counts[SKB_DROP_REASON_MAX];

/**
 * kfree_skb_reason - drop a reference; the last one frees and is counted
 * @skb: the skb
 * @reason: why (SKB_CONSUMED for a packet that did its job)
 *
 * Returns SKB_OK, SKB_EFREED for a freed skb, or SKB_EBUG_ARGS for a
 * reason outside the enum (or SKB_NOT_DROPPED_YET), where the skb is left
 * alone: the kernel warns and would trace a meaningless reason.
 */
int kfree_skb_reason(struct sk_buff *skb, unsigned int reason)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (reason == SKB_NOT_DROPPED_YET || reason >= SKB_DROP_REASON_MAX)
		return SKB_EBUG_ARGS;
	if (skb_unref(skb)) {
		drop_counts[reason]++;
		kfree_skb_nocheck(skb, reason);
	}
	return SKB_OK;
}

/**
 * kfree_skb - drop a reference, freeing the skb with the last one
 * @skb: the skb
 *
 * Returns SKB_OK, or SKB_EFREED for a freed skb.
 */
int kfree_skb(struct sk_buff *skb)
{
	return kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
}

/**
 * consume_skb - kfree_skb for a packet that was used, not dropped
 * @skb: the skb
 */
int consume_skb(struct sk_buff *skb)
{
	return kfree_skb_reason(skb, SKB_CONSUMED);
}

/**
 * skb_get_drop_counts - the skbs freed so far, per reason
 * @out: n counters, indexed by reason
 * @n: at most SKB_DROP_REASON_MAX are filled
 */
void skb_get_drop_counts(uint64_t *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < SKB_DROP_REASON_MAX; i++)
		out[i] = drop_counts[i];
}

/**
 * kfree_skb_list_reason - drop one reference on every skb of a ->next chain
 * @segs: the first skb, or NULL
 * @reason: why, for those this frees
 */
void kfree_skb_list_reason(struct sk_buff *segs, unsigned int reason)
{
	while (segs) {
		struct sk_buff *next = segs->next;

		kfree_skb_reason(segs, reason);
		segs = next;
	}
}

/* kfree_skb_list: the chain dropped for no particular reason. */
void kfree_skb_list(struct sk_buff *segs)
{
	kfree_skb_list_reason(segs, SKB_DROP_REASON_NOT_SPECIFIED);
}

/* ---------------------------------------------------------------------
 * Geometry.  These return 0 for a freed skb; callers check liveness first.
 */

unsigned int skb_headroom(const struct sk_buff *skb)
{
	return skb_live(skb) ? data_off(skb) : 0;
}

/* Zero for any nonlinear skb, whatever room the head has. */
unsigned int skb_tailroom(const struct sk_buff *skb)
{
	if (!skb_live(skb) || skb_is_nonlinear(skb))
		return 0;
	return skb->end - skb->tail;
}

unsigned int skb_headlen(const struct sk_buff *skb)
{
	return skb_live(skb) ? headlen(skb) : 0;
}

unsigned int skb_end_offset(const struct sk_buff *skb)
{
	return skb_live(skb) ? skb->end : 0;
}

unsigned int skb_data_offset(const struct sk_buff *skb)
{
	return skb_live(skb) ? data_off(skb) : 0;
}

unsigned int skb_dataref(const struct sk_buff *skb)
{
	return skb_live(skb) ? shinfo(skb)->dataref : 0;
}

/* fclone_ref of the pair @skb belongs to, or -1 for a plain skb. */
int skb_fclone_ref(const struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	switch (skb->fclone) {
	case SKB_FCLONE_ORIG:
		return (int)container_of(skb, struct sk_buff_fclones, skb1)->fclone_ref;
	case SKB_FCLONE_CLONE:
		return (int)container_of(skb, struct sk_buff_fclones, skb2)->fclone_ref;
	default:
		return -1;
	}
}

/* The shared info, or NULL for a freed skb. */
struct skb_shared_info *skb_shinfo(const struct sk_buff *skb)
{
	return skb_live(skb) ? shinfo(skb) : NULL;
}

/* ---------------------------------------------------------------------
 * Linear operations
 */

/**
 * skb_reserve - make headroom in an (empty) skb
 * @skb: the skb
 * @len: bytes to move data and tail forward (may be negative)
 *
 * The kernel does not check; a move outside the buffer is refused here
 * with the panic skb_push/skb_put would raise.
 */
int skb_reserve(struct sk_buff *skb, int len)
{
	int64_t data, tail;

	if (!skb_live(skb))
		return SKB_EFREED;
	data = (int64_t)data_off(skb) + len;
	tail = (int64_t)skb->tail + len;
	if (data < 0)
		return SKB_EUNDERPANIC;
	if (tail > skb->end)
		return SKB_EOVERPANIC;
	skb->data += len;
	skb->tail = (uint32_t)tail;
	return SKB_OK;
}

/**
 * skb_put - extend the data at the tail
 * @skb: a linear skb
 * @len: bytes to add
 *
 * Returns the old tail offset; SKB_EBUG_NONLINEAR for a nonlinear skb
 * (SKB_LINEAR_ASSERT), SKB_EOVERPANIC past end (skb_over_panic).
 */
int64_t skb_put(struct sk_buff *skb, unsigned int len)
{
	uint32_t old;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb_is_nonlinear(skb))
		return SKB_EBUG_NONLINEAR;
	if ((uint64_t)skb->tail + len > skb->end)
		return SKB_EOVERPANIC;
	old = skb->tail;
	skb->tail += len;
	skb->len += len;
	return old;
}

/**
 * skb_push - extend the data at the front
 * @skb: the skb
 * @len: bytes to add
 *
 * Returns the new data offset; SKB_EUNDERPANIC past head (skb_under_panic).
 */
int64_t skb_push(struct sk_buff *skb, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (len > data_off(skb))
		return SKB_EUNDERPANIC;
	skb->data -= len;
	skb->len += len;
	return data_off(skb);
}

/**
 * skb_pull - remove data from the front
 * @skb: the skb
 * @len: bytes to remove
 *
 * Returns the new data offset; SKB_ENULL (the kernel's NULL, nothing
 * changed) when @len exceeds len; SKB_EBUG_PULL when the bytes are not all
 * in the linear part (the kernel BUGs; pskb_may_pull must come first).
 */
int64_t skb_pull(struct sk_buff *skb, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (len > skb->len)
		return SKB_ENULL;
	if (skb->len - len < skb->data_len)
		return SKB_EBUG_PULL;
	skb->len -= len;
	skb->data += len;
	return data_off(skb);
}

static void skb_set_length_nocheck(struct sk_buff *skb, unsigned int len)
{
	skb->len = len;
	skb->tail = data_off(skb) + len;
}

/**
 * skb_trim - cut a linear skb down to @len bytes
 * @skb: the skb
 * @len: new length; a longer length changes nothing
 *
 * Returns SKB_WARN and changes nothing for a nonlinear skb (the kernel
 * warns); pskb_trim handles those.
 */
int skb_trim(struct sk_buff *skb, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb->len <= len)
		return SKB_OK;
	if (skb_is_nonlinear(skb))
		return SKB_WARN;
	skb_set_length_nocheck(skb, len);
	return SKB_OK;
}

/**
 * pskb_trim - cut any skb down to @len bytes
 * @skb: the skb
 * @len: new length; a longer length changes nothing
 *
 * Returns 0, or SKB_ENOMEM when a shared head could not be made private.
 */
int pskb_trim(struct sk_buff *skb, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb->len <= len)
		return SKB_OK;
	if (skb_is_nonlinear(skb))
		return pskb_trim_nonlinear(skb, len);
	skb_set_length_nocheck(skb, len);
	return SKB_OK;
}

/* ---------------------------------------------------------------------
 * Header offsets
 */

enum skb_hdr { HDR_MAC, HDR_NETWORK, HDR_TRANSPORT, HDR_INNER_MAC,
	       HDR_INNER_NETWORK, HDR_INNER_TRANSPORT };

static const size_t hdr_field[] = {
	[HDR_MAC] = offsetof(struct sk_buff, mac_header),
	[HDR_NETWORK] = offsetof(struct sk_buff, network_header),
	[HDR_TRANSPORT] = offsetof(struct sk_buff, transport_header),
	[HDR_INNER_MAC] = offsetof(struct sk_buff, inner_mac_header),
	[HDR_INNER_NETWORK] = offsetof(struct sk_buff, inner_network_header),
	[HDR_INNER_TRANSPORT] = offsetof(struct sk_buff, inner_transport_header),
};

/*
 * Set a header to data + @offset.  The kernel only warns when the offset
 * does not fit its u16 field; here anything outside [head, end], or equal to
 * the unset marker, is refused so the offsets stay meaningful.
 */
static int skb_set_header(struct sk_buff *skb, enum skb_hdr which, int offset)
{
	int64_t v;

	if (!skb_live(skb))
		return SKB_EFREED;
	v = (int64_t)data_off(skb) + offset;
	if (v < 0 || v > skb->end || v >= SKB_HEADER_UNSET)
		return SKB_EBUG_HEADER;
	*(uint16_t *)(void *)((char *)skb + hdr_field[which]) = (uint16_t)v;
	skb->hdr_set |= (uint8_t)(1u << which);
	return SKB_OK;
}

int skb_reset_mac_header(struct sk_buff *skb)
{
	return skb_set_header(skb, HDR_MAC, 0);
}

int skb_reset_network_header(struct sk_buff *skb)
{
	return skb_set_header(skb, HDR_NETWORK, 0);
}

int skb_reset_transport_header(struct sk_buff *skb)
{
	return skb_set_header(skb, HDR_TRANSPORT, 0);
}

int skb_reset_inner_mac_header(struct sk_buff *skb)
{
	return skb_set_header(skb, HDR_INNER_MAC, 0);
}

int skb_reset_inner_network_header(struct sk_buff *skb)
{
	return skb_set_header(skb, HDR_INNER_NETWORK, 0);
}

int skb_reset_inner_transport_header(struct sk_buff *skb)
{
	return skb_set_header(skb, HDR_INNER_TRANSPORT, 0);
}

int skb_set_mac_header(struct sk_buff *skb, int offset)
{
	return skb_set_header(skb, HDR_MAC, offset);
}

int skb_set_network_header(struct sk_buff *skb, int offset)
{
	return skb_set_header(skb, HDR_NETWORK, offset);
}

int skb_set_transport_header(struct sk_buff *skb, int offset)
{
	return skb_set_header(skb, HDR_TRANSPORT, offset);
}

int skb_set_inner_mac_header(struct sk_buff *skb, int offset)
{
	return skb_set_header(skb, HDR_INNER_MAC, offset);
}

int skb_set_inner_network_header(struct sk_buff *skb, int offset)
{
	return skb_set_header(skb, HDR_INNER_NETWORK, offset);
}

int skb_set_inner_transport_header(struct sk_buff *skb, int offset)
{
	return skb_set_header(skb, HDR_INNER_TRANSPORT, offset);
}

/* The inner headers take the current outer positions (encapsulation). */
int skb_reset_inner_headers(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	skb->inner_mac_header = skb->mac_header;
	skb->inner_network_header = skb->network_header;
	skb->inner_transport_header = skb->transport_header;
	skb->hdr_set = (uint8_t)((skb->hdr_set & 7) | ((skb->hdr_set & 7) << 3));
	return SKB_OK;
}

/* mac_len = network - mac; 0 when the mac header is unset. */
int skb_reset_mac_len(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!mac_header_was_set(skb))
		skb->mac_len = 0;
	else
		skb->mac_len = (uint16_t)(skb->network_header - skb->mac_header);
	return SKB_OK;
}

/*
 * Move every header offset by @off after the head moved under the data.
 * Faithful to the kernel: the transport header and the inner offsets move
 * even when unset, so an unset transport header wraps to a real offset.
 */
void skb_headers_offset_update(struct sk_buff *skb, int off)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->csum_start = (uint16_t)(skb->csum_start + off);
	skb->transport_header = (uint16_t)(skb->transport_header + off);
	skb->network_header = (uint16_t)(skb->network_header + off);
	if (mac_header_was_set(skb))
		skb->mac_header = (uint16_t)(skb->mac_header + off);
	skb->inner_transport_header = (uint16_t)(skb->inner_transport_header + off);
	skb->inner_network_header = (uint16_t)(skb->inner_network_header + off);
	skb->inner_mac_header = (uint16_t)(skb->inner_mac_header + off);
}

/* ---------------------------------------------------------------------
 * Sharing
 */

/**
 * skb_get - take another reference on the struct
 * @skb: the skb
 */
int skb_get(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (skb->users == UINT32_MAX)
		return SKB_EBUG_USERS;
	skb->users++;
	return SKB_OK;
}

/* The kernel's headers group (pkt_type .. mac_header), cb and the rest. */
void copy_skb_header_fields(struct sk_buff *new, const struct sk_buff *old)
{
	memcpy(&new->pkt_type, &old->pkt_type,
	       offsetof(struct sk_buff, mac_header) + sizeof(old->mac_header) -
	       offsetof(struct sk_buff, pkt_type));
	memcpy(new->cb, old->cb, sizeof(old->cb));
	new->queue_mapping = old->queue_mapping;
	new->hdr_set = old->hdr_set;
}

/**
 * skb_copy_header - copy the metadata and the GSO fields of @old to @new
 * @new: the destination
 * @old: the source
 */
void skb_copy_header(struct sk_buff *new, const struct sk_buff *old)
{
	copy_skb_header_fields(new, old);
	shinfo(new)->gso_size = shinfo(old)->gso_size;
	shinfo(new)->gso_segs = shinfo(old)->gso_segs;
	shinfo(new)->gso_type = shinfo(old)->gso_type;
}

/* __skb_clone: @n takes @skb's data and metadata (dataref + 1, both cloned). */
static void skb_clone_fields(struct sk_buff *n, struct sk_buff *skb)
{
	n->next = NULL;
	n->prev = NULL;
	copy_skb_header_fields(n, skb);
	n->len = skb->len;
	n->data_len = skb->data_len;
	n->mac_len = skb->mac_len;
	n->hdr_len = skb->nohdr ? (uint16_t)data_off(skb) : skb->hdr_len;
	n->cloned = 1;
	n->nohdr = 0;
	n->tail = skb->tail;
	n->end = skb->end;
	n->head = skb->head;
	n->head_frag = skb->head_frag;
	n->data = skb->data;
	n->truesize = skb->truesize;
	n->users = 1;
	shinfo(skb)->dataref++;
	skb_head_block(skb->head)->nskbs++;
	skb->cloned = 1;
}

static void skb_clone_into(struct sk_buff *n, struct sk_buff *skb)
{
	skb_clone_fields(n, skb);
	n->state = SKB_STATE_LIVE;
	skb_counters.live_skbs++;
}

/**
 * skb_morph - make @dst a clone of @src, keeping the struct
 * @dst: an skb whose data and state are released first
 * @src: the skb to clone; its dataref must have room for one more
 *
 * Reassembly uses it so the caller's skb survives as the datagram's head.
 * Python's cached mapping of @dst's head is invalidated.
 */
void skb_morph(struct sk_buff *dst, struct sk_buff *src)
{
	if (dst->head)
		skb_release_data(dst, SKB_CONSUMED);
	skb_clone_fields(dst, src);
	dst->py_head = NULL;
}

/**
 * skb_clone - a second sk_buff on the same data
 * @skb: the skb to clone
 * @err: receives the error code on failure
 *
 * An fclone original whose companion is free hands out the companion;
 * otherwise a new struct is allocated.  Both skbs end up marked cloned.
 * A companion whose memory Python still pins is not reused (the only
 * difference from the kernel: Python holds a dangling handle to it).
 */
struct sk_buff *skb_clone(struct sk_buff *skb, int *err)
{
	struct sk_buff_fclones *fclones;
	struct sk_buff *n;

	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	if ((shinfo(skb)->dataref & SKB_DATAREF_MASK) == SKB_DATAREF_MASK) {
		*err = SKB_EBUG_DATAREF;
		return NULL;
	}
	fclones = skb->fclone == SKB_FCLONE_ORIG ?
		  container_of(skb, struct sk_buff_fclones, skb1) : NULL;
	if (fclones && fclones->fclone_ref == 1 && !fclones->skb2.py_pins) {
		n = &fclones->skb2;
		memset(n, 0, sizeof(*n));
		fclones->fclone_ref = 2;
		n->fclone = SKB_FCLONE_CLONE;
	} else {
		n = skb_zalloc(sizeof(*n));
		if (!n) {
			*err = SKB_ENOMEM;
			return NULL;
		}
		n->fclone = SKB_FCLONE_UNAVAILABLE;
	}
	skb_clone_into(n, skb);
	return n;
}

/* Someone else also uses the data: cloned and more than one reference. */
int skb_cloned(const struct sk_buff *skb)
{
	return skb_live(skb) ? cloned_nocheck(skb) : SKB_EFREED;
}

/* Someone else may read or write the header area. */
int skb_header_cloned(const struct sk_buff *skb)
{
	return skb_live(skb) ? header_cloned_nocheck(skb) : SKB_EFREED;
}

/* More than one reference on the struct itself. */
int skb_shared(const struct sk_buff *skb)
{
	return skb_live(skb) ? skb->users != 1 : SKB_EFREED;
}

/**
 * skb_header_release - promise never to touch the header area again
 * @skb: an skb whose data nobody else uses yet
 *
 * Sets nohdr and dataref to one reference plus one payload-only reference,
 * as __skb_header_release does.  The kernel assumes dataref was 1; with
 * other references alive this would corrupt the count, so it is refused.
 */
int skb_header_release(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if ((shinfo(skb)->dataref & SKB_DATAREF_MASK) != 1)
		return SKB_EBUG_HDR_RELEASE;
	if (!skb->nohdr)
		skb_head_block(skb->head)->nnohdr++;
	skb->nohdr = 1;
	shinfo(skb)->dataref = 1 + (1u << SKB_DATAREF_SHIFT);
	return SKB_OK;
}

/* ---------------------------------------------------------------------
 * Copies
 */

/**
 * skb_copy - a fully private, linear copy of metadata and data
 * @skb: the source
 * @err: receives the error code on failure
 *
 * The copy has the same headroom (whose bytes are copied too), so header
 * offsets keep their values.
 */
struct sk_buff *skb_copy(struct sk_buff *skb, int *err)
{
	unsigned int headerlen;
	uint64_t size;
	struct sk_buff *n;
	int ret;

	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	headerlen = data_off(skb);
	size = (uint64_t)skb->end + skb->data_len;
	if (size > UINT32_MAX) {
		*err = SKB_ENOMEM;
		return NULL;
	}
	n = alloc_skb_flags((unsigned int)size, 0, err);
	if (!n)
		return NULL;
	n->data += headerlen;
	n->tail = headerlen + skb->len;
	n->len = skb->len;
	ret = skb_copy_bits_nocheck(skb, -(int)headerlen, n->head, headerlen + skb->len);
	if (ret) {
		kfree_skb(n);
		*err = ret;
		return NULL;
	}
	skb_copy_header(n, skb);
	return n;
}

static void skb_clone_fraglist(struct sk_buff *skb)
{
	struct sk_buff *list;

	for (list = shinfo(skb)->frag_list; list; list = list->next)
		list->users++;
}

/*
 * pskb_copy_fclone: a private copy of the head with @headroom; paged data
 * and frag_list members stay shared.  Header offsets are copied verbatim.
 */
static struct sk_buff *pskb_copy_fclone(struct sk_buff *skb, unsigned int headroom,
					  bool fclone, int *err)
{
	uint64_t size = (uint64_t)headlen(skb) + headroom;
	struct sk_buff *n;
	int i;

	if (size > UINT32_MAX) {
		*err = SKB_ENOMEM;
		return NULL;
	}
	n = alloc_skb_flags((unsigned int)size, fclone ? SKB_ALLOC_FCLONE : 0, err);
	if (!n)
		return NULL;
	n->data += headroom;
	n->tail = headroom + headlen(skb);
	memcpy(n->data, skb->data, headlen(skb));
	n->truesize += skb->data_len;
	n->data_len = skb->data_len;
	n->len = skb->len;
	for (i = 0; i < shinfo(skb)->nr_frags; i++) {
		shinfo(n)->frags[i] = shinfo(skb)->frags[i];
		get_page(shinfo(skb)->frags[i].page);
	}
	shinfo(n)->nr_frags = shinfo(skb)->nr_frags;
	if (skb_has_frag_list(skb)) {
		shinfo(n)->frag_list = shinfo(skb)->frag_list;
		skb_clone_fraglist(n);
	}
	skb_copy_header(n, skb);
	return n;
}

/**
 * pskb_copy - copy the head privately, share the paged data
 * @skb: the source
 * @err: receives the error code on failure
 */
struct sk_buff *pskb_copy(struct sk_buff *skb, int *err)
{
	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	return pskb_copy_fclone(skb, data_off(skb), false, err);
}

/**
 * pskb_expand_head - reallocate the head with more room
 * @skb: an skb with a single user
 * @nhead: bytes to add in front (>= 0)
 * @ntail: bytes to add at the end
 *
 * With @nhead == @ntail == 0 this gives the skb a private copy of a shared
 * head.  The new size is rounded up by the allocator, so the tailroom may
 * grow more than asked.  Header offsets move by @nhead; cloned, nohdr and
 * hdr_len are reset and dataref becomes 1; truesize grows by the growth of
 * end (there are no sockets here).  Returns 0; SKB_ENOMEM, SKB_EBUG_NEGATIVE
 * (@nhead < 0), SKB_EBUG_SHARED (more than one user) or SKB_EBUG_SHRINK
 * (@ntail would cut into the data) with the skb unchanged.  Views and
 * pointers into the old head are stale afterwards.
 */
int pskb_expand_head(struct sk_buff *skb, int nhead, int ntail)
{
	uint32_t osize, doff, size;
	struct skb_shared_info *osh;
	int i;
	int64_t want;
	unsigned int asize;
	unsigned char *data;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (nhead < 0)
		return SKB_EBUG_NEGATIVE;
	if (skb->users != 1)
		return SKB_EBUG_SHARED;
	osize = skb->end;
	want = (int64_t)osize + nhead + ntail;
	if (want < (int64_t)skb->tail + nhead)
		return SKB_EBUG_SHRINK;
	if (want > UINT32_MAX)
		return SKB_ENOMEM;
	asize = (unsigned int)want;
	data = skb_head_alloc(&asize);
	if (!data)
		return SKB_ENOMEM;
	size = SKB_WITH_OVERHEAD(asize);
	osh = shinfo(skb);
	memset(data, 0, (size_t)nhead);
	memcpy(data + nhead, skb->head, skb->tail);
	memset(data + nhead + skb->tail, 0, size - nhead - skb->tail);
	memcpy(data + size, osh, offsetof(struct skb_shared_info, frags[osh->nr_frags]));

	if (cloned_nocheck(skb)) {
		for (i = 0; i < osh->nr_frags; i++)
			get_page(osh->frags[i].page);
		if (osh->frag_list)
			skb_clone_fraglist(skb);
		skb_release_data(skb, SKB_CONSUMED);
	} else {
		skb_head_detach(skb);
		skb_head_release(skb->head);
	}
	doff = data_off(skb);
	skb->head = data;
	skb->head_frag = 0;
	skb->data = data + nhead + doff;
	skb->end = size;
	skb->tail += (uint32_t)nhead;
	skb_headers_offset_update(skb, nhead);
	skb->cloned = 0;
	skb->hdr_len = 0;
	skb->nohdr = 0;
	shinfo(skb)->dataref = 1;
	skb_head_block(data)->nskbs = 1;
	skb->truesize = (uint32_t)((int64_t)skb->truesize + (int64_t)size - osize);
	return SKB_OK;
}

/* Headroom to add so the skb has @headroom, in NET_SKB_PAD steps. */
static int64_t cow_delta(const struct sk_buff *skb, unsigned int headroom)
{
	if (headroom <= data_off(skb))
		return 0;
	return (int64_t)SKB_ALIGN((uint64_t)(headroom - data_off(skb)), NET_SKB_PAD);
}

static int skb_cow_common(struct sk_buff *skb, unsigned int headroom, bool cloned)
{
	int64_t delta = cow_delta(skb, headroom);

	if (!delta && !cloned)
		return SKB_OK;
	/* as the kernel's int parameter: a huge delta turns negative and BUGs */
	if (delta > INT32_MAX)
		return SKB_EBUG_NEGATIVE;
	return pskb_expand_head(skb, (int)delta, 0);
}

/**
 * skb_cow - make head and data private, with at least @headroom in front
 * @skb: the skb
 * @headroom: headroom wanted
 */
int skb_cow(struct sk_buff *skb, unsigned int headroom)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	return skb_cow_common(skb, headroom, cloned_nocheck(skb));
}

/**
 * skb_cow_head - make the header area private, with at least @headroom
 * @skb: the skb
 * @headroom: headroom wanted
 */
int skb_cow_head(struct sk_buff *skb, unsigned int headroom)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	return skb_cow_common(skb, headroom, header_cloned_nocheck(skb));
}

/**
 * skb_unshare - a private copy if the data is shared
 * @skb: the skb; its reference is consumed when a copy is made
 * @err: receives the error code on failure
 *
 * Returns @skb itself when not cloned; else a linear copy, the original
 * being consumed (or freed when the copy failed, returning NULL).
 */
struct sk_buff *skb_unshare(struct sk_buff *skb, int *err)
{
	struct sk_buff *n;

	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	if (!cloned_nocheck(skb))
		return skb;
	n = skb_copy(skb, err);
	if (n)
		consume_skb(skb);
	else
		kfree_skb(skb);
	return n;
}

/**
 * skb_share_check - a clone if the struct has other users
 * @skb: the skb; one reference is dropped when a clone is made
 * @err: receives the error code on failure
 */
struct sk_buff *skb_share_check(struct sk_buff *skb, int *err)
{
	struct sk_buff *n;

	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	if (skb->users == 1)
		return skb;
	n = skb_clone(skb, err);
	if (n)
		consume_skb(skb);
	else
		kfree_skb(skb);
	return n;
}

/**
 * skb_realloc_headroom - a private copy of the head with @headroom
 * @skb: the source, left untouched
 * @headroom: headroom wanted
 * @err: receives the error code on failure
 */
struct sk_buff *skb_realloc_headroom(struct sk_buff *skb, unsigned int headroom,
				     int *err)
{
	struct sk_buff *n;
	int64_t delta;
	int ret;

	if (!skb_live(skb)) {
		*err = SKB_EFREED;
		return NULL;
	}
	delta = (int64_t)headroom - data_off(skb);
	if (delta <= 0)
		return pskb_copy_fclone(skb, data_off(skb), false, err);
	n = skb_clone(skb, err);
	if (!n)
		return NULL;
	delta = (int64_t)SKB_DATA_ALIGN((uint64_t)delta);
	ret = delta > INT32_MAX ? SKB_EBUG_NEGATIVE : pskb_expand_head(n, (int)delta, 0);
	if (ret) {
		kfree_skb(n);
		*err = ret;
		return NULL;
	}
	return n;
}
