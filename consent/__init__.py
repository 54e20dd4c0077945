"""The pupil register, consent per purpose, MIS imports and exports, the identity matcher (which
pupils a post's words and photos name or show) and the consent check, and what follows a
withdrawal (the `consent_narrowed` signal that later apps act on).

May use audit and accounts (and networks, which it does not need today).
"""
