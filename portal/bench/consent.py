"""The consent check on a large register, and the MIS import."""

import csv
import io
import random
import time

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, SocialAccount, User
from consent import identity
from consent.checks import PhotoInput, PostContent, Stage, check_post_consent
from consent.imports import apply_import, read_csv, suggest_mapping
from consent.models import Pupil

from .timing import rolled_back, summary, timed

_BENCH_FIRST_NAMES = (
    "Ava",
    "Amara",
    "Oliver",
    "Noah",
    "Isla",
    "Ruby",
    "Rose",
    "Mohammed",
    "Zainab",
    "Chloé",
    "Łukasz",
    "Siobhán",
    "Anne-Marie",
    "Will",
    "Grace",
    "Summer",
    "Mark",
    "Joy",
    "Leo",
    "Freya",
    "Theo",
    "Mia",
    "Arjun",
    "Priya",
    "Kacper",
    "Zofia",
    "Aoife",
    "Callum",
    "Layla",
    "Yusuf",
    "Olivia",
    "Amelia",
    "Lily",
    "Sophia",
    "Emily",
    "Poppy",
    "Ella",
    "Evie",
    "Harper",
    "Isabella",
    "Jack",
    "George",
    "Harry",
    "Oscar",
    "Charlie",
    "Jacob",
    "Alfie",
    "Freddie",
    "Archie",
    "Thomas",
    "Arthur",
    "Henry",
    "Alexander",
    "James",
    "William",
    "Isaac",
    "Joshua",
    "Edward",
    "Logan",
    "Lucas",
    "Max",
    "Ethan",
    "Mason",
    "Finley",
    "Daniel",
    "Samuel",
    "Dylan",
    "Reuben",
    "Sebastian",
    "Elijah",
    "Jude",
    "Hugo",
    "Rory",
    "Zachary",
    "Albie",
    "Louis",
    "Ollie",
    "Toby",
    "Ibrahim",
    "Ayaan",
    "Omar",
    "Hamza",
    "Aisha",
    "Fatima",
    "Maryam",
    "Hafsa",
    "Sara",
    "Amira",
    "Inaya",
    "Eshal",
    "Anaya",
    "Zara",
    "Aleena",
    "Nia",
    "Imogen",
    "Florence",
    "Willow",
    "Ivy",
    "Daisy",
    "Elsie",
    "Phoebe",
    "Sienna",
    "Matilda",
    "Esme",
    "Eliza",
    "Rosie",
    "Lottie",
    "Maisie",
    "Erin",
    "Orla",
    "Niamh",
    "Ciara",
    "Saoirse",
    "Cian",
    "Oisin",
    "Darragh",
    "Eoin",
    "Fionn",
    "Tadhg",
    "Bartosz",
    "Jakub",
    "Szymon",
    "Wiktoria",
    "Maja",
    "Hanna",
    "Lena",
    "Amelie",
    "Nguyễn",
    "Minh",
    "Anh",
    "Chidi",
    "Tobi",
    "Kemi",
    "Ayo",
    "Adaeze",
    "Kwame",
    "Kofi",
    "Abena",
    "Yaw",
    "Mateo",
    "Santiago",
    "Valentina",
    "Lucia",
    "Sofia",
    "Giulia",
    "Luca",
)
_BENCH_SURNAMES = (
    "Patel",
    "Smith-Jones",
    "O'Brien",
    "Nguyễn",
    "Nowak",
    "Okafor",
    "Evans",
    "Taylor",
    "Hughes",
    "Walsh",
    "Khan",
    "Begum",
    "Murphy",
    "Kowalski",
    "Adeyemi",
    "Grant",
    "Cole",
    "Ali",
    "Jones",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Walker",
    "White",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Clarke",
    "Clark",
    "Turner",
    "Hill",
    "Scott",
    "Cooper",
    "Morris",
    "Ward",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "Harrison",
    "Morgan",
    "Patterson",
    "Young",
    "Allen",
    "Mitchell",
    "James",
    "Anderson",
    "Phillips",
    "Lee",
    "Bell",
    "Parker",
    "Davis",
    "Hussain",
    "Ahmed",
    "Shah",
    "Singh",
    "Kaur",
    "Rahman",
    "Mahmood",
    "Iqbal",
    "Chowdhury",
    "Sheikh",
    "Kelly",
    "Byrne",
    "Ryan",
    "Doyle",
    "McCarthy",
    "Kennedy",
    "Lynch",
    "Quinn",
    "Nolan",
    "Kaur-Singh",
    "Van-Der-Berg",
    "Dubois",
    "Rossi",
    "Garcia",
    "Silva",
)


def bench_consent_check(*, quick: bool) -> dict:
    """The consent check of a post, against registers of 2,000 and 5,000 pupils.

    The 2,000-pupil figure is a 280-character post with a photo (three pupils tagged, a
    description) naming two pupils and a hashtag; the 5,000-pupil figure is a 10,000-character
    text with emoji sequences and a full name at the end. Pupils have realistic, repeated
    names (apostrophes, hyphens, accents), so the matcher meets shared first names.
    """
    rng = random.Random(4)  # noqa: S311 - benchmark data
    repeats = 20 if quick else 100
    results = {}
    for size, text in (
        (2000, None),
        (5000, ("Our sports day 👨‍👩‍👧‍👦🏳️‍🌈👍🏽 was a joy, thank you all! " * 300)[:9_980] + " Ava Patel"),
    ):
        with rolled_back():
            school = School.objects.create(name="Bench Primary", slug=f"bench-primary-consent-{size}")
            classes = [
                ClassGroup.objects.create(school=school, name=f"Year {year}", year_group=year) for year in range(1, 7)
            ]
            account = SocialAccount.objects.create(
                school=school, kind="class", class_group=classes[2], handle="bench_consent_y3", display_name="Bench"
            )
            pupils = Pupil.objects.bulk_create(
                Pupil(
                    school=school,
                    class_group=classes[n % 6],
                    year_group=classes[n % 6].year_group,
                    first_name=rng.choice(_BENCH_FIRST_NAMES),
                    surname=rng.choice(_BENCH_SURNAMES),
                )
                for n in range(size)
            )
            identity.register_changed(school_id=school.pk)  # bulk_create sends no signals
            if text is None:
                text = (
                    "What a brilliant science afternoon in Year 3! Ruby and Kacper measured every volcano "
                    "with great care. #YearThreeScientists #STEM " * 3
                )[:280]
            content = PostContent(
                account=account,
                text=text,
                photos=(
                    PhotoInput(
                        label="Photo 1",
                        tagged_pupil_ids=tuple(p.pk for p in rng.sample(pupils, 3)),
                        alt_text="Three children pour vinegar into a papier-mâché volcano.",
                    ),
                ),
            )
            results[f"pupils_{size}"] = {
                "text_chars": len(text),
                **summary(
                    timed(lambda content=content: check_post_consent(content, stage=Stage.APPROVE), repeats=repeats)
                ),
            }
            identity.forget(school.pk)
    return results


def bench_mis_import(*, quick: bool) -> dict:
    """Apply an MIS import of N new pupils with four consent answers each."""
    rows = 500 if quick else 5000
    with rolled_back():
        school = School.objects.create(name="Bench Primary", slug="bench-primary-import")
        ClassGroup.objects.create(school=school, name="Year 3", year_group=3)
        user = User.objects.create_user(email="bench-office@bench.invalid", password=None)
        office = Membership.objects.create(user=user, school=school)
        RoleAssignment.objects.create(membership=office, role=Role.OFFICE_ADMIN)
        office = (
            Membership.objects.prefetch_related("role_assignments").select_related("school", "user").get(pk=office.pk)
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        header = ["Adno", "Forename", "Surname", "Reg", "Photo consent", "Name consent", "Website photo", "Press"]
        writer.writerow(header)
        for n in range(rows):
            writer.writerow([f"B{n:05}", f"Child{n}", "Bench", "Year 3", "Yes", "Yes", "No", "Yes"])
        parsed = read_csv(buffer.getvalue().encode())
        mapping = suggest_mapping(parsed.headers)
        mapping["Website photo"] = "consent_website_photo"
        mapping["Press"] = "consent_press"
        start = time.perf_counter()
        result = apply_import(actor=office, parsed=parsed, mapping=mapping)
        seconds = time.perf_counter() - start
    return {"rows": rows, "consents": result.consents_recorded, "seconds": round(seconds, 2)}
