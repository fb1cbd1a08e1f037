# The empty library before slot 0, or the first slots of another tree (start_from).

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

elif not SELF_CONTINUE:

    localrules:
        seed,

    rule seed:
        input:
            library=slot_path(START["tree"], SLOTS.first - 1, "library"),
        output:
            seed=tree_file("seed"),
            library=slot(SLOTS.first - 1, "library"),
        log:
            tree_log("seed"),
        params:
            tree=above("seed", 1),  # {tree}/seed.json
            source=above("library", 2, of="input"),  # {source}/skill_{j}/library.json
            up_to=SLOTS.first,
        conda:
            "../envs/flowrl.yaml"
        shell:
            "python -m flowrl slot seed --source {params.source} --dest {params.tree} --up-to {params.up_to} "
            "> {log} 2>&1"
