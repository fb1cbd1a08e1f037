# The empty library before slot 0, or the first slots of another tree (start_from).

if not START:

    localrules:
        init_library,

    rule init_library:
        output:
            f"{TREE}/init/library.json",
        shell:
            "{FLOWRL} slot init --env {ENV} --out {output}"

elif not SELF_CONTINUE:

    localrules:
        seed,

    rule seed:
        input:
            f"{START['tree']}/skill_{SLOTS.first - 1}/library.json",
        output:
            f"{TREE}/seed.json",
            slot(SLOTS.first - 1, "library.json"),
        params:
            source=START["tree"],
            up_to=SLOTS.first,
        shell:
            "{FLOWRL} slot seed --source {params.source} --dest {TREE} --up-to {params.up_to}"
