"""UDP echo throughput: keeps a window of datagrams in flight to an echo
server for a few seconds and reports the echoed payload rate.

    python3 udp_echo_bench.py HOST [PORT] [SECONDS]
"""
import socket
import sys
import time

host = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 7
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 4.0
size, window = 1400, 32
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
payload = b"v" * size
inflight = echoed = 0
end = time.monotonic() + seconds
start = time.monotonic()
while time.monotonic() < end:
    while inflight < window:
        s.sendto(payload, (host, port))
        inflight += 1
    try:
        data, _ = s.recvfrom(4096)
        echoed += len(data)
        inflight -= 1
    except socket.timeout:
        inflight = 0  # lost: refill the window
elapsed = time.monotonic() - start
print(f"{echoed * 8 / elapsed / 1e6:.1f}")
