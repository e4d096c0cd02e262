"""The one catalog: locale number formats, translated findings, and a complete French catalog."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from nnaudit.errors import UserInputError
from nnaudit.results import Finding
from nnaudit.reports.formatting import format_finding, format_number
from nnaudit.reports.i18n import has_translation, translator

REPO = Path(__file__).resolve().parents[2]


def test_numbers_follow_the_locale():
    assert format_number(0.95, "en") == "0.95"
    assert format_number(0.95, "fr") == "0,95"
    assert format_number(12345.678, "en") == "12,345.68"
    assert format_number(12345.678, "fr") == "12\u202f345,68"
    assert format_number(0.041, "en", "percent") == "4.1%"
    assert format_number(0.041, "fr", "percent") == "4,1\xa0%"
    assert format_number(2e-9, "en", "percent") == "< 0.1%"     # not a misleading 0%
    assert format_number(0.0, "en", "percent") == "0%"
    assert format_number(3000, "fr") == "3\u202f000"
    # small values keep two significant digits instead of collapsing to 0.01
    assert format_number(0.0123, "en") == "0.012"
    assert format_number(0.0, "en") == "0"


def test_undefined_values_are_a_dash_and_booleans_words():
    # a word such as "undefined" reads like a result in a table; a dash does not
    assert format_number(float("nan"), "en") == "—"
    assert format_number(None, "fr") == "—"
    assert format_number(True, "fr") == "oui"
    assert format_number(0.041, "fr", "points") == "4,1"      # a table headed "(%)"


def test_finding_is_translated_and_formatted():
    finding = Finding("Some groups ({count}) have too few test examples for a reliable error "
                      "rate. What can still be concluded about them, and who should collect the "
                      "missing evidence?", {"count": 1200})
    assert format_finding(finding, "en").startswith("Some groups (1,200) have")
    assert format_finding(finding, "fr").startswith("Certains groupes (1\u202f200) ont trop peu")


def test_pct_params_are_percentages_and_untranslated_templates_fall_back_to_english():
    finding = Finding("{group} errs {error_pct} of the time, {ratio} times more.",
                      {"group": "female", "error_pct": 0.2134, "ratio": 4.2})
    assert format_finding(finding, "en") == "female errs 21.3% of the time, 4.2 times more."
    assert format_finding(finding, "fr") == "female errs 21,3\xa0% of the time, 4,2 times more."


def test_a_missing_placeholder_stays_visible_instead_of_failing():
    assert format_finding(Finding("{a} and {b}", {"a": 1}), "en") == "1 and {b}"


def test_unknown_language_is_a_user_error():
    with pytest.raises(UserInputError, match="'de'"):
        translator("de")


def _literal_strings(node: ast.AST, constants: dict[str, ast.AST]) -> list[str]:
    """The strings a template argument can be: a literal, a module-level constant, or either
    branch of a conditional expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return _literal_strings(constants[node.id], {})
    if isinstance(node, ast.IfExp):
        return _literal_strings(node.body, constants) + _literal_strings(node.orelse, constants)
    return []


def _string_calls(path: Path, names: set[str]) -> list[str]:
    """Message ids passed to ``names`` (``Finding(...)``, ``_(...)``, ``N_(...)``, first argument
    or ``template=``) and to ``translator(lang)("...")``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for target in node.targets if isinstance(target, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (func.id if isinstance(func, ast.Name) else func.attr
                if isinstance(func, ast.Attribute) else None)
        by_translator = (isinstance(func, ast.Call) and isinstance(func.func, ast.Name)
                         and func.func.id == "translator")
        if not (name in names or by_translator):
            continue
        args = node.args[:1] + [k.value for k in node.keywords if k.arg == "template"]
        for arg in args:
            found += _literal_strings(arg, constants)
    return found


def finding_templates_in_audit() -> dict[str, str]:
    """Every literal ``Finding(template, ...)`` and ``N_("...")`` written in audit/: msgid -> file."""
    templates = {}
    for path in sorted((REPO / "audit").rglob("*.py")):
        for template in _string_calls(path, {"Finding", "N_"}):
            templates.setdefault(template, str(path.relative_to(REPO)))
    return templates


def report_messages() -> dict[str, str]:
    """Every message id the reports show: Python calls and ``_("...")`` in the templates."""
    messages = {}
    for path in sorted((REPO / "reports").rglob("*.py")):
        for msgid in _string_calls(path, {"_", "N_", "Finding"}):
            messages.setdefault(msgid, str(path.relative_to(REPO)))
    for path in sorted((REPO / "reports" / "templates").glob("*.j2")):
        for quote in ('"', "'"):
            pattern = rf"_\({quote}((?:[^{quote}\\]|\\.)*){quote}\)"
            for msgid in re.findall(pattern, path.read_text(encoding="utf-8")):
                messages.setdefault(msgid, str(path.relative_to(REPO)))
    return messages


def test_the_extractor_finds_report_strings():
    # guards the completeness tests below against an extractor that finds nothing
    messages = report_messages()
    assert "Questions for discussion" in messages       # a template string
    assert "Fairness across subgroups" in messages      # an N_() constant
    assert "yes" in messages                            # translator(lang)("...") style
    assert len(messages) > 60


def test_every_report_string_has_a_french_translation():
    missing = {m: where for m, where in report_messages().items() if not has_translation(m, "fr")}
    assert not missing, f"add these to reports/locales/fr/LC_MESSAGES/nnaudit.po: {missing}"


def test_every_finding_template_of_the_audits_has_a_french_translation():
    """Fails when an audit adds a Finding template without its French translation."""
    missing = {t: where for t, where in finding_templates_in_audit().items()
               if not has_translation(t, "fr")}
    assert not missing, f"add these to reports/locales/fr/LC_MESSAGES/nnaudit.po: {missing}"


def dashboard_messages() -> dict[str, str]:
    """The dashboard's strings: it translates with ``t("...")`` from the same catalog."""
    messages = {}
    for path in sorted((REPO / "dashboards").rglob("*.py")):
        for msgid in _string_calls(path, {"t", "_", "N_"}):
            messages.setdefault(msgid, str(path.relative_to(REPO)))
    return messages


def test_every_dashboard_string_has_a_french_translation():
    missing = {m: where for m, where in dashboard_messages().items()
               if not has_translation(m, "fr")}
    assert not missing, f"add these to reports/locales/fr/LC_MESSAGES/nnaudit.po: {missing}"


def test_french_translations_keep_the_placeholders():
    fr = translator("fr")
    for msgid in {**report_messages(), **finding_templates_in_audit(), **dashboard_messages()}:
        if has_translation(msgid, "fr"):
            assert set(re.findall(r"{(\w+)}", fr(msgid))) == set(re.findall(r"{(\w+)}", msgid)), msgid
