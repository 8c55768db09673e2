/* Progressive enhancement of the review page. Without this file every form still works (a
   plain POST and a redirect back to the item). With it, an answer is saved as soon as it is
   given — on choosing Keep or Revoke, and when a justification is changed — without leaving
   the page; the result is announced to screen readers through one polite live region. */
(function () {
  "use strict";
  var announcer = document.getElementById("announce");
  if (!announcer || !window.fetch || !window.URLSearchParams) { return; }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function showProgress(data) {
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    if (bar) { bar.value = data.decided; }
    if (text) {
      text.textContent = "";
      var strong = document.createElement("strong");
      strong.textContent = data.progress;
      text.appendChild(strong);
      if (data.done) {
        text.appendChild(document.createTextNode(" \u2014 all done, thank you. You can change an answer until the review closes."));
      }
    }
    var finish = document.getElementById("finish-progress");
    if (finish) { finish.textContent = data.progress + "."; }
  }

  function save(form, explicit) {
    var status = form.querySelector(".status");
    var error = form.querySelector(".error");
    var box = form.querySelector("textarea");
    if (!form.querySelector("input[name=decision]:checked")) {
      if (explicit) {
        error.textContent = "Choose Keep or Revoke.";
        form.querySelector("input[name=decision]").focus();
      }
      return;
    }
    status.textContent = "Saving\u2026";
    status.classList.remove("not-saved");
    window.fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      if (data.ok) {
        error.textContent = "";
        box.removeAttribute("aria-invalid");
        status.textContent = data.status;
        form.closest(".item").classList.add("decided");
        showProgress(data);
        announce(data.status + ". " + data.progress + ".");
      } else if (data.page) {
        window.location.assign("/review");   // closed, replaced, expired: the page says which
      } else {
        status.textContent = "Not saved";
        status.classList.add("not-saved");
        error.textContent = data.message;
        if (data.field === "justification") { box.setAttribute("aria-invalid", "true"); }
        announce("Not saved: " + data.message);
        if (explicit) { (data.field === "justification" ? box : form.querySelector("input[name=decision]")).focus(); }
      }
    }).catch(function () {
      status.textContent = "Not saved: the connection failed. Press Save to try again.";
      status.classList.add("not-saved");
      announce(status.textContent);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.answer"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(form, true);
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[name=decision]"), function (radio) {
      radio.addEventListener("change", function () { save(form, false); });
    });
    form.querySelector("textarea").addEventListener("change", function () { save(form, false); });
  });
}());
