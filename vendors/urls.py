from django.urls import path

from vendors import views

app_name = "vendors"

urlpatterns = [
    path("", views.vendor_list, name="vendor_list"),
    path("new/", views.vendor_create, name="vendor_create"),
    path("<int:pk>/", views.vendor_detail, name="vendor_detail"),
    path("<int:pk>/edit/", views.vendor_edit, name="vendor_edit"),
    path("<int:pk>/status/", views.vendor_status, name="vendor_status"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/history/", views.contract_history, name="contract_history"),
    path("contracts/<int:pk>/activate/", views.contract_activate, name="contract_activate"),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("contracts/<int:pk>/renew/", views.contract_renew, name="contract_renew"),
    path("contracts/<int:pk>/document/", views.contract_document, name="contract_document"),
    path(
        "contracts/<int:pk>/document/upload/",
        views.contract_document_upload,
        name="contract_document_upload",
    ),
    path("carriers/", views.carrier_list, name="carrier_list"),
    # Before carriers/<code>/: "new" and "quote" are not carrier codes.
    path("carriers/new/", views.carrier_create, name="carrier_create"),
    path("carriers/quote/", views.quote, name="quote"),
    path("carriers/<str:code>/", views.carrier_detail, name="carrier_detail"),
    path("carriers/<str:code>/edit/", views.carrier_edit, name="carrier_edit"),
    path("carriers/<str:code>/services/new/", views.service_create, name="service_create"),
    path("carriers/<str:code>/services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("carriers/<str:code>/rates/import/", views.rate_import, name="rate_import"),
    path("purchase-orders/", views.purchaseorder_list, name="purchaseorder_list"),
    path("purchase-orders/new/", views.purchaseorder_create, name="purchaseorder_create"),
    path(
        "purchase-orders/suggestions/",
        views.purchaseorder_suggestions,
        name="purchaseorder_suggestions",
    ),
    path(
        "purchase-orders/<str:number>/",
        views.purchaseorder_detail,
        name="purchaseorder_detail",
    ),
    path(
        "purchase-orders/<str:number>/send/",
        views.purchaseorder_send,
        name="purchaseorder_send",
    ),
    path(
        "purchase-orders/<str:number>/receive/",
        views.purchaseorder_receive,
        name="purchaseorder_receive",
    ),
    path(
        "purchase-orders/<str:number>/cancel/",
        views.purchaseorder_cancel,
        name="purchaseorder_cancel",
    ),
]
