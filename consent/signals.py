from django.dispatch import Signal

# Sent inside the transaction of any change that may narrow what may be published about
# pupils: a withdrawal, a refusal, a never-publish flag, a leaving date. The posts app
# listens and re-checks the posts that show or name them (consent must not depend on posts).
# Arguments: school_id: int, pupil_ids: list[int], reason: str.
consent_narrowed = Signal()

# Sent after the register was written in bulk (the MIS import), which sends no per-row save
# signals: listeners that cache pupils' names refresh them. Arguments: school_id: int.
register_changed = Signal()
