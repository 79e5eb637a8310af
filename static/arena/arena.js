// The arena page: one WebSocket, columns that stream, votes. Protocol: tests/arena/test_consumer.py.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  const STREAM_MESSAGES = new Set(["answer_started", "token", "answer_done", "answer_stopped", "answer_failed", "combining"]);
  const state = {
    mode: "anonymous", conversation: null, participants: [], streaming: false, voted: false,
    turn: null, pendingPrompt: null, roundActive: false, socket: null, queue: [], modelsLoaded: false,
    // After "new battle" during a round, the old round's last messages are still on their way: drop them.
    discarding: false,
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
      state.socket = null;
      if (state.streaming) {
        setStreaming(false);
        state.roundActive = false;
        state.discarding = false;
        showError("The connection to the arena was lost; the answers in progress stopped. Send again to go on.");
      }
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
    abandonRound();
    state.mode = mode;
    document.querySelectorAll(".mode").forEach((b) => {
      b.classList.toggle("active", b.dataset.mode === mode);
      b.setAttribute("aria-selected", String(b.dataset.mode === mode));
    });
    document.body.dataset.mode = mode;
    if (mode !== "anonymous") loadModels();
    resetConversation();
  }

  async function loadModels() {
    if (state.modelsLoaded) return;
    try {
      const response = await fetch("/api/models/");
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const data = await response.json();
      for (const select of [$("model-picker"), $("aggregator-picker")]) {
        select.replaceChildren(...data.models.map((m) => new Option(m.name, m.slug)));
      }
      state.modelsLoaded = true;
    } catch (error) {
      showError(`Could not load the list of models (${error.message}); reload the page to try again.`);
    }
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
    const contestants = participants.filter((p) => p.role === "contestant").length;
    container.style.setProperty("--columns", String(Math.min(contestants, 3))); // the combined answer spans them
    for (const p of participants) {
      const col = document.createElement("article");
      col.className = `column ${p.role}`;
      col.dataset.label = p.label;
      col.innerHTML = `
        <header><span class="label"></span><span class="name" data-testid="model-name-${p.label}"></span>
          <span class="status" data-testid="answer-status-${p.label}"></span></header>
        <div class="history"></div>
        <div class="answer" data-testid="answer-${p.label}"></div>
        <p class="note"></p>
        <p class="stats"></p>
        <button type="button" class="retry" hidden>Retry</button>`;
      col.querySelector(".label").textContent = p.role === "aggregator" ? "Combined answer" : `Model ${p.label}`;
      col.querySelector(".name").textContent = p.name || "";
      col.querySelector(".retry").addEventListener("click", () => retry(p.label));
      container.appendChild(col);
    }
  }

  function archiveTurn() {
    // The finished answers move into each column's history; the live answer box starts empty.
    for (const col of document.querySelectorAll(".column")) {
      const answer = col.querySelector(".answer");
      appendExchange(col, state.turn ? state.turn.text : "", answer.innerHTML);
      answer.replaceChildren();
      col.querySelector(".note").textContent = "";
      col.querySelector(".stats").textContent = "";
      col.querySelector(".retry").hidden = true;
      setStatus(col.dataset.label, "");
    }
  }

  function appendExchange(col, questionText, replyHtml) {
    const item = document.createElement("div");
    item.className = "exchange";
    const question = document.createElement("p");
    question.className = "question";
    question.textContent = questionText;
    const reply = document.createElement("div");
    reply.className = "reply";
    reply.innerHTML = replyHtml; // already in the page: server-sanitized HTML or escaped text
    item.append(question, reply);
    col.querySelector(".history").appendChild(item);
  }

  function showPrompt(text) {
    $("current-prompt").querySelector(".text").textContent = text || "";
    $("current-prompt").hidden = !text;
  }

  function setStatus(label, status) {
    const col = column(label);
    if (!col) return;
    col.querySelector(".status").textContent = status;
    col.dataset.status = status;
  }

  function showStats(label, stats) {
    const col = column(label);
    if (!col || !stats) return;
    const parts = [];
    if (stats.completion_tokens != null) parts.push(`${stats.completion_tokens} tokens`);
    if (stats.tokens_per_second != null) parts.push(`${stats.tokens_per_second.toFixed(1)} tok/s`);
    if (stats.ttft_ms != null) parts.push(`first token ${Math.round(stats.ttft_ms)} ms`);
    if (stats.finish_reason && stats.finish_reason !== "stop") parts.push(`ended: ${stats.finish_reason}`);
    col.querySelector(".stats").textContent = parts.join(" · ");
  }

  function showFailure(label, error) {
    const col = column(label);
    if (!col) return;
    col.querySelector(".note").textContent = error || "This model did not answer.";
    col.querySelector(".retry").hidden = false;
    setStatus(label, "failed");
  }

  function setStreaming(on) {
    state.streaming = on;
    $("send").disabled = on;
    $("stop").disabled = !on;
    $("composer").classList.toggle("busy", on);
  }

  // --- votes ------------------------------------------------------------------------------------
  function showVotes() {
    const contestants = state.participants.filter((p) => p.role === "contestant");
    if (!contestants.length) return;
    const votes = $("votes");
    votes.dataset.kind = state.mode === "collaborate" ? "collab" : contestants.length === 2 ? "pair" : "best";
    // One button per contestant; in a pair "A is better", in an n-way round "A is best".
    const pick = votes.querySelector(".pick-votes");
    pick.replaceChildren();
    if (votes.dataset.kind !== "collab") {
      for (const p of contestants) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.testid = `vote-${p.label}`;
        button.dataset.winner = votes.dataset.kind === "pair" ? p.label : `best:${p.label}`;
        button.textContent = votes.dataset.kind === "pair" ? `${p.label} is better` : `${p.label} is best`;
        pick.appendChild(button);
      }
    }
    votesDisabled(state.voted);
    votes.hidden = false;
  }

  function vote(winner) {
    if (state.voted || state.streaming) return;
    votesDisabled(true);
    showError("");
    send({ type: "vote", turn: state.turn ? state.turn.index : null, winner });
  }

  function votesDisabled(on) {
    $("votes").querySelectorAll("button").forEach((b) => { b.disabled = on; });
  }

  function retry(label) {
    const col = column(label);
    showError("");
    col.querySelector(".answer").replaceChildren();
    col.querySelector(".note").textContent = "";
    col.querySelector(".stats").textContent = "";
    col.querySelector(".retry").hidden = true;
    setStatus(label, "streaming");
    $("votes").hidden = true;
    setStreaming(true);
    state.roundActive = true;
    send({ type: "retry", label });
  }

  function abandonRound() {
    // Stop what streams for a conversation the visitor leaves; its last messages are dropped.
    if (state.streaming && state.roundActive) {
      send({ type: "stop" });
      state.discarding = true;
    }
  }

  function resetConversation() {
    state.conversation = null;
    state.participants = [];
    state.turn = null;
    state.voted = false;
    $("columns").replaceChildren();
    showPrompt("");
    $("votes").hidden = true;
    byTestId("vote-result").textContent = "";
    $("conversation-link").replaceChildren();
    showError("");
  }

  function restoreTurns(turns) {
    // After a reconnect the server sends the whole conversation: history, then the latest turn live.
    const last = turns[turns.length - 1];
    for (const turn of turns.slice(0, -1)) {
      for (const a of turn.answers) {
        const col = column(a.label);
        if (col) appendExchange(col, turn.text, a.html || escapeHtml(a.text));
      }
    }
    if (!last) return;
    state.turn = { index: last.index, text: last.text };
    state.voted = last.vote !== null;
    showPrompt(last.text);
    for (const a of last.answers) {
      const col = column(a.label);
      if (!col) continue;
      if (a.html) col.querySelector(".answer").innerHTML = a.html;
      else col.querySelector(".answer").textContent = a.text;
      if (a.status === "failed") showFailure(a.label, a.error);
      else setStatus(a.label, a.status);
    }
    if (last.answers.every((a) => ["done", "failed", "stopped"].includes(a.status))) showVotes();
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text || "";
    return div.innerHTML;
  }

  // --- messages from the server -------------------------------------------------------------
  const handlers = {
    started(m) {
      state.conversation = m.conversation;
      state.participants = m.participants;
      buildColumns(m.participants);
      if (m.turns && m.turns.length) restoreTurns(m.turns);
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
      showPrompt(m.text);
      state.voted = false;
      $("votes").hidden = true;
      byTestId("vote-result").textContent = "";
      $("prompt").value = "";
      for (const p of state.participants) setStatus(p.label, p.role === "aggregator" ? "waiting" : "streaming");
    },
    answer_started(m) { setStatus(m.label, "streaming"); },
    token(m) {
      const col = column(m.label);
      if (col) col.querySelector(".answer").appendChild(document.createTextNode(m.text)); // escaped while streaming
    },
    answer_done(m) {
      const col = column(m.label);
      if (!col) return;
      col.querySelector(".answer").innerHTML = m.html; // sanitized on the server
      setStatus(m.label, "done");
      showStats(m.label, m.stats);
    },
    answer_stopped(m) {
      const col = column(m.label);
      if (!col) return;
      col.querySelector(".answer").innerHTML = m.html || "";
      setStatus(m.label, "stopped");
      showStats(m.label, m.stats);
    },
    answer_failed(m) { showFailure(m.label, m.error); },
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
    if (state.discarding && (STREAM_MESSAGES.has(message.type) || message.type === "turn_done")) {
      if (message.type === "turn_done") {
        state.discarding = false;
        state.roundActive = false;
        setStreaming(false);
      }
      return;
    }
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
      $("prompt").focus();
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
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) submitPrompt(e);
  });
  $("stop").addEventListener("click", () => send({ type: "stop" }));
  $("new-battle").addEventListener("click", () => {
    abandonRound();
    resetConversation();
    $("prompt").focus();
  });
  $("votes").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-winner]");
    if (button) vote(button.dataset.winner);
  });
  document.body.dataset.mode = state.mode;
  connect();
})();
