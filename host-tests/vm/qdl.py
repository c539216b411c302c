"""A minimal QDL host for the boot-loader VM test, written from libqmi's
qmi-firmware-update framing (not from vmodem's code), plus a synthetic
CWE image builder.

  qdl.py hello TTY       DLOAD SDP then QDL HELLO v6; prints what came back
  qdl.py cwe PATH SIZE   writes a CWE image with SIZE data bytes
"""
import os
import select
import struct
import sys
import termios
import tty


def crc16(data):
    # CRC-16/X-25: reflected 0x8408, init 0xFFFF, inverted.
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return ~crc & 0xFFFF


def escape(data):
    out = bytearray()
    for b in data:
        if b in (0x7E, 0x7D):
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


def frame(payload):
    return b"\x7e" + escape(payload + struct.pack("<H", crc16(payload))) + b"\x7e"


def unframe(raw):
    body = raw.strip(b"\x7e").split(b"\x7e")[0]
    out, esc = bytearray(), False
    for b in body:
        if esc:
            out.append(b ^ 0x20)
            esc = False
        elif b == 0x7D:
            esc = True
        else:
            out.append(b)
    payload, crc = bytes(out[:-2]), struct.unpack("<H", out[-2:])[0]
    if crc16(payload) != crc:
        raise ValueError("bad CRC in reply %s" % raw.hex())
    return payload


def exchange(fd, payload):
    os.write(fd, frame(payload))
    raw = b""
    while raw.count(b"\x7e") < 2 or not raw.rstrip(b"\x7e"):
        r, _, _ = select.select([fd], [], [], 5)
        if not r:
            raise TimeoutError("no reply to %s" % payload[:1].hex())
        raw += os.read(fd, 4096)
    return unframe(raw)


def hello(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIOFLUSH)
    sdp = exchange(fd, b"\x70\x00\x00")
    print("sdp reply:", sdp.hex())
    magic = b"QCOM high speed protocol hst".ljust(32, b"\0")
    rsp = exchange(fd, b"\x01" + magic + bytes([6, 6, 0x30]))
    print("hello reply: %d bytes, cmd 0x%02x, magic %r, versions %d/%d"
          % (len(rsp), rsp[0], rsp[1:29], rsp[33], rsp[34]))
    os.close(fd)
    ok = sdp == b"\x02" and len(rsp) == 49 and rsp[0] == 0x02
    return 0 if ok else 1


def cwe(path, size):
    # libqmi's QfuCweFileHeader: 400 bytes, sizes big-endian, strings
    # printable and NUL-padded.
    data = bytes((i * 7) & 0xFF for i in range(size))
    hdr = bytes(256)
    hdr += struct.pack(">III", 0, 3, 0)
    hdr += b"APPL" + b"9X15"
    hdr += struct.pack(">II", size, 0)
    hdr += b"SWI9X15C_05.05.58.00_Generic_005.025_002".ljust(84, b"\0")
    hdr += b"151021".ljust(8, b"\0")
    hdr += struct.pack(">I", 0) + bytes(20)
    assert len(hdr) == 400
    with open(path, "wb") as f:
        f.write(hdr + data)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "hello":
        sys.exit(hello(sys.argv[2]))
    sys.exit(cwe(sys.argv[2], int(sys.argv[3])))
