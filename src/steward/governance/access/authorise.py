"""Checking a permission: :func:`authorise`, and :func:`requires` for service functions."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from steward.errors import PermissionDenied
from steward.governance.access.la_codes import same_la
from steward.governance.access.models import User
from steward.governance.access.permissions import (
    ACCREDITATION_REQUIRED,
    LA_SCOPED,
    ROLE_PERMISSIONS,
    Permission,
    Role,
)

P = ParamSpec("P")
R = TypeVar("R")


def _deny(user: User, permission: Permission, why: str, fix: str) -> PermissionDenied:
    return PermissionDenied(
        what=f"user {user.username!r} ({user.role}) may not {permission.value}: {why}", fix=fix
    )


def is_allowed(
    user: User, permission: Permission, *, la_code: str | None = None, today: dt.date | None = None
) -> bool:
    """Whether :func:`authorise` would let ``user`` do ``permission``."""
    try:
        authorise(user, permission, la_code=la_code, today=today)
    except PermissionDenied:
        return False
    return True


def authorise(
    user: User, permission: Permission, *, la_code: str | None = None, today: dt.date | None = None
) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may do ``permission`` (for ``la_code``, today).

    - an inactive user may do nothing;
    - the role must hold the permission in ``ROLE_PERMISSIONS``;
    - an LA data provider holds LA-scoped permissions only for their own LA (``la_code`` may be
      its GSS code or its DfE LA number);
    - a researcher reads secure-research-service data only while accredited (the expiry date is
      the last day of access).
    """
    permission = Permission(permission)
    if not user.active:
        raise _deny(
            user, permission, "the account is deactivated", "Ask an admin to reactivate it."
        )
    try:
        role = Role(user.role)
    except ValueError:
        raise _deny(
            user, permission, "the account has an unknown role", "Ask an admin to fix it."
        ) from None
    if permission not in ROLE_PERMISSIONS[role]:
        raise _deny(
            user,
            permission,
            f"the {role.value} role does not include it",
            "Ask the DPO if your role should change.",
        )
    own_la = user.la_code is not None and same_la(user.la_code, la_code)
    if role is Role.LA_PROVIDER and permission in LA_SCOPED and not own_la:
        raise _deny(
            user,
            permission,
            "an LA data provider acts only for their own local authority",
            f"Act for your own LA ({user.la_code}).",
        )
    if permission in ACCREDITATION_REQUIRED:
        today = today or dt.date.today()
        expires = user.accreditation_expires
        if expires is None or expires < today:
            raise _deny(
                user,
                permission,
                "no in-date accreditation"
                + (f" (expired {expires.isoformat()})" if expires else ""),
                "Renew your accredited researcher status and ask an admin to record the new "
                "expiry date.",
            )


def requires(permission: Permission) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service function that takes ``actor: User``; it checks ``permission`` first.

    An ``la_code`` argument of the function, if it has one, is passed to :func:`authorise` (so an
    LA data provider's call for another LA is refused), as is a ``today`` argument.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)
        if "actor" not in signature.parameters:
            raise TypeError(f"{func.__qualname__} must take an 'actor' argument to use @requires")

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            actor: Any = bound.arguments["actor"]
            if not isinstance(actor, User):
                raise TypeError(
                    f"{func.__qualname__}: actor must be a User, not {type(actor).__name__}"
                )
            authorise(
                actor,
                permission,
                la_code=bound.arguments.get("la_code"),
                today=bound.arguments.get("today"),
            )
            return func(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorate
