"""The network service's errors, one class per code it raises."""

from __future__ import annotations


class UniqueViolation(Exception):
    """The store refused a row: a live name or a cloud id it holds already. Not an error
    of the API: the handler that inserted says which name was taken."""
