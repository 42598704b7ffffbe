"""The web app behind `kinpaint serve`: a page to paint a hole in a picture and a model that fills it.

Built on Starlette (a small, well-kept ASGI library) and served by uvicorn. The page
(`static/index.html`, `app.js`, `style.css`) is plain HTML and JavaScript: no build step, no
CDN, it works offline. It talks to two endpoints:

- `GET /api/model`: what the model is, whether it reads captions, the upload limits;
- `POST /api/fill`: JSON `{"image": data URL or base64 of the picture file, "mask": the same
  of a picture of the same size, white where to fill, "captions": [texts]}` -> the filled
  picture as a PNG at the picture's own resolution; every unpainted pixel keeps its value.

Safe by default: `serve` binds 127.0.0.1; a request body above `max_upload_bytes` gets 413;
pictures are decoded in memory as `kinpaint.images.load_image` decodes files (every format
Pillow reads, its decompression-bomb guard, at most `max_pixels`); a bad upload gets a 4xx
JSON `{"error": message}` that the page shows, an unexpected failure a 500 with a one-line
message (the traceback goes to the server's log only); nothing is written to disk. The model
fills one request at a time (Keras models are not thread-safe).
"""

import base64
import binascii
import contextlib
import io
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from kinpaint.serve import DEFAULT_MAX_PIXELS, DEFAULT_MAX_UPLOAD_MB

STATIC_FOLDER = Path(__file__).parent / "static"
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data: blob:; connect-src 'self' blob:; "
                                  b"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
RAISE_THE_LIMIT = "kinpaint serve --max-upload-mb raises the limit"
LOG = logging.getLogger("kinpaint.serve")


class UploadError(ValueError):
    """A request the server refuses; `status` is its HTTP status, the message says why."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def serve_extra_missing(error):
    return ModuleNotFoundError(f"kinpaint serve needs {error.name}, which is not installed: "
                               'pip install "kinpaint[serve]"')


def decode_picture(data, what, max_pixels=DEFAULT_MAX_PIXELS):
    """uint8 `(H, W, 3)` pixels of a picture file's bytes, and the conversions made.

    Decoded as `kinpaint.images.load_image` decodes files (any format Pillow reads, every mode
    to 8-bit RGB, upright as its EXIF orientation says, as the browser shows it; Pillow's
    decompression-bomb guard), with at most `max_pixels` pixels. `what` names the upload in errors.
    """
    from kinpaint.images import upright_rgb8

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise UploadError(f"the {what} is {width}x{height}, {width * height / 1e6:.3g} megapixels; this server "
                                  f"takes at most {max_pixels / 1e6:.3g}")
            image.load()
            pixels, conversions = upright_rgb8(image)
    except UploadError:
        raise
    except Image.DecompressionBombError as error:
        raise UploadError(f"the {what} has too many pixels to decode safely ({error})") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UploadError(f"the {what} is not a picture this server can read (unreadable or truncated: "
                          f"{error})") from error
    return np.asarray(pixels, np.uint8), conversions


def decode_base64(text, what):
    """The bytes of a data URL (`data:image/png;base64,...`) or of plain base64 text."""
    if not isinstance(text, str) or not text:
        raise UploadError(f"the request has no {what} (expected a data URL or base64 text)")
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if not header.endswith(";base64"):
            raise UploadError(f"the {what} is a data URL without base64 (starts {header[:40]!r})")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UploadError(f"the {what} is not valid base64 ({error})") from error


def known_pixels(mask_pixels, shape):
    """`(H, W)` bool, True where the mask picture is dark (known) and False where any channel is
    above 127 (the hole), as `kinpaint inpaint --mask` reads masks; `shape` is the picture's."""
    if mask_pixels.shape[:2] != tuple(shape):
        raise UploadError(f"the mask is {mask_pixels.shape[1]}x{mask_pixels.shape[0]} but the picture is "
                          f"{shape[1]}x{shape[0]}; paint the mask on the picture itself")
    known = mask_pixels.max(axis=-1) <= 127
    if known.all():
        raise UploadError("the mask marks no pixel to fill: paint the hole first (white = fill)")
    return known


def encode_png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


class Filler:
    """Fills uploads with one model, one request at a time.

    Args:
        model: a kinpaint model (anything with `inpainter()`), already loaded.
        max_pixels: the largest picture accepted.
    """

    def __init__(self, model, max_pixels=DEFAULT_MAX_PIXELS):
        if not hasattr(model, "inpainter"):
            raise ValueError(f"{type(model).__name__} is not a kinpaint model (it has no inpainter()); kinpaint serve "
                             "fills with models saved by kinpaint")
        self.model = model
        self.inpainter = model.inpainter()
        self.size = None if getattr(model, "fills_any_size", False) else model.image_size
        self.reads_captions = getattr(model, "caption_encoder", None) is not None
        self.max_pixels = int(max_pixels)
        self.lock = threading.Lock()

    def fill_request(self, body):
        """The PNG bytes of the filled picture of a `/api/fill` JSON body, and headers telling
        how long the model took and what conversions were made."""
        from kinpaint.captions.text import join_captions
        from kinpaint.pictures import inpaint_full_resolution

        try:
            request = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UploadError(f"the request is not JSON ({error})") from error
        if not isinstance(request, dict):
            raise UploadError(f"the request is a JSON {type(request).__name__}, not an object with image and mask")
        pixels, notes = decode_picture(decode_base64(request.get("image"), "picture"), "picture", self.max_pixels)
        mask_pixels, _ = decode_picture(decode_base64(request.get("mask"), "mask"), "mask", self.max_pixels)
        known = known_pixels(mask_pixels, pixels.shape[:2])
        captions = request.get("captions") or None
        if captions is not None and (not isinstance(captions, list) or not all(isinstance(c, str) for c in captions)):
            raise UploadError("captions must be a list of texts")
        caption = join_captions(captions, what="caption") if self.reads_captions else None
        if captions and not self.reads_captions:
            notes.append("this model does not read captions; they were ignored")
        with self.lock:
            start = time.perf_counter()
            filled = inpaint_full_resolution(self.inpainter, pixels, known, self.size, caption)
            seconds = time.perf_counter() - start
        headers = {"x-kinpaint-fill-seconds": f"{seconds:.3f}", "x-kinpaint-notes": "; ".join(notes)}
        return encode_png(filled), headers

    def describe(self, name=None):
        return {
            "name": name or type(self.model).__name__,
            "type": type(self.model).__name__,
            "reads_captions": self.reads_captions,
            "fills_any_size": self.size is None,
            "image_size": int(self.model.image_size) if hasattr(self.model, "image_size") else None,
        }


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


def create_app(model, max_upload_mb=DEFAULT_MAX_UPLOAD_MB, max_pixels=DEFAULT_MAX_PIXELS, allowed_hosts=None,
               name=None):
    """The ASGI app of `kinpaint serve` for a loaded model.

    Args:
        model: a kinpaint model (`kinpaint.pretrained_models.resolve_model` loads one).
        max_upload_mb: the largest request body, in MiB (the picture and mask travel as
            base64, about 4/3 of their file size).
        max_pixels: the largest picture accepted.
        allowed_hosts: the `Host` headers accepted (a guard against DNS rebinding when bound to
            127.0.0.1); `None` accepts any.
        name: what the page calls the model (default: its class name).
    """
    try:
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.middleware import Middleware
        from starlette.middleware.trustedhost import TrustedHostMiddleware
        from starlette.responses import FileResponse, JSONResponse, Response
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles
    except ModuleNotFoundError as error:
        raise serve_extra_missing(error) from error

    if not (isinstance(max_upload_mb, (int, float)) and max_upload_mb > 0):
        raise ValueError(f"max_upload_mb must be a number above 0, got {max_upload_mb!r}")
    filler = Filler(model, max_pixels)
    limit = int(max_upload_mb * 2**20)
    description = {**filler.describe(name), "max_upload_bytes": limit, "max_pixels": filler.max_pixels}

    async def page(request):
        return FileResponse(STATIC_FOLDER / "index.html", media_type="text/html")

    async def model_info(request):
        return JSONResponse(description)

    async def fill(request):
        try:
            origin = request.headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
                raise UploadError(f"requests from another site ({origin}) are refused", 403)
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise UploadError("send the picture and mask as JSON (Content-Type: application/json)", 415)
            body = await read_body(request, limit)
            png, headers = await run_in_threadpool(fill_or_explain, body)
        except UploadError as error:
            return JSONResponse({"error": str(error)}, status_code=error.status)
        return Response(png, media_type="image/png", headers=headers)

    def fill_or_explain(body):
        try:
            return filler.fill_request(body)
        except UploadError:
            raise
        except (ValueError, TypeError) as error:
            raise UploadError(str(error)) from error
        except Exception as error:  # noqa: BLE001  (the page gets one line; the log gets the traceback)
            LOG.exception("the model failed on a request")
            raise UploadError(f"the model could not fill this picture: {type(error).__name__}: {error}", 500) from error

    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    routes = [
        Route("/", page),
        Route("/api/model", model_info),
        Route("/api/fill", fill, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_FOLDER), name="static"),
    ]
    return Starlette(routes=routes, middleware=middleware)


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


def allowed_hosts_for(host):
    """The `Host` headers to accept when bound to `host`: the loopback names for 127.0.0.1 or
    localhost (so a web page elsewhere cannot reach the server by DNS rebinding), any otherwise."""
    return list(LOOPBACK_NAMES) if host in LOOPBACK_NAMES else None


def serve(model=None, host="127.0.0.1", port=8000, max_upload_mb=DEFAULT_MAX_UPLOAD_MB,
          max_pixels=DEFAULT_MAX_PIXELS, log=print):
    """Serve the page for `model` until Ctrl-C.

    Args:
        model: a `.keras` path, a pretrained name, a loaded model, or `None` for the default
            pretrained model (see `kinpaint.pretrained_models.resolve_model`); loaded once.
        host, port: where to listen (127.0.0.1 by default: this computer only; port 0 picks
            a free port).
        max_upload_mb, max_pixels: as for `create_app`.
        log: where the address goes (a function of one string).
    """
    try:
        import uvicorn
    except ModuleNotFoundError as error:
        raise serve_extra_missing(error) from error
    from kinpaint.pretrained_models import resolve_model

    listening = listening_socket(host, port)
    try:
        loaded = resolve_model(model)
        name = os.path.basename(os.fspath(model)) if isinstance(model, (str, os.PathLike)) else None
        app = create_app(loaded, max_upload_mb, max_pixels, allowed_hosts_for(host), name)
        log(f"kinpaint serve: {name or type(loaded).__name__} on {url_of(listening)}/ (Ctrl-C stops)")
        server = uvicorn.Server(uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=5))
        server.run(sockets=[listening])
    finally:
        listening.close()


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
