// Where the data comes from: the dashboard's JSON endpoints (live), or the data a report file
// carries. A RunState holds one run's rows and applies what each poll brings: rows appended
// since its cursors, or every row again when a table was rewritten.
"use strict";

const BOOT = JSON.parse(document.getElementById("boot").textContent);
const LIVE = BOOT.mode === "live";

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    throw new Error(answer.error || `${url}: HTTP ${response.status}`);
  }
  return response.json();
}

const enc = encodeURIComponent;

// A run page's first data, asked for as soon as this script runs: the server reads the run
// while the browser compiles Plotly.
const early = (() => {
  const m = LIVE && location.hash.match(/^#\/run\/([^/]+)$/);
  if (!m) return {};
  const name = decodeURIComponent(m[1]);
  const quiet = (p) => (p.catch(() => {}), p);
  return { name, meta: quiet(getJSON(`api/runs/${m[1]}`)), poll: quiet(getJSON(`api/runs/${m[1]}/poll`)) };
})();

function once(part, name, fallback) {
  const p = early.name === name ? early[part] : null;
  early[part] = null;
  return p ? p.catch(fallback) : fallback();
}

const Source = LIVE
  ? {
      list: () => getJSON("api/runs"),
      meta: (name) => once("meta", name, () => getJSON(`api/runs/${enc(name)}`)),
      poll: (name, state) => {
        const q = new URLSearchParams();
        if (state.trials.cursor) q.set("trials", state.trials.cursor);
        if (state.curves.cursor) q.set("curves", state.curves.cursor);
        if (state.digest) q.set("summary", state.digest);
        const ask = () => getJSON(`api/runs/${enc(name)}/poll?${q}`);
        return state.digest ? ask() : once("poll", name, ask);
      },
      compare: (names) => getJSON(`api/compare?${names.map((n) => `run=${enc(n)}`).join("&")}`),
      post: async (name, action, body) => {
        const response = await fetch(`api/runs/${enc(name)}/${action}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Hpsearch-Token": BOOT.token || "" },
          body: JSON.stringify(body),
        });
        const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
        if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
        return answer.message;
      },
    }
  : {
      list: async () => BOOT.order.map((name) => BOOT.runs[name].line),
      meta: async (name) => BOOT.runs[name].meta,
      poll: async (name, state) => (state.digest ? null : BOOT.runs[name].poll),
      compare: async () => BOOT.compare,
    };

class RunState {
  constructor(meta) {
    this.meta = meta;
    this.trials = { columns: [], rows: [], cursor: null };
    this.curves = { columns: [], rows: [], cursor: null };
    this.byTrial = new Map(); // trial -> its curve rows, in file order
    this.summary = null;
    this.digest = null;
    this.warnings = [];
  }

  // Apply one poll's answer; returns which parts changed.
  apply(answer) {
    const changed = { trials: false, curves: false, summary: false };
    if (!answer) return changed;
    changed.trials = this.take("trials", answer.trials);
    const columns = answer.curves.reset ? answer.curves.columns : this.curves.columns;
    changed.curves = this.take("curves", curveRows(answer.curves, columns));
    if (changed.curves) this.indexCurves(answer.curves.reset);
    if (answer.summary) {
      this.summary = answer.summary;
      this.digest = answer.digest;
      changed.summary = true;
    }
    return changed;
  }

  take(part, chunk) {
    const table = this[part];
    if (chunk.reset) {
      const hadRows = table.rows.length > 0;
      this[part] = { columns: chunk.columns, rows: chunk.rows, cursor: chunk.cursor };
      this.warnings = this.warnings.filter((w) => !w.startsWith(`${part}.csv`));
      this.warnings.push(...chunk.warnings);
      return hadRows || chunk.rows.length > 0;
    }
    table.cursor = chunk.cursor;
    this.warnings.push(...chunk.warnings);
    if (!chunk.rows.length) return false;
    for (const row of chunk.rows) table.rows.push(row);
    table.added = chunk.rows.length;
    return true;
  }

  indexCurves(reset) {
    const c = this.curves;
    const at = c.columns.indexOf("trial");
    const from = reset ? 0 : c.rows.length - c.added;
    if (reset) this.byTrial = new Map();
    for (let i = from; i < c.rows.length; i++) {
      const t = c.rows[i][at];
      if (!this.byTrial.has(t)) this.byTrial.set(t, []);
      this.byTrial.get(t).push(c.rows[i]);
    }
  }

  // Trial rows as objects keyed by column, by trial number.
  records() {
    if (this._recordsFor !== this.trials.rows.length || this._recordsOf !== this.trials.rows) {
      const cols = this.trials.columns;
      this._records = this.trials.rows.map((row) => {
        const o = {};
        cols.forEach((c, i) => (o[c] = row[i]));
        return o;
      });
      this._records.sort((a, b) => a.trial - b.trial);
      this._recordsFor = this.trials.rows.length;
      this._recordsOf = this.trials.rows;
    }
    return this._records;
  }

  // Finished trials with a value of the metric, and pruned ones (their value when stopped).
  // How many rounds the run has (started): the colour scale's length.
  // What curves.csv's epoch and trials.csv's epochs count: "epoch", or an estimator's "fold".
  step() {
    return this.meta.step || "epoch";
  }

  // Kept until the trials or the regions change: every point's colour asks for it.
  rounds() {
    const records = this.records();
    const regions = (this.summary && this.summary.regions) || [];
    if (this._roundsOf !== records || this._roundsRegions !== regions) {
      this._rounds = records.reduce((n, r) => Math.max(n, r.round), Math.max(1, regions.length));
      [this._roundsOf, this._roundsRegions] = [records, regions];
    }
    return this._rounds;
  }

  valued(status) {
    const m = this.meta.metric;
    return this.records().filter((r) => r.status === status && isNumber(r[m]));
  }

  column(name) {
    return this.curves.columns.indexOf(name);
  }
}

// curves.csv lines as rows of numbers (empty, nan or inf: null); short lines are left out.
function curveRows(chunk, columns) {
  const width = columns.length;
  const rows = [];
  let skipped = 0;
  for (const line of chunk.csv.split("\n")) {
    if (!line) continue;
    const cells = line.split(",");
    if (cells.length !== width) {
      skipped++;
      continue;
    }
    rows.push(cells.map((c) => (c === "" || !Number.isFinite(Number(c)) ? null : Number(c))));
  }
  const warnings = skipped ? [`curves.csv: ${skipped} lines with missing cells left out`] : [];
  return Object.assign({}, chunk, { rows, warnings: [...chunk.warnings, ...warnings] });
}

// "Best first" by the rank each row carries (Goal.rank_key): compare two rank lists.
function byRank(a, b) {
  for (let i = 0; i < a.rank.length; i++) {
    if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i];
  }
  return 0;
}
