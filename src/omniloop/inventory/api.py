"""Routes (placeholder until this domain lands)."""

from fastapi import APIRouter

router = APIRouter()
