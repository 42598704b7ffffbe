"""The web app behind `kinpaint serve`: a page to paint a hole in a picture and a model that fills it.

Built on Starlette (a small, well-kept ASGI library) and served by uvicorn. The page
(`static/index.html`, `app.js`, `style.css`) is plain HTML and JavaScript: no build step, no
CDN, it works offline. It talks to two endpoints:

- `GET /api/model`: what the default model is, whether it reads captions, the server's
  limits, and `"models"`: each model the server offers, by name (the first is the default);
- `POST /api/fill`: JSON `{"image": data URL or base64 of the picture file, "mask": the same
  of a picture of the same size, white where to fill, "captions": [texts], "model": the name
  of one of the models (optional: the default)}` -> the filled picture as a PNG at the
  picture's own resolution; every unpainted pixel keeps its value.

Safe by default: `serve` binds 127.0.0.1 and answers only requests addressed to the address it
is bound to. Every request has a budget, checked before the work it bounds (`Budget`):

- a body above `max_upload_bytes` gets 413, counted while it is read;
- pictures are read as `kinpaint.images.load_image` reads files: raster formats only (PNG,
  JPEG, WebP, BMP, TIFF, GIF; an EPS never reaches Ghostscript), Pillow's decompression-bomb
  guard; one of more than `max_pixels` gets 413 from its header, before it is decoded;
- a mask for which a model that fills any size would fill more than `max_fill_pixels` at once
  (the picture up to a megapixel, else the hole's box with its context) gets 422 before the
  model runs;
- the models fill one request at a time (Keras models are not thread-safe) on one thread, where
  pictures are decoded only in their turn, so memory holds one decoded picture whatever the
  load; at most `max_waiting` requests wait behind it, and one more gets 503 with
  `Retry-After` at once, before its body is read;
- a request not answered within `timeout` seconds of its arrival gets 408 (its body had not
  arrived), 503 (still waiting) or 504 (in the model, which finishes the fill and drops it).

A bad upload gets a 4xx JSON `{"error": message}` that the page shows, an unexpected failure a
500 with a one-line message (the traceback goes to the server's log only); no reply carries a
server path, a command or an object's address (`public_message`); nothing is written to disk.
"""

import asyncio
import base64
import binascii
import contextlib
import io
import ipaddress
import json
import logging
import math
import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from kinpaint.images import READ_FORMATS_TEXT, ImageError, UnreadFormatError, open_picture, picture_rgb8, upright_size
from kinpaint.serve import (DEFAULT_MAX_FILL_PIXELS, DEFAULT_MAX_PIXELS, DEFAULT_MAX_UPLOAD_MB, DEFAULT_MAX_WAITING,
                            DEFAULT_MODELS, DEFAULT_TIMEOUT)

STATIC_FOLDER = Path(__file__).parent / "static"
SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data: blob:; connect-src 'self' blob:; "
                                  b"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
RAISE_THE_LIMIT = "kinpaint serve --max-upload-mb raises the limit"
FIRST_GUESS_SECONDS = 5.0  # the Retry-After of a busy server before any fill has been timed
LOG = logging.getLogger("kinpaint.serve")


class UploadError(ValueError):
    """A request the server refuses; `status` is its HTTP status, the message says why, and
    `retry_after` (seconds) goes in a `Retry-After` header where given."""

    def __init__(self, message, status=400, retry_after=None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def serve_extra_missing(error):
    return ModuleNotFoundError(f"kinpaint serve needs {error.name}, which is not installed: "
                               'pip install "kinpaint[serve]"')


# What an error reply may say: no path, command or object address of the server.
_ADDRESS = re.compile(r"<[^<>\n]{0,200}? at 0x[0-9a-fA-F]+>|\b0x[0-9a-fA-F]{6,}\b")
_COMMAND = re.compile(r"Command '\[.*?\]'|Command '[^'\n]*'|Command \[[^\]\n]*\]")
_PATH = re.compile(r"""(?<![\w.:/-])(?:[A-Za-z]:)?[\\/](?:[^\s'"<>|\\/:,;()\[\]]+[\\/])+[^\s'"<>|\\/:,;()\[\]]*""")
_LONGEST_MESSAGE = 500


def public_message(text):
    """`text` fit for an error reply: its first line, without file-system paths (`<path>`),
    commands (`<command>`) or object addresses (`<object>`), at most 500 characters."""
    line = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    line = _COMMAND.sub("<command>", line)
    line = _ADDRESS.sub("<object>", line)
    line = _PATH.sub("<path>", line)
    return line if len(line) <= _LONGEST_MESSAGE else line[: _LONGEST_MESSAGE - 1] + "…"


def megapixels(count):
    return f"{count / 1e6:.3g} megapixels"


def picture_error(error, what):
    """The `UploadError` for a `kinpaint.images.ImageError` of an upload called `what`."""
    if isinstance(error, UnreadFormatError):
        return UploadError(f"the {what} is in {error.format} format; this server reads only {READ_FORMATS_TEXT}", 415)
    if "decompression-bomb" in error.reason:
        return UploadError(f"the {what} has too many pixels to decode safely (Pillow's decompression-bomb guard)", 413)
    return UploadError(f"the {what} is not a picture this server can read ({error.reason}"
                       + (f": {error.detail})" if error.detail else ")"))


def picture_size(data, what, max_pixels=DEFAULT_MAX_PIXELS):
    """`(width, height)` of a picture file's bytes as the browser shows it (EXIF orientation
    applied), from its header alone (nothing is decoded), refusing (413) one of more than
    `max_pixels` pixels and (415) one in a format kinpaint does not read. `what` names the
    upload in errors."""
    try:
        with open_picture(io.BytesIO(data), f"the {what}") as image:
            width, height = upright_size(image)
    except ImageError as error:
        raise picture_error(error, what) from None
    if width * height > max_pixels:
        raise UploadError(f"the {what} is {width}x{height}, {megapixels(width * height)}; this server takes at "
                          f"most {max_pixels / 1e6:.3g} (kinpaint serve --max-pixels raises the limit)", 413)
    return width, height


def decode_picture(data, what, max_pixels=DEFAULT_MAX_PIXELS):
    """uint8 `(H, W, 3)` pixels of a picture file's bytes, and the conversions made.

    Decoded as `kinpaint.images.load_image` decodes files (PNG, JPEG, WebP, BMP, TIFF or GIF
    only, every mode to 8-bit RGB, upright as its EXIF orientation says, as the browser shows
    it; Pillow's decompression-bomb guard), with at most `max_pixels` pixels, checked from the
    header before decoding. `what` names the upload in errors.
    """
    picture_size(data, what, max_pixels)
    try:
        with open_picture(io.BytesIO(data), f"the {what}") as image:
            pixels, conversions = picture_rgb8(image, f"the {what}")
    except ImageError as error:
        raise picture_error(error, what) from None
    return np.asarray(pixels, np.uint8), conversions


def decode_base64(text, what):
    """The bytes of a data URL (`data:image/png;base64,...`) or of plain base64 text."""
    if text is None or text == "":
        raise UploadError(f"the request has no {what} (expected a data URL or base64 text)")
    if not isinstance(text, str):
        raise UploadError(f"the {what} is a JSON {json_kind(text)}, not a data URL or base64 text")
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if not header.endswith(";base64"):
            raise UploadError(f"the {what} is a data URL without base64 (starts {header[:40]!r})")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UploadError(f"the {what} is not valid base64 ({error})") from error


def json_kind(value):
    """What JSON calls the type of a parsed value."""
    return {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), "value")


def known_pixels(mask_pixels, shape):
    """`(H, W)` bool, True where the mask picture is dark (known) and False where any channel is
    above 127 (the hole), as `kinpaint inpaint --mask` reads masks; `shape` is the picture's."""
    known = mask_pixels.max(axis=-1) <= 127
    check_same_size(known, shape)
    if known.all():
        raise UploadError("the mask marks no pixel to fill: paint the hole first (white = fill)")
    return known


def check_same_size(known, shape):
    if known.shape != tuple(shape):
        raise UploadError(f"the mask is {known.shape[1]}x{known.shape[0]} but the picture is "
                          f"{shape[1]}x{shape[0]}; paint the mask on the picture itself")


def fill_area(known, downsamples=0):
    """`(height, width, whole)`: what `kinpaint.pictures.inpaint_full_resolution` hands a model
    that fills any size for this mask: the whole picture up to `WHOLE_PICTURE_PIXELS`, else
    the box around the hole with its context (`hole_crop`); the model's time and memory grow
    with it."""
    from kinpaint.pictures import CROP_MARGIN, WHOLE_PICTURE_PIXELS, hole_crop

    if known.size <= WHOLE_PICTURE_PIXELS:
        return *known.shape, True
    top, left, bottom, right = hole_crop(known, CROP_MARGIN, 2 ** int(downsamples))
    return bottom - top, right - left, False


def check_fill_area(known, max_fill_pixels, downsamples=0):
    """Refuse (422) a mask for which the model would fill more than `max_fill_pixels` pixels at once."""
    height, width, whole = fill_area(known, downsamples)
    if height * width <= max_fill_pixels:
        return
    if whole:
        what = f"the model fills this {width}x{height} picture whole, {megapixels(width * height)}"
        advice = "send a smaller picture"
    else:
        rows, columns = np.flatnonzero(~known.all(axis=1)), np.flatnonzero(~known.all(axis=0))
        what = (f"the painted hole spans {columns[-1] - columns[0] + 1}x{rows[-1] - rows[0] + 1} pixels; with the "
                f"context around it the model would fill {width}x{height}, {megapixels(width * height)}")
        advice = "paint a smaller hole, or fill it in parts"
    raise UploadError(f"{what}; this server fills at most {max_fill_pixels / 1e6:.3g} at once (kinpaint serve "
                      f"--max-fill-pixels raises the limit): {advice}", 422)


def encode_png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


class Upload:
    """A `/api/fill` request, parsed and checked from the pictures' headers (nothing decoded)."""

    def __init__(self, image, mask, captions, caption, shape, filler=None):
        self.image, self.mask, self.captions, self.caption = image, mask, captions, caption
        self.shape = shape  # (height, width) of the picture as shown
        self.filler = filler  # the `Filler` of the model chosen to fill it


def read_request(body):
    """The JSON object of a `/api/fill` body, or an `UploadError` saying why it is not one."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UploadError(f"the request is not JSON ({error})") from error
    except RecursionError:
        raise UploadError("the request is JSON nested too deeply to read (expected an object with image and "
                          "mask)") from None
    if not isinstance(request, dict):
        raise UploadError(f"the request is a JSON {json_kind(request)}, not an object with image and mask")
    return request


class Filler:
    """Fills uploads with one model, one request at a time.

    Args:
        model: a kinpaint model (anything with `inpainter()`), already loaded.
        max_pixels: the largest picture accepted.
        max_fill_pixels: the most pixels a model that fills any size may fill at once (`fill_area`).
        name: what the page calls the model (default: its class name).
        lock: the model's turn, shared by the models of one server (default: a lock of its own).
    """

    def __init__(self, model, max_pixels=DEFAULT_MAX_PIXELS, max_fill_pixels=DEFAULT_MAX_FILL_PIXELS, name=None,
                 lock=None):
        if not hasattr(model, "inpainter"):
            raise ValueError(f"{type(model).__name__} is not a kinpaint model (it has no inpainter()); kinpaint serve "
                             "fills with models saved by kinpaint")
        self.model = model
        self.name = name or type(model).__name__
        self.inpainter = model.inpainter()
        self.size = None if getattr(model, "fills_any_size", False) else model.image_size
        self.reads_captions = getattr(model, "caption_encoder", None) is not None
        self.max_pixels = positive_count(max_pixels, "max_pixels")
        self.max_fill_pixels = positive_count(max_fill_pixels, "max_fill_pixels")
        # the model's turn: held while a picture is decoded, filled and encoded
        self.lock = threading.Lock() if lock is None else lock

    def parse(self, body):
        """The `Upload` of a `/api/fill` JSON body: the picture and mask files' bytes, checked
        from their headers (format, at most `max_pixels`), and the captions."""
        return self.upload(read_request(body))

    def upload(self, request):
        """The `Upload` of a `/api/fill` request's JSON object (see `parse`)."""
        from kinpaint.captions.text import join_captions

        image = decode_base64(request.pop("image", None), "picture")
        width, height = picture_size(image, "picture", self.max_pixels)
        mask = decode_base64(request.pop("mask", None), "mask")
        picture_size(mask, "mask", self.max_pixels)
        captions = request.get("captions") or None
        if captions is not None and (not isinstance(captions, list) or not all(isinstance(c, str) for c in captions)):
            raise UploadError("captions must be a list of texts")
        caption = join_captions(captions, what="caption") if self.reads_captions and captions else None
        return Upload(image, mask, captions, caption, (height, width), self)

    def fill(self, upload):
        """The PNG bytes of the filled picture of an `Upload`, and headers telling how long the
        model took and what conversions were made. Call it holding `lock`."""
        from kinpaint.pictures import inpaint_full_resolution

        mask_pixels, _ = decode_picture(upload.mask, "mask", self.max_pixels)
        upload.mask = None
        known = known_pixels(mask_pixels, upload.shape)  # the picture's size from its header
        del mask_pixels
        if self.size is None:  # checked before the picture is decoded; a fixed-size model fills its own size
            check_fill_area(known, self.max_fill_pixels, getattr(self.inpainter, "downsamples", 0))
        pixels, notes = decode_picture(upload.image, "picture", self.max_pixels)
        upload.image = None
        check_same_size(known, pixels.shape[:2])
        if upload.captions and not self.reads_captions:
            notes.append("this model does not read captions; they were ignored")
        start = time.perf_counter()
        filled = inpaint_full_resolution(self.inpainter, pixels, known, self.size, upload.caption)
        seconds = time.perf_counter() - start
        headers = {"x-kinpaint-fill-seconds": f"{seconds:.3f}", "x-kinpaint-notes": "; ".join(notes)}
        return encode_png(filled), headers

    def describe(self):
        return {
            "name": self.name,
            "type": type(self.model).__name__,
            "reads_captions": self.reads_captions,
            "fills_any_size": self.size is None,
            "image_size": int(self.model.image_size) if hasattr(self.model, "image_size") else None,
        }


class Fillers:
    """The models one server offers, each by its name, the first the default: a request names
    one in its `"model"` field. They share one lock, so one model fills at a time (`Budget`
    runs every fill on one thread).

    Args:
        models: `{name: model}` of loaded kinpaint models, the default first.
        max_pixels, max_fill_pixels: as for `Filler`; the fill limit counts what the chosen
            model would fill (its own downsampling).
    """

    def __init__(self, models, max_pixels=DEFAULT_MAX_PIXELS, max_fill_pixels=DEFAULT_MAX_FILL_PIXELS):
        if not models:
            raise ValueError("no model to serve: give at least one")
        self.lock = threading.Lock()
        self.by_name = {name: Filler(model, max_pixels, max_fill_pixels, name, self.lock)
                        for name, model in models.items()}
        self.default = next(iter(self.by_name.values()))
        self.max_pixels, self.max_fill_pixels = self.default.max_pixels, self.default.max_fill_pixels

    def choices(self):
        """The models' names as a message lists them, the default marked."""
        names = [repr(name) for name in self.by_name]
        names[0] += " (the default)"
        return ", ".join(names)

    def chosen(self, name):
        """The `Filler` of the model a request names (`None`: the default)."""
        if name is None:
            return self.default
        if not isinstance(name, str):
            raise UploadError(f"the model is a JSON {json_kind(name)}, not a model's name; this server offers "
                              f"{self.choices()}")
        if name not in self.by_name:
            shown = name if len(name) <= 80 else name[:79] + "…"
            raise UploadError(f"unknown model {shown!r}; this server offers {self.choices()}")
        return self.by_name[name]

    def parse(self, body):
        """The `Upload` of a `/api/fill` JSON body for the model it names (`Filler.parse`)."""
        request = read_request(body)
        return self.chosen(request.pop("model", None)).upload(request)

    def fill(self, upload):
        """`Filler.fill` with the upload's model. Call it holding `lock`."""
        return upload.filler.fill(upload)

    def describe(self):
        """`Filler.describe` of each model, the default first."""
        return [filler.describe() for filler in self.by_name.values()]


def named_models(models, names=None):
    """`{name: model}` of what `create_app` is given: one model (called `names`, default its
    class name), a list of them (with a list of names, or their class names), or a dict of
    them by name. The first is the default; two models of one name are refused."""
    if isinstance(models, dict):
        if names is not None:
            raise ValueError("give the models' names either as the dict's keys or as name, not both")
        pairs = list(models.items())
    elif isinstance(models, (list, tuple)):
        if names is None:
            names = [None] * len(models)
        elif isinstance(names, str) or not isinstance(names, (list, tuple)) or len(names) != len(models):
            raise ValueError(f"name must be a list of {len(models)} names, one for each model, got {names!r}")
        pairs = list(zip(names, models))
    else:
        if names is not None and not isinstance(names, str):
            raise ValueError(f"name must be a text for one model, got {names!r}")
        pairs = [(names, models)]
    named = {}
    for name, model in pairs:
        if name is not None and not (isinstance(name, str) and name.strip()):
            raise ValueError(f"a model's name must be a non-empty text, got {name!r}")
        name = name or type(model).__name__
        if name in named:
            raise ValueError(f"two models are called {name!r}; give each its own name")
        named[name] = model
    if not named:
        raise ValueError("no model to serve: give at least one")
    return named


def positive_count(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value < math.inf:
        raise ValueError(f"{name} must be a number of at least 1, got {value!r}")
    return int(value)


class Turn:
    """One admitted request's place: whether the model started on it and whether its client
    stopped waiting (each side checks the other under `lock`)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = False
        self.abandoned = False


class Budget:
    """How much one server takes on at once, whichever of its models each request chooses:
    the request being filled and at most `max_waiting` behind it are admitted (their bodies
    read, their pictures' headers checked); one more is refused at once with a retry hint. The admitted requests' fills run one after
    the other on one thread of this budget's own (the model's turn: the pictures are decoded,
    filled and encoded there, so memory holds one decoded picture, and the same thread's memory
    is reused); a request leaves when its fill ends, or when its client stopped waiting before
    its turn came (a fill already in the model cannot be stopped, so it keeps its place until
    it ends).

    Thread-safe and shared by every event loop (the test client runs each request in its own).
    """

    def __init__(self, filler, max_waiting=DEFAULT_MAX_WAITING, timeout=DEFAULT_TIMEOUT):
        """`filler`: a `Filler` or `Fillers` (its `lock` and `fill(upload)`)."""
        if isinstance(max_waiting, bool) or not isinstance(max_waiting, int) or max_waiting < 0:
            raise ValueError(f"max_waiting must be a whole number of at least 0, got {max_waiting!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise ValueError(f"timeout must be a number of seconds above 0, got {timeout!r}")
        self.filler, self.max_waiting, self.timeout = filler, max_waiting, float(timeout)
        self.capacity = 1 + max_waiting
        self.lock = threading.Lock()
        self.admitted = 0
        self.typical_seconds = None  # a running mean of the last turns' lengths
        self.model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinpaint-fill")

    def admit(self):
        """Take a place, or raise `UploadError` 503 with a `Retry-After` when all are taken."""
        with self.lock:
            if self.admitted < self.capacity:
                self.admitted += 1
                return
            waiting = self.admitted - 1
        raise UploadError(f"the server is busy: one fill running and {waiting} waiting, the most it queues "
                          f"(kinpaint serve --max-waiting raises it); try again in {self.retry_after()} s",
                          503, self.retry_after())

    def leave(self):
        with self.lock:
            self.admitted -= 1

    def retry_after(self):
        """Seconds until a place is likely free: the turns ahead times a typical turn, 1 to `timeout`."""
        with self.lock:
            ahead = max(self.admitted, 1)
            typical = self.typical_seconds if self.typical_seconds is not None else FIRST_GUESS_SECONDS
        return int(min(max(math.ceil(ahead * typical), 1), math.ceil(self.timeout)))

    def submit(self, upload, turn):
        """Queue an admitted `Upload` for the model's thread; a `concurrent.futures.Future` of
        `Filler.fill`'s result, or of `None` where its client stopped waiting first. The request
        leaves the budget when the fill ends, or when the future is cancelled before it starts."""
        job = self.model_thread.submit(self._turn, upload, turn)
        job.add_done_callback(lambda done: self.leave() if done.cancelled() else None)
        return job

    def _turn(self, upload, turn):
        try:
            with turn.lock:
                if turn.abandoned:
                    return None
                turn.started = True
            start = time.monotonic()
            try:
                with self.filler.lock:
                    return self.filler.fill(upload)
            finally:
                seconds = time.monotonic() - start
                with self.lock:
                    previous = self.typical_seconds
                    self.typical_seconds = seconds if previous is None else 0.7 * previous + 0.3 * seconds
        finally:
            self.leave()

    def timed_out(self, turn):
        """The `UploadError` for a request whose deadline passed: 503 while it waited, 504 in the model."""
        with turn.lock:
            turn.abandoned = True
            started = turn.started
        if started:
            return UploadError(f"the fill took more than {self.timeout:g} s, this server's limit (kinpaint serve "
                               "--timeout raises it); the model finishes it and drops it, so paint a smaller hole "
                               "or try again later", 504, self.retry_after())
        return UploadError(f"the server is busy: this request waited {self.timeout:g} s for the model (kinpaint serve "
                           f"--timeout raises the limit); try again in {self.retry_after()} s", 503, self.retry_after())

    def close(self):
        self.model_thread.shutdown(wait=False, cancel_futures=True)


class SecurityHeaders:
    """ASGI middleware adding `SECURITY_HEADERS` to every response (the page runs no inline
    script and loads nothing from elsewhere)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def split_host(text):
    """`(name, port)` of a `Host` header or an allowed host (`name`, `name:port`, `[v6]:port`):
    the name in lower case without brackets, the port an int or `None` when absent; `None` for
    a malformed one."""
    text = text.strip().lower()
    match = re.fullmatch(r"\[([0-9a-f:.%]+)\](?::(\d{1,5}))?|([^:\[\]/@\s]+)(?::(\d{1,5}))?", text)
    if not match:
        return None
    name, port = (match[1], match[2]) if match[1] is not None else (match[3], match[4])
    return name, int(port) if port is not None else None


class HostCheck:
    """ASGI middleware answering only requests whose `Host` is one of `allowed` (`name` for any
    port, `name:port`, `[v6]:port`), 400 otherwise: a web page elsewhere cannot reach a
    loopback server through DNS rebinding (its requests name the attacker's host). A `Host`
    without a port means port 80."""

    def __init__(self, app, allowed):
        self.app = app
        self.allowed = []
        for entry in allowed:
            parsed = split_host(entry)
            if parsed is None:
                raise ValueError(f"allowed_hosts: {entry!r} is not a host name, a host:port or an [IPv6]:port")
            self.allowed.append(parsed)

    def accepts(self, host):
        parsed = split_host(host or "")
        if parsed is None:
            return False
        name, port = parsed
        port = 80 if port is None else port
        return any(name == allowed and (allowed_port is None or port == allowed_port)
                   for allowed, allowed_port in self.allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = next((value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"host"), "")
        if self.accepts(host):
            return await self.app(scope, receive, send)
        from starlette.responses import PlainTextResponse

        response = PlainTextResponse("Invalid host header: open the page at the address kinpaint serve printed",
                                     status_code=400)
        return await response(scope, receive, send)


async def read_body(request, limit):
    """The request body, refusing (413) one above `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise UploadError(f"the upload is {int(declared) / 2**20:.1f} MB; this server takes at most "
                          f"{limit / 2**20:g} MB ({RAISE_THE_LIMIT})", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadError(f"the upload is more than {limit / 2**20:g} MB, the most this server takes "
                              f"({RAISE_THE_LIMIT})", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def error_reply(error):
    from starlette.responses import JSONResponse

    headers = {"retry-after": str(error.retry_after)} if error.retry_after is not None else None
    return JSONResponse({"error": public_message(error)}, status_code=error.status, headers=headers)


def create_app(model, max_upload_mb=DEFAULT_MAX_UPLOAD_MB, max_pixels=DEFAULT_MAX_PIXELS, allowed_hosts=None,
               name=None, max_fill_pixels=DEFAULT_MAX_FILL_PIXELS, max_waiting=DEFAULT_MAX_WAITING,
               timeout=DEFAULT_TIMEOUT):
    """The ASGI app of `kinpaint serve` for a loaded model, or for several the page chooses from.

    Args:
        model: a kinpaint model (`kinpaint.pretrained_models.resolve_model` loads one), a list
            of them, or a dict of them by name; the first is the default, which a request
            that names no model gets. Every model fills on the same thread, one at a time,
            within one budget.
        max_upload_mb: the largest request body, in MiB (the picture and mask travel as
            base64, about 4/3 of their file size).
        max_pixels: the largest picture accepted (checked from its header, before decoding).
        allowed_hosts: the `Host` headers accepted (`name` for any port, `name:port`,
            `[v6]:port`; a guard against DNS rebinding, which `serve` derives from the address it
            binds); `None` accepts any.
        name: what the page calls the model (default: its class name); for a list of models,
            a list of names, one for each.
        max_fill_pixels: the most pixels a model that fills any size may fill at once for one
            request: the picture where it is filled whole (up to a megapixel), else the box
            around the hole with its context (`fill_area`); a fixed-size model fills its size.
        max_waiting: requests that may wait for the model behind the one it fills; one more
            gets 503 with `Retry-After`.
        timeout: seconds from a request's arrival to its answer, waiting included; a later one
            gets 503 (still waiting) or 504 (in the model).
    """
    try:
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.middleware import Middleware
        from starlette.responses import FileResponse, JSONResponse, Response
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles
    except ModuleNotFoundError as error:
        raise serve_extra_missing(error) from error

    if isinstance(max_upload_mb, bool) or not (isinstance(max_upload_mb, (int, float)) and max_upload_mb > 0):
        raise ValueError(f"max_upload_mb must be a number above 0, got {max_upload_mb!r}")
    filler = Fillers(named_models(model, name), max_pixels, max_fill_pixels)
    budget = Budget(filler, max_waiting, timeout)
    limit = int(max_upload_mb * 2**20)
    description = {**filler.default.describe(), "max_upload_bytes": limit, "max_pixels": filler.max_pixels,
                   "max_fill_pixels": filler.max_fill_pixels, "max_waiting": budget.max_waiting,
                   "timeout_seconds": budget.timeout, "models": filler.describe()}

    async def page(request):
        return FileResponse(STATIC_FOLDER / "index.html", media_type="text/html")

    async def model_info(request):
        return JSONResponse(description)

    async def fill(request):
        deadline = time.monotonic() + budget.timeout
        try:
            origin = request.headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
                raise UploadError(f"requests from another site ({origin}) are refused", 403)
            if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                raise UploadError("send the picture and mask as JSON (Content-Type: application/json)", 415)
            budget.admit()
            submitted = False
            try:
                try:
                    body = await asyncio.wait_for(read_body(request, limit), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    raise UploadError(f"the upload did not arrive within {budget.timeout:g} s, this server's limit "
                                      "(kinpaint serve --timeout raises it)", 408) from None
                upload = await run_in_threadpool(filler.parse, body)  # JSON and the pictures' headers
                del body
                turn = Turn()
                job = budget.submit(upload, turn)
                submitted = True  # the job leaves the budget
                del upload
                try:
                    result = await asyncio.wait_for(asyncio.wrap_future(job), max(deadline - time.monotonic(), 0))
                except asyncio.TimeoutError:
                    raise budget.timed_out(turn) from None
            finally:
                if not submitted:
                    budget.leave()
            if result is None:
                raise budget.timed_out(turn)
            png, headers = result
        except UploadError as error:
            return error_reply(error)
        except (ValueError, TypeError) as error:
            return error_reply(UploadError(str(error)))
        except Exception as error:  # noqa: BLE001  (the page gets one line; the log gets the traceback)
            LOG.exception("the model failed on a request")
            return error_reply(UploadError(f"the model could not fill this picture: {type(error).__name__}: {error}",
                                           500))
        return Response(png, media_type="image/png", headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            budget.close()

    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(HostCheck, allowed=list(allowed_hosts)))
    routes = [
        Route("/", page),
        Route("/api/model", model_info),
        Route("/api/fill", fill, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_FOLDER), name="static"),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.budget = budget
    return app


def listening_socket(host, port):
    """A TCP socket bound to `host:port` (port 0: a free one), or a `ValueError` saying why not."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be between 0 and 65535, got {port}")
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listening = socket.socket(family, kind, protocol)
    except OSError as error:
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
    except OSError as error:
        listening.close()
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    return listening


def url_of(listening):
    """`http://HOST:PORT` of a bound socket (an IPv6 address in brackets)."""
    host, port = listening.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bound_address(listening):
    """The `ipaddress` address a socket is bound to, and its port."""
    host, port = listening.getsockname()[:2]
    return ipaddress.ip_address(host.split("%")[0]), port


def allowed_hosts_for(listening, host=None):
    """The `Host` headers to accept on a bound socket: its own address and port, `localhost` too
    where the address is a loopback one, and `host` as given where it is a name (so a web page
    elsewhere cannot reach the server by DNS rebinding); `None` (any) where it listens on every
    interface, which no list of names covers."""
    address, port = bound_address(listening)
    if address.is_unspecified:
        return None
    names = [f"[{address}]" if address.version == 6 else str(address)]
    if address.is_loopback:
        names.append("localhost")
    if host:
        try:
            ipaddress.ip_address(host.strip("[]").split("%")[0])
        except ValueError:
            names.append(host.lower())
    return [f"{name}:{port}" for name in dict.fromkeys(names)]


def exposure_warning(listening):
    """A warning line where the socket is reachable from other computers, else `None`."""
    address, _ = bound_address(listening)
    if address.is_loopback:
        return None
    where = ("every network interface: other computers can reach the page and any Host name is answered"
             if address.is_unspecified else f"{address}, which other computers can reach")
    return (f"kinpaint serve: warning: listening on {where}; anyone who reaches it can use the model, with no "
            "password (--host 127.0.0.1 keeps it to this computer)")


def serve(model=None, host="127.0.0.1", port=8000, max_upload_mb=DEFAULT_MAX_UPLOAD_MB,
          max_pixels=DEFAULT_MAX_PIXELS, log=print, max_fill_pixels=DEFAULT_MAX_FILL_PIXELS,
          max_waiting=DEFAULT_MAX_WAITING, timeout=DEFAULT_TIMEOUT):
    """Serve the page for `model` until Ctrl-C.

    Args:
        model: a `.keras` path, a preset's name or a loaded model (see
            `kinpaint.pretrained_models.resolve_model`), a list of them for a page that
            chooses between them (the first is the default), or `None` for the shipped presets
            `DEFAULT_MODELS` (`photos`, the default, and `photos-realistic`); each loaded once.
            The page calls a preset by its name and a file by its file name.
        host, port: where to listen (127.0.0.1 by default: this computer only; port 0 picks
            a free port). Only requests addressed to that address and port (or `localhost` on
            a loopback address, or `host` itself when it is a name) are answered; an address
            other computers can reach gets a warning.
        max_upload_mb, max_pixels, max_fill_pixels, max_waiting, timeout: as for `create_app`.
        log: where the address and warnings go (a function of one string).
    """
    try:
        import uvicorn
    except ModuleNotFoundError as error:
        raise serve_extra_missing(error) from error
    from kinpaint.pretrained_models import resolve_model

    specs = list(DEFAULT_MODELS) if model is None else list(model) if isinstance(model, (list, tuple)) else [model]
    names = served_names(specs)
    listening = listening_socket(host, port)
    try:
        loaded = [resolve_model(spec) for spec in specs]
        models = named_models(loaded, [name or type(each).__name__ for name, each in zip(names, loaded)])
        app = create_app(models, max_upload_mb, max_pixels, allowed_hosts_for(listening, host),
                         max_fill_pixels=max_fill_pixels, max_waiting=max_waiting, timeout=timeout)
        warning = exposure_warning(listening)
        if warning:
            log(warning)
        log(f"kinpaint serve: {', '.join(models)} on {url_of(listening)}/ (Ctrl-C stops)")
        server = uvicorn.Server(uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=5))
        server.run(sockets=[listening])
    finally:
        listening.close()


def served_names(specs):
    """What the page calls each of `serve`'s models: a preset by its name, a file by its file
    name (by the path given where two files share a name), a loaded model `None` (its class
    name); a model given twice is refused."""
    from kinpaint.pretrained_models import preset_name

    def name_of(spec, whole=False):
        if not isinstance(spec, (str, os.PathLike)):
            return None
        return preset_name(spec) or (os.fspath(spec) if whole else os.path.basename(os.fspath(spec)))

    names = [name_of(spec) for spec in specs]
    shared = {name for name in names if name is not None and names.count(name) > 1}
    names = [name_of(spec, whole=name in shared) for spec, name in zip(specs, names)]
    for name in names:
        if name is not None and names.count(name) > 1:
            raise ValueError(f"the model {name!r} is given twice; give each model once")
    return names


@contextlib.contextmanager
def background_server(app, host="127.0.0.1", port=0):
    """Serve `app` with uvicorn in a background thread while the block runs; yields its URL
    (`http://127.0.0.1:PORT`, a free port by default). For tests, benchmarks and notebooks."""
    import uvicorn

    listening = listening_socket(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield url_of(listening)
    finally:
        server.should_exit = True
        thread.join(10)
        listening.close()
