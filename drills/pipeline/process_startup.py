"""How the ingest API and the producer start: ``--config FILE``, log lines to stderr, the typed config
loaded once.

Both are launched the same way (``python -m drills.pipeline.X --config X.json``), so the start-up
lives here and they cannot drift apart. The processor, which ships as a container, is configured by
its environment instead (``ProcessorConfig.from_environ`` in its entry point).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from drills.pipeline.config import M, load_config


def config_from_cli(model: type[M], module: str, description: str | None, argv: list[str] | None) -> M:
    """Parse ``--config`` for ``python -m <module>``, set up logging, load the file as ``model``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--config", type=Path, required=True, help=f"{model.__name__} JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    return load_config(model, args.config)
