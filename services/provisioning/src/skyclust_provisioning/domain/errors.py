"""Provisioning's own errors."""

from __future__ import annotations


class NameTaken(Exception):
    """A commit met a live cluster or node group of the same name (one made meanwhile):
    the use case turns it into its Conflict."""
