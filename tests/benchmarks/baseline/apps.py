from django.apps import AppConfig


class BaselineConfig(AppConfig):
    name = "tests.benchmarks.baseline"
    label = "bench_baseline"
    verbose_name = "benchmark baseline"
    default_auto_field = "django.db.models.BigAutoField"
