"""The school's community on the networks: followers (screened for review), blocks, the accounts
the school follows (proposed and decided), the mentions inbox, concerns and incidents.

Owns the models, services (`audience`, `inbox`, `incidents`), selectors, pages and the periodic
reads of followers and mentions. May use audit, accounts, networks, consent, moderation (its rules
engine screens profiles and mentions) and posts (a concern can be about a post); nothing but
portal uses it.
"""
