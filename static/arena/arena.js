// The arena page: one WebSocket, columns that stream, votes. Protocol: docs/protocol.md.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  const state = {
    mode: "anonymous", conversation: null, participants: [], streaming: false, voted: false,
    turn: null, pendingPrompt: null, roundActive: false, socket: null, queue: [], modelsLoaded: false,
  };

  function showError(message) {
    $("error").textContent = message || "";
    $("error").classList.toggle("visible", Boolean(message));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/arena/`);
    state.socket = socket;
    socket.onopen = () => {
      const queued = state.queue.splice(0);
      queued.forEach((m) => socket.send(JSON.stringify(m)));
    };
    socket.onmessage = (event) => handle(JSON.parse(event.data));
    socket.onclose = () => {
      if (state.streaming) setStreaming(false);
      state.socket = null;
      if (state.conversation) state.queue.push({ type: "resume", conversation: state.conversation });
    };
  }

  function send(message) {
    if (!state.socket || state.socket.readyState > 1) connect();
    if (state.socket.readyState === 1) state.socket.send(JSON.stringify(message));
    else state.queue.push(message);
  }

  // --- mode and settings -------------------------------------------------------------------
  function setMode(mode) {
    state.mode = mode;
    document.querySelectorAll(".mode").forEach((b) => b.classList.toggle("active", b.dataset.mode === mode));
    document.body.dataset.mode = mode;
    if (mode !== "anonymous") loadModels();
    resetConversation();
  }

  async function loadModels() {
    if (state.modelsLoaded) return;
    const response = await fetch("/api/models/");
    const data = await response.json();
    for (const select of [$("model-picker"), $("aggregator-picker")]) {
      select.replaceChildren(...data.models.map((m) => new Option(m.name, m.slug)));
    }
    state.modelsLoaded = true;
  }

  function roundParams() {
    const params = {};
    for (const name of ["temperature", "top_p", "max_new_tokens"]) {
      const value = $(`p-${name}`).value;
      if (value !== "") params[name] = Number(value);
    }
    return params;
  }

  function startMessage() {
    const message = { type: "start", mode: state.mode, window: $("window").value, window_n: Number($("window-n").value) };
    if (state.mode !== "anonymous") {
      message.models = Array.from($("model-picker").selectedOptions).map((o) => o.value);
      message.params = roundParams();
    }
    if (state.mode === "collaborate") message.aggregator = $("aggregator-picker").value;
    return message;
  }

  // --- columns --------------------------------------------------------------------------------
  function column(label) {
    return document.querySelector(`.column[data-label="${label}"]`);
  }

  function buildColumns(participants) {
    const container = $("columns");
    container.replaceChildren();
    container.style.setProperty("--columns", String(Math.min(participants.length, 3)));
    for (const p of participants) {
      const col = document.createElement("article");
      col.className = `column ${p.role}`;
      col.dataset.label = p.label;
      const title = p.role === "aggregator" ? "Combined answer" : `Model ${p.label}`;
      col.innerHTML = `
        <header><span class="label"></span> <span class="name" data-testid="model-name-${p.label}"></span>
          <span class="status" data-testid="answer-status-${p.label}"></span></header>
        <div class="history"></div>
        <div class="answer" data-testid="answer-${p.label}"></div>
        <p class="note"></p>
        <button type="button" class="retry" hidden>Retry</button>`;
      col.querySelector(".label").textContent = title;
      col.querySelector(".name").textContent = p.name || "";
      col.querySelector(".retry").addEventListener("click", () => retry(p.label));
      container.appendChild(col);
    }
  }

  function archiveTurn() {
    // The finished answers move into each column's history; the live answer box starts empty.
    for (const col of document.querySelectorAll(".column")) {
      const answer = col.querySelector(".answer");
      if (!answer.innerHTML && !state.turn) continue;
      const item = document.createElement("div");
      item.className = "exchange";
      const question = document.createElement("p");
      question.className = "question";
      question.textContent = state.turn ? state.turn.text : "";
      const reply = document.createElement("div");
      reply.className = "reply";
      reply.innerHTML = answer.innerHTML;
      item.append(question, reply);
      col.querySelector(".history").appendChild(item);
      answer.replaceChildren();
      col.querySelector(".note").textContent = "";
      col.querySelector(".retry").hidden = true;
      setStatus(col.dataset.label, "");
    }
  }

  function setStatus(label, status) {
    const col = column(label);
    if (!col) return;
    col.querySelector(".status").textContent = status;
    col.dataset.status = status;
  }

  function setStreaming(on) {
    state.streaming = on;
    $("send").disabled = on;
    $("stop").disabled = !on;
  }

  // --- votes ------------------------------------------------------------------------------------
  function showVotes() {
    const contestants = state.participants.filter((p) => p.role === "contestant");
    const votes = $("votes");
    votes.dataset.kind = state.mode === "collaborate" ? "collab" : contestants.length === 2 ? "pair" : "best";
    const best = votes.querySelector(".best-votes");
    best.replaceChildren();
    if (votes.dataset.kind === "best") {
      for (const p of contestants) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.testid = `vote-${p.label}`;
        button.dataset.winner = `best:${p.label}`;
        button.textContent = `${p.label} is best`;
        best.appendChild(button);
      }
    }
    votes.querySelectorAll("button").forEach((b) => { b.disabled = state.voted; });
    votes.hidden = false;
  }

  function vote(winner) {
    if (state.voted || state.streaming) return;
    votesDisabled(true);
    send({ type: "vote", turn: state.turn ? state.turn.index : null, winner });
  }

  function votesDisabled(on) {
    $("votes").querySelectorAll("button").forEach((b) => { b.disabled = on; });
  }

  function retry(label) {
    showError("");
    setStatus(label, "streaming");
    column(label).querySelector(".answer").replaceChildren();
    column(label).querySelector(".retry").hidden = true;
    setStreaming(true);
    state.roundActive = true;
    send({ type: "retry", label });
  }

  function resetConversation() {
    state.conversation = null;
    state.participants = [];
    state.turn = null;
    state.voted = false;
    $("columns").replaceChildren();
    $("votes").hidden = true;
    byTestId("vote-result").textContent = "";
    $("conversation-link").replaceChildren();
    showError("");
  }

  // --- messages from the server -------------------------------------------------------------
  const handlers = {
    started(m) {
      state.conversation = m.conversation;
      state.participants = m.participants;
      buildColumns(m.participants);
      const link = document.createElement("a");
      link.href = `/conversations/${m.conversation}/`;
      link.textContent = "Transcript and prompts";
      $("conversation-link").replaceChildren(link);
      if (state.pendingPrompt !== null) {
        send({ type: "prompt", text: state.pendingPrompt });
        state.pendingPrompt = null;
      }
    },
    turn(m) {
      state.roundActive = true;
      if (state.turn) archiveTurn();
      state.turn = { index: m.turn, text: m.text };
      state.voted = false;
      $("votes").hidden = true;
      byTestId("vote-result").textContent = "";
      $("prompt").value = "";
      for (const p of state.participants) setStatus(p.label, p.role === "aggregator" ? "waiting" : "streaming");
    },
    answer_started(m) { setStatus(m.label, "streaming"); },
    token(m) {
      const answer = column(m.label).querySelector(".answer");
      answer.appendChild(document.createTextNode(m.text)); // escaped while streaming
    },
    answer_done(m) {
      column(m.label).querySelector(".answer").innerHTML = m.html; // sanitized on the server
      setStatus(m.label, "done");
    },
    answer_stopped(m) {
      column(m.label).querySelector(".answer").innerHTML = m.html || "";
      setStatus(m.label, "stopped");
    },
    answer_failed(m) {
      const col = column(m.label);
      col.querySelector(".note").textContent = m.error;
      col.querySelector(".retry").hidden = false;
      setStatus(m.label, "failed");
    },
    combining(m) {
      setStatus("combined", "streaming");
      if (m.left_out.length) {
        column("combined").querySelector(".note").textContent = `Left out (no answer in time): ${m.left_out.join(", ")}`;
      }
    },
    turn_done() {
      state.roundActive = false;
      setStreaming(false);
      showVotes();
    },
    reveal(m) {
      state.voted = true;
      votesDisabled(true);
      for (const p of m.participants) {
        const name = byTestId(`model-name-${p.label}`);
        if (name) name.textContent = p.name;
      }
      byTestId("vote-result").textContent = m.flagged
        ? "Vote stored. An answer named its own model, so this vote is kept out of the anonymous leaderboard."
        : "Thanks, your vote is stored.";
    },
    error(m) {
      showError(m.message);
      state.pendingPrompt = null;
      if (m.code === "already_voted") state.voted = true;
      if (["already_voted", "not_finished", "bad_vote"].includes(m.code)) votesDisabled(state.voted);
      if (m.code === "bad_retry") state.roundActive = false;
      if (!state.roundActive) setStreaming(false);
      if (m.code === "not_found") resetConversation();
    },
  };

  function handle(message) {
    const handler = handlers[message.type];
    if (handler) handler(message);
  }

  // --- wiring -----------------------------------------------------------------------------------
  function submitPrompt(event) {
    event.preventDefault();
    if (state.streaming) return;
    const text = $("prompt").value;
    showError("");
    if (!text.trim()) {
      showError("Type a prompt first: an empty prompt is not sent.");
      return;
    }
    setStreaming(true);
    if (state.conversation) {
      send({ type: "prompt", text });
    } else {
      state.pendingPrompt = text;
      send(startMessage());
    }
  }

  document.querySelectorAll(".mode").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
  $("composer").addEventListener("submit", submitPrompt);
  $("prompt").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) submitPrompt(e);
  });
  $("stop").addEventListener("click", () => send({ type: "stop" }));
  $("new-battle").addEventListener("click", () => {
    if (state.streaming) send({ type: "stop" });
    resetConversation();
  });
  $("votes").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-winner]");
    if (button) vote(button.dataset.winner);
  });
  document.body.dataset.mode = state.mode;
  connect();
})();
