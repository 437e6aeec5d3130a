// Code suggestions under any search box marked data-typeahead.
// Progressive enhancement: without JavaScript the box is a plain search form.
// Keyboard: Down/Up move through suggestions, Enter opens the highlighted code,
// Escape closes the list. ARIA 1.2 combobox pattern.
(function () {
  "use strict";

  var API = "/api/search";
  var MAX = 7;
  var DELAY_MS = 120;
  var counter = 0;

  function setUp(input) {
    counter += 1;
    var listId = "typeahead-list-" + counter;
    var wrapper = document.createElement("div");
    wrapper.className = "typeahead";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "typeahead-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested codes");
    list.hidden = true;
    wrapper.appendChild(list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(rows) {
      list.textContent = "";
      items = rows.map(function (row, i) {
        var item = document.createElement("li");
        item.id = listId + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.code = row[0];
        var code = document.createElement("span");
        code.className = "code-number";
        code.textContent = row[0];
        item.appendChild(code);
        item.appendChild(document.createTextNode(" " + row[1]));
        item.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the box
          open(row[0]);
        });
        list.appendChild(item);
        return item;
      });
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    }

    function open(code) {
      // ICD-10-CM codes start with a letter; CPT codes never do.
      var page = /^[A-Z][0-9]/.test(code) ? "/diagnoses/" : "/codes/";
      window.location.href = page + encodeURIComponent(code) + "/";
    }

    function fetchSuggestions() {
      var terms = input.value.trim();
      if (terms.length < 2) {
        close();
        return;
      }
      var request = ++latest;
      fetch(API + "?maxList=" + MAX + "&terms=" + encodeURIComponent(terms), {
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : [0, [], null, []];
        })
        .then(function (data) {
          if (request === latest) {
            render(data[3] || []);
          }
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        if (list.hidden) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault();
        open(items[active].dataset.code);
      } else if (event.key === "Escape") {
        close();
      }
    });

    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-typeahead]").forEach(setUp);
})();
