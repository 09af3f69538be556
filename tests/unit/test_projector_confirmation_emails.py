"""The confirmation-email reaction: one outbox e-mail per order, addressed to its customer."""

from projections.confirmation_emails import PROJECTION
from tests.unit.projecting import at, cancelled, created, line, play, registered


def test_each_order_queues_one_confirmation_to_its_customer():
    views = play(
        PROJECTION,
        (registered("c1", "Ada Lovelace", "ada@example.com"), at(0)),
        (created("o1", "c1", line(name="Mug", price=900, quantity=2)), at(1)),
        (created("o2", "c1", line(name="Tea", price=450, quantity=1)), at(2)),
    )
    first = views.row("outbox_emails", "o1")
    assert first["recipient"] == "ada@example.com"
    assert first["queued_at"] == at(1) and first["sent_at"] is None
    assert "Dear Ada Lovelace" in first["body"] and "2 x Mug" in first["body"]
    assert "Total: 18.00" in first["body"]
    assert views.row("outbox_emails", "o2")["body"].count("x Tea") == 1


def test_cancelling_does_not_queue_anything_more():
    views = play(PROJECTION, (registered(), at(0)), (created("o1", "c1", line()), at(1)))
    before = views.row("outbox_emails", "o1")
    views.play((cancelled("o1"), at(2)))
    assert views.row("outbox_emails", "o1") == before
