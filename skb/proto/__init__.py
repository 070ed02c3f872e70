"""Protocols on top of the skb API: header views, VLAN tags, VXLAN and GRE.

Written only against the public ``SkBuff`` interface (methods, properties
and Python arithmetic), so the same code runs on the C engine and on the
pure-Python twin ``skb.testing.model``, the way a user's own protocol code
would.

* ``skb.proto.headers`` - zero-copy header views (Ethernet, 802.1Q, IPv4,
  IPv6, UDP, TCP, ICMP, VXLAN, GRE) declared by field tables, and checksum
  helpers (``ip_send_check``, UDP/TCP over the skb's ``checksum``).
* ``skb.proto.vlan`` - ``vlan_push``/``vlan_pop`` (skb_vlan_push/pop).
* ``skb.proto.vxlan`` - ``encap``/``decap``, ``VxlanTunnel`` (template fast
  path), ``VxlanDevice`` (FDB, learning, counters).
* ``skb.proto.gre`` - ``encap``/``decap``, ``GreTunnel`` (template fast
  path), ``GreTunnels`` (ip_gre's lookup).
* ``skb.proto.ip`` - what those share: outer receive checks, receive
  checksum bookkeeping, ECN, device counters.

Decaps return ``(skb, info)`` or ``skb.Drop(reason)`` after freeing the
packet with ``kfree(reason)``; malformed input never raises.
"""

from . import gre, headers, ip, vlan, vxlan

__all__ = ["gre", "headers", "ip", "vlan", "vxlan"]
