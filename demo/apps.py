from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo generator (`manage.py seed_demo`, `demo_logins`): it imports every app to write a realistic
    network through their own services, and nothing imports it."""

    name = "demo"
    verbose_name = "Demo"
