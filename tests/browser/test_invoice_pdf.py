"""An accountant opens a posted invoice in Chromium and follows its PDF link: the PDF is in the
customer's language and says where to pay, with which reference, on which terms."""

import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from tests import factories as f
from tests.invoicing.test_invoice_pdf import EXPECTED, SEEDED_IBAN, post_invoice_in_euros

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["nb", "sv", "nl"])
def test_an_accountant_gets_the_invoice_pdf_in_the_customers_language(page, login, language):
    expected = EXPECTED[language]
    # Posting renders the PDF (the task runs in-process) in the customer's language.
    invoice = post_invoice_in_euros(language=language, buyer_country=expected["buyer_country"])
    f.UserFactory(username="accountant", groups=["accountant"])

    login("accountant")
    page.goto(f"/invoicing/invoices/{invoice.pk}/")
    link = page.get_by_role("link", name=re.compile(re.escape(invoice.number)))
    link.wait_for()
    response = page.request.get(link.get_attribute("href"))

    assert response.ok and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.body()))
    text = re.sub(r"[\s\u00a0\u202f]+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "IBAN " + SEEDED_IBAN in text and expected["account"] in text
    assert f"{expected['reference_label']} {invoice.payment_reference}" in text
    assert expected["terms"] in text
