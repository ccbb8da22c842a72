from django.urls import path

from orders import views, views_emails, views_labels, views_returns

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("pick-list/", views.pick_list, name="pick_list"),
    path("returns/", views.return_list, name="return_list"),
    path("emails/", views.email_list, name="email_list"),
    # Intake in the portal, fulfilment screens, the carrier tracking webhook (views).
    path("new/", views.order_create, name="order_create"),
    path("import/", views.order_import, name="order_import"),
    path("pick-list/start/", views.pick_start, name="pick_start"),
    path("shipments/<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("shipments/<int:pk>/pack/", views.shipment_pack, name="shipment_pack"),
    path("shipments/<int:pk>/ship/", views.shipment_ship, name="shipment_ship"),
    path("shipments/<int:pk>/carrier/", views.shipment_carrier, name="shipment_carrier"),
    path("shipments/<int:pk>/deliver/", views.shipment_deliver, name="shipment_deliver"),
    path("shipments/<int:pk>/exception/", views.shipment_exception, name="shipment_exception"),
    path("webhooks/tracking/<str:carrier>/", views.carrier_webhook, name="carrier_webhook"),
    path("<str:number>/hold/", views.order_hold, name="order_hold"),
    path("<str:number>/release/", views.order_release, name="order_release"),
    path("<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("<str:number>/reroute/", views.order_reroute, name="order_reroute"),
    path("<str:number>/payment/", views.order_payment, name="order_payment"),
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
