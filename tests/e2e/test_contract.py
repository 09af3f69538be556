"""The served schema keeps the contract's command side: names, arguments, types, nullability.

CONTRACT is the part of the shared contract (api/contract.graphql) that the service serves
so far: every mutation, its inputs and result, and the orderHistory audit query. The served
schema may add to it; it may not remove, rename or retype anything in it.
"""

import httpx
from graphql import (
    DangerousChangeType,
    build_client_schema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_introspection_query,
)

from tests.e2e.api import gql, new_id

CONTRACT = """
scalar DateTime
scalar Position

enum OrderStatus { PENDING CONFIRMED SHIPPED DELIVERED CANCELLED }
enum View {
  ORDER_DETAILS CUSTOMER_ORDERS ORDER_SEARCH PRODUCT_CATALOG CUSTOMER_SUMMARY SALES_REPORT
}
enum ErrorCode { VALIDATION NOT_FOUND CONFLICT RULE_VIOLATED UNAUTHORIZED }

type CommandError { code: ErrorCode!, message: String!, field: String }

type CommandResult {
  ok: Boolean!
  commandId: ID!
  aggregateId: ID
  version: Int
  position: Position
  replayed: Boolean!
  errors: [CommandError!]!
  caughtUp: [View!]!
}

input RegisterCustomerInput { commandId: ID, customerId: ID, name: String!, email: String! }
input AddProductInput {
  commandId: ID
  productId: ID
  sku: String!
  name: String!
  description: String
  priceCents: Int!
  initialStock: Int!
}
input RestockProductInput { commandId: ID, productId: ID!, quantity: Int! }
input ChangeProductPriceInput { commandId: ID, productId: ID!, priceCents: Int! }
input OrderItemInput { productId: ID!, quantity: Int! }
input CreateOrderInput {
  commandId: ID
  orderId: ID
  customerId: ID!
  items: [OrderItemInput!]!
  shippingAddress: String!
}
input UpdateOrderStatusInput {
  commandId: ID
  orderId: ID!
  status: OrderStatus!
  expectedVersion: Int
}
input CancelOrderInput { commandId: ID, orderId: ID!, reason: String!, expectedVersion: Int }

type Mutation {
  registerCustomer(input: RegisterCustomerInput!, waitFor: [View!], timeoutMs: Int): CommandResult!
  addProduct(input: AddProductInput!, waitFor: [View!], timeoutMs: Int): CommandResult!
  restockProduct(input: RestockProductInput!, waitFor: [View!], timeoutMs: Int): CommandResult!
  changeProductPrice(
    input: ChangeProductPriceInput!, waitFor: [View!], timeoutMs: Int
  ): CommandResult!
  createOrder(input: CreateOrderInput!, waitFor: [View!], timeoutMs: Int): CommandResult!
  updateOrderStatus(
    input: UpdateOrderStatusInput!, waitFor: [View!], timeoutMs: Int
  ): CommandResult!
  cancelOrder(input: CancelOrderInput!, waitFor: [View!], timeoutMs: Int): CommandResult!
}

type DomainEvent {
  position: Position!
  streamId: ID!
  version: Int!
  type: String!
  data: String!
  recordedAt: DateTime!
  commandId: ID
}

type Query {
  orderHistory(orderId: ID!): [DomainEvent!]!
}
"""


def served_schema(client: httpx.Client):
    return build_client_schema(gql(client, get_introspection_query()))


def test_the_served_schema_does_not_break_the_contract(client: httpx.Client):
    changes = find_breaking_changes(build_schema(CONTRACT), served_schema(client))

    assert [change.description for change in changes] == []


def test_the_served_schema_only_adds_what_the_contract_allows(client: httpx.Client):
    # Optional arguments and input fields may be added; anything else that changes how an
    # existing operation behaves (enum values, defaults) is a change of the contract.
    allowed = {
        DangerousChangeType.OPTIONAL_ARG_ADDED,
        DangerousChangeType.OPTIONAL_INPUT_FIELD_ADDED,
    }

    changes = find_dangerous_changes(build_schema(CONTRACT), served_schema(client))

    assert [change.description for change in changes if change.type not in allowed] == []


def test_wait_for_and_timeout_are_accepted(client: httpx.Client):
    query = """
    mutation($input: AddProductInput!) {
      addProduct(input: $input, waitFor: [PRODUCT_CATALOG, SALES_REPORT], timeoutMs: 200) {
        ok caughtUp
      }
    }
    """
    payload = {"sku": f"SKU-{new_id()}", "name": "Kettle", "priceCents": 1, "initialStock": 1}

    result = gql(client, query, input=payload)

    assert result["addProduct"]["ok"] is True
    assert set(result["addProduct"]["caughtUp"]) <= {"PRODUCT_CATALOG", "SALES_REPORT"}
