/* Progressive enhancement for the booking page: when the choice (time, who, attendees…)
   changes, fetch the same page for the new choice and show its price and answer at once.
   Without this script the "Vis pris" button does the same with a page load. */
(function () {
  "use strict";
  var choice = document.getElementById("choice");
  var result = document.getElementById("result");
  if (!choice || !result || !window.fetch || !window.DOMParser || !window.URLSearchParams) { return; }
  var timer = null;
  var latest = 0;

  function update() {
    var url = choice.getAttribute("action") + "?" + new URLSearchParams(new FormData(choice)).toString();
    var ticket = ++latest;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket !== latest) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshResult = fresh.getElementById("result");
        if (freshResult) { result.innerHTML = freshResult.innerHTML; }
        // The details form carries the choice in hidden fields: keep them in step.
        var details = document.getElementById("details");
        var freshDetails = fresh.getElementById("details");
        if (details && freshDetails) {
          freshDetails.querySelectorAll("input[type=hidden]").forEach(function (input) {
            var mine = details.querySelector("input[type=hidden][name='" + input.name + "']");
            if (mine && input.name !== "_csrf_token") { mine.value = input.value; }
          });
          // How to pay and whether it can be booked follow the new price; typed text stays,
          // and so does a way to pay already chosen, where it is still offered.
          ["payment", "submit-area"].forEach(function (id) {
            var mine = document.getElementById(id);
            var theirs = fresh.getElementById(id);
            if (!mine || !theirs) { return; }
            var chosen = mine.querySelector("input[type=radio]:checked");
            mine.innerHTML = theirs.innerHTML;
            if (chosen) {
              mine.querySelectorAll("input[type=radio]").forEach(function (radio) {
                if (radio.name === chosen.name && radio.value === chosen.value) { radio.checked = true; }
              });
            }
          });
        }
        if (window.history && window.history.replaceState) { window.history.replaceState(null, "", url); }
      })
      .catch(function () { /* the button still works */ });
  }

  choice.addEventListener("change", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 300);
  });
}());

/* My calendars: a "copy" button next to a new feed link, where the browser allows it.
   Without the script the link is in a read-only field to select and copy by hand. */
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("input.copy[data-copy]").forEach(function (input) {
    var button = document.createElement("button");
    var status = document.createElement("span");
    button.type = "button";
    button.className = "ds-button";
    button.setAttribute("data-variant", "secondary");
    button.setAttribute("data-size", "sm");
    button.textContent = input.getAttribute("data-copy");
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        status.textContent = " " + input.getAttribute("data-copied");
      });
    });
    input.insertAdjacentElement("afterend", status);
    input.insertAdjacentElement("afterend", button);
  });
}());
