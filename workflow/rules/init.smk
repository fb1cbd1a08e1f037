# The empty library before slot 0, or the first slots of another tree (start_from). A tree
# that continues itself, or was started from that tree when this rule was `seed` (its record
# is seed.json), already holds those slots: no rule then (a copy would rerun every slot).

if not START:

    localrules:
        init_library,

    rule init_library:
        output:
            library=tree_file("init_library"),
        log:
            tree_log("init_library"),
        params:
            env=ENV,
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot init --env {params.env} --out {output.library} > {log} 2>&1"

elif not SELF_CONTINUE and not START_COPIED:

    localrules:
        start_from,

    rule start_from:
        input:
            library=slot_path(START["tree"], SLOTS.first - 1, "library"),
        output:
            start_from=tree_file("start_from"),
            library=slot(SLOTS.first - 1, "library"),
        log:
            tree_log("start_from"),
        params:
            tree=above("start_from", 1),  # {tree}/start_from.json
            source=above("library", 2, of="input"),  # {source}/skill_{j}/library.json
            up_to=SLOTS.first,
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot start_from --source {params.source} --dest {params.tree} --up-to {params.up_to} "
            "> {log} 2>&1"
