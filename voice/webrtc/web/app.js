// The concierge in a browser: one RTCPeerConnection (audio + a data channel), non-trickle ICE,
// POST /api/call-token (a short-lived, single-use token), then POST /api/offer with it. The server pushes tokenized turns, routing decisions and transfers as
// data-channel messages; this page only displays them.
"use strict";

const $ = (id) => document.getElementById(id);
let pc = null;
let channel = null;

// What the caller reads: plain sentences. The machine-readable state stays in data attributes
// (#status[data-state], #routing[data-department][data-decision][data-rule]).
const STATUS = {
  idle: "Ready: press Call",
  connecting: "Calling…",
  connected: "Connected: say what you need",
  menu: "Connected to the phone menu: use the keypad",
  ended: "Call ended",
  failed: "The call could not be connected. Please try again.",
};

function label(department) {
  const words = (department || "the department").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function setStatus(state, text) {
  $("status").textContent = text || STATUS[state] || state;
  $("status").dataset.state = state;
}

// One sentence per gate rule: what happened and what the caller can do next.
function decisionText(msg) {
  const to = label(msg.department);
  const rule = msg.rule_id;
  if (msg.decision === "needs_approval") return "Waiting for a supervisor to approve your transfer to " + to + "…";
  if (msg.decision === "allow") {
    return rule === "supervisor_approved" ? "A supervisor approved your transfer to " + to + "." : "Transferring you to " + to + "…";
  }
  const denied = {
    supervisor_rejected: "A supervisor did not approve the transfer to " + to + ". You are in the phone menu now.",
    approval_timeout: "No supervisor answered in time, so you were not transferred to " + to + ". You are in the phone menu now.",
    outside_hours: to + " is closed right now.",
    department_disabled: to + " is not taking calls right now.",
    department_unknown: "That department does not exist here.",
    max_transfers: "This call cannot be transferred again.",
    caller_opted_out: "You asked not to be helped by the AI, so it cannot transfer you.",
    caller_continued: "Still listening: you kept talking, so the transfer to " + to + " waits for what you say.",
    call_handed_off: "Your call has already left the concierge.",
  };
  return denied[rule] || "You were not transferred to " + to + ".";
}

function showTurn(msg) {
  let li = document.querySelector(`#transcript li[data-turn="${msg.turn}"]`);
  if (!li) {
    li = document.createElement("li");
    li.dataset.turn = String(msg.turn);
    li.innerHTML = '<div class="caller"></div><div class="reply"></div>';
    $("transcript").appendChild(li);
  }
  li.querySelector(".caller").textContent = "You: " + msg.caller;
  li.querySelector(".reply").textContent = msg.reply ? "Concierge: " + msg.reply : "";
}

function showDecision(msg) {
  const el = $("routing");
  // the transfer message can arrive first (the transport sends it as it happens, the decision comes
  // with the next report): the decision is still shown, but where the call went stays as it is
  const transferred = Boolean(el.dataset.transferred);
  if (msg.department && !transferred) el.dataset.department = msg.department;
  el.dataset.decision = msg.decision || "";
  el.dataset.rule = msg.rule_id || "";
  $("decision").textContent = decisionText(msg);
  if (transferred) return;
  if (msg.decision === "needs_approval") {
    setStatus("waiting", "Waiting for a supervisor…");
  } else if ($("status").dataset.state === "waiting") {
    setStatus("connected");
  }
}

function showTransfer(msg) {
  const el = $("routing");
  el.dataset.department = msg.department;
  el.dataset.transferred = "true";
  $("transfer").hidden = false;
  $("transfer").dataset.target = msg.target || "";
  $("transfer").textContent = "Transferred to " + label(msg.department) + " — you can hang up.";
  setStatus("transferred", "Transferred to " + label(msg.department) + " — you can hang up");
}

function onMessage(event) {
  let msg;
  try { msg = JSON.parse(event.data); } catch (e) { return; }
  if (msg.type === "dialphone.turn") showTurn(msg);
  else if (msg.type === "dialphone.decision") showDecision(msg);
  else if (msg.type === "dialphone.transfer") showTransfer(msg);
  else if (msg.type === "dialphone.call" && $("status").dataset.state === "connecting") setStatus(msg.ai === false ? "menu" : "connected");
}

function iceComplete(conn) {
  if (conn.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (conn.iceGatheringState === "complete") resolve(); };
    conn.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000);
  });
}

class CallError extends Error {
  constructor(status) { super("refused: " + status); this.status = status; }
}

async function call() {
  $("call").disabled = true;
  reset();
  setStatus("connecting");
  try {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true });
    pc = new RTCPeerConnection({ iceServers: [] });
    const transceiver = pc.addTransceiver(media.getAudioTracks()[0], { direction: "sendrecv" });
    if (RTCRtpReceiver.getCapabilities && transceiver.setCodecPreferences) {
      const opus = RTCRtpReceiver.getCapabilities("audio").codecs.filter((c) => /opus/i.test(c.mimeType));
      if (opus.length) transceiver.setCodecPreferences(opus);
    }
    channel = pc.createDataChannel("dialphone");
    channel.onmessage = onMessage;
    pc.ontrack = (ev) => { $("remote").srcObject = ev.streams[0] || new MediaStream([ev.track]); };
    pc.onconnectionstatechange = () => {
      if (pc && ["failed", "closed", "disconnected"].includes(pc.connectionState)) hangup();
    };
    await pc.setLocalDescription(await pc.createOffer());
    await iceComplete(pc);
    const grant = await fetch("/api/call-token", { method: "POST" });
    if (!grant.ok) throw new CallError(grant.status);
    const { token } = await grant.json();
    const res = await fetch("/api/offer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer", token }),
    });
    if (!res.ok) throw new CallError(res.status);
    await pc.setRemoteDescription(await res.json());
    $("hangup").disabled = false;
  } catch (err) {
    const busy = err instanceof CallError && (err.status === 429 || err.status === 503);
    setStatus("failed", busy ? "The line is busy. Please try again in a minute." : STATUS.failed);
    console.error(err);
    hangup();
  }
}

function reset() {
  const el = $("routing");
  for (const k of ["department", "decision", "rule", "transferred"]) delete el.dataset[k];
  el.dataset.department = "";
  $("decision").textContent = "No transfer yet.";
  $("transfer").hidden = true;
  $("transcript").textContent = "";
}

function hangup() {
  if (channel && channel.readyState === "open") channel.send(JSON.stringify({ type: "dialphone.hangup" }));
  if (pc) pc.close();
  pc = null;
  channel = null;
  $("call").disabled = false;
  $("hangup").disabled = true;
  if ($("status").dataset.state !== "failed") setStatus("ended");
}

function press(key) {
  // A keypad press goes to the server as a DTMF event; the page keeps no record of the digits.
  if (channel && channel.readyState === "open") channel.send(JSON.stringify({ type: "dialphone.dtmf", digit: key }));
}

document.querySelectorAll("#keypad button").forEach((b) => b.addEventListener("click", () => press(b.dataset.key)));
document.addEventListener("keydown", (ev) => {
  if (pc && /^[0-9*#]$/.test(ev.key)) press(ev.key);
});

$("call").addEventListener("click", call);
$("hangup").addEventListener("click", hangup);
