"""Under the production storage the web process itself serves the static files the pages
link to (admin, API docs): 200, hashed names, compressed, cached for a year."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

#: What config/settings/production.py sets (tests/ops/test_production_settings.py checks it).
PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
LONG_CACHE = "max-age=315360000, public, immutable"


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    from django.test.utils import override_settings

    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=root, DEBUG=False):
        # ReDoc is linked by no page: left out to keep the test short
        call_command("collectstatic", "--noinput", "-i", "redoc", verbosity=0)
    return root


@pytest.fixture
def production_static(collected, settings):
    settings.STORAGES = PRODUCTION_STORAGES
    settings.STATIC_ROOT = collected
    settings.DEBUG = False
    return Client()  # a new handler: whitenoise scans STATIC_ROOT when it starts


def _static_links(html: str) -> list[str]:
    return sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))


def _assert_served_for_a_year(client: Client, url: str) -> None:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200, url
    assert response["Cache-Control"] == LONG_CACHE, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body


def test_the_admin_login_page_css_is_served_hashed_and_cached(production_static, db):
    html = production_static.get("/admin/login/").content.decode()
    links = _static_links(html)

    css = [link for link in links if link.endswith(".css")]
    assert css and all(re.search(r"\.[0-9a-f]{12}\.css$", link) for link in css), links
    for link in links:
        _assert_served_for_a_year(production_static, link)


def test_the_api_docs_assets_are_served_hashed_and_cached(production_static, coordinator):
    production_static.force_login(coordinator)
    html = production_static.get("/api/docs/").content.decode()
    links = _static_links(html)

    assert any("swagger-ui" in link for link in links), links
    for link in links:
        _assert_served_for_a_year(production_static, link)


def test_css_is_sent_compressed(production_static, db):
    html = production_static.get("/admin/login/").content.decode()
    css = next(link for link in _static_links(html) if link.endswith(".css"))

    response = production_static.get(css, HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
