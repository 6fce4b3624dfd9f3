// Data health page: heat maps (days x symbols per table, one page of symbols at a time: filtered, sorted and paged
// on the server), freshness, failing checks, cell drill-down.
(function () {
  "use strict";
  const GLYPH = { loaded: "✓", late: "L", warning: "!", replaced: "R", missing: "?", failed: "✗", unlisted: "–" };
  const form = document.getElementById("health-form");
  const maps = document.getElementById("heatmaps");
  const detail = document.getElementById("detail");
  const status = document.getElementById("health-status");
  const filter = window.SymbolFilter(load);
  let generation = 0; // a newer load supersedes an older one still waiting for its data

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  // A row's header: the symbol, its status when it is not trading (BREAK: delisted), its problems in the range.
  function rowHead(symbol, listing) {
    const th = el("th", { scope: "row", text: symbol, "data-problems": String(listing ? listing.problems : 0) });
    if (listing && listing.status !== "TRADING") th.append(" ", el("span", { class: "badge stale", text: listing.status }));
    if (listing) th.title = `${listing.base_asset}/${listing.quote_asset}, ${listing.status}, listed ${listing.first_day || "?"}` +
      `${listing.last_day ? ` to ${listing.last_day}` : ""}; ${listing.problems} cell(s) with a problem in these days`;
    return th;
  }

  function heatmap(table, days, listings) {
    const head = el("tr", {}, el("th", { scope: "col", text: "Symbol" }));
    for (const d of days) head.append(el("th", { scope: "col", class: "day", text: d }));
    const body = el("tbody");
    for (const row of table.rows) {
      const tr = el("tr", { "data-symbol": row.symbol }, rowHead(row.symbol, listings[row.symbol]));
      row.cells.forEach((cell, j) => {
        const flags = cell.split("+"), state = flags[0], day = days[j];
        const label = `${table.table} ${row.symbol} ${day}: ${flags.join(", ")}`;
        const button = el("button", { type: "button", class: `cell s-${state}`, "aria-label": label, title: label,
          "aria-pressed": "false", "data-table": table.table, "data-symbol": row.symbol, "data-day": day,
          "data-status": state, text: GLYPH[state] || "·" });
        tr.append(el("td", {}, button));
      });
      body.append(tr);
    }
    return el("div", { class: "scroll" },
      el("table", { class: "heatmap", "data-table": table.table },
        el("caption", { text: `${table.table} (${table.kind === "raw" ? "raw archive" : "built by the pipeline"})` }),
        el("thead", {}, head), body));
  }

  function dl(pairs) {
    const list = el("dl");
    for (const [k, v] of pairs) list.append(el("dt", { text: k }), el("dd", { text: v == null ? "—" : String(v) }));
    return list;
  }

  async function drill(button) {
    for (const b of maps.querySelectorAll('button.cell[aria-pressed="true"]')) b.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    const q = new URLSearchParams({ table: button.dataset.table, symbol: button.dataset.symbol, day: button.dataset.day });
    const r = await fetch(`/dashboard/data/partition?${q}`, { credentials: "same-origin" });
    const d = await r.json();
    detail.replaceChildren(el("h2", { text: `${d.table || button.dataset.table} · ${button.dataset.symbol} · ${button.dataset.day}` }));
    if (!r.ok) { detail.append(el("p", { class: "error", text: d.reason || `HTTP ${r.status}` })); return; }
    detail.dataset.partition = d.partition;
    detail.dataset.status = d.status;
    detail.append(el("p", {}, el("span", { class: `cell s-${d.status}`, "aria-hidden": "true", text: GLYPH[d.status] }),
      ` Status: ${d.flags.join(", ")}`));
    if (d.load_record) {
      const rec = d.load_record;
      detail.append(el("h3", { text: "Load record" }), dl([
        ["Rows", rec.rows], ["Id range", rec.first_id == null ? null : `${rec.first_id} – ${rec.last_id}`],
        ["Time range", rec.first_time ? `${rec.first_time} – ${rec.last_time}` : null], ["sha256", rec.sha256],
        ["Source", rec.source_url], ["Loaded at (UTC)", rec.loaded_at], ["First arrived (UTC)", d.arrived_at],
        ["Deadline", d.deadline], ["Expected since (first load of the table and symbol)", d.expected_since],
        ["Archive versions seen", d.archive_versions],
      ]));
    } else if (d.table.startsWith("raw.")) {
      detail.append(el("p", { text: "No load record: this partition was never loaded." }));
    } else {
      detail.append(dl([["Rows", d.rows]]));
    }
    const checks = el("ul", { class: "checks" });
    for (const c of d.checks) {
      const meta = Object.entries(c.metadata || {}).filter(([, v]) => typeof v !== "object")
        .map(([k, v]) => `${k}=${v}`).join(", ");
      checks.append(el("li", { "data-check": c.check, "data-passed": String(c.passed) },
        el("span", { class: `badge ${c.passed ? "ok" : (c.finding === "failed" ? "failed" : "warn")}`,
          text: c.passed ? "passed" : (c.finding === "failed" ? "FAILED" : "warning") }),
        ` ${c.check} (${c.severity.toLowerCase()}${c.blocking === false ? ", non-blocking" : ""})` + (meta ? ` — ${meta}` : "")));
    }
    detail.append(el("h3", { text: "Checks" }), d.checks.length ? checks : el("p", { text: "No check evaluations recorded." }));
    detail.append(el("p", {}, el("a", { href: d.dagster_url, target: "_blank", rel: "noopener", id: "dagster-link" },
      `Open ${d.asset} in the Dagster UI`)));
  }

  function fill(tbodySel, rows) {
    const tbody = document.querySelector(tbodySel);
    tbody.replaceChildren(...rows);
  }

  async function load() {
    const gen = ++generation;
    status.textContent = "Loading…";
    maps.dataset.ready = "";
    const q = filter.params();
    if (form.start.value) q.set("start", form.start.value);
    if (form.end.value) q.set("end", form.end.value);
    const r = await fetch(`/dashboard/data/health?${q}`, { credentials: "same-origin" });
    if (r.status === 401) { location.href = "/dashboard/login?next=/dashboard/health"; return; }
    const d = await r.json();
    if (gen !== generation) return;
    if (!r.ok) { status.textContent = `Could not load: ${d.reason}`; return; }
    if (!form.start.value && d.days.length) form.start.value = d.days[0];
    filter.show(d);
    const listings = Object.fromEntries(d.listings.map((x) => [x.symbol, x]));
    maps.replaceChildren(...d.tables.map((t) => heatmap(t, d.days, listings)));
    fill("#freshness tbody", d.freshness.map((f) => el("tr", {}, el("td", { text: f.asset }), el("td", { text: f.latest_day || "—" }),
      el("td", { text: f.loaded_at || "—" }), el("td", { text: f.latest_due_day }),
      el("td", {}, el("span", { class: `badge ${f.fresh ? "fresh" : "stale"}`, text: f.fresh ? "fresh" : "behind" })))));
    fill("#failing tbody", d.failing_checks.length ? d.failing_checks.map((c) => el("tr", { "data-check": c.check },
      el("td", { text: c.asset }), el("td", { text: c.check }),
      el("td", {}, el("span", { class: `badge ${c.finding === "failed" ? "error" : "warn"}`, text: c.finding }),
        ` ${c.severities.map((s) => s.toLowerCase()).join(", ")}`),
      el("td", { text: c.failing_partitions }), el("td", { text: c.failures_recorded }),
      el("td", { text: c.partitions.join(", ") })))
      : [el("tr", {}, el("td", { colspan: "6", text: d.checks_source ? "No failing checks." : "No Dagster check storage configured." }))]);
    status.textContent = `${d.tables.length} tables, ${d.symbols.length} symbols shown, ${d.days.length} days.`;
    maps.dataset.ready = "1";
  }

  maps.addEventListener("click", (ev) => {
    const button = ev.target.closest("button.cell");
    if (button) drill(button);
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  load();
})();
