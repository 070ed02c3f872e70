"""The twin's IPv4 fragmentation and reassembly (skb.testing.model_ip)
against the engine's (skb.ip): the same calls on both, compared deeply -
verdicts, every byte, lengths, headroom, truesize, frag_list shapes,
checksum state, cb, the queues' counters and memory, the drop reasons."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings, strategies as st

import skb
from skb import DropReason, ip
from skb.testing import model, model_ip

from iphelp import (datagram, fragment_bytes, fraglist, linear, member, ones,
                    paged, received, shape)

ETH = bytes.fromhex("020000000002" "020000000001" "0800")
OPTIONS = bytes([7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 0])


@pytest.fixture(autouse=True)
def _model_no_leaks():
    before = model.counters()
    yield
    assert model.counters() == before


def with_options(data: bytes, options: bytes) -> bytes:
    hdr = bytearray(data[:20] + options)
    hdr[0] = 0x40 | len(hdr) // 4
    struct.pack_into("!H", hdr, 2, len(hdr) + len(data) - 20)
    struct.pack_into("!H", hdr, 10, 0)
    struct.pack_into("!H", hdr, 10, 0xFFFF - ones(bytes(hdr)))
    return bytes(hdr) + data[20:]


def outcome(v):
    """A verdict of either implementation, as comparable data."""
    if v is None or isinstance(v, type):
        return v
    if isinstance(v, (skb.SkBuff, model.SkBuff)):
        return ("skb", shape(v))
    if isinstance(v, (list, skb.SegmentList)):
        return ("list", [shape(g) for g in v])
    return (type(v).__name__, tuple(v))


def release(v) -> None:
    if isinstance(v, (skb.SkBuff, model.SkBuff)):
        v.kfree()
    elif isinstance(v, (list, skb.SegmentList)):
        for g in v:
            g.kfree()


def drop_counts() -> tuple:
    """The engine's and the twin's free counts, keyed by reason number."""
    return ({int(r): n for r, n in skb.drop_counts().items()}, model.drop_counts())


def drops_since(before: tuple) -> tuple:
    return tuple({r: n - b.get(r, 0) for r, n in now.items() if n != b.get(r, 0)}
                 for now, b in zip(drop_counts(), before))


# ---------------------------------------------------------------- fragment

def build_both(kind: str, data: bytes, **kw):
    out = []
    for lib in (skb, model):
        if kind == "linear":
            out.append(linear(lib, data, kw.get("headroom", 64)))
        elif kind == "paged":
            out.append(paged(lib, data, kw["head"], kw.get("chunk", 997)))
        else:
            out.append(fraglist(lib, data, kw["first"], kw["sizes"],
                                member_headroom=kw.get("member_headroom", 64)))
    return out


def set_ipcb(s, flags: int, fms: int) -> None:
    cb = bytearray(s.cb)
    struct.pack_into("=HH", cb, 20, flags, fms)
    s.cb = bytes(cb)


def fragment_both(e, t, *args, **kw):
    counts = drop_counts()
    results = []
    for mod, s in ((ip, e), (model_ip, t)):
        try:
            results.append(mod.fragment(s, *args, **kw))
        except (ValueError, skb.SkbBug) as exc:
            results.append(type(exc))
    ve, vt = results
    assert outcome(ve) == outcome(vt)
    de, dt = drops_since(counts)
    assert de == dt
    return ve, vt


@pytest.mark.parametrize("kind, kw, mtu", [
    ("linear", {}, 1500),
    ("linear", {}, 577),
    ("paged", dict(head=300), 1500),
    ("frag_list", dict(first=1500, sizes=[1480, 1480]), 1500),      # the fast path
    ("frag_list", dict(first=1500, sizes=[1480], member_headroom=35), 1500),
    ("frag_list", dict(first=700, sizes=[1001, 999]), 1500),
])
def test_fragment_agrees(kind, kw, mtu):
    data = datagram(4400)
    e, t = build_both(kind, data, **kw)
    ve, vt = fragment_both(e, t, mtu)
    release(ve)
    release(vt)


def test_fragment_with_options_agrees_on_both_paths():
    data = with_options(datagram(3000), OPTIONS)
    for kind, kw in (("linear", {}), ("frag_list", dict(first=1496, sizes=[1456]))):
        e, t = build_both(kind, data, **kw)
        ve, vt = fragment_both(e, t, 1496)
        release(ve)
        release(vt)


def test_fragment_verdicts_agree():
    e, t = build_both("linear", datagram(2000, df=True))
    assert fragment_both(e, t, 1400) == (ip.FragNeeded(1400), model_ip.FragNeeded(1400))
    e, t = build_both("linear", datagram(2000, df=True))
    ve, vt = fragment_both(e, t, 1400, ignore_df=True)
    release(ve)
    release(vt)
    e, t = build_both("linear", datagram(100))
    ve, vt = fragment_both(e, t, 67)
    assert ve is vt is ValueError
    release(e)
    release(t)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 5000), mtu=st.integers(68, 2000),
       layout=st.sampled_from(["linear", "paged", "frag_list", "fast"]),
       options=st.sampled_from([b"", OPTIONS, bytes([1] * 40)]),
       df=st.booleans(), ignore_df=st.booleans(), ll_rs=st.sampled_from([0, 16, 40]),
       fms=st.sampled_from([0, 0, 576, 1300]), pmtu=st.booleans(),
       member_headroom=st.sampled_from([30, 64]), seed=st.integers(0, 99))
def test_fragment_agrees_everywhere(size, mtu, layout, options, df, ignore_df, ll_rs, fms,
                                    pmtu, member_headroom, seed):
    data = datagram(size, df=df, udp=False, seed=seed)
    if options:
        data = with_options(data, options)
    hlen = 20 + len(options)
    step = max(8, (mtu - hlen) // 8 * 8)
    if layout == "linear":
        e, t = build_both("linear", data)
    elif layout == "paged":
        e, t = build_both("paged", data, head=min(len(data), hlen + 7))
    elif layout == "frag_list":
        e, t = build_both("frag_list", data, first=min(len(data), hlen + 300),
                          sizes=[500, 1000], member_headroom=member_headroom)
    else:
        e, t = build_both("frag_list", data, first=min(len(data), hlen + step),
                          sizes=[step] * 10, member_headroom=member_headroom)
    for s in (e, t):
        set_ipcb(s, ip.IPSKB_FRAG_PMTU if pmtu else 0, fms)
    ve, vt = fragment_both(e, t, mtu, ll_rs, ignore_df)
    if ve is ValueError:
        release(e)
        release(t)
    release(ve)
    release(vt)


# ---------------------------------------------------------------- defrag

DATA = datagram(4000)
HDR = DATA[:20]


def piece(offset: int, n: int, more: bool, *, hdr: bytes = HDR, data: bytes = DATA,
          tos: int = 0, df: bool = False) -> bytes:
    payload = data[20 + offset:20 + offset + n]
    h = bytearray(hdr)
    h[1] = tos
    return fragment_bytes(bytes(h), offset, payload + bytes(n - len(payload)), more=more,
                          flags=0x4000 if df else 0)


class Both:
    """One DefragQueue per implementation, fed the same frames."""

    def __init__(self, **kw) -> None:
        self.e = ip.DefragQueue(**kw)
        self.t = model_ip.DefragQueue(**kw)

    def defrag(self, frame: bytes, now: float, *, shared=False, pkt_type=0, complete=False):
        counts = drop_counts()
        out, keep = [], []
        for lib, q in ((skb, self.e), (model, self.t)):
            s = received(lib, ETH + frame)
            s.pkt_type = pkt_type
            if complete:
                s.ip_summed = 2
                s.csum = s.checksum(0, s.len)
            if shared:
                keep.append(s.get())
            out.append(q.defrag(s, now))
        ve, vt = out
        assert outcome(ve) == outcome(vt)
        de, dt = drops_since(counts)
        assert de == dt
        self.agree()
        for k in keep:
            k.kfree()
        return ve, vt

    def agree(self) -> None:
        e, t = self.e, self.t
        assert (e.stats, e.mem, e.queues) == (tuple(t.stats), t.mem, t.queues)

    def expire(self, now: float):
        ve, vt = self.e.expire(now), self.t.expire(now)
        assert [tuple(x) for x in ve] == [tuple(x) for x in vt]
        self.agree()
        return ve

    def close(self) -> None:
        counts = drop_counts()
        self.e.close()
        self.t.close()
        de, dt = drops_since(counts)
        assert de == dt


def run(both: Both, frames, now=0.0, **kw):
    results = [both.defrag(f, now, **kw) for f in frames]
    for ve, vt in results:
        release(ve)
        release(vt)
    return [ve for ve, _ in results]


FRAGS = [piece(0, 1480, True), piece(1480, 1480, True), piece(2960, 1040, False)]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_defrag_agrees_in_every_order(order):
    both = Both()
    out = run(both, [FRAGS[i] for i in order])
    assert out[:2] == [None, None] and out[2] is not None
    both.close()


def test_defrag_agrees_on_duplicates_overlaps_and_lengths():
    both = Both()
    run(both, [FRAGS[0], FRAGS[1], piece(736, 1480, True), FRAGS[1]])    # run duplicate
    run(both, [FRAGS[2]])
    run(both, [FRAGS[1], FRAGS[0], piece(736, 1480, True)])              # overlap
    run(both, [FRAGS[2], piece(2960, 1048, True)])                       # past the end
    run(both, [piece(0, 1483, True), piece(1480, 7, True)])              # trimmed, empty
    both.close()


def test_defrag_agrees_on_ecn_df_and_checksums():
    both = Both()
    run(both, [piece(0, 1480, True, tos=2, df=True), piece(1480, 1480, True, tos=3),
               piece(2960, 1040, False, tos=2, df=True)], complete=True)
    run(both, [piece(0, 1480, True, tos=0), piece(1480, 1480, True, tos=3),
               piece(2960, 1040, False)])
    run(both, [f + b"\0" * 9 for f in FRAGS], complete=True)            # padding trimmed
    both.close()


def test_defrag_agrees_on_receive_checks_and_sharing():
    both = Both()
    bad = bytearray(FRAGS[0])
    bad[10] ^= 1
    run(both, [bytes(bad), FRAGS[0][:19], FRAGS[0]], shared=True)
    run(both, [FRAGS[1]], pkt_type=3)
    run(both, [FRAGS[1], FRAGS[2]], shared=True)
    run(both, [DATA])
    both.close()


def test_defrag_agrees_on_time_memory_and_distance():
    both = Both(high_thresh=6000, low_thresh=0, timeout=5, max_dist=2)
    run(both, [FRAGS[0]], now=0)
    others = [piece(0, 1480, True, hdr=HDR[:4] + bytes([0, i]) + HDR[6:]) for i in range(3)]
    run(both, others[:1], now=1)
    run(both, others[1:], now=2)                          # over high_thresh: refused
    run(both, [FRAGS[1]], now=3)
    both.expire(5)
    run(both, [FRAGS[1], FRAGS[0]], now=6)
    both.expire(7)
    both.close()


def test_defrag_agrees_when_the_first_fragment_has_a_frag_list():
    both = Both()
    results = []
    for lib, q in ((skb, both.e), (model, both.t)):
        s = received(lib, ETH + FRAGS[0][:520])
        s.frag_list_append(member(lib, FRAGS[0][520:]))
        results.append(q.defrag(s, 0))
    assert results == [None, None]
    run(both, [FRAGS[2], FRAGS[1]])
    both.close()


@st.composite
def traffic(draw):
    """Fragments of two datagrams (two sources) cut at random, with
    duplicates, straddlers, bad ECN or checksums, shared skbs and padding,
    arriving shuffled over time."""
    frames = []
    for ident, src in ((0x1111, b"\xc0\x00\x02\x01"), (0x2222, b"\xc0\x00\x02\x09")):
        total = draw(st.integers(2, 300)) * 8 + draw(st.integers(0, 7))
        hdr = bytearray(HDR)
        struct.pack_into("!HH", hdr, 2, 20 + total, ident)
        hdr[12:16] = src
        data = bytes(hdr) + bytes((ident + i * 13) & 0xFF for i in range(total))
        cuts = sorted(draw(st.sets(st.integers(1, (total - 1) // 8), max_size=6)))
        bounds = [0, *(c * 8 for c in cuts), total]
        pieces = [(a, b - a, b != total) for a, b in zip(bounds, bounds[1:])]
        events = list(pieces) + draw(st.lists(st.sampled_from(pieces), max_size=2))
        if len(pieces) > 1 and draw(st.booleans()):
            a, n, _ = pieces[0]
            events.append((a + 8 * draw(st.integers(0, max(0, n // 8 - 1))), n + 8, True))
        for off, n, more in events:
            tos = draw(st.sampled_from([0, 0, 0, 2, 3]))
            frame = piece(off, n, more, hdr=bytes(hdr), data=data, tos=tos,
                          df=draw(st.booleans()))
            if draw(st.integers(0, 9)) == 0:
                frame = frame[:10] + bytes([frame[10] ^ 0x40]) + frame[11:]   # bad checksum
            frames.append((frame + b"\0" * draw(st.sampled_from([0, 0, 6])),
                           draw(st.booleans()), draw(st.booleans())))
    order = draw(st.permutations(frames))
    times = draw(st.lists(st.sampled_from([0, 0, 0.5, 2, 7]), min_size=len(order),
                          max_size=len(order)))
    params = dict(high_thresh=draw(st.sampled_from([4 << 20, 4 << 20, 20000, 5000, 0])),
                  low_thresh=0,
                  timeout=draw(st.sampled_from([30, 5])), max_dist=draw(st.integers(0, 4)))
    return params, list(zip(order, times))


@settings(max_examples=60, deadline=None)
@given(traffic())
def test_defrag_agrees_on_any_traffic(case):
    params, events = case
    both = Both(**params)
    now = 0.0
    for (frame, shared, complete), step in events:
        now += step
        ve, vt = both.defrag(frame, now, shared=shared, complete=complete)
        release(ve)
        release(vt)
    both.expire(now + 1)
    both.close()


def test_the_twin_api_mirrors_the_engine():
    assert set(model_ip.__all__) == set(ip.__all__)
    for name in ("IP_FRAG_TIME", "IPFRAG_HIGH_THRESH", "IPFRAG_LOW_THRESH", "IPFRAG_MAX_DIST",
                 "IPQ_SIZE", "IPV4_MIN_MTU", "IPSKB_FRAG_COMPLETE", "IPSKB_FRAG_PMTU",
                 "LL_RESERVED_SPACE_ETH"):
        assert getattr(model_ip, name) == getattr(ip, name), name
    for cls in ("FragNeeded", "IPCB", "Expired", "DefragStats"):
        assert getattr(model_ip, cls)._fields == getattr(ip, cls)._fields
    public = {n for n in dir(ip.DefragQueue) if not n.startswith("_")}
    assert public == {n for n in dir(model_ip.DefragQueue) if not n.startswith("_")}
    with model_ip.DefragQueue() as q:
        s = model.alloc_skb(10)
        with pytest.raises(ValueError):
            q.defrag(s, -1)
        s.kfree()
    assert DropReason.DUP_FRAG in DropReason
