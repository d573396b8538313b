"""`/docs` and `/redoc` work on a network without the internet: every asset is dimqa's own."""

from __future__ import annotations

import re
from typing import Any

import pytest

# Every URL a page names: stylesheet and icon links, scripts, and the OpenAPI document it loads.
_REFERENCES = re.compile(r"""(?:href|src|spec-url)="([^"]*)"|url: '([^']*)'""")


@pytest.mark.parametrize(
    ("page", "references"),
    [
        (
            "/docs",
            [
                "/docs-assets/swagger-ui.css",
                "/docs-assets/favicon.png",
                "/docs-assets/swagger-ui-bundle.js",
                "/openapi.json",
            ],
        ),
        ("/redoc", ["/docs-assets/favicon.png", "/openapi.json", "/docs-assets/redoc.standalone.js"]),
    ],
)
def test_documentation_pages_load_only_local_assets(client: Any, page: str, references: list[str]) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert [a or b for a, b in _REFERENCES.findall(html)] == references
    for reference in references:
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 1000, reference


def test_swagger_ui_calls_no_online_validator(client: Any) -> None:
    # Swagger UI otherwise sends the OpenAPI document to validator.swagger.io for its badge.
    assert '"validatorUrl": null' in client.get("/docs").text


@pytest.mark.parametrize(
    ("asset", "content_type", "marker"),
    [
        ("swagger-ui-bundle.js", "javascript", b"SwaggerUIBundle"),
        ("swagger-ui.css", "text/css", b".swagger-ui"),
        ("redoc.standalone.js", "javascript", b"Redoc"),
        ("favicon.png", "image/png", b"\x89PNG"),
    ],
)
def test_assets_are_served_with_their_type(client: Any, asset: str, content_type: str, marker: bytes) -> None:
    response = client.get(f"/docs-assets/{asset}")
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]  # text/ or application/javascript
    assert marker in response.content


def test_unknown_asset_is_404(client: Any) -> None:
    assert client.get("/docs-assets/../app/main.py").status_code == 404
    assert client.get("/docs-assets/nothing.js").status_code == 404
