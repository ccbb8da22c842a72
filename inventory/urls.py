from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("stock/", views.stock_list, name="stock_list"),
    path("stock/import/", views.stock_import, name="stock_import"),
    path("stock/low/", views.low_stock_list, name="low_stock_list"),
    path("replenishment/", views.replenishment_list, name="replenishment_list"),
    path("products/", views.product_list, name="product_list"),
    path("products/import/", views.product_import, name="product_import"),
    path("products/<str:sku>/", views.product_detail, name="product_detail"),
    path("products/<str:sku>/adjust/", views.stock_adjust, name="stock_adjust"),
    path("products/<str:sku>/abc/", views.product_abc, name="product_abc"),
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/<str:code>/", views.warehouse_detail, name="warehouse_detail"),
    path("counts/", views.check_list, name="check_list"),
    path("counts/new/", views.check_create, name="check_create"),
    path("counts/<int:pk>/", views.check_detail, name="check_detail"),
    path("counts/<int:pk>/count/", views.check_count, name="check_count"),
    path("counts/<int:pk>/start/", views.check_start, name="check_start"),
    path("counts/<int:pk>/submit/", views.check_submit, name="check_submit"),
    path("counts/<int:pk>/review/", views.check_review, name="check_review"),
    path("counts/<int:pk>/cancel/", views.check_cancel, name="check_cancel"),
    path("ledger/", views.movement_list, name="movement_list"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/ship/", views.transfer_ship, name="transfer_ship"),
    path("transfers/<int:pk>/receive/", views.transfer_receive, name="transfer_receive"),
    path("transfers/<int:pk>/cancel/", views.transfer_cancel, name="transfer_cancel"),
]
