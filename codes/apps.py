from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CodesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "codes"
    verbose_name = "CPT reference"

    def ready(self):
        from codes.search import schema

        pre_migrate.connect(schema.suspend_triggers, sender=self)
        post_migrate.connect(schema.restore_triggers, sender=self)

        from codes import cache, models

        post_migrate.connect(cache.bump_after_migrate, sender=self)
        cache.connect_signals(
            [
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
            ]
        )
