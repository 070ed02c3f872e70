"""Exceptions and warnings.

Each exception also inherits the builtin that fits, so callers can catch
either: a panic past the buffer is an ``IndexError``, a use after free a
``ReferenceError``, a write to shared data a ``BufferError``.  Allocation
failure is the builtin ``MemoryError`` itself (the kernel's -ENOMEM).
"""

from __future__ import annotations


class SkbError(Exception):
    """Base class of every skb exception."""


class SkbPanic(SkbError, RuntimeError):
    """Where the kernel would panic or BUG(); the skb is left unchanged."""


class _GeometryPanic(SkbPanic, IndexError):
    """skb_over_panic / skb_under_panic, with what the kernel prints."""

    kind = ""

    def __init__(self, *, len: int, put: int, head: int, data: int, tail: int, end: int):
        self.len = len
        self.put = put
        self.head = head
        self.data = data
        self.tail = tail
        self.end = end
        super().__init__(
            f"{self.kind}: len:{len} put:{put} head:{head:#x} data:{data:#x} "
            f"tail:{tail:#x} end:{end:#x}"
        )


class SkbOverPanic(_GeometryPanic):
    """skb_put past end."""

    kind = "skb_over_panic"


class SkbUnderPanic(_GeometryPanic):
    """skb_push past head."""

    kind = "skb_under_panic"


class SkbBug(SkbPanic):
    """A BUG() or BUG_ON() in the kernel: the call broke a precondition."""


class SkbUseAfterFree(SkbError, ReferenceError):
    """The skb (or page) was freed; its handle is dead."""


class SkbDoubleFree(SkbUseAfterFree):
    """kfree or consume of an skb that is already freed."""


class SkbFault(SkbError, IndexError):
    """The kernel's -EFAULT: a byte range outside the packet."""


class SkbSegmentError(SkbError, ValueError):
    """skb_segment / skb_gso_segment refused the packet (the kernel's
    ERR_PTR); ``errno`` is EINVAL or EPROTONOSUPPORT."""

    def __init__(self, errno: int, message: str):
        self.errno = errno
        super().__init__(message)


class SkbSharedWrite(SkbError, BufferError):
    """A write into data shared with a clone, without cow or unshare first."""


class SkbLeak(SkbError, AssertionError):
    """skbs, heads or pages were left allocated (leak_check)."""


class SkbInvariantError(SkbError, AssertionError):
    """An skb broke one of its invariants (skb.testing.check)."""


class SkbWarning(RuntimeWarning):
    """Where the kernel prints a WARN and carries on."""


class SkbLeakWarning(ResourceWarning):
    """An skb was garbage-collected while Python still held references."""
