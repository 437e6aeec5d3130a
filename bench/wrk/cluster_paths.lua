-- The cluster bench's load, in turn: code pages, search, browse pages, the JSON APIs, the
-- case check's form and a case check of a short synthetic note (POST /api/check, never cached).
local paths = {
  "/codes/64868/", "/codes/64866/", "/codes/64864/", "/codes/64885/", "/codes/64831/",
  "/search/?q=nerve", "/search/?q=tongue+nerve", "/search/?q=6486", "/search/?q=facial+nerve+graft",
  "/codes/", "/specialties/", "/diagnoses/G51.0/", "/api/codes/64868", "/api/search?q=graft",
  "/api/fees?code=64868", "/edits/?codes=64868,64885", "/check/", "CHECK",
}
local note = '{"note": "Right ulnar nerve laceration at the wrist. Under the operating microscope '
  .. 'the nerve ends were repaired directly with 9-0 nylon. No graft was needed."}'
local counter = 0

request = function()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  if path == "CHECK" then
    return wrk.format("POST", "/api/check", {["Content-Type"] = "application/json"}, note)
  end
  return wrk.format("GET", path)
end
