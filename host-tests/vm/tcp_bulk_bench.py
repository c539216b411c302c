"""Bulk TCP throughput, for the VM tier's benchmark.

    python3 tcp_bulk_bench.py serve HOST PORT
    python3 tcp_bulk_bench.py up|down HOST PORT SECONDS RUNS

serve: accepts connections on HOST:PORT, one at a time. The client's first
byte names the direction: "u" (the server reads until the client shuts
its side, then answers the byte count as 8 bytes, big-endian) or "d" (the
server writes until the client closes).

up: sends as fast as TCP takes it for SECONDS, shuts its side and waits
for the server's count: the rate is what the server received, over the
time until its answer came, so nothing left in a buffer counts.

down: reads for SECONDS and counts what arrived.

Prints the median of RUNS runs, then every run, in Mbit/s (one process for
all runs: starting Python is slow under TCG). A run that fails counts 0.
"""
import socket
import struct
import sys
import time

CHUNK = 65536
TIMEOUT = 20.0


def serve(host, port):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(4)
    payload = b"v" * CHUNK
    while True:
        conn, _ = lsock.accept()
        conn.settimeout(TIMEOUT)
        try:
            mode = conn.recv(1)
            if mode == b"u":
                total = 0
                while True:
                    data = conn.recv(CHUNK)
                    if not data:
                        break
                    total += len(data)
                conn.sendall(struct.pack(">Q", total))
            elif mode == b"d":
                while True:
                    conn.sendall(payload)
        except OSError:
            pass  # the client closed or went away: the run is over
        finally:
            conn.close()


def upload(host, port, seconds):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    payload = b"v" * CHUNK
    start = time.monotonic()
    s.sendall(b"u")
    end = start + seconds
    while time.monotonic() < end:
        s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    answer = b""
    while len(answer) < 8:
        data = s.recv(8 - len(answer))
        if not data:
            raise OSError("the server closed without a count")
        answer += data
    elapsed = time.monotonic() - start
    s.close()
    return struct.unpack(">Q", answer)[0] * 8 / elapsed / 1e6


def download(host, port, seconds):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    start = time.monotonic()
    s.sendall(b"d")
    end = start + seconds
    total = 0
    while time.monotonic() < end:
        data = s.recv(CHUNK)
        if not data:
            break
        total += len(data)
    elapsed = time.monotonic() - start
    s.close()
    return total * 8 / elapsed / 1e6


def measured(run, *args):
    try:
        return run(*args)
    except OSError as e:
        print(f"run failed: {e}", file=sys.stderr)
        return 0.0


mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "serve":
    serve(host, port)
    sys.exit(0)
seconds, runs = float(sys.argv[4]), int(sys.argv[5])
if mode == "up":
    rates = [measured(upload, host, port, seconds) for _ in range(runs)]
elif mode == "down":
    rates = [measured(download, host, port, seconds) for _ in range(runs)]
else:
    sys.exit(f"unknown mode {mode}")
median = sorted(rates)[len(rates) // 2]
print(" ".join(f"{r:.1f}" for r in [median] + rates))
