"""Transfer pages: list, create form, detail with ship / receive / cancel; scoped by warehouse."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement, Transfer
from tests.factories import ProductFactory, WarehouseFactory
from tests.inventory.factories import TransferFactory, TransferLineFactory

LIST_URL = reverse("inventory:transfer_list")
CREATE_URL = reverse("inventory:transfer_create")


@pytest.fixture
def bolts(warehouse, manager):
    product = ProductFactory(sku="BOLT", barcode="4000000000017")
    services.stock_receive(warehouse=warehouse, product=product, quantity=10, actor=manager)
    return product


@pytest.fixture
def draft(warehouse, other_warehouse, bolts, manager):
    return services.transfer_create(
        source=warehouse, destination=other_warehouse, lines=[(bolts, 4)], actor=manager
    )


def _url(name: str, transfer: Transfer) -> str:
    return reverse(f"inventory:{name}", kwargs={"pk": transfer.pk})


# --- access ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, draft):
    for url in (LIST_URL, CREATE_URL, _url("transfer_detail", draft)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.post(_url("transfer_ship", draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Transfer.Status.DRAFT


def test_contract_admins_are_refused(contracts_client, draft):
    assert contracts_client.get(LIST_URL).status_code == 403
    assert contracts_client.post(_url("transfer_ship", draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Transfer.Status.DRAFT


def test_wrong_methods_are_refused(manager_client, draft):
    assert manager_client.post(LIST_URL).status_code == 405
    assert manager_client.post(_url("transfer_detail", draft)).status_code == 405
    for name in ("transfer_ship", "transfer_receive", "transfer_cancel"):
        assert manager_client.get(_url(name, draft)).status_code == 405


def test_staff_get_404_for_transfers_between_other_warehouses(
    warehouse_client, other_warehouse, bolts, manager
):
    transfer = services.transfer_create(
        source=other_warehouse,
        destination=WarehouseFactory(code="WH-C"),
        lines=[(bolts, 1)],
        actor=manager,
    )
    assert warehouse_client.get(_url("transfer_detail", transfer)).status_code == 404
    for name in ("transfer_ship", "transfer_receive", "transfer_cancel"):
        assert warehouse_client.post(_url(name, transfer)).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DRAFT
    assert list(warehouse_client.get(LIST_URL).context["page_obj"]) == []


def test_staff_at_the_source_cannot_receive_at_the_destination(warehouse_client, draft, manager):
    services.transfer_ship(transfer=draft, actor=manager)
    page = warehouse_client.get(_url("transfer_detail", draft))
    assert page.context["receive_form"] is None
    response = warehouse_client.post(_url("transfer_receive", draft), {})
    assert response.status_code == 403
    assert not StockMovement.objects.filter(kind="transfer_in").exists()


# --- list ----------------------------------------------------------------------------------------


def test_the_list_shows_transfers_with_their_totals(manager_client, draft):
    response = manager_client.get(LIST_URL)
    assert response.status_code == 200
    (row,) = response.context["page_obj"]
    assert (row.number, row.line_count, row.units, row.received_units) == (draft.number, 1, 4, 0)
    assert draft.number in response.content.decode()


def test_the_list_query_count_does_not_grow_with_rows(
    manager_client, warehouse, other_warehouse, manager, queries_for
):
    def add(count: int) -> None:
        for _ in range(count):
            transfer = TransferFactory(
                source=warehouse, destination=other_warehouse, created_by=manager
            )
            TransferLineFactory.create_batch(2, transfer=transfer)

    add(1)
    one = queries_for(manager_client, LIST_URL)
    add(19)
    assert queries_for(manager_client, LIST_URL) == one


# --- create --------------------------------------------------------------------------------------


def test_staff_create_a_draft_from_their_warehouse(
    warehouse_client, warehouse_staff, other_warehouse, bolts
):
    ProductFactory(sku="NUT")
    form = warehouse_client.get(CREATE_URL)
    assert [w.code for w in form.context["form"].fields["source"].queryset] == ["WH-A"]
    response = warehouse_client.post(
        CREATE_URL,
        {
            "source": "WH-A",
            "destination": "WH-B",
            # Space, comma or semicolon between SKU and quantity; blank lines ignored.
            "lines": "BOLT 3\n\nNUT;2\n",
            "note": "For the weekend",
        },
        follow=True,
    )
    transfer = Transfer.objects.get()
    assert response.redirect_chain == [(_url("transfer_detail", transfer), 302)]
    assert "created as a draft" in response.content.decode()
    assert (transfer.source.code, transfer.destination.code, transfer.created_by) == (
        "WH-A",
        "WH-B",
        warehouse_staff,
    )
    assert [(line.product.sku, line.quantity) for line in transfer.lines.order_by("id")] == [
        ("BOLT", 3),
        ("NUT", 2),
    ]


def test_a_product_can_be_given_by_barcode(manager_client, other_warehouse, bolts):
    manager_client.post(
        CREATE_URL, {"source": "WH-A", "destination": "WH-B", "lines": "4000000000017 2"}
    )
    assert Transfer.objects.get().lines.get().product == bolts


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"lines": "GHOST 2"}, "lines", "Line 1: no product with SKU or barcode “GHOST”."),
        ({"lines": "BOLT\n"}, "lines", "Line 1: give the SKU and the quantity (“BOLT”)."),
        ({"lines": "BOLT 2\nBOLT x"}, "lines", "Line 2: “x” is not a quantity of 1 or more."),
        ({"lines": "BOLT 2\nBOLT 1"}, "lines", "Line 2: BOLT is already on the transfer."),
        ({"destination": "WH-A"}, "destination", "Choose a warehouse other than the source."),
        ({"source": "WH-B"}, "source", "Select a valid choice."),
    ],
)
def test_errors_are_shown_on_their_field_and_nothing_is_saved(
    warehouse_client, other_warehouse, bolts, data, field, message
):
    post = {"source": "WH-A", "destination": "WH-B", "lines": "BOLT 2", **data}
    response = warehouse_client.post(CREATE_URL, post)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not Transfer.objects.exists()


# --- ship, receive, cancel -----------------------------------------------------------------------


def test_staff_ship_from_their_warehouse(
    warehouse_client, warehouse, other_warehouse, draft, bolts
):
    page = warehouse_client.get(_url("transfer_detail", draft))
    assert page.context["can_ship"] is True
    response = warehouse_client.post(_url("transfer_ship", draft), follow=True)
    assert response.redirect_chain == [(_url("transfer_detail", draft), 302)]
    assert "shipped: the stock is on its way" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Transfer.Status.IN_TRANSIT
    assert StockLevel.objects.get(warehouse=warehouse, product=bolts).on_hand == 6
    assert StockLevel.objects.get(warehouse=other_warehouse, product=bolts).in_transit == 4
    assert [m.kind for m in response.context["movements"]] == ["transfer_out"]


def test_a_refused_ship_is_a_message_and_nothing_moves(manager_client, warehouse, draft, bolts):
    services.stock_reserve(warehouse=warehouse, product=bolts, quantity=8)
    response = manager_client.post(_url("transfer_ship", draft), follow=True)
    assert "Only 2 of BOLT in WH-A available, 4 needed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Transfer.Status.DRAFT


def test_the_destination_receives_part_then_the_rest(
    warehouse_client, manager, warehouse, other_warehouse, bolts
):
    # Into the staff member's warehouse this time.
    services.stock_receive(warehouse=other_warehouse, product=bolts, quantity=9, actor=manager)
    transfer = services.transfer_create(
        source=other_warehouse, destination=warehouse, lines=[(bolts, 5)], actor=manager
    )
    services.transfer_ship(transfer=transfer, actor=manager)
    line = transfer.lines.get()
    page = warehouse_client.get(_url("transfer_detail", transfer))
    assert page.context["receive_form"][f"line_{line.pk}"].value() == 5
    response = warehouse_client.post(
        _url("transfer_receive", transfer), {f"line_{line.pk}": "2"}, follow=True
    )
    assert "partially received" in response.content.decode()
    level = StockLevel.objects.get(warehouse=warehouse, product=bolts)
    assert (level.on_hand, level.in_transit) == (12, 3)
    warehouse_client.post(_url("transfer_receive", transfer), {f"line_{line.pk}": "3"})
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED


@pytest.mark.parametrize(("value", "message"), [("9", "less than or equal to 4"), ("0", "Enter a")])
def test_a_bad_receipt_shows_its_error_and_saves_nothing(
    manager_client, draft, other_warehouse, bolts, manager, value, message
):
    services.transfer_ship(transfer=draft, actor=manager)
    line = draft.lines.get()
    response = manager_client.post(_url("transfer_receive", draft), {f"line_{line.pk}": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert StockLevel.objects.get(warehouse=other_warehouse, product=bolts).in_transit == 4


def test_a_draft_can_be_cancelled(manager_client, draft, manager):
    response = manager_client.post(_url("transfer_cancel", draft), follow=True)
    assert "cancelled" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.cancelled_by) == (Transfer.Status.CANCELLED, manager)
