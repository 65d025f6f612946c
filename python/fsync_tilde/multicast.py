"""Multicast for the workshop: one datagram reaches every site that joined the group
(fsync-send --to GROUP:PORT --ttl N; fsync-play --listen PORT --group GROUP;
Pd 0.51+: [netreceive -u -b PORT GROUP])."""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import Optional


def is_multicast(host: str) -> bool:
    """True for an IPv4 or IPv6 multicast address literal (a name is not one)."""
    try:
        return ipaddress.ip_address(host).is_multicast
    except ValueError:
        return False


def join(sock: socket.socket, group: str, port: int, interface: str = "0.0.0.0") -> None:
    """Binds `sock` to PORT on the group and joins it (IPv4; the kernel's route picks
    the interface unless `interface` names one of this machine's addresses)."""
    if not is_multicast(group) or ipaddress.ip_address(group).version != 4:
        raise ValueError(f"{group} is not an IPv4 multicast group (224.0.0.0/4; 239.255.0.0/16 is for local use)")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((group, port))
    request = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(interface))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request)


def set_sender(sock: socket.socket, ttl: int, interface: Optional[str] = None) -> None:
    """How far multicast from `sock` goes: TTL 1 = this network only (routers stop it)."""
    if not 0 <= ttl <= 255:
        raise ValueError("multicast TTL must be 0..255")
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    if interface:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
