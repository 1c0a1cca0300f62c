from skyclust_common.migrations import run_env
from skyclust_notification.adapters.db import metadata

run_env(metadata)
