// Learning curves from curves.csv: every trial faint, the best five and the selected trial in
// colour (click a curve, a point or a table row to select a trial); and panda's live curve of
// the trial being trained. Epochs a rollback abandoned are dashed; nudges and rollbacks are
// dotted vertical lines at the epoch after which they apply.
"use strict";

// The columns each panel shows: the costs (train only, or train and dev), then the metric.
function curvePanels(state, devCost) {
  const cols = state.curves.columns;
  const m = state.meta.metric;
  const panels = [];
  // batch_cost: the mean cost of an epoch's mini-batches (older runs named it train_cost)
  const batch = cols.includes("batch_cost") ? "batch_cost" : "train_cost";
  const costs = devCost ? [batch, "dev_cost"] : [batch];
  if (cols.includes(batch)) panels.push(costs.filter((c) => cols.includes(c)));
  const metric = cols.includes(m) && !m.endsWith("cost") ? m : cols.includes("dev_accuracy") ? "dev_accuracy" : null;
  if (metric) panels.push([metric]);
  if (!panels.length) panels.push(cols.filter((c) => !["trial", "epoch", "abandoned", "learning_rate"].includes(c)).slice(0, 1));
  return panels;
}

// Epochs of `trials` as one line broken between trials (kept or abandoned epochs).
function series(state, trials, column, abandoned) {
  const [e, c, a] = [state.column("epoch"), state.column(column), state.column("abandoned")];
  const x = [], y = [], ids = [];
  for (const t of trials) {
    const rows = (state.byTrial.get(t) || []).filter((r) => (a < 0 ? 0 : r[a]) === (abandoned ? 1 : 0));
    if (!rows.length) continue;
    for (const r of rows) {
      x.push(r[e]);
      y.push(r[c]);
      ids.push(t);
    }
    x.push(null);
    y.push(null);
    ids.push(null);
  }
  return { x, y, customdata: ids, text: ids.map((t) => (t === null ? "" : `trial ${t}`)) };
}

// Log axes of costs get ticks a reader can read (Plotly labels a short log range digit by digit).
function costTicks(layout, traces) {
  for (const [key, axis] of Object.entries(layout)) {
    if (!key.startsWith("yaxis") || axis.type !== "log") continue;
    const ref = `y${key.slice(5)}`;
    Object.assign(axis, logTicks(traces.filter((t) => t.yaxis === ref).flatMap((t) => t.y)));
  }
  return layout;
}

function panelAxes(panels, layout, step = "epoch") {
  const gap = 0.14;
  const width = (1 - gap * (panels.length - 1)) / panels.length;
  panels.forEach((columns, i) => {
    const k = i ? String(i + 1) : "";
    layout[`xaxis${k}`] = {
      domain: [i * (width + gap), i * (width + gap) + width], title: { text: step },
      anchor: `y${k}`, rangemode: "tozero",
    };
    layout[`yaxis${k}`] = {
      anchor: `x${k}`, title: { text: columns.join(", ").replace(/_/g, " ") },
      type: columns[0].endsWith("cost") ? "log" : "linear",
    };
  });
  return layout;
}

function interventionLines(state, trials, panels, colorOf) {
  const shapes = [];
  for (const entry of (state.summary && state.summary.interventions) || []) {
    if (!trials.includes(entry.trial) || entry.abandoned) continue;
    panels.forEach((_, i) => {
      const k = i ? String(i + 1) : "";
      shapes.push({
        type: "line", xref: `x${k}`, yref: `y${k} domain`, x0: entry.epoch, x1: entry.epoch, y0: 0, y1: 1,
        line: { color: colorOf(entry.trial), dash: "dot", width: 1.5 },
      });
    });
  }
  return shapes;
}

const FAINT = 200; // trials drawn in grey: enough to see the spread, few enough to draw fast

function learningCurves(div, state, ui) {
  if (!state.curves.rows.length) return drawNote(div, `no ${state.step()} has finished yet`);
  const panels = curvePanels(state, false);
  const order = [...state.records()].sort(byRank).map((r) => r.trial);
  const ranked = [...state.valued("ok")].sort(byRank).slice(0, 5).map((r) => r.trial);
  const inTable = new Set(order);
  const others = [...state.byTrial.keys()].filter((t) => !inTable.has(t)); // training now
  const faint = [...order.slice(0, FAINT), ...others];
  const chosen = ui.selected !== null && !ranked.includes(ui.selected) ? [...ranked, ui.selected] : ranked;
  const colorOf = (t) => (t === ui.selected ? "black" : COLORS[ranked.indexOf(t) % COLORS.length]);
  const traces = [];
  panels.forEach((columns, i) => {
    const k = i ? String(i + 1) : "";
    const column = columns[0];
    const all = series(state, faint, column, false);
    traces.push(Object.assign(all, {
      type: "scatter", mode: "lines", name: "all trials", xaxis: `x${k}`, yaxis: `y${k}`,
      line: { color: "rgba(120,120,120,0.25)", width: 1 }, hoverinfo: "text", showlegend: i === 0,
    }));
    for (const t of chosen) {
      for (const [abandoned, dash] of [[false, "solid"], [true, "dash"]]) {
        const s = series(state, [t], column, abandoned);
        if (!s.x.length) continue;
        traces.push(Object.assign(s, {
          type: "scatter", mode: "lines", xaxis: `x${k}`, yaxis: `y${k}`, hoverinfo: "text+y",
          name: `trial ${t}${t === ui.selected ? " (selected)" : ""}${abandoned ? ", abandoned" : ""}`,
          line: { color: colorOf(t), width: t === ui.selected ? 3 : 2, dash },
          showlegend: i === 0 && !abandoned,
        }));
      }
    }
  });
  const layout = panelAxes(panels, {
    showlegend: true,
    legend: { orientation: "h", y: -0.22, font: { size: 10 } },
    margin: { l: 62, r: 16, t: 20, b: 96 },
    shapes: interventionLines(state, chosen, panels, colorOf),
  }, state.step());
  return draw(div, traces, costTicks(layout, traces)).then(() => onClickTrial(div, ui.select));
}

function liveCurve(div, state) {
  const trial = state.summary ? state.summary.live_trial : null;
  const epochs = trial === null ? 0 : (state.byTrial.get(trial) || []).length;
  const panels = curvePanels(state, true);
  const traces = [];
  const dashes = ["solid", "dot"];
  panels.forEach((columns, i) => {
    const k = i ? String(i + 1) : "";
    columns.forEach((column, j) => {
      for (const abandoned of [false, true]) {
        const s = series(state, trial === null ? [] : [trial], column, abandoned);
        traces.push(Object.assign(s, {
          type: "scatter", mode: epochs > 60 ? "lines" : "lines+markers", xaxis: `x${k}`, yaxis: `y${k}`,
          name: `${column.replace(/_/g, " ")}${abandoned ? " (abandoned)" : ""}`, hoverinfo: "x+y+name",
          line: { color: abandoned ? "#aaaaaa" : COLORS[i * 2 + j], dash: abandoned ? "dash" : dashes[j] },
          marker: { size: 4 },
        }));
      }
    });
  });
  const layout = panelAxes(panels, {
    showlegend: true,
    legend: { orientation: "h", y: -0.25, font: { size: 10 } },
    margin: { l: 62, r: 16, t: 20, b: 90 },
    shapes: trial === null ? [] : interventionLines(state, [trial], panels, () => "#d62728"),
  });
  return draw(div, traces, costTicks(layout, traces));
}
