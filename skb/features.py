"""Device features (``NETIF_F``) and GSO types (``SKB_GSO``), with the
kernel's bit values read from the engine, so they cannot drift."""

from __future__ import annotations

import enum

from ._engine import lib

GSO_BY_FRAGS: int = lib.GSO_BY_FRAGS


class NETIF_F(enum.IntFlag):
    """netdev_features_t bits: what a device can do itself."""

    SG = lib.NETIF_F_SG
    IP_CSUM = lib.NETIF_F_IP_CSUM
    HW_CSUM = lib.NETIF_F_HW_CSUM
    IPV6_CSUM = lib.NETIF_F_IPV6_CSUM
    HIGHDMA = lib.NETIF_F_HIGHDMA
    FRAGLIST = lib.NETIF_F_FRAGLIST
    HW_VLAN_CTAG_TX = lib.NETIF_F_HW_VLAN_CTAG_TX
    GSO = lib.NETIF_F_GSO
    TSO = lib.NETIF_F_TSO
    GSO_ROBUST = lib.NETIF_F_GSO_ROBUST
    TSO_ECN = lib.NETIF_F_TSO_ECN
    TSO_MANGLEID = lib.NETIF_F_TSO_MANGLEID
    TSO6 = lib.NETIF_F_TSO6
    GSO_GRE = lib.NETIF_F_GSO_GRE
    GSO_GRE_CSUM = lib.NETIF_F_GSO_GRE_CSUM
    GSO_IPXIP4 = lib.NETIF_F_GSO_IPXIP4
    GSO_IPXIP6 = lib.NETIF_F_GSO_IPXIP6
    GSO_UDP_TUNNEL = lib.NETIF_F_GSO_UDP_TUNNEL
    GSO_UDP_TUNNEL_CSUM = lib.NETIF_F_GSO_UDP_TUNNEL_CSUM
    GSO_PARTIAL = lib.NETIF_F_GSO_PARTIAL
    GSO_TUNNEL_REMCSUM = lib.NETIF_F_GSO_TUNNEL_REMCSUM
    GSO_SCTP = lib.NETIF_F_GSO_SCTP
    GSO_ESP = lib.NETIF_F_GSO_ESP
    GSO_UDP = lib.NETIF_F_GSO_UDP
    GSO_UDP_L4 = lib.NETIF_F_GSO_UDP_L4
    GSO_FRAGLIST = lib.NETIF_F_GSO_FRAGLIST
    RXCSUM = lib.NETIF_F_RXCSUM


class SKB_GSO(enum.IntFlag):
    """skb_shared_info.gso_type bits."""

    TCPV4 = lib.SKB_GSO_TCPV4
    DODGY = lib.SKB_GSO_DODGY
    TCP_ECN = lib.SKB_GSO_TCP_ECN
    TCP_FIXEDID = lib.SKB_GSO_TCP_FIXEDID
    TCPV6 = lib.SKB_GSO_TCPV6
    FCOE = lib.SKB_GSO_FCOE
    GRE = lib.SKB_GSO_GRE
    GRE_CSUM = lib.SKB_GSO_GRE_CSUM
    IPXIP4 = lib.SKB_GSO_IPXIP4
    IPXIP6 = lib.SKB_GSO_IPXIP6
    UDP_TUNNEL = lib.SKB_GSO_UDP_TUNNEL
    UDP_TUNNEL_CSUM = lib.SKB_GSO_UDP_TUNNEL_CSUM
    PARTIAL = lib.SKB_GSO_PARTIAL
    TUNNEL_REMCSUM = lib.SKB_GSO_TUNNEL_REMCSUM
    SCTP = lib.SKB_GSO_SCTP
    ESP = lib.SKB_GSO_ESP
    UDP = lib.SKB_GSO_UDP
    UDP_L4 = lib.SKB_GSO_UDP_L4
    FRAGLIST = lib.SKB_GSO_FRAGLIST


__all__ = ["GSO_BY_FRAGS", "NETIF_F", "SKB_GSO"]
