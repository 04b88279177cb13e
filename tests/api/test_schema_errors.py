"""The OpenAPI schema documents the one error body on every operation (core.api.schema)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.api.schema import ERRORS

METHODS = ("get", "post", "put", "patch", "delete")
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _error_ref(response) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_the_error_component_has_the_error_body_fields(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "message"}
    assert set(error["properties"]) == {"status", "code", "message", "errors"}
    field_error = schema["components"]["schemas"]["FieldError"]
    assert set(field_error["properties"]) == {"path", "message"}


def test_every_operation_documents_401_403_and_429_with_the_error_body(schema):
    for path, method, operation in _operations(schema):
        for status in ("401", "403", "429"):
            response = operation["responses"].get(status)
            assert response, f"{method} {path} lacks {status}"
            assert _error_ref(response) == ERROR_REF


def test_every_operation_with_parameters_or_a_body_documents_400(schema):
    for path, method, operation in _operations(schema):
        takes_input = "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )
        if takes_input:
            assert _error_ref(operation["responses"]["400"]) == ERROR_REF, f"{method} {path}"


def test_every_operation_naming_a_row_documents_404(schema):
    for path, method, operation in _operations(schema):
        if "{" in path:
            assert _error_ref(operation["responses"]["404"]) == ERROR_REF, f"{method} {path}"


def test_every_operation_with_a_body_documents_415(schema):
    for path, method, operation in _operations(schema):
        if "requestBody" in operation:
            assert _error_ref(operation["responses"]["415"]) == ERROR_REF, f"{method} {path}"


def test_every_write_documents_409(schema):
    for path, method, operation in _operations(schema):
        if method != "get":
            assert _error_ref(operation["responses"]["409"]) == ERROR_REF, f"{method} {path}"


def test_each_error_response_carries_its_example(schema):
    response = schema["paths"]["/api/matches/"]["post"]["responses"]["400"]
    examples = response["content"]["application/json"]["examples"]
    assert examples["InvalidField"]["value"] == ERRORS["400"][2]
    assert examples["InvalidField"]["value"]["errors"][0]["path"] == "participant"


def test_429_documents_retry_after(schema):
    response = schema["paths"]["/api/matches/"]["get"]["responses"]["429"]
    assert "Retry-After" in response["headers"]


def test_405_is_a_response_component_with_the_error_body(schema):
    response = schema["components"]["responses"]["MethodNotAllowed"]
    assert _error_ref(response) == ERROR_REF


def test_a_program_lookup_outside_the_path_documents_404(schema):
    assert "404" in schema["paths"]["/api/attention/"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/impact/"]["get"]["responses"]


def test_operations_are_tagged_by_resource(schema):
    assert schema["paths"]["/api/matches/{id}/accept/"]["post"]["tags"] == ["matches"]
    assert schema["paths"]["/api/recommendations/runs/"]["get"]["tags"] == ["recommendations"]


@pytest.mark.django_db
def test_a_real_error_matches_the_documented_body(client):
    from rest_framework.test import APIClient

    body = APIClient().get("/api/matches/").json()
    assert set(body) <= {"status", "code", "message", "errors"}
    assert body["status"] == "error" and body["code"]


@pytest.mark.django_db
def test_an_api_path_no_route_matches_is_404_with_the_error_body(coordinator):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get("/api/matches/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "error", "code": "not_found", "message": "Not found."}


@pytest.mark.django_db
def test_a_cursor_that_is_not_ours_is_400_naming_it(coordinator):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get("/api/check-ins/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "cursor", "message": "invalid cursor"}]


def test_a_read_only_choice_that_may_be_blank_allows_blank(schema):
    end_reason = schema["components"]["schemas"]["Match"]["properties"]["end_reason"]
    refs = [item.get("$ref", "") for item in end_reason.get("oneOf", [])]
    assert any(ref.endswith("BlankEnum") for ref in refs), end_reason
