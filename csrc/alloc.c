/*
 * alloc.c - the engine's only global state: allocation counters, the
 * fault-injection countdown, and the raw allocator every object goes
 * through (the hook the leak checks and the -ENOMEM tests rely on).
 */
#include <stdlib.h>

#include "skb_internal.h"

struct skb_counters skb_counters;
struct skb_head_block *skb_live_heads;
struct page *skb_live_pages;

/* Allocations left before the one that is made to fail; 0 means never. */
static int64_t fail_countdown;

/**
 * skb_get_counters - copy the allocation counters
 * @out: where to store them
 */
void skb_get_counters(struct skb_counters *out)
{
	*out = skb_counters;
}

/**
 * skb_fail_nth_alloc - make the n-th allocation from now fail, once
 * @n: 1 for the very next allocation; 0 or negative disarms
 */
void skb_fail_nth_alloc(int64_t n)
{
	fail_countdown = n > 0 ? n : 0;
}

static bool alloc_should_fail(void)
{
	if (!fail_countdown)
		return false;
	return --fail_countdown == 0;
}

/* Returns cache-line aligned memory, or NULL on (injected) failure. */
void *skb_malloc(size_t size)
{
	void *p;

	if (alloc_should_fail())
		return NULL;
	p = aligned_alloc(SMP_CACHE_BYTES, SKB_ALIGN(size, SMP_CACHE_BYTES));
	if (p)
		skb_counters.raw_blocks++;
	return p;
}

/* Like skb_malloc, zero-filled. */
void *skb_zalloc(size_t size)
{
	void *p = skb_malloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Frees what skb_malloc returned; NULL is ignored. */
void skb_mfree(void *p)
{
	if (!p)
		return;
	skb_counters.raw_blocks--;
	free(p);
}

/* The kmalloc bucket an object of @size lands in; 0 when kmalloc refuses. */
static uint64_t kmalloc_size_roundup(uint64_t size)
{
	uint64_t bucket;

	if (size > KMALLOC_MAX_SIZE)
		return 0;
	if (size > KMALLOC_MAX_CACHE_SIZE) {
		for (bucket = PAGE_SIZE; bucket < size; bucket <<= 1)
			;
		return bucket;
	}
	if (size > 64 && size <= 96)
		return 96;
	if (size > 128 && size <= 192)
		return 192;
	for (bucket = 8; bucket < size; bucket <<= 1)
		;
	return bucket;
}

/**
 * skb_head_alloc - allocate a head buffer as kmalloc_reserve() would
 * @size: in, the bytes asked for before the shared info; out, the whole
 *        allocation (so SKB_WITH_OVERHEAD(*size) is the new end offset)
 *
 * Small requests come from the small-head cache, others are rounded up to
 * their kmalloc bucket.  Returns the head (behind its hidden prefix) or NULL
 * when the size is beyond kmalloc or the allocation fails.  The contents are
 * not initialised: callers zero what they do not fill, so results are
 * deterministic where the kernel would leave stale bytes.
 */
unsigned char *skb_head_alloc(unsigned int *size)
{
	uint64_t obj = SKB_HEAD_ALIGN(*size);
	struct skb_head_block *blk;

	if (obj <= SKB_SMALL_HEAD_CACHE_SIZE)
		obj = SKB_SMALL_HEAD_CACHE_SIZE;
	else
		obj = kmalloc_size_roundup(obj);
	if (!obj)
		return NULL;
	blk = skb_malloc(sizeof(*blk) + obj);
	if (!blk)
		return NULL;
	memset(blk, 0, sizeof(*blk));
	blk->size = (uint32_t)obj;
	blk->live_next = skb_live_heads;
	if (skb_live_heads)
		skb_live_heads->live_prev = blk;
	skb_live_heads = blk;
	skb_counters.live_heads++;
	skb_counters.head_bytes += (int64_t)obj;
	*size = (unsigned int)obj;
	return (unsigned char *)(blk + 1);
}

/**
 * skb_head_release - the kernel frees a head buffer
 * @head: the head
 *
 * The memory stays allocated while Python views map it; the last unmap
 * frees it.
 */
void skb_head_release(unsigned char *head)
{
	struct skb_head_block *blk = skb_head_block(head);

	skb_counters.live_heads--;
	skb_counters.head_bytes -= blk->size;
	if (blk->live_prev)
		blk->live_prev->live_next = blk->live_next;
	else
		skb_live_heads = blk->live_next;
	if (blk->live_next)
		blk->live_next->live_prev = blk->live_prev;
	if (blk->py_pins) {
		blk->dead = 1;
		skb_counters.zombie_heads++;
		return;
	}
	skb_mfree(blk);
}
