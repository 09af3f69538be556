-- order(id) with every Order field and its items, for a random seeded order.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

expect = '"order":{"id":'

function request()
  return post(graphql("order", '{"id":"' .. pick(ids.orders) .. '"}'))
end
