"""The skill-discovery pipeline: workflow config (:mod:`.config`), the slot layout
(:mod:`.layout`), stage status files (:mod:`.status`), one module per Snakemake rule
(:mod:`.stages`, dispatched by ``flowrl slot <stage>`` in :mod:`.slot_cli`) and the runner
the Python drivers use (:mod:`.runner`)."""
