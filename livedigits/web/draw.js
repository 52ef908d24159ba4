"use strict";
// Each finished stroke sends the canvas as PNG (dark ink on white, what the canvas shows) to
// POST /read?probs=1 and shows what was read: boxes over the drawing, numbers, and for a single
// digit the probability of every class.
const canvas = document.getElementById("canvas");
const boxes = document.getElementById("boxes");
const ink = canvas.getContext("2d");
const marks = boxes.getContext("2d");
const numbers = document.getElementById("numbers");
const digits = document.getElementById("digits");
const probs = document.getElementById("probs");
const status = document.getElementById("status");
let pen = null; // the pointer drawing now and its last point
let drawing = 0; // counts clears: a reply about a cleared drawing is ignored
let busy = false, again = false;

function clear() {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, canvas.width, canvas.height);
  drawing += 1;
  show({digits: [], numbers: []});
}

function point(event) {
  const rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * canvas.width / rect.width,
          (event.clientY - rect.top) * canvas.height / rect.height];
}

function line(from, to) {
  ink.lineWidth = 14;
  ink.lineCap = ink.lineJoin = "round";
  ink.strokeStyle = "#111";
  ink.beginPath();
  ink.moveTo(...from);
  ink.lineTo(...to);
  ink.stroke();
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  const at = point(event);
  pen = {id: event.pointerId, at};
  line(at, at);
});
canvas.addEventListener("pointermove", (event) => {
  if (!pen || event.pointerId !== pen.id) return;
  const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const move of moves.length ? moves : [event]) {
    const at = point(move);
    line(pen.at, at);
    pen.at = at;
  }
});
function lift(event) {
  if (!pen || event.pointerId !== pen.id) return;
  pen = null;
  send();
}
canvas.addEventListener("pointerup", lift);
canvas.addEventListener("pointercancel", lift);
document.getElementById("clear").addEventListener("click", clear);

async function send() {
  if (busy) { again = true; return; } // one request at a time; the newest drawing goes next
  busy = true;
  const sent = drawing;
  try {
    const png = await new Promise((done) => canvas.toBlob(done, "image/png"));
    const response = await fetch("/read?probs=1",
      {method: "POST", body: png, headers: {"Content-Type": "image/png"}});
    const result = await response.json();
    if (!response.ok) throw new Error(result.error);
    if (sent === drawing) show(result);
  } catch (error) {
    status.textContent = `Could not read the drawing: ${error.message}`;
  }
  busy = false;
  if (again) { again = false; send(); }
}

function box(b, color, text) {
  marks.strokeStyle = marks.fillStyle = color;
  marks.lineWidth = 3;
  marks.strokeRect(b[0], b[1], b[2], b[3]);
  if (text) marks.fillText(text, b[0], Math.max(14, b[1] - 4));
}

function show(result) {
  marks.clearRect(0, 0, boxes.width, boxes.height);
  marks.font = "16px sans-serif";
  for (const n of result.numbers) box(n.box.map((v, i) => v + (i < 2 ? -6 : 12)), "#e68a00");
  for (const d of result.digits) box(d.box, "#1a9c1a", `${d.label} ${d.confidence.toFixed(2)}`);
  numbers.replaceChildren(...result.numbers.map((n) => {
    const li = document.createElement("li");
    li.textContent = n.text;
    return li;
  }));
  digits.textContent = result.digits.length ?
    result.digits.map((d) => `${d.label} (${(100 * d.confidence).toFixed(1)}%)`).join(", ") : "";
  probs.hidden = !result.probs;
  probs.replaceChildren(...(result.probs || []).map((p, i) => {
    const row = document.createElement("div");
    const name = document.createElement("span");
    const bar = document.createElement("span");
    const value = document.createElement("span");
    name.textContent = i < 10 ? String(i) : "not a digit";
    bar.className = "bar";
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    value.textContent = `${(100 * p).toFixed(1)}%`;
    row.className = "prob";
    row.append(name, bar, value);
    return row;
  }));
  status.textContent = "";
}

clear();
