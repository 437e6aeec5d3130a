-- Give every request a query string no other request had, so no page comes from the
-- site's page cache (its key is the full path). Arguments after `--`: a nonce per run.
-- Each wrk thread runs this in its own Lua state, so the thread's number is in the path.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local nonce = "0"
local counter = 0
local separator = "?"

function init(args)
  nonce = args[1] or nonce
  if wrk.path:find("?", 1, true) then
    separator = "&"
  end
end

function request()
  counter = counter + 1
  local path = string.format("%s%sn=%s-%d-%d", wrk.path, separator, nonce, thread_id, counter)
  return wrk.format(nil, path)
end
