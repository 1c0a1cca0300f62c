"""AWS VPCs, subnets and security groups through boto3 EC2.

Creation is idempotent by owner tag: every resource is created with its tags in the same
call (TagSpecifications), so a retry after a crash finds it by `skyclust.io/<kind>-id`."""

from .client import PROVIDER, translate
from .provider import Ec2NetworkProvider

__all__ = ["PROVIDER", "Ec2NetworkProvider", "translate"]
