"""Access control: users and roles, the permission matrix, passwords and API tokens.

Every service function checks the permission it needs with :func:`requires` (or calls
:func:`authorise`), so the web layer is not the only gate.
"""

from steward.governance.access.authentication import (
    AuthenticationFailed,
    authenticate,
    authenticate_token,
    hash_password,
    issue_token,
    revoke_token,
    verify_password,
)
from steward.governance.access.authorise import authorise, is_allowed, requires
from steward.governance.access.models import ApiToken, User
from steward.governance.access.permissions import (
    ACCREDITATION_REQUIRED,
    LA_SCOPED,
    ROLE_PERMISSIONS,
    Permission,
    Role,
)
from steward.governance.access.users import (
    DEMO_USERNAME,
    add_user,
    bootstrap_admin,
    demo_researcher,
    list_users,
    set_accreditation,
    set_active,
    user_count,
)

__all__ = [
    "ACCREDITATION_REQUIRED",
    "DEMO_USERNAME",
    "LA_SCOPED",
    "ROLE_PERMISSIONS",
    "ApiToken",
    "AuthenticationFailed",
    "Permission",
    "Role",
    "User",
    "add_user",
    "authenticate",
    "authenticate_token",
    "authorise",
    "bootstrap_admin",
    "demo_researcher",
    "hash_password",
    "is_allowed",
    "issue_token",
    "list_users",
    "requires",
    "revoke_token",
    "set_accreditation",
    "set_active",
    "user_count",
    "verify_password",
]
