"""The CEN example with base-quantity prices, entered through the API as a free text invoice,
comes out of posting with the example's amounts to the cent, states the example's price per unit
on every line, and our e-invoice passes the CEN and Peppol rules.

The example is CEN/TC 434's "ubl-tc434-example8" (tests/invoicing/cen_examples/, vendored
unchanged): a Dutch grid operator's monthly electricity bill, one rate of 21 %, prices per kWh of
fractions of a cent, yearly fees billed for one month at a price per 12 months and a capacity
fee per 12 kW.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tests import factories as f
from tests.invoicing.test_official_examples_reproduced import (
    NS,
    _amounts,
    _as_cii,
    _assert_valid,
    _cii_totals,
    _line,
    _ours,
    _post,
    setup,  # noqa: F401 (a fixture)
)

EXAMPLES = Path(__file__).parent / "cen_examples"


def _example_root(name: str):
    return etree.parse(str(EXAMPLES / f"{name}.xml")).getroot()


def _prices_per_unit(root) -> list[tuple[str, Decimal, str]]:
    """Each line's unit and the price of one unit of it (BT-146 / BT-149), however stated: 0.00101
    per 1 kWh and 1.01 per 1,000 kWh are the same price."""
    prices = []
    for line in root.findall("cac:InvoiceLine", NS):
        unit = line.find("cbc:InvoicedQuantity", NS).get("unitCode")
        base = line.find("cac:Price/cbc:BaseQuantity", NS)
        per = Decimal(base.text) if base is not None else Decimal(1)
        base_unit = base.get("unitCode", unit) if base is not None else unit
        price = Decimal(line.findtext("cac:Price/cbc:PriceAmount", namespaces=NS))
        prices.append((unit, price / per, base_unit))
    return prices


@pytest.fixture
def vat_21(setup):  # noqa: F811 (the imported fixture)
    """The Netherlands' standard rate, which the example uses."""
    setup["codes"]["S21"] = f.SalesTaxCodeFactory(
        code="S21",
        name="VAT 21 %",
        rate=Decimal("21"),
        tax_account=setup["codes"]["S25"].tax_account,
    )
    return setup


@pytest.mark.django_db
def test_cen_example_8_with_prices_per_12_and_per_1000_is_reproduced(api_as, vat_21):
    client = api_as("accountant")
    setup = vat_21  # noqa: F811 (the fixture's dict, with the 21 % code)

    # Given the example's lines. Our unit prices have four decimals, so the transport price of
    # 0.00101 per kWh is entered as 1.01 per 1,000 kWh: the same price, which is what a price
    # base quantity (BT-149) is for. The yearly fees are per 12 months, billed for one month.
    invoice = _post(
        client,
        setup,
        [
            _line(setup, 16000, "0.0088", "S21", unit_code="KWH", description="kWh transported"),
            _line(
                setup,
                16000,
                "1.01",
                "S21",
                unit_code="KWH",
                price_base_quantity=1000,
                description="System services",
            ),
            _line(
                setup,
                132,
                "15.24",
                "S21",
                unit_code="KW",
                price_base_quantity=12,
                description="Contracted transport capacity",
            ),
            _line(setup, 58, "1.53", "S21", unit_code="KW", description="Peak capacity drawn"),
            _line(
                setup,
                1,
                "441.00",
                "S21",
                unit_code="MON",
                price_base_quantity=12,
                description="Standing charge, transport",
            ),
            _line(
                setup,
                1,
                "678.00",
                "S21",
                unit_code="MON",
                price_base_quantity=12,
                description="Standing charge, connection",
            ),
            _line(setup, 1, "83.34", "S21", unit_code="MON", description="Transformer rent"),
            _line(setup, 1, "190.31", "S21", unit_code="MON", description="Switchgear rent"),
            _line(setup, 1, "64.21", "S21", unit_code="MON", description="Other equipment rent"),
            _line(setup, 1, "64.46", "S21", unit_code="MON", description="Metering rent"),
        ],
        [],
        period_start="2014-08-01",
        period_end="2014-08-31",
    )

    # When our UBL is made from the posted invoice
    ours, ubl = _ours(client, invoice)

    # Then every amount is the example's, the lines state the example's prices and units, and
    # the UBL and the CII pass the rules.
    example = _example_root("ubl-tc434-example8")
    assert ours == _amounts(example)
    assert _prices_per_unit(etree.fromstring(ubl)) == _prices_per_unit(example)
    assert _cii_totals(invoice) == _as_cii(_amounts(example), ["EUR"])
    _assert_valid(ubl, invoice)
