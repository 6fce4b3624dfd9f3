// Models page: champion and challengers per model, walk-forward metrics vs the baseline (a chart per fold),
// promotion history, and PSI per feature per day.
(function () {
  "use strict";
  const holder = document.getElementById("models");
  const status = document.getElementById("models-status");
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }
  const fmt = (v) => (v == null ? "—" : Number(v).toFixed(4));

  function foldChart(version) {
    const folds = version.fold_metrics || [];
    const metric = version.primary_metric;
    const values = folds.flatMap((f) => [f.metrics?.[metric], f.baseline_metrics?.[metric]]).filter((v) => v != null);
    const w = 560, h = 200, pad = 34;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("class", "fold-chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${version.name} ${version.version}: ${metric} per walk-forward fold, model against baseline`);
    if (!values.length) return svg;
    // The axis spans the values (metrics such as accuracy differ in the second decimal), 10% padded.
    const hi = Math.max(...values), lo = Math.min(...values), span = (hi - lo) || Math.abs(hi) || 1;
    const max = hi + span * 0.1, min = lo - span * 0.1;
    const y = (v) => h - pad - ((v - min) / (max - min)) * (h - 2 * pad);
    const slot = (w - 2 * pad) / folds.length;
    const add = (tag, attrs, text) => { const n = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text != null) n.textContent = text; svg.append(n); return n; };
    const base = y(min);
    add("line", { x1: pad, x2: w - pad, y1: base, y2: base, stroke: "#57606a" });
    folds.forEach((f, i) => {
      const m = f.metrics?.[metric], b = f.baseline_metrics?.[metric];
      const x = pad + i * slot + slot * 0.15, bw = slot * 0.33;
      if (m != null) { const r = add("rect", { x, y: y(m), width: bw, height: base - y(m), fill: "#0b5cad" });
        r.append(Object.assign(document.createElementNS(SVG, "title"), { textContent: `fold ${f.fold} model ${fmt(m)}` })); }
      if (b != null) { const r = add("rect", { x: x + bw, y: y(b), width: bw, height: base - y(b), fill: "#9aa4ae" });
        r.append(Object.assign(document.createElementNS(SVG, "title"), { textContent: `fold ${f.fold} baseline ${fmt(b)}` })); }
      add("text", { x: x + bw, y: h - 10, "text-anchor": "middle", "font-size": 11 }, `fold ${f.fold}`);
    });
    add("text", { x: pad, y: 14, "font-size": 11 }, `${metric}: ■ model (blue)  ■ baseline (grey)`);
    add("text", { x: 2, y: y(hi) + 4, "font-size": 10 }, fmt(hi));
    add("text", { x: 2, y: y(lo) + 4, "font-size": 10 }, fmt(lo));
    return svg;
  }

  function foldTable(version) {
    const metric = version.primary_metric;
    const rows = (version.fold_metrics || []).map((f) => el("tr", {}, el("td", { text: f.fold }),
      el("td", { text: `${f.test_start} – ${f.test_end}` }), el("td", { text: fmt(f.metrics?.[metric]) }),
      el("td", { text: fmt(f.baseline_metrics?.[metric]) })));
    return el("details", {}, el("summary", { text: "Fold table" }), el("table", {},
      el("thead", {}, el("tr", {}, ...["Fold", "Test window", "Model", "Baseline"].map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, ...rows)));
  }

  function model(m) {
    const section = el("section", { class: "model", "data-model": m.name }, el("h2", { text: m.name }),
      el("p", { text: m.champion ? `Champion: ${m.champion}` : "No champion yet." }));
    const head = ["Version", "Status", "Primary metric", "Model", "Baseline", "Beats baseline", "Trained on", "Reason"];
    const rows = m.versions.map((v) => el("tr", { "data-version": v.version, "data-status": v.status },
      el("th", { scope: "row", text: v.version }), el("td", {}, el("span", { class: `badge ${v.status}`, text: v.status })),
      el("td", { text: v.primary_metric }), el("td", { text: fmt(v.primary_value) }), el("td", { text: fmt(v.baseline_value) }),
      el("td", { text: v.beats_baseline == null ? "unknown" : (v.beats_baseline ? "yes" : "no") }),
      el("td", { text: v.training_window ? `${v.training_window.start} .. ${v.training_window.end}` : "—" }),
      el("td", { text: v.status_reason || "" })));
    section.append(el("div", { class: "scroll" }, el("table", {}, el("caption", { text: "Champion and challengers" }),
      el("thead", {}, el("tr", {}, ...head.map((t) => el("th", { scope: "col", text: t })))), el("tbody", {}, ...rows))));
    for (const v of m.versions.filter((x) => x.status !== "retired").slice(0, 3)) {
      section.append(el("h3", { text: `${v.version} (${v.status}): walk-forward folds` }));
      if ((v.fold_metrics || []).length) section.append(foldChart(v), foldTable(v));
      else section.append(el("p", { class: "help", text: "This card has no per-fold metrics (registered before they were recorded)." }));
    }
    section.append(el("h3", { text: "Promotion history" }));
    const events = m.events.map((e) => el("li", { text: `${e.at}: ${e.action} ${e.version}` +
      (e.previous ? ` (previous ${e.previous})` : "") + (e.reason ? ` — ${e.reason}` : "") }));
    section.append(events.length ? el("ol", { class: "events" }, ...events) : el("p", { text: "No promotions yet." }));
    return section;
  }

  function drift(d) {
    const table = document.getElementById("drift");
    table.tHead.replaceChildren(el("tr", {}, el("th", { scope: "col", text: "Feature" }), ...d.days.map((x) => el("th", { scope: "col", text: x }))));
    const rows = d.features.map((f) => el("tr", {}, el("th", { scope: "row", text: f.feature }), ...d.days.map((day) => {
      const c = f.by_day[day];
      if (!c) return el("td", { text: "—" });
      return el("td", { class: `psi-${c.severity}`, title: `${c.symbol}: ${c.severity}` , text: `${c.psi.toFixed(3)} ${c.severity === "ok" ? "" : c.severity}` });
    })));
    table.tBodies[0].replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { text: d.error || "No drift checks recorded yet." }))]));
  }

  async function load() {
    const r = await fetch("/dashboard/data/models", { credentials: "same-origin" });
    if (r.status === 401) { location.href = "/dashboard/login?next=/dashboard/models"; return; }
    const d = await r.json();
    if (!r.ok) { status.textContent = `Could not load: ${d.reason}`; return; }
    holder.replaceChildren(...d.models.map(model));
    drift(d.drift);
    status.textContent = d.models.length ? `${d.models.length} model(s) in the registry.` : "The registry holds no model yet.";
    holder.dataset.ready = "1";
  }
  load();
})();
