// The concierge in a browser: one RTCPeerConnection (audio + a data channel), non-trickle ICE,
// POST /api/call-token (a short-lived, single-use token), then POST /api/offer with it. The server pushes tokenized turns, routing decisions and transfers as
// data-channel messages; this page only displays them.
"use strict";

const $ = (id) => document.getElementById(id);
let pc = null;
let channel = null;

function setStatus(state) {
  $("status").textContent = state;
  $("status").dataset.state = state;
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
  if (msg.department && !el.dataset.transferred) el.dataset.department = msg.department;
  el.dataset.decision = msg.decision || "";
  $("decision").textContent = `${msg.department || "department"}: ${msg.decision} (${msg.rule_id})`;
}

function showTransfer(msg) {
  const el = $("routing");
  el.dataset.department = msg.department;
  el.dataset.transferred = "true";
  $("transfer").hidden = false;
  $("transfer").textContent = `transferred to ${msg.department} (${msg.target})`;
}

function onMessage(event) {
  let msg;
  try { msg = JSON.parse(event.data); } catch (e) { return; }
  if (msg.type === "dialphone.turn") showTurn(msg);
  else if (msg.type === "dialphone.decision") showDecision(msg);
  else if (msg.type === "dialphone.transfer") showTransfer(msg);
  else if (msg.type === "dialphone.call") setStatus("connected");
}

function iceComplete(conn) {
  if (conn.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (conn.iceGatheringState === "complete") resolve(); };
    conn.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000);
  });
}

async function call() {
  $("call").disabled = true;
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
    if (!grant.ok) throw new Error("call token refused: " + grant.status);
    const { token } = await grant.json();
    const res = await fetch("/api/offer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer", token }),
    });
    if (!res.ok) throw new Error("offer refused: " + res.status);
    await pc.setRemoteDescription(await res.json());
    $("hangup").disabled = false;
  } catch (err) {
    setStatus("failed");
    console.error(err);
    hangup();
  }
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
