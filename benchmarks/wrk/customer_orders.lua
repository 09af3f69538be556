-- customerOrders(first: 20) with every Order field and items, for a random seeded buyer.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

expect = '"nodes":[{"id":'

function request()
  return post(graphql("customer_orders", '{"customerId":"' .. pick(ids.buyers) .. '"}'))
end
