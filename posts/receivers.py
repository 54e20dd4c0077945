from django.dispatch import receiver

from consent.signals import consent_narrowed

from .consent_changes import react_to_narrowed_consent


@receiver(consent_narrowed, dispatch_uid="posts.recheck_posts_when_consent_narrows")
def recheck_posts_when_consent_narrows(sender, *, school_id, pupil_ids, reason, **kwargs):
    react_to_narrowed_consent(school_id=school_id, pupil_ids=pupil_ids, reason=reason)
