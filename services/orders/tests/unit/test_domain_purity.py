"""The orders domain imports no framework (services/README.md)."""

from __future__ import annotations

from cypher_testkit.purity import assert_domain_is_pure


def test_domain_is_pure() -> None:
    assert_domain_is_pure("orders")
