"""Posts from draft to published: composing, photos and faces, review, trip mode, scheduling and
publishing, take-downs, and the links and quotes a post sends out. Every change goes through
`posts.services` (one module per part of a post's life, one `transition` for every status change).

May use audit, accounts, networks (publishing through an adapter), consent (the consent check)
and moderation (the rules engine). Community and portal use it; it uses neither.
"""
