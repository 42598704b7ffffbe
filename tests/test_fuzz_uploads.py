"""Fuzz the web page's uploads (issue 35): seeded bad requests to `POST /api/fill`.

Random bytes, truncated and damaged pictures of every format the server reads, pictures that
declare huge sizes in a few bytes, other formats (EPS, PDF, SVG, ...) behind an image data URL,
wrong content types, malformed JSON and base64, oversized bodies. Each case must end in a PNG
of the picture's size whose unpainted pixels are the picture's (where the picture is known), or
in a clear refusal: the expected status, JSON `{"error": one line}` with no traceback, server
path or object address, the model never called, answered within ten seconds (an answer, not a
hang); and no case may
reach Ghostscript. The verdicts per kind of case are printed at the end.
"""

import base64
import collections
import io
import json
import re
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette", reason="kinpaint serve needs the serve extra: pip install \".[serve]\"")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (in the test extra)")
from starlette.testclient import TestClient  # noqa: E402
from fuzz_tally import print_tally  # noqa: E402
from test_images import ghostscript_spy  # noqa: E402,F401  (the fixture)
from test_serve import RecordingModel, read_png  # noqa: E402

from kinpaint.serve.app import create_app  # noqa: E402

SEED = 35
HEIGHT, WIDTH = 24, 40
UPLOAD_MB = 0.5
SECONDS = 10.0  # an answer, not a hang: generous for a shared CI machine
ADDRESS = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{4,}")
SERVER_PATH = re.compile(r"(^|[\s'\"(])/(home|root|tmp|usr|work|srv|var|etc)\b|[A-Za-z]:\\")
INTERNALS = ("Traceback", "File \"", "object at", "NoneType", "has no attribute", "unsupported operand")
OK, CLEAR, BAD = "ok", "clear refusal", "bad"
REFUSE = "refuse"  # a case that must be refused (a fill is a bad verdict)
TALLY = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def verdicts(request):
    yield
    print_tally(request, "upload fuzz cases", "kind", TALLY, (OK, CLEAR, BAD), width=22)


# The valid inputs the cases start from.

RNG = np.random.default_rng(SEED)
PICTURE = RNG.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
MASK = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
MASK[6:16, 10:26] = 255
KNOWN = MASK.max(axis=-1) <= 127


def encoded(pixels, format, **options):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format, **options)
    return buffer.getvalue()


RASTER = {"PNG": encoded(PICTURE, "PNG"), "JPEG": encoded(PICTURE, "JPEG", quality=90),
          "WEBP": encoded(PICTURE, "WEBP", lossless=True), "BMP": encoded(PICTURE, "BMP"),
          "TIFF": encoded(PICTURE, "TIFF"), "GIF": encoded(PICTURE, "GIF")}
MASK_PNG = encoded(MASK, "PNG")


def url(data, media_type="image/png"):
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def body(image=None, mask=None, **more):
    return {"image": url(RASTER["PNG"]) if image is None else image,
            "mask": url(MASK_PNG) if mask is None else mask, **more}


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width, height, mode=2):
    header = struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        png_chunk(b"IEND", b"")


def patched(data, offset, fmt, *values):
    data = bytearray(data)
    struct.pack_into(fmt, data, offset, *values)
    return bytes(data)


def jpeg_declaring(width, height):
    data = RASTER["JPEG"]
    start = data.index(b"\xff\xc0")
    return patched(data, start + 5, ">HH", height, width)


# The cases: (kind, id, request for TestClient.post, statuses a refusal may have, and the pixels a fill
# must keep, or REFUSE where no fill is right, or None where either is).


def cases():
    rng = np.random.default_rng(SEED)
    found = []

    def case(kind, name, request, refusals, expected=None):
        found.append(pytest.param(kind, request, refusals, expected, id=f"{kind}-{name}"))

    for index in range(25):
        data = rng.bytes(int(rng.integers(1, 4096)))
        case("random bytes", f"picture{index}", {"json": body(image=url(data))}, {400, 413, 415}, REFUSE)
    for index in range(8):
        data = rng.bytes(int(rng.integers(1, 512)))
        case("random bytes", f"mask{index}", {"json": body(mask=url(data, "image/jpeg"))}, {400, 413, 415},
             REFUSE)
    for format, data in RASTER.items():
        for index in range(5):
            cut = int(rng.integers(0, len(data)))
            case("truncated picture", f"{format}{index}-at{cut}", {"json": body(image=url(data[:cut]))}, {400})
        for index in range(5):
            damaged = bytearray(data)
            for position in rng.integers(0, len(damaged), int(rng.integers(1, 8))):
                damaged[position] = int(rng.integers(0, 256))
            case("damaged picture", f"{format}{index}", {"json": body(image=url(bytes(damaged)))}, {400, 413, 415})
    sizes = [(9000, 9000), (50_000, 50_000), (2**31 - 1, 2**31 - 1), (1, 2**31 - 1), (0, 100), (65535, 65535)]
    sizes += [tuple(int(side) for side in rng.integers(8000, 2**24, 2)) for _ in range(6)]
    for width, height in sizes:
        case("huge declared size", f"png{width}x{height}", {"json": body(image=url(png_declaring(width, height)))},
             {400, 413}, REFUSE)
    for width, height in ((65535, 65535), (8000, 9000), (0, 0)):
        must = REFUSE if width else None  # a GIF's screen of 0x0 still holds its 40x24 frame
        case("huge declared size", f"jpeg{width}x{height}", {"json": body(image=url(jpeg_declaring(width, height)))},
             {400, 413}, must)
        case("huge declared size", f"gif{width}x{height}",
             {"json": body(image=url(patched(RASTER["GIF"], 6, "<HH", width, height)))}, {400, 413}, must)
        case("huge declared size", f"bmp{width}x{height}",
             {"json": body(mask=url(patched(RASTER["BMP"], 18, "<ii", width, height)))}, {400, 413}, must)
    case("huge declared size", "mask-png", {"json": body(mask=url(png_declaring(100_000, 100_000)))}, {413}, REFUSE)
    for media_type in ("text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
                       "image/png", "", "application/jsonp", "text/json"):
        case("wrong content type", media_type or "none",
             {"content": json.dumps(body()).encode(), "headers": {"content-type": media_type}}, {415}, REFUSE)
    for media_type in ("application/json; charset=utf-8", "Application/JSON"):
        case("wrong content type", media_type,
             {"content": json.dumps(body()).encode(), "headers": {"content-type": media_type}}, set(), PICTURE)
    for media_type in ("text/html", "image/gif", "application/postscript", "application/octet-stream"):
        case("wrong content type", f"data-url-{media_type}", {"json": body(image=url(RASTER["PNG"], media_type))},
             set(), PICTURE)
    for format in ("EPS", "PDF", "ICO", "PPM", "PCX", "SGI", "TGA", "JPEG2000", "QOI", "DDS", "XBM"):
        pixels = PICTURE if format != "XBM" else None
        image = Image.fromarray(PICTURE) if pixels is not None else Image.fromarray(PICTURE).convert("1")
        buffer = io.BytesIO()
        image.save(buffer, format=format)
        case("other format", format.lower(), {"json": body(image=url(buffer.getvalue()))}, {400, 415}, REFUSE)
        case("other format", f"{format.lower()}-mask", {"json": body(mask=url(buffer.getvalue()))}, {400, 415},
             REFUSE)
    for name, data in (("postscript", b"%!PS-Adobe-3.0\n/x 1 def showpage\n"),
                       ("eps-dos", b"\xc5\xd0\xd3\xc6" + bytes(28) + b"%!PS-Adobe-3.0 EPSF-3.0\n"),
                       ("svg", b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>"),
                       ("heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"),
                       ("zip", b"PK\x03\x04" + bytes(40)), ("psd", b"8BPS\x00\x01" + bytes(40))):
        case("other format", name, {"json": body(image=url(data))}, {400, 415}, REFUSE)
    structures = [None, 0, -1, 1e308, True, "", "x" * 5000, [], [1, 2], {}, {"a": "b"}, "data:", "data:,",
                  "data:image/png;base64", "data:image/png;base64,", "%%%%", "AAAA====", "AAA", "A" * 4001,
                  base64.urlsafe_b64encode(b"\xfb\xff" * 300).decode(), "\u00e9\u00e9\u00e9\u00e9",
                  " " + base64.b64encode(RASTER["PNG"]).decode()]
    for index, value in enumerate(structures):
        case("malformed json", f"image{index}", {"json": body(image=value if value is not None else "")}, {400},
             REFUSE)
        case("malformed json", f"mask{index}", {"json": body(mask=value if value is not None else "")}, {400},
             REFUSE)
    for index, captions in enumerate(([1], "text", {"a": 1}, [None], ["ok", ["nested"]], [" "], [""] * 3)):
        case("malformed json", f"captions{index}", {"json": body(captions=captions)}, {400}, PICTURE
             if captions == [""] * 3 else None)
    for index, choice in enumerate((0, True, [], {"a": 1}, "", "nope", "x" * 5000, "\u00e9\u00e9", " RecordingModel",
                                    "../RecordingModel")):
        case("malformed json", f"model{index}", {"json": body(model=choice)}, {400}, REFUSE)
    for name, choice in (("model-null", None), ("model-named", "RecordingModel")):
        case("malformed json", name, {"json": body(model=choice)}, set(), PICTURE)
    for name, raw in (("not-utf8", b"\xff\xfe{}"), ("cut", json.dumps(body()).encode()[:100]),
                      ("array", b"[1, 2, 3]"), ("number", b"42"), ("null", b"null"), ("empty", b""),
                      ("deep", b"[" * 100_000), ("deep-object", b'{"a":' * 50_000),
                      ("nan", b'{"image": NaN, "mask": Infinity}')):
        case("malformed json", name, {"content": raw, "headers": {"content-type": "application/json"}}, {400},
             REFUSE)
    big = b"{" + b" " * int(UPLOAD_MB * 2**20) + b"}"
    case("oversized body", "declared", {"content": big, "headers": {"content-type": "application/json"}}, {413},
         REFUSE)
    case("oversized body", "streamed", {"content": (big[start:start + 65536] for start in range(0, len(big), 65536)),
                                        "headers": {"content-type": "application/json"}}, {413}, REFUSE)
    return found


CASES = cases()


@pytest.fixture(scope="module")
def served():
    model = RecordingModel(image_size=8, fills_any_size=False, reads_captions=False)
    return model, TestClient(create_app(model, max_upload_mb=UPLOAD_MB), raise_server_exceptions=False)


def verdict(response, refusals, expected, calls_before, calls_after, seconds):
    """`(OK | CLEAR | BAD, why)` of one answer."""
    if seconds > SECONDS:
        return BAD, f"answered in {seconds:.1f} s"
    if response.status_code == 200:
        if isinstance(expected, str):
            return BAD, "filled, where it must be refused"
        if calls_after == calls_before:
            return BAD, "200 without a fill"
        result = read_png(response.content)
        if expected is not None and (result.shape != expected.shape
                                     or not np.array_equal(result[KNOWN], expected[KNOWN])):
            return BAD, "the unpainted pixels changed"
        return OK, ""
    if response.status_code not in refusals:
        return BAD, f"status {response.status_code}: {response.text[:300]}"
    try:
        message = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return BAD, f"not a JSON error: {response.text[:300]}"
    if not isinstance(message, str) or not message or "\n" in message or len(message) > 600:
        return BAD, f"not one line: {message!r}"
    for leak in (ADDRESS, SERVER_PATH):
        if leak.search(message):
            return BAD, f"leaks {leak.search(message)[0]!r}: {message}"
    if any(text in message for text in INTERNALS):
        return BAD, f"internals: {message}"
    if calls_after != calls_before:
        return BAD, "the model ran on a refused request"
    return CLEAR, ""


@pytest.mark.parametrize("kind, request_, refusals, expected", CASES)
def test_an_upload_gets_a_fill_or_a_clear_refusal(served, ghostscript_spy, kind, request_, refusals,  # noqa: F811
                                                  expected):
    model, client = served
    calls = len(model.calls)
    started = time.perf_counter()
    response = client.post("/api/fill", **request_)
    seconds = time.perf_counter() - started
    result, why = verdict(response, refusals, expected, calls, len(model.calls), seconds)
    if ghostscript_spy:
        result, why = BAD, f"reached the EPS plugin: {ghostscript_spy}"
    TALLY[kind][result] += 1
    assert result != BAD, why
    if kind == "other format" and response.status_code == 415:
        assert re.fullmatch(r"the (picture|mask) is in [\w ]+ format; this server reads only PNG, JPEG, WebP, BMP, "
                            r"TIFF and GIF", response.json()["error"]), response.json()["error"]


def test_the_cases_cover_each_kind():
    kinds = collections.Counter(case.values[0] for case in CASES)
    assert set(kinds) == {"random bytes", "truncated picture", "damaged picture", "huge declared size",
                          "wrong content type", "other format", "malformed json", "oversized body"}
    assert sum(kinds.values()) >= 200
