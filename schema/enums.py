"""Enums of the contract."""

from __future__ import annotations

import enum

import strawberry

from domain.events import OrderStatus

strawberry.enum(OrderStatus)  # the domain's own enum, served as it is

__all__ = ["ErrorCode", "OrderStatus", "ProjectionState", "View"]


@strawberry.enum(description="The client-facing views; each is one projection over the event log.")
class View(enum.Enum):
    ORDER_DETAILS = "ORDER_DETAILS"
    CUSTOMER_ORDERS = "CUSTOMER_ORDERS"
    ORDER_SEARCH = "ORDER_SEARCH"
    PRODUCT_CATALOG = "PRODUCT_CATALOG"
    CUSTOMER_SUMMARY = "CUSTOMER_SUMMARY"
    SALES_REPORT = "SALES_REPORT"


@strawberry.enum(description="Why a command was refused.")
class ErrorCode(enum.Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RULE_VIOLATED = "RULE_VIOLATED"
    UNAUTHORIZED = "UNAUTHORIZED"


@strawberry.enum
class ProjectionState(enum.Enum):
    RUNNING = "RUNNING"
    CATCHING_UP = "CATCHING_UP"
    FAILED = "FAILED"
    PAUSED = "PAUSED"
    REBUILDING = "REBUILDING"
