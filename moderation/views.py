"""The rules settings page and the school's policy.

Only the headteacher and the computing lead (Perm.EDIT_RULES) see the rules page: its settings
(word lists, trusted accounts) are working detail, and what every member of staff needs is on
the policy page, which shows under each paragraph which of the portal's checks put it into
practice. Everyone reads the policy; the headteacher and computing lead draft new versions;
only the headteacher signs them off.
"""

import hashlib
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.permissions import Perm, has_perm

from . import selectors, services
from .engine import Finding, check_text
from .forms import RULE_TYPE_HELP, PolicyDraftForm, PolicySignOffForm, RuleForm, RuleTryForm
from .models import PolicyAcknowledgement, PolicyVersion, Rule
from .policy import Section, parse_policy, policy_default_text
from .rules import SETTINGS, RuleType

# A list setting shows this many entries on the rules page; the edit form has them all.
_ENTRIES_SHOWN = 8


# Rules.


def _rule_or_404(request, pk: int) -> Rule:
    return get_object_or_404(selectors.rules_for_school(school=request.school), pk=pk)


def _settings_summary(rule: Rule) -> list[tuple[str, str]]:
    summary = []
    for setting in SETTINGS[rule.type]:
        value = rule.parameters.get(setting.name, setting.default)
        if isinstance(value, bool):
            shown = "on" if value else "off"
        elif isinstance(value, list):
            shown = ", ".join(value[:_ENTRIES_SHOWN]) or "none"
            if len(value) > _ENTRIES_SHOWN:
                shown += f" and {len(value) - _ENTRIES_SHOWN} more"
        else:
            shown = "no limit" if value is None else str(value)
        summary.append((setting.label, shown))
    return summary


def _rules_page(request, *, try_form: RuleTryForm, result: dict | None = None) -> dict:
    paragraphs = selectors.policy_paragraph_choices(school=request.school)
    rows = [
        {
            "rule": rule,
            "settings": _settings_summary(rule),
            "paragraph": paragraphs.get(rule.policy_paragraph, ""),
        }
        for rule in selectors.rules_for_school(school=request.school)
    ]
    return {"rows": rows, "try_form": try_form, "result": result}


@require_GET
@school_member_required(Perm.EDIT_RULES)
def rules_list(request):
    context = _rules_page(request, try_form=RuleTryForm(school=request.school))
    return render(request, "moderation/rules_list.html", context)


def _rule_form(request, *, rule_type: str, rule: Rule | None = None) -> RuleForm:
    return RuleForm(
        request.POST if request.method == "POST" else None,
        rule_type=rule_type,
        school=request.school,
        paragraphs=selectors.policy_paragraph_choices(school=request.school),
        rule=rule,
    )


def _rule_form_page(form: RuleForm, *, rule_type: str, rule: Rule | None = None) -> dict:
    return {"form": form, "rule_type": RuleType(rule_type), "help": RULE_TYPE_HELP[rule_type], "rule": rule}


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.EDIT_RULES)
def rule_create(request):
    rule_type = request.POST.get("type") or request.GET.get("type")
    if rule_type not in RuleType.values:
        types = [(value, label, RULE_TYPE_HELP[value]) for value, label in RuleType.choices]
        return render(request, "moderation/rule_type_choose.html", {"types": types})
    form = _rule_form(request, rule_type=rule_type)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(actor=request.membership, type=rule_type, request=request, **form.rule_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Rule added: {rule}.")
            return redirect(f"{reverse('rules_list')}#rule-{rule.pk}")
    return render(request, "moderation/rule_form.html", _rule_form_page(form, rule_type=rule_type))


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.EDIT_RULES)
def rule_edit(request, pk: int):
    rule = _rule_or_404(request, pk)
    form = _rule_form(request, rule_type=rule.type, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(actor=request.membership, rule=rule, request=request, **form.rule_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Rule saved: {rule}.")
            return redirect(f"{reverse('rules_list')}#rule-{rule.pk}")
    return render(request, "moderation/rule_form.html", _rule_form_page(form, rule_type=rule.type, rule=rule))


@require_POST
@school_member_required(Perm.EDIT_RULES)
def rule_delete(request, pk: int):
    rule = _rule_or_404(request, pk)
    described = str(rule)
    services.rule_delete(actor=request.membership, rule=rule, request=request)
    messages.success(request, f"Rule deleted: {described}.")
    return redirect("rules_list")


@dataclass(frozen=True)
class _Piece:
    text: str
    severity: str = ""  # "block", "warn", or "" for text no finding points at
    numbers: str = ""  # the findings (numbered as listed) that point here


def highlight(text: str, findings: list[Finding]) -> list[_Piece]:
    """The text cut where findings start and end, each piece marked with the most serious
    finding over it. Plain strings: the template escapes them."""
    spans = [(max(0, f.start), min(len(text), f.end), f.severity) for f in findings]
    cuts = sorted({0, len(text)} | {point for start, end, _ in spans if start < end for point in (start, end)})
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        over = [(number, level) for number, (s, e, level) in enumerate(spans, 1) if s <= start and end <= e]
        levels = {level for _, level in over}
        worst = "block" if "block" in levels else ("warn" if levels else "")
        pieces.append(_Piece(text[start:end], worst, ", ".join(str(number) for number, _ in over)))
    return pieces


@require_POST
@school_member_required(Perm.EDIT_RULES)
def rules_try(request):
    """Check a sample post against the school's rules, as a teacher's draft would be."""
    form = RuleTryForm(request.POST, school=request.school)
    result = None
    if form.is_valid():
        text = form.cleaned_data["text"]
        findings = check_text(
            text,
            school=request.school,
            account=form.cleaned_data["account"],
            has_images=form.cleaned_data["has_images"],
        )
        paragraphs = selectors.policy_paragraph_choices(school=request.school)
        result = {
            "pieces": highlight(text, findings),
            "findings": [
                {
                    "finding": finding,
                    "rule_label": RuleType(finding.rule).label,
                    "paragraph": paragraphs.get(finding.policy_paragraph, ""),
                }
                for finding in findings
            ],
            "blocks": sum(finding.severity == "block" for finding in findings),
        }
    if request.htmx:
        return render(request, "moderation/_rules_try_result.html", {"try_form": form, "result": result})
    return render(request, "moderation/rules_list.html", _rules_page(request, try_form=form, result=result))


# The policy.


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _safe_next(request, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return None


def _plain(sections: list[Section]) -> list[dict]:
    return [{"section": section} for section in sections]


def _sections_with_rules(sections: list[Section], rules: dict[str, list[Rule]]) -> list[dict]:
    return [{"section": section, "rules": rules.get(section.anchor, [])} for section in sections]


@require_GET
@school_member_required()
def policy_current(request):
    school = request.school
    may_draft = has_perm(request.membership, Perm.EDIT_RULES)
    versions = list(selectors.signed_off_policy_versions(school=school))
    current = versions[0] if versions else None
    context = {
        "current": current,
        "older": [{"version": version, "sections": _plain(parse_policy(version.body))} for version in versions[1:]],
        "draft": selectors.policy_draft(school=school) if may_draft else None,
        "may_draft": may_draft,
        "may_sign_off": has_perm(request.membership, Perm.SIGN_OFF_POLICY),
        "next": _safe_next(request, request.GET.get("next")),
    }
    if current is not None:
        rules = selectors.rules_by_paragraph(school=school)
        context["sections"] = _sections_with_rules(parse_policy(current.body), rules)
        context["acknowledgement"] = PolicyAcknowledgement.objects.filter(version=current, user=request.user).first()
        if may_draft:
            context["have_read"], context["not_read"] = selectors.policy_readers(version=current)
            context["staff_count"] = len(context["have_read"]) + len(context["not_read"])
    return render(request, "moderation/policy_current.html", context)


@require_POST
@school_member_required()
def policy_acknowledge(request):
    version_id = request.POST.get("version", "")
    if not version_id.isdigit():
        return redirect("policy_current")
    version = get_object_or_404(PolicyVersion, school=request.school, pk=int(version_id))
    try:
        services.policy_acknowledge(actor=request.membership, version=version, request=request)
    except services.PolicyError as error:
        messages.error(request, str(error))
        return redirect("policy_current")
    messages.success(request, f"Thank you. You have confirmed that you read version {version.number} of the policy.")
    return redirect(_safe_next(request, request.POST.get("next")) or "policy_current")


def _missing_anchors(request, sections: list[Section]) -> list[str]:
    """Policy paragraphs the school's rules link to that the text no longer has."""
    anchors = {section.anchor for section in sections}
    return sorted(set(selectors.rules_by_paragraph(school=request.school)) - anchors)


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.EDIT_RULES)
def policy_edit(request):
    """Write the next version: the open draft, or a new one starting from the current text."""
    school = request.school
    draft = selectors.policy_draft(school=school)
    current = selectors.current_policy(school=school)
    if draft is not None:
        starting_from, text = "draft", draft.body
    elif current is not None:
        starting_from, text = "current", current.body
    else:
        starting_from, text = "default", policy_default_text(school)
    form = PolicyDraftForm(request.POST if request.method == "POST" else None, initial={"body": text})
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            sections = parse_policy(form.cleaned_data["body"])
            preview = {"sections": _plain(sections), "missing": _missing_anchors(request, sections)}
        else:
            try:
                if draft is None:
                    draft = services.policy_draft_create(
                        actor=request.membership, body=form.cleaned_data["body"], request=request
                    )
                else:
                    draft = services.policy_draft_update(
                        actor=request.membership, version=draft, body=form.cleaned_data["body"], request=request
                    )
            except ValidationError as error:
                form.add_error(None, error)
            except services.PolicyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"Draft version {draft.number} saved.")
                may_sign_off = has_perm(request.membership, Perm.SIGN_OFF_POLICY)
                return redirect("policy_sign_off" if may_sign_off else "policy_current")
    return render(
        request,
        "moderation/policy_edit.html",
        {"form": form, "draft": draft, "current": current, "starting_from": starting_from, "preview": preview},
    )


def _compare(sections: list[Section], earlier: list[Section] | None) -> tuple[list[dict], list[Section]]:
    """The draft's sections marked new or changed against the current policy (None before the
    first), and the current policy's sections the draft drops."""
    if earlier is None:
        return [{"section": section, "change": ""} for section in sections], []
    before = {section.anchor: section for section in earlier}
    marked = []
    for section in sections:
        previous = before.get(section.anchor)
        change = "new" if previous is None else ("changed" if previous != section else "")
        marked.append({"section": section, "change": change})
    anchors = {section.anchor for section in sections}
    return marked, [section for section in earlier if section.anchor not in anchors]


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.SIGN_OFF_POLICY)
def policy_sign_off(request):
    school = request.school
    draft = selectors.policy_draft(school=school)
    if draft is None:
        return render(request, "moderation/policy_sign_off.html", {"draft": None})
    today = timezone.localdate()
    form = PolicySignOffForm(
        request.POST if request.method == "POST" else None,
        initial={"adopted_on": today, "review_due": services.one_year_after(today)},
    )
    if request.method == "POST" and form.is_valid():
        if request.POST.get("seen") != _digest(draft.body):
            form.add_error(None, "The draft has changed since you opened this page. Read it again, then sign it off.")
        else:
            try:
                version = services.policy_sign_off(
                    actor=request.membership,
                    version=draft,
                    adopted_on=form.cleaned_data["adopted_on"],
                    review_due=form.cleaned_data["review_due"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            except services.PolicyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Version {version.number} is now the school's policy. Staff will be asked to read it "
                    "before they next draft a post.",
                )
                return redirect("policy_current")
    current = selectors.current_policy(school=school)
    sections = parse_policy(draft.body)
    marked, dropped = _compare(sections, parse_policy(current.body) if current is not None else None)
    return render(
        request,
        "moderation/policy_sign_off.html",
        {
            "draft": draft,
            "current": current,
            "sections": marked,
            "dropped": dropped,
            "missing": _missing_anchors(request, sections),
            "form": form,
            "seen": _digest(draft.body),
        },
    )
