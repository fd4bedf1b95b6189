// Parley inbox: live redraws on server-sent events, countdowns, infinite
// scroll and mark-read. Everything works without it; it only saves reloads.
"use strict";
(function () {
  var csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  var announce = document.getElementById("announce");

  function say(text) { if (announce) { announce.textContent = text; } }

  function fetchHTML(url, fragment) {
    return fetch(url, { headers: { "X-Fragment": fragment }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    });
  }

  // Countdowns to a reply window's end.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.max(0, Date.parse(el.getAttribute("data-countdown")) - now) / 1000;
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = Math.floor(left % 60);
      el.textContent = left <= 0 ? "no time (closed)" : (d ? d + " d " : "") + (d || h ? h + " h " : "") + m + " min" + (d ? "" : " " + s + " s");
    });
  }
  tick();
  if (document.querySelector("[data-countdown]")) { setInterval(tick, 1000); }

  // Infinite scroll: the "Load more" link fetches the next page's rows.
  var list = document.getElementById("conversations");
  function wireMore() {
    var more = list && list.querySelector("[data-more]");
    if (!more || !("IntersectionObserver" in window)) { return; }
    var io = new IntersectionObserver(function (entries) {
      if (!entries.some(function (e) { return e.isIntersecting; })) { return; }
      io.disconnect();
      var li = more.parentNode;
      fetchHTML(more.href, "rows").then(function (html) {
        li.insertAdjacentHTML("afterend", html);
        li.remove();
        wireMore();
      }).catch(function () { /* the link still works by hand */ });
    });
    io.observe(more);
  }
  wireMore();

  // Mark read on open.
  var conv = document.getElementById("conversation");
  if (conv && +conv.getAttribute("data-unread") > 0) {
    fetch("/app/c/" + encodeURIComponent(conv.getAttribute("data-id")) + "/read", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
    }).then(function (r) { if (r.ok) { var f = document.getElementById("mark-read"); if (f) { f.remove(); } } });
  }

  function redrawInbox() {
    // Only the first page is redrawn; older rows a person scrolled to stay.
    fetchHTML(list.getAttribute("data-list"), "rows").then(function (html) {
      var tmp = document.createElement("ul");
      tmp.innerHTML = html;
      var fresh = {};
      tmp.querySelectorAll("li.conv").forEach(function (li) { fresh[li.getAttribute("data-id")] = true; });
      list.querySelectorAll("li.conv").forEach(function (li) { if (fresh[li.getAttribute("data-id")]) { li.remove(); } });
      var first = list.firstChild;
      Array.prototype.slice.call(tmp.children).forEach(function (li) {
        if (li.classList.contains("conv")) { list.insertBefore(li, first); }
      });
      var empty = list.querySelector("li.empty");
      if (empty && list.querySelector("li.conv")) { empty.remove(); }
    });
  }

  function redrawConversation() {
    var live = document.getElementById("live");
    fetchHTML(location.pathname, "live").then(function (html) {
      var tmp = document.createElement("div");
      tmp.innerHTML = html;
      live.querySelector("#history").replaceWith(tmp.querySelector("#history"));
      live.querySelector("#window").replaceWith(tmp.querySelector("#window"));
      var oldC = live.querySelector("#composer"), newC = tmp.querySelector("#composer");
      // Keep what the person is typing unless what may be sent changed.
      if (oldC.getAttribute("data-state") !== newC.getAttribute("data-state")) { oldC.replaceWith(newC); }
      tick();
    });
  }

  if (!("EventSource" in window) || (!list && !conv)) { return; }
  // The stream starts from when this page was drawn, so nothing recorded
  // in between is missed; a reconnect resumes from the last event seen.
  var after = (document.querySelector('meta[name="events-after"]') || {}).content || "";
  var es = new EventSource("/app/events" + (after ? "?after=" + encodeURIComponent(after) : ""));
  es.addEventListener("change", function (e) {
    var ev = JSON.parse(e.data);
    if (list) {
      redrawInbox();
      if (ev.type === "message.received") { say("New message"); }
    } else if (conv && ev.conversation_id === conv.getAttribute("data-id")) {
      redrawConversation();
      if (ev.type === "message.received") { say("The customer wrote a new message"); }
    }
  });
})();
