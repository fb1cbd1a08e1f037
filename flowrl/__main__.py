"""``python -m flowrl <step>``: the workflow's rules call flowrl this way, so a job runs with
whichever interpreter its software environment (the venv, or ``--sdm conda``) puts first."""

import sys

from flowrl.cli import main

sys.exit(main())
