"""`kinpaint serve` in a real browser: headless Chromium opens the page, loads a picture, paints
strokes, presses Fill, and the returned picture keeps every unpainted pixel and changes the
painted ones; the server offers two models, and choosing the second in the Model list fills with it.

Needs Selenium (the test extra) and Debian's `chromium` and `chromium-driver` packages (never
downloaded at run time); without them the test skips and says so in pytest's warnings summary,
except under `CI=true`, where it fails: `.ci/run` installs the browser, so a skip there would hide a
broken set-up.
`KINPAINT_SCREENSHOT=PATH` saves a screenshot of the filled page (docs/serve_page.png comes from
`benchmarks/serve_roundtrip.py --screenshot`, with the shipped models).
"""

import base64
import io
import os
import shutil
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_SECONDS = 120


def skip(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test could not run under CI=true: {reason}")
    warnings.warn(f"browser test skipped: {reason}", UserWarning, stacklevel=2)
    pytest.skip(reason)


def start_chromium():
    """A headless Chromium driven by Selenium, or a `RuntimeError` saying what is missing."""
    try:
        from selenium import webdriver
    except ModuleNotFoundError:
        raise RuntimeError('Selenium is not installed (pip install ".[test]")') from None
    if CHROMIUM is None or CHROMEDRIVER is None:
        raise RuntimeError("no Chromium or chromedriver on PATH (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,900", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    except Exception as error:  # noqa: BLE001  (a browser that cannot start is a missing tool here, not a bug)
        raise RuntimeError(f"Chromium did not start: {type(error).__name__}: {str(error).splitlines()[0]}") from error
    driver.set_script_timeout(WAIT_SECONDS)
    return driver


@pytest.fixture(scope="module")
def browser():
    try:
        import starlette  # noqa: F401
    except ModuleNotFoundError:
        skip('kinpaint serve needs the serve extra: pip install ".[serve]"')
    try:
        driver = start_chromium()
    except RuntimeError as error:
        skip(str(error))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def stand_in():
    """The server's second model: fills with grey and reads captions (test_serve's stand-in)."""
    from test_serve import RecordingModel

    return RecordingModel(image_size=8, reads_captions=True)


@pytest.fixture(scope="module")
def server(stand_in):
    from kinpaint.models import FourierInpainter
    from kinpaint.serve.app import background_server, create_app

    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    model.compile()
    with background_server(create_app({"fourier": model, "grey": stand_in}, max_pixels=400_000)) as url:
        yield url


def scene(width, height, seed=0):
    """A small landscape with film grain: a fill cannot reproduce the grain, so every filled pixel changes."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for row in range(height):
        blue = int(235 - 90 * row / height)
        draw.line([(0, row), (width, row)], fill=(120, 170, blue))
    draw.ellipse([width * 0.62, height * 0.12, width * 0.78, height * 0.33], fill=(250, 210, 90))
    draw.polygon([(0, height * 0.7), (width * 0.35, height * 0.45), (width * 0.7, height * 0.68), (width, height * 0.55),
                  (width, height), (0, height)], fill=(70, 130, 60))
    draw.rectangle([width * 0.2, height * 0.55, width * 0.34, height * 0.75], fill=(180, 70, 50))
    grain = np.random.default_rng(seed).integers(-6, 7, (height, width, 3))
    return np.clip(np.asarray(image, np.int16) + grain, 0, 255).astype(np.uint8)


def write_png(path, pixels):
    Image.fromarray(pixels).save(path)
    return str(path)


def from_data_url(url):
    with Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))) as image:
        return np.asarray(image.convert("RGB"))


def wait_for_state(driver, *states):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_SECONDS).until(lambda _: driver.find_element("tag name", "body").get_attribute("data-state")
                                              in states)
    return driver.find_element("tag name", "body").get_attribute("data-state")


def open_picture(driver, path):
    driver.find_element("id", "file").send_keys(path)
    wait_for_state(driver, "ready")


def paint(driver, points):
    """One stroke through `points`, in the picture canvas's CSS pixels from its top-left corner."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("id", "strokes")
    size = canvas.size
    x, y = points[0]
    actions = ActionChains(driver, duration=20)
    actions.move_to_element_with_offset(canvas, x - size["width"] / 2, y - size["height"] / 2).click_and_hold()
    for next_x, next_y in points[1:]:
        actions.move_by_offset(next_x - x, next_y - y)
        x, y = next_x, next_y
    actions.release().perform()


def mask_sent(driver):
    """The mask the page would send now (white = fill), as the server decodes it."""
    return from_data_url(driver.execute_script("return maskDataUrl();"))


def result_pixels(driver):
    """The filled picture behind the page's download link."""
    href = driver.find_element("id", "download").get_attribute("href")
    assert href.startswith("blob:"), href
    url = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then((r) => r.blob()).then((blob) => {"
        "  const reader = new FileReader(); reader.onload = () => done(reader.result); reader.readAsDataURL(blob); })"
        ".catch((error) => done('error: ' + error));", href)
    assert url.startswith("data:image/png"), url[:80]
    return from_data_url(url)


def save_screenshot(driver, path):
    """The page as a PNG at `path`, written whole or not at all."""
    from kinpaint.files import atomic_path

    with Image.open(io.BytesIO(driver.get_screenshot_as_png())) as shot, atomic_path(path) as temporary:
        shot.convert("RGB").save(temporary, format="PNG", optimize=True)


@pytest.mark.slow
def test_paint_fill_and_download_in_chromium(browser, server, tmp_path):
    driver = browser
    driver.get(server + "/")
    wait_for_state(driver, "empty")
    picture = scene(640, 480)
    open_picture(driver, write_png(tmp_path / "landscape.png", picture))
    assert driver.find_element("id", "fill").get_attribute("disabled") is not None, "Fill needs a painted hole"
    assert not driver.find_element("id", "captions").is_displayed(), "this model reads no captions"

    paint(driver, [(425, 85), (480, 75), (505, 110), (430, 120), (435, 150), (495, 150)])  # over the sun
    first = mask_sent(driver)
    driver.execute_script("const brush = document.getElementById('brush'); brush.value = 20;"
                          "brush.dispatchEvent(new Event('input'));")
    paint(driver, [(150, 300), (200, 310)])  # a second, thinner stroke over the house ...
    assert (mask_sent(driver) != first).any()
    driver.find_element("id", "undo").click()  # ... undone
    np.testing.assert_array_equal(mask_sent(driver), first)
    paint(driver, [(140, 290), (160, 330), (190, 340)])  # and another one painted
    mask = mask_sent(driver)
    hole = mask.max(axis=-1) > 127
    assert hole[110, 460] and hole[330, 160] and not hole[10, 10] and not hole[470, 630], "strokes landed elsewhere"

    driver.find_element("id", "fill").click()
    assert wait_for_state(driver, "done", "error") == "done", driver.find_element("id", "message").text
    result = result_pixels(driver)
    assert result.shape == picture.shape, "the result is at the picture's own size"
    np.testing.assert_array_equal(result[~hole], picture[~hole])
    changed = (result[hole] != picture[hole]).any(axis=-1).mean()
    assert changed > 0.9, f"only {changed:.0%} of the painted pixels changed"
    assert driver.find_element("id", "download").get_attribute("download") == "landscape-filled.png"
    seconds = float(driver.find_element("tag name", "body").get_attribute("data-round-trip-seconds"))
    print(f"browser round trip for a {picture.shape[1]}x{picture.shape[0]} picture: {seconds:.2f} s")
    if os.environ.get("KINPAINT_SCREENSHOT"):
        save_screenshot(driver, os.environ["KINPAINT_SCREENSHOT"])

    driver.find_element("id", "clear").click()
    assert driver.find_element("id", "fill").get_attribute("disabled") is not None, "Clear removes every stroke"


@pytest.mark.slow
def test_the_page_shows_why_the_server_refused(browser, server, tmp_path):
    driver = browser
    driver.get(server + "/")
    wait_for_state(driver, "empty")
    open_picture(driver, write_png(tmp_path / "large.png", scene(800, 600)))  # above the server's 400,000 pixels
    paint(driver, [(100, 100), (140, 120)])
    driver.find_element("id", "fill").click()
    assert wait_for_state(driver, "done", "error") == "error"
    message = driver.find_element("id", "message").text
    assert message == ("Could not fill: the picture is 800x600, 0.48 megapixels; this server takes at most 0.4 "
                       "(kinpaint serve --max-pixels raises the limit)")


@pytest.mark.slow
def test_the_second_model_chosen_in_the_list_fills(browser, server, stand_in, tmp_path):
    from selenium.webdriver.support.ui import Select

    driver = browser
    driver.get(server + "/")
    wait_for_state(driver, "empty")
    choice = Select(driver.find_element("id", "model-select"))
    assert driver.find_element("id", "model-choice").is_displayed(), "two models: the list is shown"
    assert [option.text for option in choice.options] == ["fourier", "grey"]
    assert choice.first_selected_option.text == "fourier", "the first model is the default"
    assert not driver.find_element("id", "captions").is_displayed(), "fourier reads no captions"
    choice.select_by_visible_text("grey")
    assert driver.find_element("id", "captions").is_displayed(), "the chosen model reads captions"
    driver.find_element("css selector", ".caption").send_keys("a red ball")

    picture = scene(320, 240, seed=1)
    open_picture(driver, write_png(tmp_path / "small.png", picture))
    paint(driver, [(100, 100), (160, 120)])
    hole = mask_sent(driver).max(axis=-1) > 127
    calls = len(stand_in.calls)
    driver.find_element("id", "fill").click()
    assert wait_for_state(driver, "done", "error") == "done", driver.find_element("id", "message").text
    assert len(stand_in.calls) == calls + 1 and stand_in.calls[-1][1] == ["a red ball"], "the grey model filled"
    result = result_pixels(driver)
    np.testing.assert_array_equal(result[~hole], picture[~hole])
    assert (result[hole] == 128).all(), "the painted pixels are the grey model's"
    choice.select_by_visible_text("fourier")
    assert not driver.find_element("id", "captions").is_displayed(), "the captions follow the chosen model"
