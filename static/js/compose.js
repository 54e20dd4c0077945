/* The compose page, better with JavaScript (templates/posts/compose.html works without it).

   - Each chosen photo uploads on its own, one after another, with a progress bar, to the post's
     upload address; the server answers with the photo's card, or with why it refused the photo.
     A new post is saved as a draft first, so its photos have a post to belong to.
   - A copy of the text is kept on this iPad (localStorage, per post) until the server has it,
     and is brought back if the page opens with an older or empty text.
   - Photo numbers follow removals, and the live text check hears when photos come and go.
   - A form already on its way is not sent again, and not while photos are still uploading.
   - Under "Also post to", an account's own text box shows only while the account is ticked. */
(function () {
  "use strict";

  // After a successful save the server names the copies of the text it now has.
  var saved = document.querySelector("[data-saved-copies]");
  if (saved) {
    saved
      .getAttribute("data-saved-copies")
      .split(" ")
      .forEach(function (key) {
        try {
          window.localStorage.removeItem(key);
        } catch (error) {
          // storage switched off: nothing was kept
        }
      });
  }

  var form = document.querySelector("form[data-compose-form]");
  if (!form) {
    return;
  }
  form.classList.add("js-enhanced");

  var textArea = form.querySelector("textarea[name=text]");
  var picker = form.querySelector("input[type=file][name=photos]");
  var list = document.getElementById("photo-list");
  var hasPhotos = form.querySelector("input[name=has_photos]");
  var photosComing = form.querySelector("input[name=photos_coming]");
  var pickerNote = document.getElementById("photo-picker-note");
  var waitNote = form.querySelector(".compose-wait");
  var maxPhotos = Number(list.getAttribute("data-max-photos")) || 4;
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var TOO_MANY = "A post can have at most " + maxPhotos + " photos.";
  var uploading = 0;

  // ---- A copy of the text on this iPad ------------------------------------------------------

  var NEW_KEY = "compose:new";

  function storageKey() {
    return form.getAttribute("data-storage-key");
  }

  function readCopy(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (error) {
      return null; // storage switched off (private browsing) or an unreadable entry
    }
  }

  function keepCopy() {
    try {
      window.localStorage.setItem(storageKey(), JSON.stringify({ text: textArea.value, savedAt: Date.now() }));
    } catch (error) {
      // Storage full or switched off: the server copy is all there is, as without JavaScript.
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      // nothing to do
    }
  }

  function restoreCopy() {
    var serverHasText = form.getAttribute("data-server-has-text") === "1";
    var serverUpdated = Date.parse(form.getAttribute("data-server-updated") || "") || 0;
    if (serverHasText && storageKey() !== NEW_KEY) {
      // The copy of a new post's text has reached the server once its draft page opens with it.
      var newCopy = readCopy(NEW_KEY);
      if (newCopy && newCopy.text === textArea.value) {
        forget(NEW_KEY);
      }
    }
    var copy = readCopy(storageKey());
    if (!copy || typeof copy.text !== "string") {
      return;
    }
    if (copy.text === textArea.value) {
      if (serverHasText) {
        forget(storageKey());
      }
      return;
    }
    var serverEmpty = textArea.value.trim() === "";
    if (!copy.text.trim() || !(serverEmpty || copy.savedAt > serverUpdated)) {
      forget(storageKey()); // the server's text is newer
      return;
    }
    var serverText = textArea.value;
    textArea.value = copy.text;
    var note = document.createElement("div");
    note.className = "message warning";
    note.setAttribute("role", "status");
    var words = document.createElement("span");
    words.textContent = "We brought back the text you were writing on this iPad. It is not saved yet. ";
    note.appendChild(words);
    if (!serverEmpty) {
      var undo = document.createElement("button");
      undo.type = "button";
      undo.className = "button secondary";
      undo.textContent = "Use the saved text instead";
      undo.addEventListener("click", function () {
        textArea.value = serverText;
        forget(storageKey());
        note.remove();
        refreshFeedback();
      });
      note.appendChild(undo);
    }
    form.parentNode.insertBefore(note, form);
    refreshFeedback();
  }

  function refreshFeedback() {
    textArea.dispatchEvent(new CustomEvent("compose-refresh"));
  }

  textArea.addEventListener("input", keepCopy);
  textArea.addEventListener("paste", function () {
    window.setTimeout(refreshFeedback, 50);
  });

  // ---- Other accounts ("Also post to") ------------------------------------------------------
  // Each account's text box shows while it is ticked; the account chosen under "Post to" is not
  // offered again. Every change asks for the counters again, one request per pause in typing.

  var alsoTo = form.querySelector("[data-also-to]");
  var wordsTimer = null;

  function mainAccount() {
    var chosen = form.querySelector("input[name=account]:checked") || form.querySelector("input[name=account][type=hidden]");
    return chosen ? chosen.value : "";
  }

  function showDestinations() {
    if (!alsoTo) {
      return;
    }
    var own = mainAccount();
    Array.prototype.forEach.call(alsoTo.querySelectorAll("[data-destination]"), function (item) {
      var box = item.querySelector("input[name=also_to]");
      var isOwn = item.getAttribute("data-destination") === own;
      if (isOwn) {
        box.checked = false;
      }
      item.hidden = isOwn;
      item.querySelector("[data-destination-words-for]").hidden = !box.checked;
    });
  }

  if (alsoTo) {
    alsoTo.addEventListener("change", function () {
      showDestinations();
      refreshFeedback();
    });
    alsoTo.addEventListener("input", function (event) {
      if (!event.target.matches("[data-destination-words]")) {
        return;
      }
      window.clearTimeout(wordsTimer);
      wordsTimer = window.setTimeout(refreshFeedback, 400);
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.matches("input[name=account]")) {
      showDestinations();
      refreshFeedback();
    }
  });

  // ---- Photos -----------------------------------------------------------------------------

  function photoCards() {
    return list.querySelectorAll("[data-photo-card]");
  }

  function slotsTaken() {
    return list.querySelectorAll("[data-photo-card], .photo-card.uploading").length;
  }

  function renumber() {
    var cards = photoCards();
    Array.prototype.forEach.call(cards, function (card, index) {
      Array.prototype.forEach.call(card.querySelectorAll("[data-photo-number]"), function (number) {
        number.textContent = String(index + 1);
      });
    });
    var had = hasPhotos.value;
    hasPhotos.value = cards.length ? "1" : "0";
    var full = slotsTaken() >= maxPhotos;
    picker.disabled = full;
    pickerNote.textContent = full ? "This post has " + maxPhotos + " photos, the most it can have." : "";
    if (had !== hasPhotos.value) {
      refreshFeedback(); // a class's first names mean more beside a photo
    }
  }

  new MutationObserver(renumber).observe(list, { childList: true });

  list.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-dismiss-card]");
    if (dismiss) {
      dismiss.closest(".photo-card").remove();
    }
  });

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function refusedCard(name, problem) {
    var card = element("li", "photo-card refused");
    card.setAttribute("role", "alert");
    var body = element("div", "photo-body");
    var title = element("p", "photo-title");
    title.appendChild(element("strong", "", name));
    body.appendChild(title);
    body.appendChild(element("p", "error", problem));
    var dismiss = element("button", "button secondary", "Dismiss");
    dismiss.type = "button";
    dismiss.setAttribute("data-dismiss-card", "");
    body.appendChild(dismiss);
    card.appendChild(body);
    return card;
  }

  function progressCard(name) {
    var card = element("li", "photo-card uploading");
    var body = element("div", "photo-body");
    var title = element("p", "photo-title");
    title.appendChild(element("strong", "", name));
    body.appendChild(title);
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + name);
    body.appendChild(bar);
    body.appendChild(element("p", "help upload-state", "Waiting to upload…"));
    card.appendChild(body);
    return card;
  }

  function cardFromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function setComing(change) {
    uploading += change;
    photosComing.value = String(Math.max(0, uploading));
    waitNote.textContent = uploading ? "Photos are still uploading…" : "";
  }

  function upload(url, file, card) {
    return new Promise(function (resolve) {
      var bar = card.querySelector("progress");
      var state = card.querySelector(".upload-state");
      var request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("X-CSRFToken", csrfToken);
      request.setRequestHeader("HX-Request", "true"); // the server answers with a card, not a page
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          var percent = Math.round((100 * event.loaded) / event.total);
          bar.value = percent;
          state.textContent = "Uploading… " + percent + "%";
        }
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // an indeterminate bar while the server checks the photo
        state.textContent = "Checking the photo and looking for faces…";
      });
      request.addEventListener("load", function () {
        var type = request.getResponseHeader("Content-Type") || "";
        var replacement = type.indexOf("text/html") === 0 ? cardFromHtml(request.responseText) : null;
        if (!replacement || !replacement.classList.contains("photo-card")) {
          replacement = refusedCard(
            file.name,
            "The photo could not be added (the portal answered " + request.status + "). Try again."
          );
        }
        card.replaceWith(replacement);
        if (window.htmx) {
          window.htmx.process(replacement);
        }
        resolve();
      });
      request.addEventListener("error", function () {
        card.replaceWith(refusedCard(file.name, "The upload stopped. Check the Wi-Fi connection and try again."));
        resolve();
      });
      var data = new FormData();
      data.append("photo", file, file.name);
      state.textContent = "Uploading…";
      request.send(data);
    });
  }

  // A new post has nowhere to upload to: save it as a draft first, then carry on as its draft page.
  function uploadAddress(count) {
    var known = list.getAttribute("data-upload-url");
    if (known) {
      return Promise.resolve(known);
    }
    var radios = form.querySelectorAll("input[name=account][type=radio]");
    if (radios.length && !form.querySelector("input[name=account]:checked")) {
      return Promise.reject("Choose the account this post is for, then add the photos again.");
    }
    var data = new FormData(form);
    data.delete("photos");
    data.set("action", "save");
    data.set("photos_coming", String(count));
    // Not form.action: the buttons named "action" shadow that property.
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          return { response: response, page: new DOMParser().parseFromString(html, "text/html") };
        });
      })
      .then(function (result) {
        var page = result.page;
        var theirList = page.getElementById("photo-list");
        var address = theirList && theirList.getAttribute("data-upload-url");
        if (!result.response.ok || !address) {
          var errors = Array.prototype.map
            .call(page.querySelectorAll("form[data-compose-form] .error"), function (error) {
              return error.textContent.trim();
            })
            .filter(Boolean);
          throw errors.length
            ? errors.join(" ") + " Then add the photos again."
            : "The draft could not be saved, so the photos have nowhere to go. Save the draft, then add them again.";
        }
        becomeDraft(page, result.response.url, address);
        return address;
      }, function () {
        throw "The portal could not be reached. Check the Wi-Fi connection and try again.";
      });
  }

  function becomeDraft(page, pageUrl, address) {
    var theirForm = page.querySelector("form[data-compose-form]");
    form.setAttribute("action", theirForm.getAttribute("action"));
    form.setAttribute("data-storage-key", theirForm.getAttribute("data-storage-key"));
    form.setAttribute("data-server-updated", theirForm.getAttribute("data-server-updated"));
    list.setAttribute("data-upload-url", address);
    var token = form.querySelector("input[name=client_token]");
    if (token) {
      token.remove();
    }
    var ourAccount = form.querySelector("[data-account-field]");
    var theirAccount = theirForm.querySelector("[data-account-field]");
    if (ourAccount && theirAccount) {
      ourAccount.replaceWith(document.importNode(theirAccount, true));
    }
    var heading = document.querySelector("h1");
    var theirHeading = page.querySelector("h1");
    if (heading && theirHeading) {
      heading.textContent = theirHeading.textContent;
    }
    document.title = page.title;
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", pageUrl);
    }
    forget(NEW_KEY);
    keepCopy();
  }

  picker.addEventListener("change", function () {
    var files = Array.prototype.slice.call(picker.files);
    picker.value = ""; // each photo goes on its own; the form must not send them again
    if (!files.length) {
      return;
    }
    var room = Math.max(0, maxPhotos - slotsTaken());
    var accepted = files.slice(0, room);
    files.slice(room).forEach(function (file) {
      list.appendChild(refusedCard(file.name, TOO_MANY));
    });
    if (!accepted.length) {
      return;
    }
    var cards = accepted.map(function (file) {
      var card = progressCard(file.name);
      list.appendChild(card);
      return card;
    });
    setComing(accepted.length);
    uploadAddress(accepted.length).then(
      function (address) {
        return accepted.reduce(function (previous, file, index) {
          return previous.then(function () {
            return upload(address, file, cards[index]).then(function () {
              setComing(-1);
            });
          });
        }, Promise.resolve());
      },
      function (problem) {
        cards.forEach(function (card, index) {
          card.replaceWith(refusedCard(accepted[index].name, String(problem)));
        });
        setComing(-accepted.length);
      }
    );
  });

  // ---- Sending the form -------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    if (uploading) {
      event.preventDefault();
      waitNote.textContent = "Wait until the photos have finished uploading, then try again.";
      return;
    }
    if (form.getAttribute("data-sending") === "1") {
      event.preventDefault(); // a second tap while the first is on its way
      return;
    }
    keepCopy();
    form.setAttribute("data-sending", "1");
  });

  // Back from another page (the browser's page cache) the form can be sent again.
  window.addEventListener("pageshow", function () {
    form.removeAttribute("data-sending");
  });

  window.addEventListener("beforeunload", function (event) {
    if (uploading) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Once htmx has set the page up (on DOMContentLoaded, and its listener came first), so that a
  // refresh asked for is heard; "load" is the fallback should this script run after that event.
  var started = false;
  function start() {
    if (started) {
      return;
    }
    started = true;
    showDestinations();
    restoreCopy();
    renumber();
  }
  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
    window.addEventListener("load", start);
  }
})();
