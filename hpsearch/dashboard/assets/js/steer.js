// Panda: the trial being trained, forms that nudge it or roll a trial back (through the same
// functions as `hpsearch nudge` and `hpsearch rollback`), and the log of what was applied.
"use strict";

function liveTitle(state) {
  const s = state.summary;
  if (!s) return "";
  const t = s.live_trial;
  if (s.status === "finished" || t === null) return "The search is finished: no trial is training.";
  const epochs = (state.byTrial.get(t) || []).filter((r) => r[state.column("abandoned")] !== 1);
  const epoch = epochs.length ? epochs[epochs.length - 1][state.column("epoch")] : 0;
  if (s.status === "running") return `Trial ${t} is training (epoch ${epoch} done).`;
  return `The search is stopped; trial ${t} trains first when it resumes (epoch ${epoch} done so far): hpsearch resume ${state.meta.path}`;
}

function liveOptions(meta) {
  return meta.live.map((k) => `<option value="${esc(k)}">${esc(k)}</option>`).join("");
}

function steerForms(meta) {
  if (!LIVE) return "";
  const off = BOOT.token ? "" : "disabled";
  const note = BOOT.token
    ? ""
    : `<p class="error">Read-only: open the address that <code>hpsearch dashboard</code> printed (it carries the token) to nudge and roll back.</p>`;
  return `${note}
  <form class="steer" data-action="nudge" data-kind="lr">
    <label>learning-rate factor <input name="lr_factor" inputmode="decimal" value="0.5" size="6" ${off}></label>
    <button type="submit" ${off}>Nudge</button>
  </form>
  <form class="steer" data-action="nudge" data-kind="set">
    <label>set <select name="key" ${off}>${liveOptions(meta)}</select></label>
    <label>= <input name="value" size="8" placeholder="value" ${off}></label>
    <button type="submit" ${off}>Nudge</button>
  </form>
  <form class="steer" data-action="rollback">
    <label>roll back trial <input name="trial" inputmode="numeric" size="3" ${off}></label>
    <label>to epoch <input name="epoch" inputmode="numeric" size="3" ${off}></label>
    <label>with <select name="key" ${off}><option value="">(no change)</option>${liveOptions(meta)}</select></label>
    <label>= <input name="value" size="6" ${off}></label>
    <button type="submit" ${off}>Roll back</button>
  </form>
  <p class="message" role="status"></p>`;
}

// A pbt run: a form that nudges one trial of the population (from the end of the generation).
function pbtNudgeForm(meta) {
  if (!LIVE) return "";
  const off = BOOT.token ? "" : "disabled";
  const names = meta.pbt.changed.map((k) => `<option value="${esc(k)}">${esc(k)}</option>`).join("");
  return `<form class="steer" data-action="nudge" data-kind="set">
    <label>nudge trial <input name="trial" inputmode="numeric" size="3" ${off}></label>
    <label>set <select name="key" ${off}>${names}</select></label>
    <label>= <input name="value" size="8" placeholder="value" ${off}></label>
    <button type="submit" ${off}>Nudge</button>
  </form><p class="message" role="status"></p>`;
}

function formBody(form) {
  const get = (n) => (form.elements[n] ? form.elements[n].value.trim() : "");
  if (form.dataset.action === "nudge") {
    const body = form.dataset.kind === "lr" ? { lr_factor: get("lr_factor") } : { set: { [get("key")]: get("value") } };
    if (form.elements.trial) body.trial = get("trial");
    return body;
  }
  const body = { trial: get("trial"), epoch: get("epoch"), set: {} };
  if (get("key")) body.set[get("key")] = get("value");
  return body;
}

// Submit each form to the dashboard; show its answer (or its one-line error) under the forms.
function wireSteering(root, state, refresh) {
  const message = $(".message", root);
  for (const form of root.querySelectorAll("form.steer")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.className = "message";
      message.textContent = "sending...";
      try {
        const answer = await Source.post(state.meta.name, form.dataset.action, formBody(form));
        message.className = "message ok";
        message.textContent = `${form.dataset.action} recorded: ${answer}`;
      } catch (error) {
        message.className = "message error";
        message.textContent = error.message;
      }
      refresh();
    });
  }
}

function steerLog(state) {
  const s = state.summary;
  if (!s) return "";
  const pending = s.pending.map((p) => {
    const what = p.lr_factor !== undefined ? `learning rate × ${fmt(p.lr_factor)}` : Object.entries(p.set || {}).map(([k, v]) => `${k} = ${fmt(v)}`).join(", ");
    return `<li>nudge for trial ${esc(p.trial)}: ${esc(what)} (waiting)</li>`;
  });
  if (s.rollback) {
    const set = Object.entries(s.rollback.set || {}).map(([k, v]) => `, ${k} = ${fmt(v)}`).join("");
    pending.push(`<li>rollback of trial ${esc(s.rollback.trial)} to epoch ${esc(s.rollback.epoch)}${esc(set)} (at the next resume)</li>`);
  }
  const rows = s.interventions.map((e) => `<tr class="${e.abandoned ? "abandoned" : ""}"><td>${esc(e.time)}</td>
    <td class="num">${e.trial}</td><td class="num">${e.epoch}</td><td>${esc(e.kind)}</td>
    <td class="text">${esc(e.change)}${e.abandoned ? " (abandoned by a later rollback)" : ""}</td></tr>`);
  return `${pending.length ? `<ul class="pending">${pending.join("")}</ul>` : ""}
    <table class="interventions"><thead><tr><th>time</th><th>trial</th><th>after epoch</th><th>kind</th><th>change</th></tr></thead>
    <tbody>${rows.join("") || `<tr><td colspan="5" class="muted">no nudge or rollback yet</td></tr>`}</tbody></table>`;
}
