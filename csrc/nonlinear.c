/*
 * nonlinear.c - paged data: frags in the shared info, the frag_list chain,
 * and the operations that walk or reshape them (net/core/skbuff.c).
 *
 * The logical byte stream of an skb is its linear part, then its frags in
 * order, then each frag_list member's own stream.  Every walker first
 * checks that data_len really is the sum of those parts: a member changed
 * behind its owner's back is refused rather than walked past its end.
 */
#include "skb_internal.h"

static bool paged_consistent(const struct sk_buff *skb, int depth)
{
	const struct skb_shared_info *sh = shinfo(skb);
	const struct sk_buff *list;
	uint64_t bytes = 0;
	int i;

	if (depth > SKB_MAX_FRAG_LIST_DEPTH || sh->nr_frags > MAX_SKB_FRAGS ||
	    skb->len < skb->data_len)
		return false;
	for (i = 0; i < sh->nr_frags; i++)
		bytes += sh->frags[i].len;
	for (list = sh->frag_list; list; list = list->next) {
		if (!skb_live(list) || !paged_consistent(list, depth + 1))
			return false;
		bytes += list->len;
	}
	return bytes == skb->data_len;
}

/**
 * skb_paged_consistent - data_len equals the frag and frag_list bytes, at
 * every level of the tree
 * @skb: a live skb
 *
 * Checked before anything changes, so that an operation refused because a
 * member deep down was changed behind its owner has written nothing.
 */
bool skb_paged_consistent(const struct sk_buff *skb)
{
	return paged_consistent(skb, 0);
}

static bool len_fits(uint64_t a, uint64_t b)
{
	return a + b <= UINT32_MAX;
}

/* ---------------------------------------------------------------------
 * Frags
 */

/**
 * skb_fill_page_desc - describe frag @i as @size bytes at @off of @page
 * @skb: the skb
 * @i: the frag index, which must be nr_frags (the kernel leaves holes or
 *     drops references for any other value)
 * @page: the page; the caller's reference passes to the frag
 * @off: offset in the page
 * @size: bytes
 *
 * len, data_len and truesize are not touched (skb_add_rx_frag does that).
 */
int skb_fill_page_desc(struct sk_buff *skb, int i, struct page *page,
		       unsigned int off, unsigned int size)
{
	struct skb_shared_info *sh;

	if (!skb_live(skb) || !page_live(page))
		return SKB_EFREED;
	sh = shinfo(skb);
	if (i != sh->nr_frags || i >= MAX_SKB_FRAGS)
		return SKB_EBUG_FRAGS;
	if ((uint64_t)off + size > page_bytes(page))
		return SKB_EBUG_FRAG_RANGE;
	if (cloned_nocheck(skb))
		return SKB_ESHARED_WRITE;
	sh->frags[i].page = page;
	sh->frags[i].offset = off;
	sh->frags[i].len = size;
	sh->nr_frags = (uint8_t)(i + 1);
	return SKB_OK;
}

/**
 * skb_add_rx_frag - add a received frag and account for it
 * @skb: the skb
 * @i: the frag index (nr_frags)
 * @page: the page; the caller's reference passes to the frag
 * @off: offset in the page
 * @size: bytes
 * @truesize: memory to charge for the frag
 */
int skb_add_rx_frag(struct sk_buff *skb, int i, struct page *page,
		    unsigned int off, unsigned int size, unsigned int truesize)
{
	int ret;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (!len_fits(skb->len, size) || !len_fits(skb->truesize, truesize))
		return SKB_EBUG_LEN;
	ret = skb_fill_page_desc(skb, i, page, off, size);
	if (ret)
		return ret;
	skb->len += size;
	skb->data_len += size;
	skb->truesize += truesize;
	return SKB_OK;
}

/**
 * skb_can_coalesce - would bytes at @off of @page extend frag @i - 1?
 * @skb: the skb
 * @i: the next frag index
 * @page: the page
 * @off: where the new bytes start in it
 */
int skb_can_coalesce(const struct sk_buff *skb, int i, const struct page *page,
		     unsigned int off)
{
	const skb_frag_t *frag;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (i <= 0 || i > shinfo(skb)->nr_frags)
		return 0;
	frag = &shinfo(skb)->frags[i - 1];
	return frag->page == page && (uint64_t)frag->offset + frag->len == off;
}

/**
 * skb_coalesce_rx_frag - grow frag @i by @size bytes and account for them
 * @skb: the skb
 * @i: an existing frag
 * @size: bytes added at the frag's end (they must be inside its page)
 * @truesize: memory to charge
 */
int skb_coalesce_rx_frag(struct sk_buff *skb, int i, unsigned int size,
			 unsigned int truesize)
{
	skb_frag_t *frag;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (i < 0 || i >= shinfo(skb)->nr_frags)
		return SKB_EBUG_FRAGS;
	frag = &shinfo(skb)->frags[i];
	if ((uint64_t)frag->offset + frag->len + size > page_bytes(frag->page))
		return SKB_EBUG_FRAG_RANGE;
	if (cloned_nocheck(skb))
		return SKB_ESHARED_WRITE;
	if (!len_fits(skb->len, size) || !len_fits(skb->truesize, truesize))
		return SKB_EBUG_LEN;
	frag->len += size;
	skb->len += size;
	skb->data_len += size;
	skb->truesize += truesize;
	return SKB_OK;
}

/* ---------------------------------------------------------------------
 * frag_list
 */

/* Height of the frag_list tree under @skb (0 without one); stops past @cap. */
int frag_list_height(const struct sk_buff *skb, int cap)
{
	const struct sk_buff *m;
	int height = 0;

	for (m = shinfo(skb)->frag_list; m && height <= cap; m = m->next) {
		int h = 1 + frag_list_height(m, cap - 1);

		if (h > height)
			height = h;
	}
	return height;
}

/*
 * What linking @member under @skb needs for the chain to stay a tree the
 * free path can walk: member not yet on any chain (its next pointer is the
 * chain's), skb not itself a member (the owner's lengths would go stale),
 * a bounded depth (the free path recurses), and a private shared info.
 */
static int frag_list_link_check(struct sk_buff *skb, struct sk_buff *member)
{
	if (!skb_live(skb) || !skb_live(member))
		return SKB_EFREED;
	if (member == skb || member->on_list || member->next || skb->on_list)
		return SKB_EBUG_ON_LIST;
	if (frag_list_height(member, SKB_MAX_FRAG_LIST_DEPTH) + 1 > SKB_MAX_FRAG_LIST_DEPTH)
		return SKB_EBUG_DEPTH;
	if (cloned_nocheck(skb))
		return SKB_ESHARED_WRITE;
	if (!len_fits(skb->len, member->len) || !len_fits(skb->truesize, member->truesize))
		return SKB_EBUG_LEN;
	return SKB_OK;
}

static void frag_list_account(struct sk_buff *skb, struct sk_buff *member)
{
	member->on_list = 1;
	skb->len += member->len;
	skb->data_len += member->len;
	skb->truesize += member->truesize;
}

/**
 * skb_frag_list_append - chain @member at the end of skb's frag_list
 * @skb: the owner
 * @member: an skb on no chain; the caller's reference passes to the chain
 *
 * Appending writes the last member's next pointer, so it is refused when
 * that member is also linked from another chain (a pskb_copy shares it).
 */
int skb_frag_list_append(struct sk_buff *skb, struct sk_buff *member)
{
	struct sk_buff **pp, *last = NULL;
	int ret = frag_list_link_check(skb, member);

	if (ret)
		return ret;
	for (pp = &shinfo(skb)->frag_list; *pp; pp = &(*pp)->next)
		last = *pp;
	if (last && last->users > last->py_refs + 1)
		return SKB_ESHARED_WRITE;
	*pp = member;
	frag_list_account(skb, member);
	return SKB_OK;
}

/**
 * skb_frag_list_prepend - chain @member at the front of skb's frag_list
 * @skb: the owner
 * @member: an skb on no chain; the caller's reference passes to the chain
 */
int skb_frag_list_prepend(struct sk_buff *skb, struct sk_buff *member)
{
	int ret = frag_list_link_check(skb, member);

	if (ret)
		return ret;
	member->next = shinfo(skb)->frag_list;
	shinfo(skb)->frag_list = member;
	frag_list_account(skb, member);
	return SKB_OK;
}

/* ---------------------------------------------------------------------
 * Walking the bytes
 */

/*
 * Copy between @buf and the packet bytes [offset, offset + len); negative
 * offsets reach into the headroom.  Returns 0, SKB_EFAULT for a range
 * outside [head, len), SKB_EBUG_INCONSISTENT for a broken skb.
 */
static int skb_bits(const struct sk_buff *skb, int offset, unsigned char *buf,
		    unsigned int len, bool store)
{
	const struct skb_shared_info *sh = shinfo(skb);
	int64_t start = headlen(skb), end, copy, off = offset, left = len;
	const struct sk_buff *list;
	int i, ret;

	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if (off + left > skb->len || off < -(int64_t)data_off(skb))
		return SKB_EFAULT;
	copy = start - off;
	if (copy > 0) {
		if (copy > left)
			copy = left;
		if (store)
			memcpy(skb->data + off, buf, (size_t)copy);
		else
			memcpy(buf, skb->data + off, (size_t)copy);
		left -= copy;
		off += copy;
		buf += copy;
	}
	for (i = 0; left && i < sh->nr_frags; i++) {
		const skb_frag_t *f = &sh->frags[i];

		end = start + f->len;
		copy = end - off;
		if (copy > 0) {
			unsigned char *p = f->page->addr + f->offset + (off - start);

			if (copy > left)
				copy = left;
			if (store)
				memcpy(p, buf, (size_t)copy);
			else
				memcpy(buf, p, (size_t)copy);
			left -= copy;
			off += copy;
			buf += copy;
		}
		start = end;
	}
	for (list = sh->frag_list; left && list; list = list->next) {
		end = start + list->len;
		copy = end - off;
		if (copy > 0) {
			if (copy > left)
				copy = left;
			ret = skb_bits(list, (int)(off - start), buf, (unsigned int)copy, store);
			if (ret)
				return ret;
			left -= copy;
			off += copy;
			buf += copy;
		}
		start = end;
	}
	return left ? SKB_EFAULT : SKB_OK;
}

int skb_copy_bits_nocheck(const struct sk_buff *skb, int offset, void *to,
			  unsigned int len)
{
	return skb_bits(skb, offset, to, len, false);
}

/**
 * skb_copy_bits - copy packet bytes out, across frags and frag_list
 * @skb: the skb
 * @offset: from data; negative offsets read the headroom
 * @to: destination
 * @len: bytes
 */
int skb_copy_bits(const struct sk_buff *skb, int offset, void *to, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	return skb_bits(skb, offset, to, len, false);
}

/**
 * skb_copy_bits_check - what skb_copy_bits would say before copying a byte
 * @skb: the skb
 * @offset: from data
 * @len: bytes
 *
 * SKB_OK, SKB_EFREED, SKB_EBUG_INCONSISTENT or SKB_EFAULT, in skb_copy_bits'
 * order: lets a caller refuse a huge length before allocating for it.
 */
int skb_copy_bits_check(const struct sk_buff *skb, int offset, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if ((int64_t)offset + len > skb->len || offset < -(int64_t)data_off(skb))
		return SKB_EFAULT;
	return SKB_OK;
}

/* Are all the linear bytes of [offset, offset + len) writable by their skb? */
static bool store_writable(const struct sk_buff *skb, int64_t off, int64_t len)
{
	const struct skb_shared_info *sh = shinfo(skb);
	int64_t start = headlen(skb), end, copy;
	const struct sk_buff *list;
	int i;

	copy = start - off;
	if (copy > 0) {
		if (copy > len)
			copy = len;
		if (!region_writable(skb, (uint64_t)(data_off(skb) + off),
				     (uint64_t)(data_off(skb) + off + copy)))
			return false;
		len -= copy;
		off += copy;
	}
	for (i = 0; i < sh->nr_frags; i++) {
		end = start + sh->frags[i].len;
		copy = end - off;
		if (copy > 0) {
			copy = copy > len ? len : copy;
			len -= copy;
			off += copy;
		}
		start = end;
	}
	for (list = sh->frag_list; len > 0 && list; list = list->next) {
		end = start + list->len;
		copy = end - off;
		if (copy > 0) {
			if (copy > len)
				copy = len;
			if (!store_writable(list, off - start, copy))
				return false;
			len -= copy;
			off += copy;
		}
		start = end;
	}
	return true;
}

/**
 * skb_store_bits - copy bytes into the packet, across frags and frag_list
 * @skb: the skb
 * @offset: from data; negative offsets write the headroom
 * @from: source
 * @len: bytes
 *
 * Frag pages are written as the kernel writes them; a linear part shared
 * with a clone is refused (SKB_ESHARED_WRITE) before anything is written.
 */
int skb_store_bits(struct sk_buff *skb, int offset, const void *from, unsigned int len)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if ((int64_t)offset + len > skb->len || offset < -(int64_t)data_off(skb))
		return SKB_EFAULT;
	if (!store_writable(skb, offset, len))
		return SKB_ESHARED_WRITE;
	return skb_bits(skb, offset, (unsigned char *)(uintptr_t)from, len, true);
}

/*
 * The kernel's skb_checksum: the linear part continues @csum, each frag and
 * each member (summed on its own from 0) is added at its position.
 */
static int64_t checksum_walk(const struct sk_buff *skb, int64_t off, int64_t len,
			     uint32_t csum)
{
	const struct skb_shared_info *sh = shinfo(skb);
	int64_t start = headlen(skb), end, copy, pos = 0, sub;
	const struct sk_buff *list;
	int i;

	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if (off + len > skb->len || off < -(int64_t)data_off(skb))
		return SKB_EFAULT;
	copy = start - off;
	if (copy > 0) {
		if (copy > len)
			copy = len;
		csum = csum_partial(skb->data + off, (unsigned int)copy, csum);
		len -= copy;
		off += copy;
		pos = copy;
	}
	for (i = 0; len && i < sh->nr_frags; i++) {
		const skb_frag_t *f = &sh->frags[i];

		end = start + f->len;
		copy = end - off;
		if (copy > 0) {
			if (copy > len)
				copy = len;
			csum = csum_block_add(csum,
					      csum_partial(f->page->addr + f->offset + (off - start),
							   (unsigned int)copy, 0),
					      (int)pos);
			len -= copy;
			off += copy;
			pos += copy;
		}
		start = end;
	}
	for (list = sh->frag_list; len && list; list = list->next) {
		end = start + list->len;
		copy = end - off;
		if (copy > 0) {
			if (copy > len)
				copy = len;
			sub = checksum_walk(list, off - start, copy, 0);
			if (sub < 0)
				return sub;
			csum = csum_block_add(csum, (uint32_t)sub, (int)pos);
			len -= copy;
			off += copy;
			pos += copy;
		}
		start = end;
	}
	return len ? SKB_EFAULT : (int64_t)csum;
}

/**
 * skb_checksum - the partial checksum of packet bytes [offset, offset+len)
 * @skb: the skb
 * @offset: from data (negative reads the headroom)
 * @len: bytes
 * @csum: the sum to continue
 *
 * Returns the 32-bit partial sum, or a negative SKB_E* code.
 */
int64_t skb_checksum(const struct sk_buff *skb, int offset, unsigned int len, uint32_t csum)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	return checksum_walk(skb, offset, len, csum);
}

/* ---------------------------------------------------------------------
 * Pulling paged data into the head
 */

/* pskb_pull: pull @len bytes, first making them linear. */
static int pskb_pull_nocheck(struct sk_buff *skb, unsigned int len)
{
	int ret;

	if (len > skb->len)
		return SKB_ENULL;
	if (len > headlen(skb)) {
		ret = pskb_pull_tail(skb, len - headlen(skb));
		if (ret)
			return ret;
	}
	skb->len -= len;
	skb->data += len;
	return SKB_OK;
}

/*
 * The frags hold fewer than the bytes being pulled: consume @eat bytes from
 * the front of the frag_list.  Members eaten whole are unlinked and
 * consumed; the one eaten partly is pulled, after being replaced by a clone
 * of itself if someone else holds it.
 */
static int pull_from_frag_list(struct sk_buff *skb, uint32_t eat)
{
	struct skb_shared_info *sh = shinfo(skb);
	struct sk_buff *list = sh->frag_list, *clone = NULL, *insp = NULL;
	int err = SKB_ENOMEM;

	do {
		if (list->len <= eat) {
			eat -= list->len;
			list = list->next;
			insp = list;
		} else {
			if (sh->gso_size && !list->head_frag && headlen(list))
				sh->gso_type |= SKB_GSO_DODGY;
			if (list->users != 1) {
				clone = skb_clone(list, &err);
				if (!clone)
					return err;
				insp = list->next;
				list = clone;
			} else {
				insp = list;
			}
			err = pskb_pull_nocheck(list, eat);
			if (err) {
				if (clone)
					kfree_skb(clone);
				return err == SKB_ENULL ? SKB_EBUG_INCONSISTENT : err;
			}
			break;
		}
	} while (eat);

	while ((list = sh->frag_list) != insp) {
		sh->frag_list = list->next;
		consume_skb(list);
	}
	if (clone) {
		clone->next = list;
		clone->on_list = 1;
		sh->frag_list = clone;
	}
	return SKB_OK;
}

/* __pskb_pull_tail for a consistent skb with @delta <= data_len. */
int pskb_pull_tail_nocheck(struct sk_buff *skb, unsigned int delta)
{
	int64_t eat = (int64_t)skb->tail + delta - skb->end;
	struct skb_shared_info *sh;
	uint32_t left, i, k;
	int ret;

	if (eat > 0 || cloned_nocheck(skb)) {
		/* the kernel leaves 128 spare bytes for the next pull */
		if (eat + 128 > INT32_MAX)
			return SKB_ENOMEM;
		ret = pskb_expand_head(skb, 0, eat > 0 ? (int)(eat + 128) : 0);
		if (ret)
			return ret;
	}
	ret = skb_copy_bits_nocheck(skb, (int)headlen(skb), skb->head + skb->tail, delta);
	if (ret)
		return ret;
	sh = shinfo(skb);
	if (sh->frag_list) {
		left = delta;
		for (i = 0; left && i < sh->nr_frags; i++)
			left = sh->frags[i].len >= left ? 0 : left - sh->frags[i].len;
		if (left) {
			ret = pull_from_frag_list(skb, left);
			if (ret)
				return ret;
		}
	}
	left = delta;
	for (i = 0, k = 0; i < sh->nr_frags; i++) {
		skb_frag_t frag = sh->frags[i];

		if (frag.len <= left) {
			put_page(frag.page);
			left -= frag.len;
			continue;
		}
		if (left) {
			frag.offset += left;
			frag.len -= left;
			left = 0;
			if (!i) {
				/* nothing moved down: the kernel keeps every later
				 * frag as it is, even an empty one */
				sh->frags[0] = frag;
				k = sh->nr_frags;
				break;
			}
		}
		sh->frags[k++] = frag;
	}
	sh->nr_frags = (uint8_t)k;
	skb->tail += delta;
	skb->data_len -= delta;
	return SKB_OK;
}

/**
 * pskb_pull_tail - __pskb_pull_tail: move @delta paged bytes into the head
 * @skb: the skb
 * @delta: bytes, at most data_len
 *
 * The head is reallocated (with 128 spare bytes) when the tailroom is short
 * or shared, which needs a single user.  Pointers and views into the head
 * are stale afterwards.  On failure the packet is unchanged.
 */
int pskb_pull_tail(struct sk_buff *skb, unsigned int delta)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if (delta > skb->data_len)
		return SKB_EBUG_PULL;
	return pskb_pull_tail_nocheck(skb, delta);
}

/**
 * pskb_may_pull - make the first @len bytes linear
 * @skb: the skb
 * @len: bytes wanted in the linear part
 *
 * Returns 1 when they are, 0 when the packet is shorter or the allocation
 * failed (as the kernel's false), or a negative code for misuse.
 */
int pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	int ret;

	if (!skb_live(skb))
		return SKB_EFREED;
	if (len <= headlen(skb))
		return 1;
	if (len > skb->len)
		return 0;
	ret = pskb_pull_tail(skb, len - headlen(skb));
	if (ret == SKB_ENOMEM)
		return 0;
	return ret < 0 ? ret : 1;
}

/**
 * skb_linearize - pull all paged data into the head
 * @skb: the skb
 */
int skb_linearize(struct sk_buff *skb)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (!skb_is_nonlinear(skb))
		return SKB_OK;
	return pskb_pull_tail(skb, skb->data_len);
}

/* ---------------------------------------------------------------------
 * Trimming
 */

static void skb_drop_list(struct sk_buff **listp)
{
	kfree_skb_list(*listp);
	*listp = NULL;
}

/*
 * skb_condense: pull what is left of the paged data into the head when it
 * fits and the head is private, then charge only the head (the frags'
 * truesize is unknown once they are gone).
 */
static void skb_condense(struct sk_buff *skb)
{
	if (skb->data_len) {
		if (skb->data_len > skb->end - skb->tail || cloned_nocheck(skb))
			return;
		pskb_pull_tail_nocheck(skb, skb->data_len);
	}
	skb->truesize = SKB_TRUESIZE(skb->end);
}

/* Release frags from @i on and the whole frag_list. */
static void drop_pages_from(struct sk_buff *skb, int i)
{
	struct skb_shared_info *sh = shinfo(skb);
	int nfrags = sh->nr_frags;

	sh->nr_frags = (uint8_t)i;
	for (; i < nfrags; i++)
		put_page(sh->frags[i].page);
	if (sh->frag_list)
		skb_drop_list(&sh->frag_list);
}

/* The frag_list part of ___pskb_trim: the cut lies inside the chain. */
static int trim_frag_list(struct sk_buff *skb, int64_t offset, unsigned int len)
{
	struct sk_buff **fragp, *frag, *nfrag;
	int err = SKB_ENOMEM;

	for (fragp = &shinfo(skb)->frag_list; (frag = *fragp); fragp = &frag->next) {
		int64_t end = offset + frag->len;

		if (frag->users != 1) {
			nfrag = skb_clone(frag, &err);
			if (!nfrag)
				return err;
			nfrag->next = frag->next;
			nfrag->on_list = 1;
			consume_skb(frag);
			frag = nfrag;
			*fragp = frag;
		}
		if (end < len) {
			offset = end;
			continue;
		}
		if (end > len) {
			err = pskb_trim(frag, (unsigned int)(len - offset));
			if (err)
				return err;
		}
		if (frag->next)
			skb_drop_list(&frag->next);
		break;
	}
	return SKB_OK;
}

/**
 * pskb_trim_nonlinear - ___pskb_trim: cut a nonlinear skb to @len bytes
 * @skb: the skb
 * @len: the new length, below len
 *
 * A shared head is made private first.  Afterwards the remaining paged
 * data is condensed into the head when it fits.
 */
int pskb_trim_nonlinear(struct sk_buff *skb, unsigned int len)
{
	struct skb_shared_info *sh;
	int64_t offset = headlen(skb);
	int i, err;

	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if (cloned_nocheck(skb)) {
		err = pskb_expand_head(skb, 0, 0);
		if (err)
			return err;
	}
	sh = shinfo(skb);
	if (offset >= len) {
		drop_pages_from(skb, 0);
	} else {
		for (i = 0; i < sh->nr_frags; i++) {
			int64_t end = offset + sh->frags[i].len;

			if (end >= len) {
				sh->frags[i].len = (uint32_t)(len - offset);
				drop_pages_from(skb, i + 1);
				break;
			}
			offset = end;
		}
		if (i == sh->nr_frags) {
			err = trim_frag_list(skb, offset, len);
			if (err)
				return err;
		}
	}
	if (len > headlen(skb)) {
		skb->data_len -= skb->len - len;
		skb->len = len;
	} else {
		skb->len = len;
		skb->data_len = 0;
		skb->tail = data_off(skb) + len;
	}
	skb_condense(skb);
	return SKB_OK;
}

/* ---------------------------------------------------------------------
 * Splitting and coalescing
 */

/* The cut is inside the linear part: its tail and all frags go to skb1. */
static void skb_split_inside_header(struct sk_buff *skb, struct sk_buff *skb1,
				    uint32_t len, uint32_t pos)
{
	struct skb_shared_info *sh = shinfo(skb), *sh1 = shinfo(skb1);
	int i;

	memcpy(skb1->head + skb1->tail, skb->data + len, pos - len);
	skb1->tail += pos - len;
	skb1->len += pos - len;
	for (i = 0; i < sh->nr_frags; i++)
		sh1->frags[i] = sh->frags[i];
	sh1->nr_frags = sh->nr_frags;
	sh->nr_frags = 0;
	skb1->data_len = skb->data_len;
	skb1->len += skb1->data_len;
	skb->data_len = 0;
	skb->len = len;
	skb->tail = data_off(skb) + len;
}

/* The cut is in the frags: later frags move, a straddling one is shared. */
static void skb_split_no_header(struct sk_buff *skb, struct sk_buff *skb1,
				uint32_t len, uint32_t pos)
{
	struct skb_shared_info *sh = shinfo(skb), *sh1 = shinfo(skb1);
	int i, k = 0, nfrags = sh->nr_frags;

	sh->nr_frags = 0;
	skb1->len = skb1->data_len = skb->len - len;
	skb->len = len;
	skb->data_len = len - pos;
	for (i = 0; i < nfrags; i++) {
		uint32_t size = sh->frags[i].len;

		if (pos + size > len) {
			sh1->frags[k] = sh->frags[i];
			if (pos < len) {
				get_page(sh->frags[i].page);
				sh1->frags[0].offset += len - pos;
				sh1->frags[0].len -= len - pos;
				sh->frags[i].len = len - pos;
				sh->nr_frags++;
			}
			k++;
		} else {
			sh->nr_frags++;
		}
		pos += size;
	}
	sh1->nr_frags = (uint8_t)k;
}

/**
 * skb_split - cut @skb at @len, moving the rest into the empty @skb1
 * @skb: the skb to cut (linear part and frags; no frag_list)
 * @skb1: an empty, linear skb receiving bytes from @len on
 * @len: the new length of @skb
 *
 * truesize is left alone on both, as the kernel does.
 */
int skb_split(struct sk_buff *skb, struct sk_buff *skb1, unsigned int len)
{
	uint32_t pos;

	if (!skb_live(skb) || !skb_live(skb1))
		return SKB_EFREED;
	if (skb == skb1 || skb1->len || shinfo(skb1)->nr_frags || len > skb->len ||
	    shinfo(skb)->frag_list || shinfo(skb1)->frag_list)
		return SKB_EBUG_ARGS;
	if (cloned_nocheck(skb) || cloned_nocheck(skb1))
		return SKB_ESHARED_WRITE;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	pos = headlen(skb);
	if (len < pos) {
		if ((uint64_t)skb1->tail + (pos - len) > skb1->end)
			return SKB_EOVERPANIC;
		skb_split_inside_header(skb, skb1, len, pos);
	} else {
		skb_split_no_header(skb, skb1, len, pos);
	}
	return SKB_OK;
}

/**
 * skb_try_coalesce - merge @from into @to, if that is cheap
 * @to: the receiving skb
 * @from: the skb whose bytes move; the caller frees it after success
 * @delta_truesize: receives the truesize the caller should transfer
 *
 * Returns 1 when merged, 0 when refused (nothing changed), or a negative
 * code.  Our heads are never page fragments, so a linear @from can only be
 * merged by copying into @to's tailroom.
 */
int skb_try_coalesce(struct sk_buff *to, struct sk_buff *from, int *delta_truesize)
{
	struct skb_shared_info *to_sh, *from_sh;
	uint32_t len;
	int i;

	if (!skb_live(to) || !skb_live(from))
		return SKB_EFREED;
	if (to == from)
		return SKB_EBUG_ARGS;
	if (cloned_nocheck(to))
		return 0;
	if (!skb_paged_consistent(to) || !skb_paged_consistent(from))
		return SKB_EBUG_INCONSISTENT;
	len = from->len;
	if (len <= (skb_is_nonlinear(to) ? 0 : to->end - to->tail)) {
		int err = skb_copy_bits_nocheck(from, 0, to->head + to->tail, len);

		if (err)
			return err == SKB_EFAULT ? SKB_EBUG_INCONSISTENT : err;
		to->tail += len;
		to->len += len;
		*delta_truesize = 0;
		return 1;
	}
	to_sh = shinfo(to);
	from_sh = shinfo(from);
	if (to_sh->frag_list || from_sh->frag_list || headlen(from))
		return 0;
	if (to_sh->nr_frags + from_sh->nr_frags > MAX_SKB_FRAGS)
		return 0;
	if (!cloned_nocheck(from) && from->users != 1)
		return SKB_EBUG_SHARED;
	if (!len_fits(to->len, len) ||
	    !len_fits(to->truesize, from->truesize - SKB_TRUESIZE(from->end)))
		return SKB_EBUG_LEN;
	memcpy(to_sh->frags + to_sh->nr_frags, from_sh->frags,
	       from_sh->nr_frags * sizeof(skb_frag_t));
	to_sh->nr_frags = (uint8_t)(to_sh->nr_frags + from_sh->nr_frags);
	if (cloned_nocheck(from)) {
		for (i = 0; i < from_sh->nr_frags; i++)
			get_page(from_sh->frags[i].page);
	} else {
		from_sh->nr_frags = 0;
	}
	*delta_truesize = (int)(from->truesize - SKB_TRUESIZE(from->end));
	to->truesize += (uint32_t)*delta_truesize;
	to->len += len;
	to->data_len += len;
	return 1;
}
