"""The API's request rules for the rows of ``opencheckout import``: a row is
refused exactly as a ``POST`` with the same fields would be."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from opencheckout.api.errors import describe_validation, param_path
from opencheckout.api.schemas.coupons import CouponCreate
from opencheckout.api.schemas.customers import AddressIn, CustomerCreate
from opencheckout.api.schemas.products import ProductCreate
from opencheckout.api.schemas.shipping import ShippingPromotionCreate, ShippingRateCreate
from opencheckout.service.store_import import COLUMNS, RowError

MODELS: dict[str, type[BaseModel]] = {
    "product": ProductCreate,
    "coupon": CouponCreate,
    "shipping_rate": ShippingRateCreate,
    "shipping_promotion": ShippingPromotionCreate,
    "customer": CustomerCreate,
    "address": AddressIn,
}


def validate(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as the API's create model for ``kind`` dumps them, or :class:`RowError`."""
    try:
        return MODELS[kind].model_validate(params).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        param = param_path(tuple(first["loc"]))
        if param is not None:
            # Named by the file's column, not the API's field.
            root = param.split("[", 1)[0].split(".", 1)[0]
            param = COLUMNS[kind].get(root, root) + param[len(root) :]
        raise RowError(describe_validation(first, param)) from None
