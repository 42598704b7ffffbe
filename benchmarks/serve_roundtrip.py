"""Round-trip time of `kinpaint serve`'s page for a 1024x768 picture.

    python benchmarks/serve_roundtrip.py [--size 1024x768] [--repeats 3] [--model M.keras] [--no-browser]
    python benchmarks/serve_roundtrip.py --screenshot docs/serve_page.png   # the docs' picture of the page

For each model (a tiny untrained FourierInpainter, which shows the serving cost around a
model; the pretrained `photos` where this installation has it; each --model), the app runs
under uvicorn on 127.0.0.1 on a free port and fills one picture (a landscape with grain,
saved as a JPEG of quality 90) with a brush-stroke hole:

- `http`: the page's own request (the picture and mask as base64 JSON, a PNG back) sent with
  urllib, timed from encoding the request to the last byte of the PNG;
- `browser`: headless Chromium (with Selenium, Debian's chromium and chromium-driver) opens
  the page, loads the picture, paints one stroke and presses Fill; the page's own clock,
  from Fill to the result on screen.

`first` is the first fill (the model builds its graph for this picture size), `median` the
median of the --repeats after it, `model` the part of the median spent in the model (the
server's x-kinpaint-fill-seconds); the rest is decoding, encoding and transfer. Needs the
`serve` extra, and the `test` extra for the browser rows. `--screenshot PATH` then serves the
presets `kinpaint serve` serves by default (`kinpaint.serve.DEFAULT_MODELS`), fills the same
stroke with the page's default and saves the page as a PNG.
"""

import argparse
import base64
import io
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import test_serve_browser as page_steps  # noqa: E402  (the browser test's steps: one copy of them)

from kinpaint.cli.arguments import positive_int  # noqa: E402
from kinpaint.pretrained_models import PRETRAINED, WEIGHTS_FOLDER, resolve_model  # noqa: E402
from kinpaint.serve import DEFAULT_MODELS  # noqa: E402
from kinpaint.serve.app import background_server, create_app  # noqa: E402

STROKE = ((0.30, 0.45), (0.45, 0.40), (0.60, 0.55), (0.70, 0.50))  # the hole, in fractions of the picture


def tiny_model():
    from kinpaint.models import FourierInpainter

    model = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    model.compile()
    return model


def picture_file(folder, width, height):
    path = os.path.join(folder, f"landscape_{width}x{height}.jpg")
    Image.fromarray(page_steps.scene(width, height)).save(path, quality=90)
    return path


def stroke_mask(width, height):
    mask = Image.new("RGB", (width, height))
    ImageDraw.Draw(mask).line([(x * width, y * height) for x, y in STROKE], fill="white", width=height // 12,
                              joint="curve")
    return mask


def data_url(image_bytes, kind):
    return f"data:image/{kind};base64," + base64.b64encode(image_bytes).decode()


def http_round_trip(url, path, mask):
    start = time.perf_counter()
    with open(path, "rb") as handle:
        picture = handle.read()
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    body = json.dumps({"image": data_url(picture, "jpeg"), "mask": data_url(buffer.getvalue(), "png")}).encode()
    request = urllib.request.Request(url + "/api/fill", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        png = response.read()
        model_seconds = float(response.headers["x-kinpaint-fill-seconds"])
    seconds = time.perf_counter() - start
    with Image.open(path) as original, Image.open(io.BytesIO(png)) as result:
        known = np.asarray(mask)[:, :, 0] <= 127
        assert (np.asarray(result)[known] == np.asarray(original.convert("RGB"))[known]).all(), "known pixels changed"
    return seconds, model_seconds


def browser_round_trip(driver, url, path, repeats):
    driver.get(url + "/")
    page_steps.wait_for_state(driver, "empty")
    page_steps.open_picture(driver, path)
    size = driver.find_element("id", "strokes").size
    page_steps.paint(driver, [(x * size["width"], y * size["height"]) for x, y in STROKE])
    times = []
    for _ in range(1 + repeats):
        driver.find_element("id", "fill").click()
        state = page_steps.wait_for_state(driver, "done", "error")
        if state != "done":
            raise RuntimeError(driver.find_element("id", "message").text)
        body = driver.find_element("tag name", "body")
        times.append((float(body.get_attribute("data-round-trip-seconds")), float(body.get_attribute("data-model-seconds"))))
    return times


def screenshot(driver, path, picture):
    """The page of `kinpaint serve` without --model, after filling the stroke, saved at `path`."""
    with background_server(create_app({name: resolve_model(name) for name in DEFAULT_MODELS})) as url:
        browser_round_trip(driver, url, picture, repeats=0)
        page_steps.save_screenshot(driver, path)


def models(extra):
    yield "tiny FourierInpainter (untrained)", tiny_model()
    for name, (file, _) in PRETRAINED.items():
        if (WEIGHTS_FOLDER / file).exists():
            yield f"pretrained {name!r}", resolve_model(name)
    for path in extra:
        yield os.path.basename(path), resolve_model(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1024x768", help="WIDTHxHEIGHT of the picture")
    parser.add_argument("--repeats", type=positive_int, default=3, help="fills timed after the first")
    parser.add_argument("--model", action="append", default=[], help="a .keras file to time too")
    parser.add_argument("--no-browser", action="store_true", help="time the HTTP round trip only")
    parser.add_argument("--screenshot", metavar="PATH", help="then save the default page, filled, as a PNG")
    args = parser.parse_args(argv)
    if args.screenshot and args.no_browser:
        parser.error("--screenshot needs the browser: leave out --no-browser")
    width, height = map(int, args.size.lower().split("x"))
    driver = None
    if not args.no_browser:
        try:
            driver = page_steps.start_chromium()
        except RuntimeError as error:
            if args.screenshot:
                parser.error(f"--screenshot needs a browser: {error}")
            print(f"no browser rows: {error}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path, mask = picture_file(folder, width, height), stroke_mask(width, height)
        hole = 1 - (np.asarray(mask)[:, :, 0] <= 127).mean()
        try:
            for name, model in models(args.model):
                with background_server(create_app(model)) as url:
                    timings = {"http": [http_round_trip(url, path, mask) for _ in range(1 + args.repeats)]}
                    if driver is not None:
                        timings["browser"] = browser_round_trip(driver, url, path, args.repeats)
                    for client, times in timings.items():
                        rows.append((name, client, times[0][0], statistics.median(t for t, _ in times[1:]),
                                     statistics.median(m for _, m in times[1:])))
            if args.screenshot:
                screenshot(driver, args.screenshot, path)
        finally:
            if driver is not None:
                driver.quit()
    print(f"kinpaint serve round trip: a {width}x{height} JPEG ({os.cpu_count()} CPU cores), "
          f"a brush-stroke hole over {hole:.1%} of it, median of {args.repeats} after the first\n")
    print("| model | client | first (s) | median (s) | model (s) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, client, first, median, model_seconds in rows:
        print(f"| {name} | {client} | {first:.2f} | {median:.2f} | {model_seconds:.2f} |")


if __name__ == "__main__":
    main()
