from django.db import migrations

# Documents posted before the seller was frozen on them get today's company profile (as the
# settings seeded it) and their buyer's identifiers as they are now, once: from here on their
# PDF and e-invoices no longer follow the profile. Their chain hash stays version 1, which does
# not cover these fields, so the chains still verify.


def fill_seller(apps, schema_editor):
    from salesmkt.finance.company import seller_snapshot

    Invoice = apps.get_model("invoicing", "Invoice")
    CompanyProfile = apps.get_model("finance", "CompanyProfile")
    profile = CompanyProfile.objects.prefetch_related("bank_accounts__currency").first()
    if profile is None:
        return
    posted = Invoice.objects.filter(status="posted", seller={}).select_related("customer__party")
    for invoice in posted.iterator(chunk_size=500):
        party = invoice.customer.party
        invoice.seller = seller_snapshot(profile, invoice.currency_code)
        invoice.buyer_registration_scheme = party.registration_scheme
        invoice.buyer_registration_id = party.registration_id
        invoice.buyer_endpoint_scheme = party.endpoint_scheme
        invoice.buyer_endpoint_id = party.endpoint_id
        invoice.save(
            update_fields=[
                "seller",
                "buyer_registration_scheme",
                "buyer_registration_id",
                "buyer_endpoint_scheme",
                "buyer_endpoint_id",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0010_invoice_seller_snapshot"),
        ("finance", "0004_seed_company"),
        ("crm", "0003_party_einvoice_identifiers"),
    ]

    operations = [migrations.RunPython(fill_seller, migrations.RunPython.noop)]
