from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "decisions"
    verbose_name = "IMR determinations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from decisions import signals  # noqa: F401  (connects the receivers)
