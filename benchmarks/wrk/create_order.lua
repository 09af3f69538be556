-- createOrder with a fresh random orderId, a random seeded customer and 1 to N lines of
-- distinct random seeded products (N, the script's argument, is 1 by default).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

expect = '"ok":true'

local function items(count)
  local chosen, list = {}, {}
  while #list < count do
    local product = pick(ids.products)
    if not chosen[product] then
      chosen[product] = true
      list[#list + 1] = string.format(
        '{"productId":"%s","quantity":%d}', product, math.random(1, 3)
      )
    end
  end
  return table.concat(list, ",")
end

function request()
  local most = tonumber(script_args[1] or "1")
  local input = string.format(
    '{"input":{"orderId":"%s","customerId":"%s","items":[%s],"shippingAddress":"%s"}}',
    uuid4(), pick(ids.customers), items(math.random(1, most)), "1 Benchmark Way"
  )
  return post(graphql("create_order", input))
end
