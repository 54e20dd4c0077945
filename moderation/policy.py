"""The school's policy as a document: the default text a school starts from, and the reading of
a policy's plain text into sections and paragraphs for the page.

A policy is plain text, not Markdown: paragraphs are separated by blank lines, a line starting
with “## ” is a heading, and a block whose lines all start with “- ” is a list. A heading may
end with a name in braces, `## Naming pupils {#pupil-names}`: the section's anchor, which the
school's rules link to (`Rule.policy_paragraph`), so the heading can be reworded without
breaking the links. Without one, the anchor is made from the heading's words.

Parsing returns data, never HTML: the template writes every piece with autoescaping on, so
whatever a policy's author types is shown as text.
"""

import re
from dataclasses import dataclass

from django.utils.text import slugify

MAX_POLICY_CHARS = 50_000

_EXPLICIT_ANCHOR = re.compile(r"^(?P<title>.*?)\s*\{#(?P<anchor>[^{}]+)\}\s*$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^[-*]\s+")


@dataclass(frozen=True)
class Block:
    kind: str  # "paragraph" or "list"
    items: tuple[str, ...]  # a paragraph's text as one item, or the list's items
    anchor: str


@dataclass(frozen=True)
class Section:
    heading: str  # empty for the text before the first heading
    anchor: str
    blocks: tuple[Block, ...]


def parse_policy(body: str) -> list[Section]:
    """The policy's sections, each with its anchor, in order. Anchors are unique within the text."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    sections: list[tuple[str, str, list[list[str]]]] = [("", "introduction", [])]
    used = {"introduction"}
    for chunk in _BLANK_LINE.split(text):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            heading, anchor = _heading(lines[0][3:])
            sections.append((heading, _unique(anchor, used), []))
            lines = lines[1:]
        if lines:
            sections[-1][2].append(lines)
    return [
        Section(heading, anchor, tuple(_block(lines, f"{anchor}-{number}") for number, lines in enumerate(chunks, 1)))
        for heading, anchor, chunks in sections
        if heading or chunks
    ]


def section_anchors(body: str) -> dict[str, str]:
    """Anchor -> heading, for the sections that have a heading (the ones a rule can link to)."""
    return {section.anchor: section.heading for section in parse_policy(body) if section.heading}


def _heading(line: str) -> tuple[str, str]:
    match = _EXPLICIT_ANCHOR.match(line.strip())
    if match:
        title = match["title"].strip()
        return title, slugify(match["anchor"]) or slugify(title) or "section"
    title = line.strip()
    return title, slugify(title) or "section"


def _unique(anchor: str, used: set[str]) -> str:
    candidate, number = anchor, 2
    while candidate in used:
        candidate, number = f"{anchor}-{number}", number + 1
    used.add(candidate)
    return candidate


def _block(lines: list[str], anchor: str) -> Block:
    if all(_LIST_ITEM.match(line) for line in lines):
        return Block("list", tuple(_LIST_ITEM.sub("", line) for line in lines), anchor)
    return Block("paragraph", (" ".join(lines),), anchor)


def policy_default_text(school) -> str:
    """A short starting policy for `school`, for the headteacher and computing lead to adapt.

    Its section anchors are the `policy_paragraph` values of `rules.DEFAULT_RULES`, so every
    default rule links to the paragraph it puts into practice.
    """
    # The text below is wrapped to fit the source file; a paragraph is one line in the editor.
    unwrapped = re.sub(r"(?<=\S)\n(?=\S)", " ", _DEFAULT_POLICY.strip())
    return unwrapped.replace("{school}", school.name) + "\n"


_DEFAULT_POLICY = """
{school} uses social media to share school life with families and the local community: what pupils are learning,
what they have achieved, trips, visitors and events. Posts add to the newsletter, the website and letters home; they
never replace them. This policy sets out how staff use the school's accounts. The Policy Portal checks every post
against it before anyone approves it.

## Who runs the accounts {#accounts}

The headteacher is responsible for all of the school's social media accounts. The headteacher decides who may post
for each account, holds the passwords and connects the accounts to the portal; staff never share a login or post for
the school from a personal account.

The headteacher and senior leaders run the whole-school account. Every post, from any account, is approved by the
headteacher or a senior leader before it is published, and nobody approves a post they wrote.

## Class accounts {#class-accounts}

A class account is run by the class teacher and the class's teaching assistants, on school iPads or laptops only.
Class posts follow this policy and the computing lead's guidance, which the portal shows while a post is being
written.

## Hashtags {#hashtags}

The computing lead decides which hashtags the school's accounts use, any that every post should carry, and any to
avoid. A post carries only a few hashtags, so that it stays easy to read.

## Suitable language {#language}

Posts never contain offensive, crude or hurtful words, whether a member of staff wrote them or they are quoted from
someone else.

## A positive tone {#tone}

Posts are positive and celebrate the school community. They do not share personal opinions, criticise anyone, or
comment on matters that are in dispute.

## Spelling and grammar {#spelling}

Posts show the same care with spelling, punctuation and grammar that the school asks of its pupils, and use British
spelling. The portal points out mistakes while a post is written.

## Length {#length}

A post fits the network it is published on and says one thing clearly.

## Naming pupils {#pupil-names}

A pupil's first name and surname never appear together in a post. On a class account everyone can tell which class a
child is in, so a pupil who appears in a photo is named by initials only, or not at all. Posts on the whole-school
account use a first name only when it adds something.

## Photographs {#photos}

Photos are taken on school devices only. A pupil appears in a published photo only when a parent or carer has
consented to photos on social media and has not withdrawn that consent. A pupil without consent who is caught in a
photo has their face covered before it is published, or the photo is not used. If consent is withdrawn, posts
showing that pupil are taken down.

## Mentions and links {#mentions-and-links}

Posts tag other accounts and link to websites only when they are trustworthy and suitable for families, such as
other schools, education organisations and public services.

## Following other accounts {#following}

The school's accounts exist to share news rather than to read it. They follow only education-related accounts that
the headteacher has approved. Staff do not follow parents or pupils from their own accounts, and a personal account
that follows the school is kept private.

## Staff's own accounts {#staff-accounts}

A member of staff who follows any of the school's accounts from a personal account keeps that account private, so
that only people they accept can see what it posts. From their personal accounts staff do not follow, or accept
follows from, the school's parents, carers or pupils, and they do not use the school's name, logo or photos, or
present themselves as speaking for the school. Staff may record their personal handles in the portal; the portal
then recognises those accounts among the school's followers and reminds their owner, and nobody else, if one of
them is public.

## Followers and replies {#followers}

Anyone may follow the school's accounts. The school deletes offensive or unsuitable replies and mentions, removes
and blocks the accounts that make them, and reports them to the network when that is warranted. Anything more
serious is passed to the appropriate authority.

## Raising a concern {#concerns}

A member of staff worried about a post, a reply or a follower tells the headteacher straight away. The headteacher
decides what happens next, including whether a post is taken down.

## Reviewing this policy {#review}

The headteacher and the computing lead review this policy every year, and sooner if the school's needs, the law or
the networks change. Every member of staff reads each new version and confirms in the portal that they have read it
before drafting posts.

This policy sits alongside the school's safeguarding, online safety and acceptable use policies.
"""
