"""802.1Q / 802.1ad tags: skb_vlan_push and skb_vlan_pop.

A tag lives in one of two places.  The accelerated ("hwaccel") tag is
metadata, ``s.vlan_proto`` and ``s.vlan_tci``, which a device inserts on
the wire; a tag is present there when either is non-zero (the kernel's
``vlan_all``).  An in-band tag is four bytes of the frame between the
source MAC and the ethertype; ``s.protocol`` is then the tag's TPID.

Both functions expect data at the mac header (``s.mac_offset == 0``), as
the kernel's do.  Errors are the kernel's return codes as exceptions:
-EINVAL (data not at the mac header, frame shorter than its Ethernet
header) is ValueError; -ENOMEM (no memory to unshare the header, or too
short a frame to pop from, which ``skb_ensure_writable`` reports the same
way) is MemoryError.  A header shared with a clone is copied first
(``skb_cow_head`` / ``skb_ensure_writable``), never written through.
"""

from __future__ import annotations

from .headers import ETH_HLEN, ETH_P_802_2, ETH_P_802_3, ETH_P_802_3_MIN, ETH_P_8021AD, \
    ETH_P_8021Q, VLAN_HLEN
from .ip import postpull_rcsum, postpush_rcsum

VLAN_ETH_HLEN = ETH_HLEN + VLAN_HLEN
VLAN_PRIO_MASK = 0xE000
VLAN_PRIO_SHIFT = 13
VLAN_CFI_MASK = 0x1000
VLAN_VID_MASK = 0x0FFF
_ETH_TLEN = 2
_ADDRS = 12  # both MAC addresses


def eth_type_vlan(ethertype: int) -> bool:
    """eth_type_vlan: an 802.1Q or 802.1ad TPID."""
    return ethertype in (ETH_P_8021Q, ETH_P_8021AD)


def vlan_tag_present(s) -> bool:
    """skb_vlan_tag_present: an accelerated tag is set."""
    return bool(s.vlan_tci or s.vlan_proto)


def _check_at_mac(s, op: str) -> None:
    if s.mac_offset != 0:
        raise ValueError(f"{op}: data is not at the mac header (offset "
                         f"{s.mac_offset}) (-EINVAL)")


def vlan_insert_tag(s, vlan_proto: int, vlan_tci: int, mac_len: int = ETH_HLEN) -> None:
    """__vlan_insert_inner_tag: put an in-band tag at mac_len (the Ethernet
    header plus any outer tags); s.protocol is left alone."""
    if not s.may_pull(mac_len):
        raise ValueError(f"__vlan_insert_inner_tag: the frame is shorter than its "
                         f"{mac_len}-byte mac header (-EINVAL)")
    s.cow_head(VLAN_HLEN)
    mac = s.mac_offset
    s.push(VLAN_HLEN)
    d = s.data
    if mac_len > _ETH_TLEN:
        d[0:mac_len - _ETH_TLEN] = bytes(d[VLAN_HLEN:mac_len - _ETH_TLEN + VLAN_HLEN])
    if mac is not None:
        # the mac header moves with the addresses: same distance from data
        s.set_mac_header(mac)
    at = mac_len - ETH_HLEN
    if mac_len >= _ETH_TLEN:
        d[at + 12:at + 14] = vlan_proto.to_bytes(2, "big")
    else:
        d[at + 16:at + 18] = s.protocol.to_bytes(2, "big")
    d[at + 14:at + 16] = vlan_tci.to_bytes(2, "big")


def vlan_push(s, vlan_proto: int, vlan_tci: int) -> None:
    """skb_vlan_push: make (vlan_proto, vlan_tci) the accelerated tag; an
    accelerated tag already there is first written into the frame."""
    if not 0 <= vlan_proto <= 0xFFFF or not 0 <= vlan_tci <= 0xFFFF:
        raise ValueError(f"vlan_push: proto {vlan_proto:#x} and tci {vlan_tci:#x} are "
                         "16-bit values")
    if vlan_tag_present(s):
        _check_at_mac(s, "skb_vlan_push")
        nh = s.network_offset
        vlan_insert_tag(s, s.vlan_proto, s.vlan_tci)
        s.protocol = s.vlan_proto
        # the network header now names the in-band tag, as the kernel has it
        s.set_network_header(nh)
        postpush_rcsum(s, _ADDRS, VLAN_HLEN)
    s.vlan_proto = vlan_proto
    s.vlan_tci = vlan_tci


def _vlan_pop_inband(s) -> int:
    """__skb_vlan_pop: take the in-band tag out of the frame; returns its TCI."""
    _check_at_mac(s, "__skb_vlan_pop")
    s.ensure_writable(VLAN_ETH_HLEN)
    postpull_rcsum(s, _ADDRS, VLAN_HLEN)
    d = s.data
    tci = d[14] << 8 | d[15]
    encap = d[16] << 8 | d[17]
    d[VLAN_HLEN:VLAN_HLEN + _ADDRS] = bytes(d[0:_ADDRS])
    # vlan_set_encap_proto: below 0x600 the field is an 802.3 length
    if encap >= ETH_P_802_3_MIN:
        s.protocol = encap
    else:
        raw = s.header_pointer(VLAN_ETH_HLEN, 2)
        s.protocol = ETH_P_802_3 if raw is not None and bytes(raw) == b"\xff\xff" \
            else ETH_P_802_2
    s.pull(VLAN_HLEN)
    s.set_mac_header(0)
    if s.network_offset < ETH_HLEN:
        s.set_network_header(ETH_HLEN)
    s.reset_mac_len()
    return tci


def vlan_pop(s) -> None:
    """skb_vlan_pop: drop the accelerated tag, or else the outer in-band
    one; then an in-band tag left behind becomes the accelerated tag."""
    if vlan_tag_present(s):
        s.vlan_proto = 0
        s.vlan_tci = 0
    else:
        if not eth_type_vlan(s.protocol):
            return
        _vlan_pop_inband(s)
    if not eth_type_vlan(s.protocol):
        return
    vlan_proto = s.protocol
    tci = _vlan_pop_inband(s)
    s.vlan_proto = vlan_proto
    s.vlan_tci = tci


__all__ = ["VLAN_CFI_MASK", "VLAN_ETH_HLEN", "VLAN_PRIO_MASK", "VLAN_PRIO_SHIFT",
           "VLAN_VID_MASK", "eth_type_vlan", "vlan_insert_tag", "vlan_pop", "vlan_push",
           "vlan_tag_present"]
