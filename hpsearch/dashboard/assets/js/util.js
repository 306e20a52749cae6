// Helpers every view shares: elements, numbers as the CLI shows them, colours by round, drawing.
"use strict";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
// Rounds on a sequential scale (YlGnBu, early light, late dark; as hpsearch/plots/axes.py),
// so that the colour says how late a round came whatever their number: round r of n.
const ROUND_SCALE = ["#7cccbb", "#55bec1", "#37acc3", "#2195c0", "#2076b3", "#2258a5", "#243d98", "#192b7c", "#081d58"];
function roundColor(r, n) {
  const t = n > 1 ? (Math.min(Math.max(r, 1), n) - 1) / (n - 1) : 0;
  const at = t * (ROUND_SCALE.length - 1);
  const i = Math.min(Math.floor(at), ROUND_SCALE.length - 2);
  const [a, b] = [ROUND_SCALE[i], ROUND_SCALE[i + 1]].map((c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)));
  const mix = a.map((v, k) => Math.round(v + (b[k] - v) * (at - i)));
  return `rgb(${mix.join(",")})`;
}
const SHOWN_REGIONS = 3; // the plots draw the regions of the last rounds only: 20 at once are a wash
const LISTED_ROUNDS = 6; // more rounds than this: a colour scale in the legend, not an entry each
const BEST_MARKER = { symbol: "star", size: 17, color: "#d62728", line: { color: "black", width: 1 } };
const PRUNED_COLOR = "#999999";

const $ = (selector, root = document) => root.querySelector(selector);

function esc(text) {
  const map = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(text).replace(/[&<>"']/g, (c) => map[c]);
}

// A value as the CLI's tables show it: 4 significant digits, a beta near 1 to the digits of
// 1 - beta that matter, integers and text as they are.
function fmt(v) {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "";
  if (typeof v === "boolean") return String(v);
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  if (v > 0 && 1 - v > 0 && 1 - v < 0.001) {
    const decimals = 3 - Math.floor(Math.log10(1 - v));
    return v.toFixed(decimals).replace(/0+$/, "");
  }
  return String(Number(v.toPrecision(4)));
}

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}

// Elements from an HTML string (its values escaped by the caller with esc).
function html(text) {
  const t = document.createElement("template");
  t.innerHTML = text.trim();
  return t.content.firstElementChild;
}

const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
};

function baseLayout(extra) {
  return Object.assign(
    {
      margin: { l: 62, r: 16, t: 34, b: 52 },
      font: { size: 11, family: "system-ui, sans-serif" },
      hovermode: "closest",
      showlegend: false,
      paper_bgcolor: "white",
      plot_bgcolor: "white",
      uirevision: "keep", // live updates keep the user's zoom
    },
    extra,
  );
}

// Draw (or redraw in place) a figure; charts mark themselves drawn for whoever waits on them.
function draw(div, data, layout) {
  return Plotly.react(div, data, baseLayout(layout), PLOT_CONFIG).then(() => {
    div.dataset.drawn = String(Number(div.dataset.drawn || 0) + 1);
  });
}

function onClickTrial(div, select) {
  if (div.dataset.clicks) return;
  div.dataset.clicks = "1";
  div.on("plotly_click", (event) => {
    const point = event.points && event.points[0];
    if (point && point.customdata !== undefined && point.customdata !== null) {
      select(Number(point.customdata));
    }
  });
}

// A metric axis limited to the better 80% of values, so a few bad trials do not flatten the
// differences that matter (double-click the plot to see them all).
function focusRange(values, direction) {
  if (values.length < 5) return null;
  const lo = direction === "maximize" ? quantile(values, 0.2) : Math.min(...values);
  const hi = direction === "maximize" ? Math.max(...values) : quantile(values, 0.8);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.01 || 0.01;
  return [lo - pad, hi + pad];
}

// Ticks of a log axis over `values`: 1, 2, 5 x 10^k (only 10^k over many decades), as numbers.
function logTicks(values) {
  const v = values.filter((x) => isNumber(x) && x > 0);
  if (!v.length) return {};
  const [lo, hi] = [Math.min(...v), Math.max(...v)];
  const decades = Math.log10(hi / lo);
  const steps = decades > 4 ? [1] : decades > 1.5 ? [1, 3] : [1, 2, 3, 5];
  const ticks = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of steps) ticks.push(m * 10 ** k);
  }
  const inside = ticks.filter((t) => t >= lo / 1.5 && t <= hi * 1.5);
  return { tickvals: inside, ticktext: inside.map(fmt) };
}

// Plots are drawn when they are on screen: a page of a thousand trials then costs what its
// visible plots cost, at load and at each live update. A plot off screen keeps its newest
// drawing job and runs it when scrolled to. Positions are measured all at once before drawing
// (measuring between drawings would lay the page out again each time).
class Lazy {
  constructor() {
    this.pending = new Map();
    this.queued = false;
    this.onView = () => {
      if (this.queued) return;
      this.queued = true;
      requestAnimationFrame(() => ((this.queued = false), this.flush()));
    };
    window.addEventListener("scroll", this.onView, { passive: true });
    window.addEventListener("resize", this.onView);
    this.all = !LIVE;
    this.onPrint = () => this.drawAll();
    window.addEventListener("beforeprint", this.onPrint);
    this.printing = window.matchMedia("print");
    this.printing.addEventListener("change", this.onPrint);
  }

  set(div, job) {
    this.pending.set(div, job);
  }

  // Draw the plots on screen (every plot in a report, or when the page is printed: paper has
  // no scrolling); the promise ends when they are drawn.
  flush() {
    const near = [...this.pending.keys()].filter((div) => {
      if (this.all) return true;
      const r = div.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
    });
    return Promise.all(near.map((div) => this.run(div)));
  }

  // From now on, every plot: a report is read whole, and a page about to print shows it all.
  drawAll() {
    this.all = true;
    return this.flush();
  }

  run(div) {
    const job = this.pending.get(div);
    this.pending.delete(div);
    return job ? job() : Promise.resolve();
  }

  stop() {
    window.removeEventListener("scroll", this.onView);
    window.removeEventListener("resize", this.onView);
    window.removeEventListener("beforeprint", this.onPrint);
    this.printing.removeEventListener("change", this.onPrint);
    this.pending.clear();
  }
}
