"""The public bulletin feed links to the service's configured address
(``SUPPLYWATCH_BASE_URL``), never to the ``Host`` a request claims: media sites and caches
in front of the service pass the feed on, so a request sent with ``Host: evil.example``
must not be able to make the feed point readers to a copy of the bulletin elsewhere."""

from __future__ import annotations

from xml.etree import ElementTree

from fastapi.testclient import TestClient

from service.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"


def test_a_forged_host_header_cannot_point_the_public_feed_elsewhere(
    client: TestClient, settings: Settings
) -> None:
    response = client.get("/bulletin/feed.atom", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.text
    feed = ElementTree.fromstring(response.content)
    base = settings.base_url.rstrip("/")
    assert feed.findtext(f"{ATOM}id") == f"{base}/bulletin"
    self_link = feed.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("href") == f"{base}/bulletin/feed.atom"
