// Market page: the universe's symbols (filtered, sorted and paged on the server), one chart per chosen symbol
// (candles, volume, VWAP; the classifier's calls in a pane below and as arrows on the candles), zoom/pan by
// mouse or buttons, hit rate over the visible range.
(function () {
  "use strict";
  const LC = window.LightweightCharts;
  const form = document.getElementById("market-form");
  const holder = document.getElementById("charts");
  const status = document.getElementById("market-status");
  const tpl = document.getElementById("chart-template");
  const list = document.querySelector("#symbol-list tbody");
  const chosenText = document.getElementById("chosen");
  const MAX_CHARTS = Number(holder.dataset.maxCharts);
  const UP = "#1a7f37", DOWN = "#c62828";
  const chosen = []; // the charted symbols, in the order they were ticked (kept across pages and filters)
  const filter = window.SymbolFilter(loadSymbols);
  let charts = [];
  let generation = 0; // a newer load supersedes an older one still waiting for its data
  let listGeneration = 0;

  function params() {
    const data = new FormData(form);
    return { symbols: [...chosen], interval: data.get("interval"), start: data.get("start"), end: data.get("end") };
  }

  function cellText(text, attrs) {
    const td = document.createElement("td");
    td.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) td.setAttribute(k, v);
    return td;
  }

  function showChosen() {
    chosenText.textContent = chosen.length ? `Charted: ${chosen.join(", ")}.` : "No symbol ticked.";
  }

  function toggle(box) {
    const at = chosen.indexOf(box.value);
    if (box.checked && at < 0) {
      if (chosen.length >= MAX_CHARTS) {
        box.checked = false;
        chosenText.textContent = `At most ${MAX_CHARTS} charts at once: untick one first (charted: ${chosen.join(", ")}).`;
        return;
      }
      chosen.push(box.value);
    } else if (!box.checked && at >= 0) {
      chosen.splice(at, 1);
    }
    showChosen();
    load();
  }

  function row(x) {
    const tr = document.createElement("tr");
    tr.dataset.symbol = x.symbol;
    tr.dataset.status = x.status;
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", name: "symbol", value: x.symbol, checked: chosen.includes(x.symbol) });
    box.setAttribute("aria-label", `Chart ${x.symbol}`);
    box.addEventListener("change", () => toggle(box));
    const pick = document.createElement("td");
    pick.append(box);
    const name = cellText(x.symbol);
    if (!x.data) name.append(" ", Object.assign(document.createElement("span"), { className: "badge retired", textContent: "no data" }));
    const volume = x.quote_volume == null ? "—" : Math.round(x.quote_volume).toLocaleString("en");
    tr.append(pick, name, cellText(x.quote_asset), cellText(x.status), cellText(volume, { class: "num" }),
      cellText(`${x.first_day || "?"} – ${x.last_day || "now"}`));
    return tr;
  }

  async function loadSymbols(first) {
    const gen = ++listGeneration;
    list.parentElement.dataset.ready = "";
    const r = await fetch(`/dashboard/data/symbols?${filter.params()}`, { credentials: "same-origin" });
    if (r.status === 401) { location.href = `/dashboard/login?next=${encodeURIComponent(location.pathname)}`; return; }
    const body = await r.json();
    if (gen !== listGeneration) return;
    if (!r.ok) { status.textContent = `Could not list the symbols: ${body.reason}`; return; }
    if (first === true) chosen.push(...body.with_data.filter((s) => !chosen.includes(s)).slice(0, MAX_CHARTS));
    filter.show(body);
    list.replaceChildren(...body.symbols.map(row));
    list.parentElement.dataset.ready = "1";
    if (first === true) { showChosen(); load(); }
  }

  // Out-of-sample calls only (the server's rule): calls scored by a model trained on their day are counted beside.
  function hitRateText(points, from, to) {
    let hits = 0, known = 0, calls = 0, inSample = 0;
    for (const p of points) {
      if (p.time < from || p.time > to) continue;
      hits += p.hits; known += p.known; calls += p.calls; inSample += p.in_sample;
    }
    if (!calls) return "No model calls in the visible range.";
    const left = `${inSample} in-sample calls left out: scored by a model trained on their day`;
    if (!known) {
      return inSample === calls ? `Hit rate over the visible range: none out of sample (${left}).`
        : `Hit rate over the visible range: not known yet (${calls - inSample} out-of-sample calls, outcomes pending; ${left}).`;
    }
    return `Hit rate over the visible range: ${(100 * hits / known).toFixed(1)}% (${hits} of ${known} out-of-sample calls with a known outcome; ${left})`;
  }

  function zoom(chart, act) {
    const ts = chart.timeScale();
    const r = ts.getVisibleLogicalRange();
    if (!r) return;
    const width = r.to - r.from, mid = (r.from + r.to) / 2;
    if (act === "fit") { ts.fitContent(); return; }
    if (act === "in") ts.setVisibleLogicalRange({ from: mid - width / 4, to: mid + width / 4 });
    if (act === "out") ts.setVisibleLogicalRange({ from: mid - width, to: mid + width });
    if (act === "left") ts.setVisibleLogicalRange({ from: r.from - width / 4, to: r.to - width / 4 });
    if (act === "right") ts.setVisibleLogicalRange({ from: r.from + width / 4, to: r.to + width / 4 });
  }

  function draw(card, data) {
    const el = card.querySelector(".chart");
    const chart = LC.createChart(el, {
      autoSize: true,
      layout: { background: { color: "#ffffff" }, textColor: "#1b1f24", fontFamily: "system-ui, sans-serif" },
      grid: { vertLines: { color: "#eef0f3" }, horzLines: { color: "#eef0f3" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      localization: { timeFormatter: (t) => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC" },
    });
    const candles = chart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
    });
    candles.setData(data.candles);
    const volume = chart.addSeries(LC.HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" },
      lastValueVisible: false, priceLineVisible: false, title: "volume" });
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    volume.setData(data.volume.map((v) => ({ time: v.time, value: v.value, color: v.up ? "#1a7f3755" : "#c6282855" })));
    const vwap = chart.addSeries(LC.LineSeries, { color: "#f57c00", lineWidth: 1, title: "VWAP",
      lastValueVisible: false, priceLineVisible: false });
    vwap.setData(data.vwap);
    const calls = data.predictions.points;
    let probability = null;
    if (calls.length) {
      probability = chart.addSeries(LC.HistogramSeries, { title: "P(up)", priceFormat: { type: "price", precision: 2, minMove: 0.01 },
        lastValueVisible: false, priceLineVisible: false }, 1);
      probability.setData(calls.map((p) => ({ time: p.time, value: p.probability == null ? (p.direction === "up" ? 1 : 0) : p.probability,
        color: p.direction === "up" ? UP : DOWN })));
      const panes = chart.panes();
      if (panes.length > 1) panes[1].setHeight(110);
      LC.createSeriesMarkers(candles, calls.map((p) => ({ time: p.time, position: p.direction === "up" ? "belowBar" : "aboveBar",
        shape: p.direction === "up" ? "arrowUp" : "arrowDown", color: p.direction === "up" ? UP : DOWN, size: 0.5 })));
    }
    chart.timeScale().fitContent();
    const hit = card.querySelector(".hit-rate");
    const update = () => {
      const r = chart.timeScale().getVisibleRange();
      if (!data.predictions.available) { hit.textContent = data.predictions.reason || "No predictions table yet."; return; }
      if (r) hit.textContent = hitRateText(calls, r.from, r.to);
    };
    chart.timeScale().subscribeVisibleTimeRangeChange(update);
    update();
    card.querySelector(".chart-toolbar").addEventListener("click", (ev) => {
      const act = ev.target.getAttribute("data-act");
      if (act) zoom(chart, act);
    });
    card.dataset.candles = String(candles.data().length);
    card.dataset.predictions = String(probability ? probability.data().length : 0);
    card.dataset.vwap = String(vwap.data().length);
    el.setAttribute("aria-label", `${data.symbol} ${data.interval} candlestick chart, ${data.start} to ${data.end}: ` +
      `${data.candles.length} candles, ${calls.length} model calls`);
    return chart;
  }

  async function load() {
    const gen = ++generation;
    const t0 = performance.now();
    const p = params();
    for (const c of charts) c.remove();
    charts = [];
    holder.replaceChildren();
    holder.dataset.renderMs = "";
    if (!p.symbols.length) { status.textContent = "Tick at least one symbol."; holder.dataset.renderMs = "none"; return; }
    status.textContent = "Loading…";
    try {
      const results = await Promise.all(p.symbols.map(async (symbol) => {
        const q = new URLSearchParams({ symbol, interval: p.interval, start: p.start, end: p.end });
        const r = await fetch(`/dashboard/data/market?${q}`, { credentials: "same-origin" });
        if (r.status === 401) { location.href = `/dashboard/login?next=${encodeURIComponent(location.pathname)}`; throw new Error("signed out"); }
        const body = await r.json();
        if (!r.ok) throw new Error(body.reason || `HTTP ${r.status}`);
        return body;
      }));
      if (gen !== generation) return;
      for (const data of results) {
        const card = tpl.content.firstElementChild.cloneNode(true);
        card.dataset.symbol = data.symbol;
        card.querySelector(".chart-title").textContent = `${data.symbol} · ${data.interval} · ${data.start} to ${data.end}`;
        card.querySelector(".chart-toolbar").setAttribute("aria-label", `Zoom and pan ${data.symbol}`);
        holder.appendChild(card);
        charts.push(draw(card, data));
      }
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      if (gen !== generation) return;
      const versions = [...new Set(results.flatMap((d) => d.predictions.model_versions))];
      status.textContent = `${results.length} chart(s) shown` + (versions.length ? `; model version ${versions.join(", ")}.` : ".");
      holder.dataset.renderMs = String(Math.round(performance.now() - t0));
      holder.dataset.totalMs = String(Math.round(performance.now()));
    } catch (err) {
      if (gen !== generation) return;
      status.textContent = `Could not load the chart: ${err.message}`;
      holder.dataset.renderMs = "error";
    }
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  loadSymbols(true);
})();
