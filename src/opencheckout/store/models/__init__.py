"""Tables, one module per resource. Every tenant-owned row carries ``account_id``
and ``livemode``; queries must always filter on both: the API key fixes them, and
another account's or mode's rows are invisible rather than forbidden.

Importing this package registers every table on ``Base.metadata`` (Alembic
relies on that).
"""

from opencheckout.store.models.account import Account, ApiKey
from opencheckout.store.models.base import Base
from opencheckout.store.models.checkout import Checkout, CheckoutProduct
from opencheckout.store.models.checkout_link import CheckoutLink
from opencheckout.store.models.coupon import Coupon
from opencheckout.store.models.customer import Customer, CustomerAddress
from opencheckout.store.models.dashboard import DashboardSession, DashboardUser, LoginAttempt
from opencheckout.store.models.event import (
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from opencheckout.store.models.idempotency import IdempotencyKey
from opencheckout.store.models.order import Order
from opencheckout.store.models.overview_day import OverviewDay, OverviewProduct
from opencheckout.store.models.payment import PaymentAttempt, SimulatedPayment
from opencheckout.store.models.product import Product
from opencheckout.store.models.refund import Refund
from opencheckout.store.models.shipping import ShippingPromotion, ShippingRate
from opencheckout.store.models.tax_rate import TaxRate

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "Checkout",
    "CheckoutLink",
    "CheckoutProduct",
    "Coupon",
    "Customer",
    "CustomerAddress",
    "DashboardSession",
    "DashboardUser",
    "Event",
    "IdempotencyKey",
    "LoginAttempt",
    "Order",
    "OverviewDay",
    "OverviewProduct",
    "PaymentAttempt",
    "Product",
    "Refund",
    "ShippingPromotion",
    "ShippingRate",
    "SimulatedPayment",
    "TaxRate",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
