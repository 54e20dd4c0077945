"""Keep the rules engine's prepared word lists in step with what they are built from.

The engine prepares each school's pupils' names, class and account names and rules once, and
rebuilds them when the school's rulebook token changes. Saving or deleting any of those rows
changes the token. This listens to model signals because the rows belong to other apps
(`consent` must not depend on `moderation`). Bulk updates (the MIS import) send no model
signals: `consent_narrowed` covers the leavers among them, and for the rest (a renamed pupil)
the engine rebuilds after `engine.REBUILD_AFTER_SECONDS` whatever the token says.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import ClassGroup, School, SocialAccount
from consent.models import Pupil
from consent.signals import consent_narrowed, register_changed

from .services import rulebook_changed


@receiver(post_save, sender=School, dispatch_uid="moderation.school_saved")
def _school_saved(sender, instance: School, raw: bool = False, **kwargs) -> None:
    if not raw:
        rulebook_changed(school_id=instance.pk)


@receiver(post_save, sender=Pupil, dispatch_uid="moderation.pupil_saved")
@receiver(post_delete, sender=Pupil, dispatch_uid="moderation.pupil_deleted")
@receiver(post_save, sender=ClassGroup, dispatch_uid="moderation.class_group_saved")
@receiver(post_delete, sender=ClassGroup, dispatch_uid="moderation.class_group_deleted")
@receiver(post_save, sender=SocialAccount, dispatch_uid="moderation.social_account_saved")
@receiver(post_delete, sender=SocialAccount, dispatch_uid="moderation.social_account_deleted")
def _school_row_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        rulebook_changed(school_id=instance.school_id)


@receiver(register_changed, dispatch_uid="moderation.register_changed")
@receiver(consent_narrowed, dispatch_uid="moderation.consent_narrowed")
def _consent_narrowed(sender, school_id: int, **kwargs) -> None:
    rulebook_changed(school_id=school_id)
