"""Every RPC of the pricing service over real gRPC, on a real database."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import grpc

from cypher.common.v1 import pagination_pb2
from cypher.pricing.v1 import pricing_pb2
from services.pricing.tests.integration.pricing_harness import (
    Running,
    create,
    known_customer,
    money,
    rpc_error,
    ts,
)

pb = pricing_pb2


async def test_create_and_get_product(pricing: Running) -> None:
    created = await create(pricing, cost="10.5", margin="35")

    fetched = (await pricing.stub.GetProduct(pb.GetProductRequest(sku="LED-1"))).product

    assert created == fetched
    assert fetched.list_price.amount == "14.18"  # 14.175 half-up
    assert fetched.cost.amount == "10.50"
    assert fetched.currency == "RON"
    assert fetched.vat_category == pb.VAT_CATEGORY_STANDARD
    assert fetched.version == 1
    assert fetched.active


async def test_duplicate_sku_already_exists_with_code(pricing: Running) -> None:
    await create(pricing)

    err = await rpc_error(create(pricing))

    assert err.status == grpc.StatusCode.ALREADY_EXISTS
    assert err.code == "DUPLICATE_SKU"


async def test_invalid_product_names_every_bad_field(pricing: Running) -> None:
    err = await rpc_error(
        pricing.stub.CreateProduct(
            pb.CreateProductRequest(
                sku="bad sku",
                name="",
                category="c",
                unit="buc",
                cost=money("-1", "ron"),
                margin_pct="abc",
            )
        )
    )

    assert err.status == grpc.StatusCode.INVALID_ARGUMENT
    assert err.code == "VALIDATION_ERROR"
    assert set(err.details["fields"]) == {"margin_pct"}  # unparsable input first

    err = await rpc_error(
        pricing.stub.CreateProduct(
            pb.CreateProductRequest(
                sku="bad sku",
                name="",
                category="c",
                unit="buc",
                cost=money("-1", "ron"),
                margin_pct="2000",
                vat_category=99,  # type: ignore[arg-type]
            )
        )
    )
    assert err.status == grpc.StatusCode.INVALID_ARGUMENT
    assert set(err.details["fields"]) == {"vat_category"}

    err = await rpc_error(
        pricing.stub.CreateProduct(
            pb.CreateProductRequest(
                sku="bad sku",
                name="",
                category="c",
                unit="buc",
                cost=money("-1", "ron"),
                margin_pct="2000",
            )
        )
    )
    assert set(err.details["fields"]) == {"sku", "name", "cost", "margin_pct", "currency"}


async def test_unknown_sku_is_not_found(pricing: Running) -> None:
    for call in (
        pricing.stub.GetProduct(pb.GetProductRequest(sku="NOPE")),
        pricing.stub.GetPrice(pb.GetPriceRequest(sku="NOPE", quantity=1)),
        pricing.stub.UpdateCost(pb.UpdateCostRequest(sku="NOPE", cost=money("1"))),
        pricing.stub.UpdateProduct(pb.UpdateProductRequest(sku="NOPE", name="x")),
        pricing.stub.ListPriceHistory(pb.ListPriceHistoryRequest(sku="NOPE")),
    ):
        err = await rpc_error(call)
        assert err.status == grpc.StatusCode.NOT_FOUND
        assert err.code == "PRODUCT_NOT_FOUND"
        assert err.details["sku"] == "NOPE"


async def test_get_price_reports_every_component(pricing: Running) -> None:
    await create(pricing)

    line = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="LED-1", quantity=10))).line

    assert line.unit_cost.amount == "100.00"
    assert line.list_price.amount == "135.00"
    assert line.tier == pb.TIER_STANDARD
    assert line.tier_discount_pct == "0"
    assert line.volume_discount_pct == "2"
    assert line.promotion_discount_pct == "0"
    assert line.unit_net.amount == "132.30"
    assert line.vat_rate == "21"
    assert line.unit_gross.amount == "160.08"
    assert line.line_net.amount == "1323.00"
    assert line.line_vat.amount == "277.83"
    assert line.line_gross.amount == "1600.83"
    assert line.margin_pct == "32.30"
    assert not line.margin_floor_applied
    assert line.pricing_date == "2026-03-02"
    assert line.currency == "RON"


async def test_get_price_on_a_date_uses_the_vat_in_force_then(pricing: Running) -> None:
    await create(pricing)

    july = (
        await pricing.stub.GetPrice(
            pb.GetPriceRequest(sku="LED-1", quantity=1, pricing_date="2025-07-31")
        )
    ).line
    august = (
        await pricing.stub.GetPrice(
            pb.GetPriceRequest(sku="LED-1", quantity=1, pricing_date="2025-08-01")
        )
    ).line

    assert (july.vat_rate, july.unit_gross.amount) == ("19", "160.65")
    assert (august.vat_rate, august.unit_gross.amount) == ("21", "163.35")


async def test_get_price_input_errors(pricing: Running) -> None:
    await create(pricing)
    cases = [
        (pb.GetPriceRequest(sku="LED-1", quantity=-1), "quantity"),
        (pb.GetPriceRequest(sku="LED-1", pricing_date="2026-13-01"), "pricing_date"),
        (pb.GetPriceRequest(sku="LED-1", customer_id="not-a-uuid"), "customer_id"),
        (pb.GetPriceRequest(sku=""), "sku"),
    ]
    for request, field in cases:
        err = await rpc_error(pricing.stub.GetPrice(request))
        assert err.status == grpc.StatusCode.INVALID_ARGUMENT
        assert field in err.details["fields"]


async def test_quote_lines_prices_a_cart_with_totals(pricing: Running) -> None:
    await create(pricing, "A", cost="0.333", margin="0")
    await create(pricing, "B", cost="10", margin="10", vat=pb.VAT_CATEGORY_REDUCED)

    quote = await pricing.stub.QuoteLines(
        pb.QuoteLinesRequest(
            lines=[pb.QuoteLineInput(sku="A", quantity=3), pb.QuoteLineInput(sku="B", quantity=7)]
        )
    )

    assert [(line.sku, line.unit_net.amount) for line in quote.lines] == [
        ("A", "0.34"),
        ("B", "11.00"),
    ]
    assert quote.lines[0].margin_floor_applied
    assert quote.totals.net.amount == "78.02"
    assert quote.totals.vat.amount == "8.68"  # 0.21 + 8.47
    assert quote.totals.gross.amount == "86.70"
    assert quote.tier == pb.TIER_STANDARD
    assert quote.currency == "RON"


async def test_quote_lines_errors(pricing: Running) -> None:
    await create(pricing, "A")

    missing = await rpc_error(
        pricing.stub.QuoteLines(
            pb.QuoteLinesRequest(
                lines=[
                    pb.QuoteLineInput(sku="A", quantity=1),
                    pb.QuoteLineInput(sku="GHOST", quantity=1),
                ]
            )
        )
    )
    invalid = await rpc_error(
        pricing.stub.QuoteLines(
            pb.QuoteLinesRequest(lines=[pb.QuoteLineInput(sku="A", quantity=0)])
        )
    )
    empty = await rpc_error(pricing.stub.QuoteLines(pb.QuoteLinesRequest()))

    assert (missing.status, missing.code, missing.details["sku"]) == (
        grpc.StatusCode.NOT_FOUND,
        "PRODUCT_NOT_FOUND",
        "GHOST",
    )
    assert invalid.status == grpc.StatusCode.INVALID_ARGUMENT
    assert invalid.details["fields"] == {"lines[0].quantity": "must be positive"}
    assert "lines" in empty.details["fields"]


async def test_update_product_changes_set_fields_and_checks_version(pricing: Running) -> None:
    await create(pricing)

    updated = (
        await pricing.stub.UpdateProduct(
            pb.UpdateProductRequest(
                sku="LED-1", margin_pct="40", name="Renamed", expected_version=1
            )
        )
    ).product
    stale = await rpc_error(
        pricing.stub.UpdateProduct(
            pb.UpdateProductRequest(sku="LED-1", margin_pct="50", expected_version=1)
        )
    )
    bad = await rpc_error(
        pricing.stub.UpdateProduct(pb.UpdateProductRequest(sku="LED-1", margin_pct="-5"))
    )

    assert (updated.name, updated.margin_pct, updated.list_price.amount, updated.version) == (
        "Renamed",
        "40",
        "140.00",
        2,
    )
    assert updated.category == "bulbs"  # unset fields untouched
    assert (stale.status, stale.code) == (grpc.StatusCode.ABORTED, "VERSION_CONFLICT")
    assert bad.status == grpc.StatusCode.INVALID_ARGUMENT
    assert "margin_pct" in bad.details["fields"]


async def test_update_cost_and_price_history(pricing: Running) -> None:
    await create(pricing)

    product = (
        await pricing.stub.UpdateCost(
            pb.UpdateCostRequest(sku="LED-1", cost=money("120"), reason="new purchase price")
        )
    ).product
    wrong_currency = await rpc_error(
        pricing.stub.UpdateCost(pb.UpdateCostRequest(sku="LED-1", cost=money("1", "EUR")))
    )
    negative = await rpc_error(
        pricing.stub.UpdateCost(pb.UpdateCostRequest(sku="LED-1", cost=money("-1")))
    )
    history = (await pricing.stub.ListPriceHistory(pb.ListPriceHistoryRequest(sku="LED-1"))).entries

    assert (product.cost.amount, product.list_price.amount, product.version) == (
        "120.00",
        "162.00",
        2,
    )
    assert wrong_currency.status == grpc.StatusCode.INVALID_ARGUMENT
    assert negative.status == grpc.StatusCode.INVALID_ARGUMENT
    assert [(e.reason, e.new_cost.amount) for e in history] == [
        (pb.PRICE_CHANGE_REASON_COST_UPDATED, "120.00"),
        (pb.PRICE_CHANGE_REASON_CREATED, "100.00"),
    ]
    assert history[0].old_list_price.amount == "135.00"
    assert history[0].reason_detail == "new purchase price"


async def test_list_products_paginates_with_an_opaque_cursor(pricing: Running) -> None:
    for i in range(5):
        await create(pricing, f"SKU-{i}", category="strips" if i % 2 else "bulbs")

    first = await pricing.stub.ListProducts(
        pb.ListProductsRequest(page=pagination_pb2.PageRequest(limit=2))
    )
    second = await pricing.stub.ListProducts(
        pb.ListProductsRequest(
            page=pagination_pb2.PageRequest(limit=2, cursor=first.page.next_cursor)
        )
    )
    third = await pricing.stub.ListProducts(
        pb.ListProductsRequest(
            page=pagination_pb2.PageRequest(limit=2, cursor=second.page.next_cursor)
        )
    )
    strips = await pricing.stub.ListProducts(pb.ListProductsRequest(category="strips"))
    search = await pricing.stub.ListProducts(pb.ListProductsRequest(search="sku-3"))
    forged = await rpc_error(
        pricing.stub.ListProducts(
            pb.ListProductsRequest(page=pagination_pb2.PageRequest(cursor="%%%not-a-cursor"))
        )
    )

    pages = [[p.sku for p in r.products] for r in (first, second, third)]
    assert pages == [["SKU-0", "SKU-1"], ["SKU-2", "SKU-3"], ["SKU-4"]]
    assert third.page.next_cursor == ""
    assert [p.sku for p in strips.products] == ["SKU-1", "SKU-3"]
    assert [p.sku for p in search.products] == ["SKU-3"]
    assert forged.status == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_limit_defaults_to_50_and_caps_at_200(pricing: Running) -> None:
    for i in range(201):
        await create(pricing, f"P{i:03d}")

    default = await pricing.stub.ListProducts(pb.ListProductsRequest())
    capped = await pricing.stub.ListProducts(
        pb.ListProductsRequest(page=pagination_pb2.PageRequest(limit=1000))
    )

    assert len(default.products) == 50
    assert len(capped.products) == 200
    assert capped.page.next_cursor


async def test_promotions_create_list_end(pricing: Running) -> None:
    await create(pricing)
    now = pricing.clock.now()

    promo = (
        await pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name="Spring",
                sku="LED-1",
                discount_pct="10",
                starts_at=ts(now - timedelta(hours=1)),
                ends_at=ts(now + timedelta(days=7)),
            )
        )
    ).promotion
    priced = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="LED-1"))).line
    listed = await pricing.stub.ListPromotions(pb.ListPromotionsRequest(active_only=True))
    ended = (
        await pricing.stub.EndPromotion(pb.EndPromotionRequest(promotion_id=promo.id))
    ).promotion
    after = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="LED-1"))).line
    again = await rpc_error(
        pricing.stub.EndPromotion(pb.EndPromotionRequest(promotion_id=promo.id))
    )
    unknown = await rpc_error(
        pricing.stub.EndPromotion(pb.EndPromotionRequest(promotion_id=str(uuid.uuid4())))
    )

    assert promo.active
    assert (priced.promotion_id, priced.promotion_discount_pct, priced.unit_net.amount) == (
        promo.id,
        "10",
        "121.50",
    )
    assert [p.id for p in listed.promotions] == [promo.id]
    assert not ended.active
    assert ended.HasField("ended_at")
    assert (after.promotion_id, after.unit_net.amount) == ("", "135.00")
    assert (again.status, again.code) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "PROMOTION_ALREADY_ENDED",
    )
    assert (unknown.status, unknown.code) == (grpc.StatusCode.NOT_FOUND, "PROMOTION_NOT_FOUND")


async def test_invalid_promotions(pricing: Running) -> None:
    await create(pricing)
    now = pricing.clock.now()
    start, end = ts(now), ts(now + timedelta(days=1))
    cases = [
        (
            pb.CreatePromotionRequest(
                name="x", sku="LED-1", discount_pct="0", starts_at=start, ends_at=end
            ),
            "discount_pct",
        ),
        (
            pb.CreatePromotionRequest(
                name="x", sku="LED-1", discount_pct="100", starts_at=start, ends_at=end
            ),
            "discount_pct",
        ),
        (
            pb.CreatePromotionRequest(
                name="x", sku="LED-1", discount_pct="10", starts_at=end, ends_at=start
            ),
            "ends_at",
        ),
        (
            pb.CreatePromotionRequest(
                name="x",
                sku="LED-1",
                category="bulbs",
                discount_pct="10",
                starts_at=start,
                ends_at=end,
            ),
            "sku",
        ),
        (
            pb.CreatePromotionRequest(name="x", discount_pct="10", starts_at=start, ends_at=end),
            "sku",
        ),
    ]
    for request, field in cases:
        err = await rpc_error(pricing.stub.CreatePromotion(request))
        assert err.status == grpc.StatusCode.INVALID_ARGUMENT, request
        assert field in err.details["fields"]

    ghost = await rpc_error(
        pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name="x", sku="GHOST", discount_pct="10", starts_at=start, ends_at=end
            )
        )
    )
    assert ghost.status == grpc.StatusCode.NOT_FOUND


async def test_customer_tier_override_and_tier_rules(pricing: Running) -> None:
    await create(pricing)
    customer = await known_customer(pricing)

    unseen = (
        await pricing.stub.GetCustomerTier(pb.GetCustomerTierRequest(customer_id=customer))
    ).customer_tier
    overridden = (
        await pricing.stub.SetCustomerTierOverride(
            pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_2)
        )
    ).customer_tier
    line = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="LED-1", customer_id=customer))).line
    cleared = (
        await pricing.stub.SetCustomerTierOverride(
            pb.SetCustomerTierOverrideRequest(customer_id=customer, tier=pb.TIER_UNSPECIFIED)
        )
    ).customer_tier
    tiers = (await pricing.stub.ListTiers(pb.ListTiersRequest())).tiers
    bad = await rpc_error(
        pricing.stub.GetCustomerTier(pb.GetCustomerTierRequest(customer_id="nope"))
    )

    assert (unseen.tier, unseen.monthly_spend.amount, unseen.overridden) == (
        pb.TIER_STANDARD,
        "0.00",
        False,
    )
    assert (overridden.tier, overridden.computed_tier, overridden.overridden) == (
        pb.TIER_2,
        pb.TIER_STANDARD,
        True,
    )
    assert overridden.discount_pct == "10"
    assert (line.tier, line.unit_net.amount) == (pb.TIER_2, "121.50")
    assert (cleared.tier, cleared.overridden) == (pb.TIER_STANDARD, False)
    assert [(t.tier, t.min_spend.amount, t.discount_pct) for t in tiers] == [
        (pb.TIER_STANDARD, "0.00", "0"),
        (pb.TIER_1, "5000.00", "5"),
        (pb.TIER_2, "15000.00", "10"),
        (pb.TIER_3, "30000.00", "15"),
    ]
    assert bad.status == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_vat_rates_by_category_and_date(pricing: Running) -> None:
    rates = (
        await pricing.stub.ListVatRates(
            pb.ListVatRatesRequest(vat_category=pb.VAT_CATEGORY_REDUCED, on_date="2025-07-31")
        )
    ).vat_rates

    assert [(r.rate_pct, r.valid_to) for r in rates] == [("9", "2025-07-31")]


async def test_inactive_product_is_not_priced(pricing: Running) -> None:
    await create(pricing)
    await pricing.stub.UpdateProduct(pb.UpdateProductRequest(sku="LED-1", active=False))

    err = await rpc_error(pricing.stub.GetPrice(pb.GetPriceRequest(sku="LED-1")))

    assert (err.status, err.code) == (grpc.StatusCode.FAILED_PRECONDITION, "PRODUCT_INACTIVE")


def test_decimal_is_used_for_money() -> None:
    assert Decimal("0.1") + Decimal("0.2") == Decimal("0.3")


async def test_list_promotions_newest_first_with_cursor_and_filters(pricing: Running) -> None:
    await create(pricing, "LED-1", category="bulbs")
    await create(pricing, "LED-2", category="strips")
    now = pricing.clock.now()
    ids = []
    for i, (sku, category) in enumerate(
        [("LED-1", ""), ("", "bulbs"), ("LED-2", ""), ("", "strips")]
    ):
        promo = await pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name=f"p{i}",
                sku=sku,
                category=category,
                discount_pct="5",
                starts_at=ts(now + timedelta(hours=i)),
                ends_at=ts(now + timedelta(days=3)),
            )
        )
        ids.append(promo.promotion.id)

    first = await pricing.stub.ListPromotions(
        pb.ListPromotionsRequest(page=pagination_pb2.PageRequest(limit=3))
    )
    rest = await pricing.stub.ListPromotions(
        pb.ListPromotionsRequest(
            page=pagination_pb2.PageRequest(limit=3, cursor=first.page.next_cursor)
        )
    )
    for_sku = await pricing.stub.ListPromotions(pb.ListPromotionsRequest(sku="LED-1"))
    for_category = await pricing.stub.ListPromotions(pb.ListPromotionsRequest(category="strips"))
    active = await pricing.stub.ListPromotions(pb.ListPromotionsRequest(active_only=True))

    assert [p.id for p in first.promotions] == [ids[3], ids[2], ids[1]]
    assert [p.id for p in rest.promotions] == [ids[0]]
    assert rest.page.next_cursor == ""
    assert [p.id for p in for_sku.promotions] == [ids[1], ids[0]]  # its category's too
    assert [p.id for p in for_category.promotions] == [ids[3]]
    assert [p.id for p in active.promotions] == [ids[0]]  # the others start later


async def test_price_history_pages_newest_first(pricing: Running) -> None:
    await create(pricing)
    for cost in ("101", "102", "103"):
        await pricing.stub.UpdateCost(pb.UpdateCostRequest(sku="LED-1", cost=money(cost)))

    first = await pricing.stub.ListPriceHistory(
        pb.ListPriceHistoryRequest(sku="LED-1", page=pagination_pb2.PageRequest(limit=3))
    )
    rest = await pricing.stub.ListPriceHistory(
        pb.ListPriceHistoryRequest(
            sku="LED-1", page=pagination_pb2.PageRequest(limit=3, cursor=first.page.next_cursor)
        )
    )

    assert [e.new_cost.amount for e in first.entries] == ["103.00", "102.00", "101.00"]
    assert [(e.new_cost.amount, e.version) for e in rest.entries] == [("100.00", 1)]
    assert rest.page.next_cursor == ""


GARBAGE_CURSORS = (
    "%%%not-a-cursor",
    "WyJ4IiwieSJd",  # base64 of ["x","y"]: JSON, but not a cursor any list issued
    "eyJhIjoxfQ",  # base64 of {"a":1}
    "a.b.c",
    "x" * 5000,
)


async def test_every_list_refuses_a_cursor_it_did_not_issue(pricing: Running) -> None:
    for i in range(3):
        await create(pricing, f"CUR-{i}")
        await pricing.stub.UpdateCost(
            pb.UpdateCostRequest(sku="CUR-0", cost=money(f"{101 + i}"), reason="step")
        )
    now = pricing.clock.now()
    for i in range(2):
        await pricing.stub.CreatePromotion(
            pb.CreatePromotionRequest(
                name=f"P{i}",
                sku="CUR-0",
                discount_pct="5",
                starts_at=ts(now - timedelta(hours=i + 1)),
                ends_at=ts(now + timedelta(days=1)),
            )
        )
    one = pagination_pb2.PageRequest(limit=1)
    products = await pricing.stub.ListProducts(pb.ListProductsRequest(page=one))
    promotions = await pricing.stub.ListPromotions(pb.ListPromotionsRequest(page=one))
    history = await pricing.stub.ListPriceHistory(pb.ListPriceHistoryRequest(sku="CUR-0", page=one))
    issued = {
        "products": products.page.next_cursor,
        "promotions": promotions.page.next_cursor,
        "history": history.page.next_cursor,
    }
    assert all(issued.values()), issued

    def calls(cursor: str) -> dict[str, object]:
        page = pagination_pb2.PageRequest(limit=1, cursor=cursor)
        return {
            "products": pricing.stub.ListProducts(pb.ListProductsRequest(page=page)),
            "promotions": pricing.stub.ListPromotions(pb.ListPromotionsRequest(page=page)),
            "history": pricing.stub.ListPriceHistory(
                pb.ListPriceHistoryRequest(sku="CUR-0", page=page)
            ),
        }

    refused: list[tuple[str, str]] = []
    for cursor in GARBAGE_CURSORS:
        for name, call in calls(cursor).items():
            err = await rpc_error(call)
            assert (err.status, err.code) == (grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR")
            assert "page.cursor" in err.details["fields"], (name, cursor)
            refused.append((name, cursor))
    # A cursor of one list is refused by the others (and by another product's history).
    for source, cursor in issued.items():
        for name, call in calls(cursor).items():
            if name == source:
                await call  # type: ignore[misc]
                continue
            err = await rpc_error(call)
            assert err.status == grpc.StatusCode.INVALID_ARGUMENT, (source, name)
    other_history = pricing.stub.ListPriceHistory(
        pb.ListPriceHistoryRequest(
            sku="CUR-1", page=pagination_pb2.PageRequest(cursor=issued["history"])
        )
    )
    assert (await rpc_error(other_history)).status == grpc.StatusCode.INVALID_ARGUMENT
    assert len(refused) == len(GARBAGE_CURSORS) * 3
