"""UDP throughput through one interface, for the VM tier's benchmark.

    python3 udp_echo_bench.py echo HOST PORT SECONDS RUNS
    python3 udp_echo_bench.py oneway HOST PORT SECONDS RUNS IFACE

Prints the median of RUNS runs of SECONDS each, then every run, in Mbit/s
(one process for all runs: starting Python is slow under TCG).

echo: keeps a window of datagrams in flight to an echo server for a few
seconds and prints the echoed payload rate (Mbit/s).

oneway: sends datagrams as fast as the socket takes them for a few seconds
and prints the payload rate of what IFACE counted as sent (its tx_packets
times the payload): bytes that left through the interface, not bytes the
sender wrote, so a queue that drops cannot inflate it. Over wwan0 usbnet
counts a packet once its bulk OUT transfer completed (the modem took it);
over a veth the count is what the peer received.
"""
import socket
import sys
import time

SIZE, WINDOW = 1400, 32


def echo(host, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    payload = b"v" * SIZE
    inflight = echoed = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        while inflight < WINDOW:
            try:
                s.sendto(payload, (host, port))
            except OSError:
                break  # the socket's buffer is full: nothing is leaving
            inflight += 1
        try:
            data, _ = s.recvfrom(4096)
            echoed += len(data)
            inflight -= 1
        except socket.timeout:
            inflight = 0  # lost: refill the window
    return echoed * 8 / (time.monotonic() - start) / 1e6


def tx_packets(iface):
    with open(f"/sys/class/net/{iface}/statistics/tx_packets") as f:
        return int(f.read())


def oneway(host, port, seconds, iface):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"v" * SIZE
    before = tx_packets(iface)
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for _ in range(16):
            try:
                s.sendto(payload, (host, port))
            except OSError:
                pass  # ENOBUFS: the queue is full; what left is counted
    # What was queued at the end drains uncounted within this wait.
    time.sleep(0.2)
    sent = tx_packets(iface) - before
    return sent * SIZE * 8 / (time.monotonic() - start) / 1e6


mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
seconds, runs = float(sys.argv[4]), int(sys.argv[5])
if mode == "echo":
    rates = [echo(host, port, seconds) for _ in range(runs)]
elif mode == "oneway":
    rates = [oneway(host, port, seconds, sys.argv[6]) for _ in range(runs)]
else:
    sys.exit(f"unknown mode {mode}")
median = sorted(rates)[len(rates) // 2]
print(" ".join(f"{r:.1f}" for r in [median] + rates))
