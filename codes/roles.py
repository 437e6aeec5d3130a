"""The editorial roles and their permissions: least privilege, one place.

The migrations that create and update the groups hold their own copies, as they stood when
written; change the roles here and in a new migration together (tests hold the database's
groups to this).
"""

CONTENT_MODELS = ["section", "modifier", "specialty", "nerve", "placeofservice", "source"]
CODE_PARTS = ["clinicalexample", "codemodifier", "coderelation", "supportingdiagnosis"]

EDITOR_PERMISSIONS = [
    # Codes: write and read, never delete (a retired code is marked deleted instead).
    "add_codeprocedure",
    "change_codeprocedure",
    "view_codeprocedure",
    # The rows edited inline on a code's page.
    *[
        f"{action}_{model}"
        for model in CODE_PARTS
        for action in ("add", "change", "delete", "view")
    ],
    # The vocabularies.
    *[f"{action}_{model}" for model in CONTENT_MODELS for action in ("add", "change", "view")],
    # Their own revisions and the review queue (approving takes the publish permission).
    "view_revision",
]

ROLES = {
    # Write content; cannot publish.
    "Editors": EDITOR_PERMISSIONS,
    # Everything an editor does, plus publishing and unpublishing.
    "Reviewers": [*EDITOR_PERMISSIONS, "publish_codeprocedure"],
    # Users, roles and every content permission, deletion included.
    "Administrators": [
        *EDITOR_PERMISSIONS,
        "publish_codeprocedure",
        "delete_codeprocedure",
        *[f"delete_{model}" for model in CONTENT_MODELS],
        *[
            f"{action}_{model}"
            for model in ("user", "group")
            for action in ("add", "change", "delete", "view")
        ],
        # Log-in lockouts: seen and lifted (deleting the attempts) in the admin.
        "view_accessattempt",
        "delete_accessattempt",
    ],
}


def ensure_roles(group_model, permission_model, using="default"):
    """Create or update the role groups with exactly their permissions."""
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        permissions = permission_model.objects.using(using).filter(
            codename__in=codenames, content_type__app_label__in=["codes", "auth", "axes"]
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for {name}: {sorted(missing)}")
        group.permissions.set(permissions)
