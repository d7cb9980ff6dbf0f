"""Issue 18: the history reads as sentences in the clerk's language, for every action the code
records.

The Norwegian test needs the catalogue with the sentences' translations (merged from the
engineers' translation files)."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django_fsm import FSMFieldMixin

from orders.models import SalesOrder
from orders.services.delivery import packing_slip_post
from orders.services.orders import sales_order_confirm
from salesmkt.core import history
from salesmkt.core.audit import events_for, record_event
from salesmkt.core.history import describe, describe_all, has_sentence
from tests import factories as f

ROOTS = ["salesmkt", "crm", "inventory", "agreements", "orders", "invoicing"]
# Calls that name the action they record: the function and where its action is.
RECORDERS = {"record_event": ("action", None), "run_transition": ("transition", None)}
RECORDERS["_line_event"] = ("action", 2)
# Calls whose action is computed; the actions each one can write are listed here (and checked
# below), so a new computed action cannot slip in without a sentence.
COMPUTED = {
    "crm/services/parties.py": {"contacts_changed", "addresses_changed"},
    "orders/services/quotations.py": set(),  # `_line_event`'s callers name their actions
    "orders/services/approval.py": {"waive_approval", "ask_approval"},
    "invoicing/services/payments.py": {
        "pay_in_full",
        "pay_in_part",
        "reopen_payment",
        "mark_credited",
    },
    "salesmkt/core/transitions.py": set(),  # run_transition: its callers name the transition
}


def _strings(node) -> set[str] | None:
    """The action names an argument can hold, or None when it is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        if body is not None and orelse is not None:
            return body | orelse
    return None


def recorded_actions() -> tuple[set[str], set[str]]:
    """Every action name the code passes to the functions that write events, and the files
    whose calls compute theirs."""
    base = Path(settings.BASE_DIR)
    found, computed = set(), set()
    for root in ROOTS:
        for path in (base / root).rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in RECORDERS:
                    continue
                keyword, position = RECORDERS[name]
                argument = next((k.value for k in node.keywords if k.arg == keyword), None)
                if argument is None and position is not None and len(node.args) > position:
                    argument = node.args[position]
                if argument is None:
                    continue
                names = _strings(argument)
                if names is None:
                    computed.add(str(path.relative_to(base)))
                else:
                    found |= names
    return found, computed


def fsm_transitions() -> set[str]:
    return {
        transition.name
        for model in apps.get_models()
        for model_field in model._meta.fields
        if isinstance(model_field, FSMFieldMixin)
        for transition in model_field.get_all_transitions(model)
    }


def test_every_action_recorded_in_the_code_has_a_sentence():
    found, computed = recorded_actions()

    assert computed == set(COMPUTED), "list the actions of a computed action name in COMPUTED"
    every = found | fsm_transitions() | set().union(*COMPUTED.values())
    assert len(found) > 40  # the scan finds the calls
    assert sorted(name for name in every if not has_sentence(name)) == []


def test_the_crm_nested_changes_are_the_ones_listed():
    from crm.services.parties import NESTED

    assert {f"{name}_changed" for name in NESTED} == COMPUTED["crm/services/parties.py"]


@pytest.fixture
def order():
    """An order of 10 smoked salmon and 15 brunost, on hand."""
    return f.stocked_order()


def _deliver_all(order, actor=None):
    lines = [{"order_line": line, "quantity": line.quantity} for line in order.lines.all()]
    return packing_slip_post(order=order, lines=lines, actor=actor)


@pytest.mark.django_db
def test_a_posted_packing_slip_reads_with_its_quantities_and_item_names(order):
    order = sales_order_confirm(order=order, actor=None)
    slip = _deliver_all(order)

    with translation.override("en"):
        texts = [entry.text for entry in describe_all(events_for(order), order)]

    assert f"Packing slip {slip.number} posted: 10 × Smoked salmon, 15 × Brunost" in texts
    assert "Delivered in full" in texts
    assert "Created" in texts


@pytest.mark.django_db
def test_a_changed_field_is_labelled_with_its_verbose_name_and_values_in_the_locale():
    customer = f.CustomerFactory()
    event = record_event(
        actor=None,
        obj=customer,
        action="changed",
        data={"credit_limit": {"old": "0.00", "new": "5000.00"}},
    )

    with translation.override("en"):
        assert describe(event).text == "Changed: Credit limit 0.00 → 5,000.00"
    with translation.override("nb"):
        text = describe(event).text

    assert "5\xa0000,00" in text or "5 000,00" in text or "5.000,00" in text


@pytest.mark.django_db
def test_a_status_change_without_its_own_sentence_names_the_statuses_by_their_labels(order):
    event = record_event(
        actor=None, obj=order, action="unknown_step", from_status="open", to_status="delivered"
    )

    with translation.override("en"):
        text = describe(event).text

    assert text == (
        f"Status changed from {SalesOrder.Status.OPEN.label} to {SalesOrder.Status.DELIVERED.label}"
    )


@pytest.mark.django_db
def test_a_choice_value_reads_as_its_label(order):
    event = record_event(
        actor=None, obj=order, action="type_changed", data={"from": "sales", "to": "journal"}
    )

    with translation.override("en"):
        text = describe(event).text

    assert text == "Order type changed from Sales order to Journal"


@pytest.mark.django_db
def test_the_history_of_an_order_reads_in_norwegian_with_no_english_sentence_left(order):
    """Every sentence of a sample of events differs from its English words once in nb: none of
    them is left untranslated (nor the labels of their parameters)."""
    order = sales_order_confirm(order=order, actor=None)
    _deliver_all(order)
    record_event(
        actor=None,
        obj=order,
        action="changed",
        data={"customer_reference": {"old": "", "new": "X"}},
    )
    events = list(events_for(order))

    with translation.override("en"):
        english = [(entry.text, entry.details) for entry in describe_all(events, order)]
    with translation.override("nb"):
        norwegian = [(entry.text, entry.details) for entry in describe_all(events, order)]

    assert len(events) >= 4
    left = [en for en, nb in zip(english, norwegian, strict=True) if en[0] == nb[0]]
    assert left == []
    labels = {label for _text, details in norwegian for label, _value in details}
    assert not labels & {label for _text, details in english for label, _value in details}


@pytest.mark.django_db
def test_the_sentences_of_a_record_read_its_lines_once(order, django_assert_max_num_queries):
    order = sales_order_confirm(order=order, actor=None)
    _deliver_all(order)
    for number in range(10):
        record_event(actor=None, obj=order, action="remainder_canceled", data={"line": number})
    events = list(events_for(order))

    with django_assert_max_num_queries(1):
        describe_all(events, order)


def test_every_sentence_keeps_placeholders_python_can_fill():
    for sentence in history.SENTENCES.values():
        assert str(sentence.text) % history._Filled()
