"""The command line: argparse, dispatch and what each command prints.

The top layer: nothing imports it but ``seedlock.__main__`` and the ``seedlock`` script."""
