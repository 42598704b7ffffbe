"""The verdict table the fuzz files print when their tests end, also without `-s`."""

import contextlib


def print_tally(request, title, label, tally, verdicts, width):
    """Print `tally` (`{key: Counter(verdict -> cases)}`) as one row per key, a column per verdict.

    `title` heads the table, `label` names the key column (`width` characters wide).
    """
    if not tally:
        return
    lines = ["", f"{title} ({sum(sum(counts.values()) for counts in tally.values())} in all):",
             f"  {label:<{width}}{'cases':>6}  " + "  ".join(verdicts)]
    for key, counts in sorted(tally.items()):
        lines.append(f"  {key:<{width}}{sum(counts.values()):>6}  " + "  ".join(
            f"{counts[verdict]:>{len(verdict)}}" for verdict in verdicts))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        for line in lines:
            reporter.write_line(line) if reporter is not None else print(line)
