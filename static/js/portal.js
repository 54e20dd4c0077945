/* What every page does with JavaScript; every page works without it (templates/base.html).

   - The compact menu on narrow screens: the Menu button opens and closes the navigation, and
     Escape closes it. Without JavaScript the navigation simply stays open above the page.
   - The account menu (a <details>) also closes with Escape or a tap anywhere else.
   - Feedback where the eye is: when the server refused a form, the page scrolls to why and focus
     moves there (to the field concerned, when it is about one field); otherwise the message from
     the last action takes focus, so that a screen reader reads it.
   - A form on its way says so: its button shows "Working…" and the form is not sent twice. Back
     on the page from the browser's history, it can be sent again. Forms that htmx sends in place
     are left to htmx.
   - Sizes and positions that come from data (face boxes on a photo, bars of a chart) are written in
     data- attributes and applied here: the Content-Security-Policy refuses style="" attributes in
     HTML, but not styles set from a script. */
(function () {
  "use strict";

  // The width from which the navigation is a column beside the page (static/css/portal.css).
  var WIDE = window.matchMedia("(min-width: 1100px)");

  // ---- The compact menu ----------------------------------------------------------------------

  var toggle = document.querySelector("[data-nav-toggle]");
  var nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));

  function menuOpen() {
    return toggle.getAttribute("aria-expanded") === "true";
  }

  function setMenu(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-open", open);
  }

  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      setMenu(!menuOpen());
    });
  }

  // ---- The account menu ----------------------------------------------------------------------

  function openMenus() {
    return document.querySelectorAll("details[data-menu][open]");
  }

  document.addEventListener("click", function (event) {
    Array.prototype.forEach.call(openMenus(), function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var focused = document.activeElement;
    Array.prototype.forEach.call(openMenus(), function (menu) {
      menu.open = false;
      if (menu.contains(focused)) {
        menu.querySelector("summary").focus();
      }
    });
    if (toggle && nav && menuOpen() && !WIDE.matches && (focused === toggle || nav.contains(focused))) {
      setMenu(false);
      toggle.focus();
    }
  });

  // ---- Feedback where the eye is -------------------------------------------------------------

  var CONTROLS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  // The field a refusal is about, if it is about one: what to put right is typed there.
  function fieldControl(reason) {
    var field = reason.closest(".field, fieldset");
    if (!field || !field.closest("form")) {
      return null;
    }
    return field.querySelector("input[type=radio]:checked:not([disabled])") || field.querySelector(CONTROLS);
  }

  function focusOn(target, shown) {
    if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
    (shown || target).scrollIntoView({ block: "center" });
  }

  // Why the server refused a form: marked [data-refused] by the templates, or, in a form written
  // before that, the first error Django or the page put inside it.
  function refusal() {
    return (
      document.querySelector("main [data-refused]") ||
      document.querySelector("main form .errorlist, main form [role=alert]")
    );
  }

  function showRefusal(reason) {
    var control = fieldControl(reason);
    if (control) {
      focusOn(control, reason.closest(".field, fieldset"));
    } else {
      focusOn(reason);
    }
  }

  function showFeedback() {
    var reason = refusal();
    if (reason) {
      showRefusal(reason);
      return;
    }
    var messages = document.querySelector("main [data-messages]");
    // A page that puts the cursor in a field of its own (autofocus) keeps it there.
    if (messages && !document.querySelector("main [autofocus]")) {
      messages.focus({ preventScroll: true });
      if (messages.getBoundingClientRect().top < 0 || messages.getBoundingClientRect().bottom > window.innerHeight) {
        messages.scrollIntoView({ block: "start" });
      }
    }
  }

  // A link in an error summary takes focus to the field itself, not just near it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) {
      return;
    }
    var reason = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (reason) {
      event.preventDefault();
      showRefusal(reason);
    }
  });

  // ---- Forms on their way --------------------------------------------------------------------

  var WORKING_TEXT = "Working…";

  function handledInPlace(form) {
    return form.matches("[hx-post], [hx-get], [hx-put], [hx-patch], [hx-delete], [data-hx-post], [data-hx-get]") ||
      !!form.closest("[hx-boost=true], [data-hx-boost=true]");
  }

  function showWorking(button) {
    if (button.classList.contains("is-working")) {
      return;
    }
    button.classList.add("is-working");
    button.setAttribute("aria-busy", "true");
    button.setAttribute("aria-disabled", "true");
    if (button.tagName === "BUTTON") {
      var note = document.createElement("span");
      note.className = "working-note";
      note.setAttribute("data-working-note", "");
      note.textContent = WORKING_TEXT;
      button.appendChild(note);
    }
  }

  function endWorking() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-working]"), function (form) {
      form.removeAttribute("data-working");
    });
    Array.prototype.forEach.call(document.querySelectorAll(".is-working"), function (button) {
      button.classList.remove("is-working");
      button.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
      Array.prototype.forEach.call(button.querySelectorAll("[data-working-note]"), function (note) {
        note.remove();
      });
    });
  }

  // Before any other listener: a form already on its way is not sent again (a second tap).
  document.addEventListener(
    "submit",
    function (event) {
      if (event.target.hasAttribute("data-working")) {
        event.preventDefault();
      }
    },
    true
  );

  // After the others: only a form that is really leaving (no script stopped it) says so. The button
  // keeps its name and value until the form has been sent, so it is marked, not disabled.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || handledInPlace(form) || (form.target && form.target !== "_self")) {
      return;
    }
    form.setAttribute("data-working", "");
    var button = event.submitter || form.querySelector("button:not([type=button]):not([type=reset])");
    if (button && form.contains(button)) {
      showWorking(button);
    }
  });

  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest(".is-working");
      if (button) {
        event.preventDefault();
      }
    },
    true
  );

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      endWorking(); // back from another page: the form can be sent again
    }
  });

  // ---- Sizes and positions from data ----------------------------------------------------------

  // data-box="left top width height" (percentages of the photo), data-width="percentage" and
  // data-ratio="width/height of a photo" (read by static/css/faces.css as --ratio).
  function place(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-box]"), function (element) {
      var box = element.getAttribute("data-box").split(" ").map(parseFloat);
      if (box.length === 4 && box.every(isFinite)) {
        element.style.left = box[0] + "%";
        element.style.top = box[1] + "%";
        element.style.width = box[2] + "%";
        element.style.height = box[3] + "%";
      }
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-width]"), function (element) {
      var width = parseFloat(element.getAttribute("data-width"));
      if (isFinite(width)) {
        element.style.width = width + "%";
      }
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-ratio]"), function (element) {
      var ratio = parseFloat(element.getAttribute("data-ratio"));
      if (isFinite(ratio) && ratio > 0) {
        element.style.setProperty("--ratio", String(ratio));
      }
    });
  }

  // htmx fires htmx:load on the page when it starts and on every piece of content it swaps in.
  document.addEventListener("htmx:load", function (event) {
    place(event.target.parentNode || document);
  });

  // ---- Start ---------------------------------------------------------------------------------

  place(document);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showFeedback);
  } else {
    showFeedback();
  }
})();
