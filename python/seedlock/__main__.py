"""``python -m seedlock`` is the ``seedlock`` command (``python/bin/seedlock``; a test keeps them alike)."""

import sys

if sys.argv[1:2] == ["run"]:
    # `seedlock run` starts before every wrapped command: no argparse, almost no imports.
    from .launching._launch_fast import launch

    launch(sys.argv[2:])  # returns only when argparse must read the options (--help, a misspelt one)

from .commands.cli import main

sys.exit(main())
