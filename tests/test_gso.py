"""skb_gso_segment on real packets: Ethernet/IPv4/TCP, IPv6/TCP, UDP
(SKB_GSO_UDP_L4) and legacy UFO super-packets built with scapy, laid out
linear, paged and with frag_lists, segmented with and without checksum
offload; every segment checked byte for byte against what the kernel's
handlers write (inet_gso_segment, tcp4/6_gso_segment, __udp_gso_segment,
udp4_ufo_fragment) and dissected by scapy.  Also: the device-can-do-it
NULL, gso_segs recomputation, the validate helpers, is_gso/gso_reset, the
errors and allocation failures."""

import errno

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import skb
from skb import NETIF_F, SKB_GSO, SkbBug, SkbSegmentError
from skb.testing import check, check_pages, fail_nth_alloc
import gsohelp as gh
from gsohelp import Flow, Layout, Member

SGCSUM = NETIF_F.SG | NETIF_F.HW_CSUM
FEATURES = {
    "sg_hwcsum": SGCSUM,
    "sg_ipcsum": NETIF_F.SG | NETIF_F.IP_CSUM | NETIF_F.IPV6_CSUM,
    "sg": NETIF_F.SG,
    "hwcsum": NETIF_F.HW_CSUM,
    "none": NETIF_F(0),
}
TS = (("NOP", None), ("NOP", None), ("Timestamp", (0x01020304, 0x05060708)))
MANY = (("MSS", 1460), ("SAckOK", b""), ("WScale", 7), ("NOP", None), ("NOP", None),
        ("Timestamp", (1, 2)), ("NOP", None), ("NOP", None), ("SAck", (100, 200)))


def split(n, parts):
    """n bytes in ``parts`` near-equal positive pieces."""
    parts = max(1, min(parts, n))
    q, r = divmod(n, parts)
    return tuple(q + (1 if i < r else 0) for i in range(parts))


def layouts(total, mss):
    """Named layouts of ``total`` payload bytes that are safe for any mss
    (members with linear data start on a segment boundary and cover it)."""
    out = {
        "linear": Layout(head=total),
        "one_page": Layout(head=0, frags=split(total, 3), share_pages=total <= 4096),
        "many_pages": Layout(head=min(total // 5, 200),
                             frags=split(total - min(total // 5, 200),
                                         min(12, -(-total // 1500))), headroom=2),
    }
    # frag_list of MSS-aligned linear members (the GRO shape)
    if total > mss:
        rest = total - mss
        out["frag_list_linear"] = Layout(
            head=mss, members=tuple(Member(x) for x in
                                    [mss] * (rest // mss) + ([rest % mss] if rest % mss else [])))
        out["frag_list_frags"] = Layout(
            head=min(mss // 2, total), frags=(),
            members=tuple(Member(0, split(x, 2)) for x in split(total - min(mss // 2, total), 4)))
        # linear head part, a head frag to the first boundary, then a member
        # with linear data + frag, then frag-only members
        if total >= 2 * mss + 3:
            lin = min(mss // 3, 100)
            m0 = Member(max(1, mss // 2), (mss - max(1, mss // 2),)) if mss > 1 else Member(1)
            rest = total - mss - mss
            out["mixed"] = Layout(head=lin, frags=(mss - lin,) if mss - lin else (),
                                  members=(m0,) + tuple(Member(0, (x,)) for x in split(rest, 3)))
    return out


def run_tcp(flow, payload, layout, mss, features, partial=True, scapy=True):
    gso_type = SKB_GSO.TCPV6 if flow.ipv6 else SKB_GSO.TCPV4
    b = gh.make_gso_skb(flow, payload, layout, mss, gso_type, partial)
    s = b.skb
    hdr_in = gh.headers(flow, len(payload))
    hdr = s.to_bytes()[:len(hdr_in)]        # with the seed when partial
    base = [p.refcount for p in b.pages]
    length = s.len
    headroom = s.headroom
    try:
        plan = gh.plan_segments(layout, mss, bool(features & NETIF_F.SG))
        segs = skb.gso_segment(s, features)
        assert segs is not None
        try:
            assert len(plan) == len(segs)
            gh.verify_tcp(segs, flow, hdr_in, payload, mss, features, b, base, scapy=scapy,
                          sources=[p[4] for p in plan])
            # the path skb_segment took for each segment, as the kernel's cursor says
            hlen = len(hdr_in)
            for (k, seg), (kind, ln, lin, trimmed, src) in zip(enumerate(segs), plan):
                if trimmed and seg.headlen == hlen + ln:
                    lin = ln            # condensed
                assert seg.headlen == hlen + lin, (k, kind, ln, lin)
                if kind == "clone":
                    assert seg.headroom >= headroom
                else:
                    assert seg.headroom == headroom
                if kind == "copy":
                    assert seg.data_len == 0
        finally:
            gh.free_all(segs)
        # the input: back at its mac header, whole, the checksum set up
        g = gh.geometry(flow, hdr_in)
        assert (s.data_offset, s.len) == (s.mac_header, length)
        assert s.network_header == s.mac_header + g.l2len
        assert s.transport_header == s.network_header + g.l3len
        assert s.ip_summed == gh.CHECKSUM_PARTIAL
        assert (s.csum_start, s.csum_offset) == (s.transport_header, 16)
        seed = gh.fold(gh.pseudo(flow, gh.IPPROTO_TCP, g.l4len + len(payload)))
        l4 = g.l2len + g.l3len
        assert s.to_bytes() == hdr[:l4 + 16] + seed.to_bytes(2, "big") + \
            hdr[l4 + 18:] + payload
        assert [p.refcount for p in b.pages] == base
        check(s)
        check_pages()
    finally:
        b.free()


# ---------------------------------------------------------------- TCP over IPv4

TCP4_SHAPES = [(2897, 1448, ()), (4000, 1000, TS), (3001, 536, MANY), (1449, 1448, TS)]


@pytest.mark.parametrize("fname", list(FEATURES))
@pytest.mark.parametrize("total,mss,options,lname", [
    (total, mss, options, lname) for total, mss, options in TCP4_SHAPES
    for lname in layouts(total, mss)])
def test_tcp4(total, mss, options, lname, fname):
    flow = Flow(tcp_options=options, flags="FPAC" if total % 2 else "PA")
    run_tcp(flow, gh.payload_bytes(total, total), layouts(total, mss)[lname], mss,
            FEATURES[fname])


@pytest.mark.parametrize("fname", ["sg_hwcsum", "sg", "none"])
def test_tcp4_64k_paged(fname):
    """The benchmark's packet: 64 KiB in 16 page frags, MSS 1448, 32-byte
    TCP header: 46 segments."""
    layout = Layout(head=0, frags=(4096,) * 16)
    flow = Flow(tcp_options=TS, flags="PA")
    run_tcp(flow, gh.payload_bytes(65536, 9), layout, 1448, FEATURES[fname], scapy=False)


def test_tcp4_flags_and_wrapping_counters():
    """All flags set on the input: FIN and PSH only on the last segment,
    CWR only on the first, the rest (SYN RST ACK URG ECE) on all; the
    sequence number and the IP ID wrap."""
    flow = Flow(flags="FSRPAUEC", seq=0xFFFFF000, ip_id=0xFFFE, urgptr=7)
    run_tcp(flow, gh.payload_bytes(5000), Layout(head=5000), 1000, SGCSUM)
    run_tcp(flow, gh.payload_bytes(5000), Layout(head=5000), 1000, NETIF_F(0))


def test_tcp4_ip_options_and_vlan():
    flow = Flow(ip_options=b"\x01\x01\x01\x00", vlan=42, tcp_options=TS)
    run_tcp(flow, gh.payload_bytes(3333), layouts(3333, 1000)["mixed"], 1000, SGCSUM)
    run_tcp(flow, gh.payload_bytes(3333), layouts(3333, 1000)["many_pages"], 1000,
            NETIF_F.SG)


def test_tcp4_mss_one():
    flow = Flow(flags="FPAC")
    run_tcp(flow, gh.payload_bytes(40), Layout(head=10, frags=(30,)), 1, SGCSUM)
    run_tcp(flow, gh.payload_bytes(40), Layout(head=10, frags=(30,)), 1, NETIF_F(0))


@pytest.mark.parametrize("fname", ["sg_hwcsum", "none"])
def test_tcp4_input_not_partial(fname):
    """CHECKSUM_NONE input: skb_gso_segment cows the head, tcp4_gso_segment
    zeroes th->check and seeds the pseudo-header itself."""
    flow = Flow(tcp_options=TS)
    payload = gh.payload_bytes(3000)
    gso_type = SKB_GSO.TCPV4
    b = gh.make_gso_skb(flow, payload, Layout(head=1000, frags=(2000,)), 1448, gso_type,
                        partial=False)
    s = b.skb
    l4 = 14 + 20
    s.data[l4 + 16:l4 + 18] = b"\xde\xad"     # garbage the handler must overwrite
    base = [p.refcount for p in b.pages]
    segs = skb.gso_segment(s, FEATURES[fname])
    gh.verify_tcp(segs, flow, gh.headers(flow, 3000), payload, 1448, FEATURES[fname], b, base)
    gh.free_all(segs)
    assert s.ip_summed == gh.CHECKSUM_PARTIAL
    b.free()


def test_tcp4_cloned_input_leaves_the_original_alone():
    """A clone as input (CHECKSUM_NONE): the handler's writes to the TCP
    header go to a private copy made by skb_cow_head; the original keeps
    its bytes."""
    flow = Flow()
    payload = gh.payload_bytes(3000)
    b = gh.make_gso_skb(flow, payload, Layout(head=3000), 1000, SKB_GSO.TCPV4, partial=False)
    s = b.skb
    original = s.to_bytes()
    c = s.clone()
    assert c.is_cloned()
    segs = skb.gso_segment(c, SGCSUM)
    gh.verify_tcp(segs, flow, gh.headers(flow, 3000), payload, 1000, SGCSUM)
    gh.free_all(segs)
    assert not c.is_cloned() and not s.is_cloned()
    assert s.to_bytes() == original
    assert c.to_bytes() != original        # c's th->check now holds the seed
    c.kfree()
    b.free()


def test_tcp4_headers_in_frags_are_pulled():
    """Only the Ethernet header is linear: the IPv4 and TCP headers are
    pulled out of the first frag by pskb_may_pull in the handlers."""
    flow = Flow(tcp_options=TS)
    payload = gh.payload_bytes(2500)
    hdr = gh.headers(flow, len(payload))
    s = skb.alloc_skb(14)
    s.put_data(hdr[:14])
    page = skb.alloc_page()
    page.data[:len(hdr) - 14 + 2500] = hdr[14:] + payload
    page.get()
    s.add_rx_frag(0, page, 0, len(hdr) - 14 + 2500, 4096)
    s.reset_mac_header()
    s.set_network_header(14)
    s.protocol, s.gso_size, s.gso_type = 0x0800, 1000, SKB_GSO.TCPV4
    segs = skb.gso_segment(s, SGCSUM)
    gh.verify_tcp(segs, flow, hdr, payload, 1000, SGCSUM)
    assert s.headlen >= len(hdr)
    gh.free_all(segs)
    s.kfree()
    page.put()


# ---------------------------------------------------------------- TCP over IPv6

@pytest.mark.parametrize("fname", ["sg_hwcsum", "sg_ipcsum", "sg", "none"])
@pytest.mark.parametrize("lname", ["linear", "many_pages", "frag_list_linear", "mixed"])
def test_tcp6(lname, fname):
    total, mss = 4321, 1220
    flow = Flow(ipv6=True, tcp_options=TS, flags="FPAC")
    run_tcp(flow, gh.payload_bytes(total, 6), layouts(total, mss)[lname], mss, FEATURES[fname])


@pytest.mark.parametrize("ipv6,features", [
    (True, NETIF_F.SG | NETIF_F.IP_CSUM),       # IPv4-only offload: IPv6 in software
    (False, NETIF_F.SG | NETIF_F.IPV6_CSUM),    # and the other way round
    (True, NETIF_F.IPV6_CSUM),
])
def test_tcp_checksum_offload_is_per_protocol(ipv6, features):
    """can_checksum_protocol: IP_CSUM covers IPv4 only, IPV6_CSUM IPv6 only."""
    total, mss = 3500, 1000
    flow = Flow(ipv6=ipv6, tcp_options=TS)
    run_tcp(flow, gh.payload_bytes(total, 3), layouts(total, mss)["many_pages"], mss, features)


def test_tcp6_with_a_tcpv4_type_is_einval():
    flow = Flow(ipv6=True)
    b = gh.make_gso_skb(flow, gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.TCPV4,
                        partial=True)
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(b.skb, SGCSUM)
    assert e.value.errno == errno.EINVAL
    assert b.skb.data_offset == b.skb.mac_header
    b.free()


# ---------------------------------------------------------------- hypothesis

@st.composite
def safe_layouts(draw, total, mss, sg):
    """Any head / frags / frag_list split of ``total`` bytes that the kernel
    segments without a BUG: members with linear data start on a segment
    boundary, have at most a segment of it and cover the segment (with SG),
    or exactly a segment of it (without SG); at most 17 frags in all."""
    budget = 17
    mode = draw(st.sampled_from(["linear", "paged", "frag_list", "any"]))
    if mode == "linear":
        head = total
    elif mode == "paged":
        head = draw(st.sampled_from([0, None]))
        if head is None:
            head = draw(st.integers(0, total - 1))
    elif mode == "frag_list":                   # members from a segment boundary
        head = mss * draw(st.integers(0, (total - 1) // mss))
    else:
        head = draw(st.integers(0, total))
    rest = total - head
    nfr = draw(st.integers(0, min(5, rest))) if rest and mode != "frag_list" else 0
    if mode == "paged" and rest:
        nfr = max(nfr, 1)
    if nfr:
        in_frags = rest if mode == "paged" else draw(st.integers(nfr, rest))
        cuts = sorted(draw(st.lists(st.integers(1, in_frags - 1), min_size=nfr - 1,
                                    max_size=nfr - 1, unique=True))) if nfr > 1 else []
        frags = tuple(b - a for a, b in zip([0] + cuts, cuts + [in_frags]))
    else:
        in_frags, frags = 0, ()
    budget -= len(frags)
    start = head + in_frags
    members = []
    while start < total:                # invariant: budget >= 1 here
        remaining = total - start
        cover = min(mss, remaining)
        kind = draw(st.sampled_from(["linear", "frags"]))
        if kind == "linear" and start % mss == 0:
            # without SG only a member whose linear part is exactly the
            # segment is cloned; a shorter one would leave the cursor on it
            lin = draw(st.integers(1, cover)) if sg else cover
            if budget >= 2:
                length = draw(st.sampled_from([cover, remaining, None]))
                if length is None:
                    length = draw(st.integers(cover, remaining))
            else:
                length = remaining
            if length > lin:
                members.append(Member(lin, (length - lin,)))
                budget -= 1
            else:
                members.append(Member(lin))
        elif budget == 1:
            length = remaining
            members.append(Member(0, (length,)))
            budget -= 1
        else:
            k = draw(st.integers(1, min(2, remaining, budget - 1)))
            length = draw(st.sampled_from([remaining, None]))
            if length is None:
                length = draw(st.integers(k, remaining))
            members.append(Member(0, split(length, k)))
            budget -= k
        start += length
    layout = Layout(head=head, frags=frags, members=tuple(members),
                    share_pages=draw(st.booleans()), headroom=draw(st.sampled_from([0, 2, 64])))
    assert layout.total == total and layout.nr_frags <= 17
    gh.plan_segments(layout, mss, sg)      # raises Bug: the strategy is wrong
    return layout


OPTIONS = st.sampled_from([(), TS, MANY, (("MSS", 1400),), (("NOP", None),) * 4])


@st.composite
def tcp_cases(draw, ipv6=None):
    mss = draw(st.sampled_from([1, 7, 100, 536, 1000, 1448, 1460, 4000]) | st.integers(1, 3000))
    nseg = draw(st.integers(2, 24 if mss > 50 else 60))
    total = draw(st.integers((nseg - 1) * mss + 1, nseg * mss))
    assume(total <= 60000)
    fname = draw(st.sampled_from(list(FEATURES)))
    features = FEATURES[fname]
    layout = draw(safe_layouts(total, mss, bool(features & NETIF_F.SG)))
    flow = Flow(
        ipv6=draw(st.booleans()) if ipv6 is None else ipv6,
        tcp_options=draw(OPTIONS),
        flags=draw(st.sampled_from(["A", "PA", "FPA", "FPAC", "AEC", "FSRPAUEC"])),
        seq=draw(st.integers(0, 0xFFFFFFFF)),
        ip_id=draw(st.integers(0, 0xFFFF)),
        ip_options=draw(st.sampled_from([b"", b"\x01\x01\x01\x00"])),
        vlan=draw(st.sampled_from([None, None, 7])),
    )
    return flow, total, mss, layout, features, draw(st.booleans()), draw(st.integers(0, 99))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tcp_cases())
def test_tcp_any_layout(case):
    flow, total, mss, layout, features, partial, seed = case
    payload = gh.payload_bytes(total, seed)
    run_tcp(flow, payload, layout, mss, features, partial=partial, scapy=total < 20000)


@st.composite
def any_layouts(draw):
    """Any split at all (members of every kind, anywhere): the kernel either
    segments it or BUGs; plan_segments says which."""
    mss = draw(st.integers(1, 1500))
    total = draw(st.integers(mss + 1, min(12 * mss, 20000)))
    head = draw(st.integers(0, total))
    rest = total - head
    pieces = []
    while rest:
        n = draw(st.integers(1, rest))
        if draw(st.booleans()):            # end the piece on a segment boundary
            end = -(-(total - rest + n) // mss) * mss
            n = min(end - (total - rest), rest) or n
        pieces.append(n)
        rest -= n
        if len(pieces) >= 12:
            pieces[-1] += rest
            rest = 0
    frags, members, budget = [], [], 17
    n_head_frags = draw(st.integers(0, len(pieces)))
    frags = pieces[:n_head_frags][:budget]
    budget -= len(frags)
    for size in pieces[len(frags):]:
        lin = draw(st.integers(0, size))
        if size - lin and budget:
            members.append(Member(lin, (size - lin,)))
            budget -= 1
        else:
            members.append(Member(size))
    if draw(st.booleans()):
        members.insert(draw(st.integers(0, len(members))), Member(0))   # an empty member
    return Layout(head=head, frags=tuple(frags), members=tuple(members)), mss


@settings(max_examples=150, deadline=None)
@given(any_layouts(), st.sampled_from([SGCSUM, NETIF_F.SG, NETIF_F.HW_CSUM, NETIF_F(0)]))
def test_tcp_bug_or_segments_as_the_kernel(case, features):
    """Arbitrary frag_lists through the TCP handler: where the kernel's
    skb_segment would BUG the engine raises SkbBug and frees what it built;
    elsewhere every segment is right."""
    layout, mss = case
    flow = Flow(flags="FPAC")
    payload = gh.payload_bytes(layout.total, mss)
    try:
        gh.plan_segments(layout, mss, bool(features & NETIF_F.SG))
    except gh.Bug:
        b = gh.make_gso_skb(flow, payload, layout, mss, SKB_GSO.TCPV4, True)
        s = b.skb
        before = skb.counters()
        base = [p.refcount for p in b.pages]
        with pytest.raises(SkbBug):
            skb.gso_segment(s, features)
        after = skb.counters()
        assert (after.live_skbs, after.live_heads, after.live_pages) == \
            (before.live_skbs, before.live_heads, before.live_pages)
        assert [p.refcount for p in b.pages] == base
        assert s.data_offset == s.mac_header
        assert s.to_bytes()[gh.geometry(flow, gh.headers(flow, len(payload))).hdr_len:] == \
            payload
        check(s)
        b.free()
        return
    run_tcp(flow, payload, layout, mss, features, scapy=False)


# ---------------------------------------------------------------- UDP: SKB_GSO_UDP_L4

def run_udp_l4(flow, payload, layout, mss, features, partial=True, scapy=True):
    b = gh.make_gso_skb(flow, payload, layout, mss, SKB_GSO.UDP_L4, partial=True)
    s = b.skb
    hdr = gh.headers(flow, len(payload))
    g = gh.geometry(flow, hdr)
    if not partial:
        s.ip_summed = gh.CHECKSUM_NONE      # csum_start still at the UDP header
    length = s.len
    try:
        segs = skb.gso_segment(s, features)
        seeded = bytearray(hdr)
        l4 = g.l2len + g.l3len
        seeded[l4 + 6:l4 + 8] = gh.fold(gh.pseudo(flow, gh.IPPROTO_UDP, 8 + len(payload))) \
            .to_bytes(2, "big")
        try:
            gh.verify_udp_l4(segs, flow, bytes(seeded), payload, mss, features,
                             hw=partial and gh.can_checksum(features, flow), scapy=scapy)
        finally:
            gh.free_all(segs)
        assert (s.data_offset, s.len) == (s.mac_header, length)
        assert s.ip_summed == (gh.CHECKSUM_PARTIAL if partial else gh.CHECKSUM_UNNECESSARY)
        assert s.to_bytes() == bytes(seeded) + payload
        check(s)
    finally:
        b.free()


@pytest.mark.parametrize("fname", list(FEATURES))
@pytest.mark.parametrize("ipv6", [False, True])
@pytest.mark.parametrize("lname", ["linear", "one_page", "many_pages", "frag_list_linear",
                                   "frag_list_frags"])
def test_udp_l4(lname, ipv6, fname):
    total, mss = 3500, 1200
    flow = Flow(ipv6=ipv6, l4="udp")
    run_udp_l4(flow, gh.payload_bytes(total, 4), layouts(total, mss)[lname], mss,
               FEATURES[fname])


@pytest.mark.parametrize("ipv6", [False, True])
def test_udp_l4_input_not_partial_is_checksummed_in_software(ipv6):
    """A CHECKSUM_NONE datagram: the handler strips the checksum features,
    so even a HW_CSUM device gets software checksums; the input is then
    marked CHECKSUM_UNNECESSARY."""
    flow = Flow(ipv6=ipv6, l4="udp")
    run_udp_l4(flow, gh.payload_bytes(2500, 5), Layout(head=500, frags=(2000,)), 1000,
               SGCSUM, partial=False)


def _zero_sum_payload(flow, total, mss, k):
    """A payload whose segment k's UDP checksum comes out as 0."""
    payload = bytearray(gh.payload_bytes(total, 11))
    at = k * mss + 2                    # an even offset inside segment k's payload
    payload[at:at + 2] = b"\0\0"
    plen = min(mss, total - k * mss)
    hdr = gh.headers(flow, total)
    g = gh.geometry(flow, hdr)
    udp = bytearray(hdr[g.l2len + g.l3len:])
    udp[4:6] = (8 + plen).to_bytes(2, "big")
    udp[6:8] = b"\0\0"
    c = gh.inet_csum(bytes(udp) + bytes(payload[k * mss:k * mss + plen]),
                     gh.pseudo(flow, gh.IPPROTO_UDP, 8 + plen))
    payload[at:at + 2] = c.to_bytes(2, "big")
    return bytes(payload)


@pytest.mark.parametrize("ipv6", [False, True])
def test_udp_l4_zero_checksum_is_sent_as_ffff(ipv6):
    flow = Flow(ipv6=ipv6, l4="udp")
    total, mss = 2500, 1000
    payload = _zero_sum_payload(flow, total, mss, 1)
    b = gh.make_gso_skb(flow, payload, Layout(head=total), mss, SKB_GSO.UDP_L4, partial=True)
    segs = skb.gso_segment(b.skb, NETIF_F.SG)
    g = gh.geometry(flow, gh.headers(flow, total))
    frame = segs[1].to_bytes()
    l4 = g.l2len + g.l3len
    assert frame[l4 + 6:l4 + 8] == b"\xff\xff"
    assert gh.fold(gh.sum16(frame[l4:], gh.pseudo(flow, gh.IPPROTO_UDP, 8 + mss))) == 0xFFFF
    gh.scapy_valid(frame, flow, payload[mss:2 * mss])
    assert frame != segs[0].to_bytes()
    gh.free_all(segs)
    b.free()
    # the whole run agrees with verify (which expects 0xFFFF for a 0 sum)
    run_udp_l4(flow, payload, Layout(head=total), mss, NETIF_F.SG)


def test_tcp_zero_checksum_stays_zero():
    """TCP has no CSUM_MANGLED_0: a segment whose sum is 0 carries 0."""
    flow = Flow()
    total, mss = 2500, 1000
    payload = bytearray(gh.payload_bytes(total, 12))
    payload[mss + 2:mss + 4] = b"\0\0"
    hdr = bytearray(gh.headers(flow, total))
    l4 = 34
    hdr[l4 + 4:l4 + 8] = (flow.seq + mss).to_bytes(4, "big")
    hdr[l4 + 13] &= ~(gh.TCP_FIN | gh.TCP_PSH)
    hdr[l4 + 13] &= ~gh.TCP_CWR
    c = gh.inet_csum(bytes(hdr[l4:]) + bytes(payload[mss:2 * mss]),
                     gh.pseudo(flow, gh.IPPROTO_TCP, 20 + mss))
    payload[mss + 2:mss + 4] = c.to_bytes(2, "big")
    payload = bytes(payload)
    b = gh.make_gso_skb(flow, payload, Layout(head=total), mss, SKB_GSO.TCPV4, partial=True)
    segs = skb.gso_segment(b.skb, NETIF_F(0))
    assert segs[1].to_bytes()[l4 + 16:l4 + 18] == b"\0\0"
    gh.verify_tcp(segs, flow, gh.headers(flow, total), payload, mss, NETIF_F(0))
    gh.free_all(segs)
    b.free()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 2000), st.integers(2, 20), st.data())
def test_udp_l4_any_layout(mss, nseg, data):
    total = data.draw(st.integers((nseg - 1) * mss + 1, nseg * mss))
    assume(8 + total <= 0xFFFF)
    features = data.draw(st.sampled_from(list(FEATURES.values())))
    layout = data.draw(safe_layouts(total, mss, bool(features & NETIF_F.SG)))
    flow = Flow(ipv6=data.draw(st.booleans()), l4="udp", ip_id=data.draw(st.integers(0, 0xFFFF)))
    run_udp_l4(flow, gh.payload_bytes(total, nseg), layout, mss, features,
               partial=data.draw(st.booleans()), scapy=total < 8000)


def test_udp_l4_too_short_is_einval():
    """len <= sizeof(udphdr) + mss is refused."""
    flow = Flow(l4="udp")
    b = gh.make_gso_skb(flow, gh.payload_bytes(1000), Layout(head=1000), 1000, SKB_GSO.UDP_L4,
                        partial=True)
    length = b.skb.len
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(b.skb, SGCSUM)
    assert e.value.errno == errno.EINVAL
    assert (b.skb.data_offset, b.skb.len) == (b.skb.mac_header, length)
    b.free()


def test_udp_l4_csum_start_elsewhere_is_einval():
    flow = Flow(l4="udp")
    b = gh.make_gso_skb(flow, gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.UDP_L4,
                        partial=True)
    b.skb.csum_start += 2
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(b.skb, SGCSUM)
    assert e.value.errno == errno.EINVAL
    b.free()


# ---------------------------------------------------------------- UDP: legacy UFO

def run_ufo(flow, payload, layout, mss, features):
    """udp4_ufo_fragment: the whole datagram's checksum in software, then
    IP fragments of mss bytes of the datagram (UDP header in the first
    only); inet_gso_segment writes frag_off/MF, keeps the ID."""
    b = gh.make_gso_skb(flow, payload, layout, mss, SKB_GSO.UDP, partial=False)
    s = b.skb
    hdr = gh.headers(flow, len(payload))
    g = gh.geometry(flow, hdr)
    l3 = g.l2len
    l4 = l3 + g.l3len
    udp = bytearray(hdr[l4:]) + payload
    udp[6:8] = b"\0\0"
    c = gh.inet_csum(bytes(udp), gh.pseudo(flow, gh.IPPROTO_UDP, len(udp))) or 0xFFFF
    udp[6:8] = c.to_bytes(2, "big")
    datagram = bytes(udp)
    base = [p.refcount for p in b.pages]
    segs = skb.gso_segment(s, features)
    n = -(-len(datagram) // mss)
    gh.check_list(segs, n)
    frags = []
    for k, seg in enumerate(segs):
        frame = seg.to_bytes()
        piece = datagram[k * mss:(k + 1) * mss]
        assert seg.len == l4 + len(piece)
        exp = bytearray(hdr[:l4])
        exp[l3 + 2:l3 + 4] = (seg.len - l3).to_bytes(2, "big")
        exp[l3 + 6:l3 + 8] = (((k * mss) >> 3) | (0x2000 if k < n - 1 else 0)).to_bytes(2, "big")
        exp[l3 + 10:l3 + 12] = b"\0\0"
        exp[l3 + 10:l3 + 12] = gh.inet_csum(bytes(exp[l3:l4])).to_bytes(2, "big")
        assert frame[:l4] == bytes(exp), k
        assert frame[l4:] == piece
        # the datagram's checksum is complete: nothing for the device to do
        assert seg.ip_summed == gh.CHECKSUM_UNNECESSARY
        frags.append(frame)
    # scapy reassembles the fragments into the datagram and checks its sum
    from scapy.layers.inet import IP, UDP, defragment
    from scapy.layers.l2 import Ether
    whole = defragment([Ether(f)[IP] for f in frags])
    assert len(whole) == 1
    ip = IP(bytes(whole[0]))
    assert bytes(ip[UDP]) == datagram
    ref = IP(bytes(ip))
    del ref[UDP].chksum
    assert IP(bytes(ref))[UDP].chksum == c
    per_page = gh.frags_per_page(segs)
    assert [p.refcount for p in b.pages] == \
        [r + per_page.get(id(p), 0) for p, r in zip(b.pages, base)]
    gh.free_all(segs)
    assert s.ip_summed == gh.CHECKSUM_UNNECESSARY
    assert s.to_bytes() == hdr[:l4] + datagram
    b.free()
    return datagram


@pytest.mark.parametrize("fname", ["sg_hwcsum", "sg", "none"])
@pytest.mark.parametrize("lname", ["linear", "many_pages", "frag_list_frags"])
def test_ufo(lname, fname):
    total, mss = 3990, 1480
    flow = Flow(l4="udp", ip_id=0x4242)
    run_ufo(flow, gh.payload_bytes(total, 8), _ufo_layout(lname, total), mss, FEATURES[fname])


def _ufo_layout(lname, total):
    if lname == "linear":
        return Layout(head=total)
    if lname == "many_pages":
        return Layout(head=100, frags=split(total - 100, 5))
    return Layout(head=200, members=tuple(Member(0, (x,)) for x in split(total - 200, 3)))


def test_ufo_zero_checksum_is_sent_as_ffff():
    flow = Flow(l4="udp")
    total = 2000
    payload = bytearray(gh.payload_bytes(total, 13))
    payload[10:12] = b"\0\0"
    hdr = gh.headers(flow, total)
    udp = bytearray(hdr[34:])
    c = gh.inet_csum(bytes(udp) + bytes(payload), gh.pseudo(flow, gh.IPPROTO_UDP, 8 + total))
    payload[10:12] = c.to_bytes(2, "big")
    datagram = run_ufo(flow, bytes(payload), Layout(head=total), 800, SGCSUM)
    assert datagram[6:8] == b"\xff\xff"


def test_ufo_datagram_shorter_than_mss_is_einval():
    flow = Flow(l4="udp")
    b = gh.make_gso_skb(flow, gh.payload_bytes(992), Layout(head=992), 1000, SKB_GSO.UDP,
                        partial=False)
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(b.skb, SGCSUM)
    assert e.value.errno == errno.EINVAL
    b.free()


# ---------------------------------------------------------------- the device can do it

@pytest.mark.parametrize("flow,gso_type,tso", [
    (Flow(), SKB_GSO.TCPV4, NETIF_F.TSO),
    (Flow(ipv6=True), SKB_GSO.TCPV6, NETIF_F.TSO6),
    (Flow(l4="udp"), SKB_GSO.UDP_L4, NETIF_F.GSO_UDP_L4),
    (Flow(ipv6=True, l4="udp"), SKB_GSO.UDP_L4, NETIF_F.GSO_UDP_L4),
])
def test_device_segments_itself(flow, gso_type, tso):
    """With the TSO/USO bit the handler returns NULL (None): nothing is
    segmented, only gso_segs is recomputed (the source may be untrusted),
    and the input is back at its mac header."""
    total, mss = 4000, 1000
    payload = gh.payload_bytes(total)
    b = gh.make_gso_skb(flow, payload, Layout(head=1000, frags=(3000,)), mss, gso_type,
                        partial=True)
    s = b.skb
    s.gso_segs = 99
    before = s.to_bytes()
    length, nh = s.len, s.network_header
    live = skb.counters().live_skbs
    assert skb.gso_segment(s, SGCSUM | tso) is None
    assert s.gso_segs == 4
    assert (s.data_offset, s.len, s.network_header) == (s.mac_header, length, nh)
    assert s.to_bytes() == before
    assert skb.counters().live_skbs == live
    check(s)
    b.free()


def test_device_needs_every_gso_type_bit():
    """TCP_ECN needs TSO_ECN and DODGY needs GSO_ROBUST (added by the
    handler itself): TSO alone segments an ECN packet in software."""
    flow = Flow(flags="PAEC")
    payload = gh.payload_bytes(3000)
    b = gh.make_gso_skb(flow, payload, Layout(head=3000), 1000,
                        SKB_GSO.TCPV4 | SKB_GSO.TCP_ECN | SKB_GSO.DODGY, partial=True)
    s = b.skb
    segs = skb.gso_segment(s, SGCSUM | NETIF_F.TSO)
    assert len(segs) == 3
    gh.free_all(segs)
    assert skb.gso_segment(s, SGCSUM | NETIF_F.TSO | NETIF_F.TSO_ECN) is None
    assert s.gso_segs == 3
    b.free()


def test_device_without_fraglist_gets_segments():
    """A frag_list input and no NETIF_F_FRAGLIST: skb_gso_ok fails, the
    packet is segmented in software even with TSO; with FRAGLIST the device
    takes it."""
    total, mss = 3000, 1000
    flow = Flow()
    payload = gh.payload_bytes(total)
    layout = Layout(head=1000, members=(Member(1000), Member(1000)))
    b = gh.make_gso_skb(flow, payload, layout, mss, SKB_GSO.TCPV4, partial=True)
    assert skb.gso_segment(b.skb, SGCSUM | NETIF_F.TSO | NETIF_F.FRAGLIST) is None
    segs = skb.gso_segment(b.skb, SGCSUM | NETIF_F.TSO)
    gh.verify_tcp(segs, flow, gh.headers(flow, total), payload, mss, SGCSUM)
    gh.free_all(segs)
    b.free()


def test_gso_partial_is_dropped_unless_the_device_can_do_the_rest():
    """NETIF_F_GSO_PARTIAL only stays when skb_gso_ok(features |
    GSO_ROBUST): here it does not (no TSO), so plain MSS segments come out."""
    total, mss = 4500, 1000
    flow = Flow()
    payload = gh.payload_bytes(total)
    b = gh.make_gso_skb(flow, payload, Layout(head=500, frags=(4000,)), mss, SKB_GSO.TCPV4,
                        partial=True)
    segs = skb.gso_segment(b.skb, SGCSUM | NETIF_F.GSO_PARTIAL)
    gh.verify_tcp(segs, flow, gh.headers(flow, total), payload, mss, SGCSUM)
    gh.free_all(segs)
    b.free()


def test_frag_list_split_for_a_tso_device_without_fraglist():
    """A GRO train (head payload and frag-only members of 2 MSS each) to a
    TSO device without FRAGLIST: tcp_gso_segment calls skb_segment, which
    cuts it into three GSO skbs of 2 MSS (gso_size 1000, gso_segs 2); TCP
    advances seq by 2000 per skb, IPv4 the ID by gso_segs, and tot_len is
    the skb's (the type has no SKB_GSO_PARTIAL)."""
    flow = Flow(flags="FPAC", seq=5000, ip_id=77)
    mss, total = 1000, 6000
    payload = gh.payload_bytes(total)
    layout = Layout(head=0, frags=(2000,), members=(Member(0, (2000,)), Member(0, (2000,))))
    b = gh.make_gso_skb(flow, payload, layout, mss, SKB_GSO.TCPV4, partial=True)
    segs = skb.gso_segment(b.skb, SGCSUM | NETIF_F.TSO)
    got = [(seg.len, seg.gso_size, seg.gso_segs) for seg in segs]
    frames = [seg.to_bytes() for seg in segs]
    gh.free_all(segs)
    b.free()
    assert got == [(54 + 2000, 1000, 2)] * 3
    for k, frame in enumerate(frames):
        assert int.from_bytes(frame[16:18], "big") == 20 + 20 + 2000       # tot_len
        assert int.from_bytes(frame[18:20], "big") == 77 + 2 * k           # id += gso_segs
        assert int.from_bytes(frame[38:42], "big") == 5000 + 2000 * k      # seq += 2 mss
        assert frame[54:] == payload[2000 * k:2000 * (k + 1)]


# ---------------------------------------------------------------- FIXEDID

def test_fixedid_keeps_the_ip_id():
    flow = Flow(ip_id=4321)
    payload = gh.payload_bytes(3000)
    b = gh.make_gso_skb(flow, payload, Layout(head=3000), 1000,
                        SKB_GSO.TCPV4 | SKB_GSO.TCP_FIXEDID, partial=True)
    segs = skb.gso_segment(b.skb, SGCSUM)
    for seg in segs:
        frame = seg.to_bytes()
        assert int.from_bytes(frame[18:20], "big") == 4321
        assert gh.inet_csum(frame[14:34]) == 0
        gh.scapy_valid(gh.complete_partial(frame, seg), flow, None)
    gh.free_all(segs)
    b.free()


def test_fixedid_without_df_is_refused():
    flow = Flow(df=False)
    b = gh.make_gso_skb(flow, gh.payload_bytes(3000), Layout(head=3000), 1000,
                        SKB_GSO.TCPV4 | SKB_GSO.TCP_FIXEDID, partial=True)
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(b.skb, SGCSUM)
    assert e.value.errno == errno.EPROTONOSUPPORT
    b.free()


# ---------------------------------------------------------------- errors

def _refused(b, features=SGCSUM, code=errno.EINVAL):
    s = b.skb
    length = s.len
    live = skb.counters().live_skbs
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(s, features)
    assert e.value.errno == code
    assert (s.data_offset, s.len) == (s.mac_header, length)
    assert skb.counters().live_skbs == live
    check(s)
    b.free()


def test_tcp_payload_not_longer_than_mss_is_einval():
    _refused(gh.make_gso_skb(Flow(), gh.payload_bytes(1000), Layout(head=1000), 1000,
                             SKB_GSO.TCPV4, partial=True))


def test_tcp_with_a_udp_type_is_einval():
    _refused(gh.make_gso_skb(Flow(), gh.payload_bytes(3000), Layout(head=3000), 1000,
                             SKB_GSO.UDP_L4, partial=True))


def test_udp_with_a_tcp_type_is_einval():
    _refused(gh.make_gso_skb(Flow(l4="udp"), gh.payload_bytes(3000), Layout(head=3000), 1000,
                             SKB_GSO.TCPV4, partial=True))


def test_csum_start_not_at_the_tcp_header_is_einval():
    b = gh.make_gso_skb(Flow(), gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.TCPV4,
                        partial=True)
    b.skb.csum_start += 4
    _refused(b)


def test_tcp_doff_below_five_is_einval():
    b = gh.make_gso_skb(Flow(), gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.TCPV4,
                        partial=True)
    b.skb.data[34 + 12] = 0x40
    _refused(b)


def test_ipv4_ihl_below_five_is_einval():
    b = gh.make_gso_skb(Flow(), gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.TCPV4,
                        partial=True)
    b.skb.data[14] = 0x44
    _refused(b)


def test_unknown_ethertype_is_eprotonosupport():
    b = gh.make_gso_skb(Flow(), gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.TCPV4,
                        partial=True)
    b.skb.protocol = 0x88B5
    _refused(b, code=errno.EPROTONOSUPPORT)


def test_unknown_ip_protocol_is_eprotonosupport():
    b = gh.make_gso_skb(Flow(), gh.payload_bytes(3000), Layout(head=3000), 1000, SKB_GSO.TCPV4,
                        partial=True)
    b.skb.data[14 + 9] = 50    # ESP: no handler here
    _refused(b, code=errno.EPROTONOSUPPORT)


def test_truncated_ip_header_is_einval():
    s = skb.alloc_skb(30)
    s.put_data(gh.headers(Flow(), 0)[:30])
    s.reset_mac_header()
    s.set_network_header(14)
    s.protocol, s.gso_size, s.gso_type = 0x0800, 1000, SKB_GSO.TCPV4
    s.ip_summed = gh.CHECKSUM_PARTIAL
    with pytest.raises(SkbSegmentError) as e:
        skb.gso_segment(s, SGCSUM)
    assert e.value.errno == errno.EINVAL
    assert (s.data_offset, s.len) == (0, 30)
    s.kfree()


@pytest.mark.parametrize("lname,features", [
    ("many_pages", SGCSUM), ("many_pages", NETIF_F(0)), ("frag_list_linear", SGCSUM),
    ("mixed", NETIF_F.SG),
])
def test_every_allocation_failure_is_clean(lname, features):
    """fail_nth_alloc(n) for n = 1, 2, ... until skb_gso_segment succeeds:
    each failure is a MemoryError with no segment left behind, the input
    back at its mac header with its bytes and page references; then the
    right segments."""
    total, mss = 3500, 1000
    flow = Flow(flags="FPAC", tcp_options=TS)
    payload = gh.payload_bytes(total)
    b = gh.make_gso_skb(flow, payload, layouts(total, mss)[lname], mss, SKB_GSO.TCPV4, True)
    s = b.skb
    whole = s.to_bytes()
    base = [p.refcount for p in b.pages]
    c = skb.counters()
    before = (c.live_skbs, c.live_heads, c.live_pages)
    for n in range(1, 200):
        try:
            with fail_nth_alloc(n):
                segs = skb.gso_segment(s, features)
        except MemoryError:
            c = skb.counters()
            assert (c.live_skbs, c.live_heads, c.live_pages) == before, n
            assert s.data_offset == s.mac_header
            assert s.to_bytes() == whole
            assert [p.refcount for p in b.pages] == base
            for m in b.members:
                assert (m.dataref, m.users) == (1, 1)
            check(s)
            check_pages()
            continue
        break
    else:
        pytest.fail("never succeeded")
    assert n >= 3
    gh.verify_tcp(segs, flow, gh.headers(flow, total), payload, mss, features, b, base)
    gh.free_all(segs)
    b.free()


# ---------------------------------------------------------------- metadata helpers

def test_is_gso_and_gso_reset():
    s = skb.alloc_skb(100)
    assert not s.is_gso()
    s.gso_size, s.gso_segs, s.gso_type = 1448, 3, SKB_GSO.TCPV4 | SKB_GSO.DODGY
    assert s.is_gso()
    s.gso_reset()
    assert (s.gso_size, s.gso_segs, s.gso_type, s.is_gso()) == (0, 0, 0, False)
    s.gso_segs = 5                      # segs alone does not make it GSO
    assert not s.is_gso()
    s.kfree()


def _validate_skb(flow, mss, gso_type, total=3000, layout=None):
    payload = gh.payload_bytes(total)
    b = gh.make_gso_skb(flow, payload, layout or Layout(head=total), mss, gso_type, True)
    g = gh.geometry(flow, gh.headers(flow, total))
    b.skb.set_transport_header(g.l2len + g.l3len)
    return b, g


@pytest.mark.parametrize("flow,gso_type", [
    (Flow(tcp_options=TS), SKB_GSO.TCPV4),
    (Flow(ipv6=True, tcp_options=MANY), SKB_GSO.TCPV6),
    (Flow(l4="udp"), SKB_GSO.UDP_L4),
    (Flow(l4="udp", ip_options=b"\x01\x01\x01\x00"), SKB_GSO.UDP),
])
def test_gso_validate_lengths(flow, gso_type):
    """network: L3 header + L4 header + gso_size (UFO: no L4 header, it is
    in the fragment payload); mac: plus the L2 header.  Exact boundaries."""
    mss = 1000
    b, g = _validate_skb(flow, mss, gso_type)
    s = b.skb
    l4 = 0 if gso_type == SKB_GSO.UDP else g.l4len
    net = g.l3len + l4 + mss
    assert s.gso_validate_network_len(net) is True
    assert s.gso_validate_network_len(net - 1) is False
    assert s.gso_validate_mac_len(g.l2len + net) is True
    assert s.gso_validate_mac_len(g.l2len + net - 1) is False
    b.free()


def test_gso_validate_by_frags_checks_each_member():
    """GSO_BY_FRAGS: each member's linear length plus the headers."""
    flow = Flow(l4="udp")
    layout = Layout(head=20, members=(Member(300), Member(700), Member(500)))
    b, g = _validate_skb(flow, 1000, SKB_GSO.UDP_L4, total=1520, layout=layout)
    s = b.skb
    s.gso_size = skb.GSO_BY_FRAGS
    net = g.l3len + 8 + 700
    assert s.gso_validate_network_len(net) is True
    assert s.gso_validate_network_len(net - 1) is False
    assert s.gso_validate_mac_len(14 + net) is True
    assert s.gso_validate_mac_len(14 + net - 1) is False
    b.free()


def test_gso_validate_sctp_counts_the_sctp_header():
    """SCTP GSO (GSO_BY_FRAGS, the SCTP header replicated in front of each
    member's chunks): segment = 20 (IPv4) + 12 (SCTP) + member headlen.
    The head holds 16 bytes of chunk after the SCTP header so the engine's
    own readability check passes."""
    s = skb.alloc_skb(14 + 20 + 12 + 16)
    s.put_data(bytes(14 + 20 + 12 + 16))
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    for n in (300, 700):
        m = skb.alloc_skb(n)
        m.put_data(bytes(n))
        s.frag_list_append(m)
    s.gso_size, s.gso_type = skb.GSO_BY_FRAGS, SKB_GSO.SCTP
    try:
        assert s.gso_validate_network_len(20 + 12 + 700) is True
        assert s.gso_validate_network_len(20 + 12 + 700 - 1) is False
        assert s.gso_validate_mac_len(14 + 20 + 12 + 700 - 1) is False
    finally:
        s.kfree()


def test_gso_validate_udp_with_payload_in_frags():
    """A UDP GSO skb whose linear part ends right after the UDP header (the
    usual shape: payload in page frags): 20 + 8 + mss."""
    flow = Flow(l4="udp")
    b, g = _validate_skb(flow, 1000, SKB_GSO.UDP_L4, total=3000,
                         layout=Layout(head=0, frags=(3000,)))
    try:
        assert b.skb.gso_validate_network_len(20 + 8 + 1000) is True
        assert b.skb.gso_validate_network_len(20 + 8 + 999) is False
    finally:
        b.free()


# ---------------------------------------------------------------- IPv6 extension headers

def test_tcp6_behind_a_destination_options_header():
    """IPv6 / Destination Options (8 bytes) / TCP: the extension header is
    replicated in every segment, payload_len covers it, the TCP checksum
    is the ordinary IPv6 one."""
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt
    from scapy.layers.l2 import Ether

    total, mss = 3000, 1000
    payload = gh.payload_bytes(total, 21)
    hdr = bytes(Ether(src=gh.ETH_SRC, dst=gh.ETH_DST)
                / IPv6(src="2001:db8::1", dst="2001:db8::2", plen=8 + 20 + total)
                / IPv6ExtHdrDestOpt(nh=6)
                / TCP(sport=1000, dport=2000, seq=7, flags="FPA", chksum=0))
    assert len(hdr) == 14 + 40 + 8 + 20
    s = skb.alloc_skb(len(hdr) + total)
    s.put_data(hdr + payload)
    s.reset_mac_header()
    s.set_network_header(14)
    s.protocol, s.gso_size, s.gso_type = 0x86DD, mss, SKB_GSO.TCPV6
    try:
        segs = skb.gso_segment(s, SGCSUM)
        frames = [gh.complete_partial(seg.to_bytes(), seg) for seg in segs]
        gh.free_all(segs)
    finally:
        s.kfree()
    assert len(frames) == 3
    for k, frame in enumerate(frames):
        pkt = Ether(frame)
        assert pkt[IPv6].plen == len(frame) - 54
        assert IPv6ExtHdrDestOpt in pkt
        assert pkt[TCP].seq == 7 + k * mss
        assert str(pkt[TCP].flags) == ("FPA" if k == 2 else "A")
        ref = Ether(frame)
        del ref[TCP].chksum
        assert Ether(bytes(ref))[TCP].chksum == pkt[TCP].chksum
        assert bytes(pkt[TCP].payload) == payload[k * mss:(k + 1) * mss]
