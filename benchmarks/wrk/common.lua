-- Shared by the benchmark scripts: the seeded ids and query texts, random ids, the report.
--
-- BENCH_DATA names a Lua file, written by benchmarks/http.py for each benchmark, that
-- returns { customers = "<ids, one a line>", buyers = ..., products = ..., orders = ...,
-- queries = { <name> = <the query text as a JSON string literal> } }.

local data = dofile(assert(os.getenv("BENCH_DATA"), "BENCH_DATA is not set"))

local function lines(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do
    list[#list + 1] = line
  end
  return list
end

ids = {
  customers = lines(data.customers),
  buyers = lines(data.buyers),
  products = lines(data.products),
  orders = lines(data.orders),
}
queries = data.queries

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

-- The body of a GraphQL request: `query` is a name in `queries`, `variables` JSON text.
function graphql(query, variables)
  return '{"query":' .. queries[query] .. ',"variables":' .. variables .. '}'
end

function post(body)
  return wrk.format(nil, nil, nil, body)
end

-- A random item; with BENCH_SWEEP set, each item in turn (a pass over every one of them).
local sweeping, turn = os.getenv("BENCH_SWEEP") ~= nil, 0
function pick(list)
  if sweeping then
    turn = turn % #list + 1
    return list[turn]
  end
  return list[math.random(#list)]
end

-- A random version-4 UUID in canonical (lower-case, hyphenated) form.
function uuid4()
  local r = math.random
  return string.format(
    "%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
    r(0, 0xffff), r(0, 0xffff), r(0, 0xffff), r(0, 0xfff),
    r(0x8000, 0xbfff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff)
  )
end

local function entropy()
  local urandom = assert(io.open("/dev/urandom", "rb"))
  local a, b, c, d = urandom:read(4):byte(1, 4)
  urandom:close()
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- Each script sets `expect`, text every good response body contains.
expect = nil
failures = 0
script_args = {}

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(entropy())
  script_args = args
end

function response(status, headers, body)
  if status ~= 200 or not body:find(expect, 1, true) or body:find('"errors":[{', 1, true) then
    failures = failures + 1
  end
end

-- One line for benchmarks/http.py: BENCH-RESULT and a JSON object.
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("failures")
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "seconds": %.6f, "requests_per_s": %.3f, '
      .. '"p50_ms": %.3f, "p99_ms": %.3f, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "bad_bodies": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, bad
  ))
end
