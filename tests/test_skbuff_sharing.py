"""Sharing: get/kfree/consume, use after free, clone and fclone,
is_cloned/header_cloned/shared, header_release (nohdr, hdr_len), free
ordering, and which views are writable while data is shared."""

import pytest

import skb
from skb import SkbBug, SkbDoubleFree, SkbSharedWrite, SkbUseAfterFree
from skb.testing import fail_nth_alloc
from skbhelp import (GEOMETRY, HEADERS, METADATA, counter_delta, counter_snapshot,
                     head_addr, ok, snapshot, unchanged)


def make(size=100, fclone=False, payload=b"payload"):
    s = skb.alloc_skb(size, fclone=fclone)
    s.reserve(64)
    s.put_data(payload)
    return s


def preds(s):
    return (s.is_cloned(), s.header_cloned(), s.shared())


# ---------------------------------------------------------------- get / kfree

def test_get_returns_self_and_counts():
    s = make()
    assert s.get() is s
    assert (s.users, s.shared(), s.dataref) == (2, True, 1)
    assert s.get() is s
    assert s.users == 3
    ok(s)
    before = counter_snapshot()
    assert s.kfree() is None
    assert (s.users, s.shared()) == (2, True)
    assert s.consume() is None
    assert (s.users, s.shared()) == (1, False)
    assert counter_delta(before) == {}
    assert s.to_bytes() == b"payload"
    s.kfree()
    assert counter_delta(before) == {"live_skbs": -1, "live_heads": -1,
                                      "head_bytes": -704, "raw_blocks": -2}


@pytest.mark.parametrize("method", ["kfree", "consume"])
def test_last_reference_frees(method):
    before = counter_snapshot()
    s = make()
    getattr(s, method)()
    assert isinstance(s, skb.FreedSkBuff)
    assert repr(s) == "<SkBuff freed>"
    assert counter_delta(before) == {}


PROPERTIES = sorted(n for n in dir(skb.SkBuff)
                    if not n.startswith("_") and isinstance(getattr(skb.SkBuff, n), property))
METHODS = sorted(n for n in dir(skb.SkBuff)
                 if not n.startswith("_") and n not in PROPERTIES and n not in ("kfree", "consume"))


def test_the_api_lists_are_complete():
    assert len(PROPERTIES) >= 45 and "data" in PROPERTIES and "cb" in PROPERTIES
    assert {"clone", "copy", "expand_head", "get", "put", "unshare"} <= set(METHODS)


@pytest.mark.parametrize("name", PROPERTIES)
def test_property_after_free_is_use_after_free(name):
    s = make()
    s.kfree()
    with pytest.raises(SkbUseAfterFree) as ei:
        getattr(s, name)
    assert type(ei.value) is SkbUseAfterFree
    assert isinstance(ei.value, ReferenceError)
    if getattr(skb.SkBuff, name).fset is not None:
        with pytest.raises(SkbUseAfterFree):
            setattr(s, name, 0)


@pytest.mark.parametrize("name", METHODS)
def test_method_after_free_is_use_after_free(name):
    s = make()
    s.kfree()
    with pytest.raises(SkbUseAfterFree) as ei:
        getattr(s, name)()
    assert type(ei.value) is SkbUseAfterFree


@pytest.mark.parametrize("first", ["kfree", "consume"])
@pytest.mark.parametrize("second", ["kfree", "consume"])
def test_double_free(first, second):
    s = make()
    getattr(s, first)()
    before = counter_snapshot()
    with pytest.raises(SkbDoubleFree) as ei:
        getattr(s, second)()
    assert isinstance(ei.value, SkbUseAfterFree)
    assert counter_delta(before) == {}


def test_bytes_and_repr_after_free():
    s = make()
    s.kfree()
    with pytest.raises(SkbUseAfterFree):
        bytes(s)
    assert repr(s) == "<SkBuff freed>"


def test_free_through_one_handle_kills_the_handle_not_others():
    s = make()
    c = s.clone()
    c.kfree()
    with pytest.raises(SkbUseAfterFree):
        c.len
    assert s.len == 7
    ok(s)
    s.kfree()


# ---------------------------------------------------------------- clone

def decorate(s):
    """Give s distinctive metadata, header offsets and cb."""
    s.push(14)
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    s.reset_mac_len()
    s.pull(14)
    s.set_inner_mac_header(2)
    s.set_inner_network_header(3)
    s.set_inner_transport_header(4)
    for name in METADATA:
        if name != "csum":
            setattr(s, name, 1)
    s.priority = 0xDEADBEEF
    s.mark = 0x12345678
    s.hash = 0xCAFEF00D
    s.protocol = 0x0800
    s.vlan_tci = 0x0123
    s.cb = bytes(range(48))


def test_clone_plain():
    s = make()
    decorate(s)
    before = counter_snapshot()
    c = s.clone()
    assert c is not s
    assert type(c) is skb.SkBuff
    # same data, geometry, metadata, offsets and cb
    same = GEOMETRY + HEADERS + METADATA
    for name in same:
        if name in ("users", "fclone", "fclone_ref"):
            continue
        assert getattr(c, name) == getattr(s, name), name
    assert c.cb == s.cb == bytes(range(48))
    assert head_addr(c) == head_addr(s)
    assert c.to_bytes() == s.to_bytes() == b"payload"
    assert (c.mac_len, c.truesize, c.end_offset) == (14, 960, 384)
    assert (s.users, c.users, s.dataref, c.dataref) == (1, 1, 2, 2)
    assert (s.cloned, c.cloned, s.nohdr, c.nohdr, c.hdr_len) == (1, 1, 0, 0, 0)
    assert (c.fclone, c.fclone_ref) == (0, None)
    assert preds(s) == preds(c) == (True, True, False)
    # a new struct, no new head
    assert counter_delta(before) == {"live_skbs": 1, "raw_blocks": 1}
    ok(s, c)
    c.kfree()
    # the cloned bit is sticky; is_cloned() rereads dataref
    assert (s.cloned, s.dataref, preds(s)) == (1, 1, (False, False, False))
    assert counter_delta(before) == {}
    ok(s)
    s.kfree()


def test_clone_outlives_the_original():
    s = make()
    c = s.clone()
    s.kfree()
    assert (c.dataref, c.cloned, preds(c)) == (1, 1, (False, False, False))
    assert c.to_bytes() == b"payload"
    assert c.data.readonly is False
    ok(c)
    c.kfree()


def test_clone_of_clone_and_of_shared():
    s = make()
    s.get()
    c1 = s.clone()
    c2 = c1.clone()
    assert (s.dataref, c1.dataref, c2.dataref) == (3, 3, 3)
    assert (s.users, c1.users, c2.users) == (2, 1, 1)
    ok(s, c1, c2)
    for x in (c1, s, c2, s):
        x.kfree()


def test_clone_copies_hdr_len_of_a_clone():
    s = make()
    c1 = s.clone()
    c1.expand_head()  # private: hdr_len 0 again
    c1.header_release()
    c2 = c1.clone()
    assert c2.hdr_len == 64
    c3 = c2.clone()  # c2 is not nohdr: its hdr_len is copied
    assert c3.hdr_len == 64
    ok(s, c1, c2, c3)
    for x in (s, c1, c2, c3):
        x.kfree()


def test_clone_injected_failure():
    s = make()
    with unchanged(s):
        with fail_nth_alloc(1):
            with pytest.raises(MemoryError, match="skb_clone"):
                s.clone()
    s.kfree()


def test_clone_dataref_overflow_is_bug():
    s = skb.alloc_skb(10)
    clones = [s.clone() for _ in range(0xFFFE)]
    assert s.dataref == 0xFFFF
    ok(s)
    with unchanged(s, clones[0], clones[-1]):
        with pytest.raises(SkbBug, match="dataref would overflow"):
            s.clone()
        with pytest.raises(SkbBug):
            clones[-1].clone()
    for c in clones:
        c.kfree()
    assert s.dataref == 1
    s.kfree()


# ---------------------------------------------------------------- fclone

def test_fclone_companion_lifecycle():
    before = counter_snapshot()
    s = make(fclone=True)
    assert (s.fclone, s.fclone_ref) == (1, 1)
    mark = counter_snapshot()

    c1 = s.clone()  # the companion: no allocation
    assert (c1.fclone, c1.fclone_ref, s.fclone_ref) == (2, 2, 2)
    assert counter_delta(mark) == {"live_skbs": 1}
    assert repr(c1).endswith("fclone=clone cloned>")

    c2 = s.clone()  # companion busy: a plain struct
    assert (c2.fclone, c2.fclone_ref, s.fclone_ref) == (0, None, 2)
    assert counter_delta(mark) == {"live_skbs": 2, "raw_blocks": 1}
    assert s.dataref == 3
    ok(s, c1, c2)

    c1.kfree()  # the companion goes back to the pair
    assert s.fclone_ref == 1
    assert counter_delta(mark) == {"live_skbs": 1, "raw_blocks": 1}

    c3 = s.clone()  # ... and is handed out again
    assert (c3.fclone, c3.fclone_ref, s.fclone_ref) == (2, 2, 2)
    assert c3 is not c1
    assert isinstance(c1, skb.FreedSkBuff)
    with pytest.raises(SkbUseAfterFree):
        c1.len
    assert counter_delta(mark) == {"live_skbs": 2, "raw_blocks": 1}
    ok(s, c2, c3)

    c4 = c3.clone()  # a clone of the companion never uses fclone slots
    assert (c4.fclone, c4.fclone_ref) == (0, None)
    c4.kfree()

    s.kfree()  # the original dies first: the pair stays for the companion
    assert c3.fclone_ref == 1
    assert counter_delta(mark) == {"live_skbs": 1, "raw_blocks": 1}
    ok(c3, c2)
    c3.kfree()  # both halves dead: the pair block is freed
    assert counter_delta(before) == {"live_skbs": 1, "live_heads": 1, "head_bytes": 704,
                                     "raw_blocks": 2}
    assert c2.to_bytes() == b"payload"
    c2.kfree()
    assert counter_delta(before) == {}


def test_fclone_companion_clone_needs_no_allocation():
    s = make(fclone=True)
    with fail_nth_alloc(1):
        c = s.clone()
        assert c.fclone == 2
        with pytest.raises(MemoryError):  # now the companion is busy
            s.clone()
    assert s.fclone_ref == 2
    c.kfree()
    s.kfree()


def test_fclone_clone_freed_last_releases_pair():
    before = counter_snapshot()
    s = make(fclone=True)
    c = s.clone()
    c.kfree()
    assert s.fclone_ref == 1
    s.kfree()
    assert counter_delta(before) == {}


# ---------------------------------------------------------------- header_release

def test_header_release_alone():
    s = make()
    s.header_release()
    assert (s.nohdr, s.dataref, s.cloned, s.hdr_len) == (1, 0x10001, 0, 0)
    assert preds(s) == (False, False, False)
    assert s.data.readonly is False
    s.header_release()  # again: still one reference plus one payload-only
    assert s.dataref == 0x10001
    ok(s)
    before = counter_snapshot()
    s.kfree()  # not cloned: freed without looking at dataref
    assert counter_delta(before) == {"live_skbs": -1, "live_heads": -1,
                                     "head_bytes": -704, "raw_blocks": -2}


def test_header_release_then_clone():
    s = make()
    s.header_release()
    c = s.clone()
    assert (s.dataref, c.dataref) == (0x10002, 0x10002)
    assert (s.nohdr, c.nohdr, s.hdr_len, c.hdr_len) == (1, 0, 0, 64)
    assert (s.cloned, c.cloned) == (1, 1)
    # both see data shared; neither sees the header area shared
    assert preds(s) == preds(c) == (True, False, False)
    ok(s, c)
    c.kfree()
    s.kfree()


def test_header_release_views():
    """The clone may write [.., hdr_len) (its headroom); everything past
    hdr_len, and anything the nohdr original maps, is read-only."""
    s = make()
    s.header_release()
    c = s.clone()
    h = c.push(4)
    assert h.readonly is False
    h[:] = b"HDR:"
    assert c.to_bytes() == b"HDR:payload"
    assert c.data.readonly is True
    assert c.put(1).readonly is True
    c.trim(11)
    assert s.data.readonly is True
    assert s.push(1).readonly is True
    s.pull(1)
    assert s.to_bytes() == b"payload"
    with unchanged(s, c):
        with pytest.raises(SkbSharedWrite):
            c.put_data(b"x")
        with pytest.raises(SkbSharedWrite):
            s.put_data(b"x")
    # a second clone shares the header area too: now nothing is writable
    c2 = c.clone()
    assert c2.hdr_len == 64
    assert c.dataref == 0x10003
    assert preds(c) == preds(c2) == preds(s) == (True, True, False)
    assert c.push(1).readonly is True
    ok(s, c, c2)
    for x in (c2, c, s):
        x.kfree()


def test_header_release_free_original_first():
    before = counter_snapshot()
    s = make()
    s.header_release()
    c = s.clone()
    s.kfree()  # drops 0x10001
    assert (c.dataref, preds(c)) == (1, (False, False, False))
    assert c.data.readonly is False
    ok(c)
    c.kfree()
    assert counter_delta(before) == {}


def test_header_release_free_clone_first():
    before = counter_snapshot()
    s = make()
    s.header_release()
    c = s.clone()
    c.kfree()  # drops 1
    assert (s.dataref, s.nohdr, s.cloned) == (0x10001, 1, 1)
    # kernel formula: (1 - 1) != 1, so the nohdr original now reports its
    # header as cloned, while its data is private
    assert preds(s) == (False, True, False)
    assert s.data.readonly is False
    ok(s)
    mark = counter_snapshot()
    s.kfree()  # cloned and nohdr: bias 0x10001 == dataref -> freed
    assert counter_delta(mark) == {"live_skbs": -1, "live_heads": -1,
                                   "head_bytes": -704, "raw_blocks": -2}
    assert counter_delta(before) == {}


def test_header_release_with_other_references_is_bug():
    s = make()
    c = s.clone()
    with unchanged(s, c):
        with pytest.raises(SkbBug, match=r"dataref 0x2"):
            s.header_release()
        with pytest.raises(SkbBug):
            c.header_release()
    c.kfree()
    s.header_release()  # the other reference is gone: allowed
    assert (s.nohdr, s.dataref) == (1, 0x10001)
    ok(s)
    s.kfree()


def test_header_release_on_a_surviving_clone():
    s = make()
    c = s.clone()
    s.kfree()
    c.header_release()
    assert (c.nohdr, c.dataref) == (1, 0x10001)
    ok(c)
    c.kfree()


# ---------------------------------------------------------------- views and shared data

def test_views_of_cloned_data_are_read_only():
    s = make()
    c = s.clone()
    for x in (s, c):
        v = x.data
        assert v.readonly is True
        with pytest.raises(TypeError):
            v[0] = 0
    assert s.to_bytes() == c.to_bytes() == b"payload"
    assert s.put(2).readonly is True  # put itself is allowed
    assert s.len == 9
    assert s.push(3).readonly is True
    assert s.pull(3).readonly is True
    s.trim(7)
    ok(s, c)
    c.kfree()
    v = s.data  # private again
    assert v.readonly is False
    v[0] = ord("P")
    assert s.to_bytes() == b"Payload"
    s.kfree()


@pytest.mark.parametrize("call", [
    lambda x: x.put_data(b"more"),
    lambda x: x.put_data(b""),
    lambda x: x.put_data(bytes(1000)),  # SkbSharedWrite is checked before the panic
    lambda x: x.put_zero(3),
    lambda x: x.put_zero(0),
])
def test_writing_methods_refuse_shared_data(call):
    s = make()
    c = s.clone()
    with unchanged(s, c):
        with pytest.raises(SkbSharedWrite, match="dataref 0x2") as ei:
            call(s)
        with pytest.raises(SkbSharedWrite):
            call(c)
    assert isinstance(ei.value, BufferError)
    c.kfree()
    s.kfree()


def test_shared_struct_is_writable():
    """users > 1 shares the struct, not the data: views stay writable."""
    s = make()
    s.get()
    assert s.data.readonly is False
    s.put_data(b"!")
    assert s.to_bytes() == b"payload!"
    s.kfree()
    s.kfree()


def test_views_survive_free():
    s = make()
    v = s.data
    before = counter_snapshot()
    zombies = skb.counters().zombie_heads
    s.kfree()
    assert bytes(v) == b"payload"
    assert counter_delta(before) == {"live_skbs": -1, "live_heads": -1,
                                     "head_bytes": -704, "raw_blocks": -1}
    assert skb.counters().zombie_heads == zombies + 1
    del v
    assert skb.counters().zombie_heads == zombies
    assert counter_delta(before)["raw_blocks"] == -2


def test_snapshot_sees_everything():
    """Guard for the test helper: a snapshot moves with every kind of change."""
    s = make()
    base = snapshot(s)
    s.mark = 1
    assert snapshot(s) != base
    s.mark = 0
    s.data[0] = ord("P")
    assert snapshot(s)["bytes"] != base["bytes"]
    s.data[0] = ord("p")
    s.push(1)[0] = 1
    s.pull(1)
    assert snapshot(s)["head_bytes"] != base["head_bytes"]
    s.kfree()


def test_view_taken_while_private_stays_writable_after_clone():
    """Documented engine behaviour (module docstring of skb.skbuff): a
    view's mode is fixed when it is created, like a pointer in the kernel.
    A writable view taken before clone() still writes into what is now
    shared data; take a fresh view after cow/unshare."""
    s = make()
    v = s.data
    c = s.clone()
    assert v.readonly is False
    v[0] = ord("P")
    assert c.to_bytes() == b"Payload"
    assert s.data.readonly is True
    c.kfree()
    s.kfree()


def test_head_id_tells_which_skbs_share_their_data():
    s = skb.alloc_skb(64)
    c = s.clone()
    other = skb.alloc_skb(64)
    assert s.head_id == c.head_id != other.head_id
    c.expand_head(0, 0)  # a private head of its own
    assert c.head_id != s.head_id
    for x in (s, c, other):
        x.kfree()
