from skyclust_common.runtime import run_service

from .bootstrap import SPEC

if __name__ == "__main__":
    run_service(SPEC)
