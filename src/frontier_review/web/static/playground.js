// Chat playground: talks to the gateway with a personal token kept in this tab's sessionStorage.
(function () {
  "use strict";
  var root = document.getElementById("playground");
  if (!root) return;
  var key = "fr-playground-token:" + location.pathname;
  if (root.dataset.newToken) sessionStorage.setItem(key, root.dataset.newToken);
  var token = sessionStorage.getItem(key);
  var log = document.getElementById("pg-log");
  var form = document.getElementById("pg-form");
  var input = document.getElementById("pg-input");
  var status = document.getElementById("pg-status");
  var messages = [];
  if (!token) {
    document.getElementById("pg-no-token").hidden = false;
    form.hidden = true;
    return;
  }

  function add(role, text) {
    var li = document.createElement("li");
    li.className = "chat-" + role;
    var who = document.createElement("strong");
    who.textContent = role === "user" ? "You: " : "Model: ";
    var body = document.createElement("span");
    body.textContent = text;
    li.appendChild(who);
    li.appendChild(body);
    log.appendChild(li);
    return body;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    messages.push({ role: "user", content: text });
    add("user", text);
    input.value = "";
    var out = add("assistant", "");
    status.textContent = "waiting for the model…";
    document.getElementById("pg-send").disabled = true;
    try {
      var response = await fetch(root.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
        body: JSON.stringify({ model: root.dataset.model, messages: messages, stream: true, max_tokens: 256 }),
      });
      if (!response.ok) {
        var problem = await response.json().catch(function () { return {}; });
        out.textContent = "(refused: " + ((problem.error && problem.error.message) || response.status) + ")";
        messages.pop();
        return;
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      var answer = "";
      for (;;) {
        var part = await reader.read();
        if (part.done) break;
        buffer += decoder.decode(part.value, { stream: true });
        var events = buffer.split("\n\n");
        buffer = events.pop();
        events.forEach(function (line) {
          var data = line.replace(/^data:\s*/, "");
          if (!data || data === "[DONE]") return;
          try {
            var chunk = JSON.parse(data);
            var delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
            if (delta && delta.content) { answer += delta.content; out.textContent = answer; }
          } catch (e) { /* ignore a partial line */ }
        });
      }
      messages.push({ role: "assistant", content: answer });
    } catch (e) {
      out.textContent = "(the gateway could not be reached)";
      messages.pop();
    } finally {
      status.textContent = "";
      document.getElementById("pg-send").disabled = false;
    }
  });
})();
