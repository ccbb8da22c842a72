"""The count screen (phone, keyboard, no JavaScript needed), start/submit, review, new counts."""

import pytest
from django.urls import reverse

from inventory import checks
from inventory.models import InventoryCheck, InventoryCheckLine, StockLevel, StockMovement
from tests.factories import (
    InventoryCheckFactory,
    InventoryCheckLineFactory,
    ProductFactory,
    StockLevelFactory,
)
from tests.inventory.factories import counting_check, stocked

Status = InventoryCheck.Status
# Long and odd, so it cannot turn up by chance in a page (ids, tokens, dates).
EXPECTED = 736492815


def _url(name: str, check) -> str:
    return reverse(f"inventory:{name}", kwargs={"pk": check.pk})


@pytest.fixture
def blind_check(warehouse, manager):
    """A started blind count of one product whose on hand is EXPECTED, and a small one."""
    big = ProductFactory(sku="BIG-1", name="Bulk bolts")
    StockLevelFactory(warehouse=warehouse, product=big, on_hand=EXPECTED, bin="A-01-1")
    small = stocked(warehouse, ProductFactory(sku="SMALL-1", barcode="4000000123457"), 7)
    return counting_check(warehouse, [big, small], by=manager)


# --- access -------------------------------------------------------------------------------------


def test_staff_of_another_warehouse_get_404(client, other_warehouse, blind_check):
    from opsportal import roles
    from tests.factories import user_with_role

    stranger = user_with_role(roles.WAREHOUSE_STAFF, username="stranger")
    other_warehouse.staff.add(stranger)
    client.force_login(stranger)
    assert client.get(_url("check_count", blind_check)).status_code == 404
    response = client.post(_url("check_count", blind_check), {"code": "SMALL-1", "quantity": 1})
    assert response.status_code == 404
    for name in ("check_start", "check_submit"):
        assert client.post(_url(name, blind_check)).status_code == 404
    assert InventoryCheckLine.objects.filter(counted__isnull=False).count() == 0


def test_contract_admins_cannot_count(contracts_client, blind_check):
    assert contracts_client.get(_url("check_count", blind_check)).status_code == 403


def test_staff_cannot_review_or_cancel(warehouse_client, blind_check):
    assert warehouse_client.get(_url("check_review", blind_check)).status_code == 403
    assert warehouse_client.post(_url("check_cancel", blind_check)).status_code == 403
    assert warehouse_client.get(reverse("inventory:check_create")).status_code == 403


def test_the_actions_refuse_get(warehouse_client, manager_client, blind_check):
    for name in ("check_start", "check_submit"):
        assert warehouse_client.get(_url(name, blind_check)).status_code == 405
    assert manager_client.get(_url("check_cancel", blind_check)).status_code == 405


# --- blind --------------------------------------------------------------------------------------


def test_the_count_screen_never_sends_the_expected_quantity(warehouse_client, blind_check):
    urls = [_url("check_count", blind_check), _url("check_detail", blind_check)]
    responses = [warehouse_client.get(url) for url in urls]
    responses.append(warehouse_client.get(urls[0], HTTP_HX_REQUEST="true"))
    for data in ({"code": "BIG-1"}, {"code": "nope", "quantity": "1"}):
        responses.append(warehouse_client.post(urls[0], data))
        responses.append(warehouse_client.post(urls[0], data, HTTP_HX_REQUEST="true"))
    responses.append(
        warehouse_client.post(urls[0], {"code": "BIG-1", "quantity": "3"}, follow=True)
    )
    responses.append(
        warehouse_client.post(urls[0], {"code": "BIG-1", "quantity": "4"}, HTTP_HX_REQUEST="true")
    )
    assert InventoryCheckLine.objects.get(product__sku="BIG-1").counted == 4
    for response in responses:
        body = response.content
        assert b"BIG-1" in body
        assert str(EXPECTED).encode() not in body
        assert f"{EXPECTED:,}".encode() not in body
        assert str(EXPECTED - 4).encode() not in body  # nor the variance
        assert str(EXPECTED - 3).encode() not in body


# --- counting -----------------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_count_posts_and_comes_back_to_an_empty_form(warehouse_client, blind_check):
    response = warehouse_client.post(
        _url("check_count", blind_check), {"code": "4000000123457", "quantity": "7"}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("check_count", blind_check)
    line = InventoryCheckLine.objects.get(product__sku="SMALL-1")
    assert (line.counted, line.variance, line.counted_by.username) == (7, 0, "picker")
    page = warehouse_client.get(response["Location"])
    body = page.content.decode()
    assert "SMALL-1: 7 counted." in body
    assert 'data-testid="progress-counted">1<' in body
    assert 'data-testid="progress-total">2<' in body


def test_enter_after_the_code_without_javascript_asks_for_the_quantity(
    warehouse_client, blind_check
):
    response = warehouse_client.post(_url("check_count", blind_check), {"code": "SMALL-1"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="SMALL-1"' in body
    assert "Type the quantity you counted" in body
    # The cursor waits in the quantity field.
    quantity_input = body[body.index('name="quantity"') :]
    assert "autofocus" in quantity_input[: quantity_input.index(">")]
    assert not InventoryCheckLine.objects.filter(counted__isnull=False).exists()


def test_an_unknown_code_is_named_and_nothing_is_saved(warehouse_client, blind_check):
    response = warehouse_client.post(
        _url("check_count", blind_check), {"code": "NOPE-9", "quantity": "2"}
    )
    assert response.status_code == 400
    assert "No product has the SKU or barcode “NOPE-9”" in response.content.decode()
    assert not InventoryCheckLine.objects.filter(counted__isnull=False).exists()


def test_with_htmx_the_screen_is_swapped_with_feedback(warehouse_client, blind_check):
    response = warehouse_client.post(
        _url("check_count", blind_check),
        {"code": "small-1", "quantity": "6"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="count-screen"')
    assert "<html" not in body
    assert "SMALL-1: 6 counted." in body
    assert 'name="code" id="id_code" value=""' in body  # ready for the next scan


def test_picking_a_line_prefills_its_code(warehouse_client, blind_check):
    body = warehouse_client.get(_url("check_count", blind_check) + "?code=BIG-1").content.decode()
    assert 'value="BIG-1"' in body


def test_a_planned_check_offers_to_start_and_starting_snapshots(
    warehouse_client, warehouse, warehouse_staff, manager
):
    product = stocked(warehouse, ProductFactory(sku="P-1"), 4)
    created = checks.check_create(
        warehouse=warehouse, kind="products", created_by=manager, products=[product]
    )
    check = created.check
    body = warehouse_client.get(_url("check_count", check)).content.decode()
    assert "Start counting" in body
    assert 'name="quantity"' not in body
    response = warehouse_client.post(_url("check_start", check))
    assert response["Location"] == _url("check_count", check)
    check.refresh_from_db()
    assert check.status == Status.COUNTING
    assert check.lines.get().expected == 4


def test_submitting_with_lines_left_says_which(warehouse_client, blind_check):
    warehouse_client.post(_url("check_count", blind_check), {"code": "SMALL-1", "quantity": "7"})
    response = warehouse_client.post(_url("check_submit", blind_check), follow=True)
    assert "1 line still to count: BIG-1" in response.content.decode()
    blind_check.refresh_from_db()
    assert blind_check.status == Status.COUNTING


def test_a_recount_is_asked_for_without_telling_how_far_off(warehouse_client, blind_check):
    url = _url("check_count", blind_check)
    warehouse_client.post(url, {"code": "SMALL-1", "quantity": "7"})
    warehouse_client.post(url, {"code": "BIG-1", "quantity": "100"})
    response = warehouse_client.post(_url("check_submit", blind_check), follow=True)
    body = response.content.decode()
    assert "Please count 1 line again: BIG-1." in body
    assert 'data-testid="recount-note"' in body
    assert 'data-testid="progress-total">1<' in body  # only the recount line is to count
    assert str(EXPECTED).encode() not in response.content
    assert str(EXPECTED - 100).encode() not in response.content


def test_a_count_within_tolerance_is_posted_from_the_phone(warehouse_client, warehouse, manager):
    product = stocked(warehouse, ProductFactory(sku="OK-1"), 9)
    check = counting_check(warehouse, [product], by=manager)
    warehouse_client.post(_url("check_count", check), {"code": "OK-1", "quantity": "9"})
    response = warehouse_client.post(_url("check_submit", check), follow=True)
    assert "done and posted" in response.content.decode()
    check.refresh_from_db()
    assert check.status == Status.POSTED


# --- review -------------------------------------------------------------------------------------


def _to_review(client, check):
    url = _url("check_count", check)
    client.post(url, {"code": "SMALL-1", "quantity": "7"})
    client.post(url, {"code": "BIG-1", "quantity": "100"})
    client.post(_url("check_submit", check))
    client.post(url, {"code": "BIG-1", "quantity": "110"})
    client.post(_url("check_submit", check))
    check.refresh_from_db()
    assert check.status == Status.REVIEW


def test_a_manager_approves_and_posts_from_the_review_page(
    warehouse_client, manager_client, blind_check, warehouse
):
    _to_review(warehouse_client, blind_check)
    page = manager_client.get(_url("check_review", blind_check))
    body = page.content.decode()
    assert f">{EXPECTED}<" in body  # managers see what was expected
    (line,) = page.context["lines"]
    assert line.product.sku == "BIG-1"
    response = manager_client.post(
        _url("check_review", blind_check), {f"line-{line.pk}": "approve", "action": "post"}
    )
    assert response["Location"] == _url("check_detail", blind_check)
    blind_check.refresh_from_db()
    assert blind_check.status == Status.POSTED
    level = StockLevel.objects.get(warehouse=warehouse, product__sku="BIG-1")
    assert level.on_hand == 110
    movement = StockMovement.objects.get(kind=StockMovement.Kind.COUNT)
    assert movement.delta == 110 - EXPECTED
    detail = manager_client.get(_url("check_detail", blind_check)).content.decode()
    assert 'data-testid="check-accuracy"' in detail
    assert "1 of 2" in detail  # SMALL-1 within tolerance, BIG-1 not


def test_posting_without_deciding_is_refused_and_nothing_moves(
    warehouse_client, manager_client, blind_check
):
    _to_review(warehouse_client, blind_check)
    response = manager_client.post(
        _url("check_review", blind_check), {"action": "post"}, follow=True
    )
    assert "BIG-1 waits for a decision" in response.content.decode()
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).exists()


def test_reject_all_keeps_the_stock(warehouse_client, manager_client, blind_check, warehouse):
    _to_review(warehouse_client, blind_check)
    manager_client.post(_url("check_review", blind_check), {"all": "reject"})
    line = InventoryCheckLine.objects.get(product__sku="BIG-1")
    assert line.decision == InventoryCheckLine.Decision.REJECTED
    manager_client.post(_url("check_review", blind_check), {"action": "post"})
    blind_check.refresh_from_db()
    assert blind_check.status == Status.POSTED
    assert StockLevel.objects.get(warehouse=warehouse, product__sku="BIG-1").on_hand == EXPECTED


def test_a_manager_cancels_an_open_count(manager_client, blind_check):
    manager_client.post(_url("check_cancel", blind_check))
    blind_check.refresh_from_db()
    assert blind_check.status == Status.CANCELLED


# --- new counts by hand -------------------------------------------------------------------------


def test_a_manager_plans_a_count_of_a_product_list(manager_client, warehouse, warehouse_staff):
    stocked(warehouse, ProductFactory(sku="L-1", barcode="4000000555551"), 2, bin="B-01")
    stocked(warehouse, ProductFactory(sku="L-2"), 2, bin="B-02")
    response = manager_client.post(
        reverse("inventory:check_create"),
        {
            "warehouse": "WH-A",
            "kind": "products",
            "products": "4000000555551\nL-2, L-1",
            "blind": "on",
        },
    )
    check = InventoryCheck.objects.get()
    assert response["Location"] == _url("check_detail", check)
    assert sorted(check.lines.values_list("product__sku", "bin")) == [
        ("L-1", "B-01"),
        ("L-2", "B-02"),
    ]
    assert (check.kind, check.blind, check.assigned_to) == ("products", True, warehouse_staff)


def test_a_new_count_names_unknown_skus(manager_client, warehouse):
    response = manager_client.post(
        reverse("inventory:check_create"),
        {"warehouse": "WH-A", "kind": "products", "products": "GHOST-1"},
    )
    assert response.status_code == 400
    assert "Unknown SKU or barcode: GHOST-1." in response.content.decode()
    assert not InventoryCheck.objects.exists()


def test_a_location_count_from_the_page(manager_client, warehouse):
    stocked(warehouse, ProductFactory(sku="LOC-1"), 2, bin="C-07-1")
    stocked(warehouse, ProductFactory(sku="LOC-2"), 2, bin="D-01-1")
    manager_client.post(
        reverse("inventory:check_create"),
        {"warehouse": "WH-A", "kind": "location", "location": "C-07"},
    )
    check = InventoryCheck.objects.get()
    assert list(check.lines.values_list("product__sku", flat=True)) == ["LOC-1"]
    assert check.blind is False  # the box was left unticked


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_accuracy_and_keeps_its_query_count(
    manager_client, warehouse, manager, queries_for
):
    InventoryCheckLineFactory(inventory_check__warehouse=warehouse)
    one = queries_for(manager_client, reverse("inventory:check_list"))
    for _ in range(20):
        check = InventoryCheckFactory(warehouse=warehouse, status=Status.POSTED)
        InventoryCheckLineFactory(
            inventory_check=check, expected=10, counted=10, variance=0, counted_by=manager
        )
    assert queries_for(manager_client, reverse("inventory:check_list")) == one


def test_the_count_screen_links_the_counting_sop(warehouse_client, blind_check):
    from quality.models import SOPVersion, SOPWorkLink
    from tests.factories import SOPDocumentFactory, SOPVersionFactory, UserFactory

    document = SOPDocumentFactory(code="SOP-INV-001", title="Cycle counting")
    SOPVersionFactory(
        document=document,
        number=2,
        status=SOPVersion.Status.EFFECTIVE,
        author=UserFactory(),
        approver=UserFactory(),
    )
    SOPWorkLink.objects.create(key=SOPWorkLink.Key.INVENTORY_COUNT, document=document)
    body = warehouse_client.get(_url("check_count", blind_check)).content.decode()
    assert 'data-work-key="inventory.count"' in body
    assert "SOP-INV-001 Cycle counting v2</a>" in body
