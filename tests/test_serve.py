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
@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


# Several models on one server, chosen by name.


def two_models():
    """A fixed-size model that reads no captions (the default) and one that fills any size and reads them."""
    return {"faithful": RecordingModel(image_size=8, reads_captions=False),
            "realistic": RecordingModel(image_size=16, fills_any_size=True, reads_captions=True)}


def test_model_info_lists_every_model_and_keeps_the_default_s_fields():
    client = TestClient(create_app(two_models()))
    info = client.get("/api/model").json()
    assert (info["name"], info["reads_captions"], info["fills_any_size"], info["image_size"]) == (
        "faithful", False, False, 8)
    assert info["models"] == [
        {"name": "faithful", "type": "RecordingModel", "reads_captions": False, "fills_any_size": False,
         "image_size": 8},
        {"name": "realistic", "type": "RecordingModel", "reads_captions": True, "fills_any_size": True,
         "image_size": 16},
    ]
    one = TestClient(create_app(RecordingModel(), name="only.keras")).get("/api/model").json()
    assert [model["name"] for model in one["models"]] == ["only.keras"]


def test_each_model_fills_when_named_and_the_first_when_none_is():
    models = two_models()
    client = TestClient(create_app(models))
    faithful, realistic = models["faithful"], models["realistic"]
    response = client.post("/api/fill", json=fill_request(model="realistic", captions=["a red ball"]))
    assert response.status_code == 200, response.text
    assert faithful.calls == [] and realistic.calls == [((1, HEIGHT, WIDTH, 3), ["a red ball"])]
    assert_filled(read_png(response.content), noise(), painted())
    response = client.post("/api/fill", json=fill_request(captions=["a red ball"]))  # no model: the default
    assert response.status_code == 200, response.text
    assert faithful.calls == [((1, 8, 8, 3), None)] and len(realistic.calls) == 1
    assert "does not read captions" in response.headers["x-kinpaint-notes"]
    assert client.post("/api/fill", json=fill_request(model="faithful")).status_code == 200
    assert len(faithful.calls) == 2 and len(realistic.calls) == 1


@pytest.mark.parametrize("choice, message", [
    ("photos-sharp", "unknown model 'photos-sharp'; this server offers 'faithful' (the default), 'realistic'"),
    (3, "the model is a JSON number, not a model's name; this server offers 'faithful' (the default), 'realistic'"),
    ("", "unknown model ''; this server offers 'faithful' (the default), 'realistic'"),
])
def test_an_unknown_model_is_refused_naming_the_choices(choice, message):
    models = two_models()
    response = TestClient(create_app(models)).post("/api/fill", json=fill_request(model=choice))
    assert response.status_code == 400 and response.json() == {"error": message}
    assert all(model.calls == [] for model in models.values())


def test_every_model_fills_on_the_one_model_thread_within_one_budget():
    """The first model holds its fill until told; a request for the second waits behind it, and a
    third, for either, finds the one queue full (503): one budget, one thread, for all models."""
    models = {"first": RecordingModel(), "second": RecordingModel()}
    release, threads = threading.Event(), []
    for name, model in models.items():
        fill = model.inpaint

        def held(*args, fill=fill, first=name == "first", **kwargs):
            threads.append(threading.current_thread())
            if first:
                assert release.wait(30)
            return fill(*args, **kwargs)

        model.inpaint = held
    app = create_app(models, max_waiting=1)
    client, budget, responses = TestClient(app), app.state.budget, []

    def post_in_background(name):
        def post():
            responses.append(client.post("/api/fill", json=fill_request(model=name)))

        worker = threading.Thread(target=post)
        worker.start()
        return worker

    def wait_until(condition):
        deadline = time.monotonic() + 30
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert condition()

    workers = [post_in_background("first")]
    wait_until(lambda: len(threads) == 1)  # the first model is filling
    workers.append(post_in_background("second"))
    wait_until(lambda: budget.admitted == 2)  # the second waits behind it
    refused = client.post("/api/fill", json=fill_request(model="second"))
    assert refused.status_code == 503 and "one fill running and 1 waiting" in refused.json()["error"]
    release.set()
    for worker in workers:
        worker.join(30)
    assert [response.status_code for response in responses] == [200, 200]
    assert len(models["first"].calls) == 1 and len(models["second"].calls) == 1
    assert len(set(threads)) == 1 and threads[0].name.startswith("kinpaint-fill")
    assert budget.admitted == 0


def test_the_fill_limit_counts_the_chosen_model_s_downsampling():
    """A 1100x1100 picture (above a megapixel: filled by the hole's box) with a hole whose box
    grows to 252 pixels a side for a model that does not downsample and to 256 for one that
    halves its input 5 times (the box rounded up to a multiple of 32)."""
    from kinpaint.pictures import CROP_MARGIN, hole_crop

    side, mask = 1100, np.zeros((1100, 1100, 3), np.uint8)
    mask[500:584, 500:584] = 255
    known = mask.max(axis=-1) <= 127
    plain, coarse = RecordingModel(fills_any_size=True), RecordingModel(fills_any_size=True)
    coarse.downsamples = 5
    sizes = []
    for downsamples in (0, 5):
        top, left, bottom, right = hole_crop(known, CROP_MARGIN, 2 ** downsamples)
        sizes.append((bottom - top) * (right - left))
    assert sizes[0] < sizes[1]
    client = TestClient(create_app({"plain": plain, "coarse": coarse}, max_fill_pixels=sizes[0]))
    body = {"image": data_url(np.full((side, side, 3), 90, np.uint8)), "mask": data_url(mask)}
    assert client.post("/api/fill", json={**body, "model": "plain"}).status_code == 200
    refused = client.post("/api/fill", json={**body, "model": "coarse"})
    assert refused.status_code == 422 and "--max-fill-pixels" in refused.json()["error"]
    assert len(plain.calls) == 1 and coarse.calls == []


@pytest.mark.parametrize("models, names, message", [
    ([RecordingModel(), RecordingModel()], None, "two models are called 'RecordingModel'; give each its own name"),
    ([RecordingModel()], ["a", "b"], "name must be a list of 1 names, one for each model"),
    ({}, None, "no model to serve"),
])
def test_models_without_names_of_their_own_are_refused(models, names, message):
    with pytest.raises(ValueError, match=message):
        create_app(models, name=names)


@pytest.mark.slow
def test_serve_offers_each_model_given_and_the_page_chooses(model, tmp_path, monkeypatch, capsys):
    import uvicorn

    (tmp_path / "other").mkdir()
    for path in (tmp_path / "tiny.keras", tmp_path / "second.keras", tmp_path / "other" / "tiny.keras"):
        model.save(path)
    served = []
    monkeypatch.setattr(uvicorn.Server, "run",
                        lambda server, sockets: served.append((server.config.app, sockets[0].getsockname())))
    assert main(["serve", "--model", str(tmp_path / "tiny.keras"), "--model", str(tmp_path / "second.keras"),
                 "--port", "0"]) == 0
    (app, (host, port)), = served
    assert f"kinpaint serve: tiny.keras, second.keras on http://127.0.0.1:{port}/" in capsys.readouterr().out
    client = TestClient(app, base_url=f"http://127.0.0.1:{port}")
    info = client.get("/api/model").json()
    assert info["name"] == "tiny.keras" and [each["name"] for each in info["models"]] == ["tiny.keras", "second.keras"]
    response = client.post("/api/fill", json=fill_request(model="second.keras"))
    assert response.status_code == 200, response.text
    assert_filled(read_png(response.content), noise(), painted())
    # two files of one name are called by the paths given; one model given twice is refused
    assert main(["serve", "--model", str(tmp_path / "tiny.keras"), "--model", str(tmp_path / "other" / "tiny.keras"),
                 "--port", "0"]) == 0
    names = [each["name"] for each in TestClient(served[-1][0], base_url=f"http://127.0.0.1:{served[-1][1][1]}").get(
        "/api/model").json()["models"]]
    assert names == [str(tmp_path / "tiny.keras"), str(tmp_path / "other" / "tiny.keras")]
    capsys.readouterr()
    assert main(["serve", "--model", "photos", "--model", "photos", "--port", "0"]) == 2
    assert "the model 'photos' is given twice" in capsys.readouterr().err


def test_serve_without_a_model_offers_the_shipped_presets_the_faithful_one_first(monkeypatch, capsys):
    import uvicorn

    import kinpaint.pretrained_models

    loaded, served = [], []
    monkeypatch.setattr(kinpaint.pretrained_models, "resolve_model",
                        lambda spec=None, safe_mode=True: loaded.append(spec) or RecordingModel())
    monkeypatch.setattr(uvicorn.Server, "run",
                        lambda server, sockets: served.append((server.config.app, sockets[0].getsockname()[1])))
    assert main(["serve", "--port", "0"]) == 0
    assert loaded == ["photos", "photos-realistic"]
    (app, port), = served
    info = TestClient(app, base_url=f"http://127.0.0.1:{port}").get("/api/model").json()
    assert info["name"] == "photos" and [each["name"] for each in info["models"]] == ["photos", "photos-realistic"]
    assert "kinpaint serve: photos, photos-realistic on" in capsys.readouterr().out
