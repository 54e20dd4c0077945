from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Pupil(models.Model):
    """A child on the school's roll.

    Pupils are kept after they leave (their consent history must survive them), so nothing
    here is deleted: `leaving_date` takes them off the register.

    `never_publish` is the headteacher's safeguarding flag. Its reason is written only by
    the headteacher and read only through `consent.selectors.never_publish_reason_for`.
    """

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="pupils")
    class_group = models.ForeignKey(
        "accounts.ClassGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="pupils"
    )
    first_name = models.CharField(max_length=100)
    surname = models.CharField(max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="The name the child is known by, if different."
    )
    other_names = models.CharField(
        max_length=200,
        blank=True,
        help_text="Nicknames and other names the child answers to, separated by commas (e.g. Bex, Becky).",
    )
    year_group = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 for Reception.")
    mis_id = models.CharField(
        "MIS id", max_length=64, blank=True, help_text="The pupil's id in the school's management information system."
    )
    leaving_date = models.DateField(null=True, blank=True, help_text="From this day the pupil is off the roll.")
    never_publish = models.BooleanField(default=False)
    never_publish_reason = models.TextField(blank=True)
    never_publish_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    never_publish_set_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["surname", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "mis_id"], condition=~Q(mis_id=""), name="pupil_unique_mis_id_per_school"
            ),
            # A cleared flag leaves nothing behind; a set flag always says when it was set.
            models.CheckConstraint(
                condition=Q(never_publish=True, never_publish_set_at__isnull=False)
                | Q(
                    never_publish=False,
                    never_publish_reason="",
                    never_publish_set_by__isnull=True,
                    never_publish_set_at__isnull=True,
                ),
                name="pupil_never_publish_fields_consistent",
            ),
        ]
        indexes = [models.Index(fields=["school", "class_group"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.surname}"

    @property
    def known_as(self) -> str:
        """The first name staff use for the child."""
        return self.preferred_name or self.first_name


class RegisterVersion(models.Model):
    """Changes whenever a school's pupils or classes change. The identity matcher
    (`consent.identity`) keeps each school's prepared names in memory and rebuilds them when
    this token differs from the one they were built from, so every process sees a change at
    its next check."""

    school = models.OneToOneField(
        "accounts.School", primary_key=True, on_delete=models.CASCADE, related_name="register_version"
    )
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Register version {self.token} of school {self.school_id}"


class ConsentPurpose(models.TextChoices):
    SOCIAL_PHOTO = "social_photo", "Photo on social media"
    SOCIAL_NAME = "social_name", "First name on social media"
    WEBSITE_PHOTO = "website_photo", "Photo on the school website"
    PRESS = "press", "Press and media"


class ConsentDecision(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"


class CarerRelationship(models.TextChoices):
    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    PARENT = "parent", "Parent"
    STEP_PARENT = "step_parent", "Step-parent"
    GRANDPARENT = "grandparent", "Grandparent"
    GUARDIAN = "guardian", "Guardian"
    FOSTER_CARER = "foster_carer", "Foster carer"
    CARER = "carer", "Carer"
    OTHER = "other", "Other"


class ConsentMethod(models.TextChoices):
    ADMISSION_FORM = "admission_form", "Admission form"
    LETTER = "letter", "Letter"
    PARENT_PORTAL = "parent_portal", "Parent portal"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class ConsentRecord(models.Model):
    """One carer's decision about one purpose for one pupil, as the school received it.

    The history is the record: rows are added, never edited or deleted. A new decision is a
    new row; a withdrawal stamps `withdrawn_at` on the row it withdraws.
    """

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="consent_records")
    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    decision = models.CharField(max_length=16, choices=ConsentDecision.choices)
    given_by_name = models.CharField("given by", max_length=200)
    relationship = models.CharField(max_length=16, choices=CarerRelationship.choices)
    method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    decided_on = models.DateField(help_text="The day the carer made this decision.")
    expires_on = models.DateField(
        null=True, blank=True, help_text="The last day this consent covers. Empty: until the pupil leaves."
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_on", "recorded_at", "pk"]
        indexes = [models.Index(fields=["pupil", "purpose"])]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=ConsentPurpose.values), name="consent_record_known_purpose"),
            models.CheckConstraint(
                condition=Q(decision__in=ConsentDecision.values), name="consent_record_known_decision"
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=CarerRelationship.values), name="consent_record_known_relationship"
            ),
            models.CheckConstraint(condition=Q(method__in=ConsentMethod.values), name="consent_record_known_method"),
            models.CheckConstraint(condition=~Q(given_by_name=""), name="consent_record_given_by_named"),
            # A refusal stands until the carer changes it, so only consent can have an end date.
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(decision="given", expires_on__gte=F("decided_on")),
                name="consent_record_expiry_only_on_consent_after_decision",
            ),
            # Only consent can be withdrawn (a carer who changes a refusal makes a new decision),
            # and a withdrawal always says who recorded it and when.
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(decision="given", withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="consent_record_withdrawal_of_consent_with_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.get_decision_display().lower()} for {self.pupil}"

    @property
    def carer_key(self) -> tuple[str, str]:
        """Who decided: the same person written with different spacing or capitals is one carer."""
        return " ".join(self.given_by_name.split()).casefold(), self.relationship


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Not imported"


class ImportJob(models.Model):
    """One run of an MIS import file, from the office's "Import" button to its outcome.

    The uploaded file waits in private storage under `stored_file` until the job has run. One job per
    stored file, so a double-clicked "Import" finds the job the first click made instead of importing twice.
    """

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stored_file = models.CharField(max_length=255, help_text="The upload's key in the default storage.")
    file_name = models.CharField(max_length=255, blank=True, help_text="The name of the file as uploaded.")
    mapping = models.JSONField(help_text="The file's column -> the field it holds (null: ignored).")
    encoding = models.CharField(
        max_length=32,
        blank=True,
        help_text="How the file's letters are read (a key of consent.encodings.ENCODINGS), as detected or as "
        "the office chose; empty: detect again.",
    )
    status = models.CharField(max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    consents_recorded = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True, help_text="[line, message] for each value not imported.")
    errors = models.JSONField(default=list, blank=True, help_text="[line, message] for each row that stopped it.")
    error_message = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["stored_file"], name="import_job_one_per_stored_file"),
            models.CheckConstraint(condition=Q(status__in=ImportJobStatus.values), name="import_job_known_status"),
            # A finished job says when it finished; a waiting one has not started.
            models.CheckConstraint(
                condition=Q(status="queued", started_at__isnull=True, finished_at__isnull=True)
                | Q(status="running", started_at__isnull=False, finished_at__isnull=True)
                | Q(status__in=["done", "failed"], finished_at__isnull=False),
                name="import_job_times_follow_status",
            ),
        ]
        indexes = [models.Index(fields=["school", "-requested_at"])]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)
