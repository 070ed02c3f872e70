"""skb.errors: each exception also is the builtin that fits."""

import pytest

import skb
from skb import errors


@pytest.mark.parametrize("exc,bases", [
    (errors.SkbOverPanic, (errors.SkbPanic, IndexError, RuntimeError, errors.SkbError)),
    (errors.SkbUnderPanic, (errors.SkbPanic, IndexError, RuntimeError, errors.SkbError)),
    (errors.SkbBug, (errors.SkbPanic, RuntimeError, errors.SkbError)),
    (errors.SkbUseAfterFree, (ReferenceError, errors.SkbError)),
    (errors.SkbDoubleFree, (errors.SkbUseAfterFree, ReferenceError, errors.SkbError)),
    (errors.SkbSharedWrite, (BufferError, errors.SkbError)),
    (errors.SkbFault, (IndexError, errors.SkbError)),
    (errors.SkbLeak, (AssertionError, errors.SkbError)),
    (errors.SkbInvariantError, (AssertionError, errors.SkbError)),
    (errors.SkbWarning, (RuntimeWarning,)),
    (errors.SkbLeakWarning, (ResourceWarning,)),
])
def test_hierarchy(exc, bases):
    for base in bases:
        assert issubclass(exc, base), base
    assert getattr(skb, exc.__name__) is exc


def test_bug_is_not_an_index_error():
    assert not issubclass(errors.SkbBug, IndexError)


def test_geometry_panic_fields_and_message():
    e = errors.SkbOverPanic(len=4, put=317, head=0x1000, data=0x1040, tail=0x44, end=0x180)
    assert (e.len, e.put, e.head, e.data, e.tail, e.end) == (4, 317, 0x1000, 0x1040, 0x44,
                                                              0x180)
    assert str(e) == "skb_over_panic: len:4 put:317 head:0x1000 data:0x1040 tail:0x44 end:0x180"
    u = errors.SkbUnderPanic(len=0, put=1, head=0x10, data=0x10, tail=0, end=0x180)
    assert str(u) == "skb_under_panic: len:0 put:1 head:0x10 data:0x10 tail:0x0 end:0x180"
