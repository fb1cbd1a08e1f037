"""What the stages share (the Python side of ``workflow/rules/common.smk``): the LLM
arguments of the LLM stages and the LLM settings they resolve to."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flowrl.cli_args import add_env, add_llm_name
from flowrl.llm.providers import get_query
from flowrl.llm.query import Query
from flowrl.llm.settings import LLMSettings, load_settings
from flowrl.pipeline.status import read_json


def add_env_argument(p: argparse.ArgumentParser) -> None:
    add_env(p)


def add_llm_arguments(p: argparse.ArgumentParser) -> None:
    add_llm_name(p)
    p.add_argument("--ledger", required=True, help="llm_calls.jsonl to append to")
    p.add_argument("--cache-dir", default=None, help="LLM response cache folder")
    p.add_argument("--llm-settings", default="{}", help="JSON object of llm settings")


def llm_settings(section: dict[str, Any] | None, cache_dir: str | None) -> LLMSettings:
    """LLM settings with the workflow config's ``llm:`` section (the precedence order of
    :mod:`flowrl.llm.settings`) and the tree's cache folder."""
    extra: dict[str, Any] = {"cache_dir": cache_dir} if cache_dir else {}
    return load_settings(workflow=dict(section or {}), **extra)


def settings_of(args: argparse.Namespace) -> LLMSettings:
    return llm_settings(json.loads(args.llm_settings), args.cache_dir)


def llm_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``ledger``, ``llm_name`` and ``settings`` from :func:`add_llm_arguments`' flags: the
    keyword arguments every LLM stage function takes."""
    return {"ledger": args.ledger, "llm_name": args.llm_name, "settings": settings_of(args)}


def query_for(
    llm_name: str | None, settings: LLMSettings | None, query: Query | None = None
) -> Query:
    """``query`` when a caller (a test) passes one, else the model's query."""
    return query if query is not None else get_query(llm_name, settings=settings)


def read_optional_json(path: str | Path | None) -> Any:
    """The JSON at ``path``, or None when no path is given (slot 0 has no library)."""
    return None if path is None else read_json(path)


def usage_of(result: Any) -> dict[str, Any]:
    """Token accounting of a :class:`flowrl.llm.chain.StepResult` for a stage document."""
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost_usd": result.cost_usd,
        "calls": sum(len(a.completions) for a in result.answers),
    }
