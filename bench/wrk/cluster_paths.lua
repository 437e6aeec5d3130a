-- The cluster bench's load: code pages, search, browse pages and the JSON API, in turn.
local paths = {
  "/codes/64868/", "/codes/64866/", "/codes/64864/", "/codes/64885/", "/codes/64831/",
  "/search/?q=nerve", "/search/?q=tongue+nerve", "/search/?q=6486", "/search/?q=facial+nerve+graft",
  "/codes/", "/specialties/", "/api/codes/64868", "/api/search?q=graft",
  "/api/fees?code=64868", "/edits/?codes=64868,64885",
}
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
