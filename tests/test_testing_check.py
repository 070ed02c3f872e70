"""skb.testing.check: passes on every shape the linear API builds, and
names the broken invariant readably.

Which invariants can be broken from Python?  Geometry (head <= data <=
tail <= end, len == headlen + data_len, the shared info closing the head),
dataref against the skbs using the head, the cloned bit, fclone_ref and the
truesize minimum are all maintained by the engine and refused when an
operation would break them, so no public call sequence breaks them.  The
one invariant a user can break through the public API is the order of the
header offsets (mac <= network <= transport, and the inner trio), which the
checker enforces for offsets that were set explicitly.  A freed skb is the
other reportable case.
"""

import pytest

import skb
from skb import SkbInvariantError
from skb.testing import check
from skbhelp import ok


@pytest.fixture
def s():
    s = skb.alloc_skb(100)
    s.reserve(64)
    s.put(40)
    yield s
    s.kfree()


def test_check_returns_none_on_sound_skbs(s):
    assert check(s) is None
    s.reset_mac_header()
    s.set_network_header(14)
    s.set_transport_header(34)
    s.set_inner_mac_header(36)
    s.set_inner_network_header(36)
    s.set_inner_transport_header(40)
    assert check(s) is None
    c = s.clone()
    f = skb.alloc_skb(10, fclone=True)
    fc = f.clone()
    ok(s, c, f, fc)
    for x in (c, fc, f):
        x.kfree()


def test_mac_after_network(s):
    s.reset_network_header()
    s.set_mac_header(14)
    with pytest.raises(SkbInvariantError) as ei:
        check(s)
    assert str(ei.value) == "mac_header 78 is after network_header 64"


def test_network_after_transport(s):
    s.reset_transport_header()
    s.set_network_header(20)
    with pytest.raises(SkbInvariantError, match=r"^network_header 84 is after "
                                                r"transport_header 64$"):
        check(s)


def test_inner_mac_after_inner_network(s):
    s.reset_inner_network_header()
    s.set_inner_mac_header(10)
    with pytest.raises(SkbInvariantError, match=r"^inner_mac_header 74 is after "
                                                r"inner_network_header 64$"):
        check(s)


def test_inner_network_after_inner_transport(s):
    s.reset_inner_transport_header()
    s.set_inner_network_header(1)
    with pytest.raises(SkbInvariantError, match=r"^inner_network_header 65 is after "
                                                r"inner_transport_header 64$"):
        check(s)


def test_only_explicitly_set_offsets_are_ordered(s):
    """network_header is 0 after alloc_skb without being set: a mac header
    after it is not an ordering error."""
    s.set_mac_header(14)
    assert (s.network_header, s.mac_header) == (0, 78)
    check(s)


def test_out_of_order_then_fixed(s):
    s.reset_network_header()
    s.set_mac_header(14)
    with pytest.raises(SkbInvariantError):
        check(s)
    s.set_mac_header(-14)
    check(s)


def test_freed_skb():
    s = skb.alloc_skb(10)
    s.kfree()
    with pytest.raises(SkbInvariantError, match="^the skb was freed$"):
        check(s)


def test_invariant_error_is_an_assertion_error():
    assert issubclass(SkbInvariantError, AssertionError)
    assert issubclass(SkbInvariantError, skb.SkbError)


def test_check_after_every_step_of_a_long_sequence():
    """check() on every live skb after each operation of a scripted run
    through the whole linear API (alloc, headers, clones, fclones, nohdr,
    every copy flavour, frees in mixed order)."""
    live = {}

    def step(name, fn):
        fn()
        for key, x in live.items():
            try:
                check(x)
            except SkbInvariantError as e:  # pragma: no cover - the failure path
                raise AssertionError(f"after {name}: {key}: {e}") from None

    def add(key, x):
        live[key] = x

    def drop(key, how="kfree"):
        getattr(live.pop(key), how)()

    step("alloc", lambda: add("a", skb.alloc_skb(1500)))
    step("alloc fclone", lambda: add("f", skb.alloc_skb(200, fclone=True)))
    step("reserve", lambda: live["a"].reserve(128))
    step("put_data", lambda: live["a"].put_data(b"x" * 100))
    step("push", lambda: live["a"].push(20))
    step("reset_network", lambda: live["a"].reset_network_header())
    step("set_transport", lambda: live["a"].set_transport_header(20))
    step("push mac", lambda: live["a"].push(14))
    step("reset_mac", lambda: live["a"].reset_mac_header())
    step("reset_mac_len", lambda: live["a"].reset_mac_len())
    step("set inner", lambda: live["a"].set_inner_network_header(34))
    step("clone a", lambda: add("b", live["a"].clone()))
    step("clone b", lambda: add("c", live["b"].clone()))
    step("pull b", lambda: live["b"].pull(14))
    step("trim c", lambda: live["c"].trim(50))
    step("put c", lambda: live["c"].put(10))
    step("copy b", lambda: add("d", live["b"].copy()))
    step("pskb_copy c", lambda: add("e", live["c"].pskb_copy()))
    step("expand c", lambda: live["c"].expand_head(64, 100))
    step("cow b", lambda: live["b"].cow(300))
    step("free a", lambda: drop("a"))
    step("header_release d", lambda: live["d"].header_release())
    step("clone d", lambda: add("g", live["d"].clone()))
    step("push g", lambda: live["g"].push(4))
    step("cow_head g", lambda: live["g"].cow_head(0))
    step("clone f", lambda: add("h", live["f"].clone()))
    step("clone f again", lambda: add("i", live["f"].clone()))
    step("free h", lambda: drop("h", "consume"))
    step("clone f reuse", lambda: add("j", live["f"].clone()))
    step("realloc j", lambda: add("k", live["j"].realloc_headroom(500)))
    step("realloc i", lambda: add("l", live["i"].realloc_headroom(0)))
    step("get e", lambda: live["e"].get())
    step("share_check e", lambda: add("m", live["e"].share_check()))
    step("unshare m", lambda: add("m", live.pop("m").unshare()))
    step("free f", lambda: drop("f"))
    step("unshare j", lambda: add("j", live.pop("j").unshare()))
    step("free d", lambda: drop("d"))
    for key in sorted(live):
        step(f"free {key}", lambda key=key: drop(key))
    assert live == {}
