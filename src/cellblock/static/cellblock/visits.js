/* cellblock visits: the countdown of a visit in progress.  No build step.
 *
 * <span data-visit-timer data-seconds-left="754" data-end-button="end-ID"
 *       data-prompt="prompt-ID"><span data-timer-clock>12:34</span></span>
 *
 * The server says how many seconds are left when it draws the page (its own
 * clock decides, so a wrong clock on the tablet cannot shorten or stretch a
 * visit); the script counts down from there.  At zero the timer turns red,
 * the prompt "Time is up: end the visit" shows and the End button takes the
 * focus, unless someone is typing in a field.  Past zero it counts the overrun.
 * Timers that htmx swaps in (the board refreshes itself) start on their own.
 */
(function () {
  "use strict";

  function clockText(seconds) {
    var whole = Math.floor(Math.abs(seconds));
    var hours = Math.floor(whole / 3600);
    var minutes = Math.floor((whole % 3600) / 60);
    var rest = whole % 60;
    var mm = (hours && minutes < 10 ? "0" : "") + minutes;
    var ss = (rest < 10 ? "0" : "") + rest;
    return (hours ? hours + ":" : "") + mm + ":" + ss;
  }

  function typing() {
    var active = document.activeElement;
    if (!active || active === document.body) return false;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.isContentEditable;
  }

  // End buttons already given the focus: a board that redraws itself must not keep pulling it.
  var focused = {};

  function timeIsUp(timer) {
    timer.classList.add("timer-up");
    var prompt = document.getElementById(timer.getAttribute("data-prompt") || "");
    if (prompt) prompt.hidden = false;
    var endId = timer.getAttribute("data-end-button") || "";
    var end = endId ? document.getElementById(endId) : null;
    if (end && !focused[endId] && !typing()) {
      focused[endId] = true;
      end.focus();
    }
  }

  function start(timer) {
    if (timer.hasAttribute("data-timer-running")) return;
    timer.setAttribute("data-timer-running", "");
    var left = parseFloat(timer.getAttribute("data-seconds-left"));
    if (isNaN(left)) return;
    var deadline = Date.now() + left * 1000;
    var clock = timer.querySelector("[data-timer-clock]");
    var word = timer.querySelector("[data-timer-word]");
    var handle = null;

    function tick() {
      if (!timer.isConnected) {
        window.clearInterval(handle);
        return;
      }
      var remaining = (deadline - Date.now()) / 1000;
      if (remaining > 0) {
        if (clock) clock.textContent = clockText(Math.ceil(remaining));
        if (word) word.textContent = "left";
        return;
      }
      if (clock) clock.textContent = clockText(-remaining);
      if (word) word.textContent = "over";
      timeIsUp(timer);
    }

    tick();
    handle = window.setInterval(tick, 1000);
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.hasAttribute && root.hasAttribute("data-visit-timer")) start(root);
    Array.prototype.forEach.call(root.querySelectorAll("[data-visit-timer]"), start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      scan(document);
    });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (event) {
    scan(event.detail && event.detail.elt);
  });
})();
