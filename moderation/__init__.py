"""The school's social media policy (versions, sign-off, staff acknowledgements) and its rules
engine (`engine.check_text`): the wording rules a post, a profile or a mention is checked against.

May use audit, accounts, networks (an account's length limits) and consent (pupils' names).
"""
