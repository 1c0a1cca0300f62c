"""AWS networks through boto3 EC2: the provider and its translation of EC2's errors."""

from .client import PROVIDER, translate
from .provider import Ec2NetworkProvider

__all__ = ["PROVIDER", "Ec2NetworkProvider", "translate"]
