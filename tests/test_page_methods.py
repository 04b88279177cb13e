"""A page that only shows answers a write with 405, whoever sends it.

Walks the access matrix's pages read with GET (anonymous sent to the login page, or public):
a POST by a superuser (who passes every role check) is refused with 405 Method Not Allowed
instead of showing the page again. Pages whose form posts back to them are named below.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.test_access_matrix import PUBLIC, TABLE, World, url_patterns

#: GET pages whose own form posts to them (the POST is their change, tested with the page).
POSTED_TO = {
    "login",  # the login form
    "buddy:tokens",  # creates a token
    "webhooks:imports",  # the upload
    "matching:criteria",  # saves the weights and rules
    "concerns:new",  # opens the case
}

PAGES = sorted(
    name
    for name, entry in TABLE.items()
    if entry.method == "GET"
    and (entry.expected[0] == 302 or entry.expected == PUBLIC)
    and name not in POSTED_TO
)


def test_the_pages_posted_to_are_pages_of_the_table():
    assert set(TABLE) >= POSTED_TO


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_a_read_only_page_answers_a_post_with_405(name):
    world = World()
    pattern = dict(url_patterns())[name]
    url = reverse(name, kwargs=world.kwargs(TABLE[name], pattern))
    client = Client()
    client.force_login(UserFactory(username="root-post", is_superuser=True, is_staff=True))
    assert client.post(url, {}).status_code == 405, url
