from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate, pre_migrate


class CodesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "codes"
    verbose_name = "CPT reference"

    def ready(self):
        from codes.search import schema

        pre_migrate.connect(schema.suspend_triggers, sender=self)
        post_migrate.connect(schema.restore_triggers, sender=self)

        from django.db.models.signals import pre_save

        from codes import cache, models
        from codes.models.text import normalise_text_fields

        content_models = [
            models.CodeProcedure,
            models.Section,
            models.Modifier,
            models.CodeModifier,
            models.Specialty,
            models.Nerve,
            models.PlaceOfService,
            models.ClinicalExample,
            models.CodeRelation,
            models.Source,
            models.SupportingDiagnosis,
        ]
        post_migrate.connect(cache.bump_after_migrate, sender=self)
        cache.connect_signals(content_models)
        # A release made current (its last save) changes what pages show.
        cache.connect_signals([models.Release])
        for model in content_models:
            pre_save.connect(normalise_text_fields, sender=model, weak=False)


class ReferenceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with our site: its "view on site" link checks permissions."""

    default = False  # named in INSTALLED_APPS; "codes" stays CodesConfig
    default_site = "codes.admin_site.ReferenceAdminSite"
