#!/usr/bin/env python3
"""Drives headless Chromium through the DevTools protocol against a running
vmodem's dashboard: waits for the charts to update, clicks "reset", waits
for the modem to leave and rejoin the bus on the page, saves a screenshot.
Prints what it saw as one JSON object; host-tests/pty/dashboard.rs judges.

    dashboard.py URL SCREENSHOT.png
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client, see requirements.txt

DEADLINE = 60  # seconds for the whole run


class Page:
    def __init__(self, ws_url):
        # Chromium refuses DevTools connections that carry a foreign Origin.
        self.ws = websocket.create_connection(ws_url, timeout=10, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expr, what, limit):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            v = self.js(expr)
            if v:
                return v
            time.sleep(0.1)
        raise TimeoutError(f"the page never showed {what} ({expr})")


def start_chromium(profile):
    args = [
        "chromium", "--headless", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}",
        "--window-size=1400,1400", "about:blank",
    ]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses root
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 20
    for line in proc.stderr:
        m = re.search(r"DevTools listening on ws://([^/]+)/", line)
        if m:
            return proc, m.group(1)
        if time.monotonic() > end:
            break
    proc.kill()
    raise RuntimeError("chromium did not open its DevTools port")


def main():
    url, shot = sys.argv[1], sys.argv[2]
    start = time.monotonic()
    # Chromium's helpers may still be closing files in the profile when
    # it is removed: a leftover there is no failure of the dashboard.
    with tempfile.TemporaryDirectory(prefix="vmodem-chromium-", ignore_cleanup_errors=True) as profile:
        proc, devtools = start_chromium(profile)
        try:
            with urllib.request.urlopen(f"http://{devtools}/json/list", timeout=10) as r:
                target = next(t for t in json.load(r) if t["type"] == "page")
            page = Page(target["webSocketDebuggerUrl"])
            page.call("Page.enable")
            page.call("Page.navigate", url=url)
            page.wait("window.dashboard !== undefined && document.readyState === 'complete'",
                      "the dashboard script", 15)
            canvases = page.js("document.querySelectorAll('#chart-volts canvas, #chart-amps canvas').length")
            page.wait("document.getElementById('conn').textContent === 'live'", "the live stream", 10)
            # The charts update: new supply samples arrive while we watch.
            first = page.wait("window.dashboard.xs.length", "a first supply sample", 10)
            later = page.wait(f"window.dashboard.xs.length > {first} && window.dashboard.xs.length",
                              "the charts updating", 10)
            usb_before = page.js("document.getElementById('state-usb').textContent")
            # A real click, at the reset button's place on the screen.
            rect = page.js("(() => { const r = document.querySelector('button[data-fault=reset]')"
                           ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
            for kind in ("mousePressed", "mouseReleased"):
                page.call("Input.dispatchMouseEvent", type=kind, x=rect[0], y=rect[1],
                          button="left", clickCount=1)
            left = page.wait("[...document.querySelectorAll('#timeline li.left-bus')].map(l => l.textContent)"
                             ".filter(t => t.includes('injected'))[0]", "the modem leaving the bus", 10)
            back = page.wait("document.querySelector('#timeline li.returned-to-bus') &&"
                             " document.querySelector('#timeline li.returned-to-bus').textContent",
                             "the modem rejoining the bus", 15)
            page.wait("document.getElementById('state-usb').textContent === 'on-bus' &&"
                      " document.getElementById('state-resets').textContent.startsWith('1')",
                      "the state panel back on the bus after one reset", 10)
            markers = page.js("window.dashboard.markers.map(m => m.label)")
            result = page.js("document.getElementById('fault-result').textContent")
            time.sleep(0.5)  # one more frame of the charts
            png = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
            with open(shot, "wb") as f:
                f.write(png)
            print(json.dumps({
                "canvases": canvases, "samples_first": first, "samples_later": later,
                "usb_before": usb_before, "left": left, "returned": back,
                "markers": markers, "fault_result": result,
                "seconds": round(time.monotonic() - start, 1),
            }))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    sys.exit(main())
