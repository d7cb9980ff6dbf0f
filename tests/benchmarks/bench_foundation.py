"""Benchmarks of the foundation (run with `make bench`; never part of `make test`)."""

import itertools

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from salesmkt.core.numbering import next_number
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(f.UserFactory(is_superuser=True))
    return client


@pytest.fixture
def customers_500():
    group, terms, currency = f.CustomerGroupFactory(), f.PaymentTermsFactory(), f.CurrencyFactory()
    tax_group, profile = f.SalesTaxGroupFactory(), f.PostingProfileFactory()
    for _ in range(500):
        customer = f.CustomerFactory(
            customer_group=group,
            payment_terms=terms,
            currency=currency,
            sales_tax_group=tax_group,
            posting_profile=profile,
        )
        f.PartyAddressFactory(party=customer.party)


def test_api_customer_list_page_of_50_out_of_500(benchmark, api, customers_500):
    response = benchmark(api.get, "/api/v1/customers/?page_size=50")
    assert response.status_code == 200 and len(response.json()["results"]) == 50


def test_api_customer_create_with_nested_party(benchmark, api):
    payload = {
        "customer_group": f.CustomerGroupFactory().pk,
        "payment_terms": f.PaymentTermsFactory().pk,
        "currency": f.CurrencyFactory().pk,
        "sales_tax_group": f.SalesTaxGroupFactory().pk,
        "posting_profile": f.PostingProfileFactory().pk,
        "credit_limit": "1000.00",
    }
    counter = itertools.count()

    def create():
        n = next(counter)
        return api.post(
            "/api/v1/customers/",
            {
                **payload,
                "party": {
                    "name": f"Bench {n} AS",
                    "addresses": [
                        {
                            "purpose": "invoice",
                            "street": "Gate 1",
                            "postal_code": "0150",
                            "city": "Oslo",
                            "country": "NO",
                        }
                    ],
                },
            },
            format="json",
        )

    response = benchmark(create)
    assert response.status_code == 201


def test_ui_customer_list_page_of_25_out_of_500(benchmark, customers_500):
    client = Client()
    client.force_login(f.UserFactory(is_superuser=True))
    response = benchmark(client.get, "/crm/customers/")
    assert response.status_code == 200


def test_number_series_next_number(benchmark):
    def take():
        with transaction.atomic():
            return next_number("bench")

    assert benchmark(take)
