// DialPhone admin console: plain DOM, text only (no HTML from the server is ever injected).
"use strict";

const API = "/admin/api";
const state = { token: sessionStorage.getItem("dp_token") || "", who: null, timer: null, decided: {} };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick" || k === "onchange") node[k] = v;
    else if (k === "text") node.textContent = v;
    else if (v === true) node.setAttribute(k, "");
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function say(text, error) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

async function call(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(API + path, opts);
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    let msg = res.status + " ";
    if (data && Array.isArray(data.detail)) {
      msg += data.detail.map((d) => (d.loc || []).filter((p) => p !== "body").join(".") + ": " + d.msg).join("; ");
    } else if (data && data.detail) msg += data.detail;
    throw new Error(msg);
  }
  return data;
}

function ws() { return "/workspaces/" + state.who.workspace_id; }

async function guarded(fn, done) {
  try {
    await fn();
    if (done) say(done);
  } catch (e) {
    say(e.message, true);
  }
}

// ---------------------------------------------------------------- admin views
async function viewDepartments(root) {
  const depts = await call("GET", ws() + "/departments");
  const table = el("table", { "data-testid": "departments" },
    el("tr", {}, el("th", { text: "department" }), el("th", { text: "targets (transport=target, one per line)" }),
      el("th", { text: "approval" }), el("th", { text: "enabled" }), el("th", { text: "hours (JSON)" }), el("th", {})));
  for (const d of depts) {
    const targets = el("textarea", { "data-testid": "targets-" + d.name });
    targets.value = Object.entries(d.targets).map(([k, v]) => k + "=" + v).join("\n");
    const approval = el("input", { type: "checkbox", "data-testid": "approval-" + d.name });
    approval.checked = d.requires_approval;
    const enabled = el("input", { type: "checkbox", "data-testid": "enabled-" + d.name });
    enabled.checked = d.enabled;
    const hours = el("textarea", { "data-testid": "hours-" + d.name });
    hours.value = JSON.stringify(d.hours);
    const save = el("button", { class: "primary", "data-testid": "save-" + d.name, text: "Save" });
    save.onclick = () => guarded(async () => {
      const t = {};
      for (const line of targets.value.split("\n")) {
        const i = line.indexOf("=");
        if (i > 0) t[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      await call("PUT", ws() + "/departments/" + d.name + "/routing",
        { targets: t, requires_approval: approval.checked, enabled: enabled.checked });
      await call("PUT", ws() + "/departments/" + d.name + "/hours", JSON.parse(hours.value));
    }, "saved " + d.name);
    table.append(el("tr", {}, el("td", { text: d.name + " — " + d.description }), el("td", {}, targets),
      el("td", {}, approval), el("td", {}, enabled), el("td", {}, hours), el("td", {}, save)));
  }
  const name = el("input", { type: "text", placeholder: "new_department", "data-testid": "new-dept-name" });
  const desc = el("input", { type: "text", placeholder: "description", "data-testid": "new-dept-desc" });
  const add = el("button", { text: "Add department", "data-testid": "new-dept-add" });
  add.onclick = () => guarded(async () => {
    await call("PUT", ws() + "/departments/" + name.value, { name: name.value, description: desc.value });
    await show("departments");
  }, "added department");
  root.append(el("h2", { text: "Departments, routing and business hours" }), table,
    el("div", { class: "row" }, name, desc, add));
}

async function viewIvr(root) {
  const ivr = await call("GET", ws() + "/ivr");
  const text = el("textarea", { "data-testid": "ivr-json", rows: 14 });
  text.value = JSON.stringify(ivr, null, 2);
  const save = el("button", { class: "primary", text: "Save IVR menu", "data-testid": "ivr-save" });
  save.onclick = () => guarded(() => call("PUT", ws() + "/ivr", JSON.parse(text.value)), "IVR menu saved");
  root.append(el("h2", { text: "IVR menu" }), text, save);
}

async function viewFeatures(root) {
  const f = await call("GET", ws() + "/features");
  const boxes = {};
  const rows = Object.keys(f).map((k) => {
    boxes[k] = el("input", { type: "checkbox", "data-testid": "feature-" + k });
    boxes[k].checked = f[k];
    return el("div", { class: "row" }, boxes[k], el("label", { text: k }));
  });
  const save = el("button", { class: "primary", text: "Save feature switches", "data-testid": "features-save" });
  save.onclick = () => guarded(() => {
    const body = {};
    for (const k of Object.keys(boxes)) body[k] = boxes[k].checked;
    return call("PUT", ws() + "/features", body);
  }, "feature switches saved");
  root.append(el("h2", { text: "Feature switches" }), ...rows, save);
}

async function viewOptouts(root) {
  const list = await call("GET", ws() + "/optouts");
  const table = el("table", { "data-testid": "optouts" },
    el("tr", {}, el("th", { text: "number" }), el("th", { text: "source" }), el("th", { text: "added by" }), el("th", {})));
  for (const o of list) {
    const del = el("button", { class: "reject", text: "Remove", "data-testid": "optout-remove-" + o.id });
    del.onclick = () => guarded(async () => { await call("DELETE", ws() + "/optouts/" + o.id); await show("optouts"); }, "removed");
    table.append(el("tr", {}, el("td", { text: o.masked }), el("td", { text: o.source }), el("td", { text: o.created_by }), el("td", {}, del)));
  }
  const number = el("input", { type: "text", placeholder: "+1 212 555 0100", "data-testid": "optout-number" });
  const add = el("button", { text: "Add number", "data-testid": "optout-add" });
  add.onclick = () => guarded(async () => { await call("POST", ws() + "/optouts", { number: number.value }); await show("optouts"); }, "added");
  root.append(el("h2", { text: "Caller opt-out list (these callers get the plain IVR)" }), table,
    el("div", { class: "row" }, number, add));
}

async function viewCalls(root) {
  const calls = await call("GET", ws() + "/calls");
  const table = el("table", { "data-testid": "calls" }, el("tr", {}, ...["call", "transport", "mode", "opt-out", "seconds", "turns"].map((h) => el("th", { text: h }))));
  for (const c of calls) {
    table.append(el("tr", {}, ...[c.call_id, c.transport, c.mode, c.optout_scope || "", c.seconds, c.turns].map((v) => el("td", { text: String(v) }))));
  }
  root.append(el("h2", { text: "Live calls" }), table);
}

// ---------------------------------------------------------------- supervisor
function approvalCard(a) {
  const card = el("div", { class: "card", "data-testid": "approval-" + a.id, "data-department": a.department });
  const ctx = el("div", { class: "context" });
  ctx.textContent = a.context.map((c) => c.role + ": " + c.text).join("\n") || "(no context)";
  const approve = el("button", { class: "approve", text: "Approve", "data-testid": "approve-" + a.id });
  const reject = el("button", { class: "reject", text: "Reject", "data-testid": "reject-" + a.id });
  const decide = (verb) => guarded(async () => {
    const done = await call("POST", ws() + "/approvals/" + a.id + "/" + verb, {});
    state.decided[a.id] = done;
    card.className = "card decided";
    approve.disabled = reject.disabled = true;
    card.append(el("div", { "data-testid": "decided-" + a.id, text: done.status + " by " + done.decided_by }));
  }, verb + "d " + a.id);
  approve.onclick = () => decide("approve");
  reject.onclick = () => decide("reject");
  card.append(el("strong", { text: "Transfer to " + a.department }), el("div", { text: "call " + a.call_id + " — " + a.reason }),
    ctx, el("div", { class: "row" }, approve, reject));
  return card;
}

async function viewApprovals(root) {
  const list = el("div", { "data-testid": "approvals" });
  root.append(el("h2", { text: "Pending transfer approvals (live)" }), list);
  const refresh = async () => {
    try {
      const pending = await call("GET", ws() + "/approvals");
      const seen = new Set(pending.map((a) => a.id));
      for (const a of pending) {
        if (!list.querySelector('[data-testid="approval-' + a.id + '"]')) list.append(approvalCard(a));
      }
      for (const card of Array.from(list.children)) {
        const id = card.getAttribute("data-testid").slice("approval-".length);
        if (!seen.has(id) && !state.decided[id]) card.remove();
      }
      if (!pending.length && !list.children.length) list.textContent = "";
    } catch (e) {
      say(e.message, true);
    }
  };
  await refresh();
  state.timer = setInterval(refresh, 700);
}

// ---------------------------------------------------------------- auditor
async function viewExport(root) {
  const out = el("div", { "data-testid": "export-result" });
  const button = (fmt) => {
    const b = el("button", { class: "primary", text: "Export " + fmt.toUpperCase(), "data-testid": "export-" + fmt });
    b.onclick = () => guarded(async () => {
      const res = await fetch(API + ws() + "/audit/export?format=" + fmt, { headers: { Authorization: "Bearer " + state.token } });
      if (!res.ok) throw new Error(res.status + " export failed");
      const blob = await res.blob();
      const text = await blob.text();
      const lines = text.split("\n").filter((l) => l).length;
      out.textContent = "";
      const a = el("a", { href: URL.createObjectURL(blob), download: "audit-" + state.who.workspace_id + "." + fmt, text: "download (" + lines + " lines)" });
      out.append(a);
    }, "exported " + fmt);
    return b;
  };
  root.append(el("h2", { text: "Audit log export" }), el("div", { class: "row" }, button("jsonl"), button("csv")), out);
}

// ---------------------------------------------------------------- shell
const VIEWS = {
  admin: [["departments", viewDepartments], ["ivr", viewIvr], ["features", viewFeatures], ["optouts", viewOptouts], ["calls", viewCalls]],
  supervisor: [["approvals", viewApprovals], ["calls", viewCalls]],
  auditor: [["export", viewExport]],
};

async function show(name) {
  if (state.timer) { clearInterval(state.timer); state.timer = null; }
  const views = VIEWS[state.who.role];
  const [, fn] = views.find(([n]) => n === name) || views[0];
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.view === name);
  const root = document.getElementById("views");
  root.textContent = "";
  await guarded(() => fn(root));
}

async function signIn() {
  try {
    state.who = await call("GET", "/whoami");
  } catch (e) {
    state.token = "";
    sessionStorage.removeItem("dp_token");
    say("sign-in failed: " + e.message, true);
    return;
  }
  sessionStorage.setItem("dp_token", state.token);
  document.getElementById("login").hidden = true;
  document.getElementById("who").textContent = state.who.name + " (" + state.who.role + ") — workspace " + state.who.workspace_id;
  const nav = document.getElementById("tabs");
  nav.hidden = false;
  nav.textContent = "";
  for (const [name] of VIEWS[state.who.role]) {
    const b = el("button", { text: name, "data-view": name, "data-testid": "tab-" + name });
    b.onclick = () => show(name);
    nav.append(b);
  }
  await show(VIEWS[state.who.role][0][0]);
}

document.getElementById("signin").onclick = () => {
  state.token = document.getElementById("token").value.trim();
  signIn();
};
if (state.token) signIn();
