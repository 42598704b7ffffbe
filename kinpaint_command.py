"""The `kinpaint` command's launcher: imports the package without TensorFlow.

Python runs `kinpaint/__init__.py` before any of its modules, and that file imports
Keras to register kinpaint's classes. The command line must start fast (`kinpaint
--help`, `kinpaint info`), so this module, outside the package, asks the package to skip
that import; each sub-command imports what it needs when it runs.
"""

import os
import sys


def main(argv=None):
    os.environ["KINPAINT_COMMAND_LINE"] = "1"
    try:
        from kinpaint.cli.main import main as run
    finally:
        del os.environ["KINPAINT_COMMAND_LINE"]
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
