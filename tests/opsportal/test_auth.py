import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.mark.smoke
def test_a_user_signs_in_and_lands_on_the_start_page(client, manager):
    response = client.post(
        reverse("login"), {"username": "manager", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == manager
    assert b"Operations Manager" in response.content


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client, manager):
    response = client.post(reverse("login"), {"username": "manager", "password": "nope"})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, manager, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "manager", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username="manager").exists()


def test_sign_out_needs_a_post(client, manager):
    client.force_login(manager)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_visiting_login_goes_home(manager_client):
    response = manager_client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_api_token_endpoint_gives_a_token_that_authenticates(client, manager):
    response = client.post(
        reverse("api-token"), {"username": "manager", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api = client.get(reverse("api:api-root"), HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code == 200


def test_the_api_refuses_anonymous_requests(client, db):
    response = client.get(reverse("api:documentjob-list"), HTTP_ACCEPT="application/json")
    assert response.status_code in (401, 403)
