"""API token authentication in one query: the token, its user and the user's role groups.

DRF's TokenAuthentication reads the token and its user through the ORM, and opsportal.roles
then reads the user's role groups: two queries and ~2 ms of CPU on every API call, and order
intake is the hot path. This reads the same rows with one plain SQL statement (a row per group
membership) and gives DRF the same (user, token) pair, the roles already remembered on the user
(`roles.remember_roles`). It fails exactly as DRF's does, with DRF's messages.

A token that worked is remembered by the process for API_TOKEN_CACHE_SECONDS (its row values,
not the instances: every request gets its own user). Order channels post with a handful of
tokens, so most API calls then need no query for authentication at all (~0.8 ms of CPU in the
web process and the database). Saving or deleting a token, a user, a group or a membership
forgets every remembered token in that process at once; other processes go on accepting a
revoked token, or a removed role, for at most that many seconds. 0 turns the cache off.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from opsportal import roles
from opsportal.db import prepared_cursor

_SQL: list[tuple[str, list[str], list[str]]] = []  # (sql, user attnames, token attnames)
# key → (monotonic expiry, user values, token values, role names)
_REMEMBERED: dict[str, tuple[float, tuple, tuple, frozenset[str]]] = {}
_REMEMBER_AT_MOST = 1_000  # keys; past that the cache starts again empty


def forget_tokens(**_kwargs: object) -> None:
    """Forget every remembered token (a signal receiver: see opsportal.signals)."""
    _REMEMBERED.clear()


def _statement() -> tuple[str, list[str], list[str]]:
    if not _SQL:
        user_model = get_user_model()
        groups = user_model._meta.get_field("groups")
        through = groups.remote_field.through._meta
        quote = connection.ops.quote_name
        user_fields = list(user_model._meta.concrete_fields)
        token_fields = list(Token._meta.concrete_fields)
        columns = [f"u.{quote(f.column)}" for f in user_fields]
        columns += [f"t.{quote(f.column)}" for f in token_fields]
        user_col = quote(through.get_field(groups.m2m_field_name()).column)
        group_col = quote(through.get_field(groups.m2m_reverse_field_name()).column)
        names = ", ".join(["%s"] * len(roles.ROLES))
        # Only quoted model metadata is formatted in; the key and role names are parameters.
        sql = (
            f"SELECT {', '.join(columns)}, g.{quote('name')} "  # noqa: S608
            f"FROM {quote(Token._meta.db_table)} t "
            f"JOIN {quote(user_model._meta.db_table)} u "
            f"ON u.{quote(user_model._meta.pk.column)} = t.{quote('user_id')} "
            f"LEFT JOIN {quote(through.db_table)} ug ON ug.{user_col} = u.{quote('id')} "
            f"LEFT JOIN {quote(Group._meta.db_table)} g "
            f"ON g.{quote('id')} = ug.{group_col} AND g.{quote('name')} IN ({names}) "
            f"WHERE t.{quote('key')} = %s"
        )
        _SQL.append((sql, [f.attname for f in user_fields], [f.attname for f in token_fields]))
    return _SQL[0]


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, read with one query (roles included)."""

    def authenticate_credentials(self, key: str):
        sql, user_names, token_names = _statement()
        now = time.monotonic()
        remembered = _REMEMBERED.get(key)
        if remembered is not None and now < remembered[0]:
            user_values, token_values, group_names = remembered[1:]
        else:
            with prepared_cursor() as cursor:
                cursor.execute(sql, [*roles.ROLES, key])
                rows = cursor.fetchall()
            if not rows:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            width = len(user_names)
            user_values, token_values = rows[0][:width], rows[0][width:-1]
            group_names = frozenset(row[-1] for row in rows if row[-1] is not None)
            seconds = settings.API_TOKEN_CACHE_SECONDS
            if seconds > 0:
                if len(_REMEMBERED) >= _REMEMBER_AT_MOST:
                    _REMEMBERED.clear()
                _REMEMBERED[key] = (now + seconds, user_values, token_values, group_names)
        user = get_user_model().from_db(connection.alias, user_names, user_values)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token.from_db(connection.alias, token_names, token_values)
        token.user = user
        roles.remember_roles(user, group_names)
        return (user, token)
