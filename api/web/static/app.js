// Progressive enhancement of the search page (everything works without it): a filter applies as
// soon as it is changed (the page says so), keyboard focus comes back to that filter after the
// reload, and on a narrow screen the filters start folded below their summary.
(function () {
  "use strict";
  var form = document.getElementById("search");
  var details = document.querySelector(".facets__details");
  if (!form || !details) return;

  var inputs = document.querySelectorAll('.facets input[form="search"]');
  Array.prototype.forEach.call(inputs, function (input) {
    input.addEventListener("change", function () {
      form.action = "/search#" + input.id; // the fragment survives a GET submit: used to restore focus
      form.submit();
    });
  });
  var apply = details.querySelector(".apply");
  if (apply) apply.hidden = true;
  var note = details.querySelector(".js-note");
  if (note) note.hidden = false;

  var narrow = window.matchMedia("(max-width: 48rem)");
  var target = location.hash.length > 1 ? document.getElementById(location.hash.slice(1)) : null;
  details.open = !narrow.matches || (target !== null && details.contains(target));
  narrow.addEventListener("change", function (event) {
    if (!event.matches) details.open = true; // the wide layout has no summary to unfold it with
  });
  if (target !== null && details.contains(target)) target.focus();
})();
