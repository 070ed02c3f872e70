"""Hostile-input battery for skb's public API (run by tests/test_hostile.py).

Every public method and property of ``skb.SkBuff``, the public functions of
``skb`` and every ``skb.kernel`` function is called with hostile arguments
(ints outside the C parameter range, non-ints, int look-alikes, an object
whose ``__int__`` frees the skb under the call, wrong arity), on a freed
skb (kfree, consume, unshare, fclone halves ...), and views are used after
free and after expand_head.  Each call's outcome is compared with the
documented one (spec: /work/spec/api-2-3.md, "Argument checking" and
"Exceptions").

Run as a script it prints one JSON object per line:

    {"start": id}                      before a call
    {"id", "api", "call", "expected", "got", "detail"}   after it and its cleanup
    {"final": counters}                at the end

so a crash (segfault, abort) is pinned on the call that was in flight.
``--skip ID`` (repeatable) leaves calls out; ``--stdin`` runs only the ids
in the JSON list read from stdin.
Run it under a sanitizer build to turn silent use-after-free into crashes:
build with SKB_SANITIZE=address and run with LD_PRELOAD=$(gcc
-print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0.

Adding an API: one line in METHODS, FIELDS, MODULE_FUNCTIONS or KERNEL
(skb.ip: IP_FUNCTIONS, DEFRAG_METHODS, DEFRAG_FIELDS, DEFRAG_PROPERTIES).
Names from issue 3 are listed already and are exercised once they exist;
a public name missing from the tables fails the test, as does a table
entry whose parameters differ from the real signature.
"""

from __future__ import annotations

import copy
import gc
import inspect
import json
import math
import operator
import pickle
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import skb
import skb.ip
import skb.kernel
from skb import (
    SkBuff,
    SkbBug,
    SkbDoubleFree,
    SkbFault,
    SkbOverPanic,
    SkbSegmentError,
    SkbUnderPanic,
    SkbUseAfterFree,
)

OK = "OK"
U32_MAX = 2**32 - 1
S32_MIN, S32_MAX = -(2**31), 2**31 - 1


# ----------------------------------------------------------------------
# Parameter kinds.  A parameter is (name, kind, benign value, outcomes of
# in-range extreme values).  "extreme" maps the label of an in-range
# hostile value to its documented outcome (an exception class or OK);
# a single class or OK applies to all of them.

class P:
    """One parameter: its kind decides which hostile values it gets and
    which exception each must raise."""

    def __init__(self, name, kind, benign=None, extreme=OK, one=OK):
        self.name = name
        self.kind = kind
        self.benign = benign
        self.extreme = extreme
        self.one = one

    def in_range_outcome(self, label):
        """Outcome of an in-range hostile value (True is just 1, whose
        outcome is `one`)."""
        if label == "True":
            return self.one
        if isinstance(self.extreme, dict):
            return self.extreme.get(label, OK)
        return self.extreme


def u32(name, extreme=OK, benign=0, one=OK):
    """unsigned 32-bit: 0 .. 2**32-1 (sizes, lengths)."""
    return P(name, "u32", benign, extreme, one)


def s32(name, extreme=OK, benign=0, one=OK):
    """signed 32-bit: -2**31 .. 2**31-1 (offsets, reserve, expand)."""
    return P(name, "s32", benign, extreme, one)


def u64(name, extreme=OK, benign=0, one=OK):
    """unsigned 64-bit: 0 .. 2**64-1 (NETIF_F features)."""
    return P(name, "u64", benign, extreme, one)


def i64(name, extreme=OK, benign=0, one=OK):
    """signed 64-bit: -2**63 .. 2**63-1 (the reassembly limits, longs)."""
    return P(name, "i64", benign, extreme, one)


def seconds(name, benign=0):
    """a time in seconds: an int or a float, not negative, finite."""
    return P(name, "seconds", benign)


def bounded(name, lo, hi, benign):
    """a plain Python int limited to lo..hi (no C parameter behind it):
    ValueError outside the range, TypeError for non-ints."""
    p = P(name, "bounded", benign)
    p.lo, p.hi = lo, hi
    return p


def data(name, extreme=OK):
    """bytes-like (buffer protocol)."""
    return P(name, "bytes", b"xy", extreme)


class _Fresh:
    """Benign value of a handle parameter: made fresh for each call."""

    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return f"<fresh {self.kind}>"


class _Freed(_Fresh):
    """A handle of that kind, freed before the call."""

    def __repr__(self):
        return f"<freed {self.kind}>"


def skb_arg(name, extreme=OK):
    """another SkBuff handle (fresh empty skb when benign)."""
    return P(name, "skb", _Fresh("skb"), extreme)


def ipv4_arg(name, extreme=OK):
    """an SkBuff holding an IPv4 packet, data at its header (fresh when benign)."""
    return P(name, "skb", _Fresh("ipv4"), extreme)


def fragment_arg(name, extreme=OK):
    """an SkBuff holding a first IPv4 fragment as received (fresh when benign)."""
    return P(name, "skb", _Fresh("fragment"), extreme)


def page_arg(name, extreme=OK):
    """a Page handle (fresh page when benign)."""
    return P(name, "page", _Fresh("page"), extreme)


def template_arg(name):
    """a skb.tunnel.TunnelTemplate (Ethernet + IPv4 + UDP + VXLAN)."""
    return P(name, "template", _Fresh("template"))


def vxlan_template():
    from skb.tunnel import TunnelTemplate
    ip = bytes.fromhex("4500000000004000401100000a0000010a000002")
    header = bytes(12) + b"\x08\x00" + ip + bytes.fromhex("000012b500000000") + \
        bytes.fromhex("0800000000002a00")
    return TunnelTemplate(header, 14, 34, udp=True)


def flag(name):
    """any object, used for its truth value."""
    return P(name, "flag", False)


class Api:
    """One public callable or attribute and what it takes."""

    def __init__(self, name, *params, benign=OK):
        self.name = name
        self.params = params
        self.benign = benign  # outcome with benign arguments on a live skb


# The geometry every call runs on: alloc_skb(100), reserve(64), 32 bytes
# of data -> headroom 64, len 32, tail 96, end 384, tailroom 288.
HEADER_OFFSET = {"-1": OK, "-2**31": SkbBug, "2**31-1": SkbBug}
COW = {"2**31-1": MemoryError, "2**31": MemoryError, "2**32-1": SkbBug}
NO_FRAGS = SkbBug  # frag index calls on an skb without frags

# SkBuff methods: one line each.
METHODS = [
    Api("reserve", s32("n", {"-2**31": SkbUnderPanic, "2**31-1": SkbOverPanic})),
    Api("put", u32("n", SkbOverPanic)),
    Api("put_data", data("data", SkbOverPanic)),
    Api("put_zero", u32("n", SkbOverPanic)),
    Api("push", u32("n", SkbUnderPanic)),
    Api("pull", u32("n")),  # n > len: None, unchanged
    Api("trim", u32("n")),
    Api("pskb_trim", u32("n")),
    Api("to_bytes"),
    Api("reset_mac_header"),
    Api("reset_network_header"),
    Api("reset_transport_header"),
    Api("reset_inner_mac_header"),
    Api("reset_inner_network_header"),
    Api("reset_inner_transport_header"),
    Api("reset_inner_headers"),
    Api("reset_mac_len"),
    Api("set_mac_header", s32("offset", HEADER_OFFSET)),
    Api("set_network_header", s32("offset", HEADER_OFFSET)),
    Api("set_transport_header", s32("offset", HEADER_OFFSET)),
    Api("set_inner_mac_header", s32("offset", HEADER_OFFSET)),
    Api("set_inner_network_header", s32("offset", HEADER_OFFSET)),
    Api("set_inner_transport_header", s32("offset", HEADER_OFFSET)),
    Api("get"),
    Api("kfree", u32("reason", SkbBug, benign=2)),  # 0 and past the enum are no reasons
    Api("consume"),
    Api("clone"),
    Api("is_cloned"),
    Api("header_cloned"),
    Api("shared"),
    Api("header_release"),
    Api("copy"),
    Api("pskb_copy"),
    Api("realloc_headroom", u32("headroom", COW)),
    Api("expand_head",
        s32("nhead", {"-1": SkbBug, "-2**31": SkbBug, "2**31-1": MemoryError}),
        s32("ntail", {"-2**31": SkbBug, "2**31-1": MemoryError})),
    Api("cow", u32("headroom", COW)),
    Api("cow_head", u32("headroom", COW)),
    Api("unshare"),
    Api("share_check"),
    # issue 3 (exercised once they exist)
    Api("linearize"),
    Api("may_pull", u32("n")),
    Api("pull_tail", u32("delta", SkbBug, one=SkbBug)),
    Api("copy_bits", s32("offset", {"-2**31": SkbFault, "2**31-1": SkbFault}),
        u32("n", SkbFault)),
    Api("store_bits", s32("offset", {"-2**31": SkbFault, "2**31-1": SkbFault}),
        data("data", SkbFault)),
    Api("header_pointer", s32("offset"), u32("n")),
    Api("checksum", s32("offset", {"-2**31": SkbFault, "2**31-1": SkbFault}),
        u32("n", SkbFault), u32("csum")),
    Api("fill_page_desc", s32("i", SkbBug, one=SkbBug), page_arg("page"), u32("off", SkbBug),
        u32("size", SkbBug)),
    Api("add_rx_frag", s32("i", SkbBug, one=SkbBug), page_arg("page"), u32("off", SkbBug),
        u32("size", SkbBug), u32("truesize", {"2**32-1": SkbBug})),
    Api("can_coalesce", s32("i"), page_arg("page"), u32("off")),
    Api("coalesce_rx_frag", s32("i", NO_FRAGS, one=NO_FRAGS), u32("size", NO_FRAGS, one=NO_FRAGS),
        u32("truesize", NO_FRAGS, one=NO_FRAGS), benign=NO_FRAGS),
    Api("frag_ref", s32("i", NO_FRAGS, one=NO_FRAGS), benign=NO_FRAGS),
    Api("frag_unref", s32("i", NO_FRAGS, one=NO_FRAGS), benign=NO_FRAGS),
    Api("frag_list_append", skb_arg("member")),
    Api("frag_list_prepend", skb_arg("member")),
    Api("walk_frags"),
    Api("split", skb_arg("skb1"), u32("n", SkbBug, benign=16)),
    Api("try_coalesce", skb_arg("frm")),
    # issue 4: the standard skb is not GSO (gso_size 0, transport header unset)
    Api("segment", u64("features", SkbSegmentError, one=SkbSegmentError),
        benign=SkbSegmentError),
    Api("is_gso"),
    Api("gso_reset"),
    Api("gso_validate_network_len", u32("mtu", SkbSegmentError, one=SkbSegmentError),
        benign=SkbSegmentError),
    Api("gso_validate_mac_len", u32("length", SkbSegmentError, one=SkbSegmentError),
        benign=SkbSegmentError),
    # issue 5: flow hash and checksum offload helpers
    Api("get_hash"),
    Api("ensure_writable", u32("n", MemoryError)),
    Api("checksum_help"),
    Api("lco_csum", benign=SkbBug),  # the standard skb is not CHECKSUM_PARTIAL
    Api("iptunnel_handle_offloads", u32("gso_type")),
    Api("udp_flow_src_port", s32("min", {"-1": ValueError, "-2**31": ValueError}),
        s32("max", {"2**31-1": ValueError}), flag("use_eth")),
    Api("tnl_push", template_arg("template")),
    Api("clear_hash"),
    # issue 7: drawings
    Api("draw", bounded("width", 60, 1000, benign=100)),
    Api("to_svg"),
]

# Settable integer fields: name -> bits (OverflowError when not fitting).
FIELDS = {
    "ip_summed": 2, "csum": 32, "csum_start": 16, "csum_offset": 16, "csum_level": 2,
    "protocol": 16, "inner_protocol": 16, "encapsulation": 1, "vlan_proto": 16,
    "vlan_tci": 16, "priority": 32, "mark": 32, "hash": 32, "l4_hash": 1, "sw_hash": 1,
    "pkt_type": 3,
    "queue_mapping": 16,
    "gso_size": 16, "gso_segs": 16, "gso_type": 32,  # issue 3
}
CB_SIZE = 48  # the settable control buffer: bytes-like, at most 48 bytes

# Read-only properties (every other public property must be listed above).
PROPERTIES = [
    "len", "data_len", "headlen", "headroom", "tailroom", "data_offset", "tail_offset",
    "end_offset", "truesize", "data", "mac_header", "network_header",
    "transport_header", "inner_mac_header", "inner_network_header",
    "inner_transport_header", "mac_offset", "network_offset", "transport_offset",
    "inner_mac_offset", "inner_network_offset", "inner_transport_offset", "mac_len",
    "network_header_len", "users", "dataref", "cloned", "nohdr", "hdr_len", "fclone",
    "fclone_ref",
    "nr_frags", "frags", "frag_list",  # issue 3
    "next", "prev",  # issue 4
    "head_id",  # issue 7
]

# Public functions of the skb module.
MODULE_FUNCTIONS = [
    Api("alloc_skb", u32("size", MemoryError), flag("fclone")),
    Api("counters"),
    Api("drop_counts"),
    Api("leak_check"),
    Api("alloc_page", u32("order", MemoryError)),  # issue 3
    Api("gso_segment", skb_arg("skb", SkbSegmentError),
        u64("features", SkbSegmentError, one=SkbSegmentError),
        benign=SkbSegmentError),  # issue 4: a fresh skb is no GSO packet
]

# skb.kernel functions: name -> the SkBuff method or property it spells
# (taking the skb first, then the method's parameters), or an Api for the
# allocators.
KERNEL = {
    "alloc_skb": Api("alloc_skb", u32("size", MemoryError)),
    "alloc_skb_fclone": Api("alloc_skb_fclone", u32("size", MemoryError)),
    "kfree_skb": "consume", "consume_skb": "consume", "skb_get": "get",
    "skb_reserve": "reserve", "skb_put": "put", "skb_put_data": "put_data",
    "skb_put_zero": "put_zero", "skb_push": "push", "skb_pull": "pull",
    "skb_trim": "trim", "pskb_trim": "pskb_trim",
    "skb_headroom": "headroom", "skb_tailroom": "tailroom", "skb_headlen": "headlen",
    "skb_end_offset": "end_offset", "skb_mac_offset": "mac_offset",
    "skb_network_offset": "network_offset", "skb_transport_offset": "transport_offset",
    "skb_clone": "clone", "skb_copy": "copy", "pskb_copy": "pskb_copy",
    "pskb_expand_head": "expand_head", "skb_cow": "cow", "skb_cow_head": "cow_head",
    "skb_unshare": "unshare", "skb_share_check": "share_check",
    "skb_realloc_headroom": "realloc_headroom", "skb_cloned": "is_cloned",
    "skb_header_cloned": "header_cloned", "skb_shared": "shared",
    "__skb_header_release": "header_release",
    "skb_reset_mac_header": "reset_mac_header",
    "skb_reset_network_header": "reset_network_header",
    "skb_reset_transport_header": "reset_transport_header",
    "skb_reset_inner_headers": "reset_inner_headers", "skb_reset_mac_len": "reset_mac_len",
    "skb_set_mac_header": "set_mac_header", "skb_set_network_header": "set_network_header",
    "skb_set_transport_header": "set_transport_header",
    # issue 3
    "pskb_may_pull": "may_pull", "__pskb_pull_tail": "pull_tail",
    "skb_linearize": "linearize", "skb_copy_bits": "copy_bits",
    "skb_store_bits": "store_bits", "skb_header_pointer": "header_pointer",
    "skb_checksum": "checksum", "skb_fill_page_desc": "fill_page_desc",
    "skb_add_rx_frag": "add_rx_frag", "skb_can_coalesce": "can_coalesce",
    "skb_coalesce_rx_frag": "coalesce_rx_frag", "skb_frag_ref": "frag_ref",
    "skb_frag_unref": "frag_unref", "skb_split": "split", "skb_try_coalesce": "try_coalesce",
    # issue 5
    "kfree_skb_reason": "kfree", "skb_get_hash": "get_hash",
    "skb_ensure_writable": "ensure_writable", "skb_checksum_help": "checksum_help",
    "lco_csum": "lco_csum", "iptunnel_handle_offloads": "iptunnel_handle_offloads",
    "udp_flow_src_port": "udp_flow_src_port",
}

METHOD_TABLE = {a.name: a for a in METHODS}

# skb.ip (issue 6): its functions; the DefragQueue constructor, methods and
# properties (settable: name -> parameter kind, as the constructor takes it).
LIMITS = {"-1": ValueError, "-2**31": ValueError, "-2**31-1": ValueError,
          "-2**63": ValueError}
IP_FUNCTIONS = [
    Api("fragment", ipv4_arg("s"), u32("mtu", one=ValueError, benign=576),
        u32("ll_rs", {"2**31-1": ValueError, "2**31": ValueError, "2**32-1": ValueError},
            benign=16),
        flag("ignore_df")),
    Api("ipcb", skb_arg("s")),
]
DEFRAG_NEW = Api("DefragQueue",
                 i64("high_thresh", dict(LIMITS, **{"True": ValueError}), benign=4 << 20,
                     one=ValueError),
                 i64("low_thresh", dict(LIMITS, **{"2**31-1": ValueError, "2**31": ValueError,
                                                   "2**32-1": ValueError, "2**32": ValueError}),
                     benign=3 << 20),
                 seconds("timeout", benign=30),
                 s32("max_dist", {"-1": ValueError, "-2**31": ValueError}, benign=64))
DEFRAG_METHODS = [
    Api("defrag", fragment_arg("s"), seconds("now")),
    Api("expire", seconds("now")),
    Api("close"),
]
DEFRAG_FIELDS = {p.name: p for p in DEFRAG_NEW.params}
DEFRAG_PROPERTIES = ["mem", "queues", "stats"]

# skb.Page (issue 3): methods and read-only properties.
PAGE_METHODS = {"get": SkbUseAfterFree, "put": SkbDoubleFree}  # name -> raised once freed
PAGE_PROPERTIES = ["size", "order", "refcount", "data"]


# ----------------------------------------------------------------------
# Hostile values.  Each is (label, make(victim) -> value); the victim is
# the skb under test, for the value that frees it while being converted.

class IntOnly:
    """Not an int, but has __int__ (as numpy scalars, Decimal ...)."""

    def __int__(self):
        return 1

    def __repr__(self):
        return "IntOnly()"


class IndexOnly:
    """Not an int, but has __index__."""

    def __index__(self):
        return 1

    def __repr__(self):
        return "IndexOnly()"


class FreesSkb:
    """An int look-alike whose conversion frees the skb under the call
    (it also compares like 1, so range checks in Python pass)."""

    def __init__(self, victim):
        self.victim = victim

    def _free(self):
        if type(self.victim) is SkBuff:
            self.victim.kfree()
        return 1

    def __int__(self):
        return self._free()

    def __bytes__(self):
        self._free()
        return b"x"

    def __lt__(self, other):
        return 1 < other

    def __le__(self, other):
        return 1 <= other

    def __gt__(self, other):
        return 1 > other

    def __ge__(self, other):
        return 1 >= other

    def __repr__(self):
        return "FreesSkb()"


def _const(v):
    return lambda victim: v


INT_VALUES = [
    ("-1", -1), ("-2**31", S32_MIN), ("-2**31-1", S32_MIN - 1), ("2**31-1", S32_MAX),
    ("2**31", 2**31), ("2**32-1", U32_MAX), ("2**32", 2**32), ("2**64", 2**64),
    ("-2**63", -(2**63)), ("True", True),
]
NON_INT_VALUES = [
    ("1.0", 1.0), ("1.5", 1.5), ("nan", math.nan), ("inf", math.inf), ("None", None),
    ("'1'", "1"), ("b'1'", b"1"), ("bytearray(b'1')", bytearray(b"1")),
    ("object()", object()), ("[1]", [1]), ("1j", 1j),
]
INT_LIKE_VALUES = [
    ("Decimal(1)", Decimal(1)), ("Fraction(1)", Fraction(1)), ("IntOnly()", IntOnly()),
]
# __index__ makes an integer (numpy's ints have it): accepted as that int,
# converted before the engine is called.
INDEX_VALUES = [("IndexOnly()", IndexOnly())]
INT_LIKE_LABELS = {label for label, _ in INT_LIKE_VALUES} | {"cdata int"}
FREES_LABEL = "FreesSkb()"


def int_cases(lo, hi, in_range, outside=OverflowError):
    """(label, make, expected) for an integer parameter of range [lo, hi];
    in_range(label) gives the outcome of an in-range value, ``outside``
    that of the others."""
    for label, v in INT_VALUES:
        yield label, _const(v), in_range(label) if lo <= v <= hi else outside
    for label, v in INDEX_VALUES:
        yield label, _const(v), in_range("True") if lo <= 1 <= hi else outside
    for label, v in NON_INT_VALUES + INT_LIKE_VALUES:
        yield label, _const(v), TypeError
    yield "cdata int", lambda victim: skb._engine.ffi.cast("int", 1), TypeError
    yield FREES_LABEL, FreesSkb, TypeError


BUFFERS = [("b''", b""), ("bytearray(b'ab')", bytearray(b"ab")),
           ("memoryview(b'ab')", memoryview(b"ab"))]
NOT_BUFFERS = [("5", 5), ("-1", -1), ("2**64", 2**64), ("True", True), ("None", None),
               ("'ab'", "ab"), ("1.0", 1.0), ("object()", object()), ("[1, 2]", [1, 2])]


def bytes_cases(param, max_len=None):
    for label, v in BUFFERS:
        yield label, _const(v), OK
    big = 1000
    expected = ValueError if max_len is not None else param.in_range_outcome("bytes(1000)")
    yield f"bytes({big})", _const(bytes(big)), expected
    for label, v in NOT_BUFFERS:
        yield label, _const(v), TypeError
    yield FREES_LABEL, FreesSkb, TypeError


def handle_cases(kind, wrong_type):
    """A parameter taking an SkBuff or a Page handle."""
    for label, v in [("None", None), ("1", 1), ("'x'", "x"), ("object()", object())]:
        yield label, _const(v), wrong_type
    yield f"freed {kind}", _const(_Freed(kind)), SkbUseAfterFree


def seconds_cases():
    """Seconds: ints and floats; negative or not finite is ValueError, past
    the engine's 64-bit nanosecond clock OverflowError."""
    for label, v in INT_VALUES:
        yield label, _const(v), (ValueError if v < 0 else
                                 OverflowError if v * 10**9 >= 2**64 else OK)
    for label, v in [("1.0", 1.0), ("1.5", 1.5), ("0.0", 0.0), ("1e9", 1e9)]:
        yield label, _const(v), OK
    for label, v in [("nan", math.nan), ("inf", math.inf), ("-0.5", -0.5)]:
        yield label, _const(v), ValueError
    yield "1e12", _const(1e12), OverflowError
    for label, v in INDEX_VALUES:
        yield label, _const(v), OK
    for label, v in [(lab, val) for lab, val in NON_INT_VALUES if not isinstance(val, float)]:
        yield label, _const(v), TypeError
    for label, v in INT_LIKE_VALUES:
        yield label, _const(v), TypeError
    yield "cdata int", lambda victim: skb._engine.ffi.cast("int", 1), TypeError
    yield FREES_LABEL, FreesSkb, TypeError


def param_cases(param):
    if param.kind == "seconds":
        return seconds_cases()
    if param.kind == "i64":
        return int_cases(-(2**63), 2**63 - 1, param.in_range_outcome)
    if param.kind == "u32":
        return int_cases(0, U32_MAX, param.in_range_outcome)
    if param.kind == "s32":
        return int_cases(S32_MIN, S32_MAX, param.in_range_outcome)
    if param.kind == "u64":
        return int_cases(0, 2**64 - 1, param.in_range_outcome)
    if param.kind == "bounded":
        return int_cases(param.lo, param.hi, param.in_range_outcome, ValueError)
    if param.kind == "bytes":
        return bytes_cases(param)
    if param.kind in ("skb", "page"):
        return handle_cases(param.kind, TypeError)
    if param.kind == "template":
        return iter([(label, _const(v), TypeError) for label, v in
                     [("None", None), ("1", 1), ("'x'", "x"), ("object()", object())]])
    if param.kind == "flag":
        return iter([(label, _const(v), OK) for label, v in
                     [("None", None), ("1", 1), ("'x'", "x"), ("object()", object())]])
    raise ValueError(param.kind)


# ----------------------------------------------------------------------
# Cases.  A case is a dict: id, api, call (readable), expected (class name
# or OK), and a run(ctx) closure making the call.

def _ename(e):
    return e if e == OK else e.__name__


class Ctx:
    """Objects made for one case, released afterwards."""

    def __init__(self):
        self.skbs = []
        self.pages = []
        self.queues = []
        self.target = None

    def std_skb(self, fclone=False):
        s = skb.alloc_skb(100, fclone=fclone)
        s.reserve(64)
        s.put_data(b"\xab" * 32)
        self.skbs.append(s)
        return s

    def fresh_skb(self):
        s = skb.alloc_skb(100)
        self.skbs.append(s)
        return s

    def ipv4(self, fragment=False):
        """A 1000-byte IPv4 packet (with fragment: MF set), data at its header."""
        hdr = bytearray.fromhex("450003e81234200040110000c0000201c6336407")
        if not fragment:
            hdr[6] = 0
        csum = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, 20, 2))
        while csum >> 16:
            csum = (csum & 0xFFFF) + (csum >> 16)
        hdr[10:12] = (0xFFFF - csum).to_bytes(2, "big")
        s = skb.alloc_skb(1000 + 64)
        s.reserve(64)
        s.put_data(bytes(hdr) + bytes(range(256)) * 3 + bytes(212))
        s.reset_network_header()
        self.skbs.append(s)
        return s

    def fresh_queue(self):
        q = skb.ip.DefragQueue()
        self.queues.append(q)
        return q

    def closed_queue(self):
        q = self.fresh_queue()
        q.close()
        return q

    def fresh_page(self):
        p = skb.alloc_page()
        self.pages.append(p)
        return p

    def freed(self, kind):
        h = self.fresh_skb() if kind == "skb" else self.fresh_page()
        h.kfree() if kind == "skb" else h.put()
        return h

    def arg(self, param, make):
        """Materialise a value: benign placeholders become real objects."""
        v = make(self.target)
        if type(v) is _Freed:
            return self.freed(v.kind)
        if type(v) is _Fresh:
            if v.kind == "template":
                return vxlan_template()
            if v.kind in ("ipv4", "fragment"):
                return self.ipv4(fragment=v.kind == "fragment")
            return self.fresh_skb() if v.kind == "skb" else self.fresh_page()
        return v

    def keep(self, result):
        """Results that are handles (or lists of them, or queues) are released too."""
        items = result if isinstance(result, (list, tuple, skb.SegmentList)) else [result]
        for r in items:
            if isinstance(r, SkBuff):
                self.skbs.append(r)
            elif type(r).__name__ == "Page":
                self.pages.append(r)
            elif isinstance(r, skb.ip.DefragQueue):
                self.queues.append(r)

    def release(self):
        for s in reversed(self.skbs):
            for _ in range(1000):
                if type(s) is not SkBuff:
                    break
                try:
                    s.kfree()
                except Exception:
                    break
        for p in self.pages:
            for _ in range(1000):
                try:
                    p.put()
                except Exception:
                    break
        for q in self.queues:
            q.close()
        self.skbs.clear()
        self.pages.clear()
        self.queues.clear()
        self.target = None


def _benign(param):
    return _const(param.benign)


def _fmt(api, params, labels, extra=""):
    args = ", ".join(f"{p.name}={lab}" for p, lab in zip(params, labels))
    return f"{api}({args}{extra})"


def method_cases(qual, call, params, benign, target_factory):
    """Cases for one callable: benign arguments, then each parameter in turn
    given every hostile value while the others stay benign, then arity.

    call(ctx, args) makes the call; target_factory(ctx) makes the skb
    under test (or None)."""
    benign_labels = [repr(p.benign) for p in params]

    def make_run(makers):
        def run(ctx):
            ctx.target = target_factory(ctx)
            args = [ctx.arg(p, m) for p, m in zip(params, makers)]
            return call(ctx, args)
        return run

    yield dict(api=qual, call=_fmt(qual, params, benign_labels), expected=_ename(benign),
               run=make_run([_benign(p) for p in params]))
    for i, param in enumerate(params):
        for label, make, expected in param_cases(param):
            makers = [_benign(p) for p in params]
            makers[i] = make
            labels = list(benign_labels)
            labels[i] = label
            yield dict(api=qual, call=_fmt(qual, params, labels), expected=_ename(expected),
                       run=make_run(makers), label=label, kind=param.kind)
    # Too many positional arguments, and an unknown keyword.
    yield dict(api=qual, call=_fmt(qual, params, benign_labels, ", <extra>"),
               expected="TypeError",
               run=lambda ctx: call(ctx, [ctx.arg(p, _benign(p)) for p in params] + [0],
                                    target=target_factory(ctx)))
    yield dict(api=qual, call=_fmt(qual, params, benign_labels, ", bogus=0"),
               expected="TypeError",
               run=lambda ctx: call(ctx, [ctx.arg(p, _benign(p)) for p in params],
                                    kwargs={"bogus": 0}, target=target_factory(ctx)))
    n_required = REQUIRED.get(qual, 0)
    if n_required:  # one required argument missing
        yield dict(api=qual, call=f"{qual}(<{n_required - 1} of {n_required} arguments>)",
                   expected="TypeError",
                   run=lambda ctx: call(ctx, [ctx.arg(p, _benign(p)) for p in params]
                                        [:n_required - 1], target=target_factory(ctx)))


REQUIRED: dict = {}  # qualname -> number of parameters without defaults (see all_cases)

# How the skb under test is freed before calling an API on it.
FREED_BY = ["kfree", "consume", "unshare", "unshare_enomem", "fclone_orig", "fclone_clone",
            "share_check_then_kfree"]


def freed_target(how, ctx):
    """An skb freed in the given way (its handle is dead)."""
    if how == "kfree":
        s = ctx.std_skb()
        s.kfree()
    elif how == "consume":
        s = ctx.std_skb()
        s.consume()
    elif how == "unshare":  # a cloned skb: unshare consumes the original
        s = ctx.std_skb()
        ctx.skbs.append(s.clone())
        ctx.keep(s.unshare())
    elif how == "unshare_enomem":  # original dropped even when the copy fails
        from skb.testing import fail_nth_alloc
        s = ctx.std_skb()
        ctx.skbs.append(s.clone())
        with fail_nth_alloc(1):
            try:
                s.unshare()
            except MemoryError:
                pass
    elif how == "fclone_orig":  # the original of an fclone pair, clone alive
        s = ctx.std_skb(fclone=True)
        ctx.skbs.append(s.clone())
        s.kfree()
    elif how == "fclone_clone":  # the companion of an fclone pair
        o = ctx.std_skb(fclone=True)
        s = o.clone()
        ctx.skbs.append(s)
        s.kfree()
    elif how == "share_check_then_kfree":  # shared: share_check drops one ref
        s = ctx.std_skb()
        s.get()
        ctx.keep(s.share_check())
        s.kfree()
    else:
        raise ValueError(how)
    if type(s) is not skb.FreedSkBuff:
        raise AssertionError(f"freed by {how}, the handle is a {type(s).__name__}")
    return s


def public_skbuff_names():
    return sorted(n for n in dir(SkBuff) if not n.startswith("_"))


def skbuff_property_names():
    return [n for n in public_skbuff_names()
            if isinstance(inspect.getattr_static(SkBuff, n), property)]


def _dead_exc(name):
    frees = ("kfree", "consume", "kfree_skb", "kfree_skb_reason", "consume_skb")
    return SkbDoubleFree if name in frees else SkbUseAfterFree


def _method_caller(name):
    def call(ctx, args, kwargs=None, target=None):
        t = target if target is not None else ctx.target
        r = getattr(t, name)(*args, **(kwargs or {}))
        ctx.keep(r)
        return r
    return call


class _Raw:
    """A value passed as-is in the skb position of a kernel function."""

    def __init__(self, v):
        self.v = v


def _kernel_caller(fname):
    fn = getattr(skb.kernel, fname)

    def call(ctx, args, kwargs=None, target=None):
        t = target if target is not None else ctx.target
        if type(t) is _Raw:
            t = t.v
        r = fn(t, *args, **(kwargs or {}))
        ctx.keep(r)
        return r
    return call


def skbuff_cases():
    methods = [n for n in public_skbuff_names() if n not in skbuff_property_names()]
    for name in methods:
        api = METHOD_TABLE.get(name)
        if api is None:  # reported by table_problems()
            continue
        qual = f"SkBuff.{name}"
        call = _method_caller(name)
        yield from method_cases(qual, call, api.params, api.benign, Ctx.std_skb)
        for how in FREED_BY:
            yield dict(api=qual, call=f"{qual}(<benign>) after {how}",
                       expected=_ename(_dead_exc(name)),
                       run=_freed_run(how, call, api.params))

    for name in skbuff_property_names():
        qual = f"SkBuff.{name}"
        yield dict(api=qual, call=f"{qual} (get)", expected=OK,
                   run=lambda ctx, n=name: getattr(ctx.std_skb(), n))
        yield dict(api=qual, call=f"del {qual}", expected="AttributeError",
                   run=lambda ctx, n=name: delattr(ctx.std_skb(), n))
        if name in FIELDS:
            yield from field_cases(name, FIELDS[name])
        elif name == "cb":
            yield from cb_cases()
        else:
            yield dict(api=qual, call=f"{qual} = 1 (read-only)", expected="AttributeError",
                       run=lambda ctx, n=name: setattr(ctx.std_skb(), n, 1))
        for how in FREED_BY:
            yield dict(api=qual, call=f"{qual} (get) after {how}", expected="SkbUseAfterFree",
                       run=lambda ctx, n=name, h=how: getattr(freed_target(h, ctx), n))
            yield dict(api=qual, call=f"{qual} = <benign> after {how}",
                       expected="SkbUseAfterFree",
                       run=lambda ctx, n=name, h=how: setattr(
                           freed_target(h, ctx), n, b"x" if n == "cb" else 1))


def _freed_run(how, call, params):
    def run(ctx):
        ctx.target = freed_target(how, ctx)
        return call(ctx, [ctx.arg(p, _benign(p)) for p in params])
    return run


def field_cases(name, bits):
    qual = f"SkBuff.{name}"
    mask = (1 << bits) - 1
    values = dict(INT_VALUES + [(f"2**{bits}-1", mask), (f"2**{bits}", mask + 1)])
    for label, v in values.items():
        expected = OK if 0 <= v <= mask else OverflowError
        yield dict(api=qual, call=f"{qual} = {label}", expected=_ename(expected),
                   run=_set_field(name, _const(v)), label=label, kind="field")
    for label, v in INDEX_VALUES:
        yield dict(api=qual, call=f"{qual} = {label}", expected=_ename(OK),
                   run=_set_field(name, _const(v)), label=label, kind="field")
    for label, v in NON_INT_VALUES + INT_LIKE_VALUES:
        yield dict(api=qual, call=f"{qual} = {label}", expected="TypeError",
                   run=_set_field(name, _const(v)), label=label, kind="field")
    yield dict(api=qual, call=f"{qual} = cdata int", expected="TypeError",
               run=_set_field(name, lambda victim: skb._engine.ffi.cast("int", 1)),
               label="cdata int", kind="field")
    yield dict(api=qual, call=f"{qual} = {FREES_LABEL}", expected="TypeError",
               run=_set_field(name, FreesSkb), label=FREES_LABEL, kind="field")


def _set_field(name, make):
    def run(ctx):
        s = ctx.target = ctx.std_skb()
        v = make(s)
        setattr(s, name, v)
        got = getattr(s, name)
        if got != operator.index(v):  # an accepted value must read back as its int
            raise AssertionError(f"{name} = {v!r} reads back {got!r}")
    return run


def cb_cases():
    qual = "SkBuff.cb"
    param = data("cb")
    for label, make, expected in bytes_cases(param, max_len=CB_SIZE):
        yield dict(api=qual, call=f"{qual} = {label}", expected=_ename(expected),
                   run=_set_cb(make), label=label, kind="cb")
    yield dict(api=qual, call=f"{qual} = bytes(48)", expected=OK,
               run=_set_cb(_const(bytes(48))))


def _set_cb(make):
    def run(ctx):
        s = ctx.target = ctx.std_skb()
        v = make(s)
        s.cb = v
        want = bytes(v).ljust(CB_SIZE, b"\0")
        if s.cb != want:
            raise AssertionError(f"cb = {v!r} reads back {s.cb!r}")
    return run


def module_cases():
    names = [n for n in skb.__all__ if inspect.isfunction(getattr(skb, n))]
    for name in names:
        api = {a.name: a for a in MODULE_FUNCTIONS}.get(name)
        if api is None:  # reported by table_problems()
            continue
        qual = f"skb.{name}"
        fn = getattr(skb, name)

        def call(ctx, args, kwargs=None, target=None, fn=fn):
            r = fn(*args, **(kwargs or {}))
            ctx.keep(r)
            return r
        yield from method_cases(qual, call, api.params, api.benign, Ctx.fresh_skb)


def kernel_cases():
    for fname in skb.kernel.__all__:
        entry = KERNEL.get(fname)
        if entry is None:  # reported by table_problems()
            continue
        qual = f"skb.kernel.{fname}"
        if isinstance(entry, Api):  # an allocator: no skb argument
            fn = getattr(skb.kernel, fname)

            def call(ctx, args, kwargs=None, target=None, fn=fn):
                r = fn(*args, **(kwargs or {}))
                ctx.keep(r)
                return r
            yield from method_cases(qual, call, entry.params, entry.benign, Ctx.fresh_skb)
            continue
        if entry in METHOD_TABLE:
            api = METHOD_TABLE[entry]
            params = api.params
            benign = api.benign
        else:  # a property spelled as a function
            params, benign = (), OK
        call = _kernel_caller(fname)
        yield from method_cases(qual, call, params, benign, Ctx.std_skb)
        # The skb argument itself: duck-typed, so a non-skb has no such
        # attribute; a freed skb raises as the method does.
        for label, v in [("None", None), ("1", 1), ("'x'", "x"), ("object()", object())]:
            yield dict(api=qual, call=f"{qual}(skb={label}, <benign>)",
                       expected="AttributeError",
                       run=lambda ctx, v=v, c=call, ps=params:
                       c(ctx, [ctx.arg(p, _benign(p)) for p in ps], target=_Raw(v)))
        for how in FREED_BY:
            yield dict(api=qual, call=f"{qual}(<benign>) after {how}",
                       expected=_ename(_dead_exc(fname)),
                       run=_freed_run(how, call, params))


def protocol_cases():
    """Python protocols on a handle: none may duplicate or crash it."""
    def live(fn):
        return lambda ctx: fn(ctx.std_skb())

    def dead(fn):
        return lambda ctx: fn(freed_target("kfree", ctx))

    yield dict(api="repr", call="repr(skb)", expected=OK, run=live(repr))
    yield dict(api="repr", call="repr(freed skb)", expected=OK, run=dead(repr))
    yield dict(api="bytes()", call="bytes(skb)", expected=OK, run=live(bytes))
    yield dict(api="bytes()", call="bytes(freed skb)", expected="SkbUseAfterFree",
               run=dead(bytes))
    yield dict(api="copy.copy", call="copy.copy(skb)", expected="TypeError",
               run=_copy_and_drop(copy.copy))
    yield dict(api="copy.deepcopy", call="copy.deepcopy(skb)", expected="TypeError",
               run=_copy_and_drop(copy.deepcopy))
    yield dict(api="pickle", call="pickle.dumps(skb)", expected="TypeError",
               run=live(pickle.dumps))
    yield dict(api="SkBuff()", call="SkBuff()", expected="TypeError",
               run=lambda ctx: SkBuff())
    yield dict(api="__del__", call="skb.__del__() then skb.len", expected="SkbUseAfterFree",
               run=_explicit_del, gc_leaks=1)
    yield dict(api="limits", call="clone() until dataref overflows", expected="SkbBug",
               run=_dataref_overflow)


def _explicit_del(ctx):
    """Calling the finalizer by hand frees the references as a leak (with a
    warning); the handle must then be dead, not dangling."""
    s = skb.alloc_skb(100)  # not in ctx: dropping it runs the real finalizer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", skb.SkbLeakWarning)
        s.__del__()
        try:
            s.len  # noqa: B018
        finally:
            del s
            gc.collect()


def _dataref_overflow(ctx):
    """dataref's low half counts every reference: the 65535th clone BUGs."""
    s = ctx.std_skb()
    for i in range(70000):
        try:
            ctx.skbs.append(s.clone())
        except SkbBug:
            if i != 0xFFFF - 1:
                raise AssertionError(f"clone number {i + 1} failed, not 65535") from None
            raise


def _copy_and_drop(fn):
    """A copy of a handle, then both handles used and dropped."""
    def run(ctx):
        s = ctx.std_skb()
        c = fn(s)  # must raise: a second handle would free the skb twice
        s.kfree()
        del s
        gc.collect()
        c.len  # noqa: B018
        del c
        gc.collect()
    return run


# ----------------------------------------------------------------------
# Views (memoryviews from data/put/push/pull) after free and expand_head.

def _views(s):
    """Fill the standard skb's regions through views; return them."""
    v_put = s.put(8)
    v_put[:] = b"PPPPPPPP"
    v_push = s.push(4)
    v_push[:] = b"HHHH"
    v_data = s.data
    v_pull = s.pull(2)
    return [v_put, v_push, v_data, v_pull]


def _no_corruption(ctx, views, snapshot):
    """Old views still read what they read before; writing through them
    must not reach any live skb."""
    for v, before in zip(views, snapshot):
        if bytes(v) != before:
            raise AssertionError(f"a view changed: {before!r} -> {bytes(v)!r}")
    others = [ctx.fresh_skb() for _ in range(32)]
    for o in others:
        o.put(o.tailroom)
    for v in views:
        if not v.readonly and len(v):
            v[:] = b"\x5a" * len(v)
    for o in others:
        if any(o.data):
            raise AssertionError("writing through a stale view changed a new skb")


def view_cases():
    def after_kfree(ctx):
        s = ctx.std_skb()
        views = _views(s)
        snap = [bytes(v) for v in views]
        s.kfree()
        if skb.counters().zombie_heads < 1:
            raise AssertionError("the freed head is not kept for its views")
        _no_corruption(ctx, views, snap)

    def after_expand(ctx):
        s = ctx.std_skb()
        views = _views(s)
        snap = [bytes(v) for v in views]
        packet = bytes(s.data)
        s.expand_head(128, 256)
        _no_corruption(ctx, views, snap)
        if bytes(s.data) != packet:
            raise AssertionError("writing through an old view changed the new head")
        s.kfree()
        for v, before in zip(views, snap):
            bytes(v)

    def after_expand_then_kfree(ctx):
        s = ctx.std_skb()
        views = _views(s)
        s.expand_head(64, 0)
        views += _views(s)
        snap = [bytes(v) for v in views]
        s.kfree()
        _no_corruption(ctx, views, snap)

    def after_unshare(ctx):
        s = ctx.std_skb()
        views = _views(s)
        c = s.clone()
        ctx.skbs.append(c)
        ro = s.data
        if not ro.readonly:
            raise AssertionError("a view of cloned data is writable")
        snap = [bytes(v) for v in views]
        n = s.unshare()
        ctx.skbs.append(n)
        c.kfree()
        _no_corruption(ctx, views, snap)
        bytes(ro)

    def readonly_stays_readonly(ctx):
        s = ctx.std_skb()
        c = s.clone()
        ctx.skbs.append(c)
        v = s.data
        try:
            v[0] = 1
        except TypeError:
            pass
        else:
            raise AssertionError("wrote through a view of shared data")
        c.kfree()
        s.kfree()
        try:
            v[0] = 1
        except TypeError:
            pass
        else:
            raise AssertionError("a read-only view became writable after free")
        bytes(v)

    def released_views(ctx):
        s = ctx.std_skb()
        for _ in range(3):
            v = s.data
            v.release()
            s.put(1).release()
        s.expand_head(0, 0)
        s.data.release()
        if bytes(s.data) != b"\xab" * 32 + b"\0" * 3:
            raise AssertionError(f"data after releases: {bytes(s.data)!r}")

    def many_views(ctx):
        s = ctx.std_skb()
        views = [s.data for _ in range(2000)] + [s.pull(0) for _ in range(2000)]
        s.expand_head(64, 0)
        views += [s.data for _ in range(2000)]
        s.kfree()
        if sum(len(v) for v in views) != 6000 * 32:
            raise AssertionError("view lengths changed")

    def fclone_views(ctx):
        o = ctx.std_skb(fclone=True)
        c = o.clone()
        ctx.skbs.append(c)
        views = [o.data, c.data]
        snap = [bytes(v) for v in views]
        o.kfree()
        c.kfree()
        _no_corruption(ctx, views, snap)

    def after_gc_leak(ctx):
        """A handle collected without kfree is freed as a leak; its views
        keep the head."""
        s = skb.alloc_skb(100)
        s.reserve(64)
        s.put_data(b"\xab" * 32)
        views = _views(s)
        snap = [bytes(v) for v in views]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", skb.SkbLeakWarning)
            del s
            gc.collect()
        _no_corruption(ctx, views, snap)

    for fn in (after_kfree, after_expand, after_expand_then_kfree, after_unshare,
               readonly_stays_readonly, released_views, many_views, fclone_views):
        yield dict(api="views", call=f"views: {fn.__name__}", expected=OK, run=fn)
    yield dict(api="views", call="views: after_gc_leak", expected=OK, run=after_gc_leak,
               gc_leaks=1)


def _page_names():
    page = getattr(skb, "Page", None)
    return [] if page is None else sorted(n for n in dir(page) if not n.startswith("_"))


def page_cases():
    """skb.Page once it exists: benign use, then everything after the last put()."""
    for name in _page_names():
        if name not in PAGE_METHODS and name not in PAGE_PROPERTIES:
            continue  # reported by table_problems()
        qual = f"Page.{name}"
        if name in PAGE_PROPERTIES:
            yield dict(api=qual, call=f"{qual} (get)", expected=OK,
                       run=lambda ctx, n=name: getattr(ctx.fresh_page(), n))
            yield dict(api=qual, call=f"{qual} = 1 (read-only)", expected="AttributeError",
                       run=lambda ctx, n=name: setattr(ctx.fresh_page(), n, 1))
            dead = SkbUseAfterFree
            use = getattr
        else:
            yield dict(api=qual, call=f"{qual}()", expected=OK,
                       run=lambda ctx, n=name: ctx.keep(getattr(ctx.fresh_page(), n)()))
            yield dict(api=qual, call=f"{qual}(<extra>)", expected="TypeError",
                       run=lambda ctx, n=name: getattr(ctx.fresh_page(), n)(0))
            dead = PAGE_METHODS[name]

            def use(p, n):
                return getattr(p, n)()
        yield dict(api=qual, call=f"{qual} after put()", expected=_ename(dead),
                   run=lambda ctx, n=name, u=use: u(ctx.freed("page"), n))


def _module_caller(fn):
    def call(ctx, args, kwargs=None, target=None):
        r = fn(*args, **(kwargs or {}))
        ctx.keep(r)
        return r
    return call


def _defrag_public():
    return sorted(n for n in dir(skb.ip.DefragQueue) if not n.startswith("_"))


def ip_cases():
    """skb.ip: its functions, the DefragQueue constructor, methods and
    properties, and everything on a closed queue (ValueError)."""
    for api in IP_FUNCTIONS:
        if api.name not in skb.ip.__all__:
            continue  # reported by table_problems()
        yield from method_cases(f"skb.ip.{api.name}", _module_caller(getattr(skb.ip, api.name)),
                                api.params, api.benign, Ctx.fresh_skb)
    yield from method_cases("skb.ip.DefragQueue", _module_caller(skb.ip.DefragQueue),
                            DEFRAG_NEW.params, DEFRAG_NEW.benign, Ctx.fresh_skb)
    public = _defrag_public()
    for api in DEFRAG_METHODS:
        if api.name not in public:
            continue
        qual = f"DefragQueue.{api.name}"
        call = _method_caller(api.name)
        yield from method_cases(qual, call, api.params, api.benign, Ctx.fresh_queue)
        yield dict(api=qual, call=f"{qual}(<benign>) after close()",
                   expected=OK if api.name == "close" else "ValueError",
                   run=lambda ctx, c=call, ps=api.params: c(
                       ctx, [ctx.arg(p, _benign(p)) for p in ps], target=ctx.closed_queue()))
    for name in public:
        if not isinstance(inspect.getattr_static(skb.ip.DefragQueue, name), property):
            continue
        qual = f"DefragQueue.{name}"
        yield dict(api=qual, call=f"{qual} (get)", expected=OK,
                   run=lambda ctx, n=name: getattr(ctx.fresh_queue(), n))
        yield dict(api=qual, call=f"del {qual}", expected="AttributeError",
                   run=lambda ctx, n=name: delattr(ctx.fresh_queue(), n))
        yield dict(api=qual, call=f"{qual} (get) after close()", expected="ValueError",
                   run=lambda ctx, n=name: getattr(ctx.closed_queue(), n))
        param = DEFRAG_FIELDS.get(name)
        if param is None:
            yield dict(api=qual, call=f"{qual} = 1 (read-only)", expected="AttributeError",
                       run=lambda ctx, n=name: setattr(ctx.fresh_queue(), n, 1))
            continue
        yield dict(api=qual, call=f"{qual} = <benign> after close()", expected="ValueError",
                   run=lambda ctx, n=name, v=param.benign: setattr(ctx.closed_queue(), n, v))
        for label, make, expected in param_cases(param):
            yield dict(api=qual, call=f"{qual} = {label}", expected=_ename(expected),
                       run=_set_limit(name, make), label=label, kind=param.kind)


def _set_limit(name, make):
    def run(ctx):
        q = ctx.target = ctx.fresh_queue()
        v = make(q)
        setattr(q, name, v)
        want = v if isinstance(v, float) else operator.index(v)
        if getattr(q, name) != want:  # an accepted value must read back as itself
            raise AssertionError(f"{name} = {v!r} reads back {getattr(q, name)!r}")
    return run


# ----------------------------------------------------------------------

def all_cases():
    """Every case, with a unique id (its index)."""
    for qual, params in _signature_targets():
        REQUIRED[qual] = sum(p.default is inspect.Parameter.empty for p in params.values())
    cases = []
    for gen in (skbuff_cases, page_cases, module_cases, kernel_cases, protocol_cases,
                view_cases, ip_cases):
        cases.extend(gen())
    for i, c in enumerate(cases):
        c["id"] = i
        c.setdefault("label", "")
        c.setdefault("kind", "")
    return cases


def _signature_targets():
    """(qualname, parameters after self/skb) of every table-driven API."""
    for name in public_skbuff_names():
        attr = inspect.getattr_static(SkBuff, name)
        if not isinstance(attr, property):
            yield f"SkBuff.{name}", dict(list(inspect.signature(attr).parameters.items())[1:])
    for name in skb.__all__:
        fn = getattr(skb, name)
        if inspect.isfunction(fn):
            yield f"skb.{name}", dict(inspect.signature(fn).parameters)
    for name in skb.kernel.__all__:
        params = dict(inspect.signature(getattr(skb.kernel, name)).parameters)
        if not isinstance(KERNEL.get(name), Api):
            params = dict(list(params.items())[1:])
        yield f"skb.kernel.{name}", params
    for name in skb.ip.__all__:
        fn = getattr(skb.ip, name)
        if inspect.isfunction(fn) or fn is skb.ip.DefragQueue:
            yield f"skb.ip.{name}", dict(inspect.signature(fn).parameters)
    for name in _defrag_public():
        attr = inspect.getattr_static(skb.ip.DefragQueue, name)
        if not isinstance(attr, property):
            yield f"DefragQueue.{name}", dict(list(inspect.signature(attr).parameters.items())[1:])


def table_problems():
    """Public names the tables do not describe, and table entries whose
    parameters differ from the real signatures (checked in-process)."""
    problems = []
    props = set(skbuff_property_names())
    for name in public_skbuff_names():
        if name in props:
            if name not in FIELDS and name not in PROPERTIES and name != "cb":
                problems.append(f"SkBuff.{name}: property missing from PROPERTIES/FIELDS")
            attr = inspect.getattr_static(SkBuff, name)
            if (attr.fset is not None) != (name in FIELDS or name == "cb"):
                problems.append(f"SkBuff.{name}: settable-ness differs from the table")
        elif name not in METHOD_TABLE:
            problems.append(f"SkBuff.{name}: method missing from METHODS")
    for name in _page_names():
        if name not in PAGE_METHODS and name not in PAGE_PROPERTIES:
            problems.append(f"Page.{name}: missing from PAGE_METHODS/PAGE_PROPERTIES")
    module_table = {a.name: a for a in MODULE_FUNCTIONS}
    for name in skb.__all__:
        if inspect.isfunction(getattr(skb, name)) and name not in module_table:
            problems.append(f"skb.{name}: function missing from MODULE_FUNCTIONS")
    for name in skb.kernel.__all__:
        if name not in KERNEL:
            problems.append(f"skb.kernel.{name}: missing from KERNEL")
        elif not isinstance(KERNEL[name], Api) and KERNEL[name] not in METHOD_TABLE \
                and KERNEL[name] not in props:
            problems.append(f"skb.kernel.{name}: maps to unknown {KERNEL[name]!r}")
    ip_table = {a.name: a for a in IP_FUNCTIONS + [DEFRAG_NEW]}
    for name in skb.ip.__all__:
        if inspect.isfunction(getattr(skb.ip, name)) and name not in ip_table:
            problems.append(f"skb.ip.{name}: function missing from IP_FUNCTIONS")
    defrag_methods = {a.name: a for a in DEFRAG_METHODS}
    for name in _defrag_public():
        attr = inspect.getattr_static(skb.ip.DefragQueue, name)
        if isinstance(attr, property):
            if name not in DEFRAG_FIELDS and name not in DEFRAG_PROPERTIES:
                problems.append(f"DefragQueue.{name}: property missing from "
                                "DEFRAG_FIELDS/DEFRAG_PROPERTIES")
            elif (attr.fset is not None) != (name in DEFRAG_FIELDS):
                problems.append(f"DefragQueue.{name}: settable-ness differs from the table")
        elif name not in defrag_methods:
            problems.append(f"DefragQueue.{name}: method missing from DEFRAG_METHODS")
    for qual, params in _signature_targets():
        kind, _, name = qual.rpartition(".")
        if kind == "SkBuff":
            api = METHOD_TABLE.get(name)
        elif kind == "skb":
            api = module_table.get(name)
        elif kind == "skb.ip":
            api = ip_table.get(name)
        elif kind == "DefragQueue":
            api = defrag_methods.get(name)
        else:
            entry = KERNEL.get(name)
            api = entry if isinstance(entry, Api) else METHOD_TABLE.get(entry)
            if api is None:  # a property spelled as a function
                api = Api(name)
        if api is None:
            continue
        table_names = [p.name for p in api.params]
        real = list(params)
        # kernel functions may rename (len for n); compare the count there
        if kind == "skb.kernel" and not isinstance(KERNEL.get(name), Api):
            if len(real) != len(table_names):
                problems.append(f"{qual}{tuple(real)}: table says {tuple(table_names)}")
        elif real != table_names:
            problems.append(f"{qual}{tuple(real)}: table says {tuple(table_names)}")
    return problems


COUNTER_FIELDS = ("live_skbs", "live_heads", "live_pages", "zombie_skbs", "zombie_heads",
                  "zombie_pages", "raw_blocks", "gc_leaks")


def _snapshot():
    """The counters; gc_leaks net of the leaks cases make on purpose."""
    c = skb.counters()
    snap = {f: getattr(c, f) for f in COUNTER_FIELDS}
    snap["gc_leaks"] -= _expected_gc_leaks
    return snap


_expected_gc_leaks = 0  # leaks some cases make on purpose (the gc safety net)


def run_case(case):
    global _expected_gc_leaks
    ctx = Ctx()
    before = _snapshot()
    _expected_gc_leaks += case.get("gc_leaks", 0)
    detail = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case["run"](ctx)
            got = OK
        except BaseException as e:  # noqa: BLE001 - we report every outcome
            got = type(e).__name__
            detail = str(e)[:200]
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            ctx.release()
    after = _snapshot()
    if after != before:  # only cycles are left to the collector
        gc.collect()
        after = _snapshot()
    leaks = {k: [before[k], after[k]] for k in COUNTER_FIELDS if before[k] != after[k]}
    return dict(id=case["id"], api=case["api"], call=case["call"],
                label=case["label"], kind=case["kind"],
                expected=case["expected"], got=got, detail=detail, leaks=leaks,
                warnings=[f"{w.category.__name__}: {w.message}" for w in caught])


def main(argv):
    only = set(json.load(sys.stdin)) if "--stdin" in argv else None
    skip = {int(argv[i + 1]) for i, a in enumerate(argv) if a == "--skip"}
    out = sys.stdout
    for case in all_cases():
        if case["id"] in skip or (only is not None and case["id"] not in only):
            continue
        out.write(json.dumps({"start": case["id"]}) + "\n")
        out.flush()
        out.write(json.dumps(run_case(case)) + "\n")
        out.flush()
    gc.collect()
    out.write(json.dumps({"final": _snapshot()}) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
