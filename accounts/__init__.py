"""Schools, classes, staff and their roles, invitations, sign-in with a second factor, the
social accounts (which network, who drafts and who approves), permissions, and trip-mode grants
(who may post for a whole-school account without waiting for approval today).

May use audit. Everything above it (networks, consent, moderation, posts, community, portal)
may use it; it reads nothing of theirs.
"""
