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

  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

  // A row's header: the symbol, its status when it is not trading (BREAK: delisted), its problems in the range.
  function rowHead(symbol, listing) {
    if (!listing) return `<th scope="row" data-problems="0">${esc(symbol)}</th>`;
    const about = `${listing.base_asset}/${listing.quote_asset}, ${listing.status}, listed ${listing.first_day || "?"}` +
      `${listing.last_day ? ` to ${listing.last_day}` : ""}; ${listing.problems} cell(s) with a problem in these days`;
    const badge = listing.status !== "TRADING" ? ` <span class="badge stale">${esc(listing.status)}</span>` : "";
    return `<th scope="row" data-problems="${listing.problems}" title="${esc(about)}">${esc(symbol)}${badge}</th>`;
  }

  // One table's heat map as HTML (a page draws 50 symbols x 31 days x 9 tables: markup parsed once is several
  // times faster than as many createElement calls). Each cell is a button named by its statuses; its tooltip is
  // set when the pointer first reaches it.
  function heatmap(table, days, listings) {
    const name = esc(table.table);
    const head = days.map((d) => `<th scope="col" class="day">${esc(d)}</th>`).join("");
    const body = table.rows.map((row) => {
      const symbol = esc(row.symbol);
      const cells = row.cells.map((cell, j) => {
        const flags = cell.split("+"), state = flags[0], day = days[j];
        return `<td><button type="button" class="cell s-${esc(state)}" aria-label="${name} ${symbol} ${day}: ` +
          `${esc(flags.join(", "))}" aria-pressed="false" data-table="${name}" data-symbol="${symbol}" ` +
          `data-day="${day}" data-status="${esc(state)}">${GLYPH[state] || "·"}</button></td>`;
      }).join("");
      return `<tr data-symbol="${symbol}">${rowHead(row.symbol, listings[row.symbol])}${cells}</tr>`;
    }).join("");
    const kind = table.kind === "raw" ? "raw archive" : "built by the pipeline";
    return `<div class="scroll"><table class="heatmap" data-table="${name}"><caption>${name} (${kind})</caption>` +
      `<thead><tr><th scope="col">Symbol</th>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
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
    const drawn = performance.now();
    filter.show(d);
    const listings = Object.fromEntries(d.listings.map((x) => [x.symbol, x]));
    maps.innerHTML = d.tables.map((t) => heatmap(t, d.days, listings)).join("");
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
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    if (gen !== generation) return;
    maps.dataset.drawMs = String(Math.round(performance.now() - drawn));
    maps.dataset.ready = "1";
  }

  maps.addEventListener("pointerover", (ev) => {
    const button = ev.target.closest("button.cell");
    if (button && !button.title) button.title = button.getAttribute("aria-label");
  });
  maps.addEventListener("click", (ev) => {
    const button = ev.target.closest("button.cell");
    if (button) drill(button);
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  load();
})();
