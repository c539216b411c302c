#!/usr/bin/env python3
"""A small QMI host on a pty, for judging vmodem's suites against hosts
whose behaviour is known.

    qmi_host.py MODE [LINK]     (LINK defaults to $VMODEM_LINK)

MODE:
  good          allocates DMS and WDS clients, verifies the PIN, starts a
                network on APN "internet", then polls once every 0.5 s;
                when the module stops answering (a reset) it does it all
                again once the module is back.
  never-reopen  the same bring-up, but after the module stops answering it
                never sends another byte: a host that loses the modem.
  storm         the same as good, but polls as fast as the module answers:
                a host that storms the module with requests.
"""

import os
import select
import struct
import sys
import time
import tty

PIN = b"1234"
APN = b"internet"
ANSWER_WITHIN = 1.0


class Gone(Exception):
    """The module did not answer in time."""


class Qmi:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.buf = b""
        self.txn = 0
        # The module has answered this host since it opened the pty.
        self.answered = False

    def frame(self, service, client, msg, tlvs):
        body = b"".join(struct.pack("<BH", t, len(v)) + v for t, v in tlvs)
        self.txn = self.txn % 200 + 1
        if service == 0:
            qmi = struct.pack("<BBHH", 0, self.txn, msg, len(body))
        else:
            qmi = struct.pack("<BHHH", 0, self.txn, msg, len(body))
        qmux = struct.pack("<HBBB", 5 + len(qmi) + len(body), 0, service, client)
        return b"\x01" + qmux + qmi + body

    def read_frame(self, deadline):
        while True:
            if len(self.buf) >= 3 and self.buf[0] == 1:
                n = struct.unpack("<H", self.buf[1:3])[0] + 1
                if len(self.buf) >= n:
                    f, self.buf = self.buf[:n], self.buf[n:]
                    return f
            elif self.buf:
                self.buf = self.buf[1:]
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise Gone()
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)

    def request(self, service, client, msg, tlvs=()):
        """Sends one request; returns (QMI error, TLVs) of its response."""
        os.write(self.fd, self.frame(service, client, msg, tlvs))
        txn = self.txn
        deadline = time.monotonic() + ANSWER_WITHIN
        while True:
            f = self.read_frame(deadline)
            svc, flags = f[4], f[6]
            hdr = 6 if svc == 0 else 7
            if svc == 0:
                rtxn, rmsg = f[7], struct.unpack("<H", f[8:10])[0]
            else:
                rtxn, rmsg = struct.unpack("<HH", f[7:11])
            response = flags & (0x01 if svc == 0 else 0x02)
            if svc != service or rmsg != msg or rtxn != txn or not response:
                continue  # an indication, or the answer to an older request
            tlvs = {}
            i = 6 + hdr
            while i + 3 <= len(f):
                t, n = f[i], struct.unpack("<H", f[i + 1 : i + 3])[0]
                tlvs[t] = f[i + 3 : i + 3 + n]
                i += 3 + n
            err = struct.unpack("<HH", tlvs.get(2, b"\0\0\0\0"))[1]
            self.answered = True
            return err, tlvs


def bring_up(q):
    def alloc(svc):
        err, t = q.request(0, 0, 0x0022, [(1, bytes([svc]))])
        if err:
            raise Gone()
        return t[1][1]

    dms, wds = alloc(0x02), alloc(0x01)
    q.request(0x02, dms, 0x0028, [(1, bytes([1, len(PIN)]) + PIN)])
    # The network may take a moment after the PIN: try a few times.
    for _ in range(10):
        err, _ = q.request(0x01, wds, 0x0020, [(0x14, APN)])
        if err == 0:
            break
        time.sleep(0.5)
    return dms


def main():
    mode = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else os.environ["VMODEM_LINK"]
    q = Qmi(path)
    dms = None
    while True:
        try:
            if dms is None:
                dms = bring_up(q)
            err, _ = q.request(0x02, dms, 0x002D)
            if err == 7:  # InvalidClientId: the module reset meanwhile
                raise Gone()
            if mode != "storm":
                time.sleep(0.5)
        except Gone:
            if mode == "never-reopen" and q.answered:
                while True:
                    time.sleep(3600)
            dms = None
            time.sleep(0.2)


if __name__ == "__main__":
    main()
