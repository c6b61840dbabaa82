#!/usr/bin/env python3
"""A deliberately wrong listener for bench/daemons.sh: binds PROTO ADDRESS PORT and keeps it
open (TCP: accepts and closes each connection; UDP: reads and drops datagrams) until killed.
Usage: listen.py tcp|udp ADDRESS PORT
       listen.py packet * ETHERTYPE (a packet socket with a classic BPF filter that takes every
       frame, as BPFDoor attaches one; reads and drops frames)"""
import socket
import struct
import sys

SO_ATTACH_FILTER = 26


def main() -> int:
    proto, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if proto == "packet":
        import ctypes
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(port))
        insn = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0xFFFF))  # ret #65535
        s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("HL", 1, ctypes.addressof(insn)))
        while True:
            s.recv(2048)
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    if proto == "tcp":
        s.listen(16)
        while True:
            c, _ = s.accept()
            c.close()
    while True:
        s.recvfrom(2048)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
