"""`messages|by_urgency`: the messages of the last action, split into errors, which a screen reader
says at once (role=alert), and the rest, which it says when it can (role=status)."""

from dataclasses import dataclass

from django import template
from django.contrib.messages import constants

register = template.Library()


@dataclass(frozen=True)
class Feedback:
    alerts: list
    statuses: list


@register.filter
def by_urgency(messages) -> Feedback:
    shown = list(messages)
    return Feedback(
        alerts=[message for message in shown if message.level >= constants.ERROR],
        statuses=[message for message in shown if message.level < constants.ERROR],
    )
