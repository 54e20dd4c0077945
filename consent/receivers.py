"""Keep the identity matcher's names in step with the register (see `consent.identity`).

Saving or deleting a pupil or a class changes the school's register token, so every process
rebuilds its index at its next check. The MIS import writes in bulk, which sends no per-row
signals: it sends `register_changed` instead.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import ClassGroup

from . import identity
from .models import Pupil
from .signals import register_changed


@receiver(post_save, sender=Pupil, dispatch_uid="consent.pupil_saved")
@receiver(post_delete, sender=Pupil, dispatch_uid="consent.pupil_deleted")
@receiver(post_save, sender=ClassGroup, dispatch_uid="consent.class_group_saved")
@receiver(post_delete, sender=ClassGroup, dispatch_uid="consent.class_group_deleted")
def _register_row_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        identity.register_changed(school_id=instance.school_id)


@receiver(register_changed, dispatch_uid="consent.register_written_in_bulk")
def _register_written_in_bulk(sender, school_id: int, **kwargs) -> None:
    identity.register_changed(school_id=school_id)
