"""Skills: the code contract, loading, plan modules, validation (and, later, specs and resolver)."""
