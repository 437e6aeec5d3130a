-- Spread the soak load over code pages and search pages.
local paths = {
  "/codes/64868/", "/codes/64866/", "/codes/64864/", "/codes/64831/",
  "/search/?q=nerve", "/search/?q=tongue+nerve", "/search/?q=6486", "/search/?q=graft",
}
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
