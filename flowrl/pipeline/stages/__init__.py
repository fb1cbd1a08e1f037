"""One module per Snakemake rule file (``workflow/rules/<rule>.smk``).

Each stage module owns its rule's work: the files it reads and writes (named through
:mod:`flowrl.pipeline.layout`), how an expected failure becomes a rejected slot (only the
named errors of the layer below are caught; :mod:`flowrl.pipeline.status` writes the
verdict), and its ``flowrl slot <stage>`` command: a :class:`Stage` with the arguments and
the entry point. ``flowrl slot`` dispatches through :data:`flowrl.pipeline.slot_cli.STAGES`,
so a rule reaches its work in one hop.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One ``flowrl slot <name>`` command."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    main: Callable[[argparse.Namespace], int]
