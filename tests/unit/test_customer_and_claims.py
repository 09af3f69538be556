import pytest

from domain import claims, customer
from domain.commands import RegisterCustomer
from domain.errors import Conflict
from domain.events import CustomerRegistered, ValueClaimed
from tests.unit.fold import fold

C = "00000000-0000-4000-8000-0000000000cc"
REGISTER = RegisterCustomer(command_id="c", customer_id=C, name="Ann", email="Ann@Example.com")


def test_registering_records_the_customer():
    assert customer.register(None, REGISTER) == [
        CustomerRegistered(customer_id=C, name="Ann", email="Ann@Example.com")
    ]


def test_a_customer_id_is_used_once():
    with pytest.raises(Conflict) as refused:
        customer.register(fold(customer.evolve, *customer.register(None, REGISTER)), REGISTER)
    assert refused.value.field == "customer_id"


def test_a_free_value_can_be_claimed_once():
    # Given a free value, when claimed, then it belongs to the claimant
    events = claims.claim(None, C, field="email", what="this e-mail address")
    assert events == [ValueClaimed(owner_id=C)]
    # and a second claim is refused on the named field
    with pytest.raises(Conflict) as refused:
        claims.claim(fold(claims.evolve, *events), "someone-else", field="email", what="x")
    assert refused.value.field == "email"
