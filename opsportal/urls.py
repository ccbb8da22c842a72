from django.contrib import admin
from django.urls import include, path

from opsportal import api, views

admin.site.site_header = "opsportal administration"
admin.site.site_title = "opsportal admin"

urlpatterns = [
    # First: every API call (order intake above all) is resolved without trying the pages.
    path("api/v1/", include((api.build_router().urls, "api"), namespace="api")),
    path("", views.home, name="home"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("healthz/", views.healthz, name="healthz"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("inventory/", include("inventory.urls")),
    path("vendors/", include("vendors.urls")),
    path("orders/", include("orders.urls")),
    path("quality/", include("quality.urls")),
    path("api/v1/auth/token/", api.TokenView.as_view(), name="api-token"),
    path("api/schema/", api.SchemaView.as_view(), name="schema"),
    path("api/docs/", api.SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", api.RedocView.as_view(url_name="schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]
