"use strict";
// Each frame's JSON Lines record arrives as a Server-Sent Event; the picture is an MJPEG <img>.
const numbers = document.getElementById("numbers");
const frame = document.getElementById("frame");
const status = document.getElementById("status");
const events = new EventSource("/events");

function item(text, title) {
  const li = document.createElement("li");
  li.textContent = text;
  li.title = title;
  return li;
}

events.onmessage = (event) => {
  const record = JSON.parse(event.data);
  numbers.replaceChildren(...record.numbers.map(
    (n) => item(n.text, `confidence ${n.confidence.toFixed(2)}`)));
  frame.textContent = `frame ${record.frame}, ${record.time.toFixed(2)} s, ` +
    `${record.digits.length} digits`;
  status.textContent = "";
};
events.addEventListener("figures", (event) => {
  for (const [name, value] of Object.entries(JSON.parse(event.data))) {
    const cell = document.getElementById(name);
    if (cell) cell.textContent = value;
  }
});
events.addEventListener("end", () => {
  events.close();
  status.textContent = "The run has ended.";
});
events.onerror = () => {
  if (events.readyState !== EventSource.CLOSED) status.textContent = "Connection lost, retrying…";
};
