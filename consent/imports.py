"""Importing the pupil register and consent from a school MIS export (Arbor, SIMS and the like).

The steps match the pages the office will see:

1. `read_csv` turns the uploaded bytes into a header row and numbered rows.
2. `suggest_mapping` guesses which column holds what; the office confirms or corrects it.
3. `plan_import` is the dry run: what would be created, changed and recorded, and every bad row.
4. `apply_import` does it, all or nothing, in bulk, leaving the audit trail the consent services would.

The standard library's csv module reads the file; what is written here is the part no library
knows: MIS column names, UK dates, the ways a consent answer is spelt, and how a decision in the
file compares with the history already on file.
"""

import contextlib
import csv
import errno
import io
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ClassGroup, Membership
from accounts.permissions import Perm, has_perm
from audit.exports import FORMULA_STARTS
from audit.services import record_many as audit_record_many
from policy_portal.storage import FILE_STORE_DOWN, is_store_failure, private_storage, walk

from . import encodings
from .models import (
    CarerRelationship,
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    ImportJob,
    ImportJobStatus,
    Pupil,
)
from .selectors import ConsentState, effective_consent
from .signals import consent_narrowed, register_changed

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
DEFAULT_GIVEN_BY = "From MIS import"
# An MIS keeps the consent the family gave on its data collection form; there is no better method.
IMPORT_METHOD = ConsentMethod.ADMISSION_FORM
IMPORT_RELATIONSHIP = CarerRelationship.PARENT


class ImportRefused(Exception):
    """The file, the mapping or a row stops the import. Nothing has been changed."""

    def __init__(self, message: str, *, errors: list["RowError"] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


@dataclass(frozen=True)
class RowError:
    """A problem with one line of the file, numbered as the file's own lines are."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    required: bool = False
    purpose: str | None = None  # for consent columns, the purpose they answer


def _consent_field(key: str, purpose: ConsentPurpose) -> ImportField:
    return ImportField(key, f"Consent: {purpose.label.lower()}", purpose=purpose)


FIELDS: dict[str, ImportField] = {
    f.key: f
    for f in (
        ImportField("mis_id", "MIS id", required=True),
        ImportField("first_name", "First name", required=True),
        ImportField("surname", "Surname", required=True),
        ImportField("preferred_name", "Preferred name"),
        ImportField("other_names", "Other names (nicknames)"),
        ImportField("class_name", "Class", required=True),
        ImportField("year_group", "Year group"),
        ImportField("leaving_date", "Leaving date"),
        _consent_field("consent_social_photo", ConsentPurpose.SOCIAL_PHOTO),
        _consent_field("consent_social_name", ConsentPurpose.SOCIAL_NAME),
        _consent_field("consent_website_photo", ConsentPurpose.WEBSITE_PHOTO),
        _consent_field("consent_press", ConsentPurpose.PRESS),
        ImportField("consent_given_by", "Consent given by"),
        ImportField("consent_date", "Consent date"),
    )
}
REQUIRED_FIELDS = tuple(key for key, f in FIELDS.items() if f.required)
CONSENT_FIELDS: dict[str, str] = {key: f.purpose for key, f in FIELDS.items() if f.purpose}
PUPIL_FIELDS = (
    "mis_id",
    "first_name",
    "surname",
    "preferred_name",
    "other_names",
    "class_name",
    "year_group",
    "leaving_date",
)


# Reading the file.


@dataclass(frozen=True)
class ParsedCsv:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, header -> value)
    encoding: str  # a key of consent.encodings.ENCODINGS
    delimiter: str = ","
    encoding_certain: bool = True
    encoding_candidates: tuple[str, ...] = ()  # when not certain: the readings to offer, best first
    encoding_reason: str = ""


def _s(count: int) -> str:
    return "s" if count != 1 else ""


def _size(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def _decode(data: bytes, encoding: str | None) -> tuple[str, encodings.Detected]:
    """The file's text, and how it was read: as `encoding` when the office chose one, otherwise as
    detected (and then `certain` says whether the office must be asked)."""
    try:
        if encoding is None:
            detected = encodings.detect(data)
        elif encoding not in encodings.ENCODINGS:
            raise ImportRefused("The portal does not know that encoding. Choose one from the list.")
        else:
            if not encoding.startswith("utf-16"):
                encodings.check_text(data)
            detected = encodings.Detected(encoding, certain=True)
    except encodings.NotText as not_text:
        raise ImportRefused(str(not_text)) from not_text
    try:
        return encodings.decode(data, detected.encoding), detected
    except UnicodeDecodeError as error:
        raise ImportRefused(
            f"The file cannot be read as {encodings.label(detected.encoding)}: the bytes at position "
            f"{error.start:,} are not letters in it. Choose another encoding, or save the file as “CSV UTF-8”."
        ) from error


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[: sample.rfind("\n")]  # a cut-off last line would mislead the sniffer
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        return ","
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    header = lines[0]
    if delimiter not in header:
        counts = {candidate: header.count(candidate) for candidate in ",;\t"}
        best = max(counts, key=counts.get)
        delimiter = best if counts[best] else ","
    return delimiter


def _unescape(value: str) -> str:
    """Undo the apostrophe an export puts before a value that Excel would run as a formula."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _looks_like_data(cell: str) -> bool:
    return cell.isdigit() or _parse_date(cell) is not None


def _headers_from(cells: list[str]) -> list[tuple[int, str]]:
    """(position, name) for every named column. Unnamed columns (Excel's trailing commas) are dropped,
    and a repeated name gets a number so that each column can still be chosen."""
    if any(_looks_like_data(cell) for cell in cells):
        raise ImportRefused(
            "The first line of the file looks like a pupil, not column names. "
            "Export the file again with its header row."
        )
    seen: Counter[str] = Counter()
    headers = []
    for position, cell in enumerate(cells):
        if not cell:
            continue
        seen[cell] += 1
        headers.append((position, cell if seen[cell] == 1 else f"{cell} ({seen[cell]})"))
    return headers


def read_csv(data: bytes, *, encoding: str | None = None) -> ParsedCsv:
    """Read an uploaded CSV file: comma, semicolon or tab separated; blank lines skipped; every row
    keeps its line number. Its letters are read as `encoding` (a key of consent.encodings.ENCODINGS)
    when given; otherwise as detected, and a file the portal cannot be sure of comes back with
    `encoding_certain` False and the readings to offer the office (see consent/encodings.py)."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            f"The file is {_size(len(data))}; the largest file the portal accepts is {_size(MAX_FILE_BYTES)}. "
            "Export only the columns the portal needs."
        )
    text, detected = _decode(data, encoding)
    if "\x00" in text:
        raise ImportRefused("This does not look like a CSV file. Export the pupil list from the MIS as CSV.")
    delimiter = _sniff_delimiter(text)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[tuple[int, str]] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1  # a quoted value may span lines: count from its first
            cells = [_unescape(cell.strip()) for cell in cells]
            if not any(cells):
                continue
            if headers is None:
                headers = _headers_from(cells)
                continue
            if len(rows) == MAX_ROWS:
                raise ImportRefused(
                    f"The file has more than {MAX_ROWS:,} rows. Split it, for example one year group per file."
                )
            rows.append((start, {name: cells[i] if i < len(cells) else "" for i, name in headers}))
    except csv.Error as error:
        raise ImportRefused(f"Line {line}: the file cannot be read as CSV ({error}).") from error

    if not headers:
        raise ImportRefused("The file is empty: it needs a header row naming its columns, then one row per pupil.")
    if not rows:
        raise ImportRefused("The file has a header row but no pupils under it.")
    return ParsedCsv(
        headers=[name for _, name in headers],
        rows=rows,
        encoding=detected.encoding,
        delimiter=delimiter,
        encoding_certain=detected.certain,
        encoding_candidates=detected.candidates,
        encoding_reason=detected.reason,
    )


# Guessing the mapping.


def _normal(header: str) -> str:
    """So that "Legal First Name", "legal_first_name" and "LegalFirstName" are one column."""
    return "".join(ch for ch in header.casefold() if ch.isalnum())


# Names the MIS packages and schools' own spreadsheets use, most specific first: when a file has
# both "Legal first name" and "First name", the legal one is the first name and the other is ignored.
_ALIASES: dict[str, tuple[str, ...]] = {
    "mis_id": (
        "studentid",
        "pupilid",
        "adno",
        "admissionnumber",
        "admissionno",
        "upn",
        "uniquepupilnumber",
        "id",
    ),
    "first_name": ("legalfirstname", "legalforename", "firstname", "forename", "givenname", "forenames"),
    "surname": ("legallastname", "legalsurname", "surname", "lastname", "familyname"),
    "preferred_name": ("preferredfirstname", "preferredforename", "preferredname", "knownas", "chosenname"),
    "other_names": ("othernames", "nickname", "nicknames", "alsoknownas", "aka", "aliases"),
    "class_name": (
        "registrationform",
        "registrationgroup",
        "regform",
        "reggroup",
        "reg",
        "form",
        "class",
        "classgroup",
        "tutorgroup",
    ),
    "year_group": ("yeargroup", "year", "ncyear", "nationalcurriculumyear", "curriculumyear", "yr"),
    "leaving_date": ("leavingdate", "dateofleaving", "leavedate", "dateleft"),
    "consent_social_photo": (
        "socialmediaphoto",
        "socialmediaphotos",
        "photoonsocialmedia",
        "photosonsocialmedia",
        "socialmediaphotoconsent",
        "photoconsentsocialmedia",
        # A bare "photo consent" column is suggested for social media; the office confirms it.
        "photoconsent",
        "photographconsent",
        "photopermission",
    ),
    "consent_social_name": (
        "socialmedianame",
        "nameonsocialmedia",
        "firstnameonsocialmedia",
        "socialmedianameconsent",
        "nameconsent",
        "namepermission",
    ),
    "consent_website_photo": (
        "websitephoto",
        "websitephotos",
        "photoonwebsite",
        "photosonwebsite",
        "photoonschoolwebsite",
        "websitephotoconsent",
    ),
    "consent_press": ("press", "pressandmedia", "pressmedia", "pressconsent", "mediaconsent", "media"),
    "consent_given_by": ("consentgivenby", "givenby", "consentby", "parentname", "carername", "decidedby"),
    "consent_date": ("consentdate", "dateofconsent", "consentgivenon", "dateconsentgiven", "decidedon"),
}


def suggest_mapping(headers: Iterable[str]) -> dict[str, str | None]:
    """For each column, the portal field it most likely holds (a key of FIELDS), or None to ignore it.

    Each field is given to one column at most. The office confirms the guess before anything is planned.
    """
    headers = list(headers)
    by_normal: dict[str, str] = {}
    for header in headers:
        by_normal.setdefault(_normal(header), header)
    mapping: dict[str, str | None] = dict.fromkeys(headers)
    for key, import_field in FIELDS.items():
        for alias in (_normal(key), _normal(import_field.label), *_ALIASES[key]):
            header = by_normal.get(alias)
            if header is not None and mapping[header] is None:
                mapping[header] = key
                break
    return mapping


def _columns_for(parsed: ParsedCsv, mapping: Mapping[str, str | None]) -> dict[str, str]:
    """Check the mapping against the file; return field -> column."""
    strangers = [header for header in mapping if header not in parsed.headers]
    if strangers:
        raise ImportRefused(f"The file has no column called {_quoted(strangers)}.")
    columns: dict[str, str] = {}
    for header in parsed.headers:
        key = mapping.get(header)
        if not key:
            continue
        if key not in FIELDS:
            raise ImportRefused(f"“{key}” is not something the portal can import.")
        if key in columns:
            raise ImportRefused(
                f"The columns “{columns[key]}” and “{header}” are both matched to {FIELDS[key].label}. Choose one."
            )
        columns[key] = header
    missing = [FIELDS[key].label for key in REQUIRED_FIELDS if key not in columns]
    if missing:
        raise ImportRefused(
            f"The import needs a column for each of: {', '.join(missing)}. "
            "Match a column of the file to each, or add them to the export."
        )
    return columns


def check_mapping(*, parsed: ParsedCsv, mapping: Mapping[str, str | None]) -> None:
    """Refuse a mapping the import cannot use: a column the file lacks, a field matched to two
    columns, or a needed field matched to none. The mapping page asks before the dry run."""
    _columns_for(parsed, mapping)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"“{value}”" for value in values)


# Reading values.


class _Unreadable(ValueError):
    pass


_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")


def _parse_date(value: str) -> date | None:
    for date_format in _DATE_FORMATS:
        try:
            return datetime.strptime(value, date_format).date()  # noqa: DTZ007 - a calendar day, not a moment
        except ValueError:
            continue
    return None


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


_YEAR_GROUP = re.compile(r"(?:nc\s*)?(?:year|yr|y)?\s*(\d{1,2})")


def _parse_year_group(value: str) -> int:
    text = value.casefold().strip()
    if text in {"r", "rec", "reception", "year r"}:
        return 0
    match = _YEAR_GROUP.fullmatch(text)
    if match and int(match[1]) <= 14:
        return int(match[1])
    raise _Unreadable


_ANSWERS = {
    **dict.fromkeys(("yes", "y", "given", "consent given", "consented", "agreed", "1", "true"), ConsentDecision.GIVEN),
    **dict.fromkeys(
        ("no", "n", "refused", "consent refused", "not given", "declined", "withdrawn", "0", "false"),
        ConsentDecision.REFUSED,
    ),
}


def _parse_answer(value: str) -> str:
    try:
        return _ANSWERS[" ".join(value.casefold().split())]
    except KeyError:
        raise _Unreadable from None


# What the register says about a purpose, as one answer. Exports write it, and an import treats an
# answer that already agrees as nothing to record, so an exported register imports as no change.
_ANSWER_FOR_STATE = {
    ConsentState.GIVEN: ConsentDecision.GIVEN,
    ConsentState.REFUSED: ConsentDecision.REFUSED,
    ConsentState.WITHDRAWN: ConsentDecision.REFUSED,
    ConsentState.DISPUTED: ConsentDecision.REFUSED,
}
_ANSWER_LABELS = {ConsentDecision.GIVEN: "Yes", ConsentDecision.REFUSED: "No"}
_STATE_WORDS = {
    ConsentState.GIVEN: "consent",
    ConsentState.REFUSED: "a refusal",
    ConsentState.WITHDRAWN: "a withdrawal",
    ConsentState.DISPUTED: "carers who disagree",
    ConsentState.EXPIRED: "consent that has run out",
}


def answer_for(state: str) -> str:
    """The register's answer for a consent state: "Yes", "No", or "" when nothing current is on file."""
    decision = _ANSWER_FOR_STATE.get(state)
    return _ANSWER_LABELS[decision] if decision else ""


def consent_on_file(records: Iterable[ConsentRecord], purpose: str, *, on: date) -> ConsentState:
    """What the carers' decisions add up to, leaving aside whether the pupil has left or must
    never be published: those are not decisions a file of consent answers can agree with."""
    return effective_consent(Pupil(), purpose, on=on, records=records).state


# The plan.


@dataclass(frozen=True)
class FieldChange:
    field: str  # a Pupil field
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PupilToCreate:
    line: int
    mis_id: str
    first_name: str
    surname: str
    preferred_name: str
    other_names: str
    class_group: ClassGroup
    year_group: int | None
    leaving_date: date | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.surname}"


@dataclass(frozen=True)
class PupilToUpdate:
    line: int
    pupil: Pupil
    changes: list[FieldChange]


@dataclass(frozen=True)
class ConsentToRecord:
    line: int
    mis_id: str
    pupil: Pupil | None  # None for a pupil the import creates
    pupil_name: str
    purpose: str
    decision: str
    given_by_name: str
    relationship: str
    decided_on: date
    state_before: ConsentState

    @property
    def purpose_label(self) -> str:
        return ConsentPurpose(self.purpose).label

    @property
    def answer(self) -> str:
        return _ANSWER_LABELS[self.decision]

    @property
    def before_words(self) -> str:
        """What the portal holds now, in words: "consent", "a refusal", … or "nothing"."""
        return _STATE_WORDS.get(self.state_before, "nothing")


@dataclass
class ImportPlan:
    """What `apply_import` would do with this file and mapping. Building it changes nothing."""

    columns: dict[str, str]  # field -> the file's column
    rows: int
    to_create: list[PupilToCreate] = field(default_factory=list)
    to_update: list[PupilToUpdate] = field(default_factory=list)
    consents: list[ConsentToRecord] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # rows imported, but a value in them was not
    garbled_lines: list[int] = field(default_factory=list)  # lines with names garbled between encodings

    @property
    def has_changes(self) -> bool:
        return bool(self.to_create or self.to_update or self.consents)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    consents_recorded: int
    unchanged: int
    warnings: list[RowError]


def _check_may_import(actor: Membership) -> None:
    if not has_perm(actor, Perm.MANAGE_CONSENT):
        raise PermissionDenied("You cannot import pupils or consent records.")


# The model's own limits: the bulk write relies on the plan having checked them (SQLite does not).
_TEXT_LIMITS = {
    **{
        key: Pupil._meta.get_field(key).max_length
        for key in ("mis_id", "first_name", "surname", "preferred_name", "other_names")
    },
    "consent_given_by": ConsentRecord._meta.get_field("given_by_name").max_length,
}
_CHANGE_LABELS = {
    "first_name": "First name",
    "surname": "Surname",
    "preferred_name": "Preferred name",
    "other_names": "Other names",
    "class_group": "Class",
    "year_group": "Year group",
    "leaving_date": "Leaving date",
}


def _fold(name: str) -> str:
    """Class and carer names match whatever their spacing and capitals (as ConsentRecord.carer_key does)."""
    return " ".join(name.split()).casefold()


class _Planner:
    """Plans one file against the school's register, loaded once: two queries for pupils and
    their records, one for classes, whatever the length of the file."""

    def __init__(self, *, actor: Membership, columns: dict[str, str], on: date):
        self.columns = columns
        self.on = on
        self.today = timezone.localdate()
        self.classes = {_fold(group.name): group for group in ClassGroup.objects.filter(school_id=actor.school_id)}
        self.class_names = sorted((group.name for group in self.classes.values()), key=str.casefold)
        pupils = list(
            Pupil.objects.filter(school_id=actor.school_id)
            .select_related("school", "class_group")
            .prefetch_related("consent_records")
        )
        self.pupils = {pupil.mis_id: pupil for pupil in pupils if pupil.mis_id}
        self.unnumbered_names = Counter(
            (pupil.first_name.casefold(), pupil.surname.casefold()) for pupil in pupils if not pupil.mis_id
        )
        self.first_line_of: dict[str, int] = {}

    def value(self, row: dict[str, str], key: str) -> str:
        column = self.columns.get(key)
        return row.get(column, "") if column else ""

    def where(self, key: str) -> str:
        return f"(column “{self.columns[key]}”)"

    def plan(self, parsed: ParsedCsv) -> ImportPlan:
        plan = ImportPlan(columns=self.columns, rows=len(parsed.rows))
        for line, row in parsed.rows:
            self.plan_row(plan, line, row)
        return plan

    def plan_row(self, plan: ImportPlan, line: int, row: dict[str, str]) -> None:
        problems: list[str] = []
        values = {key: self.value(row, key) for key in FIELDS}

        for key in REQUIRED_FIELDS:
            if not values[key]:
                problems.append(f"{FIELDS[key].label} is empty {self.where(key)}.")
        for key, limit in _TEXT_LIMITS.items():
            if len(values[key]) > limit:
                problems.append(f"{FIELDS[key].label} is longer than {limit} characters {self.where(key)}.")

        mis_id = values["mis_id"]
        if mis_id:
            first_line = self.first_line_of.setdefault(mis_id, line)
            if first_line != line:
                problems.append(
                    f"MIS id {mis_id} is on line {first_line} and on line {line}; each pupil may appear only once."
                )

        class_group = None
        if values["class_name"]:
            class_group = self.classes.get(_fold(values["class_name"]))
            if class_group is None:
                known = ", ".join(self.class_names) or "none yet"
                problems.append(
                    f"there is no class called “{values['class_name']}”. The school's classes are: {known}."
                )

        year_group = None
        if values["year_group"]:
            try:
                year_group = _parse_year_group(values["year_group"])
            except _Unreadable:
                problems.append(
                    f"year group “{values['year_group']}” is not a number {self.where('year_group')}. "
                    "Use 0 or R for Reception."
                )

        dates: dict[str, date | None] = {}
        for key in ("leaving_date", "consent_date"):
            dates[key] = None
            if values[key]:
                dates[key] = _parse_date(values[key])
                if dates[key] is None:
                    problems.append(
                        f"{FIELDS[key].label.lower()} “{values[key]}” is not a date {self.where(key)}. "
                        "Write it as day/month/year, for example 31/07/2025."
                    )
        consent_date = dates["consent_date"]
        if consent_date is not None and consent_date > self.on:
            when = "in the future" if self.on == self.today else f"after {_day(self.on)}, the day of this import"
            problems.append(f"consent date {_day(consent_date)} is {when} {self.where('consent_date')}.")

        answers: dict[str, str] = {}
        for key, purpose in CONSENT_FIELDS.items():
            if values[key]:
                try:
                    answers[purpose] = _parse_answer(values[key])
                except _Unreadable:
                    problems.append(
                        f"“{values[key]}” is not an answer for {FIELDS[key].label.lower()} {self.where(key)}. "
                        "Use Yes or No, or leave it empty to keep what the portal has."
                    )

        garbled = self.garbled_names(values)
        if garbled:
            plan.garbled_lines.append(line)
            problems.extend(garbled)

        if problems:
            plan.errors.extend(RowError(line, problem[0].upper() + problem[1:]) for problem in problems)
            return

        first_name, surname = values["first_name"], values["surname"]
        wanted: dict[str, Any] = {"first_name": first_name, "surname": surname, "class_group": class_group}
        if "preferred_name" in self.columns:
            # MIS exports repeat the first name when there is no other; the portal leaves it empty.
            preferred = values["preferred_name"]
            wanted["preferred_name"] = "" if preferred == first_name else preferred
        if "other_names" in self.columns:
            wanted["other_names"] = ", ".join(
                dict.fromkeys(part.strip() for part in re.split(r"[,;/]", values["other_names"]) if part.strip())
            )
        if "year_group" in self.columns:
            wanted["year_group"] = year_group
        if "leaving_date" in self.columns:
            wanted["leaving_date"] = dates["leaving_date"]

        pupil = self.pupils.get(mis_id)
        changed = False
        if pupil is None:
            plan.to_create.append(
                PupilToCreate(
                    line=line,
                    mis_id=mis_id,
                    first_name=first_name,
                    surname=surname,
                    preferred_name=wanted.get("preferred_name", ""),
                    other_names=wanted.get("other_names", ""),
                    class_group=class_group,
                    year_group=wanted.get("year_group", class_group.year_group),
                    leaving_date=wanted.get("leaving_date"),
                )
            )
            changed = True
            if self.unnumbered_names[(first_name.casefold(), surname.casefold())]:
                plan.warnings.append(
                    RowError(
                        line,
                        f"The portal already has a {first_name} {surname} without an MIS id, so this adds a "
                        "second pupil. If they are the same child, give that pupil MIS id "
                        f"{mis_id} first and import again.",
                    )
                )
            records: list[ConsentRecord] = []
            leaving_date = wanted.get("leaving_date")
        else:
            changes = [
                FieldChange(key, _CHANGE_LABELS[key], getattr(pupil, key), after)
                for key, after in wanted.items()
                if _current(pupil, key) != (after.pk if key == "class_group" else after)
            ]
            if changes:
                plan.to_update.append(PupilToUpdate(line=line, pupil=pupil, changes=changes))
                changed = True
            records = list(pupil.consent_records.all())
            leaving_date = wanted.get("leaving_date", pupil.leaving_date)

        given_by = " ".join(values["consent_given_by"].split())
        for purpose, decision in answers.items():
            outcome = self.consent_outcome(
                records=records,
                purpose=purpose,
                decision=decision,
                given_by=given_by,
                decided_on=consent_date,
            )
            if outcome is None:
                continue
            if isinstance(outcome, str):
                plan.warnings.append(RowError(line, outcome))
                continue
            if leaving_date is not None and leaving_date <= self.today:
                plan.warnings.append(
                    RowError(
                        line,
                        f"{first_name} {surname} has left the school, so their "
                        f"{ConsentPurpose(purpose).label.lower()} answer was not imported.",
                    )
                )
                continue
            relationship, state_before, decided_on = outcome
            plan.consents.append(
                ConsentToRecord(
                    line=line,
                    mis_id=mis_id,
                    pupil=pupil,
                    pupil_name=f"{first_name} {surname}",
                    purpose=purpose,
                    decision=decision,
                    given_by_name=given_by or DEFAULT_GIVEN_BY,
                    relationship=relationship,
                    decided_on=decided_on,
                    state_before=state_before,
                )
            )
            changed = True
        if not changed:
            plan.unchanged += 1

    def garbled_names(self, values: dict[str, str]) -> list[str]:
        """Names in the row whose letters were lost or changed meaning between encodings. A pupil on
        file is compared with the name the portal holds, so "Zoë" never becomes "ZoÃ«" or "Zo?"."""
        pupil = self.pupils.get(values["mis_id"]) if values["mis_id"] else None
        problems = []
        for key in _NAME_FIELDS:
            value = values[key]
            if not value:
                continue
            label, where = FIELDS[key].label.lower(), self.where(key)
            lost = encodings.lost_letters(value)
            before = getattr(pupil, key, None) if pupil is not None and key != "consent_given_by" else None
            if lost == "replacement":
                problems.append(
                    f"{label} “{value}” has letters the file lost (shown as �) {where}: the file was saved "
                    "in one encoding and read in another, so nothing can be imported from it as it is."
                )
            elif lost == "control":
                problems.append(
                    f"{label} “{_visible(value)}” holds control characters, which no name has {where}. "
                    "The file may be damaged or read in the wrong encoding."
                )
            elif before and encodings.is_garbling_of(before, value):
                problems.append(
                    f"{label} would change from “{before}” to “{value}” {where}: the same name with its letters "
                    "garbled, as happens when a file is read in the wrong encoding."
                )
            elif encodings.mend(value) != value:
                problems.append(
                    f"{label} “{value}” reads as “{encodings.mend(value)}” with its letters garbled {where}: "
                    "the file's letters were converted twice on the way from the MIS."
                )
        return problems

    def consent_outcome(
        self,
        *,
        records: list[ConsentRecord],
        purpose: str,
        decision: str,
        given_by: str,
        decided_on: date | None,
    ) -> tuple[str, ConsentState, date] | str | None:
        """None when the portal already agrees; a warning when the file's answer must not replace
        what is on file; otherwise (relationship, state before, decided on) for the new record.

        A named carer is compared with their own decisions. A row that names nobody speaks for the
        family, so it also agrees when the pupil's decisions as a whole already give its answer.
        """
        name = given_by or DEFAULT_GIVEN_BY
        name_key = _fold(name)
        # The same person keeps the relationship the school already recorded for them.
        same_person = [record for record in records if record.carer_key[0] == name_key]
        relationship = (
            max(same_person, key=lambda r: (r.decided_on, r.recorded_at, r.pk)).relationship
            if same_person
            else IMPORT_RELATIONSHIP
        )
        for_purpose = [record for record in records if record.purpose == purpose]
        carers_own = [record for record in for_purpose if record.carer_key == (name_key, relationship)]
        carer_state = consent_on_file(carers_own, purpose, on=self.on)
        if _ANSWER_FOR_STATE.get(carer_state) == decision:
            return None
        if given_by:
            compared, state = carers_own, carer_state
        else:
            compared, state = for_purpose, consent_on_file(for_purpose, purpose, on=self.on)
            if _ANSWER_FOR_STATE.get(state) == decision:
                return None

        label = ConsentPurpose(purpose).label.lower()
        if decided_on is None:
            # Without a date the import cannot tell a carer's new answer from an MIS that was never
            # updated, so it only ever moves towards "no" (failing closed) or fills in a blank.
            if decision == ConsentDecision.GIVEN and state != ConsentState.NONE:
                return (
                    f"the file says Yes to {label} but gives no consent date, and the portal holds "
                    f"{_STATE_WORDS[state]} for it. Add the day the carer decided to change that."
                )
            return relationship, state, self.on

        latest = _latest_word(compared, on=self.on)
        if latest is not None and latest > (decided_on, 0):
            return (
                f"the file's answer for {label} is dated {_day(decided_on)}, but the portal holds a later "
                f"decision (from {_day(latest[0])}), so the file's answer was not imported."
            )
        return relationship, state, decided_on


_NAME_FIELDS = ("first_name", "surname", "preferred_name", "other_names", "consent_given_by")


def _visible(value: str) -> str:
    """The value with its control characters shown as code points, so the office can see them."""
    return "".join(f"[U+{ord(char):04X}]" if unicodedata.category(char) == "Cc" else char for char in value)


def _current(pupil: Pupil, key: str) -> Any:
    return pupil.class_group_id if key == "class_group" else getattr(pupil, key)


def _latest_word(records: Iterable[ConsentRecord], *, on: date) -> tuple[date, int] | None:
    """The day of the most recent decision or withdrawal on or before `on`, with 1 for a withdrawal:
    the selectors let a withdrawal outrank a decision made the same day."""
    words = []
    for record in records:
        if record.decided_on <= on:
            words.append((record.decided_on, 0))
        if record.withdrawn_at is not None and timezone.localdate(record.withdrawn_at) <= on:
            words.append((timezone.localdate(record.withdrawn_at), 1))
    return max(words, default=None)


def plan_import(
    *, actor: Membership, parsed: ParsedCsv, mapping: Mapping[str, str | None], on: date | None = None
) -> ImportPlan:
    """The dry run: check every row and say what importing the file would change. Writes nothing.

    `mapping` is column -> field key (or None to ignore the column), as `suggest_mapping` gives it.
    Pupils are matched by MIS id within the actor's school. Consent answers are compared with the
    decisions on file as of `on` (default today), so importing the same file again plans nothing.
    """
    _check_may_import(actor)
    columns = _columns_for(parsed, mapping)
    return _Planner(actor=actor, columns=columns, on=on or timezone.localdate()).plan(parsed)


def apply_import(
    *,
    actor: Membership,
    parsed: ParsedCsv,
    mapping: Mapping[str, str | None],
    on: date | None = None,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Import the file, all or nothing: a single bad row refuses the whole file.

    The plan is made again inside the transaction, so it reflects the register as it is now, not
    as it was when the office looked at the dry run. It is then written a few statements per table
    (see `_write_plan`), with one audit entry per change, as the services would leave.
    """
    with transaction.atomic():
        plan = plan_import(actor=actor, parsed=parsed, mapping=mapping, on=on)
        today = timezone.localdate()
        # consent_record's own rule; the plan allows it only when asked to plan for a day still to come.
        errors = plan.errors or [
            RowError(consent.line, "The decision date cannot be in the future. Use the day the carer decided.")
            for consent in plan.consents
            if consent.decided_on > today
        ]
        if errors:
            count = len(errors)
            message = f"Nothing was imported: {count} problem{'s' if count != 1 else ''} in the file need fixing first."
            if plan.garbled_lines:
                garbled = sum(1 for error in errors if error.line in set(plan.garbled_lines))
                others = count - garbled
                also = f", and {others} other problem{_s(others)} need fixing" if others else ""
                lines = len(plan.garbled_lines)
                message = (
                    f"Nothing was imported: the names on {lines} line{_s(lines)} of the file look "
                    f"garbled, as happens when a file is read in the wrong encoding{also}. "
                    "Upload the file again and choose the encoding whose names look right, or export it "
                    "from the MIS as “CSV UTF-8”."
                )
            raise ImportRefused(message, errors=errors)
        result = ImportResult(
            created=len(plan.to_create),
            updated=len(plan.to_update),
            consents_recorded=len(plan.consents),
            unchanged=plan.unchanged,
            warnings=plan.warnings,
        )
        summary = {
            "action": "consent.imported",
            "actor": actor.user,
            "school": actor.school,
            "data": {
                "rows": plan.rows,
                "created": result.created,
                "updated": result.updated,
                "consents_recorded": result.consents_recorded,
                "unchanged": result.unchanged,
                "warnings": len(result.warnings),
                "columns": plan.columns,
                "encoding": parsed.encoding,
            },
            "request": request,
        }
        try:
            _write_plan(plan, actor=actor, request=request, summary=summary)
            register_changed.send(sender=Pupil, school_id=actor.school_id)
        except IntegrityError as error:
            # Another import or an edit got in between the plan and the write (a MIS id taken, say).
            raise ImportRefused(
                "Nothing was imported: the register changed while the file was being imported. "
                "Upload the file again to see what it would change now."
            ) from error
    return result


_BATCH_SIZE = 500
# How many pupils one consent_narrowed signal names: the posts app looks for each name in post text,
# and SQLite refuses an expression nested more than 1,000 deep.
_NARROWED_BATCH = 100


def _write_plan(plan: ImportPlan, *, actor: Membership, request: HttpRequest | None, summary: dict) -> None:
    """Write a checked plan in bulk: what the services do row by row, in a few statements per table.

    The services take ~20 ms a row of a file with four consent columns, most of it full_clean asking
    the database about each constraint; here the plan has already checked every value against the model's limits (see
    `_TEXT_LIMITS`) and the school's classes and MIS ids, and the database still holds every
    constraint. The audit entries and consent_narrowed signals are the ones the services send.
    """
    user, school = actor.user, actor.school
    events: list[dict[str, Any]] = []

    def audit(action: str, target: Pupil | ConsentRecord, data: dict[str, Any]) -> None:
        events.append(
            {"action": action, "actor": user, "school": school, "target": target, "data": data, "request": request}
        )

    new_pupils = [
        Pupil(
            school=school,
            class_group=new.class_group,
            first_name=new.first_name,
            surname=new.surname,
            preferred_name=new.preferred_name,
            other_names=new.other_names,
            year_group=new.year_group,
            mis_id=new.mis_id,
            leaving_date=new.leaving_date,
        )
        for new in plan.to_create
    ]
    Pupil.objects.bulk_create(new_pupils, batch_size=_BATCH_SIZE)
    for pupil in new_pupils:
        audit(
            "pupil.created",
            pupil,
            {"class_group": pupil.class_group.name, "year_group": pupil.year_group, "mis_id": pupil.mis_id},
        )

    today = timezone.localdate()
    narrowed: set[int] = set()
    # bulk_update writes every field it is given, so pupils are grouped by what changed for them.
    by_changed_fields: dict[tuple[str, ...], list[Pupil]] = defaultdict(list)
    for update in plan.to_update:
        pupil = update.pupil
        for change in update.changes:
            setattr(pupil, change.field, change.after)
        changed = tuple(sorted(change.field for change in update.changes))
        by_changed_fields[changed].append(pupil)
        audit("pupil.updated", pupil, _pupil_updated_data(update.changes))
        if "leaving_date" in changed and pupil.leaving_date is not None and pupil.leaving_date <= today:
            narrowed.add(pupil.pk)
    for fields, pupils in by_changed_fields.items():
        Pupil.objects.bulk_update(pupils, fields, batch_size=_BATCH_SIZE)

    created = {pupil.mis_id: pupil for pupil in new_pupils}
    records = [
        ConsentRecord(
            pupil=consent.pupil or created[consent.mis_id],
            purpose=consent.purpose,
            decision=consent.decision,
            given_by_name=" ".join(consent.given_by_name.split()),
            relationship=consent.relationship,
            method=IMPORT_METHOD,
            decided_on=consent.decided_on,
            recorded_by=user,
        )
        for consent in plan.consents
    ]
    ConsentRecord.objects.bulk_create(records, batch_size=_BATCH_SIZE)
    for record in records:
        audit(
            "consent.recorded",
            record,
            {
                "pupil_id": record.pupil_id,
                "purpose": record.purpose,
                "decision": record.decision,
                "relationship": record.relationship,
                "method": record.method,
                "decided_on": record.decided_on.isoformat(),
                "expires_on": None,
            },
        )
        if record.decision == ConsentDecision.REFUSED:
            narrowed.add(record.pupil_id)

    audit_record_many([*events, summary])
    pupil_ids = sorted(narrowed)
    for start in range(0, len(pupil_ids), _NARROWED_BATCH):
        consent_narrowed.send(
            sender=Pupil,
            school_id=school.pk,
            pupil_ids=pupil_ids[start : start + _NARROWED_BATCH],
            reason="The MIS import recorded a carer's refusal or a pupil leaving.",
        )


def _pupil_updated_data(changes: list[FieldChange]) -> dict[str, Any]:
    """The audit data pupil_update writes: which fields changed, and the new values that name no one."""
    after = {change.field: change.after for change in changes}
    data: dict[str, Any] = {"changed": sorted(after)}
    if "class_group" in after:
        data["class_group"] = after["class_group"].name if after["class_group"] else None
    for key in ("year_group", "mis_id"):
        if key in after:
            data[key] = after[key]
    if "leaving_date" in after:
        data["leaving_date"] = after["leaving_date"].isoformat() if after["leaving_date"] else None
    return data


# The file between the pages, and the import as a background job.

UPLOAD_DIR = "consent-imports"


def _upload_prefix(actor: Membership) -> str:
    return f"{UPLOAD_DIR}/{actor.school_id}/"


def import_upload(*, actor: Membership, data: bytes) -> tuple[str, ParsedCsv]:
    """Read an uploaded file and keep it for the mapping, dry run and import; return its storage key.

    The key is the only handle on the file. It stays in the uploader's session, never in a page or a
    form, and it is kept in the private storage, which nothing ever links to.
    """
    _check_may_import(actor)
    parsed = read_csv(data)
    storage = private_storage()
    name = f"{_upload_prefix(actor)}{uuid.uuid4().hex}.csv"
    try:
        # One write, so a store that stops answering leaves nothing half-stored behind.
        key = storage.save(name, ContentFile(data))
    except OSError as exc:
        # A local disk that filled up part way: Django's FileSystemStorage leaves what it wrote,
        # under the name chosen here.
        with contextlib.suppress(Exception):
            if storage.exists(name):
                storage.delete(name)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise ImportRefused(
            f"The file ({len(data) / 1_000_000:.1f} MB) was not saved, and nothing of it was kept: "
            + (
                "the portal's storage is full. Tell whoever runs the portal, and upload it again once "
                "they have made room."
                if full
                else "the portal could not write it to its storage. Try again in a few minutes."
            )
        ) from exc
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        raise ImportRefused(FILE_STORE_DOWN) from exc
    return key, parsed


def _check_upload_is_here(actor: Membership, key: str) -> None:
    _check_may_import(actor)
    if not key.startswith(_upload_prefix(actor)) or not private_storage().exists(key):
        raise ImportRefused("The uploaded file is no longer here. Upload it again.")


def _stored_bytes(actor: Membership, key: str) -> bytes:
    _check_upload_is_here(actor, key)
    with private_storage().open(key, "rb") as upload:
        return upload.read()


def import_upload_read(*, actor: Membership, key: str, encoding: str | None = None) -> ParsedCsv:
    """The stored upload, read again (as `encoding` when given). Only uploads to the actor's school are read."""
    return read_csv(_stored_bytes(actor, key), encoding=encoding)


PREVIEW_NAMES = 6


@dataclass(frozen=True)
class EncodingChoice:
    """One way of reading a file the portal is not sure of, as the office is shown it."""

    encoding: str
    label: str
    names: list[tuple[int, str]]  # (line, the names on it as this reading would import them)
    odd_names: int  # of those shown, how many look garbled in this reading


def import_encoding_choices(*, actor: Membership, key: str) -> tuple[str, list[EncodingChoice]]:
    """Why the portal is not sure how the stored upload's letters are written, and each plausible
    reading with the names it would import: first the lines where the readings differ."""
    data = _stored_bytes(actor, key)
    detected = read_csv(data)
    readings: list[tuple[str, ParsedCsv]] = []
    for encoding in detected.encoding_candidates:
        try:
            readings.append((encoding, read_csv(data, encoding=encoding)))
        except ImportRefused:
            continue  # a reading that is not even a CSV file is no choice
    names_by_reading = [_names_by_line(parsed) for _, parsed in readings]
    lines = sorted(set().union(*names_by_reading)) if names_by_reading else []
    differing = [line for line in lines if len({names.get(line) for names in names_by_reading}) > 1]
    shown = (differing + [line for line in lines if line not in differing])[:PREVIEW_NAMES]
    shown.sort()
    choices = []
    for (encoding, _), names in zip(readings, names_by_reading, strict=True):
        preview = [(line, names[line]) for line in shown if line in names]
        choices.append(
            EncodingChoice(
                encoding=encoding,
                label=encodings.label(encoding),
                names=preview,
                odd_names=sum(1 for _, name in preview if encodings.oddities(name)),
            )
        )
    return detected.encoding_reason, choices


def _names_by_line(parsed: ParsedCsv) -> dict[int, str]:
    """Line -> "first name surname" as the suggested columns would import it; without name columns
    the suggestion can find (headers in another script, say), the row's first few values."""
    columns = {field_key: header for header, field_key in suggest_mapping(parsed.headers).items() if field_key}
    name_columns = [columns[key] for key in ("first_name", "surname") if key in columns]
    names = {}
    for line, row in parsed.rows:
        values = [row[column] for column in name_columns] if name_columns else list(row.values())[:3]
        names[line] = " ".join(value for value in values if value) if name_columns else " · ".join(values)
    return names


def import_upload_discard(*, actor: Membership, key: str) -> None:
    """Delete an upload that will not be imported (a newer file replaced it). One with a job stays
    until its job has run."""
    _check_may_import(actor)
    if key.startswith(_upload_prefix(actor)) and not ImportJob.objects.filter(stored_file=key).exists():
        private_storage().delete(key)


def import_job_create(
    *, actor: Membership, key: str, file_name: str, mapping: Mapping[str, str | None], encoding: str
) -> tuple[ImportJob, bool]:
    """The job that imports this upload: a new one waiting for a worker (True), or the one an earlier
    click on "Import" made (False). The caller enqueues a new job's run once this transaction commits.

    `encoding` is how the file's letters are read: as detected when the portal was sure, otherwise as
    the office chose. The job keeps it, so the worker reads the file exactly as the office checked it."""
    _check_may_import(actor)
    existing = ImportJob.objects.filter(school_id=actor.school_id, stored_file=key).first()
    if existing is not None:
        return existing, False
    _check_upload_is_here(actor, key)
    if encoding not in encodings.ENCODINGS:
        raise ImportRefused("Choose how the file's letters are written before importing it.")
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                school=actor.school,
                requested_by=actor.user,
                stored_file=key,
                file_name=file_name[:255],
                mapping=dict(mapping),
                encoding=encoding,
            )
    except IntegrityError:
        # The other click of a double click got there first.
        return ImportJob.objects.get(stored_file=key), False
    return job, True


def _requester(job: ImportJob) -> Membership:
    """The requester's place at the school now: someone who has since lost the right imports nothing."""
    membership = (
        Membership.objects.select_related("user", "school")
        .prefetch_related("role_assignments")
        .filter(user_id=job.requested_by_id, school_id=job.school_id)
        .first()
    )
    if membership is None or not has_perm(membership, Perm.MANAGE_CONSENT):
        raise PermissionDenied(f"{job.requested_by} can no longer import pupils or consent records.")
    return membership


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a waiting job: claim it, import its file, record the outcome. None when another worker
    has already claimed it (a task delivered twice runs once). The upload is deleted either way."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("school", "requested_by").get(pk=job_id)
    outcome_fields = ["status", "finished_at", "error_message", "errors"]
    try:
        actor = _requester(job)
        parsed = import_upload_read(actor=actor, key=job.stored_file, encoding=job.encoding or None)
        if not parsed.encoding_certain:
            # A job made before jobs remembered the encoding, of a file the portal is not sure of.
            raise ImportRefused(
                "Nothing was imported: the portal cannot be sure how the letters in this file are written. "
                "Upload it again and choose the encoding whose names look right."
            )
        with transaction.atomic():
            # The outcome commits with the import, so a job says "imported" exactly when it was.
            result = apply_import(actor=actor, parsed=parsed, mapping=job.mapping)
            job.status = ImportJobStatus.DONE
            job.created, job.updated = result.created, result.updated
            job.consents_recorded, job.unchanged = result.consents_recorded, result.unchanged
            job.warnings = [[warning.line, warning.message] for warning in result.warnings]
            job.finished_at = timezone.now()
            job.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "created",
                    "updated",
                    "consents_recorded",
                    "unchanged",
                    "warnings",
                ]
            )
    except (ImportRefused, PermissionDenied) as refused:
        job.status, job.finished_at = ImportJobStatus.FAILED, timezone.now()
        job.error_message = refused.message if isinstance(refused, ImportRefused) else str(refused)
        job.errors = [[error.line, error.message] for error in getattr(refused, "errors", [])]
        job.save(update_fields=outcome_fields)
    except Exception:
        # Not left "importing" for ever: the office sees it failed, the worker's log has the traceback.
        job.status, job.finished_at = ImportJobStatus.FAILED, timezone.now()
        job.error_message = "The import stopped on an unexpected error. Nothing was imported. Try again later."
        job.save(update_fields=outcome_fields)
        raise
    finally:
        private_storage().delete(job.stored_file)
    return job


# A job still "running" after this long lost its worker (the import is one transaction, so
# nothing of it was written); an upload older than this was abandoned between the steps.
STALE_AFTER = timedelta(hours=1)
ABANDONED_AFTER = timedelta(days=1)


def import_tidy(*, now: datetime | None = None) -> dict[str, int]:
    """Close jobs whose worker died, and delete uploads nobody went on to import."""
    now = now or timezone.now()
    stale = ImportJob.objects.filter(status=ImportJobStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    stale_keys = list(stale.values_list("stored_file", flat=True))
    failed = stale.update(
        status=ImportJobStatus.FAILED,
        finished_at=now,
        error_message="The import was interrupted before it finished. Nothing was imported. Upload the file again.",
    )
    for key in stale_keys:
        private_storage().delete(key)
    waiting = set(ImportJob.objects.filter(status=ImportJobStatus.QUEUED).values_list("stored_file", flat=True))
    deleted = 0
    storage = private_storage()
    # Through listdir only: an object store has no folders, so it cannot say whether one exists.
    for key in walk(storage, UPLOAD_DIR):
        if key not in waiting and storage.get_modified_time(key) < now - ABANDONED_AFTER:
            storage.delete(key)
            deleted += 1
    return {"jobs_failed": failed, "uploads_deleted": deleted}
