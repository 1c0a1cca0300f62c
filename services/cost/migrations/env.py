from skyclust_cost.adapters.db import metadata

from skyclust_common.migrations import run_env

run_env(metadata)
