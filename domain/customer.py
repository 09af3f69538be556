"""The customer aggregate."""

from __future__ import annotations

from dataclasses import dataclass

from domain.commands import RegisterCustomer
from domain.errors import Conflict
from domain.events import CustomerRegistered, Event


@dataclass(frozen=True, kw_only=True)
class Customer:
    customer_id: str
    name: str
    email: str


def evolve(state: Customer | None, event: Event) -> Customer | None:
    if isinstance(event, CustomerRegistered):
        return Customer(customer_id=event.customer_id, name=event.name, email=event.email)
    return state


def register(state: Customer | None, cmd: RegisterCustomer) -> list[Event]:
    if state is not None:
        raise Conflict("a customer with this id already exists", field="customer_id")
    return [CustomerRegistered(customer_id=cmd.customer_id, name=cmd.name, email=cmd.email)]
