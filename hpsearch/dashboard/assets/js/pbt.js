// Population-based training: the lineage (who copied whom, after which epoch) and each trial's
// values over the epochs, for the hyperparameters pbt changes (curves.csv holds them).
"use strict";

// The trials whose state `trial` descends from, first to last, as [trial, from, to] epochs
// (study/pbt.py's lineage: copies followed back).
function lineageOf(entries, trial, end) {
  const chain = [];
  let current = trial;
  for (;;) {
    const copies = entries.filter((e) => e.kind === "exploit" && !e.abandoned && e.trial === current && e.epoch < end);
    if (!copies.length) {
      chain.push([current, 0, end]);
      break;
    }
    const copy = copies.reduce((a, b) => (b.epoch > a.epoch ? b : a));
    chain.push([current, copy.epoch, end]);
    [current, end] = [copy.source, copy.epoch];
  }
  return chain.reverse();
}

function lastEpoch(state, trial) {
  const rows = state.byTrial.get(trial) || [];
  return rows.length ? rows[rows.length - 1][state.column("epoch")] : 0;
}

// The trial followed: the selected one, else the best.
function followed(state, ui) {
  if (ui.selected !== null) return ui.selected;
  return state.summary && state.summary.best ? state.summary.best.trial : null;
}

function lineagePlot(div, state, ui) {
  const trials = [...state.byTrial.keys()].sort((a, b) => a - b);
  if (!trials.length) return drawNote(div, "no epoch has finished yet");
  const entries = ((state.summary && state.summary.interventions) || []).filter((e) => !e.abandoned);
  const own = { x: [], y: [], customdata: [] };
  for (const t of trials) {
    own.x.push(0, lastEpoch(state, t), null);
    own.y.push(t, t, null);
    own.customdata.push(t, t, null);
  }
  const copies = { x: [], y: [], text: [] };
  const slant = state.meta.pbt.interval / 2; // copies at one epoch apart: each its own line
  for (const e of entries.filter((e) => e.kind === "exploit")) {
    copies.x.push(e.epoch, e.epoch + slant, null);
    copies.y.push(e.source, e.trial, null);
    const words = `trial ${e.trial} ${e.change} after epoch ${e.epoch}`;
    copies.text.push(words, words, "");
  }
  const traces = [
    Object.assign(own, { type: "scatter", mode: "lines", name: "trials", line: { color: "#dddddd", width: 5 }, hoverinfo: "skip" }),
    Object.assign(copies, {
      type: "scatter", mode: "lines+markers", name: "copies (from the trial copied to the copy)",
      line: { color: COLORS[0], width: 1 }, marker: { size: 5 }, hoverinfo: "text",
    }),
  ];
  const trial = followed(state, ui);
  if (trial !== null && state.byTrial.has(trial)) {
    const path = { x: [], y: [] };
    for (const [owner, from, to] of lineageOf(entries, trial, lastEpoch(state, trial))) {
      path.x.push(from, to);
      path.y.push(owner, owner);
    }
    traces.push(Object.assign(path, {
      type: "scatter", mode: "lines", name: `lineage of trial ${trial}`, line: { color: BEST_MARKER.color, width: 3 }, hoverinfo: "name",
    }));
  }
  return draw(div, traces, {
    showlegend: true, legend: { orientation: "h", y: -0.2 },
    xaxis: { title: { text: "epoch" }, rangemode: "tozero" },
    yaxis: { title: { text: "trial" }, dtick: 1, autorange: "reversed" },
  }).then(() => onClickTrial(div, ui.select));
}

// One panel per hyperparameter pbt changes: each trial's value at each epoch, on the value's
// sampling scale (1 - beta on a log axis), the followed trial in colour.
function pbtValues(div, state, ui) {
  const names = (state.meta.pbt.changed || []).filter((n) => state.column(n) >= 0);
  if (!names.length || !state.curves.rows.length) return drawNote(div, "no epoch has finished yet");
  const trials = [...state.byTrial.keys()].sort((a, b) => a - b);
  const trial = followed(state, ui);
  const traces = [];
  const layout = { showlegend: false, margin: { l: 62, r: 16, t: 20, b: 52 } };
  const gap = 0.08, width = (1 - gap * (names.length - 1)) / names.length;
  names.forEach((name, i) => {
    const axis = axisOf(state.meta, name);
    const flip = axis.scale === "one_minus_log";
    const k = i ? String(i + 1) : "";
    const [e, c] = [state.column("epoch"), state.column(name)];
    for (const group of [trials.filter((t) => t !== trial), trial === null ? [] : [trial]]) {
      const s = { x: [], y: [], customdata: [] };
      for (const t of group) {
        for (const r of state.byTrial.get(t) || []) {
          s.x.push(r[e]);
          s.y.push(flip ? 1 - r[c] : r[c]);
          s.customdata.push(t);
        }
        s.x.push(null);
        s.y.push(null);
        s.customdata.push(null);
      }
      const chosen = group.length === 1 && group[0] === trial;
      traces.push(Object.assign(s, {
        type: "scatter", mode: "lines", xaxis: `x${k}`, yaxis: `y${k}`, hoverinfo: "x+y",
        name: chosen ? `trial ${trial}` : "trials", line: { color: chosen ? BEST_MARKER.color : "rgba(31,119,180,0.35)", width: chosen ? 3 : 1 },
      }));
    }
    layout[`xaxis${k}`] = { domain: [i * (width + gap), i * (width + gap) + width], anchor: `y${k}`, title: { text: "epoch" } };
    layout[`yaxis${k}`] = {
      anchor: `x${k}`, type: axis.scale === "linear" ? "linear" : "log",
      title: { text: flip ? `1 - ${name}` : name.replace(/_/g, " ") },
    };
  });
  return draw(div, traces, layout).then(() => onClickTrial(div, ui.select));
}
