"""A user-style ``llm_api`` module for pipeline tests: any model name, answered by the
offline provider's deterministic chain. Unlike ``offline`` it goes through the cached,
priced ``llm_api`` path, so resume tests can see cache hits in the ledger."""

from flowrl.llm.offline import OfflineProvider

_PROVIDER = OfflineProvider()


def get_query(model_name):
    def query(messages, max_gen):
        return _PROVIDER.answer(messages)

    return query
