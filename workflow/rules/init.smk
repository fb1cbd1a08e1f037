# The empty library before slot 0, or the first slots of another tree (start_from).

if not START:

    localrules:
        init_library,

    rule init_library:
        output:
            library=tree_file("init_library"),
        log:
            tree_log("init_library"),
        shell:
            "{FLOWRL} slot init --env {ENV} --out {output.library} > {log} 2>&1"

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
            source=START["tree"],
            up_to=SLOTS.first,
        shell:
            "{FLOWRL} slot seed --source {params.source} --dest {TREE} --up-to {params.up_to} "
            "> {log} 2>&1"
