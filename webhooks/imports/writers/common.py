"""What every writer shares: a validated row (``Item``) and the batch's context."""

from dataclasses import dataclass

from buddy.models import DataSource
from buddy.schemas import Schema
from enrollments.models import Program
from webhooks.imports.readers import Ref


@dataclass
class Item:
    """A validated record and where it came from; ``weight`` counts the earlier rows of the
    same key in the export that this (last) row stands for, ``earlier`` is the valid row
    before it with that key: it is written instead when a writer rejects this one."""

    ref: Ref
    record: Schema
    weight: int = 1
    earlier: "Item | None" = None


@dataclass
class Context:
    program: Program
    via: str = DataSource.IMPORT
