"""Managing user accounts (the ``users.manage`` permission), plus the first-admin bootstrap."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import PermissionDenied, UserError
from steward.governance.access.authentication import hash_password
from steward.governance.access.authorise import requires
from steward.governance.access.la_codes import account_la_code
from steward.governance.access.models import User
from steward.governance.access.permissions import Permission, Role
from steward.governance.audit.actions import AuditAction
from steward.governance.audit.log import record_in

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
BOOTSTRAP_ACTOR = "bootstrap"
DEMO_ACTOR = "demo"
DEMO_USERNAME = "demo-researcher"


def _new_user(
    session: Session,
    *,
    recorded_by: str,
    username: str,
    password: str,
    role: Role | str,
    la_code: str | None,
    accreditation_expires: dt.date | None,
) -> User:
    try:
        role = Role(role)
    except ValueError:
        raise UserError(
            what=f"{role!r} is not a role",
            fix="Use one of: " + ", ".join(r.value for r in Role) + ".",
        ) from None
    if not _USERNAME.match(username):
        raise UserError(
            what=f"{username!r} is not a valid username",
            fix="Use 2-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
        )
    if role is Role.LA_PROVIDER:
        if la_code is None:
            raise UserError(
                what="an LA data provider needs the code of their local authority",
                fix="Pass --la-code: its GSS code (e.g. E08000005) or DfE LA number (e.g. 354).",
            )
        la_code = account_la_code(la_code)
    elif la_code is not None:
        raise UserError(
            what=f"only LA data providers have an LA code, not {role.value}",
            fix="Leave --la-code out.",
        )
    if role is Role.RESEARCHER and accreditation_expires is None:
        raise UserError(
            what="an accredited researcher needs the expiry date of their accreditation",
            fix="Pass --accreditation-expires YYYY-MM-DD (the last day it is valid).",
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(what=f"user {username!r} already exists", fix="Choose another username.")
    user = User(
        username=username,
        role=role.value,
        password_hash=hash_password(password),
        la_code=la_code,
        accreditation_expires=accreditation_expires,
        active=True,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(user)
    session.flush()
    details: dict[str, str] = {"role": role.value}
    if la_code:
        details["la_code"] = la_code
    record_in(session, recorded_by, AuditAction.USER_ADDED, "user", username, details=details)
    return user


def user_count(session: Session) -> int:
    """How many accounts exist."""
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def bootstrap_admin(session: Session, username: str, password: str) -> User:
    """Create the first account, an admin; refused once any account exists."""
    if user_count(session) > 0:
        raise PermissionDenied(
            what="accounts already exist, so there is nothing to bootstrap",
            fix="Add users as an existing admin (steward users add ... --as ADMIN).",
        )
    return _new_user(
        session,
        recorded_by=BOOTSTRAP_ACTOR,
        username=username,
        password=password,
        role=Role.ADMIN,
        la_code=None,
        accreditation_expires=None,
    )


def demo_researcher(session: Session, *, today: dt.date | None = None) -> User:
    """The researcher account ``steward demo`` acts as, made on its first run.

    Only in a workspace with no other account (the demo's own): a real workspace's users are
    managed by its admin. The password is random and kept nowhere, so nobody can sign in as it;
    the demo acts through the account it made.
    """
    found = session.scalar(select(User).where(User.username == DEMO_USERNAME))
    if found is not None and found.role == Role.RESEARCHER and user_count(session) == 1:
        return found
    if found is not None or user_count(session) > 0:
        raise PermissionDenied(
            what="this workspace has accounts of its own, so the demo will not act in it",
            fix="Run 'steward demo --dir NEW_FOLDER' for a fresh demo workspace.",
        )
    today = today or dt.date.today()
    return _new_user(
        session,
        recorded_by=DEMO_ACTOR,
        username=DEMO_USERNAME,
        password=secrets.token_urlsafe(32),
        role=Role.RESEARCHER,
        la_code=None,
        accreditation_expires=today + dt.timedelta(days=365),
    )


@requires(Permission.USERS_MANAGE)
def add_user(
    session: Session,
    actor: User,
    username: str,
    password: str,
    role: Role | str,
    *,
    user_la_code: str | None = None,
    accreditation_expires: dt.date | None = None,
) -> User:
    """Create an account (argon2-hashed password). Joins ``session``'s transaction."""
    return _new_user(
        session,
        recorded_by=actor.username,
        username=username,
        password=password,
        role=role,
        la_code=user_la_code,
        accreditation_expires=accreditation_expires,
    )


@requires(Permission.USERS_MANAGE)
def list_users(session: Session, actor: User) -> list[User]:
    """Every account, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


@requires(Permission.USERS_MANAGE)
def set_active(session: Session, actor: User, username: str, active: bool) -> User:
    """Activate or deactivate an account (deactivated accounts may do nothing)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(what=f"there is no user {username!r}", fix="Check the username.")
    user.active = active
    session.flush()
    record_in(
        session,
        actor.username,
        AuditAction.USER_CHANGED,
        "user",
        username,
        details={"active": active},
    )
    return user


@requires(Permission.USERS_MANAGE)
def set_accreditation(
    session: Session, actor: User, username: str, expires: dt.date | None
) -> User:
    """Record a researcher's new accreditation expiry (None: no accreditation)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.role != Role.RESEARCHER:
        raise UserError(what=f"there is no researcher {username!r}", fix="Check the username.")
    user.accreditation_expires = expires
    session.flush()
    details = {"accreditation_expires_on": expires.isoformat() if expires else None}
    record_in(session, actor.username, AuditAction.USER_CHANGED, "user", username, details=details)
    return user
