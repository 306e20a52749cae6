// Parallel coordinates as lines: one per finished trial, across an axis per hyperparameter (its
// sampling coordinate, so log and 1 - beta axes are even in decades) and one for the metric,
// coloured by the metric, brighter for better. Plotly's WebGL parcoords takes seconds to draw
// where there is no GPU (headless browsers, remote desktops); SVG lines take milliseconds.
"use strict";

const VIRIDIS = ["#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725"];

// A hyperparameter's values mapped to [0, 1] along its axis, and ticks as [position, label].
function unitScale(axis) {
  if (axis.scale === "categorical") {
    const n = axis.values.length;
    return {
      at: (v) => ((i) => (i < 0 ? null : (i + 0.5) / n))(axis.values.map(String).indexOf(String(v))),
      ticks: axis.values.map((v, i) => [(i + 0.5) / n, String(v)]),
    };
  }
  const oml = axis.scale === "one_minus_log";
  const c = axis.scale === "log" ? Math.log10 : oml ? (v) => -Math.log10(1 - v) : (v) => v;
  const [lo, hi] = [c(axis.low), c(axis.high)];
  const at = (v) => (v === null || v === undefined ? null : (c(v) - lo) / (hi - lo));
  let ticks;
  if (axis.scale === "linear") {
    ticks = [axis.low, (axis.low + axis.high) / 2, axis.high].map((v) => [at(v), fmt(v)]);
  } else {
    ticks = [];
    for (let k = Math.ceil(lo - 1e-9); k <= Math.floor(hi + 1e-9); k++) {
      ticks.push([(k - lo) / (hi - lo), fmt(oml ? 1 - 10 ** -k : 10 ** k)]);
    }
    if (ticks.length < 2) ticks = [[0, fmt(axis.low)], [1, fmt(axis.high)]];
  }
  return { at, ticks };
}

function metricScale(values) {
  let [lo, hi] = [Math.min(...values), Math.max(...values)];
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const at = (v) => (isNumber(v) ? (v - lo) / (hi - lo) : null);
  return { at, ticks: [lo, (lo + hi) / 2, hi].map((v) => [at(v), fmt(v)]), lo, hi };
}

function parallelCoordinates(div, state, ui) {
  const m = state.meta.metric;
  const ok = state.valued("ok");
  if (ok.length < 2) return drawNote(div, "parallel coordinates appear once two trials have finished");
  const values = ok.map((r) => r[m]);
  const metric = metricScale(values);
  const dims = [...state.meta.space.map((a) => [a.name, unitScale(a)]), [m, metric]];
  // Colours span the better 80% of values (as the metric axes do); the worst fifth is darkest.
  const maximize = state.meta.direction === "maximize";
  const [cmin, cmax] = values.length >= 5
    ? (maximize ? [quantile(values, 0.2), metric.hi] : [metric.lo, quantile(values, 0.8)])
    : [metric.lo, metric.hi];
  const better = (v) => {
    const t = Math.min(1, Math.max(0, (v - cmin) / (cmax - cmin || 1)));
    return maximize ? t : 1 - t;
  };
  const bins = VIRIDIS.map(() => ({ x: [], y: [], customdata: [], text: [] }));
  const line = (target, r) => {
    dims.forEach(([name, scale], i) => {
      target.x.push(i);
      target.y.push(scale.at(r[name]));
      target.customdata.push(r.trial);
      target.text.push(`trial ${r.trial}: ${name} ${fmt(r[name])}<br>${m} ${fmt(r[m])}`);
    });
    for (const key of ["x", "y", "customdata", "text"]) target[key].push(null);
  };
  for (const r of ok) line(bins[Math.min(VIRIDIS.length - 1, Math.floor(better(r[m]) * VIRIDIS.length))], r);
  const traces = bins.map((b, i) => Object.assign(b, {
    type: "scatter", mode: "lines", hoverinfo: "text", name: `bin ${i}`,
    line: { color: VIRIDIS[i], width: 1.2 }, opacity: 0.75,
  }));
  const chosen = ok.find((r) => r.trial === ui.selected);
  const selected = { x: [], y: [], customdata: [], text: [] };
  if (chosen) line(selected, chosen);
  traces.push(Object.assign(selected, { type: "scatter", mode: "lines", hoverinfo: "text", line: { color: "black", width: 3 } }));
  traces.push({
    type: "scatter", mode: "markers", x: [0, 0], y: [-9, -9], hoverinfo: "skip",
    marker: {
      color: [cmin, cmax], colorscale: VIRIDIS.map((c, i) => [i / (VIRIDIS.length - 1), c]),
      reversescale: state.meta.direction === "minimize", showscale: true,
      colorbar: { title: { text: m }, thickness: 12, len: 0.9 },
    },
  });
  const annotations = [];
  const shapes = [];
  dims.forEach(([name, scale], i) => {
    shapes.push({ type: "line", xref: "x", yref: "y", x0: i, x1: i, y0: 0, y1: 1, line: { color: "#555", width: 1 } });
    annotations.push({ x: i, y: 1.03, text: `<b>${esc(name)}</b>`, showarrow: false, yanchor: "bottom", font: { size: 11 } });
    for (const [u, label] of scale.ticks) {
      annotations.push({
        x: i, y: u, text: esc(label), showarrow: false, xanchor: "right", xshift: -3,
        font: { size: 9, color: "#333" }, bgcolor: "rgba(255,255,255,0.85)",
      });
    }
  });
  return draw(div, traces, {
    xaxis: { visible: false, range: [-0.45, dims.length - 0.8] },
    yaxis: { visible: false, range: [-0.04, 1.1] },
    margin: { l: 16, r: 8, t: 10, b: 10 },
    shapes,
    annotations,
  }).then(() => onClickTrial(div, ui.select));
}
