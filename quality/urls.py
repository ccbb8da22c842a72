from django.urls import path

from quality import views

app_name = "quality"

urlpatterns = [
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("nonconformances/", views.nonconformance_list, name="nonconformance_list"),
    path("nonconformances/<int:pk>/", views.nonconformance_detail, name="nonconformance_detail"),
    path("compliance/", views.requirement_list, name="requirement_list"),
    path("safety/", views.incident_list, name="incident_list"),
    path("sops/", views.sop_list, name="sop_list"),
    path("sops/<str:code>/", views.sop_detail, name="sop_detail"),
]
