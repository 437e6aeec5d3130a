"""The editors' tool, one module per area: codes (procedures.py), the shared vocabularies
(vocabularies.py), the review queue (revisions.py); saving through the workflow
(reviewed.py), the forms' shared parts (forms.py) and the site (site.py)."""

from codes.admin import procedures, revisions, vocabularies  # noqa: F401 - registers them
