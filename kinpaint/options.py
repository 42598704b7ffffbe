"""The choices kinpaint's models, recipes and command line accept, in one TensorFlow-free place.

The command line builds its parser from these names without importing TensorFlow; the
library validates its arguments against the same tuples.
"""

# Models.
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
RECONSTRUCTIONS = ("l2", "l1", "log_l2")  # the context encoder's hole loss
PREFILLS = (None, "harmonic")  # what the context encoder corrects: nothing, or the harmonic fill
DCGAN_CONDITIONS = ("none", "generator", "both")  # which DCGAN networks see the caption
PIXEL_FILLS = ("mean", "mode", "sample")  # how the pixel inpainter reads its distribution
MASK_KINDS = ("centre", "rectangle", "strokes", "mixed")  # mixed: a third of each

# Captions.
CAPTION_SEPARATOR = " . "  # joins an image's captions into one text
TRAINING_CAPTION_POLICIES = ("random", "joined")  # one caption per step, or all of them joined
CAPTION_ENCODER_NAMES = "'minilm', 'chars', 'words:VECTORS.txt' or 'hub:SAVEDMODEL_DIR'"
CAPTION_CHOICES_HELP = (
    "'words' (learned word vectors), 'chars' (character CNN + GRU), 'none', or a frozen encoder: "
    "'minilm', 'words:VECTORS.txt', 'hub:DIR' (cached vectors are used when `prepare --embed` stored them)"
)

# Runs: the files a training run writes into its folder besides its model's (`kinpaint.model_kinds`).
HISTORY_FILE, CURVES_FILE, TABLE_FILE, GRIDS_FOLDER = "history.csv", "loss.png", "evaluation.md", "grids"
