"""API tokens remembered per process (opsportal.authentication): no query while remembered,
forgotten at once when the token, the user or the user's roles change, off with 0 seconds."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.authtoken.models import Token

from opsportal import authentication, roles


@pytest.fixture
def token(manager):
    return Token.objects.create(user=manager)


def _authenticate(key: str):
    return authentication.TokenAuthentication().authenticate_credentials(key)


def test_a_remembered_token_needs_no_query_and_gives_a_fresh_user_each_time(
    token, django_assert_num_queries
):
    with django_assert_num_queries(1):
        first, _ = _authenticate(token.key)
    with django_assert_num_queries(0):
        second, second_token = _authenticate(token.key)
    assert second.pk == first.pk
    assert second is not first
    assert second_token.key == token.key
    assert second_token.user is second
    assert roles.OPERATIONS_MANAGER in roles.user_roles(second)


def test_deleting_the_token_forgets_it(token):
    _authenticate(token.key)
    token.delete()
    with pytest.raises(authentication.exceptions.AuthenticationFailed, match="Invalid token"):
        _authenticate(token.key)


def test_deactivating_the_user_forgets_their_token(token, manager):
    _authenticate(token.key)
    manager.is_active = False
    manager.save()
    with pytest.raises(authentication.exceptions.AuthenticationFailed, match="inactive"):
        _authenticate(token.key)


def test_removing_a_role_forgets_the_token_and_the_api_refuses(client, token, manager):
    url = reverse("api:order-list")
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get(url, **auth).status_code == 200
    manager.groups.remove(Group.objects.get(name=roles.OPERATIONS_MANAGER))
    assert client.get(url, **auth).status_code == 403


def test_an_unknown_key_is_not_remembered(db, django_assert_num_queries):
    for _ in range(2):
        with (
            django_assert_num_queries(1),
            pytest.raises(authentication.exceptions.AuthenticationFailed),
        ):
            _authenticate("0" * 40)


def test_a_token_is_asked_again_once_its_time_is_up(token, monkeypatch, django_assert_num_queries):
    clock = [1000.0]
    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock[0])
    _authenticate(token.key)
    clock[0] += 1.9
    with django_assert_num_queries(0):
        _authenticate(token.key)
    clock[0] += 0.2  # 2.1 s after the read: past API_TOKEN_CACHE_SECONDS (2)
    with django_assert_num_queries(1):
        _authenticate(token.key)


def test_zero_seconds_turns_the_cache_off(token, settings, django_assert_num_queries):
    settings.API_TOKEN_CACHE_SECONDS = 0
    for _ in range(2):
        with django_assert_num_queries(1):
            _authenticate(token.key)
