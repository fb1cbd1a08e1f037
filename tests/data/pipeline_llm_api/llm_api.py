"""A user-style ``llm_api`` module for pipeline tests: any model name, answered by the
offline provider's deterministic chain. Unlike ``offline`` it goes through the cached,
priced ``llm_api`` path, so resume tests can see cache hits in the ledger. With
``FLOWRL_TEST_LLM_GARBAGE=1`` every answer is unusable prose (a run that rejects every slot)."""

import os

from flowrl.llm.offline import OfflineProvider

_PROVIDER = OfflineProvider()


def get_query(model_name):
    def query(messages, max_gen):
        if os.environ.get("FLOWRL_TEST_LLM_GARBAGE"):
            return "I would rather not answer in any format."
        return _PROVIDER.answer(messages)

    return query
