/*
 * ip_defrag.c - IPv4 reassembly (net/ipv4/ip_fragment.c, inet_fragment.c,
 * ip_input.c's ip_rcv_core for the checks a fragment passes first).
 *
 * A struct ip_frag_dir is the kernel's per-namespace fqdir: the queues of
 * incomplete datagrams, keyed by (saddr, daddr, id, protocol), the memory
 * they hold (truesize of every queued fragment plus sizeof(struct ipq))
 * against high_thresh, their timers, and the inet_peer "rid" counters that
 * ipfrag_max_dist uses to spot queues left behind.  Time is the caller's:
 * every entry point takes `now`, in the same unit as the timeout, and runs
 * the timers that are due first, as the kernel's would have fired.
 *
 * A queue holds its fragments in offset order, linked by next, after
 * pulling the IP header off each (it stays in the headroom).  As in the
 * kernel, fragments that arrived back to back form "runs": a fragment that
 * lies inside a run is a duplicate (only it is dropped), one that overlaps
 * anything else kills the whole queue (RFC 5722).  The per-fragment state
 * lives in cb after the IPv4 control block, where the kernel keeps
 * FRAG_CB: whether the fragment starts a run, the run's length, its offset.
 *
 * When the last piece arrives, the fragment just received becomes the
 * head (skb_morph onto the offset-0 fragment) and every other fragment is
 * chained on its frag_list: one skb whose head holds the IP header and the
 * first payload, whose members hold the later payloads.
 */
#include "ip.h"

#define IPQ_HASH_SIZE 1024
#define PEER_HASH_SIZE 256

/* inet_frag_queue.flags */
#define INET_FRAG_FIRST_IN 1
#define INET_FRAG_LAST_IN 2

/* FRAG_CB: cb bytes after IPCB (the kernel's next_frag slot holds the run flag). */
#define FRAG_CB_RUN_HEAD 24
#define FRAG_CB_RUN_LEN 32
#define FRAG_CB_OFFSET 36

/* inet_frag_queue_insert's verdicts */
#define IPFRAG_OK 0
#define IPFRAG_DUP 1
#define IPFRAG_OVERLAP 2

/* ipq.ecn bits: one per ECN codepoint seen (ip4_frag_ecn) */
#define IPFRAG_ECN_NOT_ECT 0x01
#define IPFRAG_ECN_ECT_1 0x02
#define IPFRAG_ECN_ECT_0 0x04
#define IPFRAG_ECN_CE 0x08
#define INET_ECN_CE 3
#define ECN_DROP 0xFF

#define PACKET_OTHERHOST 3

/* One source address's fragment counter (struct inet_peer's rid). */
struct inet_peer {
	struct inet_peer *next;
	uint8_t saddr[4];
	unsigned int rid;
	unsigned int refcnt;
};

/* struct ipq: one incomplete datagram. */
struct ipq {
	struct ipq *hnext;
	struct ipq *tprev;
	struct ipq *tnext;
	struct inet_peer *peer;
	struct sk_buff *fragments;
	struct sk_buff *fragments_tail;
	struct sk_buff *last_run_head;
	uint64_t expires;
	int len;
	int meat;
	unsigned int rid;
	uint16_t max_size;
	uint16_t max_df_size;
	uint8_t saddr[4];
	uint8_t daddr[4];
	uint16_t id;
	uint8_t protocol;
	uint8_t flags;
	uint8_t ecn;
	uint8_t complete;	/* INET_FRAG_COMPLETE: killed, out of the hash */
	uint8_t drop;		/* INET_FRAG_DROP: free as dropped, not consumed */
};

struct ip_frag_dir {
	struct ip_frag_params params;
	struct ip_frag_stats stats;
	uint64_t now;
	struct ipq *timers;	/* by expiry, earliest first */
	struct ipq *timers_tail;
	struct ipq *hash[IPQ_HASH_SIZE];
	struct inet_peer *peers[PEER_HASH_SIZE];
};

/* RFC 3168 section 5.3: the ECN bits of the fragments' OR, 0xFF to drop. */
static const uint8_t ip_frag_ecn_table[16] = {
	[IPFRAG_ECN_CE | IPFRAG_ECN_ECT_0] = INET_ECN_CE,
	[IPFRAG_ECN_CE | IPFRAG_ECN_ECT_1] = INET_ECN_CE,
	[IPFRAG_ECN_CE | IPFRAG_ECN_ECT_0 | IPFRAG_ECN_ECT_1] = INET_ECN_CE,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_CE] = ECN_DROP,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_ECT_0] = ECN_DROP,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_ECT_1] = ECN_DROP,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_ECT_0 | IPFRAG_ECN_ECT_1] = ECN_DROP,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_CE | IPFRAG_ECN_ECT_0] = ECN_DROP,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_CE | IPFRAG_ECN_ECT_1] = ECN_DROP,
	[IPFRAG_ECN_NOT_ECT | IPFRAG_ECN_CE | IPFRAG_ECN_ECT_0 | IPFRAG_ECN_ECT_1] = ECN_DROP,
};

/* ---------------------------------------------------------------------
 * FRAG_CB
 */

static int32_t cb_get32(const struct sk_buff *skb, unsigned int off)
{
	int32_t v;

	memcpy(&v, skb->cb + off, sizeof(v));
	return v;
}

static void cb_set32(struct sk_buff *skb, unsigned int off, int32_t v)
{
	memcpy(skb->cb + off, &v, sizeof(v));
}

static int frag_offset(const struct sk_buff *skb)
{
	return cb_get32(skb, FRAG_CB_OFFSET);
}

static int frag_end(const struct sk_buff *skb)
{
	return frag_offset(skb) + (int)skb->len;
}

static bool run_head(const struct sk_buff *skb)
{
	return skb->cb[FRAG_CB_RUN_HEAD];
}

/* fragcb_clear: a fragment starts as a run of its own length. */
static void fragcb_clear(struct sk_buff *skb, bool head)
{
	skb->cb[FRAG_CB_RUN_HEAD] = head;
	cb_set32(skb, FRAG_CB_RUN_LEN, (int32_t)skb->len);
}

/* ---------------------------------------------------------------------
 * Peers (inet_getpeer_v4 / inet_putpeer), timers, the hash
 */

static unsigned int peer_hash(const uint8_t *saddr)
{
	return jhash(saddr, 4, 0) & (PEER_HASH_SIZE - 1);
}

/* The peer of @saddr, created on first use; NULL when out of memory. */
static struct inet_peer *inet_getpeer(struct ip_frag_dir *d, const uint8_t *saddr)
{
	struct inet_peer **pp = &d->peers[peer_hash(saddr)], *p;

	for (p = *pp; p; p = p->next) {
		if (!memcmp(p->saddr, saddr, 4)) {
			p->refcnt++;
			return p;
		}
	}
	p = skb_zalloc(sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->saddr, saddr, 4);
	p->refcnt = 1;
	p->next = *pp;
	*pp = p;
	return p;
}

/*
 * The kernel keeps a peer until its garbage collector finds it idle; only
 * differences of rid matter (a new queue starts from its first fragment),
 * so a peer can go with its last queue.
 */
static void inet_putpeer(struct ip_frag_dir *d, struct inet_peer *peer)
{
	struct inet_peer **pp;

	if (!peer || --peer->refcnt)
		return;
	for (pp = &d->peers[peer_hash(peer->saddr)]; *pp != peer; pp = &(*pp)->next)
		;
	*pp = peer->next;
	skb_mfree(peer);
}

static void timer_unlink(struct ip_frag_dir *d, struct ipq *q)
{
	if (q->tprev)
		q->tprev->tnext = q->tnext;
	else
		d->timers = q->tnext;
	if (q->tnext)
		q->tnext->tprev = q->tprev;
	else
		d->timers_tail = q->tprev;
	q->tprev = q->tnext = NULL;
}

/* mod_timer: (re)arm the queue's timer at now + timeout, keeping the list sorted. */
static void mod_timer(struct ip_frag_dir *d, struct ipq *q)
{
	struct ipq *after = d->timers_tail;

	q->expires = d->now + d->params.timeout;
	while (after && after->expires > q->expires)
		after = after->tprev;
	q->tprev = after;
	q->tnext = after ? after->tnext : d->timers;
	if (q->tnext)
		q->tnext->tprev = q;
	else
		d->timers_tail = q;
	if (after)
		after->tnext = q;
	else
		d->timers = q;
}

static unsigned int ipq_hash(const uint8_t *saddr, const uint8_t *daddr, uint16_t id,
			     uint8_t protocol)
{
	uint8_t key[12];

	memcpy(key, saddr, 4);
	memcpy(key + 4, daddr, 4);
	memcpy(key + 8, &id, 2);
	key[10] = protocol;
	key[11] = 0;
	return jhash(key, sizeof(key), 0) & (IPQ_HASH_SIZE - 1);
}

static struct ipq **ipq_slot(struct ip_frag_dir *d, const struct ipq *q)
{
	return &d->hash[ipq_hash(q->saddr, q->daddr, q->id, q->protocol)];
}

/* ---------------------------------------------------------------------
 * Queue lifetime: find or create, kill, destroy
 */

/* inet_frag_create: a queue for the datagram of @iph, its timer armed. */
static struct ipq *inet_frag_create(struct ip_frag_dir *d, const unsigned char *iph)
{
	struct ipq *q = skb_zalloc(sizeof(*q));

	if (!q)
		return NULL;
	memcpy(q->saddr, iph + IPH_SADDR, 4);
	memcpy(q->daddr, iph + IPH_DADDR, 4);
	q->id = load16(iph + IPH_ID);
	q->protocol = iph[IPH_PROTOCOL];
	if (d->params.max_dist)
		q->peer = inet_getpeer(d, q->saddr);
	d->stats.mem += IPQ_SIZE;
	d->stats.queues++;
	mod_timer(d, q);
	q->hnext = *ipq_slot(d, q);
	*ipq_slot(d, q) = q;
	return q;
}

/*
 * ip_find / inet_frag_find: the queue of this datagram, made if new.  Over
 * high_thresh nothing is found, not even existing queues: every fragment
 * is refused until timers give memory back (low_thresh has had no effect
 * since Linux 4.17).
 */
static struct ipq *ip_find(struct ip_frag_dir *d, const unsigned char *iph)
{
	uint16_t id = load16(iph + IPH_ID);
	struct ipq *q;

	if (!d->params.high_thresh || d->stats.mem > d->params.high_thresh)
		return NULL;
	q = d->hash[ipq_hash(iph + IPH_SADDR, iph + IPH_DADDR, id, iph[IPH_PROTOCOL])];
	for (; q; q = q->hnext) {
		if (!memcmp(q->saddr, iph + IPH_SADDR, 4) && !memcmp(q->daddr, iph + IPH_DADDR, 4) &&
		    q->id == id && q->protocol == iph[IPH_PROTOCOL])
			return q;
	}
	return inet_frag_create(d, iph);
}

/* inet_frag_kill: out of the hash and off the timer list; no new fragments. */
static void inet_frag_kill(struct ip_frag_dir *d, struct ipq *q)
{
	struct ipq **pp;

	if (q->complete)
		return;
	for (pp = ipq_slot(d, q); *pp != q; pp = &(*pp)->hnext)
		;
	*pp = q->hnext;
	timer_unlink(d, q);
	q->complete = 1;
}

/* inet_frag_rbtree_purge: free the queued fragments; returns their truesize. */
static int64_t inet_frag_purge(struct ipq *q, unsigned int reason)
{
	struct sk_buff *skb = q->fragments, *next;
	int64_t sum = 0;

	for (; skb; skb = next) {
		next = skb->next;
		skb->next = NULL;
		sum += skb->truesize;
		kfree_skb_reason(skb, reason);
	}
	q->fragments = q->fragments_tail = q->last_run_head = NULL;
	return sum;
}

/*
 * inet_frag_destroy: the killed queue goes with what it still holds -
 * freed as dropped after a timeout (INET_FRAG_DROP), as consumed otherwise
 * (the kernel frees the fragments of a queue discarded for an overlap or
 * a failed reassembly as consumed too).
 */
static void inet_frag_destroy(struct ip_frag_dir *d, struct ipq *q)
{
	unsigned int reason = q->drop ? SKB_DROP_REASON_FRAG_REASM_TIMEOUT : SKB_CONSUMED;

	inet_frag_kill(d, q);
	d->stats.mem -= inet_frag_purge(q, reason) + IPQ_SIZE;
	d->stats.queues--;
	inet_putpeer(d, q->peer);
	skb_mfree(q);
}

/* inet_frag_pull_head: take the offset-0 fragment out of a dying queue. */
static struct sk_buff *inet_frag_pull_head(struct ip_frag_dir *d, struct ipq *q)
{
	struct sk_buff *head = q->fragments;

	if (!head)
		return NULL;
	q->fragments = head->next;
	if (q->fragments_tail == head)
		q->fragments_tail = NULL;
	head->next = NULL;
	d->stats.mem -= head->truesize;
	return head;
}

/*
 * ip_expire: the queue's timer fired.  It is dropped; when the first
 * fragment had arrived the kernel sends ICMP "time exceeded, fragment
 * reassembly" with it (returned as true).
 */
static bool ip_expire(struct ip_frag_dir *d, struct ipq *q)
{
	bool first_in = q->flags & INET_FRAG_FIRST_IN;

	q->drop = 1;
	inet_frag_kill(d, q);
	d->stats.reasm_fails++;
	d->stats.reasm_timeout++;
	if (first_in)
		kfree_skb_reason(inet_frag_pull_head(d, q), SKB_DROP_REASON_FRAG_REASM_TIMEOUT);
	inet_frag_destroy(d, q);
	return first_in;
}

/* Run the timers due at @now, reporting up to @max of them into @out. */
static unsigned int run_timers(struct ip_frag_dir *d, uint64_t now,
			       struct ip_frag_expired *out, unsigned int max)
{
	unsigned int n = 0;

	d->now = now;
	while (d->timers && d->timers->expires <= now && (!out || n < max)) {
		struct ipq *q = d->timers;
		struct ip_frag_expired e;

		memcpy(e.saddr, q->saddr, 4);
		memcpy(e.daddr, q->daddr, 4);
		e.id = get_be16((const unsigned char *)&q->id);
		e.protocol = q->protocol;
		e.time_exceeded = ip_expire(d, q);
		if (out)
			out[n] = e;
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------------
 * Queueing a fragment
 */

/*
 * ip_frag_too_far: more than max_dist fragments from this source reached
 * other queues since this one last grew - its missing pieces are likely
 * lost.
 */
static bool ip_frag_too_far(struct ip_frag_dir *d, struct ipq *q)
{
	unsigned int start, end;

	if (!q->peer || !d->params.max_dist)
		return false;
	start = q->rid;
	end = ++q->peer->rid;
	q->rid = end;
	if (q->fragments_tail && end - start > d->params.max_dist) {
		d->stats.reasm_fails++;
		return true;
	}
	return false;
}

/*
 * ip_frag_reinit: start the queue over - its fragments dropped, its timer
 * re-armed.  max_size and max_df_size survive, as in the kernel.
 */
static void ip_frag_reinit(struct ip_frag_dir *d, struct ipq *q)
{
	timer_unlink(d, q);
	mod_timer(d, q);
	d->stats.mem -= inet_frag_purge(q, SKB_DROP_REASON_FRAG_TOO_FAR);
	q->flags = 0;
	q->len = 0;
	q->meat = 0;
	q->ecn = 0;
}

/* fragrun_create: @skb starts a run after @prev (NULL: at the front). */
static void fragrun_insert(struct ipq *q, struct sk_buff *prev, struct sk_buff *skb)
{
	fragcb_clear(skb, true);
	skb->next = prev ? prev->next : q->fragments;
	if (prev)
		prev->next = skb;
	else
		q->fragments = skb;
}

/* fragrun_append_to_last: @skb continues the last run. */
static void fragrun_append_to_last(struct ipq *q, struct sk_buff *skb)
{
	struct sk_buff *head = q->last_run_head;

	fragcb_clear(skb, false);
	cb_set32(head, FRAG_CB_RUN_LEN, cb_get32(head, FRAG_CB_RUN_LEN) + (int32_t)skb->len);
	skb->next = NULL;
	q->fragments_tail->next = skb;
	q->fragments_tail = skb;
}

/* The last fragment of the run that starts at @run. */
static struct sk_buff *run_last(struct sk_buff *run)
{
	while (run->next && !run_head(run->next))
		run = run->next;
	return run;
}

/*
 * The kernel's binary search over the runs, as a walk: a fragment before
 * every later run and after every earlier one becomes a run of its own;
 * one inside a run is a duplicate; anything else overlaps.
 */
static int insert_before_tail(struct ipq *q, struct sk_buff *skb, int offset, int end)
{
	struct sk_buff *prev = NULL, *run;

	for (run = q->fragments; run; run = prev->next) {
		int start = frag_offset(run), stop = start + cb_get32(run, FRAG_CB_RUN_LEN);

		if (end <= start)
			break;
		if (offset < stop)
			return offset >= start && end <= stop ? IPFRAG_DUP : IPFRAG_OVERLAP;
		prev = run_last(run);
	}
	fragrun_insert(q, prev, skb);
	return IPFRAG_OK;
}

/*
 * inet_frag_queue_insert: place @skb ([offset, end) of the datagram).  The
 * common case appends at the end: it continues the last run when it
 * starts where the last fragment ends.
 */
static int inet_frag_queue_insert(struct ipq *q, struct sk_buff *skb, int offset, int end)
{
	struct sk_buff *last = q->fragments_tail;
	int ret = IPFRAG_OK;

	if (!last) {
		fragrun_insert(q, NULL, skb);
		q->fragments_tail = q->last_run_head = skb;
	} else if (frag_end(last) < end) {
		if (offset < frag_end(last))
			return IPFRAG_OVERLAP;
		if (offset == frag_end(last)) {
			fragrun_append_to_last(q, skb);
		} else {
			fragrun_insert(q, last, skb);
			q->fragments_tail = q->last_run_head = skb;
		}
	} else {
		ret = insert_before_tail(q, skb, offset, end);
		if (ret)
			return ret;
	}
	cb_set32(skb, FRAG_CB_OFFSET, offset);
	skb->on_list = 1;
	return IPFRAG_OK;
}

/* csum_block_sub: take csum2 (summed at @offset) out of csum. */
static uint32_t csum_block_sub(uint32_t csum, uint32_t csum2, int offset)
{
	return csum_block_add(csum, ~csum2, offset);
}

/*
 * pskb_trim_rcsum: trim to @len keeping a CHECKSUM_COMPLETE sum right;
 * a CHECKSUM_PARTIAL checksum field must stay in the linear part.
 */
static int pskb_trim_rcsum(struct sk_buff *skb, unsigned int len)
{
	if (skb->len <= len)
		return SKB_OK;
	if (skb->ip_summed == CHECKSUM_COMPLETE) {
		int64_t sum = skb_checksum(skb, (int)len, skb->len - len, 0);

		if (sum < 0)
			return (int)sum;
		skb->csum = csum_block_sub(skb->csum, (uint32_t)sum, (int)len);
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		int64_t hdlen = len > headlen(skb) ? headlen(skb) : len;
		int64_t offset = (int64_t)skb->csum_start - data_off(skb) + skb->csum_offset;

		if (offset < 0 || offset + 2 > hdlen)
			return SKB_EINVAL;
	}
	return pskb_trim(skb, len);
}

/* ---------------------------------------------------------------------
 * Reassembly
 */

/* Replace @old by @new in the queue's list (same place, same run role). */
static void replace_fragment(struct ipq *q, struct sk_buff *old, struct sk_buff *new)
{
	struct sk_buff **pp;

	for (pp = &q->fragments; *pp != old; pp = &(*pp)->next)
		;
	new->next = old->next;
	*pp = new;
	old->next = NULL;
	if (q->fragments_tail == old)
		q->fragments_tail = new;
	if (q->last_run_head == old)
		q->last_run_head = new;
}

/*
 * inet_frag_reasm_prepare: make @skb, the fragment just queued, the head.
 * Unless it is the offset-0 fragment, a clone of it takes its place and it
 * is morphed into the offset-0 fragment, which is then consumed.  The head
 * is made private; a frag_list of its own moves under an empty holder skb
 * so the datagram's frag_list stays one level deep.  Returns where the
 * next member goes, NULL when memory ran out.
 */
static struct sk_buff **inet_frag_reasm_prepare(struct ip_frag_dir *d, struct ipq *q,
						struct sk_buff *skb)
{
	struct sk_buff *head = q->fragments, *fp, *holder;
	int err = SKB_OK;
	int64_t delta;
	uint32_t plen = 0;
	int i;

	if (head != skb) {
		if ((shinfo(head)->dataref & SKB_DATAREF_MASK) == SKB_DATAREF_MASK)
			return NULL;
		fp = skb_clone(skb, &err);
		if (!fp)
			return NULL;
		replace_fragment(q, skb, fp);
		skb_morph(skb, head);
		replace_fragment(q, head, skb);
		consume_skb(head);
		head = skb;
	}
	delta = -(int64_t)head->truesize;
	if (cloned_nocheck(head) && pskb_expand_head(head, 0, 0))
		return NULL;
	delta += head->truesize;
	d->stats.mem += delta;
	if (!skb_has_frag_list(head))
		return &shinfo(head)->frag_list;

	holder = alloc_skb(0, &err);
	if (!holder)
		return NULL;
	shinfo(holder)->frag_list = shinfo(head)->frag_list;
	shinfo(head)->frag_list = NULL;
	for (i = 0; i < shinfo(head)->nr_frags; i++)
		plen += shinfo(head)->frags[i].len;
	holder->data_len = head->data_len - plen;
	holder->len = holder->data_len;
	head->truesize += holder->truesize;
	holder->csum = 0;
	holder->ip_summed = head->ip_summed;
	holder->on_list = 1;
	d->stats.mem += holder->truesize;
	shinfo(head)->frag_list = holder;
	return &holder->next;
}

/*
 * inet_frag_reasm_finish: push the head back to its IP header and chain
 * every other fragment, in offset order, behind @nextp.  A checksum state
 * that differs from the head's turns the datagram's into CHECKSUM_NONE;
 * CHECKSUM_COMPLETE sums add up.
 */
static void inet_frag_reasm_finish(struct ip_frag_dir *d, struct ipq *q, struct sk_buff *head,
				   struct sk_buff **nextp)
{
	uint32_t pulled = data_off(head) - head->network_header;
	struct sk_buff *fp = head->next, *next;
	int64_t sum_truesize = head->truesize;

	head->data -= pulled;
	head->len += pulled;
	for (; fp; fp = next) {
		next = fp->next;
		sum_truesize += fp->truesize;
		if (head->ip_summed != fp->ip_summed)
			head->ip_summed = CHECKSUM_NONE;
		else if (head->ip_summed == CHECKSUM_COMPLETE)
			head->csum = csum_add(head->csum, fp->csum);
		fp->prev = NULL;
		head->data_len += fp->len;
		head->len += fp->len;
		head->truesize += fp->truesize;
		*nextp = fp;
		nextp = &fp->next;
	}
	*nextp = NULL;
	d->stats.mem -= sum_truesize;
	head->next = NULL;
	head->prev = NULL;
	head->on_list = 0;
	q->fragments = q->fragments_tail = q->last_run_head = NULL;
}

/*
 * ip_frag_reasm: build the datagram around @skb.  The header gets the
 * total length, the fragments' ECN, DF when the largest fragment carried
 * it (then IPSKB_FRAG_PMTU too, so the output path re-fragments to the
 * original sizes), and a new checksum; IPCB frag_max_size records the
 * largest fragment.  Fails on an invalid ECN mix (SKB_EINVAL), memory
 * (SKB_ENOMEM), or a datagram past 65535 bytes (SKB_E2BIG).
 */
static int ip_frag_reasm(struct ip_frag_dir *d, struct ipq *q, struct sk_buff *skb)
{
	uint8_t ecn = ip_frag_ecn_table[q->ecn];
	struct sk_buff **nextp;
	unsigned char *iph;
	int64_t len;
	int err;

	inet_frag_kill(d, q);
	err = SKB_EINVAL;
	if (ecn == ECN_DROP)
		goto fail;
	err = SKB_ENOMEM;
	nextp = inet_frag_reasm_prepare(d, q, skb);
	if (!nextp)
		goto fail;
	len = (int64_t)ip_hdrlen(ip_hdr(skb)) + q->len;
	err = SKB_E2BIG;
	if (len > IP_MAX_LEN)
		goto fail;
	inet_frag_reasm_finish(d, q, skb, nextp);

	ipcb_set(skb, IPCB_FRAG_MAX_SIZE, q->max_df_size > q->max_size ? q->max_df_size :
		 q->max_size);
	iph = ip_hdr(skb);
	put_be16(iph + IPH_TOT_LEN, (uint16_t)len);
	iph[IPH_TOS] |= ecn;
	if (q->max_df_size == q->max_size) {
		ipcb_set(skb, IPCB_FLAGS, ipcb_get(skb, IPCB_FLAGS) | IPSKB_FRAG_PMTU);
		put_be16(iph + IPH_FRAG_OFF, IP_DF);
	} else {
		put_be16(iph + IPH_FRAG_OFF, 0);
	}
	ip_send_check(iph);
	d->stats.reasm_oks++;
	return SKB_OK;
fail:
	d->stats.reasm_fails++;
	return err;
}

/* ip4_frag_ecn: the ECN codepoint of @tos as one bit. */
static uint8_t ip4_frag_ecn(uint8_t tos)
{
	return (uint8_t)(1u << (tos & 3));
}

/*
 * The length rules of ip_frag_queue for a fragment covering [offset, *end):
 * the last fragment fixes the datagram's length, which nothing may pass
 * and no other last fragment may change; a non-last fragment is cut to a
 * multiple of 8 (its checksum state then no longer covers it).  Returns
 * false when the datagram must be discarded.
 */
static bool ip_frag_bounds(struct ipq *q, struct sk_buff *skb, int offset, int *end, bool more)
{
	if (!more) {
		if (*end < q->len || ((q->flags & INET_FRAG_LAST_IN) && *end != q->len))
			return false;
		q->flags |= INET_FRAG_LAST_IN;
		q->len = *end;
	} else {
		if (*end & 7) {
			*end &= ~7;
			if (skb->ip_summed != CHECKSUM_UNNECESSARY)
				skb->ip_summed = CHECKSUM_NONE;
		}
		if (*end > q->len) {
			if (q->flags & INET_FRAG_LAST_IN)
				return false;
			q->len = *end;
		}
	}
	return *end != offset;
}

/* Charge a queued fragment to its datagram: bytes, ECN, memory, sizes seen. */
static void ip_frag_account(struct ip_frag_dir *d, struct ipq *q, const struct sk_buff *skb,
			    int offset, unsigned int ihl, uint8_t ecn)
{
	unsigned int fragsize = skb->len + ihl;

	q->meat += (int)skb->len;
	q->ecn |= ecn;
	d->stats.mem += skb->truesize;
	if (offset == 0)
		q->flags |= INET_FRAG_FIRST_IN;
	if (fragsize > q->max_size)
		q->max_size = (uint16_t)fragsize;
	if ((get_be16(ip_hdr(skb) + IPH_FRAG_OFF) & IP_DF) && fragsize > q->max_df_size)
		q->max_df_size = (uint16_t)fragsize;
}

/*
 * ip_frag_queue: add @skb to its queue and reassemble when it is complete.
 * Returns IP_DEFRAG_QUEUED, IP_DEFRAG_DONE (@skb is the datagram) or
 * IP_DEFRAG_DROPPED with *reason.  Inconsistent lengths (bytes past a
 * known end, a second different end, an empty fragment) and overlaps kill
 * the whole queue; a duplicate is dropped alone.
 */
static int ip_frag_queue(struct ip_frag_dir *d, struct ipq *q, struct sk_buff *skb,
			 unsigned int *reason)
{
	unsigned int netoff = skb->network_header - data_off(skb);
	const unsigned char *iph = ip_hdr(skb);
	unsigned int ihl = ip_hdrlen(iph);
	uint16_t frag_off = get_be16(iph + IPH_FRAG_OFF);
	int offset = (frag_off & IP_OFFSET) << 3, end, ret;
	uint8_t ecn = ip4_frag_ecn(iph[IPH_TOS]);

	*reason = SKB_DROP_REASON_NOT_SPECIFIED;
	if (ip_frag_too_far(d, q))
		ip_frag_reinit(d, q);
	end = offset + (int)(skb->len - netoff - ihl);
	if (!ip_frag_bounds(q, skb, offset, &end, frag_off & IP_MF))
		goto discard_qp;
	if (pskb_may_pull(skb, netoff + ihl) != 1 || skb_pull(skb, netoff + ihl) < 0)
		goto discard_qp;
	if (pskb_trim_rcsum(skb, (unsigned int)(end - offset)))
		goto discard_qp;

	ret = inet_frag_queue_insert(q, skb, offset, end);
	if (ret == IPFRAG_DUP) {
		*reason = SKB_DROP_REASON_DUP_FRAG;
		kfree_skb_reason(skb, *reason);
		return IP_DEFRAG_DROPPED;
	}
	if (ret == IPFRAG_OVERLAP) {
		d->stats.reasm_overlaps++;
		goto discard_qp;
	}
	ip_frag_account(d, q, skb, offset, ihl, ecn);
	if (q->flags != (INET_FRAG_FIRST_IN | INET_FRAG_LAST_IN) || q->meat != q->len)
		return IP_DEFRAG_QUEUED;

	ret = ip_frag_reasm(d, q, skb);
	inet_frag_destroy(d, q);
	if (ret) {
		*reason = SKB_CONSUMED;
		return IP_DEFRAG_DROPPED;
	}
	return IP_DEFRAG_DONE;

discard_qp:
	inet_frag_kill(d, q);
	d->stats.reasm_fails++;
	kfree_skb_reason(skb, *reason);
	inet_frag_destroy(d, q);
	return IP_DEFRAG_DROPPED;
}

/* ---------------------------------------------------------------------
 * The receive checks (ip_rcv_core)
 */

/*
 * What ip_rcv_core does before a fragment reaches ip_defrag: packets for
 * other hosts are dropped; a shared skb is replaced by a clone; the IPv4
 * header (options included) is made linear and checked - version, length,
 * checksum, total length against the bytes present; link-layer padding
 * is trimmed (pskb_trim_rcsum); the transport header is set and the IPv4
 * control block cleared.  Returns the skb to go on with, or NULL after
 * freeing it with *reason.
 */
static struct sk_buff *ip_rcv_core(struct sk_buff *skb, unsigned int netoff,
				   unsigned int *reason)
{
	const unsigned char *iph;
	unsigned int ihl, len;
	int err = SKB_OK;

	*reason = SKB_DROP_REASON_OTHERHOST;
	if (skb->pkt_type == PACKET_OTHERHOST)
		goto drop;
	if (skb->users != 1) {
		skb = skb_share_check(skb, &err);
		if (!skb) {
			*reason = SKB_DROP_REASON_NOT_SPECIFIED;
			return NULL;
		}
	}
	*reason = SKB_DROP_REASON_IP_INHDR;
	if (pskb_may_pull(skb, netoff + IPH_LEN) != 1)
		goto drop;
	iph = ip_hdr(skb);
	ihl = ip_hdrlen(iph);
	if (ihl < IPH_LEN || (iph[0] >> 4) != 4 || pskb_may_pull(skb, netoff + ihl) != 1)
		goto drop;
	iph = ip_hdr(skb);
	*reason = SKB_DROP_REASON_IP_CSUM;
	if (ip_fast_csum(iph, ihl / 4))
		goto drop;
	len = get_be16(iph + IPH_TOT_LEN);
	*reason = SKB_DROP_REASON_PKT_TOO_SMALL;
	if (skb->len - netoff < len)
		goto drop;
	*reason = SKB_DROP_REASON_IP_INHDR;
	if (len < ihl)
		goto drop;
	*reason = SKB_DROP_REASON_NOT_SPECIFIED;
	if (pskb_trim_rcsum(skb, netoff + len))
		goto drop;
	skb_set_transport_header(skb, (int)(netoff + ihl));
	memset(skb->cb, 0, IPCB_SIZE);
	return skb;
drop:
	kfree_skb_reason(skb, *reason);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Entry points
 */

static int params_check(const struct ip_frag_params *p)
{
	if (p->high_thresh < 0 || p->low_thresh < 0 || p->low_thresh > p->high_thresh ||
	    p->max_dist > INT32_MAX)
		return SKB_EINVAL;
	return SKB_OK;
}

/**
 * ip_frag_dir_create - an empty set of reassembly queues
 * @p: limits and timeout (ipfrag_high_thresh, _low_thresh, _time, _max_dist)
 * @err: receives SKB_EINVAL for inconsistent limits, SKB_ENOMEM
 */
struct ip_frag_dir *ip_frag_dir_create(const struct ip_frag_params *p, int *err)
{
	struct ip_frag_dir *d;

	*err = params_check(p);
	if (*err)
		return NULL;
	d = skb_zalloc(sizeof(*d));
	if (!d) {
		*err = SKB_ENOMEM;
		return NULL;
	}
	d->params = *p;
	return d;
}

/**
 * ip_frag_dir_destroy - free every pending fragment and the queues
 * @d: the queues; invalid afterwards
 *
 * As when a network namespace goes (fqdir_pre_exit): pending fragments are
 * freed as FRAG_REASM_TIMEOUT drops.
 */
void ip_frag_dir_destroy(struct ip_frag_dir *d)
{
	while (d->timers) {
		d->timers->drop = 1;
		inet_frag_destroy(d, d->timers);
	}
	skb_mfree(d);
}

/**
 * ip_frag_dir_set_params - change the limits (the sysctls)
 * @d: the queues
 * @p: the new values; low_thresh may not exceed high_thresh
 *
 * A new timeout applies to queues made from now on, as in the kernel.
 */
int ip_frag_dir_set_params(struct ip_frag_dir *d, const struct ip_frag_params *p)
{
	int err = params_check(p);

	if (!err)
		d->params = *p;
	return err;
}

/**
 * ip_frag_dir_get - read the limits and the counters
 * @d: the queues
 * @p: receives the limits
 * @s: receives the counters (the kernel's IPSTATS_MIB_REASM* and the memory)
 */
void ip_frag_dir_get(const struct ip_frag_dir *d, struct ip_frag_params *p,
		     struct ip_frag_stats *s)
{
	*p = d->params;
	*s = d->stats;
}

/**
 * ip_frag_expire - run the timers due at @now
 * @d: the queues
 * @now: the clock, never less than the last value given
 * @out: receives the expired datagrams
 * @max: room in @out; call again while the result equals it
 *
 * Returns the number of queues expired, or SKB_EINVAL when the clock went
 * backwards.  Their fragments are freed as FRAG_REASM_TIMEOUT drops.
 */
int ip_frag_expire(struct ip_frag_dir *d, uint64_t now, struct ip_frag_expired *out,
		   unsigned int max)
{
	if (now < d->now)
		return SKB_EINVAL;
	return (int)run_timers(d, now, out, max);
}

/* What a fragment must be for ip_defrag to take it, checked before anything changes. */
static int ip_defrag_check(const struct ip_frag_dir *d, const struct sk_buff *skb, uint64_t now)
{
	if (!skb_live(skb))
		return SKB_EFREED;
	if (now < d->now || skb->network_header < data_off(skb))
		return SKB_EINVAL;
	if (!skb_paged_consistent(skb))
		return SKB_EBUG_INCONSISTENT;
	if (frag_list_height(skb, SKB_MAX_FRAG_LIST_DEPTH) + 2 > SKB_MAX_FRAG_LIST_DEPTH)
		return SKB_EBUG_DEPTH;
	return SKB_OK;
}

/**
 * ip_defrag - receive an IPv4 packet that may be a fragment
 * @d: the reassembly queues
 * @skb: the packet, network header set at or after data; its reference is
 *       consumed unless a negative code is returned
 * @now: the clock (timers due by then fire first); never less than before
 * @out: receives the datagram for IP_DEFRAG_DONE
 * @reason: receives the drop reason for IP_DEFRAG_DROPPED
 *
 * The packet first passes ip_rcv_core's checks (drops: OTHERHOST,
 * IP_INHDR, IP_CSUM, PKT_TOO_SMALL).  One that is no fragment comes back
 * as it is (IP_DEFRAG_DONE), trimmed to its total length.  A fragment is
 * queued (IP_DEFRAG_QUEUED) or completes its datagram (IP_DEFRAG_DONE:
 * *@out is @skb itself, or the clone made of a shared @skb, data at the IP
 * header, the other fragments on its frag_list) or is dropped
 * (IP_DEFRAG_DROPPED): DUP_FRAG for a duplicate; NOT_SPECIFIED when the
 * memory is over high_thresh, for inconsistent lengths or an overlap
 * (the queue dies with it, its fragments consumed); CONSUMED when the
 * complete datagram could not be built (ECN mix, memory, over 65535
 * bytes).
 *
 * Refusals, nothing changed: SKB_EFREED, SKB_EINVAL (the clock went
 * backwards, network header before data), SKB_EBUG_INCONSISTENT,
 * SKB_EBUG_DEPTH (a frag_list too deep to nest once more).
 */
int ip_defrag(struct ip_frag_dir *d, struct sk_buff *skb, uint64_t now, struct sk_buff **out,
	      unsigned int *reason)
{
	unsigned int netoff;
	struct ipq *q;
	int ret = ip_defrag_check(d, skb, now);

	if (ret)
		return ret;
	run_timers(d, now, NULL, 0);
	netoff = skb->network_header - data_off(skb);
	skb = ip_rcv_core(skb, netoff, reason);
	if (!skb)
		return IP_DEFRAG_DROPPED;
	skb->next = skb->prev = NULL;
	skb->on_list = 0;
	if (!ip_is_fragment(ip_hdr(skb))) {
		*out = skb;
		return IP_DEFRAG_DONE;
	}
	d->stats.reasm_reqds++;
	q = ip_find(d, ip_hdr(skb));
	if (!q) {
		d->stats.reasm_fails++;
		*reason = SKB_DROP_REASON_NOT_SPECIFIED;
		kfree_skb_reason(skb, *reason);
		return IP_DEFRAG_DROPPED;
	}
	ret = ip_frag_queue(d, q, skb, reason);
	if (ret == IP_DEFRAG_DONE)
		*out = skb;
	return ret;
}
