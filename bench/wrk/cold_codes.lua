-- A different code page every request, each with a query string no request had: no page
-- and no article is kept for it (the page cache's key is the full path, the article's the
-- code), so every request renders a page from the database. The benchmark catalogue has
-- every five-digit code. Arguments after `--`: a nonce per run, whose value also picks
-- where in the code space the run starts. Each wrk thread runs this in its own Lua state.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local nonce = "0"
local start = 0
local counter = 0

function init(args)
  nonce = args[1] or nonce
  start = (tonumber(nonce, 16) or 0) % 100000
end

function request()
  counter = counter + 1
  -- A step of 7 (prime to 100,000) over up to 64 threads: no code twice in a run.
  local code = (start + 7 * (counter * 64 + thread_id)) % 100000
  local path = string.format("/codes/%05d/?n=%s-%d-%d", code, nonce, thread_id, counter)
  return wrk.format(nil, path)
end
