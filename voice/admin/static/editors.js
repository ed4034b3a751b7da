// Structured editors of the admin console: a department (routing and business hours, saved as one
// change) and the IVR menu (options with a department picker). Loaded before console.js, whose
// helpers (el, call, ws, guarded, show, state) they use when called.
"use strict";

const TRANSPORTS = ["sip", "ws", "webrtc", "inproc"];
const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"];

// "08:00-24:00" <-> two <input type=time> values ("24:00" is shown and entered as 00:00, the end of the day)
function splitRange(r) {
  const [start, end] = r.split("-");
  return [start, end === "24:00" ? "00:00" : end];
}

function joinRange(day, start, end) {
  if (!start || !end) throw new Error(day + ": a time range needs a start and an end");
  const to = end === "00:00" ? "24:00" : end;
  if (to <= start) throw new Error(day + ": " + start + "-" + end + " ends before it starts");
  return start + "-" + to;
}

async function timezones() {
  if (!state.zones) state.zones = await call("GET", "/timezones");
  return state.zones;
}

function hoursEditor(d, zones) {
  const id = d.name;
  const always = el("input", { type: "checkbox", "data-testid": "hours-always-" + id });
  always.checked = d.hours.always;
  const tz = el("input", { type: "text", list: "tz-list", value: d.hours.timezone, "data-testid": "tz-" + id,
    "aria-label": "time zone of " + id, class: "tz" });
  const days = el("table", { class: "days", "data-testid": "days-" + id });
  const ranges = {};
  const addRange = (day, value) => {
    const [start, end] = value ? splitRange(value) : ["09:00", "17:00"];
    const from = el("input", { type: "time", value: start, "data-testid": "from-" + id + "-" + day });
    const to = el("input", { type: "time", value: end, "data-testid": "to-" + id + "-" + day });
    const remove = el("button", { class: "small", text: "remove", title: "remove these hours" });
    const span = el("span", { class: "range" }, from, "–", to, remove);
    remove.onclick = () => span.remove();
    ranges[day].append(span);
  };
  for (const [day, label] of DAYS) {
    ranges[day] = el("span", { class: "ranges" });
    const add = el("button", { class: "small", text: "+ hours", "data-testid": "add-range-" + id + "-" + day });
    add.onclick = () => addRange(day);
    days.append(el("tr", {}, el("td", { text: label }), el("td", {}, ranges[day], add)));
    for (const r of d.hours.weekly[day] || []) addRange(day, r);
  }
  const closedNote = el("div", { class: "hint", text: "A day without hours is closed." });
  const sync = () => { days.classList.toggle("off", always.checked); closedNote.hidden = always.checked; };
  always.onchange = sync;
  sync();
  const value = () => {
    const weekly = {};
    for (const [day] of DAYS) {
      const list = Array.from(ranges[day].querySelectorAll(".range")).map((s) => {
        const [from, to] = s.querySelectorAll("input");
        return joinRange(day, from.value, to.value);
      });
      if (list.length) weekly[day] = list;
    }
    return { timezone: tz.value.trim(), always: always.checked, weekly };
  };
  const node = el("div", { class: "hours" },
    el("div", { class: "row" }, el("label", {}, always, " open around the clock"),
      el("label", {}, "time zone ", tz)), days, closedNote);
  return { node, value, zones };
}

function departmentCard(d, zones) {
  const id = d.name;
  const targets = {};
  const routing = el("div", { class: "targets" });
  for (const t of TRANSPORTS) {
    targets[t] = el("input", { type: "text", value: d.targets[t] || "", placeholder: id, "data-testid": "target-" + id + "-" + t });
    routing.append(el("label", {}, t + " ", targets[t]));
  }
  const approval = el("input", { type: "checkbox", "data-testid": "approval-" + id });
  approval.checked = d.requires_approval;
  const enabled = el("input", { type: "checkbox", "data-testid": "enabled-" + id });
  enabled.checked = d.enabled;
  const hours = hoursEditor(d, zones);
  const save = el("button", { class: "primary", "data-testid": "save-" + id, text: "Save " + id });
  save.onclick = () => guarded(async () => {
    const t = {};
    for (const k of TRANSPORTS) if (targets[k].value.trim()) t[k] = targets[k].value.trim();
    // one request: the routing and the hours are saved together or not at all
    try {
      await call("PATCH", ws() + "/departments/" + id,
        { targets: t, requires_approval: approval.checked, enabled: enabled.checked, hours: hours.value() });
    } catch (e) {
      throw new Error(id + " not saved, nothing changed: " + e.message);
    }
  }, "saved " + id);
  return el("section", { class: "card dept", "data-testid": "dept-" + id },
    el("h3", { text: id }), el("div", { class: "hint", text: d.description }),
    el("h4", { text: "Routing (transfer target per transport; empty: the department's name)" }), routing,
    el("div", { class: "row" }, el("label", {}, approval, " a supervisor approves transfers"),
      el("label", {}, enabled, " taking calls")),
    el("h4", { text: "Business hours" }), hours.node, el("div", { class: "row" }, save));
}

async function viewDepartments(root) {
  const [depts, zones] = await Promise.all([call("GET", ws() + "/departments"), timezones()]);
  const list = el("datalist", { id: "tz-list" });
  for (const z of zones) list.append(el("option", { value: z }));
  root.append(el("h2", { text: "Departments, routing and business hours" }), list);
  if (!depts.length) root.append(el("p", { class: "empty", text: "No departments yet: add one below." }));
  for (const d of depts) root.append(departmentCard(d, zones));
  const name = el("input", { type: "text", placeholder: "new_department", "data-testid": "new-dept-name" });
  const desc = el("input", { type: "text", placeholder: "description", "data-testid": "new-dept-desc" });
  const add = el("button", { text: "Add department", "data-testid": "new-dept-add" });
  add.onclick = () => guarded(async () => {
    await call("PUT", ws() + "/departments/" + name.value, { name: name.value, description: desc.value });
    await show("departments");
  }, "added department");
  root.append(el("div", { class: "row" }, name, desc, add));
}

async function viewIvr(root) {
  const [ivr, depts] = await Promise.all([call("GET", ws() + "/ivr"), call("GET", ws() + "/departments")]);
  const text = (key, label) => {
    const input = el("input", { type: "text", value: ivr[key], class: "wide", "data-testid": "ivr-" + key });
    return [input, el("label", { class: "field" }, label, input)];
  };
  const [greeting, greetingRow] = text("greeting", "greeting ");
  const [invalid, invalidRow] = text("invalid_prompt", "after a wrong key ");
  const [goodbye, goodbyeRow] = text("goodbye_prompt", "goodbye ");
  const timeout = el("input", { type: "number", min: "1", max: "60", step: "0.5", value: ivr.timeout_s, "data-testid": "ivr-timeout" });
  const repeats = el("input", { type: "number", min: "0", max: "10", value: ivr.repeats, "data-testid": "ivr-repeats" });
  const options = ivr.options.map((o) => ({ ...o }));
  const table = el("table", { "data-testid": "ivr-options" });
  const render = () => {
    table.textContent = "";
    table.append(el("tr", {}, el("th", { text: "key" }), el("th", { text: "department" }), el("th", { text: "prompt (spoken)" }), el("th", {})));
    if (!options.length) table.append(el("tr", {}, el("td", { colspan: "4", class: "empty", text: "No options: callers hear the greeting only." })));
    options.forEach((o, i) => {
      const digit = el("select", { "data-testid": "ivr-digit-" + i });
      for (const k of KEYS) digit.append(el("option", { value: k, text: k, selected: k === o.digit }));
      digit.onchange = () => { o.digit = digit.value; };
      const dept = el("select", { "data-testid": "ivr-dept-" + i });
      for (const d of depts) dept.append(el("option", { value: d.name, text: d.name, selected: d.name === o.department }));
      if (!depts.some((d) => d.name === o.department)) dept.append(el("option", { value: o.department, text: o.department + " (removed)", selected: true }));
      dept.onchange = () => { o.department = dept.value; };
      const prompt = el("input", { type: "text", value: o.prompt, class: "wide", "data-testid": "ivr-prompt-" + i });
      prompt.oninput = () => { o.prompt = prompt.value; };
      const remove = el("button", { class: "small", text: "remove", "data-testid": "ivr-remove-" + i });
      remove.onclick = () => { options.splice(i, 1); render(); };
      table.append(el("tr", {}, el("td", {}, digit), el("td", {}, dept), el("td", {}, prompt), el("td", {}, remove)));
    });
  };
  render();
  const add = el("button", { text: "Add option", "data-testid": "ivr-add" });
  add.onclick = () => {
    const used = new Set(options.map((o) => o.digit));
    const digit = KEYS.find((k) => !used.has(k));
    if (digit === undefined) { say("every key is in use", true); return; }
    const dept = depts.length ? depts[0].name : "";
    options.push({ digit, department: dept, prompt: "For " + dept.replace(/_/g, " ") + ", press " + digit + "." });
    render();
  };
  const save = el("button", { class: "primary", text: "Save IVR menu", "data-testid": "ivr-save" });
  save.onclick = () => guarded(() => call("PUT", ws() + "/ivr", {
    ...ivr, greeting: greeting.value, invalid_prompt: invalid.value, goodbye_prompt: goodbye.value,
    timeout_s: Number(timeout.value), repeats: Number(repeats.value), options,
  }), "IVR menu saved");
  root.append(el("h2", { text: "IVR menu (the plain phone menu)" }), greetingRow, table, el("div", { class: "row" }, add),
    invalidRow, goodbyeRow,
    el("div", { class: "row" }, el("label", {}, "wait for a key (s) ", timeout), el("label", {}, "repeat the menu ", repeats, " times")),
    el("div", { class: "row" }, save));
}
