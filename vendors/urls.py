from django.urls import path

from vendors import views

app_name = "vendors"

urlpatterns = [
    path("", views.vendor_list, name="vendor_list"),
    path("<int:pk>/", views.vendor_detail, name="vendor_detail"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/<str:code>/", views.carrier_detail, name="carrier_detail"),
    path("purchase-orders/", views.purchaseorder_list, name="purchaseorder_list"),
    path(
        "purchase-orders/<str:number>/",
        views.purchaseorder_detail,
        name="purchaseorder_detail",
    ),
]
