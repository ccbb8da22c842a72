from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("stock/", views.stock_list, name="stock_list"),
    path("products/", views.product_list, name="product_list"),
    path("products/<str:sku>/", views.product_detail, name="product_detail"),
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/<str:code>/", views.warehouse_detail, name="warehouse_detail"),
    path("counts/", views.check_list, name="check_list"),
    path("counts/<int:pk>/", views.check_detail, name="check_detail"),
    path("ledger/", views.movement_list, name="movement_list"),
]
