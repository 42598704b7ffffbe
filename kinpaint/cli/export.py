"""`kinpaint export MODEL --format onnx --out model.onnx`: the fill as one graph for deployment."""

from kinpaint.cli.arguments import add_trust_flag, positive_int
from kinpaint.export import FORMATS


def add_parser(commands):
    parser = commands.add_parser(
        "export",
        help="write a model's fill as a SavedModel, TFLite or ONNX file that runs without kinpaint",
        description="One graph from image + mask (+ caption vector) to the filled picture, in the model's "
        "[-1, 1] range, with the prefill and the composite that keeps the known pixels; its endpoint is "
        "serve(image, mask[, caption]). See docs/export.md.",
    )
    parser.add_argument("model", help="a .keras file saved by kinpaint, or a preset's name (photos)")
    add_trust_flag(parser)
    parser.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    parser.add_argument("--out", required=True,
                        help="the SavedModel folder, or the .tflite / .onnx file, to write")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", nargs=2, type=positive_int, metavar=("H", "W"),
                      help="a graph for pictures of H x W pixels only (a ContextEncoder: its image size)")
    size.add_argument("--dynamic", action="store_true",
                      help="a graph for pictures of any size (a FourierInpainter; its default)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out (a SavedModel folder only if it holds nothing else; never "
                        "the model)")
    parser.set_defaults(run=run)


def run(args):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the converters' C++ progress notes, hundreds of lines
    from kinpaint.export import export_model, load_exported

    path = export_model(args.model, args.out, args.format, size=args.size, dynamic=args.dynamic or None,
                        force=args.force)
    exported = load_exported(path)
    size = "pictures of any size" if exported.size is None else f"{exported.size[0]}x{exported.size[1]} pictures"
    print(f"wrote {path} ({args.format} for {size}; endpoint serve({', '.join(exported.inputs)}))")
