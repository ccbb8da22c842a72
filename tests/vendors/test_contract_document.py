"""The signed contract: PDF only (checked by content), size-limited, served only through a view."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from tests.vendors.factories import pdf_bytes


def _upload(client, contract, data: bytes, name: str = "signed.pdf", version: int | None = None):
    return client.post(
        reverse("vendors:contract_document_upload", args=[contract.pk]),
        {
            "version": contract.version if version is None else version,
            "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
    )


def test_a_contract_admin_uploads_a_pdf_and_a_manager_downloads_it(
    contracts_client, manager_client
):
    contract = factories.VendorContractFactory(number="C-DOC")
    content = pdf_bytes(pages=2)

    response = _upload(contracts_client, contract, content)

    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.version == 2
    assert contract.signed_document.name.startswith("contracts/")
    assert f"contract-{contract.pk}-" in contract.signed_document.name
    download = manager_client.get(reverse("vendors:contract_document", args=[contract.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert 'attachment; filename="C-DOC-signed.pdf"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a not a pdf at all", "The file is not a PDF (it does not start with %PDF-)."),
        (b"%PDF-1.7\n garbage that only looks like a pdf", "The file could not be read as a PDF."),
        (b"", "The submitted file is empty."),
    ],
)
def test_anything_but_a_readable_pdf_is_refused(contracts_client, data, message):
    contract = factories.VendorContractFactory()
    response = _upload(contracts_client, contract, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    contract.refresh_from_db()
    assert not contract.signed_document
    assert contract.version == 1


def test_a_pdf_over_the_size_limit_is_refused(contracts_client, settings):
    settings.VENDORS_CONTRACT_DOCUMENT_MAX_BYTES = 1024 * 1024
    contract = factories.VendorContractFactory()
    big = pdf_bytes() + b"%" + b"x" * (1024 * 1024)
    response = _upload(contracts_client, contract, big)
    assert response.status_code == 400
    assert "larger than the limit of 1 MB" in response.content.decode()
    contract.refresh_from_db()
    assert not contract.signed_document


def test_an_upload_from_a_stale_version_is_a_conflict(contracts_client):
    contract = factories.VendorContractFactory(version=3)
    response = _upload(contracts_client, contract, pdf_bytes(), version=2)
    assert response.status_code == 400
    assert "Someone else saved this contract" in response.content.decode()


def test_warehouse_staff_guessing_the_document_url_are_refused(
    warehouse_client, contracts_client, client
):
    contract = factories.VendorContractFactory()
    _upload(contracts_client, contract, pdf_bytes())
    url = reverse("vendors:contract_document", args=[contract.pk])

    assert warehouse_client.get(url).status_code == 403
    assert (
        warehouse_client.post(
            reverse("vendors:contract_document_upload", args=[contract.pk])
        ).status_code
        == 403
    )
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    # The media URL is not served by the portal at all.
    contract.refresh_from_db()
    assert client.get(contract.signed_document.url).status_code == 404


def test_a_contract_without_a_document_answers_404(manager_client):
    contract = factories.VendorContractFactory()
    response = manager_client.get(reverse("vendors:contract_document", args=[contract.pk]))
    assert response.status_code == 404
