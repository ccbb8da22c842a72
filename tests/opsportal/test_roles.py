"""Deny by default: a page or API view that declares no access rule refuses everyone."""

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from opsportal import roles


def undeclared_page(request):
    return HttpResponse("secret")


@roles.allow(roles.WAREHOUSE_STAFF)
def staff_page(request):
    return HttpResponse("for staff")


class UndeclaredAPI(APIView):
    def get(self, request):
        return Response({"secret": True})


class ReadForAllWriteForManagers(APIView):
    access_roles = roles.ROLES
    write_roles = (roles.OPERATIONS_MANAGER,)

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"written": True})


urlpatterns = [
    path("undeclared/", undeclared_page),
    path("staff/", staff_page),
    path("api/undeclared/", UndeclaredAPI.as_view()),
    path("api/rw/", ReadForAllWriteForManagers.as_view()),
    # The project's own URLs, for the sign-in page and the layout's links.
    path("", include("opsportal.urls")),
]

pytestmark = pytest.mark.urls("tests.opsportal.test_roles")


@pytest.mark.smoke
def test_a_page_without_a_rule_refuses_even_a_superuser(superuser_client, client, db):
    assert superuser_client.get("/undeclared/").status_code == 403
    assert client.get("/undeclared/").status_code == 403


def test_an_api_view_without_a_rule_refuses_everyone(superuser_client, manager_client):
    assert superuser_client.get("/api/undeclared/").status_code == 403
    assert manager_client.get("/api/undeclared/").status_code == 403


def test_a_declared_rule_admits_its_role_and_refuses_others(warehouse_client, contracts_client):
    assert warehouse_client.get("/staff/").content == b"for staff"
    assert contracts_client.get("/staff/").status_code == 403


def test_anonymous_users_are_sent_to_sign_in_for_a_declared_page(client, db):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/")


def test_write_roles_narrow_unsafe_methods(warehouse_client, manager_client):
    assert warehouse_client.get("/api/rw/").status_code == 200
    assert warehouse_client.post("/api/rw/").status_code == 403
    assert manager_client.post("/api/rw/").status_code == 200


def test_an_inactive_user_holds_no_role(warehouse_staff):
    warehouse_staff.is_active = False
    assert roles.user_roles(warehouse_staff) == frozenset()


def test_allow_rejects_unknown_role_names():
    with pytest.raises(ValueError, match="Unknown"):
        roles.allow("Warehouse Staf")


def test_the_role_groups_exist_with_the_permissions_roles_py_lists(db):
    staff = Group.objects.get(name=roles.WAREHOUSE_STAFF)
    codenames = set(staff.permissions.values_list("codename", flat=True))
    assert "view_stocklevel" in codenames
    # Warehouse staff never see contracts or their prices.
    assert not codenames & {"view_vendorcontract", "view_contractprice"}
    manager = Group.objects.get(name=roles.OPERATIONS_MANAGER)
    manager_codes = set(manager.permissions.values_list("codename", flat=True))
    assert "view_vendorcontract" in manager_codes
    # Managers read contracts but never edit their terms.
    assert "change_vendorcontract" not in manager_codes
    contracts = Group.objects.get(name=roles.CONTRACT_ADMIN)
    contract_codes = set(contracts.permissions.values_list("codename", flat=True))
    assert {"change_vendorcontract", "change_shippingrate"} <= contract_codes
    assert not any(code.startswith(("change_order", "change_stock")) for code in contract_codes)


def test_warehouse_staff_are_scoped_to_their_warehouses(warehouse_staff, warehouse, manager):
    assert roles.warehouse_ids_for(warehouse_staff) == {warehouse.pk}
    assert roles.warehouse_ids_for(manager) is None
