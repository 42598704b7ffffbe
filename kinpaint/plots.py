"""Loss curves drawn with Pillow (no plotting library needed)."""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PANEL_WIDTH, PANEL_HEIGHT, MARGIN = 320, 200, 36
COLOURS = {"train": (31, 119, 180), "val": (255, 127, 14)}


def plot_history(history, path, columns=3):
    """Write a PNG with one panel per metric of a Keras `history` dict (`val_` lines overlaid).

    Args:
        history: `{"loss": [per epoch], "val_loss": [...], ...}`.
        path: the PNG to write (atomically).
    """
    from kinpaint.images import save_png

    names = [name for name in history if not name.startswith("val_") and len(history[name])]
    if not names:
        raise ValueError("history holds no metric to plot")
    rows = -(-len(names) // columns)
    canvas = Image.new("RGB", (PANEL_WIDTH * min(columns, len(names)), PANEL_HEIGHT * rows), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for index, name in enumerate(names):
        left, top = (index % columns) * PANEL_WIDTH, (index // columns) * PANEL_HEIGHT
        series = {"train": history[name], "val": history.get(f"val_{name}", [])}
        _panel(draw, font, left, top, name, {key: values for key, values in series.items() if len(values)})
    save_png(path, np.asarray(canvas))
    return path


def _panel(draw, font, left, top, title, series):
    values = np.concatenate([np.asarray(v, np.float64) for v in series.values()])
    values = values[np.isfinite(values)]
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    x0, y0 = left + MARGIN, top + 20
    x1, y1 = left + PANEL_WIDTH - 10, top + PANEL_HEIGHT - 22
    draw.rectangle([x0, y0, x1, y1], outline=(160, 160, 160))
    draw.text((x0, top + 4), title, fill="black", font=font)
    draw.text((left + 2, y0), f"{high:.3g}", fill=(90, 90, 90), font=font)
    draw.text((left + 2, y1 - 10), f"{low:.3g}", fill=(90, 90, 90), font=font)
    epochs = max(len(v) for v in series.values())
    draw.text((x0, y1 + 4), "epoch 1", fill=(90, 90, 90), font=font)
    draw.text((x1 - 50, y1 + 4), f"epoch {epochs}", fill=(90, 90, 90), font=font)
    for key, curve in series.items():
        points = [
            (x0 + (x1 - x0) * (i / max(epochs - 1, 1)), y1 - (y1 - y0) * ((float(v) - low) / (high - low)))
            for i, v in enumerate(curve) if np.isfinite(v)
        ]
        if len(points) > 1:
            draw.line(points, fill=COLOURS[key], width=2)
        for x, y in points:
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=COLOURS[key])
    if "val" in series:
        draw.text((x1 - 90, top + 4), "train", fill=COLOURS["train"], font=font)
        draw.text((x1 - 50, top + 4), "val", fill=COLOURS["val"], font=font)
