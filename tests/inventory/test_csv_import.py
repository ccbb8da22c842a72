"""CSV imports of products and opening stock: all or nothing, problems by row and column."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory import imports, services
from inventory.models import Product, StockLevel, StockMovement
from tests.factories import ProductFactory


def _problems(call) -> list[tuple[int, str, str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return [(p.row, p.column, p.message) for p in imports.problems_of(caught.value)]


def _csv(text: str, *, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


# --- products ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_products_are_created_and_updated_by_sku(db, bom):
    ProductFactory(sku="OLD-1", name="Old name", weight_grams=5)
    data = _csv(
        "sku,name,barcode,unit,weight_grams,unit_cost,abc_class,is_active\n"
        "NEW-1,Grüner Tee,4006381333931,box,250,3.50,a,yes\n"
        "OLD-1,Renamed,,Each,,,,no\n",
        bom=bom,
    )
    summary = imports.product_import_csv(data=data)
    assert (summary.created, summary.updated) == (1, 1)
    new = Product.objects.get(sku="NEW-1")
    assert (new.name, new.barcode, new.unit, new.weight_grams) == (
        "Grüner Tee",
        "4006381333931",
        "box",
        250,
    )
    assert (new.unit_cost, new.abc_class, new.is_active) == (Decimal("3.50"), "A", True)
    old = Product.objects.get(sku="OLD-1")
    assert (old.name, old.weight_grams, old.is_active) == ("Renamed", 5, False)


def test_semicolon_files_from_spreadsheets_are_read(db):
    imports.product_import_csv(data=_csv("sku;name;unit_cost\nSEMI-1;Semi;1.25\n", bom=True))
    assert Product.objects.get(sku="SEMI-1").unit_cost == Decimal("1.25")


def test_every_problem_is_named_by_row_and_column_and_nothing_is_saved(db):
    ProductFactory(sku="TAKEN", barcode="111")
    data = _csv(
        "sku,name,barcode,weight_grams,unit,is_active\n"
        "OK-1,Fine,,10,each,yes\n"
        "BAD-1,,,10,each,yes\n"
        "BAD-2,Heavy,,-4,each,yes\n"
        "BAD-3,Odd,,1,crate,maybe\n"
        "OK-1,Again,,1,each,yes\n"
        "BAD-4,Clash,111,1,each,yes\n"
    )
    assert _problems(lambda: imports.product_import_csv(data=data)) == [
        (3, "name", "Required for a new product."),
        (4, "weight_grams", "Ensure this value is greater than or equal to 0."),
        (5, "unit", "Value 'crate' is not a valid choice."),
        (5, "is_active", "Use yes or no."),
        (6, "sku", "OK-1 is already on row 2."),
        (7, "barcode", "111 belongs to TAKEN."),
    ]
    assert list(Product.objects.values_list("sku", flat=True)) == ["TAKEN"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"name\nX\n", [(1, "sku", "This column is required.")]),
        (b"sku,name,colour\nA,B,red\n", [(1, "colour", "Unknown column.")]),
        (b"sku,name\n", [(2, "", "The file has a header but no rows.")]),
        (b"", [(1, "", "The file is empty.")]),
        (
            "sku,name\nA,Caf\xe9\n".encode("latin-1"),
            [(2, "", "The file is not UTF-8 text: save it as “CSV UTF-8”.")],
        ),
        (b"sku,name\nA,B,C\n", [(2, "", "3 cells but 2 columns.")]),
    ],
)
def test_a_malformed_file_says_what_is_wrong(db, data, expected):
    assert _problems(lambda: imports.product_import_csv(data=data)) == expected
    assert not Product.objects.exists()


def test_a_percent_sign_in_a_cell_is_just_text(db):
    data = _csv("sku,name,weight_grams\nP-1,100% cotton,%d\n")
    assert _problems(lambda: imports.product_import_csv(data=data)) == [
        (2, "weight_grams", "“%d” value must be an integer.")
    ]


# --- opening stock -----------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    return ProductFactory(sku="STK-1"), ProductFactory(sku="STK-2")


def test_opening_stock_sets_on_hand_through_the_ledger(
    warehouse, other_warehouse, catalogue, manager
):
    services.stock_receive(warehouse=warehouse, product=catalogue[1], quantity=3, actor=manager)
    data = _csv(
        "warehouse,sku,quantity,bin,reorder_point,safety_stock\n"
        "WH-A,STK-1,40,A-01-1,10,5\n"
        "WH-A,STK-2,3,,,\n"
        "WH-B,STK-2,0,B-07,,\n",
        bom=True,
    )
    summary = imports.stock_import_opening_csv(data=data, actor=manager)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 2)
    level = StockLevel.objects.get(warehouse=warehouse, product=catalogue[0])
    assert (level.on_hand, level.bin, level.reorder_point, level.safety_stock) == (
        40,
        "A-01-1",
        10,
        5,
    )
    assert StockLevel.objects.get(warehouse=other_warehouse, product=catalogue[1]).bin == "B-07"
    opening = StockMovement.objects.get(kind="count")
    assert (opening.delta, opening.reason, opening.actor) == (
        40,
        "Opening stock (CSV import)",
        manager,
    )
    # Importing the same file again changes nothing.
    again = imports.stock_import_opening_csv(data=data, actor=manager)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert StockMovement.objects.filter(kind="count").count() == 1


def test_opening_stock_problems_by_row_and_nothing_saved(
    warehouse, other_warehouse, catalogue, warehouse_staff
):
    data = _csv(
        "warehouse,sku,quantity,reorder_point\n"
        "WH-A,STK-1,5,\n"
        "WH-B,STK-1,5,\n"
        "WH-Z,GHOST,-1,\n"
        "WH-A,STK-2,7,lots\n"
        "WH-A,STK-1,6,\n"
    )
    problems = _problems(
        lambda: imports.stock_import_opening_csv(
            data=data, actor=warehouse_staff, warehouse_ids={warehouse.pk}
        )
    )
    assert problems == [
        (3, "warehouse", "You do not work in WH-B."),
        (4, "warehouse", "No warehouse “WH-Z”."),
        (4, "sku", "No product “GHOST”."),
        (4, "quantity", "A whole number of 0 or more."),
        (5, "reorder_point", "“lots” value must be an integer."),
        (6, "sku", "STK-1 in WH-A is already on row 2."),
    ]
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_refusal_while_writing_undoes_the_rows_before_it(warehouse, catalogue, manager):
    services.stock_receive(warehouse=warehouse, product=catalogue[1], quantity=9, actor=manager)
    services.stock_reserve(warehouse=warehouse, product=catalogue[1], quantity=8)
    data = _csv("warehouse,sku,quantity\nWH-A,STK-1,5\nWH-A,STK-2,2\n")
    problems = _problems(lambda: imports.stock_import_opening_csv(data=data, actor=manager))
    assert problems == [
        (
            3,
            "quantity",
            "Only 1 of STK-2 in WH-A available, 7 needed (9 on hand, 8 reserved, 0 quarantined).",
        )
    ]
    assert not StockLevel.objects.filter(product=catalogue[0]).exists()


# --- pages -------------------------------------------------------------------------------------


def _upload(client, name: str, data: bytes, **extra):
    file = SimpleUploadedFile("import.csv", data, content_type="text/csv")
    return client.post(reverse(f"inventory:{name}"), {"file": file}, **extra)


def test_managers_import_products_and_are_redirected_with_a_summary(manager_client, db):
    response = _upload(
        manager_client, "product_import", _csv("sku,name\nPG-1,Page import\n"), follow=True
    )
    assert response.redirect_chain == [(reverse("inventory:product_list"), 302)]
    assert "Import products: 1 new, 0 changed." in response.content.decode()
    assert Product.objects.filter(sku="PG-1").exists()


def test_staff_cannot_import_products(warehouse_client, db):
    response = _upload(warehouse_client, "product_import", _csv("sku,name\nPG-1,X\n"))
    assert response.status_code == 403
    assert not Product.objects.exists()


def test_the_problems_are_listed_on_the_page(
    warehouse_client, warehouse, other_warehouse, catalogue
):
    response = _upload(
        warehouse_client, "stock_import", _csv("warehouse,sku,quantity\nWH-B,STK-1,5\n")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="import-problems"' in body
    assert "You do not work in WH-B." in body
    assert response.context["problems"] == [
        imports.Problem(2, "warehouse", "You do not work in WH-B.")
    ]
    assert not StockLevel.objects.exists()


def test_staff_import_opening_stock_for_their_warehouse(warehouse_client, warehouse, catalogue):
    response = _upload(
        warehouse_client,
        "stock_import",
        _csv("warehouse,sku,quantity\nWH-A,STK-1,12\n"),
        follow=True,
    )
    assert response.redirect_chain == [(reverse("inventory:stock_list"), 302)]
    assert StockLevel.objects.get(warehouse=warehouse, product=catalogue[0]).on_hand == 12
