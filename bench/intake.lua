-- wrk script of the intake benchmark (bench/intake.py runs it; not meant to be run by hand).
--
-- Every request is a distinct valid order of the same shape as bench.intake.order_body():
-- channel web, external_ref BENCH-<run>-<thread>-<counter>, 1-3 distinct random SKUs
-- BENCH-nnnn below BENCH_WRK_PRODUCTS, quantity 1 at 9.99, a random US postal code of
-- BENCH_WRK_POSTAL_CODES (comma-separated), customer "Zoë Bench" <bench<n>@example.com>.
--
-- Environment (set by bench/intake.py):
--   BENCH_WRK_TOKEN         API token of the bench manager
--   BENCH_WRK_RUN           run id: every external_ref of this run starts with BENCH-<run>-
--   BENCH_WRK_PRODUCTS      number of seeded BENCH-nnnn products
--   BENCH_WRK_POSTAL_CODES  US postal codes to ship to
--   BENCH_WRK_SEED          random seed of the run (each thread adds its id)
--   BENCH_WRK_CHECK_BODY    optional: thread 1 writes one body built by the same builder to
--                           this file (counter 0, never sent by wrk), for the shape check
--
-- done() prints one line "BENCH-WRK-RESULT {json}" with wrk's duration, responses, the 201s
-- and other statuses counted in response(), a sample non-201 body, socket errors and the
-- latency percentiles (microseconds).

local NAME = "Zo\195\171 Bench" -- "Zoë Bench" in UTF-8

local function need(name)
   local value = os.getenv(name)
   if value == nil or value == "" then
      error("bench/intake.lua: environment variable " .. name .. " is not set")
   end
   return value
end

local threads = {}
local next_id = 1

-- Main state: give every thread its id before it starts.
function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

-- Thread state -------------------------------------------------------------------------

local run, products, codes, counter
created, other, sample = 0, 0, ""

local function body(n)
   local count = math.random(1, 3)
   local chosen, lines = {}, {}
   while #lines < count do
      local sku = math.random(0, products - 1)
      if not chosen[sku] then
         chosen[sku] = true
         lines[#lines + 1] = string.format(
            '{"sku":"BENCH-%04d","quantity":1,"unit_price":"9.99"}', sku
         )
      end
   end
   local code = codes[math.random(1, #codes)]
   return string.format(
      '{"channel":"web","external_ref":"BENCH-%s-%d-%d",'
         .. '"customer":{"name":"%s","email":"bench%d@example.com"},'
         .. '"ship_to":{"name":"%s","line1":"%d Main St","city":"Somewhere",'
         .. '"postal_code":"%s","country":"US"},'
         .. '"service_level":"standard","lines":[%s]}',
      run, id, n, NAME, id * 10000000 + n, NAME, id * 10000000 + n, code,
      table.concat(lines, ",")
   )
end

function init(args)
   run = need("BENCH_WRK_RUN")
   products = tonumber(need("BENCH_WRK_PRODUCTS"))
   if products == nil or products < 3 then
      error("bench/intake.lua: BENCH_WRK_PRODUCTS must be a number >= 3")
   end
   codes = {}
   for code in need("BENCH_WRK_POSTAL_CODES"):gmatch("[^,]+") do
      codes[#codes + 1] = code
   end
   math.randomseed(tonumber(need("BENCH_WRK_SEED")) + id)
   wrk.method = "POST"
   wrk.path = "/api/v1/orders/"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Token " .. need("BENCH_WRK_TOKEN")
   counter = 0
   local check = os.getenv("BENCH_WRK_CHECK_BODY")
   if check and check ~= "" and id == 1 then
      local f = assert(io.open(check, "wb"))
      f:write(body(0))
      f:close()
   end
end

function request()
   counter = counter + 1
   return wrk.format(nil, nil, nil, body(counter))
end

function response(status, headers, text)
   if status == 201 then
      created = created + 1
   else
      other = other + 1
      if sample == "" then
         sample = status .. " " .. text:sub(1, 500)
      end
   end
end

-- Main state again, after the run --------------------------------------------------------

local function quote(s)
   return '"' .. s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function done(summary, latency, requests)
   local total_created, total_other, first_sample = 0, 0, ""
   for _, thread in ipairs(threads) do
      total_created = total_created + thread:get("created")
      total_other = total_other + thread:get("other")
      local s = thread:get("sample")
      if first_sample == "" and s ~= "" then
         first_sample = s
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-WRK-RESULT {"duration_us":%d,"responses":%d,"created":%d,"other":%d,'
         .. '"sample":%s,"connect":%d,"read":%d,"write":%d,"timeout":%d,'
         .. '"p50_us":%d,"p95_us":%d,"max_us":%d}\n',
      summary.duration, summary.requests, total_created, total_other, quote(first_sample),
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(95), latency.max
   ))
end
