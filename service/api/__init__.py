"""The versioned JSON API, one module per domain area."""

from fastapi import APIRouter, Depends

from service.api import (
    auth,
    enterprises,
    keys,
    monitoring,
    products,
    regions,
    reports,
    stores,
    users,
    webhooks,
)
from service.api.common import reject_nul_characters

api_router = APIRouter(dependencies=[Depends(reject_nul_characters)])
for module in (auth, regions, enterprises, stores, products, reports, monitoring, webhooks, keys, users):
    api_router.include_router(module.router)
