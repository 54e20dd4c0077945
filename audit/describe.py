"""The audit trail in plain words.

The trail stores what happened as a code ("post.approved") with ids. Each app says what its own
codes mean, in its `audit_descriptions` module (loaded from the app's `ready()`):

- `kinds(category)` gives a `Describer`, whose `add` names one kind of event: a short label for the
  filter, and a sentence template with `{who}` (the person, or "The portal"), `{target}` (the object
  the entry is about), any other objects named in the entry's data (`refs`) and values worked out
  from the data (`values`).
- `register_target(model_label, resolve, gone=...)` says how to name one kind of object and link to
  its page, for a whole page of entries with one query; `gone` is what to say when it no longer
  exists (or is not the school's).

`describe_events` turns a page of entries into `Entry`s: a plain sentence for the CSV, and the same
sentence as HTML with a link for each object the viewer may open. This module imports nothing from
the other apps: they fill it in, so the lowest layer stays the lowest.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import AuditEvent

THE_PORTAL = "The portal"


@dataclass(frozen=True)
class Category:
    slug: str
    label: str


# The filter's groups, in the order the page lists them.
CATEGORIES: dict[str, Category] = {
    category.slug: category
    for category in (
        Category("posts", "Posts and photos"),
        Category("consent", "Pupils and consent"),
        Category("staff", "Staff and sign-in"),
        Category("audience", "Followers, mentions and blocks"),
        Category("concerns", "Concerns and incidents"),
        Category("policy", "Policy and rules"),
        Category("accounts", "School and social media accounts"),
        Category("trail", "Audit trail downloads"),
    )
}


@dataclass(frozen=True)
class Ref:
    """An object an entry names, as the viewer may see it: its name, and its page if they may open it."""

    label: str
    url: str = ""


Sentence = str | Callable[[dict], str]
Values = Callable[[dict], Mapping[str, object]]
Resolver = Callable[..., Mapping[str, Ref]]


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    category: Category
    sentence: Sentence
    refs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    values: Values | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    subject: str = "target"


@dataclass(frozen=True)
class TargetType:
    resolve: Resolver
    gone: str
    keep_stored_name: bool


_KINDS: dict[str, Kind] = {}
_TARGETS: dict[str, TargetType] = {}


class Describer:
    """Adds one app's kinds of event to one category of the filter."""

    def __init__(self, category: str):
        if category not in CATEGORIES:
            raise ImproperlyConfigured(f"No audit category {category!r}: choose one of {', '.join(CATEGORIES)}.")
        self.category = CATEGORIES[category]

    def add(
        self,
        code: str,
        label: str,
        sentence: Sentence,
        *,
        refs: Mapping[str, tuple[str, str]] | None = None,
        values: Values | None = None,
        labels: Mapping[str, str] | None = None,
        subject: str = "target",
    ) -> None:
        """`refs` maps a name in the sentence to (model label, key of its id in the entry's data);
        `labels` replaces an object's own name as the link text (the link stays); `subject` is the
        object the CSV's "object" column names."""
        if code in _KINDS:
            raise ImproperlyConfigured(f"The audit event {code!r} is described twice.")
        _KINDS[code] = Kind(
            code=code,
            label=label,
            category=self.category,
            sentence=sentence,
            refs=refs or {},
            values=values,
            labels=labels or {},
            subject=subject,
        )


def kinds(category: str) -> Describer:
    return Describer(category)


def register_target(model_label: str, resolve: Resolver, *, gone: str, keep_stored_name: bool = False) -> None:
    """`resolve(ids, *, school, viewer)` returns {id: Ref} for the ids that are the school's, in one query.

    `keep_stored_name`: when the object is gone, name it as the entry stored it at the time. Only for
    objects whose stored name says nothing private (a pupil's stored name is their full name)."""
    if model_label in _TARGETS:
        raise ImproperlyConfigured(f"The audit target {model_label!r} is registered twice.")
    _TARGETS[model_label] = TargetType(resolve=resolve, gone=gone, keep_stored_name=keep_stored_name)


def kind_for(code: str) -> Kind | None:
    return _KINDS.get(code)


def described_codes() -> frozenset[str]:
    return frozenset(_KINDS)


def registered_targets() -> frozenset[str]:
    return frozenset(_TARGETS)


def kinds_by_category() -> list[tuple[Category, list[Kind]]]:
    """Every category that has kinds, in the page's order, each with its kinds by label."""
    grouped: dict[str, list[Kind]] = defaultdict(list)
    for kind in _KINDS.values():
        grouped[kind.category.slug].append(kind)
    return [
        (category, sorted(grouped[slug], key=lambda kind: kind.label.strip("“”‘’").lower()))
        for slug, category in CATEGORIES.items()
        if grouped[slug]
    ]


def codes_in(category: str) -> list[str]:
    return sorted(code for code, kind in _KINDS.items() if kind.category.slug == category)


# Helpers for the apps' sentences.


def pks(ids: Iterable[str]) -> list[int]:
    """The ids that can be primary keys (entries store them as text)."""
    return sorted({int(value) for value in ids if str(value).isdigit()})


def words(items: Iterable[object], *, empty: str = "none") -> str:
    """A list as a sentence says it: "a", "a and b", "a, b and c"."""
    items = [str(item) for item in items if item not in (None, "")]
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def count(number: object, one: str, many: str | None = None) -> str:
    """A number of things: "1 pupil", "1,204 pupils"."""
    number = int(number or 0)
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def day(value: object) -> str:
    """An ISO date (or date-time) from an entry's data as "3 Dec 2026"; what it was if it is not one."""
    if not value:
        return "no date"
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if len(str(value)) <= 10:
        return format_date(parsed.date(), "j M Y")
    return format_date(timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed, "j M Y")


def moment(value: object) -> str:
    """An ISO date-time from an entry's data as "3 Dec 2026 at 14:05", in the school's time."""
    if not value:
        return "no time"
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return format_date(parsed, "j M Y \\a\\t H:i")


def label_of(choices, value: object, *, lower: bool = True) -> str:
    """A TextChoices label for a stored value (lower case to sit inside a sentence); the value itself
    when the choices no longer have it."""
    try:
        label = str(choices(value).label)
    except ValueError:
        return str(value)
    return label[:1].lower() + label[1:] if lower else label


# Describing a page of entries.


@dataclass(frozen=True)
class Entry:
    event: AuditEvent
    who: str
    text: str
    html: SafeString
    subject: str
    category: Category | None
    kind_label: str

    @property
    def when(self) -> datetime:
        return timezone.localtime(self.event.created_at)

    @property
    def full_stop(self) -> str:
        """What ends the sentence on the page: a full stop, unless it has one ("Ava P.")."""
        return "" if self.text.endswith((".", "!", "?")) else "."


def who_did(event: AuditEvent) -> str:
    actor = event.actor
    if actor is None:
        return THE_PORTAL
    return actor.get_full_name() or actor.email


def describe_events(events: Iterable[AuditEvent], *, school, viewer) -> list[Entry]:
    """Sentences for entries of `school`, with links for `viewer` (a Membership). One query per kind
    of object the entries name, whatever their number: load the entries with their actor."""
    events = list(events)
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        for model_label, object_id in _refs_of(event).values():
            wanted[model_label].add(object_id)
    found = {
        model_label: _TARGETS[model_label].resolve(sorted(ids), school=school, viewer=viewer)
        for model_label, ids in wanted.items()
        if model_label in _TARGETS
    }
    return [_describe(event, found) for event in events]


def _data(event: AuditEvent) -> dict:
    return event.data if isinstance(event.data, dict) else {}


def _refs_of(event: AuditEvent) -> dict[str, tuple[str, str]]:
    refs = {}
    if event.target_type and event.target_id:
        refs["target"] = (event.target_type, event.target_id)
    kind = _KINDS.get(event.action)
    if kind is not None:
        data = _data(event)
        for name, (model_label, key) in kind.refs.items():
            value = data.get(key)
            if value not in (None, "") and not isinstance(value, dict | list):
                refs[name] = (model_label, str(value))
    return refs


def _ref(event: AuditEvent, name: str, model_label: str, object_id: str, found: dict) -> Ref:
    ref = found.get(model_label, {}).get(object_id)
    if ref is not None:
        return ref
    target_type = _TARGETS.get(model_label)
    if target_type is None:
        return Ref(_unregistered(model_label))
    if name == "target" and target_type.keep_stored_name and event.target_repr:
        return Ref(event.target_repr)
    return Ref(target_type.gone)


def _unregistered(model_label: str) -> str:
    """An object no app has said how to name: what kind of thing it is, never its stored name, which
    could be anything (a pupil's stored name is their full name)."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return "something"
    return f"a {model._meta.verbose_name}"


def _link(ref: Ref) -> SafeString:
    if ref.url:
        return format_html('<a href="{}">{}</a>', ref.url, ref.label)
    return format_html("{}", ref.label)


def _describe(event: AuditEvent, found: dict) -> Entry:
    kind = _KINDS.get(event.action)
    who = who_did(event)
    refs = {
        name: _ref(event, name, model_label, object_id, found)
        for name, (model_label, object_id) in _refs_of(event).items()
    }
    subject = refs.get(kind.subject if kind else "target") or refs.get("target")
    if kind is not None:
        refs = {name: Ref(kind.labels[name], ref.url) if name in kind.labels else ref for name, ref in refs.items()}
    text, html = _sentence(kind, event, who, refs)
    return Entry(
        event=event,
        who=who,
        text=text,
        html=html,
        subject=subject.label if subject else "",
        category=kind.category if kind else None,
        kind_label=kind.label if kind else _readable(event.action),
    )


def _readable(code: str) -> str:
    """A code nobody has described yet, as words: "widget.frobbed_twice" is "Widget frobbed twice"."""
    text = " ".join(code.replace(".", " ").replace("_", " ").split()) or "something"
    return text[:1].upper() + text[1:]


def _sentence(kind: Kind | None, event: AuditEvent, who: str, refs: dict[str, Ref]) -> tuple[str, SafeString]:
    if kind is not None:
        data = _data(event)
        try:
            template = kind.sentence(data) if callable(kind.sentence) else kind.sentence
            values = {name: str(value) for name, value in (kind.values(data) if kind.values else {}).items()}
            return _fill(template, who, values, refs)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            pass  # an entry written before its data had this shape: the plain fallback below
    what = kind.label if kind is not None else _readable(event.action)
    template = "{who} recorded “{what}” for {target}" if "target" in refs else "{who} recorded “{what}”"
    return _fill(template, who, {"what": what}, refs)


def _fill(template: str, who: str, values: dict[str, str], refs: dict[str, Ref]) -> tuple[str, SafeString]:
    text = template.format(who=who, **values, **{name: ref.label for name, ref in refs.items()})
    html = format_html(template, who=who, **values, **{name: _link(ref) for name, ref in refs.items()})
    return text, html
