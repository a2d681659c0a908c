from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from bankops import views
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico where a page names no icon (the admin's): the site's icon.
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("bankops.api")),
    path("", include("kpi.urls")),
    path("", include("customers.urls")),
    path("", include("alerts.urls")),
    path("", include("plans.urls")),
    path("", include("ledger.urls")),
    path("", include("checklists.urls")),
    path("", include("outreach.urls")),
    path("", include("meetings.urls")),
    path("", include("pay.urls")),
    path("", include("campaigns.urls")),
    path("", include("complaints.urls")),
]
