"""Use cases of supplier products: applying scraped items (new, changed, unchanged),
mapping supplier skus to ours, price alerts and offers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cypher_runtime.db import UnitOfWork
from suppliers import events
from suppliers.db.products import HistoryPoint
from suppliers.domain.feed import FeedItem
from suppliers.domain.offers import Offer, best_offer
from suppliers.domain.products import (
    AlertStatus,
    PriceAlert,
    SupplierProduct,
    first_seen,
)
from suppliers.domain.supplier import Supplier
from suppliers.domain.sync import SyncRun
from suppliers.errors import NoOffer, ValidationFailed
from suppliers.service.policy import Context


class CatalogUseCases:
    ctx: Context

    async def apply_items(
        self, uow: UnitOfWork, supplier: Supplier, run: SyncRun, items: Sequence[FeedItem]
    ) -> None:
        """Store one batch of a scrape: new items, changed ones (history, alert over the
        threshold, `supplier.price_changed` for every price change); counts go on `run`."""
        now = self.ctx.clock.now()
        threshold = self.ctx.policy.alert_threshold_pct
        stores = self.ctx.stores(uow)
        repo = stores.products
        known = await repo.by_supplier_skus(supplier.id, [i.supplier_sku for i in items])
        added: list[SupplierProduct] = []
        changed: list[SupplierProduct] = []
        history: list[HistoryPoint] = []
        alerts: list[PriceAlert] = []
        unchanged: list[str] = []
        for item in items:
            run.items_seen += 1
            before = known.get(item.supplier_sku)
            if before is None:
                product = first_seen(self.ctx.new_id(), supplier.id, supplier.currency, item, now)
                added.append(product)
                history.append(_point(product, None, run.id))
                run.items_new += 1
                run.items_unmapped += 1
                continue
            product, change = before.observed(item, now, threshold)
            if product.sku is None:
                run.items_unmapped += 1
            if product.version == before.version:
                unchanged.append(product.supplier_sku)
                continue
            changed.append(product)
            if change is None:
                continue
            run.items_changed += 1
            history.append(_point(product, change.change_pct, run.id))
            alert_id = ""
            if change.alert:
                alert_id = self.ctx.new_id()
                alerts.append(
                    PriceAlert(
                        id=alert_id,
                        supplier_id=supplier.id,
                        supplier_sku=product.supplier_sku,
                        sku=product.sku,
                        old_price=change.old_price,
                        new_price=change.new_price,
                        currency=product.currency,
                        change_pct=change.change_pct,
                        status=AlertStatus.OPEN,
                        sync_run_id=run.id,
                        created_at=now,
                    )
                )
                run.price_alerts_raised += 1
            uow.publish(
                events.price_changed(product, change, alert_id=alert_id, run_id=run.id, at=now)
            )
        await repo.add_many(added)
        await repo.save_many(changed)
        await repo.seen(supplier.id, unchanged, now)
        await repo.record_history(history)
        await stores.alerts.add_many(alerts)

    async def map_item(
        self, uow: UnitOfWork, supplier_id: str, supplier_sku: str, sku: str
    ) -> SupplierProduct:
        if not supplier_sku.strip():
            raise ValidationFailed({"supplier_sku": "required"})
        repo = self.ctx.stores(uow).products
        product = await repo.get(supplier_id, supplier_sku.strip())
        mapped = product.mapped_to(sku)
        if mapped is not product:
            await repo.save_many([mapped])
        return mapped

    async def acknowledge_alert(self, uow: UnitOfWork, alert_id: str) -> PriceAlert:
        repo = self.ctx.stores(uow).alerts
        alert = await repo.get(alert_id)
        done = alert.acknowledged(self.ctx.clock.now())
        if done is not alert:
            await repo.save(done)
        return done

    async def best_offer(self, uow: UnitOfWork, sku: str) -> Offer:
        offers = await self.ctx.stores(uow).products.offers_for(sku)
        offer = best_offer(offers, self.ctx.policy.fx_rates)
        if offer is None:
            raise NoOffer(f"no supplier offers {sku}", details={"sku": sku})
        return offer


def _point(product: SupplierProduct, pct: Decimal | None, run_id: str) -> HistoryPoint:
    return HistoryPoint(
        product_id=product.id,
        price=product.price,
        currency=product.currency,
        in_stock=product.in_stock,
        stock_quantity=product.stock_quantity,
        change_pct=pct,
        sync_run_id=run_id,
        observed_at=product.last_seen_at,
    )
