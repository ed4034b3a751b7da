// DialPhone admin console: plain DOM, text only (no HTML from the server is ever injected).
"use strict";

const API = "/admin/api";
const state = { token: sessionStorage.getItem("dp_token") || "", who: null, timer: null, decided: {}, zones: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick" || k === "onchange" || k === "oninput") node[k] = v;
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
// viewDepartments and viewIvr (structured editors) are in editors.js.

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
  if (!list.length) table.append(el("tr", {}, el("td", { colspan: "4", class: "empty", "data-testid": "optouts-empty", text: "No numbers on the opt-out list." })));
  const number = el("input", { type: "text", placeholder: "+1 212 555 0100", "data-testid": "optout-number" });
  const add = el("button", { text: "Add number", "data-testid": "optout-add" });
  add.onclick = () => guarded(async () => { await call("POST", ws() + "/optouts", { number: number.value }); await show("optouts"); }, "added");
  root.append(el("h2", { text: "Caller opt-out list (these callers get the plain IVR)" }), table,
    el("div", { class: "row" }, number, add));
}

const CALLS_EVERY_MS = 2000;

async function viewCalls(root) {
  const table = el("table", { "data-testid": "calls" });
  const empty = el("p", { class: "empty", "data-testid": "calls-empty", hidden: true, text: "No live calls right now." });
  const stamp = el("div", { class: "hint", "data-testid": "calls-refreshed" });
  const head = () => el("tr", {}, ...["call", "transport", "mode", "opt-out", "seconds", "turns"].map((h) => el("th", { text: h })));
  const refresh = async () => {
    const calls = await call("GET", ws() + "/calls");
    table.textContent = "";
    table.append(head());
    for (const c of calls) {
      table.append(el("tr", {}, ...[c.call_id, c.transport, c.mode, c.optout_scope || "", Math.round(c.seconds), c.turns].map((v) => el("td", { text: String(v) }))));
    }
    table.hidden = !calls.length;
    empty.hidden = calls.length > 0;
    stamp.textContent = "refreshed at " + new Date().toLocaleTimeString() + " (every " + CALLS_EVERY_MS / 1000 + " s)";
  };
  root.append(el("h2", { text: "Live calls" }), table, empty, stamp);
  await refresh();
  state.timer = setInterval(() => refresh().catch((e) => say(e.message, true)), CALLS_EVERY_MS);
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
  const empty = el("p", { class: "empty", "data-testid": "approvals-empty", hidden: true,
    text: "No transfers are waiting for approval. New requests appear here as callers ask." });
  root.append(el("h2", { text: "Pending transfer approvals (live)" }), list, empty);
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
      empty.hidden = list.children.length > 0;
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
// Which role sees which tab (the README's table says the same): [name, view, label]
const VIEWS = {
  admin: [["departments", viewDepartments, "Departments & hours"], ["ivr", viewIvr, "IVR menu"],
    ["features", viewFeatures, "Feature switches"], ["optouts", viewOptouts, "Opt-out list"], ["calls", viewCalls, "Live calls"]],
  supervisor: [["approvals", viewApprovals, "Approvals"], ["calls", viewCalls, "Live calls"]],
  auditor: [["export", viewExport, "Audit export"]],
};

async function show(name) {
  if (state.timer) { clearInterval(state.timer); state.timer = null; }
  const views = VIEWS[state.who.role];
  const [, fn] = views.find(([n]) => n === name) || views[0];
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.view === name);
  const root = document.getElementById("views");
  root.textContent = "";
  say("");  // a message belongs to the view it came from
  await guarded(() => fn(root));
}

async function signIn() {
  try {
    state.who = await call("GET", "/whoami");
  } catch (e) {
    state.token = "";
    sessionStorage.removeItem("dp_token");
    say(e.message.startsWith("401") ? "sign-in failed: the token was not accepted (401); check it and try again"
      : "sign-in failed: " + e.message, true);
    return;
  }
  sessionStorage.setItem("dp_token", state.token);
  say("");  // a failed attempt's message is not about this session
  document.getElementById("login").hidden = true;
  document.getElementById("signout").hidden = false;
  document.getElementById("who").textContent = state.who.name + " (" + state.who.role + ") — workspace " + state.who.workspace_id;
  const nav = document.getElementById("tabs");
  nav.hidden = false;
  nav.textContent = "";
  for (const [name, , label] of VIEWS[state.who.role]) {
    const b = el("button", { text: label, "data-view": name, "data-testid": "tab-" + name });
    b.onclick = () => show(name);
    nav.append(b);
  }
  await show(VIEWS[state.who.role][0][0]);
}

function signOut() {
  if (state.timer) { clearInterval(state.timer); state.timer = null; }
  state.token = "";
  state.who = null;
  state.decided = {};
  sessionStorage.removeItem("dp_token");
  document.getElementById("views").textContent = "";
  const nav = document.getElementById("tabs");
  nav.textContent = "";
  nav.hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("signout").hidden = true;
  document.getElementById("token").value = "";
  document.getElementById("login").hidden = false;
  say("signed out");
}

document.getElementById("signout").onclick = signOut;
document.getElementById("signin").onclick = () => {
  state.token = document.getElementById("token").value.trim();
  signIn();
};
if (state.token) signIn();
