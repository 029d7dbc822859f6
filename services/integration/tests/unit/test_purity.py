from cypher_testkit.purity import assert_domain_is_pure


def test_domain_is_pure() -> None:
    assert_domain_is_pure("integration")
