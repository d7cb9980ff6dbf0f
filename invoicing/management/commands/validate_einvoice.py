from django.core.management.base import BaseCommand, CommandError

from invoicing.einvoice.exports import WRITERS, einvoice_of
from invoicing.einvoice.validation import ValidatorUnavailable, validate
from invoicing.models import Invoice


class Command(BaseCommand):
    help = (
        "Validate the e-invoice of a posted invoice or credit note against the XSD and the "
        "EN 16931 business rules, as Factur-X CII and as Peppol UBL. Exits 1 when invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="The invoice or credit note number, e.g. INV000012.")
        parser.add_argument(
            "--syntax", choices=["cii", "ubl"], action="append", help="Only this syntax."
        )

    def handle(self, *args, number, syntax, **options):
        invoice = (
            Invoice.objects.select_related("customer__party", "currency")
            .filter(number=number, status=Invoice.Status.POSTED)
            .exclude(kind=Invoice.Kind.PRO_FORMA)
            .first()
        )
        if invoice is None:
            raise CommandError(f"No posted invoice or credit note numbered {number!r}.")
        einvoice = einvoice_of(invoice)
        self.stdout.write(
            f"{invoice.get_kind_display()} {invoice.number}, {invoice.customer.party.name}, "
            f"{einvoice.payable} {einvoice.currency}"
        )
        invalid = []
        for name in syntax or ["cii", "ubl"]:
            try:
                result = validate(WRITERS[name](einvoice), name)
            except ValidatorUnavailable as exc:
                raise CommandError(f"The {name.upper()} validator could not run: {exc}") from exc
            style = self.style.SUCCESS if result.ok else self.style.ERROR
            self.stdout.write(style(str(result)))
            if not result.ok:
                invalid.append(name.upper())
        if invalid:
            raise CommandError(
                f"{invoice.number} is not a valid e-invoice in {', '.join(invalid)}."
            )
