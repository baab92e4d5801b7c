"""QR codes of passes: level Q, alphanumeric mode, and the version a vehicle pass needs."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import segno

from passes.credentials import issue_token
from passes.keys import SigningKey
from passes.qr import pass_qr_code
from tests.passes.factories import make_staff_claims, make_vehicle_claims

TARGET_VERSION = 13


def test_a_vehicle_pass_with_three_regions_fits_version_13_at_level_q() -> None:
    for _ in range(20):
        token = issue_token(claims=make_vehicle_claims(), signing_key=SigningKey.generate())
        code = pass_qr_code(token=token)
        assert code.error_level == "Q"
        assert code.version <= TARGET_VERSION, (code.version, len(token))


def test_a_staff_permit_fits_version_13_at_level_q(signing_key: SigningKey) -> None:
    code = pass_qr_code(token=issue_token(claims=make_staff_claims(), signing_key=signing_key))
    assert code.error_level == "Q" and code.version <= TARGET_VERSION


def test_the_svg_is_one_well_formed_svg_element_of_the_right_size(
    signing_key: SigningKey,
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    code = pass_qr_code(token=token, scale=3, border=4)
    root = ElementTree.fromstring(code.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    modules = 17 + 4 * code.version
    assert root.get("width") == str((modules + 2 * 4) * 3)
    assert not code.svg.startswith("<?xml")
    reference = segno.make_qr(token, error="q", boost_error=False)
    assert reference.version == code.version and reference.mode == "alphanumeric"
