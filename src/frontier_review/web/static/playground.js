// Chat playground (issue 12). It talks to the gateway from this tab with the person's one
// playground token, and keeps the token, the conversation and the settings in this tab's
// sessionStorage only: they survive reloads, go when the tab closes, are wiped at sign-out
// (Clear-Site-Data), and are never sent anywhere but to the gateway as the call itself.
(function () {
  "use strict";
  var root = document.getElementById("playground");
  if (!root) return;
  var data = root.dataset;
  var prefix = "fr-playground:" + data.engagement + ":" + data.user + ":";
  var KEY = { token: prefix + "token", chat: prefix + "conversation", settings: prefix + "settings" };
  var ENV = "FRONTIER_REVIEW_GATEWAY_TOKEN";
  var REASONS = {
    invalid_api_key: "session ended",
    engagement_closed: "access has ended",
    engagement_not_offered: "not offered yet",
    window_not_open: "window not open yet",
    cohort_not_open: "not open to your cohort yet",
    terms_not_accepted: "terms not accepted",
    participant_revoked: "access revoked",
    user_revoked: "access revoked",
    partners_excluded: "not shared with partners",
    partner_not_designated: "not a designated partner",
    api_access_not_shared: "API access not shared",
    variant_not_shared: "variant not shared",
    rate_limit_exceeded: "quota exhausted",
    insufficient_quota: "quota exhausted",
    invalid_request: "invalid request",
    model_not_found: "unknown model",
    upstream_missing: "model not connected",
    upstream_busy: "model busy",
    upstream_error: "the model's server failed",
    client_disconnected: "stopped",
  };

  function $(id) { return document.getElementById(id); }
  var log = $("pg-log"), empty = $("pg-empty"), announcer = $("pg-announce");
  var form = $("pg-form"), input = $("pg-input"), send = $("pg-send"), stop = $("pg-stop"), clear = $("pg-clear");
  var status = $("pg-status"), start = $("pg-start"), startText = $("pg-start-text"), startButton = $("pg-start-button");
  var startError = $("pg-start-error"), cannot = $("pg-cannot");
  var fields = { system: $("pg-system"), model: $("pg-model"), max_tokens: $("pg-max"), temperature: $("pg-temp") };

  // -- this tab's storage ---------------------------------------------------------------------

  function load(key, fallback) {
    try {
      var raw = window.sessionStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) { return fallback; }
  }
  function keep(key, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage full or disabled: the page still works, without surviving a reload */ }
  }

  var access = JSON.parse(data.access);
  var loadedAt = Date.now();
  var token = load(KEY.token, null);
  var conversation = load(KEY.chat, []);
  var settings = load(KEY.settings, {});
  var controller = null; // the call in flight, to Stop it

  function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }
  function lookupOf(value) { return value ? String(value).split("_")[1] || "" : ""; }
  function shown(value) { return "frg_" + lookupOf(value) + "_…"; }

  // -- the conversation -----------------------------------------------------------------------

  function item(kind, label) {
    var li = document.createElement("li");
    li.className = "chat-" + kind;
    var who = document.createElement("strong");
    who.className = "chat-who";
    who.textContent = label;
    var body = document.createElement("div");
    body.className = "chat-body";
    li.appendChild(who);
    li.appendChild(body);
    log.appendChild(li);
    empty.hidden = true;
    return { li: li, body: body };
  }

  function showTurn(turn) {
    var el = item(turn.role, turn.role === "user" ? "You" : "Model");
    el.body.textContent = turn.content;
    if (turn.note) mark(el, turn.note);
    return el;
  }

  function mark(el, note) {
    var tag = document.createElement("em");
    tag.className = "chat-note";
    tag.textContent = "(" + note + ")";
    el.li.appendChild(tag);
  }

  // problem: {refused, reason, text}; shown apart from the model's answers, and announced.
  function showError(problem) {
    var el = item("error", (problem.refused ? "Refused by the gateway" : "Error") + (problem.reason ? ": " + problem.reason : ""));
    el.body.setAttribute("role", "alert");
    el.body.textContent = problem.text;
    el.li.scrollIntoView({ block: "nearest" });
    return el;
  }

  function notice(text) {
    var el = item("notice", "Note");
    el.body.textContent = text;
    say(text);
  }

  function say(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function render() {
    log.textContent = "";
    conversation.forEach(showTurn);
    empty.hidden = conversation.length > 0;
    snippet();
  }

  function saveChat() {
    keep(KEY.chat, conversation);
    snippet();
  }

  // -- settings and what is sent ---------------------------------------------------------------

  function readSettings() {
    return {
      system: fields.system.value,
      model: fields.model.value,
      max_tokens: fields.max_tokens.value,
      temperature: fields.temperature.value,
    };
  }

  function applySettings() {
    if (typeof settings.system === "string") fields.system.value = settings.system;
    if (settings.model && Array.prototype.some.call(fields.model.options, function (o) { return o.value === settings.model; })) {
      fields.model.value = settings.model;
    }
    if (settings.max_tokens) fields.max_tokens.value = settings.max_tokens;
    if (typeof settings.temperature === "string") fields.temperature.value = settings.temperature;
  }

  function messages() {
    var out = [];
    var system = fields.system.value.trim();
    if (system) out.push({ role: "system", content: system });
    conversation.forEach(function (t) { out.push({ role: t.role, content: t.content }); });
    return out;
  }

  function parameters() {
    var p = {};
    var max = parseInt(fields.max_tokens.value, 10);
    if (!isNaN(max)) p.max_tokens = max;
    if (fields.temperature.value.trim() !== "") {
      var temperature = Number(fields.temperature.value);
      if (!isNaN(temperature)) p.temperature = temperature;
    }
    return p;
  }

  // JSON string literals are valid Python string literals.
  function py(value) { return JSON.stringify(value); }

  function snippet() {
    var p = parameters();
    var lines = [
      "import os",
      "",
      "from openai import OpenAI",
      "",
      "client = OpenAI(",
      "    base_url=" + py(data.gateway) + ",",
      "    api_key=os.environ[" + py(ENV) + "],  # your personal gateway token (frg_…)",
      ")",
      "response = client.chat.completions.create(",
      "    model=" + py(fields.model.value) + ",",
    ];
    var sent = messages();
    if (sent.length) {
      lines.push("    messages=[");
      sent.forEach(function (m) {
        lines.push("        {\"role\": " + py(m.role) + ", \"content\": " + py(m.content) + "},");
      });
      lines.push("    ],");
    } else {
      lines.push("    messages=[{\"role\": \"user\", \"content\": \"Hello\"}],  # this conversation is empty so far");
    }
    if (p.max_tokens !== undefined) lines.push("    max_tokens=" + p.max_tokens + ",");
    if (p.temperature !== undefined) lines.push("    temperature=" + p.temperature + ",");
    lines.push(")", "print(response.choices[0].message.content)");
    $("pg-snippet").textContent = lines.join("\n");
  }

  // -- access: window, quota, refusals ------------------------------------------------------------

  function span(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + " d " : "") + (d || h ? h + " h " : "") + m + " min " + (s % 60) + " s";
  }

  var WHEN = { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" };

  function tick() {
    var gone = (Date.now() - loadedAt) / 1000;
    var text;
    if (access.opens_in - gone > 0) text = "opens in " + span(access.opens_in - gone);
    else if (access.seconds_left - gone > 0) text = "closes in " + span(access.seconds_left - gone);
    else text = "closed";
    var at = new Date(access.opens_in - gone > 0 ? access.window_start : access.ends_at);
    $("pg-window").textContent = text + " (" + at.toLocaleString(undefined, WHEN) + ")";
  }

  function number(n) { return Number(n).toLocaleString(); }

  function showAccess() {
    var refusal = $("pg-refusal");
    refusal.hidden = access.admitted;
    $("pg-refusal-text").textContent = access.refusal ? access.refusal.message : "";
    var q = access.quota;
    $("pg-quota").textContent = q
      ? number(q.requests_left) + " of " + number(q.requests_per_day) + " requests · " + number(q.tokens_left) + " of " +
        number(q.tokens_per_day) + " tokens · at most " + number(q.requests_per_minute) + " requests a minute" +
        (q.requests_left && q.tokens_left ? "" : ". Used up for today: it resets at " + new Date(q.resets_at).toLocaleString(undefined, WHEN) + ".")
      : "none: you take no part";
    $("pg-session").textContent = token ? "token " + shown(token) + ", kept in this tab only" : "none in this tab";
    layout();
    tick();
  }

  // Answers can cross: only the latest request counts, and none asked before the session changed.
  var asked = 0, sessionChanges = 0;

  async function refreshAccess() {
    var mine = ++asked, during = sessionChanges;
    var stale = function () { return mine !== asked || during !== sessionChanges; };
    try {
      var response = await fetch(data.accessUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
      if (stale()) return;
      if (!response.ok) {
        var text = response.status === 401 ? "you are signed out; sign in again" : "this engagement is no longer available to you";
        access = Object.assign({}, access, { admitted: false, refusal: { code: "unavailable", message: text } });
        showAccess();
        return;
      }
      var fresh = await response.json();
      if (stale()) return;
      access = fresh;
      loadedAt = Date.now();
    } catch (e) { return; /* offline: keep what is shown */ }
    if (token && access.playground_token !== lookupOf(token)) ended();
    showAccess();
  }

  // -- the session token --------------------------------------------------------------------------

  // Another tab of this browser may hold the session: it hands the token over, in memory.
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("fr-playground") : null;
  var waiting = null;
  if (channel) {
    channel.onmessage = function (event) {
      var m = event.data || {};
      if (m.ask === prefix && token) channel.postMessage({ give: prefix, token: token });
      if (m.give === prefix && typeof m.token === "string") {
        if (waiting) waiting(m.token);
        else if (m.token !== token) {
          adopt(m.token);
          notice("This tab now uses the session started in another tab (token " + shown(token) + ").");
        }
      }
    };
  }

  function askOtherTabs() {
    return new Promise(function (resolve) {
      if (!channel) { resolve(null); return; }
      var timer = window.setTimeout(function () { waiting = null; resolve(null); }, 300);
      waiting = function (value) { window.clearTimeout(timer); waiting = null; resolve(value); };
      channel.postMessage({ ask: prefix });
    });
  }

  function adopt(value) {
    sessionChanges++;
    token = value;
    keep(KEY.token, token);
    access.playground_token = lookupOf(token);
    layout();
    showAccess();
  }

  // With a token the composer shows; without, the Start button, or why there is none.
  function layout() {
    var on = Boolean(token);
    form.hidden = !on;
    start.hidden = on || !access.may_start_playground;
    cannot.hidden = on || access.may_start_playground;
    cannot.textContent = access.start_refusal ? "The playground is not open to you. " + capital(access.start_refusal) + "." : "";
  }

  function ended() {
    var focused = form.contains(document.activeElement);
    sessionChanges++;
    token = null;
    keep(KEY.token, null);
    startText.textContent = "Your playground session has ended: its token was revoked, or replaced by a session started in " +
      "another tab or browser. Start a new session to go on; the conversation stays.";
    startButton.textContent = "Start a new session";
    showAccess();
    if (focused) startButton.focus();
  }

  async function startSession() {
    startButton.disabled = true;
    startError.hidden = true;
    try {
      var response = await fetch(data.sessionUrl, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-CSRF-Token": data.csrf, Accept: "application/json" },
      });
      var body = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        startError.textContent = "The session was not started: " + (body.detail || body.title || "HTTP " + response.status) + ".";
        startError.hidden = false;
        startButton.focus();
        return;
      }
      sessionChanges++;
      token = body.token;
      keep(KEY.token, token);
      access.playground_token = body.lookup;
      if (channel) channel.postMessage({ give: prefix, token: token });
      layout();
      notice(body.replaced && body.replaced.length
        ? "New session started with token " + shown(token) + "; the earlier playground token was revoked."
        : "Session started with token " + shown(token) + ".");
      input.focus();
      refreshAccess();
    } catch (e) {
      startError.textContent = "The session was not started: the server could not be reached.";
      startError.hidden = false;
    } finally {
      startButton.disabled = false;
    }
  }

  // -- a call ---------------------------------------------------------------------------------------

  async function problemOf(response) {
    var body = await response.json().catch(function () { return {}; });
    var error = body.error || {};
    var text = capital(error.message || body.detail || "no reason given") + ".";
    var wait = response.headers.get("retry-after");
    if (wait) text += " Try again in " + span(Number(wait)) + ".";
    text += " (HTTP " + response.status + (error.code ? ", " + error.code : "") + ")";
    return { refused: response.status < 500, reason: REASONS[error.code] || "", text: text };
  }

  function busy(on) {
    send.disabled = on;
    stop.disabled = !on;
    status.textContent = on ? "The model is answering…" : "";
  }

  async function ask(event) {
    if (event) event.preventDefault();
    var text = input.value;
    if (controller) { say("The model is still answering: wait for it, or Stop it, before sending again."); return; }
    if (!text.trim()) return;
    if (!token) { ended(); return; }
    var turn = { role: "user", content: text };
    var body = Object.assign({ model: fields.model.value, messages: messages().concat([turn]), stream: true }, parameters());
    body.stream_options = { include_usage: true };
    conversation.push(turn);
    saveChat();
    var sent = showTurn(turn);
    input.value = "";
    var reply = { role: "assistant", content: "" };
    var shownReply = null;
    controller = new AbortController();
    busy(true);
    try {
      var response = await fetch(data.endpoint, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok) {
        // Not delivered: the message leaves the conversation and goes back into the box.
        conversation.pop();
        saveChat();
        sent.li.remove();
        if (!input.value) input.value = text;
        showError(await problemOf(response));
        if (response.status === 401) ended();
        return;
      }
      conversation.push(reply);
      shownReply = showTurn(reply);
      shownReply.li.setAttribute("aria-busy", "true");
      var problem = await stream(response, reply, shownReply);
      if (problem) {
        reply.note = "cut off";
        mark(shownReply, reply.note);
        showError(problem);
      } else {
        say("The model answered: " + reply.content.slice(0, 2000));
      }
    } catch (e) {
      if (e && e.name === "AbortError") {
        if (shownReply) { reply.note = "stopped"; mark(shownReply, reply.note); }
        notice("Stopped.");
      } else {
        showError({ refused: false, text: "The gateway could not be reached: " + (e && e.message ? e.message : "network error") + "." });
      }
    } finally {
      if (shownReply) shownReply.li.removeAttribute("aria-busy");
      if (shownReply && !reply.content && !reply.note) {
        conversation.splice(conversation.indexOf(reply), 1);
        shownReply.li.remove();
      }
      controller = null;
      busy(false);
      saveChat();
      if (!form.hidden) input.focus();
      refreshAccess();
    }
  }

  // The gateway's server-sent events: text deltas, the usage chunk, [DONE], or an error event.
  async function stream(response, reply, el) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var done = false;
    for (;;) {
      var part = await reader.read();
      if (part.done) break;
      buffer += decoder.decode(part.value, { stream: true });
      var events = buffer.split("\n\n");
      buffer = events.pop();
      for (var i = 0; i < events.length; i++) {
        var line = events[i].trim();
        if (line.indexOf("data:") !== 0) continue;
        var payload = line.slice(5).trim();
        if (payload === "[DONE]") { done = true; continue; }
        var chunk;
        try { chunk = JSON.parse(payload); } catch (e) { continue; }
        if (chunk.error) {
          var code = chunk.error.code || "";
          return { refused: code !== "upstream_error", reason: REASONS[code] || "", text: capital(chunk.error.message || "the answer was cut off") + "." };
        }
        var choice = chunk.choices && chunk.choices[0];
        var delta = choice && choice.delta;
        if (delta && delta.content) {
          reply.content += delta.content;
          el.body.textContent = reply.content;
        }
      }
    }
    return done ? null : { refused: false, text: "The answer ended early: the connection to the gateway broke." };
  }

  // -- wiring -----------------------------------------------------------------------------------------

  form.addEventListener("submit", ask);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(null);
    }
  });
  stop.addEventListener("click", function () {
    if (controller) controller.abort();
  });
  clear.addEventListener("click", function () {
    if (controller) controller.abort();
    conversation = [];
    saveChat();
    render();
    say("Conversation cleared.");
    input.focus();
  });
  startButton.addEventListener("click", startSession);
  Object.keys(fields).forEach(function (name) {
    fields[name].addEventListener("input", function () {
      settings = readSettings();
      keep(KEY.settings, settings);
      snippet();
    });
  });
  $("pg-copy").addEventListener("click", function () {
    var text = $("pg-snippet").textContent;
    var done = function () { $("pg-copy-status").textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { $("pg-copy-status").textContent = "Copy failed: select the code and copy it."; });
    } else {
      var range = document.createRange();
      range.selectNodeContents($("pg-snippet"));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      $("pg-copy-status").textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });

  applySettings();
  render();
  window.setInterval(tick, 1000);
  window.setInterval(function () { if (document.visibilityState === "visible" && !controller) refreshAccess(); }, 60000);

  (async function begin() {
    if (token && access.playground_token !== lookupOf(token)) ended();
    else if (token) layout();
    else if (access.playground_token) {
      var handed = await askOtherTabs();
      if (handed && lookupOf(handed) === access.playground_token) {
        adopt(handed);
        notice("Joined the playground session open in another tab.");
      } else {
        startText.textContent = "Your playground session (token frg_" + access.playground_token + "_…) is not in this tab: it was " +
          "started in a tab since closed, or in another browser. Starting a session here ends that one.";
        layout();
      }
    } else layout();
    showAccess();
  })();
})();
