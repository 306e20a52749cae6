// The figures of a run's trials: the metric against each hyperparameter, two hyperparameters
// against each other with each round's boxes, parallel coordinates, and the best so far.
"use strict";

const jitter = (trial) => (((trial * 0.6180339887) % 1) - 0.5) * 0.3; // the same at every redraw

function hoverText(state, r, names) {
  const m = state.meta.metric;
  const lines = [`trial ${r.trial} (round ${r.round}, ${r.status})`];
  for (const n of names) lines.push(`${n} ${fmt(r[n])}`);
  lines.push(`${m} ${fmt(r[m])}`);
  return lines.join("<br>");
}

function pointsX(axis, rows) {
  const j = axis.scale === "categorical";
  return rows.map((r) => coord(axis, r[axis.name]) + (j ? jitter(r.trial) : 0));
}

// One trace per round, and the pruned trials apart: [x, y] from `at(row)`.
function roundTraces(state, rows, pruned, at, names) {
  const rounds = [...new Set(rows.map((r) => r.round))].sort((a, b) => a - b);
  const traces = rounds.map((rnd) => {
    const mine = rows.filter((r) => r.round === rnd);
    return {
      type: "scatter",
      mode: "markers",
      name: `round ${rnd}`,
      x: mine.map((r) => at(r)[0]),
      y: mine.map((r) => at(r)[1]),
      customdata: mine.map((r) => r.trial),
      text: mine.map((r) => hoverText(state, r, names)),
      hoverinfo: "text",
      opacity: 0.85, // for the trace: cheaper than per marker
      showlegend: rounds.length <= LISTED_ROUNDS, // else the page's legend shows the scale
      marker: { color: roundColor(rnd, state.rounds()), size: 7 },
    };
  });
  if (pruned.length) {
    traces.unshift({
      type: "scatter",
      mode: "markers",
      name: "pruned",
      x: pruned.map((r) => at(r)[0]),
      y: pruned.map((r) => at(r)[1]),
      customdata: pruned.map((r) => r.trial),
      text: pruned.map((r) => hoverText(state, r, names)),
      hoverinfo: "text",
      marker: { color: PRUNED_COLOR, symbol: "x-thin", size: 7, line: { width: 1.5, color: PRUNED_COLOR } },
    });
  }
  return traces;
}

function selectedTrace(rows, selected, at) {
  const r = rows.find((row) => row.trial === selected);
  return {
    type: "scatter",
    mode: "markers",
    name: "selected",
    x: r ? [at(r)[0]] : [],
    y: r ? [at(r)[1]] : [],
    hoverinfo: "skip",
    marker: { size: 15, color: "rgba(0,0,0,0)", line: { width: 2, color: "black" } },
  };
}

// The regions drawn: of the round chosen on the page (`ui.round`), or of the last rounds after
// the first.
function shownRegions(state, ui) {
  const regions = (state.summary && state.summary.regions) || [];
  if (ui && ui.round) return regions.filter((r) => r.round === ui.round);
  return regions.filter((r) => r.round >= 2).slice(-SHOWN_REGIONS);
}

// The last rounds' regions along a hyperparameter: a bar in the round's colour across the
// top of the plot (stacked, one row per round, the latest lowest), above the trials.
function regionBars(state, axis, ui) {
  const later = shownRegions(state, ui);
  const band = 0.035;
  const shapes = [];
  if (!isNumericAxis(axis)) return { shapes, headroom: 0 };
  later.forEach((record, k) => {
    const y1 = 1 - k * band;
    for (const [lo, hi] of regionSpans(axis, record)) {
      shapes.push({
        type: "rect", xref: "x", yref: "paper", x0: lo, x1: hi, y0: y1 - band * 0.75, y1,
        fillcolor: roundColor(record.round, state.rounds()), opacity: 0.7, line: { width: 0 },
      });
    }
  });
  return { shapes, headroom: later.length * band + 0.02 };
}

// The metric axis: the better 80% of values when there are enough (a note says so), with
// room at the top for the region bars.
function metricAxis(state, values, headroom) {
  const focus = focusRange(values, state.meta.direction);
  let [lo, hi] = focus || [Math.min(...values), Math.max(...values)];
  if (!focus) {
    const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 0.05;
    [lo, hi] = [lo - pad, hi + pad];
  }
  hi += ((hi - lo) * headroom) / (1 - headroom);
  const where = state.meta.direction === "maximize" ? "below" : "above";
  const note = focus
    ? [{ text: `worst 20% ${where} the axis`, showarrow: false, xref: "paper", yref: "paper",
         x: 0, y: where === "below" ? 0 : 1 - headroom, xanchor: "left", yanchor: where === "below" ? "bottom" : "top",
         font: { size: 9, color: "grey" } }]
    : [];
  return { axis: { title: { text: state.meta.metric }, range: [lo, hi] }, annotations: note };
}

function metricVsParam(div, state, axis, ui) {
  const m = state.meta.metric;
  const has = (r) => r[axis.name] !== null && r[axis.name] !== undefined;
  const ok = state.valued("ok").filter(has);
  const pruned = state.valued("pruned").filter(has);
  if (!ok.length && !pruned.length) return drawNote(div, `${axis.name}: no finished trial yet`);
  const xs = new Map();
  for (const group of [ok, pruned]) pointsX(axis, group).forEach((x, i) => xs.set(group[i], x));
  const at = (r) => [xs.get(r), r[m]];
  const bars = regionBars(state, axis, ui);
  const traces = roundTraces(state, ok, pruned, at, [axis.name]);
  traces.push(bestTrace(state, ok, at, [axis.name]));
  traces.push(selectedTrace([...ok, ...pruned], ui.selected, at));
  const y = metricAxis(state, [...ok, ...pruned].map((r) => r[m]), bars.headroom);
  return draw(div, traces, {
    title: { text: axis.name, font: { size: 12 } },
    xaxis: paramAxis(axis),
    yaxis: y.axis,
    annotations: y.annotations,
    shapes: bars.shapes,
  }).then(() => onClickTrial(div, ui.select));
}

function coarseToFine(div, state, px, py, ui) {
  const [ax, ay] = [axisOf(state.meta, px), axisOf(state.meta, py)];
  const has = (r) => r[px] !== null && r[px] !== undefined && r[py] !== null && r[py] !== undefined;
  const ok = state.valued("ok").filter(has);
  const at = (r) => [pointsX(ax, [r])[0], pointsX(ay, [r])[0]];
  const shapes = [];
  for (const record of shownRegions(state, ui)) {
    for (const box of record.boxes) {
      if (!box[px] || !box[py] || !isNumericAxis(ax) || !isNumericAxis(ay)) continue;
      const [x0, x1] = box[px].map((v) => coord(ax, v));
      const [y0, y1] = box[py].map((v) => coord(ay, v));
      shapes.push({
        type: "rect", xref: "x", yref: "y", x0, x1, y0, y1,
        line: { color: roundColor(record.round, state.rounds()), width: 1.4 }, opacity: 0.9,
      });
    }
  }
  const traces = roundTraces(state, ok, [], at, [px, py]);
  traces.push(bestTrace(state, ok, at, [px, py]));
  traces.push(selectedTrace(ok, ui.selected, at));
  return draw(div, traces, {
    xaxis: paramAxis(ax),
    yaxis: paramAxis(ay),
    shapes,
    showlegend: true,
    legend: { orientation: "h", y: -0.2, font: { size: 10 } },
    margin: { l: 62, r: 16, t: 16, b: 90 },
  }).then(() => onClickTrial(div, ui.select));
}

// The best trial, marked on its own (a star), over its round's point.
function bestTrace(state, rows, at, names) {
  const best = state.summary && state.summary.best;
  const row = best && rows.find((r) => r.trial === best.trial);
  return {
    type: "scatter", mode: "markers", name: best ? `best: trial ${best.trial}` : "best",
    x: row ? [at(row)[0]] : [], y: row ? [at(row)[1]] : [], customdata: row ? [row.trial] : [],
    text: row ? [hoverText(state, row, names)] : [], hoverinfo: "text", marker: BEST_MARKER,
  };
}

function drawNote(div, text) {
  return draw(div, [], {
    xaxis: { visible: false }, yaxis: { visible: false },
    annotations: [{ text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
  });
}

// The running best of a run's trials in trial order (finished trials only count).
function runningBest(records, metric, direction) {
  const sign = direction === "maximize" ? 1 : -1;
  let best = -Infinity;
  return records.map((r) => {
    if (r.status === "ok" && isNumber(r[metric])) best = Math.max(best, sign * r[metric]);
    return Number.isFinite(best) ? sign * best : null;
  });
}

function bestSoFar(div, state, ui) {
  const m = state.meta.metric;
  const records = state.records();
  const x = records.map((_, i) => i + 1);
  // where each round starts, while there are few enough rounds for the lines to be read
  const rounds = state.rounds();
  const starts = rounds > 12 ? [] : records.map((r, i) => i > 0 && r.round !== records[i - 1].round ? i + 0.5 : null).filter((v) => v);
  const valued = records.map((r, i) => [r, i]).filter(([r]) => r.status === "ok" && isNumber(r[m]));
  const traces = [
    {
      type: "scatter", mode: "markers", name: "trials",
      x: valued.map(([, i]) => i + 1), y: valued.map(([r]) => r[m]),
      customdata: valued.map(([r]) => r.trial), text: valued.map(([r]) => hoverText(state, r, [])),
      hoverinfo: "text", marker: { color: valued.map(([r]) => roundColor(r.round, rounds)), size: 6, opacity: 0.7 },
    },
    {
      type: "scatter", mode: "lines", name: "best so far", x, y: runningBest(records, m, state.meta.direction),
      line: { shape: "hv", color: "black", width: 2 }, hoverinfo: "skip",
    },
  ];
  if (!valued.length) return drawNote(div, "no finished trial yet");
  const y = metricAxis(state, valued.map(([r]) => r[m]), 0);
  return draw(div, traces, {
    xaxis: { title: { text: "trials" }, rangemode: "tozero", dtick: records.length <= 12 ? 1 : undefined },
    yaxis: y.axis,
    annotations: y.annotations,
    shapes: starts.map((s) => ({
      type: "line", xref: "x", yref: "paper", x0: s, x1: s, y0: 0, y1: 1,
      line: { color: "grey", dash: "dash", width: 1 },
    })),
  }).then(() => onClickTrial(div, ui.select));
}

// Runs side by side: each run's best so far against its number of trials.
function bestSoFarOfRuns(div, states) {
  const traces = states.map((s, i) => ({
    type: "scatter", mode: "lines", name: s.meta.name,
    x: s.records().map((_, j) => j + 1),
    y: runningBest(s.records(), s.meta.metric, s.meta.direction),
    line: { shape: "hv", color: COLORS[i % COLORS.length], width: 2 },
  }));
  return draw(div, traces, {
    showlegend: true,
    xaxis: { title: { text: "trials" } },
    yaxis: { title: { text: states.length ? states[0].meta.metric : "" } },
  });
}
