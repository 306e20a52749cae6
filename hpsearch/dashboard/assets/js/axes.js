// Each hyperparameter on the axis of its sampling scale, as the PNG plots draw it: log axes for
// `log`; for `one_minus_log`, 1 - value on a log axis, inverted so the value grows to the right
// and labelled in the value; categories at 0, 1, 2... with their names.
"use strict";

function axisOf(meta, name) {
  return meta.space.find((a) => a.name === name) || { name, scale: "linear" };
}

const isNumericAxis = (axis) => axis.scale !== "categorical";

// Plot coordinate of a value: 1 - v for one_minus_log, the category's index for categories.
function coord(axis, value) {
  if (value === null || value === undefined) return null;
  if (axis.scale === "categorical") {
    const i = axis.values.map(String).indexOf(String(value));
    return i < 0 ? null : i;
  }
  return axis.scale === "one_minus_log" ? 1 - value : value;
}

// Ticks of a log axis of 1 - beta at 1, 2, 5 x 10^k, labelled in beta.
function betaTicks(lo, hi) {
  const vals = [];
  for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** k;
      if (t >= lo * 0.999 && t <= hi * 1.001) vals.push(t);
    }
  }
  return { tickvals: vals, ticktext: vals.map((t) => fmt(1 - t)) };
}

// A Plotly axis for hyperparameter `axis`, spanning its whole search range.
function paramAxis(axis) {
  const name = axis.name;
  if (axis.scale === "categorical") {
    return {
      title: { text: name },
      tickvals: axis.values.map((_, i) => i),
      ticktext: axis.values.map(String),
      range: [-0.5, axis.values.length - 0.5],
      zeroline: false,
    };
  }
  if (axis.scale === "log") {
    const [lo, hi] = [Math.log10(axis.low), Math.log10(axis.high)];
    const pad = (hi - lo) * 0.03;
    return {
      title: { text: `${name} (log scale)` }, type: "log", range: [lo - pad, hi + pad], exponentformat: "power",
    };
  }
  if (axis.scale === "one_minus_log") {
    const [a, b] = [1 - axis.high, 1 - axis.low]; // a < b
    const pad = (Math.log10(b) - Math.log10(a)) * 0.03;
    return Object.assign(
      {
        title: { text: `${name} (log scale of 1 - ${name})` },
        type: "log",
        range: [Math.log10(b) + pad, Math.log10(a) - pad], // reversed: beta grows to the right
      },
      betaTicks(a, b),
    );
  }
  const pad = (axis.high - axis.low) * 0.03;
  return { title: { text: name }, range: [axis.low - pad, axis.high + pad], zeroline: false };
}

// A parallel-coordinates dimension: the sampling coordinate (log10 v, -log10(1 - v), the value,
// a category's index), ticks labelled in values.
function parcoordsDimension(axis, values) {
  const dim = { label: axis.name };
  if (axis.scale === "categorical") {
    dim.values = values.map((v) => coord(axis, v));
    dim.tickvals = axis.values.map((_, i) => i);
    dim.ticktext = axis.values.map(String);
    dim.range = [-0.25, axis.values.length - 0.75];
  } else if (axis.scale === "log" || axis.scale === "one_minus_log") {
    const oml = axis.scale === "one_minus_log";
    const f = (v) => (v === null ? null : oml ? -Math.log10(1 - v) : Math.log10(v));
    dim.values = values.map(f);
    dim.range = [f(axis.low), f(axis.high)];
    const ticks = [];
    for (let k = Math.floor(Math.min(...dim.range)); k <= Math.ceil(Math.max(...dim.range)); k++) {
      if (k >= Math.min(...dim.range) - 1e-9 && k <= Math.max(...dim.range) + 1e-9) ticks.push(k);
    }
    dim.tickvals = ticks;
    dim.ticktext = ticks.map((k) => fmt(oml ? 1 - 10 ** -k : 10 ** k));
  } else {
    dim.values = values;
    dim.range = [axis.low, axis.high];
  }
  dim.values = dim.values.map((v) => (v === null ? NaN : v));
  return dim;
}

// The spans of one round's region along one hyperparameter, in plot coordinates, merged.
function regionSpans(axis, record) {
  const spans = record.boxes
    .filter((box) => box[axis.name] && isNumericAxis(axis))
    .map((box) => box[axis.name].map((v) => coord(axis, v)).sort((a, b) => a - b))
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [lo, hi] of spans) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}
