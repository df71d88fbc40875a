// The search page: POST /v1/search with the key typed here (kept in sessionStorage only), and
// render hits with DOM nodes, never innerHTML, so document text cannot inject markup.
"use strict";
const form = document.getElementById("search");
const keyInput = document.getElementById("key");
const statusLine = document.getElementById("status");
const results = document.getElementById("results");
keyInput.value = sessionStorage.getItem("docrag.key") || "";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function snippet(s) {
  const p = el("p", "snippet");
  let at = 0;
  for (const [start, end] of s.highlights) {
    p.append(s.text.slice(at, start), el("mark", null, s.text.slice(start, end)));
    at = end;
  }
  p.append(s.text.slice(at));
  return p;
}

function fmt(x) {
  return x === null || x === undefined ? "–" : x.toFixed(3);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  sessionStorage.setItem("docrag.key", key);
  const mode = form.querySelector("input[name=mode]:checked").value;
  statusLine.textContent = "Searching…";
  results.replaceChildren();
  try {
    const response = await fetch("v1/search", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + key },
      body: JSON.stringify({ query: document.getElementById("query").value, mode: mode, k: 10 }),
    });
    const body = await response.json();
    if (!response.ok) {
      statusLine.textContent = response.status + " " + body.error + ": " + body.detail;
      return;
    }
    statusLine.textContent = body.hits.length === 0 ? "No hits." : "";
    for (const hit of body.hits) {
      const li = el("li", "hit");
      li.append(el("div", "source", hit.source));
      // A Markdown page's breadcrumb usually starts with its title (its level-1 heading).
      const trail = hit.breadcrumb[0] === hit.title ? hit.breadcrumb : [hit.title].concat(hit.breadcrumb);
      const crumb = trail.filter(Boolean).join(" › ");
      li.append(el("div", "crumb", crumb + (hit.page ? " · page " + hit.page : "")));
      li.append(snippet(hit.snippet));
      li.append(el("div", "scores", "score " + fmt(hit.score) + " · meaning " + fmt(hit.vectorScore)
          + " · keyword " + fmt(hit.keywordScore)));
      results.append(li);
    }
    results.dataset.done = "true";
  } catch (e) {
    statusLine.textContent = "Request failed: " + e;
  }
});
