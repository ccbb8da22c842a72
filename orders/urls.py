from django.urls import path

from orders import views, views_emails, views_labels, views_returns

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("pick-list/", views.pick_list, name="pick_list"),
    path("returns/", views.return_list, name="return_list"),
    path("emails/", views.email_list, name="email_list"),
    # Labels, returns and the outbox resend (views_labels, views_returns, views_emails).
    path("labels/", views_labels.label_batch, name="label_batch"),
    path("returns/<str:number>/", views_returns.return_detail, name="return_detail"),
    path("returns/<str:number>/decide/", views_returns.return_decide, name="return_decide"),
    path("returns/<str:number>/receive/", views_returns.return_receive, name="return_receive"),
    path("returns/<str:number>/refund/", views_returns.return_refund, name="return_refund"),
    path("emails/<int:pk>/resend/", views_emails.email_resend, name="email_resend"),
    path("<str:number>/return/", views_returns.return_create, name="return_create"),
    path("<str:number>/", views.order_detail, name="order_detail"),
]
