"""`kinpaint serve`: the page, the fill endpoint's round trip, its refusals, the command line."""

import base64
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette", reason="kinpaint serve needs the serve extra: pip install \".[serve]\"")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (in the test extra)")
from starlette.testclient import TestClient  # noqa: E402

from kinpaint.cli.main import main  # noqa: E402
from kinpaint.serve.app import background_server, create_app  # noqa: E402

HEIGHT, WIDTH = 24, 40  # not square, not a multiple of the model's 4


@pytest.fixture(scope="module")
def model():
    from kinpaint.models import FourierInpainter

    fourier = FourierInpainter(image_size=16, width=4, blocks=1, precision="float32")
    fourier.compile()
    return fourier


@pytest.fixture(scope="module")
def client(model):
    return TestClient(create_app(model))


def noise(height=HEIGHT, width=WIDTH, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def painted(height=HEIGHT, width=WIDTH):
    """A mask picture as the page paints it: black background, white strokes (antialiased grey at the edges)."""
    mask = np.zeros((height, width, 3), np.uint8)
    mask[6:16, 10:26] = 255
    mask[5, 10:26] = 90  # a stroke's soft edge: kept
    mask[16, 10:26] = 200  # filled
    return mask


def data_url(pixels, format="PNG", **options):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format, **options)
    return f"data:image/{format.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


def decoded(url):
    with Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))) as image:
        return np.asarray(image.convert("RGB"))


def read_png(content):
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        return np.asarray(image)


def assert_filled(result, picture, mask):
    known = mask.max(axis=-1) <= 127
    assert result.shape == picture.shape
    np.testing.assert_array_equal(result[known], picture[known])
    changed = (result[~known] != picture[~known]).any(axis=-1)
    assert changed.mean() > 0.9, f"only {changed.mean():.0%} of the painted pixels changed"


class RecordingModel:
    """A stand-in model: fills with grey, records what it was given, and can be told to fail or dawdle."""

    def __init__(self, image_size=8, fills_any_size=False, reads_captions=True, error=None, pause=0.0):
        self.image_size, self.fills_any_size = image_size, fills_any_size
        self.caption_encoder = object() if reads_captions else None
        self.error, self.pause = error, pause
        self.calls, self.running, self.most_at_once = [], 0, 0

    def inpainter(self):
        return self

    def inpaint(self, images, masks, captions=None):
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.pause)
            if self.error is not None:
                raise self.error
            self.calls.append((images.shape, captions))
            return np.zeros_like(images)
        finally:
            self.running -= 1


def test_the_page_is_served_with_its_script_and_safety_headers(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="/static/app.js"' in page.text and 'id="fill"' in page.text and "<script>" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for asset, kind in (("/static/app.js", "javascript"), ("/static/style.css", "text/css")):
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"], asset
    for asset in ("/", "/static/app.js", "/static/style.css"):
        assert "://" not in client.get(asset).text, f"{asset} loads something from elsewhere"


def test_model_info_tells_the_page_what_to_show(client):
    info = client.get("/api/model").json()
    assert info["type"] == "FourierInpainter" and info["reads_captions"] is False and info["fills_any_size"] is True
    assert info["max_upload_bytes"] == 32 * 2**20


@pytest.mark.parametrize("format, mode", [("PNG", "RGB"), ("JPEG", "RGB"), ("PNG", "L"), ("PNG", "RGBA")])
def test_a_fill_keeps_every_unpainted_pixel_and_changes_the_painted_ones(client, format, mode):
    image = Image.fromarray(noise()).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    upload = f"data:image/x;base64,{base64.b64encode(buffer.getvalue()).decode()}"
    mask = painted()
    response = client.post("/api/fill", json={"image": upload, "mask": data_url(mask)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png" and float(response.headers["x-kinpaint-fill-seconds"]) >= 0
    assert_filled(read_png(response.content), decoded(upload), mask)
    if mode == "RGBA":
        assert "alpha dropped" in response.headers["x-kinpaint-notes"]


def test_a_picture_is_turned_upright_as_the_browser_shows_it(client):
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees: the browser shows a WIDTH x HEIGHT file as HEIGHT x WIDTH
    Image.fromarray(noise()).save(buffer, format="PNG", exif=exif)
    upload = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    mask = painted(WIDTH, HEIGHT)
    response = client.post("/api/fill", json={"image": upload, "mask": data_url(mask)})
    assert response.status_code == 200, response.text
    assert_filled(read_png(response.content), np.rot90(noise(), -1), mask)
    assert "EXIF" in response.headers["x-kinpaint-notes"]


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    """A 1.5 MB upload: a multipart parser would spool it to a temporary file."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client = TestClient(create_app(RecordingModel()))
    picture, mask = noise(720, 720, seed=1), np.zeros((720, 720, 3), np.uint8)
    mask[300:340, 300:340] = 255
    upload = data_url(picture)
    assert len(upload) > 1.5e6
    response = client.post("/api/fill", json={"image": upload, "mask": data_url(mask)})
    assert response.status_code == 200, response.text
    assert_filled(read_png(response.content), picture, mask)
    assert list(tmp_path.iterdir()) == []


def fill_request(**changes):
    return {"image": data_url(noise()), "mask": data_url(painted()), **changes}


def test_a_fixed_size_model_gets_its_size_and_the_captions(monkeypatch):
    model = RecordingModel(image_size=8)
    client = TestClient(create_app(model, name="recording.keras"))
    info = client.get("/api/model").json()
    assert info["name"] == "recording.keras" and info["reads_captions"] is True and info["fills_any_size"] is False
    response = client.post("/api/fill", json=fill_request(captions=["a red ball", "on grass"]))
    assert response.status_code == 200, response.text
    (shape, captions), = model.calls
    assert shape == (1, 8, 8, 3) and captions == ["a red ball . on grass"]
    result = read_png(response.content)
    known = painted().max(axis=-1) <= 127
    np.testing.assert_array_equal(result[known], noise()[known])
    assert (result[~known] == 128).all()  # the model's grey, resized back


def test_captions_are_ignored_with_a_note_when_the_model_does_not_read_them():
    model = RecordingModel(image_size=8, reads_captions=False)
    response = TestClient(create_app(model)).post("/api/fill", json=fill_request(captions=["a red ball"]))
    assert response.status_code == 200 and model.calls[0][1] is None
    assert "does not read captions" in response.headers["x-kinpaint-notes"]


def test_requests_run_one_at_a_time():
    model = RecordingModel(pause=0.05)
    client = TestClient(create_app(model))
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(client.post("/api/fill", json=fill_request()).status_code))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4 and len(model.calls) == 4
    assert model.most_at_once == 1


def chunks(data, size=4096):
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    "request_, status, message",
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "the request is not JSON"),
        ({"content": b"[1, 2]", "headers": {"content-type": "application/json"}}, 400, "not an object"),
        ({"content": b"image=1", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415,
         "Content-Type: application/json"),
        ({"json": fill_request(image="data:text/plain;base64," + base64.b64encode(b"hello").decode())}, 400,
         "the picture is not a picture this server can read"),
        ({"json": fill_request(image="data:image/png;base64,%%%")}, 400, "the picture is not valid base64"),
        ({"json": fill_request(image="data:image/png,rawtext")}, 400, "data URL without base64"),
        ({"json": fill_request(mask=None)}, 400, "the request has no mask"),
        ({"json": fill_request(mask=data_url(np.zeros((10, 10, 3), np.uint8)))}, 400,
         f"the mask is 10x10 but the picture is {WIDTH}x{HEIGHT}"),
        ({"json": fill_request(mask=data_url(np.zeros((HEIGHT, WIDTH, 3), np.uint8)))}, 400,
         "the mask marks no pixel to fill"),
        ({"json": fill_request(mask=data_url(np.full((HEIGHT, WIDTH, 3), 255, np.uint8)))}, 400, "every pixel"),
        ({"json": fill_request(captions="a ball")}, 400, "captions must be a list of texts"),
        ({"json": fill_request(captions=["a ball", " "])}, 400, "caption number 2 is empty"),
        ({"json": fill_request(), "headers": {"origin": "http://elsewhere.example"}}, 403, "another site"),
        ({"content": b"x" * 300_000, "headers": {"content-type": "application/json"}}, 413,
         "the upload is 0.3 MB; this server takes at most 0.25 MB (kinpaint serve --max-upload-mb"),
        ({"content": chunks(b"x" * 300_000), "headers": {"content-type": "application/json"}}, 413,
         "the upload is more than 0.25 MB, the most this server takes"),
    ],
)
def test_a_bad_upload_gets_a_clear_message(request_, status, message):
    model = RecordingModel()
    response = TestClient(create_app(model, max_upload_mb=0.25)).post("/api/fill", **request_)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert model.calls == []


def test_a_picture_with_too_many_pixels_is_refused():
    response = TestClient(create_app(RecordingModel(), max_pixels=500)).post("/api/fill", json=fill_request())
    assert response.status_code == 413
    assert response.json()["error"] == ("the picture is 40x24, 0.00096 megapixels; this server takes at most 0.0005 "
                                        "(kinpaint serve --max-pixels raises the limit)")


def test_a_model_failure_is_one_line_not_a_traceback():
    client = TestClient(create_app(RecordingModel(error=RuntimeError("out of memory"))), raise_server_exceptions=False)
    response = client.post("/api/fill", json=fill_request())
    assert response.status_code == 500
    assert response.json() == {"error": "the model could not fill this picture: RuntimeError: out of memory"}


def test_only_loopback_host_names_reach_a_loopback_server():
    app = create_app(RecordingModel(), allowed_hosts=["127.0.0.1", "localhost"])
    assert TestClient(app, base_url="http://127.0.0.1:8000").get("/api/model").status_code == 200
    assert TestClient(app, base_url="http://rebound.example").get("/api/model").status_code == 400


def test_a_real_server_fills_over_http(model):
    with background_server(create_app(model)) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/", timeout=30) as page:
            assert b"/static/app.js" in page.read()
        body = fill_request()
        request = urllib.request.Request(url + "/api/fill", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert_filled(read_png(response.read()), noise(), painted())


# The command line.


def test_serve_help_starts_without_tensorflow():
    code = ("import sys, kinpaint_command\n"
            "try:\n    kinpaint_command.main(['serve', '--help'])\nexcept SystemExit as stop:\n    assert stop.code == 0\n"
            "assert 'tensorflow' not in sys.modules and 'starlette' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_serve_loads_the_model_once_and_serves_it(model, tmp_path, monkeypatch, capsys):
    import uvicorn

    path = tmp_path / "tiny.keras"
    model.save(path)
    served = []
    monkeypatch.setattr(uvicorn.Server, "run",
                        lambda server, sockets: served.append((server.config.app, sockets[0].getsockname())))
    assert main(["serve", "--model", str(path), "--port", "0"]) == 0
    (app, (host, port)), = served
    assert host == "127.0.0.1"
    assert f"kinpaint serve: tiny.keras on http://127.0.0.1:{port}/ (Ctrl-C stops)" in capsys.readouterr().out
    client = TestClient(app, base_url=f"http://127.0.0.1:{port}")
    assert client.get("/api/model").json()["name"] == "tiny.keras"
    response = client.post("/api/fill", json=fill_request())
    assert response.status_code == 200
    assert_filled(read_png(response.content), noise(), painted())


def test_serve_errors_are_one_clear_line(tmp_path, monkeypatch, capsys):
    import kinpaint.pretrained_models

    monkeypatch.setattr(kinpaint.pretrained_models, "WEIGHTS_FOLDER", tmp_path)
    assert main(["serve", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert "the pretrained model 'photos' is not in this installation" in error and "pass --model M.keras" in error
    assert len(error.strip().splitlines()) == 1
    assert main(["serve", "--model", str(tmp_path / "missing.keras"), "--port", "0"]) == 2
    assert "missing.keras" in capsys.readouterr().err
    assert main(["serve", "--port", "70000"]) == 2
    assert "port must be between 0 and 65535" in capsys.readouterr().err
    with background_server(create_app(RecordingModel())) as url:
        busy = url.rsplit(":", 1)[1]
        assert main(["serve", "--port", busy, "--model", "photos"]) == 2
        assert f"cannot listen on 127.0.0.1:{busy}" in capsys.readouterr().err
