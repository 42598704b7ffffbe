"""Evaluation: every way kinpaint measures a fill, in one place.

- `reported_metrics`: the one list of metrics an evaluation reports (`METRICS`), measured
  per image;
- `statistics`: means over images with 95% percentile-bootstrap intervals, and paired gaps;
- `inpainter`: `evaluate_inpainter`, any inpainter on a dataset's batches, streaming;
- `methods` and `comparison`: `evaluate` (`kinpaint evaluate`), every method on the same
  images and masks, with a caption ablation;
- `report`: `format_table`, and `evaluate`'s `results.md`, `results.csv` and `grid.png`;
- `runs`: a training run's closing table (`evaluate_run`, `evaluate_model`, `write_table`).
"""

from kinpaint.evaluation.comparison import Evaluation, evaluate, read_evaluation_data
from kinpaint.evaluation.inpainter import evaluate_inpainter
from kinpaint.evaluation.methods import Method, condition_captions, resolve_method
from kinpaint.evaluation.report import format_table, markdown, write_report
from kinpaint.evaluation.reported_metrics import METRICS
from kinpaint.evaluation.runs import evaluate_model, evaluate_run, write_table
from kinpaint.evaluation.statistics import bootstrap_interval, summarize

__all__ = ["METRICS", "Evaluation", "Method", "bootstrap_interval", "condition_captions", "evaluate",
           "evaluate_inpainter", "evaluate_model", "evaluate_run", "format_table", "markdown",
           "read_evaluation_data", "resolve_method", "summarize", "write_report", "write_table"]
