"""The layout every coordinator page shares: navigation, program switcher, account, language,
local assets only; who may open the screens."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from buddy.models import Program, ProgramType
from tests.factories import CompanyFactory, UserFactory, company_user_of, coordinator_of
from tests.test_access_matrix import ROLES, TABLE, World, url_patterns
from tests.ui.conftest import enrolled_match

pytestmark = pytest.mark.django_db

SCREENS = [
    "enrollments:dashboard",
    "enrollments:attention",
    "buddy:people",
    "buddy:matches",
    "matching:board",
    "matching:criteria",
]


def test_the_navigation_names_every_screen(logged_in):
    html = logged_in.get(reverse("enrollments:dashboard")).content.decode()
    for label in ("Dashboard", "Needs attention", "People", "Matches", "Matching board",
                  "Imports", "Webhooks", "Impact", "API docs", "API tokens"):  # fmt: skip
        assert f">{label}</a>" in html, label
    assert 'href="#main"' in html and 'id="main"' in html  # skip link to the content


def test_the_layout_shows_the_user_their_role_and_a_logout_form(logged_in, coordinator):
    html = logged_in.get(reverse("enrollments:dashboard")).content.decode()
    assert coordinator.username in html and "coordinator" in html
    assert re.search(r'<form method="post" action="/accounts/logout/"', html)


def test_the_switcher_lists_the_programs_of_the_login_only(client):
    buddy = Program.objects.get(program_type=ProgramType.BUDDY)
    language = Program.objects.get(program_type=ProgramType.LANGUAGE)
    client.force_login(coordinator_of(buddy, language))
    html = client.get(reverse("enrollments:dashboard")).content.decode()
    options = re.findall(r'<option value="(\w+)"', html.split('id="program-switcher"')[1])
    assert set(options[:2]) == {"buddy", "language"}
    assert "mentorship" not in options


def test_a_program_chosen_in_the_query_is_kept_in_the_session(client):
    buddy = Program.objects.get(program_type=ProgramType.BUDDY)
    language = Program.objects.get(program_type=ProgramType.LANGUAGE)
    client.force_login(coordinator_of(buddy, language))
    assert client.get("/matches/?program=language").context["program"] == language
    assert client.get("/people/").context["program"] == language  # remembered
    assert client.get("/people/?program=buddy").context["program"] == buddy  # the query wins


def test_an_unknown_program_is_a_400_with_its_message(logged_in):
    response = logged_in.get("/?program=nonsense")
    assert response.status_code == 400
    assert "must be one of" in response.content.decode()


@pytest.mark.parametrize("name", SCREENS)
def test_a_program_out_of_scope_is_a_404(logged_in, name):
    assert logged_in.get(reverse(name) + "?program=mentorship").status_code == 404


@pytest.mark.parametrize("name", SCREENS)
def test_company_users_and_logins_without_a_role_get_403_and_anonymous_the_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse(settings.LOGIN_URL))
    client.force_login(UserFactory(username="nobody"))
    assert client.get(url).status_code == 403
    client.force_login(company_user_of(CompanyFactory(name="Initech"), username="initech"))
    if name == "enrollments:dashboard":  # their landing page is their impact page
        assert client.get(url)["Location"] == reverse("enrollments:impact")
    else:
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", SCREENS)
def test_a_viewer_reads_every_screen(client, viewer, program, name):
    enrolled_match(program)
    client.force_login(viewer)
    assert client.get(reverse(name)).status_code == 200


ASSET = re.compile(r'(?:src|href|action|data)\s*=\s*"([^"]*)"', re.I)


def test_no_page_loads_anything_from_another_host(client):
    """Every page a superuser can open (the table's GET pages and the new screens): every
    src/href/action is local (links to other hosts would be navigation, there are none)."""
    world = World()
    client.force_login(world.users["superuser"])
    checked = 0
    for name, pattern in url_patterns():
        entry = TABLE.get(name)
        if entry is None or entry.method != "GET" or name.startswith("api") or ":api" in name:
            continue
        if entry.expected[ROLES.index("superuser")] != 200:
            continue
        response = client.get(reverse(name, kwargs=world.kwargs(entry, pattern)))
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for url in ASSET.findall(html):
            assert not re.match(r"^(https?:)?//", url), (name, url)
        assert '<script src="http' not in html
        checked += 1
    assert checked >= 6


def test_the_language_picker_switches_the_pages_to_german(logged_in):
    response = logged_in.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    html = logged_in.get(reverse("enrollments:dashboard")).content.decode()
    assert '<html lang="de"' in html
    assert "Braucht Aufmerksamkeit" in html and "Abmelden" in html


def test_the_german_catalogue_is_complete_and_compiled():
    """Every message of locale/de has a translation, and the committed .mo holds them all
    (CI needs no gettext tools)."""
    import gettext
    from pathlib import Path

    folder = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"
    po = (folder / "django.po").read_text(encoding="utf-8")
    blocks = [b for b in po.split("\n\n") if "msgid " in b and not b.startswith("#~")]
    untranslated = [b for b in blocks[1:] if re.search(r'^msgstr(\[\d\])? ""\n?$', b, re.M)]
    assert not untranslated, untranslated[:3]
    with (folder / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Needs attention") == "Braucht Aufmerksamkeit"
    assert len(catalogue._catalog) >= len(blocks) - 1


def test_the_chosen_language_is_kept_on_the_account(logged_in, coordinator):
    logged_in.post(reverse("set_language"), {"language": "de", "next": "/"})
    coordinator.refresh_from_db()
    assert coordinator.language == "de"


def test_an_unknown_language_is_not_kept(logged_in, coordinator):
    logged_in.post(reverse("set_language"), {"language": "xx", "next": "/"})
    coordinator.refresh_from_db()
    assert coordinator.language == ""


def test_logging_in_from_another_browser_restores_the_accounts_language(client, program):
    from django.test import Client

    from tests.factories import coordinator_of

    user = coordinator_of(program, username="sprachwahl")
    user.set_password("a-long-password-1")
    user.language = "de"
    user.save()
    fresh = Client()
    fresh.post(reverse("login"), {"username": "sprachwahl", "password": "a-long-password-1"})
    assert fresh.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert "Braucht Aufmerksamkeit" in fresh.get("/").content.decode()
