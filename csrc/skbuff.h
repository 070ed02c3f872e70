/*
 * skbuff.h - the public interface of the skb engine.
 *
 * This header is the single source of truth for the Python binding:
 * build_ffi.py feeds it to cffi's cdef after turning every object-like
 * "#define NAME value" into "#define NAME ..." and every array bound into
 * "[...]", so the compiler supplies the values and they cannot drift.
 * It must therefore stay inside the subset cffi parses: no function-like
 * macros, no inline functions, no conditional compilation besides the guard.
 *
 * Geometry (the kernel's 64-bit layout, NET_SKBUFF_DATA_USES_OFFSET):
 *
 *   head          data                tail            end
 *    |  headroom   |   linear data     |   tailroom    | skb_shared_info |
 *
 * head and data are pointers; tail and end are offsets from head; the shared
 * info lives at head + end in the same allocation as the data.  Header
 * positions (mac, network, transport and the inner three) are u16 offsets
 * from head, so they survive reallocation of the head.  mac_header and
 * transport_header use 0xFFFF for "unset"; network_header and the inner
 * offsets have no unset marker (0 after allocation), as in the kernel.
 *
 * dataref in the shared info counts the skbs that use the head: the low
 * 16 bits count every reference, the high 16 bits count the references
 * that promised not to touch the header area (taken by skb_header_release).
 *
 * Error convention: no function aborts.  Functions returning int or int64_t
 * return a negative SKB_E* code on misuse and leave every skb unchanged;
 * where the kernel would BUG() or panic the code names what it caught.
 * Functions returning a pointer return NULL and store the code in *err.
 *
 * Byte order: protocol, vlan_proto and inner_protocol hold host-order
 * ethertypes (0x0800, not htons(0x0800)); packet bytes are network order.
 */
#ifndef SKB_SKBUFF_H
#define SKB_SKBUFF_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever this interface changes; the Python package checks it. */
#define SKB_ENGINE_ABI 1

/*
 * The emulated machine: x86-64 with 64-byte cache lines, 4 KiB pages and a
 * distribution-like configuration (LL_MAX_HEADER 128, MAX_HEADER 176).
 * Struct sizes are the kernel's, not ours: truesize accounting charges what
 * the kernel would charge.
 */
#define SMP_CACHE_BYTES 64
#define PAGE_SHIFT 12
#define PAGE_SIZE 4096
#define MAX_PAGE_ORDER 10
#define MAX_SKB_FRAGS 17
#define NET_SKB_PAD 64
#define NET_IP_ALIGN 0
#define SKB_STRUCT_SIZE 256
#define SKB_SHINFO_SIZE 320
#define MAX_HEADER 176
#define MAX_TCP_HEADER 320
#define GRO_MAX_HEAD 304
#define SKB_SMALL_HEAD_CACHE_SIZE 704
#define SKB_SMALL_HEAD_HEADROOM 384
#define KMALLOC_MAX_CACHE_SIZE 8192
#define KMALLOC_MAX_SIZE 4194304
#define SKB_MAX_ALLOC 16064

#define SKB_DATAREF_SHIFT 16
#define SKB_DATAREF_MASK 65535
#define GSO_BY_FRAGS 65535
#define SKB_HEADER_UNSET 65535

#define SKB_FCLONE_UNAVAILABLE 0
#define SKB_FCLONE_ORIG 1
#define SKB_FCLONE_CLONE 2

#define CHECKSUM_NONE 0
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_COMPLETE 2
#define CHECKSUM_PARTIAL 3

/* Results and errors. */
#define SKB_OK 0
#define SKB_WARN 1
#define SKB_ENOMEM (-12)
#define SKB_EFAULT (-14)
#define SKB_EINVAL (-22)
#define SKB_ENULL (-1000)
#define SKB_EOVERPANIC (-1001)
#define SKB_EUNDERPANIC (-1002)
#define SKB_EFREED (-1003)
#define SKB_ESHARED_WRITE (-1004)
#define SKB_ENOREF (-1005)
#define SKB_EBUG_NONLINEAR (-1101)
#define SKB_EBUG_PULL (-1102)
#define SKB_EBUG_SHARED (-1103)
#define SKB_EBUG_NEGATIVE (-1104)
#define SKB_EBUG_HEADER (-1105)
#define SKB_EBUG_DATAREF (-1106)
#define SKB_EBUG_USERS (-1107)
#define SKB_EBUG_HDR_RELEASE (-1108)
#define SKB_EBUG_SHRINK (-1109)

/* Emulator bookkeeping states of a struct sk_buff. */
#define SKB_STATE_FREED 0
#define SKB_STATE_LIVE 1

/*
 * Packed view results for the binding (skbpy_*): start and end offsets from
 * head in the low 48 bits, flags above.  REMAP means the Python side's cached
 * mapping of the head is stale or has the wrong mode; RO means the region is
 * shared with another skb and must be mapped read-only.
 */
#define SKBPY_OFF_BITS 24
#define SKBPY_OFF_MASK 16777215
#define SKBPY_REMAP 281474976710656
#define SKBPY_RO 562949953421312

/* Ownership transitions reported to the binding after a reference moves. */
#define SKBPY_DIED 1
#define SKBPY_BORROWED 2
#define SKBPY_OWNED 4

struct page;
struct sk_buff;

typedef struct skb_frag {
	struct page *page;
	uint32_t len;
	uint32_t offset;
} skb_frag_t;

struct skb_shared_info {
	uint8_t flags;
	uint8_t meta_len;
	uint8_t nr_frags;
	uint8_t tx_flags;
	uint16_t gso_size;
	uint16_t gso_segs;
	struct sk_buff *frag_list;
	uint32_t gso_type;
	uint32_t tskey;
	uint32_t dataref;
	skb_frag_t frags[MAX_SKB_FRAGS];
};

struct sk_buff {
	struct sk_buff *next;
	struct sk_buff *prev;
	unsigned char *head;
	unsigned char *data;
	uint32_t tail;
	uint32_t end;
	uint32_t len;
	uint32_t data_len;
	uint32_t truesize;
	uint32_t users;
	uint16_t mac_len;
	uint16_t hdr_len;
	uint16_t queue_mapping;
	uint8_t cloned;
	uint8_t nohdr;
	uint8_t fclone;
	uint8_t head_frag;
	/* the kernel's "headers" group, copied by __copy_skb_header */
	uint8_t pkt_type;
	uint8_t ip_summed;
	uint8_t csum_level;
	uint8_t encapsulation;
	uint8_t inner_protocol_type;
	uint8_t l4_hash;
	uint8_t sw_hash;
	uint8_t csum_valid;
	union {
		uint32_t csum;
		struct {
			uint16_t csum_start;
			uint16_t csum_offset;
		};
	};
	uint32_t priority;
	uint32_t mark;
	uint32_t hash;
	uint16_t vlan_proto;
	uint16_t vlan_tci;
	uint16_t inner_protocol;
	uint16_t protocol;
	uint16_t inner_transport_header;
	uint16_t inner_network_header;
	uint16_t inner_mac_header;
	uint16_t transport_header;
	uint16_t network_header;
	uint16_t mac_header;
	uint8_t cb[48];
	/*
	 * Emulator bookkeeping, not part of the kernel's struct.  state tells
	 * a live skb from one the kernel freed while a Python wrapper still
	 * pinned its memory; py_refs counts the references Python code holds;
	 * py_head/py_ro describe the Python wrapper's cached view of the head;
	 * hdr_set records which header offsets were set explicitly (the
	 * checker orders only those).
	 */
	uint8_t state;
	uint8_t py_pin;
	uint8_t py_ro;
	uint8_t hdr_set;
	uint32_t py_refs;
	const unsigned char *py_head;
};

/* Allocation counters for leak checks. */
struct skb_counters {
	int64_t live_skbs;
	int64_t live_heads;
	int64_t head_bytes;
	int64_t live_pages;
	int64_t page_bytes;
	int64_t zombie_skbs;
	int64_t zombie_heads;
	int64_t zombie_pages;
	int64_t raw_blocks;
};

void skb_get_counters(struct skb_counters *out);
void skb_fail_nth_alloc(int64_t n);

/* Allocation and free. */
struct sk_buff *alloc_skb(unsigned int size, int *err);
struct sk_buff *alloc_skb_fclone(unsigned int size, int *err);
int kfree_skb(struct sk_buff *skb);
int consume_skb(struct sk_buff *skb);

/* Geometry. */
unsigned int skb_headroom(const struct sk_buff *skb);
unsigned int skb_tailroom(const struct sk_buff *skb);
unsigned int skb_headlen(const struct sk_buff *skb);
unsigned int skb_end_offset(const struct sk_buff *skb);
unsigned int skb_data_offset(const struct sk_buff *skb);
unsigned int skb_dataref(const struct sk_buff *skb);
int skb_fclone_ref(const struct sk_buff *skb);
struct skb_shared_info *skb_shinfo(const struct sk_buff *skb);

/* Linear operations; results are offsets from head. */
int skb_reserve(struct sk_buff *skb, int len);
int64_t skb_put(struct sk_buff *skb, unsigned int len);
int64_t skb_push(struct sk_buff *skb, unsigned int len);
int64_t skb_pull(struct sk_buff *skb, unsigned int len);
int skb_trim(struct sk_buff *skb, unsigned int len);
int pskb_trim(struct sk_buff *skb, unsigned int len);

/* Header offsets. */
int skb_reset_mac_header(struct sk_buff *skb);
int skb_reset_network_header(struct sk_buff *skb);
int skb_reset_transport_header(struct sk_buff *skb);
int skb_reset_inner_mac_header(struct sk_buff *skb);
int skb_reset_inner_network_header(struct sk_buff *skb);
int skb_reset_inner_transport_header(struct sk_buff *skb);
int skb_set_mac_header(struct sk_buff *skb, int offset);
int skb_set_network_header(struct sk_buff *skb, int offset);
int skb_set_transport_header(struct sk_buff *skb, int offset);
int skb_set_inner_mac_header(struct sk_buff *skb, int offset);
int skb_set_inner_network_header(struct sk_buff *skb, int offset);
int skb_set_inner_transport_header(struct sk_buff *skb, int offset);
int skb_reset_inner_headers(struct sk_buff *skb);
int skb_reset_mac_len(struct sk_buff *skb);

/* Sharing. */
int skb_get(struct sk_buff *skb);
struct sk_buff *skb_clone(struct sk_buff *skb, int *err);
int skb_cloned(const struct sk_buff *skb);
int skb_header_cloned(const struct sk_buff *skb);
int skb_shared(const struct sk_buff *skb);
int skb_header_release(struct sk_buff *skb);

/* Copies. */
struct sk_buff *skb_copy(struct sk_buff *skb, int *err);
struct sk_buff *pskb_copy(struct sk_buff *skb, int *err);
struct sk_buff *skb_realloc_headroom(struct sk_buff *skb, unsigned int headroom, int *err);
int pskb_expand_head(struct sk_buff *skb, int nhead, int ntail);
int skb_cow(struct sk_buff *skb, unsigned int headroom);
int skb_cow_head(struct sk_buff *skb, unsigned int headroom);
struct sk_buff *skb_unshare(struct sk_buff *skb, int *err);
struct sk_buff *skb_share_check(struct sk_buff *skb, int *err);

/* The invariant checker: 0 when sound, else SKB_EINVAL and a reason in buf. */
int skb_check(const struct sk_buff *skb, char *buf, size_t size);

/*
 * The binding's side of lifetimes (pyglue.c).  A Python wrapper pins the
 * struct it refers to, so the memory outlives a kernel-side free while the
 * wrapper exists; views pin the head block they map.  py_refs follows the
 * references Python code takes and gives away.  Functions returning a new
 * skb hand its reference to Python (py_refs = 1, pinned).  For unshare and
 * share_check, *st receives the transition of the original skb (SKBPY_*
 * bits) or a negative code when nothing was done.
 */
void skbpy_pin(struct sk_buff *skb);
int skbpy_release(struct sk_buff *skb);
int skbpy_kfree(struct sk_buff *skb, int consume);
int skbpy_get(struct sk_buff *skb);
struct sk_buff *skbpy_alloc_skb(unsigned int size, int fclone, int *err);
struct sk_buff *skbpy_clone(struct sk_buff *skb, int *err);
struct sk_buff *skbpy_copy(struct sk_buff *skb, int *err);
struct sk_buff *skbpy_pskb_copy(struct sk_buff *skb, int *err);
struct sk_buff *skbpy_realloc_headroom(struct sk_buff *skb, unsigned int headroom, int *err);
struct sk_buff *skbpy_unshare(struct sk_buff *skb, int *st);
struct sk_buff *skbpy_share_check(struct sk_buff *skb, int *st);
unsigned char *skbpy_map(struct sk_buff *skb, int ro);
void skbpy_unmap(unsigned char *head);
int64_t skbpy_data(struct sk_buff *skb);
int64_t skbpy_put(struct sk_buff *skb, unsigned int len);
int64_t skbpy_push(struct sk_buff *skb, unsigned int len);
int64_t skbpy_pull(struct sk_buff *skb, unsigned int len);
int64_t skbpy_put_data(struct sk_buff *skb, const char *buf, unsigned int len);

#endif /* SKB_SKBUFF_H */
