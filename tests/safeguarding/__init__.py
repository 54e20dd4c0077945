"""Issue 12: no child identifiable by any word, picture or link a post sends out.

An adversarial, table-driven suite: every scenario is one post taken through the real services
(draft, text, photos with descriptions, tags and faces, send for approval, approve, publish to
the local network) and ends BLOCKED, WARNED or PUBLISHED. `conftest.py` holds the register,
`journey.py` the journey and the assertions, and each test module one table:

- test_full_names.py: rule 1 (full names in every disguise) and rule 6 (leavers, other schools)
- test_first_names_and_initials.py: rules 2 and 3
- test_words_that_are_names.py: rule 4 (innocent texts, name-like contexts)
- test_photos_faces_quotes.py: descriptions, tags, faces (rule 5) and quoted posts
- test_bad_input.py: rule 7 (10,000-character emoji text, a 5,000-pupil register)
"""
