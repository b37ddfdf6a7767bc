// The labelling page: flip lines and blocks, move with the keyboard, save to the labels file.
(function () {
  "use strict";
  var CONTENT = "content", BOILERPLATE = "boilerplate";
  var lines = Array.prototype.slice.call(document.querySelectorAll(".line"));
  var status = document.getElementById("status");
  var cursor = -1, dirty = false;

  function say(text, error) { status.textContent = text; status.className = error ? "error" : ""; }
  function setLabel(line, label) {
    line.dataset.label = label;
    line.classList.toggle("keep", label === CONTENT);
    line.classList.toggle("drop", label !== CONTENT);
    line.classList.toggle("changed", label !== line.dataset.model);
  }
  function changed() {
    dirty = true;
    document.getElementById("kept").textContent =
      lines.filter(function (l) { return l.dataset.label === CONTENT; }).length;
    say("unsaved changes");
  }
  function flip(line) { setLabel(line, line.dataset.label === CONTENT ? BOILERPLATE : CONTENT); changed(); }
  function flipBlock(block) {
    // A widget is flipped at once: all to content when none of it is, else all to boilerplate.
    var members = Array.prototype.slice.call(block.querySelectorAll(".line"));
    var to = members.every(function (l) { return l.dataset.label !== CONTENT; }) ? CONTENT : BOILERPLATE;
    members.forEach(function (l) { setLabel(l, to); });
    changed();
  }
  function move(i) {
    if (!lines.length) return;
    if (cursor >= 0) lines[cursor].classList.remove("cursor");
    cursor = Math.max(0, Math.min(lines.length - 1, i));
    lines[cursor].classList.add("cursor");
    lines[cursor].scrollIntoView({ block: "nearest" });
  }
  function moveBlock(step) {
    if (cursor < 0) { move(0); return; }
    var block = lines[cursor].closest(".block");
    var first = lines.indexOf(block.querySelector(".line"));
    if (step < 0 && cursor > first) { move(first); return; }
    var next = step > 0 ? block.nextElementSibling : block.previousElementSibling;
    if (next) move(lines.indexOf(next.querySelector(".line")));
  }
  function current(act) { return function () { if (cursor < 0) move(0); else act(lines[cursor]); }; }
  function save() {
    say("saving\u2026");
    var request = new XMLHttpRequest();
    request.open("POST", document.body.dataset.save);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-Declutter-Token", document.body.dataset.token);
    request.onload = function () {
      var answer = {};
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = { error: request.statusText }; }
      if (request.status !== 200) { say("not saved: " + (answer.error || request.status), true); return; }
      dirty = false;
      say("saved " + answer.lines + " labels to " + answer.path);
      document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
    };
    request.onerror = function () { say("not saved: the labelling server does not answer", true); };
    request.send(JSON.stringify({ labels: lines.map(function (l) { return l.dataset.label; }) }));
  }
  var keys = {
    j: function () { move(cursor + 1); }, ArrowDown: function () { move(cursor + 1); },
    k: function () { move(cursor - 1); }, ArrowUp: function () { move(cursor - 1); },
    n: function () { moveBlock(1); }, p: function () { moveBlock(-1); },
    Home: function () { move(0); }, End: function () { move(lines.length - 1); },
    " ": current(flip), x: current(flip), Enter: current(flip),
    b: current(function (line) { flipBlock(line.closest(".block")); }),
    s: save
  };
  document.getElementById("lines").addEventListener("click", function (event) {
    var button = event.target.closest(".flip-block");
    if (button) { flipBlock(button.closest(".block")); return; }
    var line = event.target.closest(".line");
    if (line) { move(lines.indexOf(line)); flip(line); }
  });
  document.getElementById("save").addEventListener("click", save);
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
