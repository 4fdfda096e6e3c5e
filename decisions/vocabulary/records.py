"""What the vocabulary makes of a request."""

from dataclasses import dataclass


@dataclass
class Treatment:
    name: str | None
    category: str
    drug_class: str | None = None
    strength: str | None = None
    quantity: int | None = None
    refills: int | None = None
