"""The one transaction helper: atomic on the database a model lives in.

Each zone has its own database and the router decides which; code never names an alias.
"""

from __future__ import annotations

from django.db import models, router, transaction


def atomic_for(model: type[models.Model], *, durable: bool = False) -> transaction.Atomic:
    """`transaction.atomic` on `model`'s database.

    Pass `durable=True` where a service is the outer boundary of its work (a view, a task, the
    ferry's apply loop calls it), so that nesting it inside another transaction by mistake fails
    loudly instead of committing late.
    """
    return transaction.atomic(using=router.db_for_write(model), durable=durable)


def db_for(model: type[models.Model]) -> str:
    """The alias of `model`'s database, for `transaction.on_commit(..., using=…)` and the like."""
    return router.db_for_write(model) or "default"
