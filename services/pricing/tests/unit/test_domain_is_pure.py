"""The domain imports nothing but the standard library, itself and the coded errors."""

from __future__ import annotations

from cypher_testkit.purity import assert_domain_is_pure


def test_domain_is_pure() -> None:
    assert_domain_is_pure("pricing")
