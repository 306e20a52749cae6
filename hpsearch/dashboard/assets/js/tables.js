// Tables: the runs of the folder, a run's trials (sortable; best first by default), its best
// trial, and runs side by side.
"use strict";

const STATUSES = ["ok", "pruned", "diverged", "failed"];

function badge(status) {
  return `<span class="badge ${esc(status)}">${esc(status)}</span>`;
}

function countsText(counts) {
  return STATUSES.filter((s) => counts[s] || s === "ok").map((s) => `${counts[s]} ${s}`).join(", ");
}

function runsTable(lines, selected) {
  const rows = lines.map((line) => {
    const name = esc(line.name);
    const link = `<a href="#/run/${enc(line.name)}">${name}</a>`;
    if (line.error) return `<tr><td></td><td>${link}</td><td colspan="9" class="error">${esc(line.error)}</td></tr>`;
    const best = line.best ? `${fmt(line.best.value)} <span class="muted">(trial ${line.best.trial})</span>` : "";
    const checked = selected.has(line.name) ? "checked" : "";
    return `<tr data-run="${name}"><td><input type="checkbox" value="${name}" ${checked} aria-label="select ${name}"></td>
      <td>${link}</td><td>${esc(line.mode)}</td><td>${badge(line.status)}</td>
      <td class="num">${line.done} / ${line.total}</td>
      ${STATUSES.map((s) => `<td class="num">${line.counts[s]}</td>`).join("")}
      <td>${esc(line.metric)} <span class="muted">(${esc(line.direction)})</span></td><td class="num">${best}</td></tr>`;
  });
  return `<table class="runs"><thead><tr><th></th><th>run</th><th>mode</th><th>status</th><th class="num">trials</th>
    ${STATUSES.map((s) => `<th class="num">${s}</th>`).join("")}<th>metric</th><th class="num">best</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

// The columns of the trials table: number, round, status, the metric, the hyperparameters,
// the other metrics, then epochs, seconds and error.
function trialColumns(state) {
  const m = state.meta.metric;
  const params = state.meta.space.map((a) => a.name);
  const tail = ["epochs", "seconds", "error"];
  const skip = new Set(["trial", "round", "status", "rank", "seed", m, ...params, ...tail]);
  const others = state.trials.columns.filter((c) => !skip.has(c));
  return ["trial", "round", "status", m, ...params, ...others, ...tail, "changes"];
}

function changesOf(state) {
  const out = new Map();
  for (const e of (state.summary && state.summary.interventions) || []) {
    if (e.abandoned) continue;
    if (!out.has(e.trial)) out.set(e.trial, []);
    out.get(e.trial).push(`after epoch ${e.epoch}: ${e.change}`);
  }
  return out;
}

function sortedTrials(state, sort) {
  const rows = [...state.records()];
  if (!sort.column) return rows.sort(byRank);
  const c = sort.column;
  const dir = sort.asc ? 1 : -1;
  const missing = (v) => v === null || v === undefined || v === "";
  return rows.sort((a, b) => {
    const [x, y] = [a[c], b[c]];
    if (missing(x) || missing(y)) return missing(x) - missing(y) || a.trial - b.trial;
    if (x === y) return a.trial - b.trial;
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
  });
}

function trialsTable(state, ui) {
  const changes = changesOf(state);
  const records = state.records();
  const blank = (c) =>
    c === "changes" ? !records.some((r) => changes.has(r.trial)) : records.every((r) => r[c] === null || r[c] === "");
  const columns = trialColumns(state).filter((c) => !["error", "changes"].includes(c) || !blank(c));
  const best = state.summary && state.summary.best ? state.summary.best.trial : null;
  const arrow = (c) => (ui.sort.column === c ? (ui.sort.asc ? " ▲" : " ▼") : "");
  const numeric = (c) => records.some((r) => typeof r[c] === "number");
  const label = (c) => (c === "epochs" ? `${state.step()}s` : c); // an estimator's: folds
  const head = columns.map(
    (c) => `<th data-sort="${esc(c)}" class="${numeric(c) ? "num" : ""}" title="sort by ${esc(label(c))}">${esc(label(c))}${arrow(c)}</th>`,
  );
  const sorted = sortedTrials(state, ui.sort);
  const body = sorted.slice(0, ui.rows).map((r) => {
    const cls = [r.trial === ui.selected ? "selected" : "", r.trial === best ? "best" : ""].join(" ");
    const cells = columns.map((c) => {
      if (c === "status") return `<td>${badge(r.status)}</td>`;
      if (c === "changes") return `<td class="text">${esc((changes.get(r.trial) || []).join("; "))}</td>`;
      if (c === "error") return `<td class="text error">${esc(r.error || "")}</td>`;
      return `<td class="${typeof r[c] === "number" ? "num" : ""}">${esc(fmt(r[c]))}</td>`;
    });
    return `<tr data-trial="${r.trial}" class="${cls}">${cells.join("")}</tr>`;
  });
  const none = `<tr><td colspan="${columns.length}" class="muted">no trial has finished yet</td></tr>`;
  const more = sorted.length > ui.rows
    ? `<p class="more">${ui.rows} of ${sorted.length} trials shown <button type="button" data-more="100">100 more</button> <button type="button" data-more="all">all</button></p>`
    : "";
  return `<table class="trials"><thead><tr>${head.join("")}</tr></thead><tbody>${body.join("") || none}</tbody></table>${more}`;
}

// Clicking a header sorts by it (again: the other way); the metric starts best first.
function nextSort(state, sort, column) {
  if (column === sort.column) return { column, asc: !sort.asc };
  const startDesc = column === state.meta.metric && state.meta.direction === "maximize";
  return { column, asc: !startDesc };
}

function bestCard(state) {
  const best = state.summary && state.summary.best;
  const m = state.meta.metric;
  if (!best) return `<p class="muted">No trial has finished with a value of ${esc(m)} yet.</p>`;
  const params = state.meta.space
    .filter((a) => best.params[a.name] !== undefined)
    .map((a) => `<span class="kv"><b>${esc(a.name)}</b> ${esc(fmt(best.params[a.name]))}</span>`);
  const changes = best.interventions.map((e) => `<li>after epoch ${e.epoch}: ${esc(e.kind)}: ${esc(e.change)}</li>`);
  return `<p><b>trial ${best.trial}</b> (round ${best.round}): ${esc(m)} <b>${fmt(best.value)}</b></p>
    <p class="params">${params.join(" ")}</p>
    ${changes.length ? `<p>its interventions:</p><ul>${changes.join("")}</ul>` : `<p class="muted">no interventions</p>`}`;
}

function compareTable(table) {
  // run names over their numbers: right-aligned as the numbers are
  const head = ["", ...table.columns].map((c, i) => `<th class="${i ? "num" : ""}">${esc(c)}</th>`).join("");
  const body = table.rows.map(([key, ...cells]) => {
    const mark = table.marks[key];
    const tds = cells.map((v, i) => {
      const star = mark === table.columns[i] ? " *" : "";
      return `<td class="${typeof v === "number" ? "num" : ""}${star ? " better" : ""}">${esc(fmt(v))}${star}</td>`;
    });
    return `<tr><th>${esc(key)}</th>${tds.join("")}</tr>`;
  });
  return `<table class="compare"><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>
    <p class="muted">${esc(table.note || "* marks the strictly better value")}</p>`;
}
