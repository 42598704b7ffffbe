"""Export a model's fill for deployment without kinpaint: one graph from image + mask (+ caption
vector) to the filled picture, as a TensorFlow SavedModel, a TFLite flat buffer or an ONNX file.

The graph holds what `model.inpaint` does around the network: the hole's content zeroed, the
picture padded by reflection to the network's stride (FourierInpainter), the prefill (the
harmonic fill's conjugate-gradient loop), the network, and the composite that keeps every
known pixel exactly. Each model writes its own graph (`export_function`) and says which sizes
it fills (`export_size`); its kind's entry (`kinpaint.model_kinds`) says why a kind is not
exported. Its endpoint is `serve(image, mask[, caption])`, Keras 3's
`model.export` convention: `image` float32 `(B, H, W, 3)` in [-1, 1], `mask` float32
`(B, H, W, 1)` (1 = known, 0 = hole), `caption` float32 `(B, D)` caption vectors for a model
that reads them (zeros: no caption); it returns the filled `(B, H, W, 3)`.

TFLite's built-in RFFT2D takes only powers of two and it has no IRFFT2D; tf2onnx converts
neither the FFT's complex ops nor IRFFT2D. For those two formats the graph is traced inside
`portable_layers(model)`: the Fourier convolutions' FFTs become products with DFT matrices
(`matrix_fourier_unit`, the same numbers within float32 rounding) and nearest upsampling a
nearest resize (the same pixels), so every operation is one the runtime has built in.
docs/export.md lists the measured differences and the limits.
"""

import contextlib
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

FORMATS = ("saved_model", "tflite", "onnx")
ENDPOINT = "serve"
ONNX_OPSET = 17
INPUT_NAMES = ("image", "mask", "caption")
OUTPUT_NAME = "output_0"  # the name Keras' ExportArchive gives a single output
FILE_SUFFIXES = {"tflite": ".tflite", "onnx": ".onnx"}  # what `load_exported` reads a file by
# What a SavedModel folder holds (TensorFlow's writers); `force` replaces a folder holding nothing else.
SAVED_MODEL_PARTS = ("saved_model.pb", "saved_model.pbtxt", "fingerprint.pb", "keras_metadata.pb", "assets",
                     "assets.extra", "variables")
# Largest |exported - model.inpaint| accepted on pictures in [-1, 1] (tests/test_export.py;
# benchmarks/export_check.py measures it): the SavedModel runs the same kernels; TFLite and
# ONNX differ by the DFT matrices' float32 rounding and their runtimes' convolution kernels.
TOLERANCES = {"saved_model": 1e-5, "tflite": 2e-4, "onnx": 2e-4}


def export_model(model, out, format="saved_model", size=None, dynamic=None, force=False):
    """Write `model`'s fill as one graph that runs without kinpaint; returns the path written.

    Args:
        model: a model of a kind that exports, such as a `FourierInpainter` or a
            `ContextEncoder` (caption vectors or none), a `.keras` path or a pretrained name
            (`kinpaint.pretrained_models.resolve_model`).
        out: the SavedModel folder, `.tflite` file or `.onnx` file to write (atomically:
            a temporary beside it, renamed into place); never the model's own file, nor a
            folder holding it.
        format: one of `FORMATS`.
        size: `(height, width)`: a graph for pictures of that size only (any batch).
        dynamic: a graph for pictures of any size (a FourierInpainter, not a ContextEncoder).
            By default the model's `export_size`: a FourierInpainter for any size, a
            ContextEncoder at its `image_size`.
        force: replace an existing `out` (a folder only if it holds a SavedModel and nothing else).

    The graph computes in float32: a mixed-precision model is rebuilt in float32 with its weights.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    out = Path(out)
    _check_out(out, format, force, model)
    from kinpaint.pretrained_models import resolve_model

    model = float32_model(_exportable(resolve_model(model)))
    fill = model.export_function(_export_size(model, size, dynamic))  # refusals come before any writing
    if format == "saved_model":
        with _replacing_folder(out) as temporary:
            _write_saved_model(model, fill, temporary, portable=False)
    elif format == "tflite":
        import tensorflow as tf

        with tempfile.TemporaryDirectory(prefix=".kinpaint-export-", dir=_folder_of(out)) as work:
            _write_saved_model(model, fill, work, portable=True)
            converter = tf.lite.TFLiteConverter.from_saved_model(work, signature_keys=[ENDPOINT])
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            _write_bytes(out, converter.convert())
    else:
        _write_bytes(out, _onnx_bytes(model, fill))
    return out


def matrix_fourier_unit(layer, reduced):
    """`layer.fourier_unit(reduced)` of a `FourierConvolution`, with the real 2-D FFT and its
    inverse computed as products with DFT matrices built in the graph (cos and sin of
    `2 pi (k n mod N) / N`): `(B, H, W, C)` -> `(B, H, W, C)`, any H and W.

    The inverse is `irfft2d`'s: complex inverse over H, then the half spectrum over W with
    the zero-frequency (and, W even, the W/2) bins counted once and their imaginary parts
    ignored. O(H^2 W + H W^2) per channel against the FFT's O(H W log(H W)).
    """
    import tensorflow as tf

    height, width = tf.shape(reduced)[1], tf.shape(reduced)[2]
    bins = width // 2 + 1
    scale = tf.sqrt(tf.cast(height * width, tf.float32))
    x = tf.transpose(tf.cast(reduced, tf.float32), (0, 3, 1, 2)) / scale  # (B, C, H, W), "ortho" as the layer
    width_angles, height_angles = _dft_angles(width, bins, width), _dft_angles(height, height, height)
    cos_w, sin_w = tf.cos(width_angles), tf.sin(width_angles)  # (W, L), L = W // 2 + 1
    cos_h, sin_h = tf.cos(height_angles), tf.sin(height_angles)  # (H, H), symmetric
    rows_real, rows_imaginary = tf.matmul(x, cos_w), -tf.matmul(x, sin_w)  # FFT over W: (B, C, H, L)
    real = tf.matmul(cos_h, rows_real) + tf.matmul(sin_h, rows_imaginary)  # then over H: (B, C, H, L)
    imaginary = tf.matmul(cos_h, rows_imaginary) - tf.matmul(sin_h, rows_real)
    spectrum = tf.transpose(tf.concat([real, imaginary], axis=1), (0, 2, 3, 1))  # (B, H, L, 2C)
    parts = tf.transpose(layer.spectral(spectrum), (0, 3, 1, 2))  # (B, 2C, H, L)
    real, imaginary = tf.split(parts, 2, axis=1)
    inverse_height = 1.0 / tf.cast(height, tf.float32)  # complex inverse over H
    columns_real = (tf.matmul(cos_h, real) - tf.matmul(sin_h, imaginary)) * inverse_height
    columns_imaginary = (tf.matmul(sin_h, real) + tf.matmul(cos_h, imaginary)) * inverse_height
    frequencies = tf.range(bins)
    once = tf.logical_or(tf.equal(frequencies, 0), tf.equal(2 * frequencies, width))
    weights = tf.where(once, 1.0, 2.0) / tf.cast(width, tf.float32)  # (L,): a Hermitian half spectrum
    spatial = (tf.matmul(columns_real, cos_w * weights, transpose_b=True)
               - tf.matmul(columns_imaginary, sin_w * weights, transpose_b=True))  # (B, C, H, W)
    spatial = tf.transpose(spatial * scale, (0, 2, 3, 1))  # (B, H, W, C)
    return tf.ensure_shape(tf.cast(spatial, reduced.dtype), reduced.shape)


@contextlib.contextmanager
def portable_layers(model):
    """Within the block, `model`'s fill traces to operations every runtime has built in: its
    Fourier convolutions' FFTs as DFT-matrix products (`matrix_fourier_unit`), its nearest
    `UpSampling2D` as a nearest-neighbour resize (the same pixels; the repeat-and-reshape of
    Keras' layer loses static shapes in the TFLite converter, which then leaves the next
    convolution unconverted), and the harmonic fill's solver inline rather than as a function
    call. Trace a function there to keep them."""
    import keras

    from kinpaint.layers import FourierConvolution

    swapped = []
    for layer in getattr(getattr(model, "generator", None), "layers", []):
        if isinstance(layer, FourierConvolution):
            swapped.append((layer, "fourier_unit", _matrix_unit(layer)))
        elif (isinstance(layer, keras.layers.UpSampling2D) and layer.interpolation == "nearest"
              and layer.data_format == "channels_last"):
            swapped.append((layer, "call", _nearest_resize(layer)))
    for layer, name, replacement in swapped:
        object.__setattr__(layer, name, replacement)
    try:
        yield
    finally:
        for layer, name, _ in swapped:
            object.__delattr__(layer, name)


def load_exported(path):
    """An exported file or folder, ready to `inpaint(images, masks, captions=None)` (NumPy in
    and out, as a model's): a SavedModel folder with TensorFlow, a `.tflite` file with the
    TFLite interpreter, an `.onnx` file with onnxruntime."""
    return ExportedInpainter(path)


class ExportedInpainter:
    """Runs an exported fill with its own runtime; answers `kinpaint.inpainting.Inpainter`.

    Attributes: `format` (one of `FORMATS`), `inputs` (the endpoint's input names), `size`
    (`(height, width)` for a fixed-size graph, else `None`), `caption_dim`.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"exported model not found: {self.path}")
        if self.path.is_dir():
            self.format = "saved_model"
            if not (self.path / "saved_model.pb").exists():
                raise ValueError(f"{self.path} is a folder without saved_model.pb, not a SavedModel")
            import tensorflow as tf

            self._loaded = tf.saved_model.load(str(self.path))  # holds the variables the signature reads
            if ENDPOINT not in self._loaded.signatures:
                raise ValueError(f"{self.path} has no '{ENDPOINT}' endpoint (it has {sorted(self._loaded.signatures)}); "
                                 "it was not written by kinpaint export")
            self._function = self._loaded.signatures[ENDPOINT]
            shapes = {name: spec.shape.as_list() for name, spec in self._function.structured_input_signature[1].items()}
        elif self.path.suffix == ".tflite":
            self.format = "tflite"
            self._runner = _tflite_interpreter(self.path).get_signature_runner(ENDPOINT)
            shapes = {name: list(detail["shape_signature"]) for name, detail in self._runner.get_input_details().items()}
        elif self.path.suffix == ".onnx":
            self.format = "onnx"
            onnxruntime = _require("onnxruntime", "to run .onnx files")
            self._session = onnxruntime.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
            shapes = {item.name: list(item.shape) for item in self._session.get_inputs()}
        else:
            raise ValueError(f"{self.path}: not an exported model (a SavedModel folder, a .tflite or an .onnx file)")
        self.inputs = tuple(name for name in INPUT_NAMES if name in shapes)
        height, width = shapes["image"][1:3]
        fixed = all(isinstance(side, (int, np.integer)) and side > 0 for side in (height, width))
        self.size = (int(height), int(width)) if fixed else None
        self.caption_dim = int(shapes["caption"][-1]) if "caption" in shapes else None

    def inpaint(self, images, masks, captions=None):
        """Fill the holes of `images` `(B, H, W, 3)` in [-1, 1] where `masks` `(B, H, W, 1)` is 0."""
        from kinpaint.inpainting import fill_inputs

        owner = f"the exported model {self.path.name}"
        images, masks = fill_inputs(images, masks, owner)  # the checks of a model's inpaint
        if self.size is not None and images.shape[1:3] != self.size:
            raise ValueError(f"{self.path} was exported for {self.size[0]}x{self.size[1]} pictures; got "
                             f"{images.shape[1]}x{images.shape[2]}")
        feeds = {"image": images, "mask": masks}
        if self.caption_dim is not None:
            from kinpaint.captions.batches import caption_batch

            feeds["caption"] = (np.zeros((len(images), self.caption_dim), np.float32) if captions is None
                                else caption_batch(captions, text=False, count=len(images), owner=owner,
                                                   caption_dim=self.caption_dim))
        elif captions is not None:
            raise ValueError(f"{self.path} reads no captions")
        if self.format == "saved_model":
            return self._function(**feeds)[OUTPUT_NAME].numpy()
        if self.format == "tflite":
            return self._runner(**feeds)[OUTPUT_NAME]
        return self._session.run([OUTPUT_NAME], feeds)[0]


# Models.


def _exportable(model):
    """`model`, unless its kind is not exported or it reads caption strings."""
    from kinpaint.model_kinds import kind_of_model, model_kinds
    from kinpaint.models import InpaintingModel

    name = type(model).__name__
    if not isinstance(model, InpaintingModel):
        exported = " or a ".join(kind.class_name for kind in model_kinds() if kind.not_exported is None)
        raise TypeError(f"export takes a {exported}, got {name}")
    kind = kind_of_model(model)
    if kind is not None and kind.not_exported is not None:
        raise ValueError(f"cannot export a {name}: {kind.not_exported}")
    if model.caption_encoder is not None:
        encoder = type(model.caption_encoder).__name__
        raise ValueError(f"cannot export a {name} that reads caption strings through its {encoder}: tokenising text "
                         "takes string ops that TFLite and ONNX do not run; export a model trained on caption "
                         "vectors (caption_dim=D), whose graph then takes the vectors")
    return model


def float32_model(model):
    """`model`, or a float32 copy with its weights when any layer computes in another dtype."""
    if all(layer.compute_dtype == "float32" for layer in model.generator.layers):
        return model
    copy = type(model).from_config({**model.get_config(), "precision": "float32"})
    copy.generator.set_weights(model.generator.get_weights())
    return copy


def _export_size(model, size, dynamic):
    """`(height, width)` of a fixed-size graph, or `None` for any size (the model's `export_size`)."""
    if size is not None and dynamic:
        raise ValueError("give a fixed size or dynamic=True (--size or --dynamic), not both")
    if size is not None:
        size = tuple(size)
        if len(size) != 2 or not all(isinstance(side, (int, np.integer)) and side >= 1 for side in size):
            raise ValueError(f"size must be (height, width), two integers of at least 1; got {size!r}")
        size = (int(size[0]), int(size[1]))
    return model.export_size(size, dynamic)


def _dft_angles(rows, columns, period):
    """`2 pi (k n mod period) / period` for `k < rows`, `n < columns`: `(rows, columns)` float32."""
    import tensorflow as tf

    products = tf.math.floormod(tf.range(rows)[:, None] * tf.range(columns)[None, :], period)
    return tf.cast(products, tf.float32) * (2.0 * math.pi / tf.cast(period, tf.float32))


def _matrix_unit(layer):
    return lambda reduced: matrix_fourier_unit(layer, reduced)


def _nearest_resize(layer):
    import tensorflow as tf

    def call(inputs):  # (B, H, W, C) -> (B, H * size[0], W * size[1], C), output pixel i <- input pixel i // size
        factors = tf.constant(layer.size, tf.int32)  # made in the graph: a captured tensor would become an input
        # Corner-aligned nearest neighbours pick the same pixels as half-pixel centres at an integer
        # factor; onnxruntime deprecates the "tf_half_pixel_for_nn" mode that the latter converts to.
        return tf.raw_ops.ResizeNearestNeighbor(images=inputs, size=tf.shape(inputs)[1:3] * factors,
                                                align_corners=False, half_pixel_centers=False)

    return call


# Writing.


def _write_saved_model(model, fill, folder, portable):
    """Write the SavedModel of `fill` (`model.export_function(size)`) into `folder`."""
    import keras

    function, signature = fill
    archive = keras.export.ExportArchive()
    archive.track(model)
    with portable_layers(model) if portable else contextlib.nullcontext():
        archive.add_endpoint(ENDPOINT, function, input_signature=signature)
        archive.write_out(os.fspath(folder), verbose=False)


def _onnx_bytes(model, fill):
    import tensorflow as tf

    tf2onnx = _require("tf2onnx", "to write .onnx files")
    function, signature = fill
    with portable_layers(model):
        function = tf.function(function, input_signature=signature, autograph=False)
        proto = None
        with _optimiser_errors_raised() as raising:
            try:
                proto, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=ONNX_OPSET)
            except Exception:  # noqa: BLE001  (converted again below, where an optimiser's failure is skipped)
                if not raising:
                    raise
        if proto is None:  # outside the `except`: an error that is not an optimiser's shows once, as tf2onnx's
            proto, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=ONNX_OPSET)
    _rename_tensor(proto.graph, proto.graph.output[0].name, OUTPUT_NAME)  # tf2onnx names it "Identity:0"
    return proto.SerializeToString()


@contextlib.contextmanager
def _optimiser_errors_raised():
    """tf2onnx deep-copies the whole graph before each pass of each of its optimisers, to fall
    back on it if the pass fails: 50 copies, 6.5 of 15 s for a 16x16 ContextEncoder with a
    harmonic prefill. Inside this block an optimiser's failure raises instead (the same graph
    when none fails); `_onnx_bytes` then converts again tf2onnx's own way. Yields whether it
    set `TF2ONNX_CATCH_ERRORS`: a value the user set is kept (tf2onnx 1.17 then raises on an
    optimiser's failure, whatever the value). The variable is the process's: another thread's
    tf2onnx conversion during the block raises where it would have skipped an optimiser."""
    name = "TF2ONNX_CATCH_ERRORS"
    if name in os.environ:
        yield False
        return
    os.environ[name] = "FALSE"
    try:
        yield True
    finally:
        os.environ.pop(name, None)


def _rename_tensor(graph, old, new):
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in graph.output:
        if value.name == old:
            value.name = new


def _check_out(out, format, force, model):
    """Refuse an `out` that is the model's file (or holds it), that `load_exported` would not
    read as `format`, or that holds what a SavedModel does not (even with `force`)."""
    from kinpaint.files import check_can_write, check_not_an_input

    check_not_an_input(out, {"model": model})
    if format != "saved_model" and out.is_dir():
        raise IsADirectoryError(f"{out} is a folder; --format {format} writes one file (e.g. model.{format})")
    if format != "saved_model" and out.suffix != FILE_SUFFIXES[format]:
        raise ValueError(f"--format {format} writes a {FILE_SUFFIXES[format]} file; --out {out} ends otherwise "
                         f"(e.g. {out.with_suffix(FILE_SUFFIXES[format]).name})")
    if format == "saved_model" and out.exists() and force:
        if not (out / "saved_model.pb").exists():
            raise FileExistsError(f"{out} exists and is not a SavedModel folder; refusing to replace it, even with "
                                  "--force")
        foreign = _not_saved_model_parts(out)
        if foreign:
            raise FileExistsError(f"{out} holds {foreign[0]}, which is not part of a SavedModel; refusing to replace "
                                  "the folder, even with --force: move it away or choose another --out")
    check_can_write(out, force)


def _not_saved_model_parts(folder):
    """The paths inside a SavedModel `folder` that are no part of one (`SAVED_MODEL_PARTS`;
    `variables/` holds its index and data shards only)."""
    foreign = [folder / name for name in sorted(os.listdir(folder)) if name not in SAVED_MODEL_PARTS]
    variables = folder / "variables"
    if variables.is_dir():
        foreign += [variables / name for name in sorted(os.listdir(variables))
                    if name != "variables.index" and not name.startswith("variables.data-")]
    return foreign


def _folder_of(path):
    folder = Path(path).absolute().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_bytes(path, data):
    from kinpaint.files import atomic_path

    with atomic_path(path) as temporary:
        Path(temporary).write_bytes(data)


@contextlib.contextmanager
def _replacing_folder(path):
    """Yield a temporary folder beside `path`; on success it replaces `path` (an older
    folder there is moved aside first and removed after), else it is removed."""
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=_folder_of(path)))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o777 & ~umask)  # an ordinary folder's permissions, not mkdtemp's private 0700
    try:
        yield temporary
        if path.exists():
            old = temporary.with_name(temporary.name + ".old")
            path.rename(old)
            temporary.rename(path)
            shutil.rmtree(old)
        else:
            temporary.rename(path)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)


def _tflite_interpreter(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice for ai_edge_litert
            return tf.lite.Interpreter(model_path=str(path))
    return Interpreter(model_path=str(path))


def _require(module, purpose):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModuleNotFoundError(f"{module} is needed {purpose}: pip install 'kinpaint[export]'") from None
