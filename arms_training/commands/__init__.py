"""One module per ``arms-training`` command: ``add_arguments(parser)`` and ``run(args) -> int``."""
