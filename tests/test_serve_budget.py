"""`kinpaint serve`'s budget (issue 35): what one request may make the server do, how many wait,
how long they wait, which hosts are answered, which formats are read, and what an error reply
may say. Starlette's TestClient and a stand-in model; each test takes a second or two."""

import base64
import io
import socket
import struct
import threading
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette", reason="kinpaint serve needs the serve extra: pip install \".[serve]\"")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (in the test extra)")
from starlette.testclient import TestClient  # noqa: E402
from test_images import ghostscript_spy  # noqa: E402,F401  (the fixture: the ways to Ghostscript, spied on)
from test_serve import HEIGHT, WIDTH, RecordingModel, data_url, fill_request, noise, painted, read_png  # noqa: E402

import kinpaint.serve.app as app_module  # noqa: E402
from kinpaint.cli.main import main  # noqa: E402
from kinpaint.serve.app import allowed_hosts_for, create_app, public_message, serve  # noqa: E402

FORMATS = "PNG, JPEG, WebP, BMP, TIFF and GIF"


def file_url(data, media_type="image/png"):
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def saved(pixels_or_image, format, **options):
    image = Image.fromarray(pixels_or_image) if isinstance(pixels_or_image, np.ndarray) else pixels_or_image
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_declaring(width, height):
    """A valid PNG header declaring `width` x `height` with an empty image stream: a few dozen
    bytes whose decoded size would be width * height * 3."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def flat_png_url(width, height, value=90):
    return file_url(saved(Image.new("RGB", (width, height), (value,) * 3), "PNG"))


# Formats: raster only, named when refused, and nothing reaches Ghostscript.


@pytest.mark.parametrize("format, kind", [("EPS", "EPS"), ("PDF", "PDF"), ("ICO", "ICO"), ("PPM", "PPM")])
def test_an_upload_in_another_format_is_refused_by_name_before_any_plugin_opens_it(
        ghostscript_spy, format, kind):  # noqa: F811
    model = RecordingModel()
    upload = file_url(saved(noise(), format), "image/png")  # the data URL's media type is not believed
    response = TestClient(create_app(model)).post("/api/fill", json=fill_request(image=upload))
    assert response.status_code == 415, response.text
    assert response.json()["error"] == f"the picture is in {kind} format; this server reads only {FORMATS}"
    assert ghostscript_spy == [] and model.calls == []


@pytest.mark.parametrize("format, options", [("WEBP", {"lossless": True}), ("BMP", {}), ("TIFF", {}), ("GIF", {})])
def test_every_raster_format_is_filled(format, options):
    picture = noise() if format != "GIF" else np.asarray(Image.fromarray(noise()).convert("P").convert("RGB"))
    response = TestClient(create_app(RecordingModel())).post(
        "/api/fill", json=fill_request(image=file_url(saved(picture, format, **options))))
    assert response.status_code == 200, response.text
    known = painted().max(axis=-1) <= 127
    np.testing.assert_array_equal(read_png(response.content)[known], picture[known])


# The work per request: pixels (from the header, before decoding) and the hole's box (before the model).


def test_a_huge_declared_size_is_refused_from_the_header_without_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(app_module, "picture_rgb8", lambda *args: decoded.append(args) or pytest.fail("decoded"))
    client = TestClient(create_app(RecordingModel()))
    upload = file_url(png_declaring(9000, 9000))  # 81 megapixels in 58 bytes
    started = time.perf_counter()
    response = client.post("/api/fill", json=fill_request(image=upload))
    assert response.status_code == 413, response.text
    assert response.json()["error"] == ("the picture is 9000x9000, 81 megapixels; this server takes at most 50 "
                                        "(kinpaint serve --max-pixels raises the limit)")
    bomb = client.post("/api/fill", json=fill_request(mask=file_url(png_declaring(100_000, 100_000))))
    assert bomb.status_code == 413 and "the mask has too many pixels to decode safely" in bomb.json()["error"]
    assert decoded == [] and time.perf_counter() - started < 10  # decoding 81 megapixels would take far longer


@pytest.mark.slow
def test_a_flat_picture_whose_hole_is_everything_is_refused_before_the_model():
    """The issue's 8 KB upload that kept the server filling for three minutes."""
    model = RecordingModel(fills_any_size=True)
    width, height = 4000, 3000
    hole = np.full((height, width, 3), 255, np.uint8)
    hole[0, 0] = 0
    body = fill_request(image=flat_png_url(width, height), mask=data_url(hole))
    assert len(body["image"]) < 60_000
    started = time.perf_counter()
    response = TestClient(create_app(model)).post("/api/fill", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == (
        "the painted hole spans 4000x3000 pixels; with the context around it the model would fill 4000x3000, "
        "12 megapixels; this server fills at most 1.05 at once (kinpaint serve --max-fill-pixels raises the limit): "
        "paint a smaller hole, or fill it in parts")
    assert model.calls == [] and time.perf_counter() - started < 15


def test_the_fill_limit_counts_what_the_model_would_fill():
    """A picture up to a megapixel is filled whole; a larger one by the hole's box with its context
    (`kinpaint.pictures.hole_crop`): the limit counts the pixels the model gets, which the stand-in
    model records."""
    model = RecordingModel(fills_any_size=True)
    whole = TestClient(create_app(model, max_fill_pixels=WIDTH * HEIGHT - 1)).post("/api/fill", json=fill_request())
    assert whole.status_code == 422
    assert whole.json()["error"].startswith(f"the model fills this {WIDTH}x{HEIGHT} picture whole, 0.00096 megapixels")
    assert TestClient(create_app(model, max_fill_pixels=WIDTH * HEIGHT)).post(
        "/api/fill", json=fill_request()).status_code == 200
    width, height = 1500, 1000  # 1.5 megapixels: filled by a crop
    mask = np.zeros((height, width, 3), np.uint8)
    mask[400:440, 700:760] = 255  # 60x40, grown by 64 on every side: 188x168
    body = fill_request(image=flat_png_url(width, height), mask=data_url(mask))
    refused = TestClient(create_app(model, max_fill_pixels=188 * 168 - 1)).post("/api/fill", json=body)
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("the painted hole spans 60x40 pixels; with the context around it the "
                                              "model would fill 188x168, 0.0316 megapixels")
    assert len(model.calls) == 1
    assert TestClient(create_app(model, max_fill_pixels=188 * 168)).post("/api/fill", json=body).status_code == 200
    assert model.calls[-1][0] == (1, 168, 188, 3)  # what the server counted is what the model got
    fixed = RecordingModel(image_size=8)  # a fixed-size model fills its own size, whatever the hole
    assert TestClient(create_app(fixed, max_fill_pixels=1)).post("/api/fill", json=body).status_code == 200


# The queue, the time limit and memory under load.


class Gauge:
    """The most of something at once (fills decoding, requests admitted)."""

    def __init__(self):
        self.lock, self.now, self.most = threading.Lock(), 0, 0

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1

    def note(self, value):
        with self.lock:
            self.most = max(self.most, value)


def post_in_parallel(app, bodies):
    """Post each body from its own thread at once; `[(status, seconds, response)]` in order."""
    results = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def post(index):
        client = TestClient(app)
        start.wait()
        began = time.perf_counter()
        response = client.post("/api/fill", json=bodies[index])
        results[index] = (response.status_code, time.perf_counter() - began, response)

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.slow
def test_eight_parallel_uploads_hold_the_memory_and_latency_bounds(monkeypatch):
    """8 uploads of a 1500x1500 picture (13 KB as a flat PNG, 6.75 MB decoded) at once, to a server
    that queues 2 behind the fill: 3 are filled, one at a time, and 5 get 503 with Retry-After at
    once; one picture is decoded at a time, so the traced peak stays that of about one request."""
    decoding, admitted = Gauge(), Gauge()
    real_decode = app_module.decode_picture

    def counted_decode(*args, **kwargs):
        with decoding:
            return real_decode(*args, **kwargs)

    monkeypatch.setattr(app_module, "decode_picture", counted_decode)
    model = RecordingModel(pause=0.3)
    app = create_app(model, max_waiting=2, timeout=20)
    budget = app.state.budget
    real_admit = budget.admit

    def counted_admit():
        real_admit()
        admitted.note(budget.admitted)

    monkeypatch.setattr(budget, "admit", counted_admit)
    side = 1500
    mask = np.zeros((side, side, 3), np.uint8)
    mask[100:200, 100:300] = 255
    body = {"image": flat_png_url(side, side), "mask": data_url(mask)}
    tracemalloc.start()
    try:
        (status, alone_seconds, _), = post_in_parallel(app, [body])  # one request alone: the reference
        assert status == 200
        alone = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        results = post_in_parallel(app, [body] * 8)
        together = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] * 3 + [503] * 5, statuses
    for status, seconds, response in results:
        if status == 503:
            # at once, against fills of 0.3 s each (generous for a shared CI machine)
            assert seconds < 3.0, f"a refusal took {seconds:.2f} s"
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"].startswith("the server is busy: one fill running and 2 waiting")
        else:  # at most two turns ahead of it
            assert seconds < max(3 * alone_seconds + 1, 5.4), f"a fill took {seconds:.2f} s ({alone_seconds:.2f} alone)"
    assert model.most_at_once == 1 and decoding.most == 1 and admitted.most <= 3
    assert together < 1.5 * alone + 3 * len(body["image"]) * 3, (together, alone)
    print(f"\n8 parallel uploads: traced peak {together / 1e6:.1f} MB (one alone {alone / 1e6:.1f} MB), "
          f"latencies {sorted(round(seconds, 2) for _, seconds, _ in results)} s")
    assert budget.admitted == 0


def test_a_server_with_no_queue_refuses_the_second_request_while_it_fills():
    model = RecordingModel(pause=0.4)
    results = post_in_parallel(create_app(model, max_waiting=0), [fill_request(), fill_request()])
    assert sorted(status for status, _, _ in results) == [200, 503]
    refused = next(response for status, _, response in results if status == 503)
    assert "one fill running and 0 waiting" in refused.json()["error"] and "retry-after" in refused.headers


@pytest.mark.slow
def test_the_time_limit_answers_504_in_the_model_and_503_while_waiting():
    model = RecordingModel(pause=1.2)
    app = create_app(model, max_waiting=2, timeout=0.4)
    results = post_in_parallel(app, [fill_request(), fill_request()])
    by_status = {status: (seconds, response) for status, seconds, response in results}
    assert sorted(by_status) == [503, 504], [status for status, _, _ in results]
    seconds, slow = by_status[504]
    assert seconds < 1.0 and slow.json()["error"].startswith("the fill took more than 0.4 s, this server's limit")
    seconds, waited = by_status[503]
    assert seconds < 1.0 and "this request waited 0.4 s for the model" in waited.json()["error"]
    assert "retry-after" in waited.headers and "retry-after" in slow.headers
    deadline = time.monotonic() + 5
    while app.state.budget.admitted and time.monotonic() < deadline:  # the model finishes what it started
        time.sleep(0.05)
    assert app.state.budget.admitted == 0 and len(model.calls) == 1  # the waiting one never reached the model
    model.pause = 0.0
    assert TestClient(app).post("/api/fill", json=fill_request()).status_code == 200


def whole_reply(connection):
    """An HTTP reply read whole from `connection` (headers and body can arrive in separate reads)."""
    reply = b""
    while True:
        chunk = connection.recv(65536)
        reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")]
        if not chunk or (lengths and len(body) >= int(lengths[0])):
            return reply.decode("latin-1")


def test_an_upload_that_never_finishes_arriving_is_answered_408_and_leaves_its_place():
    from kinpaint.serve.app import background_server

    app = create_app(RecordingModel(), max_waiting=0, timeout=0.5)
    with background_server(app) as url:
        host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=60) as connection:
            connection.sendall(b"POST /api/fill HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 1000\r\n\r\n{\"image\": ")
            started = time.perf_counter()
            reply = whole_reply(connection)
        assert time.perf_counter() - started < 30  # answered, not left hanging (generous: CI machines are shared)
        assert reply.startswith("HTTP/1.1 408") and "the upload did not arrive within 0.5 s" in reply
        assert app.state.budget.admitted == 0
        assert TestClient(app).post("/api/fill", json=fill_request()).status_code == 200


@pytest.mark.parametrize("arguments, message", [
    ({"max_waiting": -1}, "max_waiting must be a whole number of at least 0"),
    ({"timeout": 0}, "timeout must be a number of seconds above 0"),
    ({"max_fill_pixels": 0}, "max_fill_pixels must be a number of at least 1"),
    ({"max_pixels": float("nan")}, "max_pixels must be a number of at least 1"),
])
def test_bad_budgets_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        create_app(RecordingModel(), **arguments)


# The Host check follows the address the server is bound to.


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost",
                                  pytest.param("::1", marks=pytest.mark.skipif(not ipv6_loopback(), reason="no ::1"))])
def test_only_requests_addressed_to_the_bound_host_and_port_are_answered(host):
    listening = app_module.listening_socket(host, 0)
    try:
        address, port = listening.getsockname()[:2]
        allowed = allowed_hosts_for(listening, host)
    finally:
        listening.close()
    literal = f"[{address}]" if ":" in address else address
    assert f"{literal}:{port}" in allowed and f"localhost:{port}" in allowed
    app = create_app(RecordingModel(), allowed_hosts=allowed)
    for base, status in ((f"http://{literal}:{port}", 200), (f"http://localhost:{port}", 200),
                         (f"http://rebound.example:{port}", 400), (f"http://{literal}:{port + 1}", 400),
                         ("http://rebound.example", 400)):
        response = TestClient(app, base_url=base).get("/api/model")
        assert response.status_code == status, (base, response.text)
    refused = TestClient(app, base_url=f"http://rebound.example:{port}").post("/api/fill", json=fill_request())
    assert refused.status_code == 400 and "Invalid host header" in refused.text


def test_a_host_name_is_answered_as_given_and_every_interface_has_no_list():
    listening = app_module.listening_socket("0.0.0.0", 0)
    try:
        assert allowed_hosts_for(listening, "0.0.0.0") is None
        assert "every network interface" in app_module.exposure_warning(listening)
    finally:
        listening.close()


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("127.0.0.2", False), ("localhost", False),
                                          ("0.0.0.0", True)])
def test_binding_anything_but_loopback_prints_a_warning(monkeypatch, host, warned):
    import uvicorn

    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets: served.append(server.config.app))
    lines = []
    serve(RecordingModel(), host=host, port=0, log=lines.append)
    warnings = [line for line in lines if "warning" in line]
    assert bool(warnings) == warned, lines
    if warned:
        assert warnings[0] == ("kinpaint serve: warning: listening on every network interface: other computers can "
                               "reach the page and any Host name is answered; anyone who reaches it can use the model, "
                               "with no password (--host 127.0.0.1 keeps it to this computer)")
    assert len(served) == 1


def test_the_command_line_takes_the_budget(monkeypatch, tmp_path, capsys):
    import uvicorn

    from kinpaint.models import FourierInpainter

    path = tmp_path / "tiny.keras"
    FourierInpainter(image_size=16, width=4, blocks=1, precision="float32").save(path)
    served = []
    monkeypatch.setattr(uvicorn.Server, "run",
                        lambda server, sockets: served.append((server.config.app, sockets[0].getsockname()[1])))
    assert main(["serve", "--model", str(path), "--port", "0", "--max-pixels", "5000", "--max-fill-pixels", "300",
                 "--max-waiting", "0", "--timeout", "7.5"]) == 0
    (app, port), = served
    info = TestClient(app, base_url=f"http://127.0.0.1:{port}").get("/api/model").json()
    assert (info["max_pixels"], info["max_fill_pixels"], info["max_waiting"], info["timeout_seconds"]) == (
        5000, 300, 0, 7.5)
    assert "warning" not in capsys.readouterr().out
    for flag, value in (("--max-pixels", "0"), ("--max-fill-pixels", "-5"), ("--max-waiting", "-1"),
                        ("--timeout", "nan")):
        with pytest.raises(SystemExit) as stop:
            main(["serve", "--port", "0", flag, value])
        assert stop.value.code == 2
        assert flag in capsys.readouterr().err


# Error replies carry no server path, command or object address.


LEAKY = ("could not open /home/alice/models/secret.keras via C:\\Users\\alice\\x.bin: Command '['gs', '-q', "
         "'-sDEVICE=ppmraw', '/tmp/tmp1234.eps']' returned non-zero exit status 1 "
         "(<tensorflow.python.eager.EagerTensor object at 0x7f3a2b1c9d10>, handle 0x55d0c0ffee00)\n"
         "  File \"/work/kinpaint/pictures.py\", line 12")


def test_public_message_strips_paths_commands_and_addresses():
    cleaned = public_message(LEAKY)
    for secret in ("/home/alice", "alice", "secret.keras", "gs'", "-sDEVICE", "/tmp/", "0x7f3a", "0x55d0", "File \""):
        assert secret not in cleaned, (secret, cleaned)
    assert cleaned == ("could not open <path> via <path>: <command> returned non-zero exit status 1 (<object>, "
                       "handle <object>)")
    assert public_message("the picture is 40x24, 0.00096 megapixels; at most 0.0005 (a/b is fine)") == (
        "the picture is 40x24, 0.00096 megapixels; at most 0.0005 (a/b is fine)")


@pytest.mark.parametrize("error, status", [(RuntimeError(LEAKY), 500), (ValueError(LEAKY), 400),
                                           (OSError(2, "No such file or directory", "/srv/kinpaint/weights.h5"), 500)])
def test_error_replies_carry_no_path_command_or_address(error, status):
    client = TestClient(create_app(RecordingModel(error=error)), raise_server_exceptions=False)
    response = client.post("/api/fill", json=fill_request())
    assert response.status_code == status
    text = response.json()["error"]
    for secret in ("/home/alice", "/srv/kinpaint", "/tmp/", "gs'", "0x7f3a", "\n"):
        assert secret not in text, (secret, text)
    assert text.startswith("the model could not fill this picture: " if status == 500 else "could not open <path>")


def test_an_unknown_upload_is_not_named_by_its_object_address():
    response = TestClient(create_app(RecordingModel())).post(
        "/api/fill", json=fill_request(image=file_url(b"hello, not a picture")))
    assert response.status_code == 400
    assert response.json()["error"] == ("the picture is not a picture this server can read (unreadable or truncated "
                                        "image: not a PNG, JPEG, WebP, BMP, TIFF or GIF file)")
