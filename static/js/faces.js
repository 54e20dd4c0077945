/* The photo page: drag on the photo to mark a face the portal missed.
 *
 * "Mark a face on the photo" turns drawing on; a drag with a finger, a pen or a mouse (pointer
 * events) draws a box, and letting go fills in the "Mark a face by numbers" form in percentages
 * of the photo and sends it, exactly as if typed. Without this script that form is the way.
 *
 * Everything is delegated from the document, so it keeps working after htmx swaps the page's
 * main element.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // Boxes smaller than this (in % of the photo) are taken for a slip of the finger.
  var MIN_SIZE = 2;
  var drag = null;

  function clamp(value) {
    return Math.min(100, Math.max(0, value));
  }

  function toggleFor(stage) {
    return document.querySelector('[data-draw-toggle][aria-controls="' + stage.id + '"]');
  }

  function setDrawing(stage, on) {
    var toggle = toggleFor(stage);
    stage.classList.toggle("drawing", on);
    if (toggle) {
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? toggle.dataset.labelOn : toggle.dataset.labelOff;
      var help = toggle.parentElement.querySelector("[data-draw-help]");
      if (help) help.hidden = !on;
    }
  }

  function pointAt(stage, event) {
    var rect = stage.getBoundingClientRect();
    return {
      x: clamp(((event.clientX - rect.left) / rect.width) * 100),
      y: clamp(((event.clientY - rect.top) / rect.height) * 100),
    };
  }

  function boxBetween(a, b) {
    return {
      x: Math.min(a.x, b.x),
      y: Math.min(a.y, b.y),
      w: Math.abs(a.x - b.x),
      h: Math.abs(a.y - b.y),
    };
  }

  function place(element, box) {
    element.style.left = box.x + "%";
    element.style.top = box.y + "%";
    element.style.width = box.w + "%";
    element.style.height = box.h + "%";
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-draw-toggle]");
    if (!toggle) return;
    var stage = document.getElementById(toggle.getAttribute("aria-controls"));
    if (stage) setDrawing(stage, !stage.classList.contains("drawing"));
  });

  document.addEventListener("pointerdown", function (event) {
    var stage = event.target.closest("[data-photo-stage]");
    if (!stage || !stage.classList.contains("drawing") || !event.isPrimary || event.button > 0) return;
    var outline = stage.querySelector("[data-draw-box]");
    if (!outline) return;
    event.preventDefault();
    stage.setPointerCapture(event.pointerId);
    var start = pointAt(stage, event);
    drag = { stage: stage, outline: outline, pointer: event.pointerId, start: start, box: boxBetween(start, start) };
    place(outline, drag.box);
    outline.hidden = false;
  });

  document.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    event.preventDefault();
    drag.box = boxBetween(drag.start, pointAt(drag.stage, event));
    place(drag.outline, drag.box);
  });

  function finish(event, cancelled) {
    if (!drag || event.pointerId !== drag.pointer) return;
    var done = drag;
    drag = null;
    if (done.stage.hasPointerCapture(event.pointerId)) done.stage.releasePointerCapture(event.pointerId);
    if (cancelled || done.box.w < MIN_SIZE || done.box.h < MIN_SIZE) {
      done.outline.hidden = true;
      return;
    }
    send(done.stage, done.box);
  }

  document.addEventListener("pointerup", function (event) {
    finish(event, false);
  });
  document.addEventListener("pointercancel", function (event) {
    finish(event, true);
  });

  function send(stage, box) {
    var form = document.getElementById(stage.dataset.form);
    if (!form) return;
    ["x", "y", "w", "h"].forEach(function (name) {
      form.elements[name].value = box[name].toFixed(2);
    });
    setDrawing(stage, false);
    // requestSubmit goes through htmx (and the browser's checks); submit() is the plain fallback.
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }
})();
