"""`kinpaint serve`: a local web page to paint a hole in a picture and fill it with a model.

`create_app(model)` builds the ASGI app (Starlette); `serve(model)` runs it with uvicorn on
127.0.0.1; either takes one model or several, which the page chooses between. Both need the
`serve` extra (`pip install "kinpaint[serve]"`); importing this package does not, and imports
nothing heavy (the command line reads the defaults below).
"""

import importlib

DEFAULT_MAX_UPLOAD_MB = 32  # the largest request body, in MiB
DEFAULT_MAX_PIXELS = 50_000_000  # the largest picture: a 48-megapixel phone photograph fits
DEFAULT_MAX_FILL_PIXELS = 1024 * 1024  # the most pixels the model fills at once: a picture filled whole, or the
# hole's box with its context (kinpaint.pictures.hole_crop); the same megapixel up to which pictures are filled whole
DEFAULT_MAX_WAITING = 4  # requests waiting for the model behind the one it fills; more get 503
DEFAULT_TIMEOUT = 120  # seconds from a request's arrival to its answer (waiting included)
DEFAULT_MODELS = ("photos", "photos-realistic")  # the shipped presets served without --model; the first is the default

__all__ = ["DEFAULT_MAX_FILL_PIXELS", "DEFAULT_MAX_PIXELS", "DEFAULT_MAX_UPLOAD_MB", "DEFAULT_MAX_WAITING",
           "DEFAULT_MODELS", "DEFAULT_TIMEOUT", "create_app", "serve"]


def __getattr__(name):
    if name in ("create_app", "serve"):
        return getattr(importlib.import_module("kinpaint.serve.app"), name)
    raise AttributeError(f"module 'kinpaint.serve' has no attribute {name!r}")
