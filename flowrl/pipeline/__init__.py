"""The skill-discovery pipeline: workflow config, slot arithmetic and the per-slot stages
that the Snakemake rules call (``flowrl slot <stage>``), plus seeding and the runner."""
