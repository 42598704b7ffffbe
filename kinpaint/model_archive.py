"""A `.keras` archive checked before Keras reads it: what a hostile or damaged file could make
loading do (fill memory, build a model of absurd size) is refused here, naming the file.

- A member whose declared size is over `BOMB_RATIO` times what it takes in the archive, and
  over `BOMB_FLOOR` bytes, is a zip bomb (Keras stores members uncompressed).
- `config.json` must be a JSON object of at most `MAX_CONFIG_BYTES`.
- The sizes a config declares (`SIZE_LIMITS`: an image's side, a layer's width, a number of
  blocks, ...) must be whole numbers within their limit, and a model's widest layer squared
  times its blocks (roughly its weights) at most `MAX_WEIGHTS_ESTIMATE`: a config of absurd
  sizes would otherwise run out of memory, or build for hours, before its weights are read.
"""

import json
import zipfile

BOMB_RATIO = 100
BOMB_FLOOR = 64 * 2**20
MAX_CONFIG_BYTES = 16 * 2**20
_WIDTHS = ("width", "widths", "generator_widths", "discriminator_widths", "filters", "units", "caption_units",
           "gru_units", "hidden_dim", "intermediate_dim", "features", "noise_dim", "caption_dim", "output_dim",
           "bottleneck", "head")
_DEPTHS = ("blocks", "num_layers")
SIZE_LIMITS = {
    **dict.fromkeys(_WIDTHS, 4096),
    **dict.fromkeys(_DEPTHS, 256),
    "image_size": 4096, "coarse_side": 4096, "max_words": 4096, "length": 4096,
    "downsamples": 10, "kernel_size": 64,
}
MAX_WEIGHTS_ESTIMATE = 2**29  # the widest layer squared times the blocks: about a model's weights


class ModelArchiveError(ValueError):
    """A `.keras` file refused before Keras reads it; the message names the file."""


def check_model_archive(path):
    """Raise a `ValueError` naming `path` unless its archive is one Keras may read safely
    (see the module's docstring). Reads the zip directory and `config.json` only."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if member.file_size > max(BOMB_FLOOR, BOMB_RATIO * member.compress_size):
                raise ModelArchiveError(f"{path}: its member {member.filename!r} declares {member.file_size} bytes packed "
                                 f"into {member.compress_size} (a zip bomb); it is not read")
        try:
            member = archive.getinfo("config.json")
        except KeyError:
            raise ModelArchiveError(f"{path} is a damaged .keras file: it has no config.json") from None
        if member.file_size > MAX_CONFIG_BYTES:
            raise ModelArchiveError(f"{path}: its config.json declares {member.file_size} bytes, over the "
                             f"{MAX_CONFIG_BYTES} a model's settings take; it is not read")
        text = archive.read(member)
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ModelArchiveError(f"{path} is a damaged .keras file: its config.json is not JSON ({error})") from None
    if not isinstance(config, dict):
        raise ModelArchiveError(f"{path} is a damaged .keras file: its config.json is a JSON {type(config).__name__}, "
                         "not a model's settings")
    check_config_sizes(config, path)


def check_config_sizes(config, path):
    """Raise a `ValueError` naming `path` and the setting when a size in `config` (nested
    dicts and lists) is not a whole number within `SIZE_LIMITS`, or the model it declares
    would be too large (`MAX_WEIGHTS_ESTIMATE`)."""
    largest = {}
    pending = [config]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in SIZE_LIMITS and value is not None:
                for number in value if isinstance(value, list) else [value]:
                    _check_size(number, key, path)
                    largest[key] = max(largest.get(key, 0), number)
            elif isinstance(value, (dict, list)):
                pending.append(value)
    width = max((largest.get(key, 0) for key in _WIDTHS), default=0)
    depth = max([1] + [largest.get(key, 0) for key in _DEPTHS])
    if width * width * depth > MAX_WEIGHTS_ESTIMATE:
        raise ModelArchiveError(f"{path}: its config.json declares layers {width} wide in {depth} blocks, about "
                         f"{width * width * depth:.2g} weights; kinpaint loads models of up to about "
                         f"{MAX_WEIGHTS_ESTIMATE:.2g}")


def _check_size(number, key, path):
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= SIZE_LIMITS[key]:
        shown = repr(number) if len(repr(number)) <= 40 else repr(number)[:37] + "..."
        raise ModelArchiveError(f"{path}: its config.json gives {key!r} as {shown}; a whole number from 0 to "
                         f"{SIZE_LIMITS[key]} is expected")
