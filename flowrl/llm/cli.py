"""`flowrl llm ...`: troubleshoot model access and read cost ledgers.

* ``flowrl llm ping --llm-name NAME`` (or ``--llm_name``) sends one short prompt and prints the reply, the tokens
  and the cost, or the clear error (missing key, unknown model, rejected key, ...).
* ``flowrl llm usage LEDGER...`` sums ``llm_calls.jsonl`` files: calls, tokens, dollars.
"""

from __future__ import annotations

import argparse
import sys

from flowrl.cli_args import add_llm_name, spellings
from flowrl.llm.ledger import format_cost, read_ledger, summarize
from flowrl.llm.providers import preflight
from flowrl.llm.settings import load_settings
from flowrl.llm.types import LLMError

PING_PROMPT = "Reply with the single word: pong"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``ping`` and ``usage``; flags spelled as everywhere else (:mod:`flowrl.cli_args`:
    dashes first, the underscore spellings the docs use kept as aliases)."""
    sub = parser.add_subparsers(dest="llm_command", metavar="<command>")
    ping = sub.add_parser(
        "ping",
        help="send one short prompt; print reply, tokens and cost",
        description="Send one short prompt; print the reply, tokens and cost (model: "
        "--llm-name, else the config's llm_name, gpt-5 by default).",
    )
    add_llm_name(ping, required=False)
    ping.add_argument("--prompt", default=PING_PROMPT)
    ping.add_argument(*spellings("max_gen"), type=int, default=None, help="completion token budget")
    ping.add_argument("--ledger", default=None, help="also append the call to this JSONL ledger")
    ping.add_argument(
        *spellings("check_model"),
        action="store_true",
        help="first check the server's model list for the name (free)",
    )
    ping.add_argument(*spellings("no_cache"), action="store_true", help="bypass the response cache")
    usage = sub.add_parser("usage", help="sum calls, tokens and dollars over ledger files")
    usage.add_argument("ledgers", nargs="+")


def _ping(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        if args.no_cache:
            settings = load_settings(cache_enabled=False)
        query = preflight(args.llm_name, settings=settings, online=args.check_model)
        completion = query(args.prompt, args.max_gen, purpose="ping", ledger=args.ledger)
    except LLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    u = completion.usage
    est = " (estimated as characters/4)" if u.estimated else ""
    print(f"llm_name: {query.llm_name}  provider: {query.provider.kind}  model: {completion.model}")
    print(f"reply: {completion.text.strip()}")
    print(
        f"tokens: prompt={u.prompt_tokens} (cached {u.cached_prompt_tokens}) "
        f"completion={u.completion_tokens} (reasoning {u.reasoning_tokens}){est}"
    )
    prices = query.prices
    note = ""
    if completion.cache_hit:
        note = " (cache hit: free)"
    elif completion.cost_usd is None:
        note = f" (no price for {completion.model!r} in {prices.path})"
    elif query.provider.kind != "offline":
        note = f" (prices of {prices.date} from {prices.path})"
    print(f"cost: {format_cost(completion.cost_usd)}{note}")
    print(f"latency: {completion.latency_s:.3f}s  attempts: {completion.attempts}")
    return 0


def _usage(args: argparse.Namespace) -> int:
    records = [r for path in args.ledgers for r in read_ledger(path)]
    total = summarize(records)
    print(
        f"calls: {total['calls']} (cache hits {total['cache_hits']}, errors {total['errors']})\n"
        f"tokens: prompt={total['prompt_tokens']} (cached {total['cached_prompt_tokens']}) "
        f"completion={total['completion_tokens']} (reasoning {total['reasoning_tokens']})\n"
        f"cost: {format_cost(total['cost_usd'])}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.llm_command == "ping":
        return _ping(args)
    if args.llm_command == "usage":
        return _usage(args)
    print("usage: flowrl llm {ping,usage} ... (see flowrl llm --help)", file=sys.stderr)
    return 2
