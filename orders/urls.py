from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("pick-list/", views.pick_list, name="pick_list"),
    path("returns/", views.return_list, name="return_list"),
    path("emails/", views.email_list, name="email_list"),
    path("<str:number>/", views.order_detail, name="order_detail"),
]
