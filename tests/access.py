"""The permission matrix's vocabulary: who may open a URL name, and how to build its arguments.

Each app keeps its rows in tests/<app>/access.py as
    MATRIX: dict[str, Rule]      URL name → rule
    def add_objects(world: dict) -> None   creates what its URLs' kwargs need
tests/opsportal/test_access_matrix.py merges them, fails for any URL name missing from the
matrix, and requests every URL as every kind of user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
NO_ROLE = "norole"  # signed in, no group
MANAGER = "manager"
WAREHOUSE = "warehouse"
CONTRACTS = "contracts"
SUPERUSER = "superuser"
USER_KINDS = (ANONYMOUS, NO_ROLE, MANAGER, WAREHOUSE, CONTRACTS, SUPERUSER)
ROLES = frozenset({MANAGER, WAREHOUSE, CONTRACTS})
SIGNED_IN = frozenset({NO_ROLE, MANAGER, WAREHOUSE, CONTRACTS})
EVERYONE = frozenset(USER_KINDS)


@dataclass(frozen=True)
class Rule:
    """`allowed`: the user kinds that get in (superuser always does, unless `superuser=False`)."""

    allowed: frozenset[str]
    kwargs: Callable[[dict], dict] | None = None
    query: str = ""
    superuser: bool = True
    # Extra: the warehouse staff member must be refused for objects of another warehouse.
    other_warehouse_kwargs: Callable[[dict], dict] | None = field(default=None)

    def allows(self, kind: str) -> bool:
        return (kind == SUPERUSER and self.superuser) or kind in self.allowed


def rule(*kinds: str, **options) -> Rule:
    return Rule(allowed=frozenset(kinds), **options)
