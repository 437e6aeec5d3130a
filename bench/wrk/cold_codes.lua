-- A different code page every request, each with a query string no request had: no page
-- and no article is kept for it (the page cache's key is the full path, the article's the
-- code), so every request renders a page from the database. Arguments after `--`: a nonce
-- per run, whose value also picks where in the list the run starts, and a file of the
-- catalogue's published codes, one a line (bench/serving.py writes it). Each wrk thread
-- runs this in its own Lua state.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local nonce = "0"
local codes = {}
local start = 0
local counter = 0

function init(args)
  nonce = args[1] or nonce
  for line in io.lines(args[2]) do
    codes[#codes + 1] = line
  end
  start = (tonumber(nonce, 16) or 0) % #codes
end

function request()
  counter = counter + 1
  -- Steps of 7 over up to 64 threads: no code twice in a run of fewer than #codes / 7
  -- requests (tens of thousands; a run makes a few thousand).
  local code = codes[(start + 7 * (counter * 64 + thread_id)) % #codes + 1]
  local path = string.format("/codes/%s/?n=%s-%d-%d", code, nonce, thread_id, counter)
  return wrk.format(nil, path)
end
