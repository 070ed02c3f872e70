/*
 * pyglue.c - what the Python binding needs beyond the kernel operations:
 * who owns which reference, how long memory must outlive the kernel's
 * free for Python's sake, and view results packed into one integer so a
 * wrapper method costs a single C call.
 *
 * Rules.  A Python handle pins its struct (py_pins), so the memory stays
 * valid after a kernel-side free until the handle is collected; a segment
 * list pins all its segments while any of their handles lives.  py_refs
 * counts the users references that belong to Python code; a wrapper with
 * none is "borrowed" (e.g. a frag_list member the parent owns).  A mapped
 * head (a memoryview over it) pins the head block.
 */
#include "skb_internal.h"

/* The struct's memory may go once neither the kernel nor Python needs it. */
static void skbpy_unpin(struct sk_buff *skb)
{
	if (--skb->py_pins || skb->state == SKB_STATE_LIVE)
		return;
	skb_counters.zombie_skbs--;
	skb_free_struct_memory(skb);
}

/* Python takes over the caller's reference on a fresh skb. */
static struct sk_buff *adopt(struct sk_buff *skb)
{
	if (skb) {
		skb->py_refs = 1;
		skb->py_pins = 1;
		skb->py_head = NULL;
	}
	return skb;
}

/*
 * An engine call consumed one of Python's references on @skb, whose memory
 * the caller's handle pins; returns the SKBPY_* transition of the handle.
 */
static int python_ref_consumed(struct sk_buff *skb)
{
	if (skb->state != SKB_STATE_LIVE) {
		skbpy_unpin(skb);
		return SKBPY_DIED;
	}
	skb->py_refs--;
	return skb->py_refs ? SKB_OK : SKBPY_BORROWED;
}

/* Give back one of Python's references; returns the SKBPY_* transition. */
static int drop_python_ref(struct sk_buff *skb, unsigned int reason)
{
	kfree_skb_reason(skb, reason);
	return python_ref_consumed(skb);
}

/**
 * skbpy_pin - a wrapper now refers to @skb (one it does not own)
 * @skb: a live skb
 */
void skbpy_pin(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return;
	skb->py_pins++;
	skb->py_head = NULL;
}

/**
 * skbpy_release - the wrapper of @skb was collected
 * @skb: the struct the wrapper pinned
 *
 * References Python still held were leaked by the program: they are
 * dropped as kfree_skb would, and their number is returned.
 */
int skbpy_release(struct sk_buff *skb)
{
	int leaked = 0;

	while (skb->state == SKB_STATE_LIVE && skb->py_refs) {
		leaked++;
		if (drop_python_ref(skb, SKB_DROP_REASON_NOT_SPECIFIED) == SKBPY_DIED)
			return leaked;
	}
	skbpy_unpin(skb);
	return leaked;
}

/**
 * skbpy_kfree - Python drops one of its references
 * @skb: the skb
 * @reason: the drop reason (SKB_CONSUMED for consume_skb)
 *
 * Returns the SKBPY_* transition, SKB_EFREED, SKB_EBUG_ARGS for a reason
 * outside the enum, or SKB_ENOREF when Python holds no reference to give
 * back (the owner would be left dangling).
 */
int skbpy_kfree(struct sk_buff *skb, unsigned int reason)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (reason == SKB_NOT_DROPPED_YET || reason >= SKB_DROP_REASON_MAX)
		return SKB_EBUG_ARGS;
	if (!skb->py_refs)
		return SKB_ENOREF;
	return drop_python_ref(skb, reason);
}

/**
 * skbpy_get - Python takes another reference (skb_get)
 * @skb: the skb
 *
 * Returns SKBPY_OWNED when this is Python's first reference.
 */
int skbpy_get(struct sk_buff *skb)
{
	int ret = skb_get(skb);

	if (ret)
		return ret;
	return ++skb->py_refs == 1 ? SKBPY_OWNED : SKB_OK;
}

struct sk_buff *skbpy_alloc_skb(unsigned int size, int fclone, int *err)
{
	return adopt(alloc_skb_flags(size, fclone ? SKB_ALLOC_FCLONE : 0, err));
}

struct sk_buff *skbpy_clone(struct sk_buff *skb, int *err)
{
	return adopt(skb_clone(skb, err));
}

struct sk_buff *skbpy_copy(struct sk_buff *skb, int *err)
{
	return adopt(skb_copy(skb, err));
}

struct sk_buff *skbpy_pskb_copy(struct sk_buff *skb, int *err)
{
	return adopt(pskb_copy(skb, err));
}

struct sk_buff *skbpy_realloc_headroom(struct sk_buff *skb, unsigned int headroom, int *err)
{
	return adopt(skb_realloc_headroom(skb, headroom, err));
}

/*
 * unshare and share_check consume Python's reference on the original when
 * they return something else.  NULL with *st >= 0 means the allocation
 * failed after the original was released, as in the kernel.
 */
typedef struct sk_buff *(*replace_fn)(struct sk_buff *skb, int *err);

static struct sk_buff *skbpy_replace(struct sk_buff *skb, int *st, replace_fn fn)
{
	struct sk_buff *n;
	int err = SKB_OK;

	if (!skb_live(skb) || !skb->py_refs) {
		*st = skb_live(skb) ? SKB_ENOREF : SKB_EFREED;
		return NULL;
	}
	n = fn(skb, &err);
	if (n == skb) {
		*st = SKB_OK;
		return skb;
	}
	*st = python_ref_consumed(skb);
	return adopt(n);
}

struct sk_buff *skbpy_unshare(struct sk_buff *skb, int *st)
{
	return skbpy_replace(skb, st, skb_unshare);
}

struct sk_buff *skbpy_share_check(struct sk_buff *skb, int *st)
{
	return skbpy_replace(skb, st, skb_share_check);
}

/**
 * skbpy_map - pin the head of @skb for a Python view
 * @skb: the skb
 * @ro: whether the view will be read-only
 *
 * Returns the head; the view covers [head, end).  skbpy_unmap undoes it.
 */
unsigned char *skbpy_map(struct sk_buff *skb, int ro)
{
	if (!skb_live(skb))
		return NULL;
	skb_head_block(skb->head)->py_pins++;
	skb->py_head = skb->head;
	skb->py_ro = (uint8_t)!!ro;
	return skb->head;
}

/**
 * skbpy_unmap - a Python view of a head was collected
 * @head: what skbpy_map returned
 */
void skbpy_unmap(unsigned char *head)
{
	struct skb_head_block *blk = skb_head_block(head);

	if (--blk->py_pins || !blk->dead)
		return;
	skb_counters.zombie_heads--;
	skb_mfree(blk);
}

/*
 * Pack [start, end) with the flags telling whether the wrapper's cached
 * mapping can serve it: REMAP when it maps another head or has the other
 * mode, RO when the region is shared.
 */
static int64_t view(const struct sk_buff *skb, uint64_t start, uint64_t end)
{
	bool ro = !region_writable(skb, start, end);
	int64_t r = (int64_t)(start | (end << SKBPY_OFF_BITS));

	if (skb->py_head != skb->head || skb->py_ro != ro)
		r |= SKBPY_REMAP | (ro ? SKBPY_RO : 0);
	return r;
}

/* The linear data [data, tail). */
int64_t skbpy_data(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	return view(skb, data_off(skb), skb->tail);
}

/* skb_put, answering the new bytes [old tail, tail). */
int64_t skbpy_put(struct sk_buff *skb, unsigned int len)
{
	int64_t r = skb_put(skb, len);

	return r < 0 ? r : view(skb, (uint64_t)r, skb->tail);
}

/* skb_push, answering the new bytes [data, data + len). */
int64_t skbpy_push(struct sk_buff *skb, unsigned int len)
{
	int64_t r = skb_push(skb, len);

	return r < 0 ? r : view(skb, (uint64_t)r, (uint64_t)r + len);
}

/* skb_pull, answering the remaining linear data [data, tail). */
int64_t skbpy_pull(struct sk_buff *skb, unsigned int len)
{
	int64_t r = skb_pull(skb, len);

	return r < 0 ? r : view(skb, (uint64_t)r, skb->tail);
}

/* skb_put_zero, refusing a shared tail before changing anything. */
int64_t skbpy_put_zero(struct sk_buff *skb, unsigned int len)
{
	int64_t r;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (!region_writable(skb, skb->tail, (uint64_t)skb->tail + len))
		return SKB_ESHARED_WRITE;
	r = skb_put(skb, len);
	if (r < 0)
		return r;
	memset(skb->head + r, 0, len);
	return view(skb, (uint64_t)r, skb->tail);
}

/* [data + offset, data + offset + len) when it is all linear, else SKB_ENULL. */
int64_t skbpy_linear(struct sk_buff *skb, int offset, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (offset < 0 || (uint64_t)offset + len > headlen(skb))
		return SKB_ENULL;
	return view(skb, (uint64_t)data_off(skb) + (uint64_t)offset,
		    (uint64_t)data_off(skb) + (uint64_t)offset + len);
}

/**
 * skbpy_put_data - skb_put_data: append @len bytes from @buf
 * @skb: a linear skb
 * @buf: the bytes
 * @len: their number
 *
 * Refuses with SKB_ESHARED_WRITE, unchanged, when the tailroom is shared.
 */
int64_t skbpy_put_data(struct sk_buff *skb, const char *buf, unsigned int len)
{
	int64_t r;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (!region_writable(skb, skb->tail, (uint64_t)skb->tail + len))
		return SKB_ESHARED_WRITE;
	r = skb_put(skb, len);
	if (r < 0)
		return r;
	memcpy(skb->head + r, buf, len);
	return view(skb, (uint64_t)r, skb->tail);
}

/* ---------------------------------------------------------------------
 * Pages: the same pinning and ownership rules as skbs.
 */

static struct page *adopt_page(struct page *page)
{
	if (page) {
		page->py_refs = 1;
		page->py_pin = 1;
	}
	return page;
}

/* Give back one of Python's page references; returns the transition. */
static int drop_python_page_ref(struct page *page)
{
	bool last = page->refcount == 1;

	page->py_refs--;
	put_page(page);
	if (last) {
		page->py_pin = 0;
		page_memory_release(page);
		return SKBPY_DIED;
	}
	return page->py_refs ? SKB_OK : SKBPY_BORROWED;
}

struct page *skbpy_alloc_page(unsigned int order, int *err)
{
	return adopt_page(alloc_pages(order, err));
}

/* A handle now refers to @page (one it does not own). */
void skbpy_page_pin(struct page *page)
{
	if (page_live(page))
		page->py_pin = 1;
}

/* The handle of @page was collected; returns the references it leaked. */
int skbpy_page_release(struct page *page)
{
	int leaked = 0;

	while (page->state == SKB_STATE_LIVE && page->py_refs) {
		leaked++;
		if (drop_python_page_ref(page) == SKBPY_DIED)
			return leaked;
	}
	page->py_pin = 0;
	page_memory_release(page);
	return leaked;
}

/* get_page on Python's behalf. */
int skbpy_page_get(struct page *page)
{
	int ret = get_page(page);

	if (ret)
		return ret;
	return ++page->py_refs == 1 ? SKBPY_OWNED : SKB_OK;
}

/* put_page of one of Python's references. */
int skbpy_page_put(struct page *page)
{
	if (!page_live(page))
		return SKB_EFREED;
	if (!page->py_refs)
		return SKB_ENOREF;
	return drop_python_page_ref(page);
}

/* Map a page's memory for a Python view; skbpy_page_unmap undoes it. */
unsigned char *skbpy_page_map(struct page *page)
{
	if (!page_live(page))
		return NULL;
	page->py_maps++;
	return page->addr;
}

void skbpy_page_unmap(unsigned char *addr)
{
	struct page *page = page_of_addr(addr);

	page->py_maps--;
	page_memory_release(page);
}

/* ---------------------------------------------------------------------
 * Operations that move Python's references into the skb.
 */

/* The page reference Python hands to a frag; *st gets its transition. */
static int give_page(struct page *page)
{
	page->py_refs--;
	return page->py_refs ? SKB_OK : SKBPY_BORROWED;
}

int skbpy_fill_page_desc(struct sk_buff *skb, int i, struct page *page,
			 unsigned int off, unsigned int size)
{
	int ret;

	if (page_live(page) && !page->py_refs)
		return SKB_ENOREF;
	ret = skb_fill_page_desc(skb, i, page, off, size);
	return ret ? ret : give_page(page);
}

int skbpy_add_rx_frag(struct sk_buff *skb, int i, struct page *page,
		      unsigned int off, unsigned int size, unsigned int truesize)
{
	int ret;

	if (page_live(page) && !page->py_refs)
		return SKB_ENOREF;
	ret = skb_add_rx_frag(skb, i, page, off, size, truesize);
	return ret ? ret : give_page(page);
}

/* skb_frag_ref for Python: it takes a reference on frag @i's page. */
struct page *skbpy_frag_ref(struct sk_buff *skb, int i, int *st)
{
	struct page *page;
	int ret;

	if (!skb_live(skb)) {
		*st = SKB_EFREED;
		return NULL;
	}
	if (i < 0 || i >= shinfo(skb)->nr_frags) {
		*st = SKB_EBUG_FRAGS;
		return NULL;
	}
	page = shinfo(skb)->frags[i].page;
	ret = skbpy_page_get(page);
	if (ret < 0) {
		*st = ret;
		return NULL;
	}
	*st = ret;
	return page;
}

/* skb_frag_unref for Python: it gives back a reference on frag @i's page. */
int skbpy_frag_unref(struct sk_buff *skb, int i)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (i < 0 || i >= shinfo(skb)->nr_frags)
		return SKB_EBUG_FRAGS;
	return skbpy_page_put(shinfo(skb)->frags[i].page);
}

/* frag_list_append (@at_end) or _prepend of a member Python holds. */
int skbpy_frag_list_add(struct sk_buff *skb, struct sk_buff *member, int at_end)
{
	int ret;

	if (skb_live(member) && !member->py_refs)
		return SKB_ENOREF;
	ret = at_end ? skb_frag_list_append(skb, member) : skb_frag_list_prepend(skb, member);
	if (ret)
		return ret;
	member->py_refs--;
	return member->py_refs ? SKB_OK : SKBPY_BORROWED;
}

/*
 * skb_try_coalesce, then kfree_skb_partial of @from on success.  Returns 0
 * when refused, SKBPY_DONE | @from's transition when merged.
 */
int skbpy_try_coalesce(struct sk_buff *to, struct sk_buff *from, int *delta)
{
	int ret;

	if (skb_live(from) && !from->py_refs)
		return SKB_ENOREF;
	ret = skb_try_coalesce(to, from, delta);
	if (ret <= 0)
		return ret;
	return SKBPY_DONE | drop_python_ref(from, SKB_CONSUMED);
}


/* ---------------------------------------------------------------------
 * Segment lists.  The list pins every segment while it lives (and Python
 * keeps it alive while any segment's handle does), so next pointers stay
 * valid.  A segment's handle is created on first use; until then the
 * segment is "pending" and its reference waits in the list.
 */

/**
 * skbpy_segment - skb_segment (@gso = 0) or skb_gso_segment for Python
 * @skb: the skb
 * @features: NETIF_F_* features
 * @gso: 1 to walk the protocol handlers
 * @out: receives the array of segments (release with skbpy_segs_release)
 *
 * Returns the number of segments, 0 when the device can take the skb as
 * it is, or a negative code.
 */
int skbpy_segment(struct sk_buff *skb, uint64_t features, int gso, struct sk_buff ***out)
{
	struct sk_buff *segs, *seg, **arr;
	int err = SKB_OK, n = 0, i;

	*out = NULL;
	segs = gso ? skb_gso_segment(skb, features, &err) : skb_segment(skb, features, &err);
	if (!segs)
		return err;
	for (seg = segs; seg; seg = seg->next)
		n++;
	arr = skb_malloc((size_t)n * sizeof(*arr));
	if (!arr) {
		kfree_skb_list(segs);
		return SKB_ENOMEM;
	}
	for (i = 0, seg = segs; seg; seg = seg->next, i++) {
		arr[i] = seg;
		seg->py_refs = 1;
		seg->py_pins = 2;
		seg->py_pending = 1;
		seg->py_head = NULL;
	}
	*out = arr;
	return n;
}

/**
 * skbpy_segs_release - the segment list and all its handles are gone
 * @segs: the array skbpy_segment returned
 * @n: its length
 *
 * Segments whose handle was never made still hold Python's reference: it
 * was leaked, and is dropped here.  Returns the number leaked.
 */
int skbpy_segs_release(struct sk_buff **segs, int n)
{
	int leaked = 0, i;

	for (i = 0; i < n; i++) {
		struct sk_buff *seg = segs[i];

		if (seg->py_pending) {
			seg->py_pending = 0;
			leaked += skbpy_release(seg);
		}
		skbpy_unpin(seg);
	}
	skb_mfree(segs);
	return leaked;
}

/* A handle now exists for a pending segment: it takes the reserved pin. */
void skbpy_claim(struct sk_buff *skb)
{
	skb->py_pending = 0;
}

/* ---------------------------------------------------------------------
 * IPv4 fragmentation and reassembly
 */

/*
 * A packet the engine hands to Python inside a segment list: Python gets a
 * reference, the list a pin, and one pin waits for the packet's handle.
 * The packet leaves any chain: fragments are sent one by one.
 */
static void hand_to_list(struct sk_buff *skb)
{
	skb->next = NULL;
	skb->on_list = 0;
	skb->py_refs++;
	skb->py_pins += 2;
	skb->py_pending = 1;
	skb->py_head = NULL;
}

/**
 * skbpy_ip_fragment - ip_fragment for Python
 * @skb: the packet; Python's reference on it is consumed unless a refusal
 *       code comes back
 * @mtu: the path MTU
 * @ll_rs: headroom for the link layer in new fragments
 * @ignore_df: skb->ignore_df
 * @out: receives the array of packets to send (release with
 *       skbpy_segs_release); a packet Python already has a handle for is
 *       claimed with skbpy_claim_pinned
 * @st: receives the SKBPY_* transition of @skb's handle
 * @reused: receives how many packets at the front of the array existed
 *          before (@skb and its former frag_list members: only those can
 *          have handles already)
 *
 * Returns the number of packets, SKB_EMSGSIZE or SKB_ENOMEM after the
 * packet was freed, or a refusal code with nothing changed.
 */
int skbpy_ip_fragment(struct sk_buff *skb, unsigned int mtu, unsigned int ll_rs, int ignore_df,
		      struct sk_buff ***out, int *st, int *reused)
{
	struct sk_buff *frags, *next, **arr;
	int n, i;

	*out = NULL;
	*st = SKB_OK;
	*reused = 0;
	if (skb_live(skb) && !skb->py_refs)
		return SKB_ENOREF;
	n = ip_fragment(skb, mtu, ll_rs, ignore_df, &frags);
	if (n < 0) {
		if (n == SKB_EMSGSIZE || n == SKB_ENOMEM)
			*st = python_ref_consumed(skb);
		return n;
	}
	arr = skb_malloc((size_t)n * sizeof(*arr));
	if (!arr) {
		kfree_skb_list(frags);
		*st = python_ref_consumed(skb);
		return SKB_ENOMEM;
	}
	/* the fast path sends @skb first, then its members; the slow path all new */
	*reused = frags == skb ? n : 0;
	for (i = 0; i < n; i++, frags = next) {
		next = frags->next;
		arr[i] = frags;
		hand_to_list(frags);
	}
	*st = python_ref_consumed(skb);
	*out = arr;
	return n;
}

/*
 * skbpy_claim_pinned - a handle that already existed takes a list packet:
 * it has its own pin, so the one reserved for a new handle goes back.
 */
void skbpy_claim_pinned(struct sk_buff *skb)
{
	skb->py_pending = 0;
	skb->py_pins--;
}

/**
 * skbpy_ip_defrag - ip_defrag for Python
 * @d: the queues
 * @skb: the packet; Python's reference on it is consumed unless a refusal
 *       code comes back
 * @now: the clock
 * @r: receives the datagram (IP_DEFRAG_DONE; Python holds a reference on
 *     it), the drop reason (IP_DEFRAG_DROPPED) and @skb's transition
 *
 * A queued skb is the queue's alone: its handle dies (moved), so Python
 * cannot reach a packet the queue links through next.
 */
int skbpy_ip_defrag(struct ip_frag_dir *d, struct sk_buff *skb, uint64_t now,
		    struct skbpy_defrag_result *r)
{
	bool own;
	int ret;

	r->skb = NULL;
	r->reason = 0;
	r->st = SKB_OK;
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!skb->py_refs)
		return SKB_ENOREF;
	own = skb->users == 1;
	ret = ip_defrag(d, skb, now, &r->skb, &r->reason);
	if (ret < 0)
		return ret;
	if (ret == IP_DEFRAG_DONE && r->skb == skb) {
		skb->py_head = NULL;
	} else if (ret == IP_DEFRAG_QUEUED && own) {
		skb->py_refs--;
		skbpy_unpin(skb);
		r->st = SKBPY_DIED;
	} else {
		r->st = python_ref_consumed(skb);
		if (ret == IP_DEFRAG_DONE)
			adopt(r->skb);
	}
	return ret;
}
