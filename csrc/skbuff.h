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
#define SKB_MAX_FRAG_LIST_DEPTH 8

/* gso_type bits (skb_shared_info.gso_type), the kernel's values. */
#define SKB_GSO_TCPV4 1
#define SKB_GSO_DODGY 2
#define SKB_GSO_TCP_ECN 4
#define SKB_GSO_TCP_FIXEDID 8
#define SKB_GSO_TCPV6 16
#define SKB_GSO_FCOE 32
#define SKB_GSO_GRE 64
#define SKB_GSO_GRE_CSUM 128
#define SKB_GSO_IPXIP4 256
#define SKB_GSO_IPXIP6 512
#define SKB_GSO_UDP_TUNNEL 1024
#define SKB_GSO_UDP_TUNNEL_CSUM 2048
#define SKB_GSO_PARTIAL 4096
#define SKB_GSO_TUNNEL_REMCSUM 8192
#define SKB_GSO_SCTP 16384
#define SKB_GSO_ESP 32768
#define SKB_GSO_UDP 65536
#define SKB_GSO_UDP_L4 131072
#define SKB_GSO_FRAGLIST 262144

#define SKB_FCLONE_UNAVAILABLE 0
#define SKB_FCLONE_ORIG 1
#define SKB_FCLONE_CLONE 2

#define CHECKSUM_NONE 0
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_COMPLETE 2
#define CHECKSUM_PARTIAL 3

/*
 * Device features (netdev_features_t bits, the kernel's positions).  Each
 * NETIF_F_GSO_* bit is the SKB_GSO_* bit shifted by NETIF_F_GSO_SHIFT.
 */
#define NETIF_F_SG 1
#define NETIF_F_IP_CSUM 2
#define NETIF_F_HW_CSUM 8
#define NETIF_F_IPV6_CSUM 16
#define NETIF_F_HIGHDMA 32
#define NETIF_F_FRAGLIST 64
#define NETIF_F_HW_VLAN_CTAG_TX 128
#define NETIF_F_GSO 2048
#define NETIF_F_GSO_SHIFT 16
#define NETIF_F_TSO 65536
#define NETIF_F_GSO_ROBUST 131072
#define NETIF_F_TSO_ECN 262144
#define NETIF_F_TSO_MANGLEID 524288
#define NETIF_F_TSO6 1048576
#define NETIF_F_GSO_GRE 4194304
#define NETIF_F_GSO_GRE_CSUM 8388608
#define NETIF_F_GSO_IPXIP4 16777216
#define NETIF_F_GSO_IPXIP6 33554432
#define NETIF_F_GSO_UDP_TUNNEL 67108864
#define NETIF_F_GSO_UDP_TUNNEL_CSUM 134217728
#define NETIF_F_GSO_PARTIAL 268435456
#define NETIF_F_GSO_TUNNEL_REMCSUM 536870912
#define NETIF_F_GSO_SCTP 1073741824
#define NETIF_F_GSO_ESP 2147483648
#define NETIF_F_GSO_UDP 4294967296
#define NETIF_F_GSO_UDP_L4 8589934592
#define NETIF_F_GSO_FRAGLIST 17179869184
#define NETIF_F_RXCSUM 1099511627776

/* Results and errors. */
#define SKB_OK 0
#define SKB_WARN 1
#define SKB_ENOMEM (-12)
#define SKB_EFAULT (-14)
#define SKB_EINVAL (-22)
#define SKB_E2BIG (-7)
#define SKB_EMSGSIZE (-90)
#define SKB_EPROTONOSUPPORT (-93)
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
#define SKB_EBUG_FRAGS (-1110)
#define SKB_EBUG_FRAG_RANGE (-1111)
#define SKB_EBUG_ON_LIST (-1112)
#define SKB_EBUG_DEPTH (-1113)
#define SKB_EBUG_INCONSISTENT (-1114)
#define SKB_EBUG_LEN (-1115)
#define SKB_EBUG_ARGS (-1116)
#define SKB_EBUG_SEGMENT (-1117)
#define SKB_EBUG_CSUM_OFFSET (-1118)

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
#define SKBPY_DONE 8

struct sk_buff;

/*
 * A tunnel's outer headers, built once (Open vSwitch's header template):
 * skb_tnl_push copies hdr[0..len) in front of each packet and fills the
 * per-packet fields.  l3_off is the outer IPv4/IPv6 header, l4_off the
 * UDP or GRE header; seq_off (from l4_off, 0 for none) the GRE sequence
 * number.  ip_id and seq are the next values to use.  sport_min/max bound
 * the UDP source port (the local port range when max <= min).  gso_type is
 * OR-ed into GSO packets (SKB_GSO_UDP_TUNNEL, SKB_GSO_GRE, ...).
 */
#define SKB_TNL_MAX_HLEN 128
#define SKB_TNL_IPV6 1
#define SKB_TNL_UDP 2
#define SKB_TNL_GRE 4
#define SKB_TNL_CSUM 8
#define SKB_TNL_ECN 16
#define SKB_TNL_DF_INHERIT 32

struct skb_tnl_template {
	uint8_t hdr[SKB_TNL_MAX_HLEN];
	uint16_t len;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t seq_off;
	uint16_t inner_protocol;
	uint16_t ip_id;
	uint16_t sport_min;
	uint16_t sport_max;
	uint32_t seq;
	uint32_t gso_type;
	uint32_t flags;
};

/*
 * An emulated page: a refcounted block of PAGE_SIZE << order bytes.  Each
 * frag descriptor that names the page holds one reference; so may Python.
 */
struct page {
	unsigned char *addr;
	uint32_t refcount;
	uint32_t order;
	/* emulator bookkeeping, as in struct sk_buff */
	uint32_t py_refs;
	uint32_t py_maps;
	uint8_t py_pin;
	uint8_t state;
	uint32_t check_refs;
	struct page *live_next;
	struct page *live_prev;
};

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
	uint8_t encap_hdr_csum;
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
	 * a live skb from one the kernel freed while Python still pins its
	 * memory (py_pins: its handle, a segment list); py_pending marks a
	 * segment whose handle is not created yet; py_refs counts the
	 * references Python code holds;
	 * py_head/py_ro describe the Python wrapper's cached view of the head;
	 * hdr_set records which header offsets were set explicitly (the
	 * checker orders only those); on_list marks an skb that was linked into
	 * a frag_list chain, whose next pointer the chain now owns.
	 */
	uint8_t state;
	uint8_t py_ro;
	uint8_t hdr_set;
	uint8_t on_list;
	uint8_t py_pending;
	uint32_t py_pins;
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
int kfree_skb_reason(struct sk_buff *skb, unsigned int reason);

/*
 * Drop reasons, numbered as the kernel's enum skb_drop_reason (~v6.19):
 * 0 is SKB_NOT_DROPPED_YET, 1 SKB_CONSUMED, 2 NOT_SPECIFIED.  The engine
 * counts the skbs actually freed per reason (the kfree_skb tracepoint).
 */
#define SKB_NOT_DROPPED_YET 0
#define SKB_CONSUMED 1
#define SKB_DROP_REASON_NOT_SPECIFIED 2
#define SKB_DROP_REASON_PKT_TOO_SMALL 9
#define SKB_DROP_REASON_OTHERHOST 13
#define SKB_DROP_REASON_IP_CSUM 14
#define SKB_DROP_REASON_IP_INHDR 15
#define SKB_DROP_REASON_DUP_FRAG 92
#define SKB_DROP_REASON_FRAG_REASM_TIMEOUT 93
#define SKB_DROP_REASON_FRAG_TOO_FAR 94
#define SKB_DROP_REASON_MAX 126
void skb_get_drop_counts(uint64_t *out, unsigned int n);

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

/* Pages. */
struct page *alloc_pages(unsigned int order, int *err);
int get_page(struct page *page);
int put_page(struct page *page);

/* Nonlinear data: frags, frag_list and the walkers over them. */
int skb_fill_page_desc(struct sk_buff *skb, int i, struct page *page,
		       unsigned int off, unsigned int size);
int skb_add_rx_frag(struct sk_buff *skb, int i, struct page *page,
		    unsigned int off, unsigned int size, unsigned int truesize);
int skb_can_coalesce(const struct sk_buff *skb, int i, const struct page *page,
		     unsigned int off);
int skb_coalesce_rx_frag(struct sk_buff *skb, int i, unsigned int size,
			 unsigned int truesize);
int skb_frag_list_append(struct sk_buff *skb, struct sk_buff *member);
int skb_frag_list_prepend(struct sk_buff *skb, struct sk_buff *member);
int pskb_may_pull(struct sk_buff *skb, unsigned int len);
int pskb_pull_tail(struct sk_buff *skb, unsigned int delta);
int skb_linearize(struct sk_buff *skb);
int skb_copy_bits(const struct sk_buff *skb, int offset, void *to, unsigned int len);
int skb_copy_bits_check(const struct sk_buff *skb, int offset, unsigned int len);
int skb_store_bits(struct sk_buff *skb, int offset, const void *from, unsigned int len);
int skb_split(struct sk_buff *skb, struct sk_buff *skb1, unsigned int len);
int skb_try_coalesce(struct sk_buff *to, struct sk_buff *from, int *delta_truesize);
int64_t skb_checksum(const struct sk_buff *skb, int offset, unsigned int len, uint32_t csum);

/* Internet checksums, the generic lib/checksum.c semantics. */
uint32_t csum_partial(const void *buf, unsigned int len, uint32_t csum);
uint32_t csum_add(uint32_t csum, uint32_t addend);
uint32_t csum_sub(uint32_t csum, uint32_t addend);
uint32_t csum_block_add(uint32_t csum, uint32_t csum2, int offset);
uint16_t csum_fold(uint32_t csum);
uint32_t csum_tcpudp_nofold(const uint8_t *saddr, const uint8_t *daddr, uint32_t len,
			    uint8_t proto, uint32_t csum);
uint16_t csum_tcpudp_magic(const uint8_t *saddr, const uint8_t *daddr, uint32_t len,
			   uint8_t proto, uint32_t csum);
uint16_t ip_fast_csum(const void *iph, unsigned int ihl);
uint16_t csum_ipv6_magic(const uint8_t *saddr, const uint8_t *daddr, uint32_t len,
			 uint8_t proto, uint32_t csum);

/* Flow hash and offload helpers (flow.c, offload.c), tunnel templates (tunnel.c). */
uint32_t jhash(const void *key, uint32_t length, uint32_t initval);
/* The flow hash's seed: fixed, where the kernel picks one per boot. */
#define SKB_FLOW_HASH_SEED 1592614637
int64_t skb_get_hash(struct sk_buff *skb);
int64_t udp_flow_src_port(struct sk_buff *skb, int min, int max, int use_eth);
int skb_ensure_writable(struct sk_buff *skb, unsigned int write_len);
int skb_checksum_help(struct sk_buff *skb);
int64_t lco_csum(const struct sk_buff *skb);
int iptunnel_handle_offloads(struct sk_buff *skb, uint32_t gso_type);
int skb_tnl_template_check(const struct skb_tnl_template *t);
int skb_tnl_push(struct sk_buff *skb, struct skb_tnl_template *t);
int skb_tnl_push_burst(struct sk_buff **skbs, int n, struct skb_tnl_template *t,
		       int *results);

/* GSO: skb_segment and the protocol stack above it (segment.c, gso.c). */
struct sk_buff *skb_gso_segment(struct sk_buff *skb, uint64_t features, int *err);
int skb_gso_reset(struct sk_buff *skb);
int skb_gso_validate_network_len(const struct sk_buff *skb, unsigned int mtu);
int skb_gso_validate_mac_len(const struct sk_buff *skb, unsigned int len);

/*
 * IPv4 fragmentation (ip_fragment.c) and reassembly (ip_defrag.c).  The
 * IPv4 control block (IPCB) lives in cb as in the kernel: flags (u16,
 * IPSKB_*) at IPCB_FLAGS, frag_max_size (u16) at IPCB_FRAG_MAX_SIZE.
 */
#define IPV4_MIN_MTU 68
#define IPSKB_FRAG_COMPLETE 8
#define IPSKB_FRAG_PMTU 64
#define IPCB_FLAGS 20
#define IPCB_FRAG_MAX_SIZE 22
#define IPQ_SIZE 200
#define IP_DEFRAG_QUEUED 0
#define IP_DEFRAG_DONE 1
#define IP_DEFRAG_DROPPED 2

int ip_fragment(struct sk_buff *skb, unsigned int mtu, unsigned int ll_rs, int ignore_df,
		struct sk_buff **frags);

/* The sysctls of reassembly; timeout in the unit of the clock passed in. */
struct ip_frag_params {
	int64_t high_thresh;
	int64_t low_thresh;
	uint64_t timeout;
	uint32_t max_dist;
};

/* IPSTATS_MIB_REASM* and the memory the queues hold (bytes of truesize). */
struct ip_frag_stats {
	uint64_t reasm_reqds;
	uint64_t reasm_oks;
	uint64_t reasm_fails;
	uint64_t reasm_timeout;
	uint64_t reasm_overlaps;
	int64_t mem;
	uint32_t queues;
};

/* A datagram given up by its timer; time_exceeded: the kernel sends ICMP. */
struct ip_frag_expired {
	uint8_t saddr[4];
	uint8_t daddr[4];
	uint16_t id;
	uint8_t protocol;
	uint8_t time_exceeded;
};

struct ip_frag_dir;
struct ip_frag_dir *ip_frag_dir_create(const struct ip_frag_params *p, int *err);
void ip_frag_dir_destroy(struct ip_frag_dir *d);
int ip_frag_dir_set_params(struct ip_frag_dir *d, const struct ip_frag_params *p);
void ip_frag_dir_get(const struct ip_frag_dir *d, struct ip_frag_params *p,
		     struct ip_frag_stats *s);
int ip_defrag(struct ip_frag_dir *d, struct sk_buff *skb, uint64_t now, struct sk_buff **out,
	      unsigned int *reason);
int ip_frag_expire(struct ip_frag_dir *d, uint64_t now, struct ip_frag_expired *out,
		   unsigned int max);

/* The invariant checkers: 0 when sound, else SKB_EINVAL and a reason in buf. */
int skb_check(const struct sk_buff *skb, char *buf, size_t size);
int skb_check_pages(char *buf, size_t size);

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
int skbpy_kfree(struct sk_buff *skb, unsigned int reason);
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
int64_t skbpy_put_zero(struct sk_buff *skb, unsigned int len);
int64_t skbpy_linear(struct sk_buff *skb, int offset, unsigned int len);
struct page *skbpy_alloc_page(unsigned int order, int *err);
void skbpy_page_pin(struct page *page);
int skbpy_page_release(struct page *page);
int skbpy_page_get(struct page *page);
int skbpy_page_put(struct page *page);
unsigned char *skbpy_page_map(struct page *page);
void skbpy_page_unmap(unsigned char *addr);
int skbpy_fill_page_desc(struct sk_buff *skb, int i, struct page *page,
			 unsigned int off, unsigned int size);
int skbpy_add_rx_frag(struct sk_buff *skb, int i, struct page *page,
		      unsigned int off, unsigned int size, unsigned int truesize);
struct page *skbpy_frag_ref(struct sk_buff *skb, int i, int *st);
int skbpy_frag_unref(struct sk_buff *skb, int i);
int skbpy_frag_list_add(struct sk_buff *skb, struct sk_buff *member, int at_end);
int skbpy_try_coalesce(struct sk_buff *to, struct sk_buff *from, int *delta);
int skbpy_segment(struct sk_buff *skb, uint64_t features, int gso, struct sk_buff ***out);
int skbpy_segs_release(struct sk_buff **segs, int n);
void skbpy_claim(struct sk_buff *skb);
void skbpy_claim_pinned(struct sk_buff *skb);
int skbpy_ip_fragment(struct sk_buff *skb, unsigned int mtu, unsigned int ll_rs, int ignore_df,
		      struct sk_buff ***out, int *st, int *reused);

/* What skbpy_ip_defrag reports beside its IP_DEFRAG_* result. */
struct skbpy_defrag_result {
	struct sk_buff *skb;
	unsigned int reason;
	int st;
};
int skbpy_ip_defrag(struct ip_frag_dir *d, struct sk_buff *skb, uint64_t now,
		    struct skbpy_defrag_result *r);

#endif /* SKB_SKBUFF_H */
