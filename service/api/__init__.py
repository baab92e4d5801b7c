"""The versioned JSON API, one module per domain area."""

from fastapi import APIRouter

from service.api import auth, enterprises, keys, products, regions, reports, stores, users

api_router = APIRouter()
for module in (auth, regions, enterprises, stores, products, reports, keys, users):
    api_router.include_router(module.router)
