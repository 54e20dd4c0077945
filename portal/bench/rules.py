"""Figures for the rules engine (`manage.py bench` prints them): how long `check_text` takes on a
280-character post for a school with a large register. Nothing is left in the database."""

import statistics
import string
import time
import uuid

from django.db import transaction

from accounts.models import ClassGroup, School, SocialAccount
from consent.models import Pupil
from moderation import engine, spelling
from moderation.services import rulebook_changed, seed_default_rules

from .timing import percentile, timed

_FIRST_NAMES = (
    "Amara", "Oliver", "Isla", "Noah", "Ava", "Muhammad", "Freya", "Leo", "Zainab", "Arthur", "Mia", "Oscar", "Ivy",
    "George", "Sofia", "Theo", "Aisha", "Jack", "Grace", "Harry", "Layla", "Alfie", "Evie", "Charlie", "Hana",
    "Archie", "Poppy", "Henry", "Maryam", "Finley", "Ruby", "Jacob", "Willow", "Thomas", "Amelia", "Yusuf", "Elsie",
    "Reggie", "Rosie", "Kai",
)  # fmt: skip
_SURNAMES = (
    "Okafor", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan",
    "Hughes", "Edwards", "Mensah", "Nowak", "Kowalski", "Ali", "Begum", "O'Neill", "Murphy", "Campbell", "Stewart",
    "Hussain", "Ahmed", "Singh", "Kaur", "Lewis", "Harris",
)  # fmt: skip

# A realistic class post: names, hashtags, a mention, a link, an American spelling and a slip.
_POST = (
    "What a wonderful morning in Year 3! Amara and Oliver led our assembly about kindness, and the whole class "
    "painted colorful rainbows for the hall display. Thank you to @alpha_school and to everyone who came. "
    "Photos: https://www.gov.uk/guidance #Year3 #Kindness teh end"
)


def bench_check_text(pupils: int = 2000, repeats: int = 200) -> dict:
    """Median and 95th-percentile time of one check (ms), with the one-off costs alongside."""
    started = time.perf_counter()
    spelling.load()
    load_ms = (time.perf_counter() - started) * 1000
    text = _POST[:280].ljust(280, ".")
    with transaction.atomic():
        school, account = _school_with_register(pupils)
        try:
            started = time.perf_counter()
            engine.build_rulebook(school.pk)
            build_ms = (time.perf_counter() - started) * 1000
            findings = engine.check_text(text, school=school, account=account, has_images=True)
            same = _timings(lambda _: text, school, account, repeats)
            # Each call with a word never seen before, so its spelling suggestion is worked out afresh.
            varied = _timings(lambda number: text[:-8] + " " + _unseen_word(number), school, account, repeats)
        finally:
            engine.forget_rulebook(school.pk)
            transaction.set_rollback(True)
    return {
        "pupils": pupils,
        "repeats": repeats,
        "text_length": len(text),
        "findings": len(findings),
        "median_ms": round(statistics.median(same), 3),
        "p95_ms": round(percentile(same, 95), 3),
        "new_word_median_ms": round(statistics.median(varied), 3),
        "new_word_p95_ms": round(percentile(varied, 95), 3),
        "rulebook_build_ms": round(build_ms, 1),
        "dictionary_load_ms": round(load_ms, 1),
    }


def _school_with_register(pupils: int) -> tuple[School, SocialAccount]:
    suffix = uuid.uuid4().hex[:12]
    school = School.objects.create(name="Benchmark Primary", slug=f"benchmark-{suffix}")
    classes = [ClassGroup.objects.create(school=school, name=f"Class {number}") for number in range(14)]
    account = SocialAccount.objects.create(
        school=school,
        kind=SocialAccount.Kind.CLASS,
        class_group=classes[0],
        handle=f"bench_{suffix}",
        display_name="Benchmark Year 3",
    )
    Pupil.objects.bulk_create(
        Pupil(
            school=school,
            class_group=classes[number % len(classes)],
            first_name=_FIRST_NAMES[number % len(_FIRST_NAMES)],
            surname=f"{_SURNAMES[(number // len(_FIRST_NAMES)) % len(_SURNAMES)]}",
            preferred_name="",
        )
        for number in range(pupils)
    )
    seed_default_rules(school)
    rulebook_changed(school_id=school.pk)  # bulk_create sends no signals
    return school, account


def _timings(text_for, school: School, account: SocialAccount, repeats: int) -> list[float]:
    numbers = iter(range(repeats))

    def check() -> None:
        engine.check_text(text_for(next(numbers)), school=school, account=account, has_images=True)

    return timed(check, repeats=repeats, warm_up=False)


def _unseen_word(number: int) -> str:
    letters = []
    number += 1
    while number:
        number, digit = divmod(number, 26)
        letters.append(string.ascii_lowercase[digit])
    return "wonderf" + "".join(letters)
