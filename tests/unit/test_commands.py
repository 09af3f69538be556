"""Field rules: a command object cannot be built from bad input, and says which field."""

import pytest

from domain.commands import (
    AddProduct,
    CancelOrder,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    RegisterCustomer,
    RestockProduct,
    UpdateOrderStatus,
)
from domain.errors import InvalidCommand
from domain.validation import identity

ID = "00000000-0000-4000-8000-000000000001"


def fields_of(build) -> list[str]:
    with pytest.raises(InvalidCommand) as refused:
        build()
    return [p.field for p in refused.value.problems]


@pytest.mark.parametrize(
    ("name", "email", "fields"),
    [
        ("", "a@b.co", ["name"]),
        ("   ", "a@b.co", ["name"]),
        ("x" * 201, "a@b.co", ["name"]),
        ("Ann", "not-an-email", ["email"]),
        ("Ann", "a@b", ["email"]),
        ("", "a b@c.de", ["name", "email"]),
    ],
)
def test_customer_names_and_emails(name, email, fields):
    assert (
        fields_of(lambda: RegisterCustomer(command_id="c", customer_id=ID, name=name, email=email))
        == fields
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a\ud800b", "must be valid Unicode text: it holds a lone surrogate"),
        ("a\x00b", "must not contain control characters"),
        ("a\nb", "must not contain control characters"),
        ("a\tb", "must not contain control characters"),
        ("a\x85b", "must not contain control characters"),
        ("\u200b\u200b", "must not be blank"),
        (" \ufeff\u3164\u00a0\u2060 ", "must not be blank"),
    ],
)
def test_single_line_text_is_storable_visible_unicode(name, message):
    with pytest.raises(InvalidCommand) as refused:
        RegisterCustomer(command_id="c", customer_id=ID, name=name, email="a@b.co")
    assert [(p.field, p.message) for p in refused.value.problems] == [("name", message)]


def test_multi_line_text_may_hold_line_breaks_and_tabs_but_no_other_control_character():
    assert order([(ID, 1)], address="1 Main St\r\n\tSpringfield")()
    assert fields_of(order([(ID, 1)], address="1 Main St\x00")) == ["shipping_address"]
    assert fields_of(order([(ID, 1)], address="1 Main St\udfff")) == ["shipping_address"]
    assert fields_of(order([(ID, 1)], address="\n\t\u200b")) == ["shipping_address"]


def test_command_ids_are_storable_text():
    assert fields_of(lambda: RestockProduct(command_id="\ud800", product_id=ID, quantity=1)) == [
        "command_id"
    ]


def test_email_syntax_errors_say_what_is_wrong():
    with pytest.raises(InvalidCommand) as refused:
        RegisterCustomer(command_id="c", customer_id=ID, name="Ann", email="ann@@example.com")
    (problem,) = refused.value.problems
    assert problem.field == "email"
    assert problem.message.startswith("must be a well-formed e-mail address: ")
    assert "@" in problem.message


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ann@Example.com", "ann@example.com"),
        (" ANN@example.com\t", "ann@example.com"),
        ("\uff21\uff2e\uff2e@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "ann@example.com"),
        ("Straße@example.com", "strasse@example.com"),
        ("\ufb01-MUG", "fi-mug"),
    ],
)
def test_identifying_text_is_the_same_after_trimming_nfkc_and_case_folding(one, other):
    assert identity(one) == identity(other)


def test_ids_must_be_canonical_uuids():
    assert fields_of(lambda: RestockProduct(command_id="c", product_id="42", quantity=1)) == [
        "product_id"
    ]
    assert fields_of(
        lambda: RestockProduct(
            command_id="c", product_id="ABCDEF00-0000-4000-8000-000000000001", quantity=1
        )
    ) == ["product_id"]


def test_command_ids_are_bounded():
    assert fields_of(lambda: RestockProduct(command_id="x" * 101, product_id=ID, quantity=1)) == [
        "command_id"
    ]


def test_products_need_sane_prices_and_stock():
    def build():
        return AddProduct(
            command_id="c",
            product_id=ID,
            sku="",
            name="Mug",
            description="",
            price_cents=-1,
            initial_stock=-5,
        )

    assert fields_of(build) == ["sku", "description", "price_cents", "initial_stock"]


def test_restock_quantity_is_positive():
    assert fields_of(lambda: RestockProduct(command_id="c", product_id=ID, quantity=0)) == [
        "quantity"
    ]


def order(items, address="1 Main St"):
    return lambda: CreateOrder(
        command_id="c",
        order_id=ID,
        customer_id=ID,
        items=tuple(OrderLineRequest(product_id=p, quantity=q) for p, q in items),
        shipping_address=address,
    )


def test_orders_have_1_to_100_lines():
    assert fields_of(order([])) == ["items"]
    many = [(f"00000000-0000-4000-8000-{n:012d}", 1) for n in range(101)]
    assert fields_of(order(many)) == ["items"]


def test_order_lines_are_named_by_index():
    other = "00000000-0000-4000-8000-000000000002"
    assert fields_of(order([(ID, 1), (other, 0), ("nope", 10_001)])) == [
        "items.1.quantity",
        "items.2.product_id",
        "items.2.quantity",
    ]


def test_a_product_appears_on_one_line_only():
    assert fields_of(order([(ID, 1), (ID, 2)])) == ["items.1.product_id"]


def test_addresses_and_reasons_are_bounded():
    assert fields_of(order([(ID, 1)], address="x" * 501)) == ["shipping_address"]
    assert fields_of(lambda: CancelOrder(command_id="c", order_id=ID, reason="")) == ["reason"]


def test_cancelling_goes_through_its_own_command():
    build = lambda: UpdateOrderStatus(command_id="c", order_id=ID, status=OrderStatus.CANCELLED)  # noqa: E731
    assert fields_of(build) == ["status"]
