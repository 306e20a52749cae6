// The pages (the runs, one run, runs side by side), chosen by the address's #fragment, each
// polling for what changed (live) or drawn once from the report's data. When a page has drawn
// everything it has, it counts one more render in <body data-renders>.
"use strict";

const app = document.getElementById("app");
let page = null;

function markRendered() {
  document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
}

function connection(error) {
  const bar = $("#connection");
  bar.hidden = !error;
  bar.textContent = error ? `Lost the dashboard (${error.message}); retrying...` : "";
}

// Calls `step` now and then every `ms` (live only); `now()` asks for a call at once.
function poller(step, ms) {
  let stopped = false, timer = null, busy = false, again = false;
  const tick = async () => {
    if (stopped) return;
    if (busy) return void (again = true);
    busy = true;
    clearTimeout(timer);
    try {
      await step();
      connection(null);
    } catch (error) {
      connection(error);
    }
    busy = false;
    if (stopped) return;
    if (again) return void ((again = false), tick());
    if (LIVE) timer = setTimeout(tick, ms);
  };
  tick();
  return { stop: () => ((stopped = true), clearTimeout(timer)), now: tick };
}

function listPage() {
  const where = LIVE ? `in ${esc(BOOT.folder)}` : `made by ${esc(BOOT.made)}`;
  app.innerHTML = `<h1>${LIVE ? "Runs" : esc(BOOT.title)}</h1><p class="muted">${where}</p>
    <section class="card"><div id="runs" class="wide"></div>
    <p><button id="compare" type="button">Compare the selected runs</button></p></section>`;
  const selected = new Set(LIVE ? [] : BOOT.order);
  let last = "";
  $("#runs").addEventListener("change", (e) => {
    if (e.target.type === "checkbox") e.target.checked ? selected.add(e.target.value) : selected.delete(e.target.value);
  });
  $("#compare").addEventListener("click", () => {
    if (selected.size >= 2) location.hash = `#/compare/${[...selected].map(enc).join("/")}`;
  });
  return poller(async () => {
    const lines = await Source.list();
    const text = JSON.stringify(lines);
    if (text !== last) {
      $("#runs").innerHTML = lines.length ? runsTable(lines, selected) : `<p class="muted">No run in this folder yet.</p>`;
      last = text;
    }
    markRendered();
  }, 2000);
}

function runLayout(meta) {
  const panda = meta.mode === "panda" && !meta.pbt; // a panda pbt run is steered as a pbt run
  const numeric = meta.space.filter(isNumericAxis).map((a) => a.name);
  const options = (chosen) => meta.space.map((a) => `<option ${a.name === chosen ? "selected" : ""}>${esc(a.name)}</option>`).join("");
  const both = meta.space.length > 1;
  return `<nav><a href="#/">← all runs</a></nav>
    <header id="run-head"></header><div id="warnings"></div>
    ${panda ? `<div class="two"><section class="card" id="panda"><h2>Training now</h2><p id="live-title"></p><div id="live-curve" class="plot short"></div></section>
      <section class="card" id="steering"><h2>Steer the search</h2>${steerForms(meta)}<h3>Nudges and rollbacks</h3><div id="steer-log"></div></section></div>` : ""}
    <section class="card" id="best"><h2>Best trial</h2><div class="body"></div></section>
    <section class="card"><h2>${esc(meta.metric)} against each hyperparameter</h2>
      <p class="controls"><label>regions of <select id="round"><option value="">the last ${SHOWN_REGIONS} rounds</option></select></label>
      <span class="muted">as bars here, as boxes in coarse to fine</span></p><div id="legend" class="legend"></div><div id="param-grid" class="grid">
      ${meta.space.map((a) => `<div class="plot small" data-param="${esc(a.name)}"></div>`).join("")}</div></section>
    ${both ? `<section class="card"><h2>Coarse to fine</h2><p class="controls"><label>x <select id="px">${options(numeric[0] || meta.space[0].name)}</select></label>
      <label>y <select id="py">${options(numeric[1] || meta.space[1].name)}</select></label> <span class="muted">the chosen rounds' regions drawn as boxes</span></p>
      <div id="c2f" class="plot tall"></div></section>` : ""}
    ${meta.pbt ? `<section class="card" id="pbt"><h2>Population-based training</h2><p class="muted">who copied whom after which epoch (a blue line from the trial copied to the copy), and in red the lineage of the best trial, or of the one you click</p>
      <div id="lineage" class="plot"></div><h3>Values over the epochs</h3><div id="pbt-values" class="plot short"></div>
      <div id="pbt-steer">${pbtNudgeForm(meta)}</div></section>` : ""}
    <section class="card"><h2>Parallel coordinates</h2><p class="muted">one line per finished trial, brighter for a better ${esc(meta.metric)}; click a line to highlight its trial</p><div id="parcoords" class="plot"></div></section>
    <div class="two"><section class="card"><h2>Best so far</h2><div id="best-so-far" class="plot"></div></section>
    <section class="card"><h2>Learning curves</h2><p class="muted">the best five in colour, the best ${FAINT} in grey; click a trial (curve, point or row) to highlight it</p><div id="curves" class="plot"></div></section></div>
    <section class="card"><h2>Trials</h2><div id="trials" class="scroll"></div></section>`;
}

function runHead(state) {
  const s = state.summary;
  const m = state.meta;
  const when = `<span class="muted">${LIVE ? `updated ${new Date().toLocaleTimeString()}` : `report made by ${esc(BOOT.made)}`}</span>`;
  return `<h1>${esc(m.name)} ${s ? badge(s.status) : ""}</h1>
    <p>${esc(m.mode)} · ${s ? `${s.done} of ${s.total} trials (${countsText(s.counts)})` : ""} · ${esc(m.metric)}, ${esc(m.direction)}d ${when}</p>`;
}

function legendHtml(state, ui) {
  const rounds = [...new Set(state.records().map((r) => r.round))].sort((a, b) => a - b);
  const n = state.rounds();
  const items = rounds.length <= LISTED_ROUNDS
    ? rounds.map((r) => `<span><i class="dot" style="background:${roundColor(r, n)}"></i>round ${r}</span>`)
    : [`<span>round 1 <i class="scale" style="background:linear-gradient(to right, ${[1, 2, 3, 4, 5].map((k) => roundColor(1 + ((n - 1) * (k - 1)) / 4, n)).join(", ")})"></i> round ${n}</span>`];
  const best = state.summary && state.summary.best;
  if (best) items.push(`<span><b style="color:${BEST_MARKER.color}">★</b> best: trial ${esc(best.trial)}</span>`);
  if (state.valued("pruned").length) items.push(`<span><b style="color:${PRUNED_COLOR}">×</b> pruned (value when stopped)</span>`);
  const shown = shownRegions(state, ui).map((r) => r.round);
  if (shown.length) {
    const which = shown.length === 1 ? `round ${shown[0]}` : `rounds ${shown[0]}–${shown[shown.length - 1]}`;
    items.push(`<span><i class="box"></i>bars at the top: the region ${which} sampled</span>`);
  }
  items.push(`<span><i class="ring"></i>selected trial</span>`);
  return items.join("");
}

// The rounds whose region the page may draw, the chosen one selected (the last few by default).
function roundChoices(state, ui) {
  const rounds = ((state.summary && state.summary.regions) || []).map((r) => r.round);
  const option = (value, text) => `<option value="${value}" ${String(ui.round || "") === String(value) ? "selected" : ""}>${text}</option>`;
  return [option("", `the last ${SHOWN_REGIONS} rounds`), ...rounds.map((r) => option(r, `round ${r}${r === 1 ? " (the whole space)" : ""}`))].join("");
}

async function renderRun(state, ui, changed) {
  const lazy = (div, job) => ui.lazy.set(div, job);
  if (changed.summary) {
    $("#run-head").innerHTML = runHead(state);
    $("#round").innerHTML = roundChoices(state, ui);
    $("#best .body").innerHTML = bestCard(state);
    if ($("#steer-log")) $("#steer-log").innerHTML = steerLog(state);
  }
  const fromSummary = state.summary ? state.summary.warnings : [];
  $("#warnings").innerHTML = [...new Set([...state.warnings, ...fromSummary])]
    .map((w) => `<p class="warning">${esc(w)}</p>`).join("");
  const trials = changed.trials || changed.summary;
  if (trials || changed.selection) {
    $("#legend").innerHTML = legendHtml(state, ui);
    for (const div of document.querySelectorAll("#param-grid .plot")) {
      lazy(div, () => metricVsParam(div, state, axisOf(state.meta, div.dataset.param), ui));
    }
    const c2f = $("#c2f");
    if (c2f) lazy(c2f, () => coarseToFine(c2f, state, $("#px").value, $("#py").value, ui));
    lazy($("#parcoords"), () => parallelCoordinates($("#parcoords"), state, ui));
    $("#trials").innerHTML = trialsTable(state, ui);
  }
  if (trials) lazy($("#best-so-far"), () => bestSoFar($("#best-so-far"), state, ui));
  if ($("#pbt") && (changed.summary || changed.curves || changed.selection)) {
    lazy($("#lineage"), () => lineagePlot($("#lineage"), state, ui));
    lazy($("#pbt-values"), () => pbtValues($("#pbt-values"), state, ui));
  }
  if (trials || changed.curves || changed.selection) {
    lazy($("#curves"), () => learningCurves($("#curves"), state, ui));
  }
  if ($("#live-curve") && (changed.curves || changed.summary)) {
    // A finished search trains nothing: no curve to follow, nothing to nudge (a rollback still
    // applies at the next resume).
    const finished = !!state.summary && state.summary.status === "finished";
    $("#live-title").textContent = liveTitle(state);
    $("#live-curve").hidden = finished;
    if (!finished) lazy($("#live-curve"), () => liveCurve($("#live-curve"), state));
    for (const field of document.querySelectorAll('#steering form[data-action="nudge"] :is(input, select, button)')) {
      field.disabled = finished || !BOOT.token;
    }
  }
  await ui.lazy.flush();
}

function runPage(name) {
  let inner = null, stopped = false;
  const lazy = new Lazy();
  const handle = { stop: () => ((stopped = true), lazy.stop(), inner && inner.stop()) };
  Source.meta(name).then((meta) => {
    if (stopped) return;
    const state = new RunState(meta);
    const ui = { selected: null, sort: { column: null, asc: true }, lazy, rows: 100, round: null };
    app.innerHTML = runLayout(meta);
    const redraw = (what) => renderRun(state, ui, what).then(markRendered);
    ui.select = (trial) => ((ui.selected = ui.selected === trial ? null : trial), redraw({ selection: true }));
    $("#trials").addEventListener("click", (e) => {
      const th = e.target.closest("th[data-sort]");
      const tr = e.target.closest("tr[data-trial]");
      const more = e.target.closest("button[data-more]");
      if (th) ui.sort = nextSort(state, ui.sort, th.dataset.sort);
      else if (more) ui.rows = more.dataset.more === "all" ? Infinity : ui.rows + 100;
      else if (tr) return ui.select(Number(tr.dataset.trial));
      else return;
      $("#trials").innerHTML = trialsTable(state, ui);
    });
    for (const id of ["#px", "#py"]) if ($(id)) $(id).addEventListener("change", () => redraw({ selection: true }));
    $("#round").addEventListener("change", (e) => ((ui.round = Number(e.target.value) || null), redraw({ selection: true })));
    inner = poller(async () => {
      const changed = state.apply(await Source.poll(name, state));
      if (changed.trials || changed.curves || changed.summary) await redraw(changed);
      else if (LIVE) $("#run-head").innerHTML = runHead(state);
    }, BOOT.poll_ms || 1000);
    if ($("#steering")) wireSteering($("#steering"), state, inner.now);
    if ($("#pbt-steer")) wireSteering($("#pbt-steer"), state, inner.now);
  }).catch((error) => {
    app.innerHTML = `<nav><a href="#/">← all runs</a></nav><p class="error">Cannot show run ${esc(name)}: ${esc(error.message)}</p>`;
  });
  return handle;
}

function comparePage(names) {
  app.innerHTML = `<nav><a href="#/">← all runs</a></nav><h1>Runs side by side</h1>
    <section class="card"><div id="compare-table" class="wide"></div></section>
    <section class="card"><h2>Best so far</h2><div id="compare-best" class="plot"></div></section>`;
  const states = new Map();
  return poller(async () => {
    try {
      const table = await Source.compare(names);
      $("#compare-table").innerHTML = table ? compareTable(table) : "";
    } catch (error) {
      $("#compare-table").innerHTML = `<p class="error">${esc(error.message)}</p>`;
    }
    for (const name of names) {
      if (!states.has(name)) states.set(name, new RunState(await Source.meta(name)));
      states.get(name).apply(await Source.poll(name, states.get(name)));
    }
    await bestSoFarOfRuns($("#compare-best"), [...states.values()]);
    markRendered();
  }, 3000);
}

function route() {
  if (page) page.stop();
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "run" && parts[1]) page = runPage(parts[1]);
  else if (parts[0] === "compare") page = comparePage(parts.length > 1 ? parts.slice(1) : BOOT.order);
  else page = listPage();
}

// Pages start once every script has run (this one runs before Plotly's, to ask for data early).
document.addEventListener("DOMContentLoaded", () => {
  window.addEventListener("hashchange", route);
  if (!location.hash && BOOT.start) location.hash = BOOT.start;
  else route();
});
