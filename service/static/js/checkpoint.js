// The checkpoint page: verify a scanned pass in the browser against the cached public
// keys and signed revocation list (so it works with the network off), show a large green
// or red answer, and upload scans (queued while offline, sent when the network returns).
import { verifyPass, verifyRevocationList } from "/static/js/pass-verify.js";

const root = document.getElementById("checkpoint");
const labels = root.dataset;
// Scans wait under the checkpoint and the person who made them: another person signing in
// on the same device later must not upload them as their own, at their own checkpoint.
const QUEUES = "supplywatch.checkpoint.queue";
const QUEUE = QUEUES + ":" + labels.checkpoint + ":" + labels.owner;
const VERSION = "supplywatch.checkpoint.revocationVersion";
let trust = null;

function label(name, values = {}) {
  let text = labels["label" + name.split("_").map((p) => p[0].toUpperCase() + p.slice(1)).join("")] || name;
  for (const [key, value] of Object.entries(values)) { text = text.replace("{" + key + "}", String(value)); }
  return text;
}

async function loadTrust() {
  const keys = await (await fetch("/api/v1/passes/keys")).text();
  const bytes = new Uint8Array(await (await fetch("/api/v1/passes/revocations")).arrayBuffer());
  const known = localStorage.getItem(VERSION);
  const list = await verifyRevocationList(bytes, keys, known === null ? null : Number(known));
  localStorage.setItem(VERSION, String(list.version));
  trust = { keys, list };
  showTrust();
}

function showTrust() {
  const trustLine = document.getElementById("trust");
  if (trust === null) { trustLine.textContent = label("nolist"); return; }
  const age = Math.max(0, Math.round((Date.now() - trust.list.issuedAt.getTime()) / 60000));
  trustLine.textContent = label("list", { version: trust.list.version, age });
  trustLine.dataset.version = String(trust.list.version);
}

function queued() { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); }

function waitingForOthers() {
  let count = 0;
  for (let index = 0; index < localStorage.length; index += 1) {
    const key = localStorage.key(index);
    if (key !== QUEUE && key.startsWith(QUEUES)) { count += JSON.parse(localStorage.getItem(key) || "[]").length; }
  }
  return count;
}

function showQueue() {
  const count = queued().length;
  const others = waitingForOthers();
  const lines = [];
  if (count) { lines.push(label("queued", { count })); }
  if (others) { lines.push(label("others", { count: others })); }
  document.getElementById("queue").textContent = lines.join(" · ");
}

async function upload() {
  const scans = queued();
  if (!scans.length) { return; }
  try {
    const response = await fetch("/checkpoint/scans", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": labels.csrf },
      body: JSON.stringify({ scans }),
    });
    // Only the server's "recorded" counts: a session that ended meanwhile answers with
    // the sign-in page (a redirect fetch follows), and the scans must wait for the next one.
    if (response.status === 201 && !response.redirected) {
      localStorage.setItem(QUEUE, JSON.stringify(queued().slice(scans.length)));
    }
  } catch (error) {
    // still offline: keep them for later
  }
  showQueue();
}

// When a pass runs out, to the minute in the page's language ("2026/12/19 22:00"): the
// seconds of a day-long validity only made the line harder to read at a glance.
function untilText(when) {
  return when.toLocaleString(document.documentElement.lang || undefined, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23",
  });
}

async function check(token) {
  token = token.replace(/[\r\n]+$/, "");
  if (trust === null) { showTrust(); return; }
  // A pass naming the checkpoint's region or any region above it holds here.
  const place = labels.passRegions ? labels.passRegions.split(" ") : labels.region;
  const result = await verifyPass(token, trust.keys, trust.list, new Date(), place);
  const verdict = document.getElementById("verdict");
  verdict.hidden = false;
  verdict.dataset.status = result.status;
  verdict.dataset.token = token;
  verdict.style.background = result.status === "valid" ? "#1a7f37" : "#b42318";
  document.getElementById("verdict-status").textContent = label(result.status);
  const claims = result.authentic ? result.claims : null;
  document.getElementById("verdict-subject").textContent = claims ? claims.subject : "";
  document.getElementById("verdict-validity").textContent = claims
    ? claims.passId + " · " + label("until") + " " + untilText(claims.expiresAt) : "";
  const scans = queued();
  scans.push({ token: token.slice(0, 4096), scanned_at: new Date().toISOString(), device_result: result.status });
  localStorage.setItem(QUEUE, JSON.stringify(scans));
  showQueue();
  upload();
}

async function startCamera() {
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const video = document.getElementById("preview");
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.hidden = false;
  await video.play();
  const tick = async () => {
    const found = await detector.detect(video).catch(() => []);
    if (found.length) {
      video.srcObject.getTracks().forEach((track) => track.stop());
      video.hidden = true;
      document.getElementById("token").value = found[0].rawValue;
      await check(found[0].rawValue);
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

document.getElementById("scan-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = document.getElementById("token").value.trim();
  if (token) check(token);  // nothing typed is no pass to judge (nor a scan to record)
});
if ("BarcodeDetector" in window && navigator.mediaDevices) {
  const camera = document.getElementById("camera");
  camera.hidden = false;
  camera.addEventListener("click", () => startCamera());
}
window.addEventListener("online", () => { loadTrust().catch(showTrust); upload(); });
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/checkpoint/sw.js", { scope: "/checkpoint" });
}
showQueue();
loadTrust().then(() => { root.dataset.ready = "1"; upload(); }).catch(() => { showTrust(); root.dataset.ready = "1"; });
