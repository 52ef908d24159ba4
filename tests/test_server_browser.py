"""The --serve pages in a real browser: headless Chromium from the distribution (chromium and
chromium-driver, installed by .ci/run) driven by selenium. Screenshots go to tmp_path, and also
to $LIVEDIGITS_SCREENSHOTS when set (the README's were made so)."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
from pathlib import Path

import cv2
import pytest
from conftest import SAMPLES, SEVEN, Served

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Chromium and its "
                                "driver: apt-get install chromium chromium-driver")
WINDOW = (500, 1100)  # near a phone's width (500 is the narrowest Chromium allows)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def screenshot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert driver.save_screenshot(str(path))
    image = cv2.imread(str(path))
    assert image is not None and image.shape[1] == driver.execute_script("return innerWidth")
    if os.environ.get("LIVEDIGITS_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["LIVEDIGITS_SCREENSHOTS"]) / name)
    return path


def wait_for(driver, condition, timeout: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def draw(driver, canvas, strokes: list[list[tuple[int, int]]]) -> None:
    """Draw `strokes` (canvas pixels) with a pen: pointer events, as a tablet would send."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    width, height = canvas.size["width"], canvas.size["height"]
    scale = width / int(canvas.get_attribute("width"))

    def at(x: float, y: float) -> tuple[int, int]:  # offsets from the element's centre
        return round(x * scale - width / 2), round(y * scale - height / 2)

    actions = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_PEN, "pen"))
    for stroke in strokes:
        actions.pointer_action.move_to(canvas, *at(*stroke[0])).pointer_down()
        for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
            for step in range(1, 11):
                actions.pointer_action.move_to(canvas, *at(x0 + (x1 - x0) * step / 10,
                                                          y0 + (y1 - y0) * step / 10))
        actions.pointer_action.pointer_up()
    actions.perform()


def test_draw_a_seven_and_see_it_read(browser, tmp_path):
    from selenium.webdriver.common.by import By

    with Served() as served:
        browser.get(f"http://127.0.0.1:{served.port}/draw")
        canvas = browser.find_element(By.ID, "canvas")
        draw(browser, canvas, SEVEN)
        wait_for(browser, lambda d: d.find_element(By.ID, "numbers").text == "7")
        bars = browser.find_elements(By.CSS_SELECTOR, "#probs .prob")
        widths = [bar.find_element(By.CLASS_NAME, "bar").size["width"] for bar in bars]
        assert len(bars) == 11 and bars[10].text.startswith("not a digit")
        assert widths.index(max(widths)) == 7
        assert "7 (" in browser.find_element(By.ID, "digits").text
        screenshot(browser, tmp_path, "serve_draw.png")
        browser.find_element(By.ID, "clear").click()
        wait_for(browser, lambda d: d.find_element(By.ID, "numbers").text == "")
        served.process.send_signal(signal.SIGINT)
        assert served.wait() == 0


def test_live_page_shows_the_stream_and_the_numbers_read(browser, tmp_path, video_truth):
    from selenium.webdriver.common.by import By

    truth = {number["text"] for record in video_truth for number in record["numbers"]}
    with Served(SAMPLES / "video.mp4", "--live") as served:
        browser.get(f"http://127.0.0.1:{served.port}/")
        wait_for(browser, lambda d: d.execute_script(
            "return document.getElementById('stream').naturalWidth") == 1280)
        wait_for(browser, lambda d: set(d.execute_script(  # the list changes with each frame
            "return [...document.querySelectorAll('#numbers li')].map(li => li.textContent)"))
                 & truth)
        wait_for(browser, lambda d: d.find_element(By.ID, "fps").text.replace(".", "").isdigit())
        # The tracker shows a digit from its third frame on: let the stream pass frame 20.
        wait_for(browser, lambda d: int(d.find_element(By.ID, "frame").text.split()[1]
                                        .rstrip(",")) >= 20)
        screenshot(browser, tmp_path, "serve_live.png")
        assert served.wait() == 0, served.stderr()
        wait_for(browser, lambda d: "ended" in d.find_element(By.ID, "status").text)
