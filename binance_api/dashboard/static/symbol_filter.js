// The symbol filter and pager shared by the Market and Data health pages: the form's text, quote asset, status
// and sort, the page number, the choices the server reports (facets) and "symbols 51-100 of 1,987 (page 2 of 40)".
(function () {
  "use strict";
  window.SymbolFilter = function (onChange) {
    const form = document.getElementById("symbol-filter");
    const pageStatus = document.getElementById("symbol-page");
    const [prev, next] = document.querySelectorAll(".pager button");
    const state = { page: 1, pages: 1 };
    let timer = null;

    function params() {
      const q = new URLSearchParams({ page: String(state.page), page_size: form.dataset.pageSize });
      for (const name of ["q", "quote", "status", "sort"]) if (form[name].value) q.set(name, form[name].value);
      return q;
    }

    function choices(select, items, chosen) {
      const keep = chosen || "";
      select.replaceChildren(new Option("All", ""), ...items.map((f) => new Option(`${f.value} (${f.count})`, f.value)));
      select.value = keep;
    }

    // After a response: the choices, the page it is, and the buttons.
    function show(body) {
      choices(form.quote, body.facets.quotes, body.filters.quote);
      choices(form.status, body.facets.statuses, body.filters.status);
      const p = body.page;
      state.page = p.number;
      state.pages = p.pages;
      pageStatus.textContent = p.matching
        ? `Symbols ${p.first}–${p.last} of ${p.matching.toLocaleString("en")} (page ${p.number} of ${p.pages}; ${p.total.toLocaleString("en")} in all)`
        : `No symbol matches (${p.total.toLocaleString("en")} in all).`;
      pageStatus.dataset.page = String(p.number);
      pageStatus.dataset.pages = String(p.pages);
      pageStatus.dataset.matching = String(p.matching);
      prev.disabled = p.number <= 1;
      next.disabled = p.number >= p.pages;
    }

    // A new filter starts at page 1; it also applies the text typed so far (no second load when its timer ends).
    function restart() { clearTimeout(timer); state.page = 1; onChange(); }
    form.addEventListener("submit", (ev) => { ev.preventDefault(); restart(); });
    form.addEventListener("change", (ev) => { if (ev.target.name !== "q") restart(); });
    form.q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(restart, 300); });
    for (const b of [prev, next]) {
      b.addEventListener("click", () => {
        const page = state.page + Number(b.dataset.step);
        if (page >= 1 && page <= state.pages) { state.page = page; onChange(); }
      });
    }
    return { params, show };
  };
})();
