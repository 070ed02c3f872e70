/*
 * page.c - emulated pages: refcounted blocks of PAGE_SIZE << order bytes,
 * the memory behind frags.  struct page sits in the cache line in front of
 * its memory.
 */
#include "skb_internal.h"

/**
 * alloc_pages - allocate a zeroed, refcounted page of PAGE_SIZE << order bytes
 * @order: 0 .. MAX_PAGE_ORDER
 * @err: receives SKB_ENOMEM on failure (including an order too large, for
 *       which the kernel warns and returns NULL)
 *
 * The caller holds the one reference.
 */
struct page *alloc_pages(unsigned int order, int *err)
{
	struct page *page;
	size_t bytes;

	if (order > MAX_PAGE_ORDER) {
		*err = SKB_ENOMEM;
		return NULL;
	}
	bytes = (size_t)PAGE_SIZE << order;
	page = skb_malloc(SMP_CACHE_BYTES + bytes);
	if (!page) {
		*err = SKB_ENOMEM;
		return NULL;
	}
	memset(page, 0, SMP_CACHE_BYTES + bytes);
	page->addr = (unsigned char *)page + SMP_CACHE_BYTES;
	page->order = order;
	page->refcount = 1;
	page->state = SKB_STATE_LIVE;
	page->live_next = skb_live_pages;
	if (skb_live_pages)
		skb_live_pages->live_prev = page;
	skb_live_pages = page;
	skb_counters.live_pages++;
	skb_counters.page_bytes += (int64_t)bytes;
	return page;
}

/**
 * get_page - take a reference on a page
 * @page: a live page
 */
int get_page(struct page *page)
{
	if (!page_live(page))
		return SKB_EFREED;
	if (page->refcount == UINT32_MAX)
		return SKB_EBUG_USERS;
	page->refcount++;
	return SKB_OK;
}

/* Free the memory once neither the kernel model nor Python needs it. */
void page_memory_release(struct page *page)
{
	if (page->state == SKB_STATE_LIVE || page->py_pin || page->py_maps)
		return;
	skb_counters.zombie_pages--;
	skb_mfree(page);
}

/**
 * put_page - drop a reference; the last one frees the page
 * @page: a live page
 *
 * Memory mapped by Python views or pinned by a Python handle is kept until
 * they let go.
 */
int put_page(struct page *page)
{
	if (!page_live(page))
		return SKB_EFREED;
	if (--page->refcount)
		return SKB_OK;
	page->state = SKB_STATE_FREED;
	if (page->live_prev)
		page->live_prev->live_next = page->live_next;
	else
		skb_live_pages = page->live_next;
	if (page->live_next)
		page->live_next->live_prev = page->live_prev;
	skb_counters.live_pages--;
	skb_counters.page_bytes -= (int64_t)page_bytes(page);
	skb_counters.zombie_pages++;
	page_memory_release(page);
	return SKB_OK;
}
