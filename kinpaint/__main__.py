import sys

from kinpaint.cli.main import main

sys.exit(main())
