"""Which annotated videos a web browser plays: real files from VideoSink, a real (headless)
Chromium. Skipped where no Chromium is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from livedigits.sinks import VideoSink
from livedigits.sources import Frame

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGE = """<!doctype html><html><body><pre id="out"></pre><script>
const files = %s, results = {};
for (const f of files) {
  const v = document.createElement("video");
  v.muted = true; v.preload = "auto";
  v.addEventListener("loadeddata", () => { results[f] = "plays " + v.videoWidth; });
  v.addEventListener("error", () => { results[f] = "error " + v.error.code; });
  v.src = f; document.body.appendChild(v);
}
setTimeout(() => { document.getElementById("out").textContent =
  files.map(f => f + ": " + (results[f] || "no event")).join("\\n"); }, 3000);
</script></body></html>"""


def plays_in_chromium(folder: Path, names: list[str]) -> dict[str, str]:
    """What a <video> element makes of each file: 'plays <width>' or 'error <code>'."""
    (folder / "index.html").write_text(PAGE % names)
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--allow-file-access-from-files", "--virtual-time-budget=10000",
                          "--dump-dom", (folder / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=180).stdout
    return dict(re.findall(r"^(\S+): (.+)$", dom.split('<pre id="out">')[1].split("</pre>")[0],
                           re.MULTILINE))


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_webm_plays_in_a_browser_and_mp4_only_as_h264(tmp_path):
    codecs = {}
    for name in ("out.webm", "out.mp4"):
        sink = VideoSink(str(tmp_path / name), 15.0, (320, 240))
        for k in range(10):
            image = np.full((240, 320, 3), 20 * k, np.uint8)
            sink.write(Frame(image, k, k / 15), image)
        sink.close()
        codecs[name] = sink.fourcc
    result = plays_in_chromium(tmp_path, list(codecs))
    assert result["out.webm"] == "plays 320"
    assert result["out.mp4"] == ("plays 320" if codecs["out.mp4"] == "avc1" else "error 4")
