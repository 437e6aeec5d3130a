// Small conveniences; the site works without them.
(function () {
  "use strict";

  // "/" anywhere outside a text field puts the cursor in the search box.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var box = document.getElementById("header-q");
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    }
  });

  // Copy-code buttons appear only where the clipboard can be written.
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          var label = button.textContent;
          button.textContent = "Copied";
          window.setTimeout(function () {
            button.textContent = label;
          }, 1500);
        });
      });
    });
  }

  // A page's contents (and the search filters) start open, so they work without script;
  // on a phone they fold away until opened, so the text (or the results) comes first.
  var phone = window.matchMedia("(max-width: 43.75rem)");
  function foldOnPhone() {
    document.querySelectorAll("details[data-fold-on-phone]").forEach(function (details) {
      details.open = !phone.matches;
    });
  }
  foldOnPhone();
  if (phone.addEventListener) {
    phone.addEventListener("change", foldOnPhone);
  }

  // A link to folded details ("Filter results" above the results) opens them.
  document.querySelectorAll('a[href^="#"]').forEach(function (link) {
    var target = document.getElementById(link.getAttribute("href").slice(1));
    var details = target && target.querySelector("details[data-fold-on-phone]");
    if (details) {
      link.addEventListener("click", function () {
        details.open = true;
      });
    }
  });

  // The print footer shows the day it is printed, not the day the page was cached.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("[data-print-date]").forEach(function (node) {
      node.textContent = new Date().toLocaleDateString(undefined, {
        day: "numeric", month: "long", year: "numeric",
      });
    });
  });
})();
