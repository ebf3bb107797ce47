"""One logging setup for the CLI and for every server worker process."""
from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO) -> None:
    """INFO and up to stderr; a no-op when the process has already configured logging.

    uvicorn's worker processes (`workers` > 1) are spawned without the CLI's setup, and
    Python's last-resort handler would drop the access log and every INFO line there.
    """
    logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
