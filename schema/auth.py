"""Who is asking, and what they may do.

Callers prove who they are with a signed bearer token (PyJWT): HS256 with a shared secret,
or RS256/ES256 with a public key; issuer and audience are checked where configured, expiry
always. The claims: `sub`, `roles` (any of admin, staff, customer) and, for a customer,
`customer_id`.

| role | may |
| --- | --- |
| admin | everything |
| staff | manage products and order status (cancelling too); read everything |
| customer | place orders for, cancel, read and subscribe to its own; read the catalog |
| no token | read the catalog; register a customer |

Another customer's order reads as null and pages leave it out, as if it did not exist; a
command on it is UNAUTHORIZED. With no key configured the service runs open (every caller
an admin), which `orders serve` allows only on a loopback address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import jwt
from graphql import GraphQLError

from domain.commands import CancelOrder, Command, CreateOrder, RegisterCustomer
from domain.errors import Unauthorized

if TYPE_CHECKING:
    from strawberry.types import Info

    from schema.context import Context

ROLES = ("admin", "staff", "customer")
MAX_VERIFIED = 10_000  # tokens remembered as checked; past that, the memory starts afresh


class Unauthenticated(Exception):
    """A token that is missing where one is needed, malformed, forged or expired."""


@dataclass(frozen=True)
class Principal:
    subject: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    customer_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_staff(self) -> bool:
        return self.is_admin or "staff" in self.roles

    @property
    def own_customer(self) -> str | None:
        """The one customer this caller acts for, or None when it may act for any."""
        return None if self.is_staff else self.customer_id

    def may_see_customer(self, customer_id: str) -> bool:
        return self.is_staff or (self.customer_id is not None and customer_id == self.customer_id)

    def require(self, allowed: bool, what: str) -> None:
        """Refuse a read (or an operator's query) this caller may not make."""
        if not allowed:
            raise GraphQLError(f"not allowed: {what}", extensions={"code": "UNAUTHORIZED"})

    @property
    def known(self) -> bool:
        return self.subject is not None


ANONYMOUS = Principal(None)
OPEN = Principal("anonymous-dev", frozenset({"admin"}))  # auth off: a trusted local machine


@dataclass(frozen=True)
class Authenticator:
    """Turns an Authorization header into a Principal; None as the key: open mode."""

    key: str | None
    algorithms: tuple[str, ...] = ("HS256",)
    issuer: str | None = None
    audience: str | None = None
    # header -> the caller it proved, and when its token expires
    _verified: dict[str, tuple[Principal, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def enabled(self) -> bool:
        return self.key is not None

    def principal(self, authorization: str | None) -> Principal:
        """The caller this header proves; a token checked before is looked up, not checked
        again, until it expires (a caller sends the same token request after request)."""
        if self.key is None:
            return OPEN
        if not authorization:
            return ANONYMOUS
        known = self._verified.get(authorization)
        if known is not None and known[1] > time.time():
            return known[0]
        caller, expires = self._verify(authorization)
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[authorization] = (caller, expires)
        return caller

    def _verify(self, authorization: str) -> tuple[Principal, float]:
        assert self.key is not None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        try:
            claims = jwt.decode(
                token.strip(),
                self.key,
                algorithms=list(self.algorithms),
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {error}") from None
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not set(roles) <= set(ROLES):
            raise Unauthenticated(f"invalid token: roles must be a list of {', '.join(ROLES)}")
        customer_id = claims.get("customer_id")
        if "customer" in roles and not isinstance(customer_id, str):
            raise Unauthenticated("invalid token: a customer's token needs customer_id")
        return Principal(str(claims["sub"]), frozenset(roles), customer_id), float(claims["exp"])


def mint(secret: str, subject: str, roles: list[str], customer_id: str | None, ttl_s: int) -> str:
    """An HS256 token for local use (`orders token`)."""
    now = int(time.time())
    claims: dict[str, object] = {"sub": subject, "roles": roles, "iat": now, "exp": now + ttl_s}
    if customer_id is not None:
        claims["customer_id"] = customer_id
    return jwt.encode(claims, secret, algorithm="HS256")


def signed_in(info: Info[Context, None]) -> Principal:
    """The caller, who must have shown a token (orders and customers are not public)."""
    caller = info.context.principal
    caller.require(caller.known, "reading this needs a token")
    return caller


def staff_only(info: Info[Context, None], what: str) -> None:
    info.context.principal.require(info.context.principal.is_staff, f"{what} is for staff")


def authorize(caller: Principal, command: Command) -> Command:
    """`command` as this caller may issue it (a customer's cancellation limited to its own
    orders), or Unauthorized."""
    if isinstance(command, RegisterCustomer) or caller.is_admin:
        return command
    if isinstance(command, CancelOrder):
        if caller.is_staff:
            return command
        if caller.customer_id is not None:
            return replace(command, for_customer=caller.customer_id)
    elif isinstance(command, CreateOrder):
        if caller.customer_id is not None and command.customer_id == caller.customer_id:
            return command
        if caller.customer_id is not None:
            raise Unauthorized("you may order only for yourself", field="customer_id")
    elif caller.is_staff:  # products and order status
        return command
    raise Unauthorized(
        "a token is needed for this" if not caller.known else "your roles do not allow this"
    )
