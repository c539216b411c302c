// The vmodem dashboard: one modem's supply, state, host activity and event
// timeline, live; fault buttons; the fleet when there are several. Talks
// only to the API of the vmodem that served it (docs/dashboard.md).
"use strict";
(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  const auth = token ? { "x-vmodem-token": token } : {};
  // Every series and list is bounded: a page left open for days stays small.
  const MAX_POINTS = 5000;
  const MAX_MARKERS = 200;
  const MAX_LINES = 500;
  const FLEET_ROWS = 64;

  let modem = Math.max(1, Number(params.get("modem")) || 1);
  const xs = [], volts = [], amps = [], markers = [];
  let events = null;

  const $ = (id) => document.getElementById(id);

  async function getJson(path) {
    const r = await fetch(path + query, { headers: auth, cache: "no-store" });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }

  // ---- charts (uPlot) ----
  function markerPlugin() {
    const colours = { reset: "#c0392b", brownout: "#e67e22", personality: "#2471a3", power: "#7d3c98" };
    return {
      hooks: {
        draw: [(u) => {
          const ctx = u.ctx;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
          ctx.textBaseline = "top";
          // uPlot leaves its own alignment from drawing the axes.
          ctx.textAlign = "left";
          // Labels take the first row where they overlap nothing.
          const rowsEnd = [];
          for (const m of markers) {
            if (m.t < u.scales.x.min || m.t > u.scales.x.max) continue;
            const x = u.valToPos(m.t, "x", true);
            ctx.strokeStyle = colours[m.kind] || "#555";
            ctx.fillStyle = ctx.strokeStyle;
            ctx.setLineDash([4, 4]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            const w = ctx.measureText(m.label).width;
            const tx = Math.min(x + 3, left + width - w - 2);
            let row = rowsEnd.findIndex((end) => end < tx);
            if (row < 0) { row = rowsEnd.length; rowsEnd.push(0); }
            rowsEnd[row] = tx + w + 6;
            ctx.fillText(m.label, tx, top + 2 + row * 13 * devicePixelRatio);
          }
          ctx.restore();
        }],
      },
    };
  }

  function chart(el, title, unit, data, colour) {
    return new uPlot({
      title,
      width: Math.max(400, el.clientWidth || 800),
      height: 230,
      scales: {
        x: { time: false },
        // Never below zero: a supply reading is not negative.
        y: { range: (u, min, max) => [0, Math.max(max * 1.15, unit === "V" ? 5.5 : 0.5)] },
      },
      axes: [
        { label: "simulated time (s)" },
        { label: unit, values: (u, ticks) => ticks.map((v) => v.toFixed(unit === "V" ? 1 : 2)) },
      ],
      series: [
        { label: "t (s)" },
        // Sample and hold: the supply keeps its value until the next reading.
        { label: `${title} (${unit})`, stroke: colour, width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
      ],
      plugins: [markerPlugin()],
    }, [xs, data], el);
  }

  const voltsChart = chart($("chart-volts"), "Voltage at the module", "V", volts, "#1f618d");
  const ampsChart = chart($("chart-amps"), "Current drawn", "A", amps, "#b9770e");

  let redraw = false;
  function scheduleRedraw() {
    if (redraw) return;
    redraw = true;
    requestAnimationFrame(() => {
      redraw = false;
      voltsChart.setData([xs, volts]);
      ampsChart.setData([xs, amps]);
    });
  }

  function addSample(t, v, a) {
    // In time order, whatever order the stream and the polls arrive in.
    let i = xs.length;
    while (i > 0 && xs[i - 1] > t) i--;
    xs.splice(i, 0, t);
    volts.splice(i, 0, v);
    amps.splice(i, 0, a);
    if (xs.length > MAX_POINTS) { xs.shift(); volts.shift(); amps.shift(); }
    scheduleRedraw();
  }

  // Moments within this many seconds share one line and one label
  // (a brownout and the reset it causes), so labels stay few and legible.
  const SAME_MOMENT = 0.05;

  function addMarker(t, label, kind) {
    const last = markers[markers.length - 1];
    if (last && Math.abs(last.t - t) <= SAME_MOMENT) {
      last.label += `, ${label}`;
      if (kind === "reset") last.kind = kind;
      scheduleRedraw();
      return;
    }
    markers.push({ t, label, kind });
    if (markers.length > MAX_MARKERS) markers.shift();
    scheduleRedraw();
  }

  // ---- the event stream ----
  function compact(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number" && !Number.isInteger(v)) return String(Number(v.toFixed(3)));
    if (typeof v !== "object") return String(v);
    const parts = [];
    if (typeof v.fault === "string") parts.push(v.fault);
    for (const [k, x] of Object.entries(v)) {
      if ((k === "fault" && typeof x === "string") || x === null) continue;
      parts.push(`${k}=${compact(x)}`);
    }
    return parts.join(" ");
  }

  function addLine(text, kind) {
    const li = document.createElement("li");
    li.textContent = text;
    li.className = kind;
    const list = $("timeline");
    list.appendChild(li);
    while (list.children.length > MAX_LINES) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  function onRecord(r) {
    if (r.event === "lagged") {
      addLine(`… ${r.skipped} records skipped: this page fell behind`, "lagged");
      return;
    }
    const t = r["t-ms"] / 1000;
    switch (r.event) {
      case "supply":
        addSample(t, r.volts, r.amps);
        return;
      case "reset":
        addMarker(t, `reset #${r.count}: ${compact(r.cause)}`, "reset");
        break;
      case "brownout":
        addMarker(t, `brownout ${Number(r.volts).toFixed(2)} V`, "brownout");
        break;
      case "returned-to-bus":
        addMarker(t, r.personality === "boot-loader" ? "boot loader (1199:9040)" : "application (1199:9041)", "personality");
        break;
      case "fault":
        // A power change, but not the scenario's [power] set-up (no step).
        if (r.fault && r.fault.fault === "power" && !(r.source === "scenario" && r.step === undefined)) {
          addMarker(t, compact(r.fault), "power");
        }
        break;
    }
    const rest = Object.assign({}, r);
    for (const k of ["t-ms", "wall-ms", "event"]) delete rest[k];
    addLine(`${t.toFixed(3).padStart(10)} s  ${r.event}  ${compact(rest)}`, r.event);
  }

  function connect() {
    if (events) events.close();
    events = new EventSource(`/api/modems/${modem}/events${query}`);
    events.onopen = () => { $("conn").textContent = "live"; $("conn").className = "badge live"; };
    events.onerror = () => { $("conn").textContent = "reconnecting"; $("conn").className = "badge down"; };
    events.onmessage = (e) => {
      try { onRecord(JSON.parse(e.data)); } catch (err) { console.warn(err); }
    };
  }

  // ---- state, activity, fleet (polled) ----
  function showStatus(s) {
    $("state-usb").textContent = s.usb;
    $("state-personality").textContent = s.personality || "—";
    $("state-composition").textContent = s["usb-composition"];
    $("state-radio").textContent = s.radio;
    $("state-rat").textContent = s.technology || "—";
    $("state-registration").textContent = s.registration;
    $("state-sim").textContent = s.sim;
    $("state-bearers").textContent = s.bearers;
    $("state-resets").textContent = s["last-reset"] ? `${s.resets} (last: ${compact(s["last-reset"])})` : s.resets;
    $("state-supply").textContent = `${s["module-volts"].toFixed(2)} V, ${s["module-amps"].toFixed(3)} A, ${s.load}, ${s.brownouts} brownouts`;
    // The reading now: the step holds until the next breakpoint.
    addSample(s["t-ms"] / 1000, s["module-volts"], s["module-amps"]);
  }

  // Rows of the activity table: the busiest (service, client) pairs.
  const ACTIVITY_ROWS = 12;
  let lastActivity = null;
  function showActivity(a) {
    const body = $("activity").tBodies[0];
    body.textContent = "";
    const dt = lastActivity ? (a["t-ms"] - lastActivity["t-ms"]) / 1000 : 0;
    const before = new Map();
    if (lastActivity) for (const r of lastActivity.requests) before.set(`${r.service}/${r.client}`, r.count);
    const rows = a.requests.map((r) => {
      const rate = dt > 0 ? (r.count - (before.get(`${r.service}/${r.client}`) || 0)) / dt : 0;
      return { ...r, rate };
    });
    rows.sort((x, y) => y.rate - x.rate || y.count - x.count);
    const perService = new Map();
    for (const r of rows) perService.set(r.service, (perService.get(r.service) || 0) + r.rate);
    $("activity-services").textContent = [...perService]
      .map(([s, rate]) => `${s} ${rate.toFixed(1)}/s`).join(" · ") || "no requests yet";
    for (const r of rows.slice(0, ACTIVITY_ROWS)) {
      const tr = body.insertRow();
      for (const v of [r.service, r.client, dt > 0 ? r.rate.toFixed(1) : "—", r.count]) tr.insertCell().textContent = v;
    }
    if (rows.length > ACTIVITY_ROWS) {
      const rest = rows.slice(ACTIVITY_ROWS);
      const tr = body.insertRow();
      tr.insertCell().textContent = `${rest.length} more`;
      tr.insertCell();
      tr.insertCell().textContent = rest.reduce((n, r) => n + r.rate, 0).toFixed(1);
      tr.insertCell().textContent = rest.reduce((n, r) => n + r.count, 0);
    }
    const d = a.data;
    $("data-bytes").textContent = `data: ${d["rx-bytes"]} B in ${d["rx-packets"]} packets from the host, ` +
      `${d["tx-bytes"]} B in ${d["tx-packets"]} packets to it, ${d.dropped} dropped` +
      (a["other-requests"] ? `; ${a["other-requests"]} other requests` : "");
    lastActivity = a;
  }

  async function poll() {
    try {
      const s = await getJson(`/api/modems/${modem}/status`);
      if (s.ok) showStatus(s.status);
      showActivity(await getJson(`/api/modems/${modem}/activity`));
    } catch (e) {
      $("conn").textContent = "no answer";
      $("conn").className = "badge down";
    }
  }

  let fleetSize = 1;
  async function pollFleet() {
    if (fleetSize < 2) return;
    const body = $("fleet").tBodies[0];
    const n = Math.min(fleetSize, FLEET_ROWS);
    const rows = await Promise.all(Array.from({ length: n }, (_, i) =>
      getJson(`/api/modems/${i + 1}/status`).then((r) => r.status).catch(() => null)));
    body.textContent = "";
    rows.forEach((s, i) => {
      const tr = body.insertRow();
      tr.className = i + 1 === modem ? "selected" : "";
      tr.onclick = () => select(i + 1);
      const cells = s ? [`1-${i + 1}`, s.usb, s.personality || "—", s.registration, s.sim,
        `${s["module-volts"].toFixed(2)} V`, s.resets] : [`1-${i + 1}`, "no answer", "", "", "", "", ""];
      for (const v of cells) tr.insertCell().textContent = v;
    });
  }

  function select(n) {
    modem = n;
    $("modem-name").textContent = `modem ${n} (busid 1-${n})`;
    xs.length = volts.length = amps.length = markers.length = 0;
    $("timeline").textContent = "";
    lastActivity = null;
    scheduleRedraw();
    connect();
    poll();
    pollFleet();
  }

  // ---- faults ----
  async function inject(fault) {
    const out = $("fault-result");
    try {
      const r = await fetch(`/api/modems/${modem}/fault`, {
        method: "POST",
        headers: Object.assign({ "content-type": "application/json" }, auth),
        body: JSON.stringify(fault),
      });
      const reply = await r.json();
      out.textContent = reply.ok ? `${compact(fault)}: ok` : `${compact(fault)}: ${reply.error}`;
    } catch (e) {
      out.textContent = `${compact(fault)}: ${e}`;
    }
  }

  for (const b of document.querySelectorAll("button[data-fault]")) {
    b.addEventListener("click", () => {
      const f = { fault: b.dataset.fault };
      if (f.fault === "signal-loss") f["duration-ms"] = 10000;
      inject(f);
    });
  }
  const slider = $("cable-ohms");
  slider.addEventListener("input", () => { $("cable-ohms-value").textContent = `${Number(slider.value).toFixed(2)} Ω`; });
  slider.addEventListener("change", () => inject({ fault: "power", "cable-ohms": Number(slider.value) }));

  window.addEventListener("resize", () => {
    for (const [c, id] of [[voltsChart, "chart-volts"], [ampsChart, "chart-amps"]]) {
      c.setSize({ width: Math.max(400, $(id).clientWidth), height: 230 });
    }
  });

  // What the browser test reads.
  window.dashboard = { xs, volts, amps, markers, modem: () => modem };

  getJson("/api/fleet").then((f) => {
    fleetSize = f.modems;
    $("fleet-panel").hidden = fleetSize < 2;
    select(Math.min(modem, fleetSize));
  }).catch(() => select(modem));
  setInterval(poll, 1000);
  setInterval(pollFleet, 2000);
})();
