"""The versioned JSON API, one module per domain area."""

from fastapi import APIRouter, Depends

from service.api import (
    alert_groups,
    alert_rules,
    alerts,
    auth,
    bulletins,
    compounds,
    deliveries,
    delivery_requests,
    depots,
    dispatch_plans,
    enterprises,
    hotline,
    keys,
    monitor_runs,
    passes,
    producers,
    products,
    regions,
    reports,
    restock,
    silences,
    stores,
    supply,
    supply_board,
    supply_deals,
    trucks,
    users,
    webhooks,
)
from service.http.schemas import reject_nul_characters

api_router = APIRouter(dependencies=[Depends(reject_nul_characters)])
for module in (
    auth,
    regions,
    enterprises,
    stores,
    products,
    reports,
    supply,
    monitor_runs,
    alerts,
    alert_groups,
    silences,
    alert_rules,
    webhooks,
    keys,
    users,
    compounds,
    depots,
    trucks,
    delivery_requests,
    dispatch_plans,
    deliveries,
    producers,
    supply_board,
    supply_deals,
    restock,
    bulletins,
    hotline,
    passes,
):
    api_router.include_router(module.router)
api_router.include_router(hotline.public_router)
