// The review page: shows the document the server sends, and sends each change back with the page's token.
"use strict";

const TOKEN = document.querySelector('meta[name="review-token"]').content;
const page = { doc: null, version: "", current: null, editing: null, busy: false, changedOnDisk: false };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const options = { method, headers: { "X-Review-Token": TOKEN }, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) {
    const error = new Error(data.error || `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

function esc(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Offsets from the server count code points; JavaScript strings count UTF-16 units.
function highlighted(text, spans, classOf, titleOf) {
  const chars = Array.from(text);
  let out = "";
  let at = 0;
  for (const span of spans) {
    if (span.start < at || span.end > chars.length) continue;
    out += esc(chars.slice(at, span.start).join(""));
    out += `<mark class="${classOf(span)}" title="${esc(titleOf(span))}">${esc(chars.slice(span.start, span.end).join(""))}</mark>`;
    at = span.end;
  }
  return out + esc(chars.slice(at).join(""));
}

const awaiting = (s) => s.state === "new" || s.state === "machine-translated";

function sourceHtml(s) {
  const what = { ok: "in the English", missing: "MISSING from the English", forbidden: "a FORBIDDEN rendering is in the English" };
  return highlighted(s.source, s.source_terms, (t) => `term term-${t.status}`,
    (t) => `glossary: ${t.source} = ${t.target} (${what[t.status]})`);
}

function targetHtml(s) {
  if (!s.target) return '<span class="empty">(no English yet)</span>';
  return highlighted(s.target, s.target_terms, (t) => (t.kind === "forbidden" ? "term term-forbidden" : "term term-ok"),
    (t) => (t.kind === "forbidden" ? `forbidden rendering of ${t.source}; write ${t.target}` : `glossary term ${t.source}`));
}

function list(title, items, render) {
  if (!items.length) return "";
  return `<div class="side-part"><h3>${esc(title)}</h3><ul>${items.map(render).join("")}</ul></div>`;
}

function segmentHtml(s) {
  const findings = list("QA", s.findings, (f) => `<li class="finding sev-${f.severity}"><b>${esc(f.severity)}</b> [${esc(f.check)}] ${esc(f.message)}</li>`);
  const matches = list("Memory matches", s.matches, (m, i) =>
    `<li class="match"><span class="score">${m.score}%</span> ${esc(m.target)} <small>${esc(m.origin || "memory")} · ${esc(m.source)}</small> <button type="button" class="use-match" data-match="${i}">use</button></li>`);
  const records = list("How the terms went in", s.records, (r) =>
    `<li class="record method-${esc(r.method)}"><b>${esc(r.source)}</b> → ${esc(r.target || "—")} <span class="method">${esc(r.method)}</span>${r.detail ? ` <small>${esc(r.detail)}</small>` : ""}</li>`);
  const comments = list("Comments", s.comments, (c) => `<li class="comment">${esc(c)}</li>`);
  const draft = s.draft ? `<div class="draft">drafted from a ${s.draft.score}% memory match (${esc(s.draft.origin || "memory")})</div>` : "";
  const approval = s.approval ? `<div class="approval">approved by ${esc(s.approval.who)} at ${esc(s.approval.when)}</div>` : "";
  return `
    <div class="num">${s.number}<span class="state state-${esc(s.state)}">${esc(s.state)}</span>${s.role === "table-cell" ? `<span class="where">${esc(s.where)}</span>` : ""}</div>
    <div class="source" lang="zh">${sourceHtml(s)}</div>
    <div class="target" lang="en">${targetHtml(s)}</div>
    <div class="side">${draft}${approval}${findings}${matches}${records}${comments}</div>
    <div class="actions">
      <button type="button" class="edit">Edit</button>
      <button type="button" class="review">Reviewed</button>
      <button type="button" class="approve">Approve</button>
      <input type="text" class="comment-text" placeholder="Reviewer comment" aria-label="Reviewer comment">
      <button type="button" class="add-comment">Comment</button>
      <span class="refusal" role="status"></span>
    </div>`;
}

function render() {
  // One string, parsed once: a 500-segment document draws in one layout pass.
  const parts = [];
  let key = null;
  for (const s of page.doc.segments) {
    // A table's cells make one group, each cell saying where it stands; any other block is its own group.
    const cell = s.role === "table-cell" && s.where.startsWith("table ");
    const group = cell ? s.where.split(",")[0] : `block ${s.block}`;
    if (group !== key) {
      if (key !== null) parts.push("</section>");
      parts.push(`<section class="block role-${esc(s.role)}"><h2>${esc(cell ? group : s.where)}</h2>`);
      key = group;
    }
    parts.push(`<div class="segment" id="seg-${esc(s.id)}" data-id="${esc(s.id)}" tabindex="-1">${segmentHtml(s)}</div>`);
  }
  if (key !== null) parts.push("</section>");
  const main = $("document");
  main.innerHTML = parts.join("");
  main.setAttribute("aria-busy", "false");
  applyFilters();
}

function segmentOf(id) { return page.doc.segments.find((s) => s.id === id); }

function rerender(s) {
  const index = page.doc.segments.findIndex((x) => x.id === s.id);
  page.doc.segments[index] = s;
  const div = $(`seg-${s.id}`);
  div.innerHTML = segmentHtml(s);
  if (page.editing === s.id) page.editing = null;
  applyFilters();
}

function fillFilters() {
  const state = $("filter-state");
  for (const name of page.doc.states) state.add(new Option(name, name));
  const severity = $("filter-severity");
  for (const name of page.doc.severities) severity.add(new Option(`QA ${name}`, name));
  const term = $("filter-term");
  for (const t of page.doc.terms) term.add(new Option(`${t.source} = ${t.target}`, t.source));
}

function matchesFilters(s) {
  const query = $("search").value.trim().toLowerCase();
  const state = $("filter-state").value;
  const severity = $("filter-severity").value;
  const term = $("filter-term").value;
  if (query && !s.source.toLowerCase().includes(query) && !s.target.toLowerCase().includes(query)) return false;
  if (state === "awaiting" ? !awaiting(s) : state && s.state !== state) return false;
  if (severity && !s.findings.some((f) => f.severity === severity)) return false;
  if (term && !s.source_terms.some((t) => t.source === term)) return false;
  return true;
}

function applyFilters() {
  let shown = 0;
  for (const s of page.doc.segments) {
    const visible = matchesFilters(s);
    $(`seg-${s.id}`).hidden = !visible;
    shown += visible;
  }
  for (const section of document.querySelectorAll("section.block")) {
    section.hidden = !section.querySelector(".segment:not([hidden])");
  }
  const waiting = page.doc.segments.filter(awaiting).length;
  const unapproved = page.doc.segments.filter((s) => s.state !== "approved").length;
  $("counter").textContent = `${waiting} awaiting review · ${unapproved} not approved · ${shown} of ${page.doc.segments.length} shown`;
  $("undo").disabled = !page.doc.undo;
}

function notice(text, reload) {
  $("notice-text").textContent = text;
  $("reload").hidden = !reload;
  $("notice").hidden = !text;
}

function select(id, focus = true) {
  if (page.current) $(`seg-${page.current}`)?.classList.remove("current");
  page.current = id;
  const div = $(`seg-${id}`);
  div.classList.add("current");
  if (focus) { div.focus({ preventScroll: true }); div.scrollIntoView({ block: "nearest" }); }
}

function visibleIds() {
  return page.doc.segments.filter((s) => !$(`seg-${s.id}`).hidden).map((s) => s.id);
}

function move(step) {
  const ids = visibleIds();
  if (!ids.length) return;
  const at = ids.indexOf(page.current);
  select(ids[Math.min(ids.length - 1, Math.max(0, at + step))]);
}

function nextAwaiting(after) {
  const ids = visibleIds();
  const at = ids.indexOf(after);
  const rest = [...ids.slice(at + 1), ...ids.slice(0, at + 1)];
  const next = rest.find((id) => awaiting(segmentOf(id)));
  if (next) select(next);
  else if (at + 1 < ids.length) select(ids[at + 1]);
}

function edit(id) {
  select(id, false);
  const s = segmentOf(id);
  const div = $(`seg-${id}`);
  const target = div.querySelector(".target");
  if (!target.querySelector("textarea")) {
    target.innerHTML = `<textarea rows="3" aria-label="English of segment ${s.number}"></textarea>`;
    target.querySelector("textarea").value = s.target;
  }
  page.editing = id;
  target.querySelector("textarea").focus();
}

function englishOf(id) {
  const area = $(`seg-${id}`).querySelector(".target textarea");
  return area ? area.value : segmentOf(id).target;
}

function refuse(id, error) {
  if (error.status === 409 && error.data && error.data.reload) {
    page.changedOnDisk = true;
    notice(error.message, true);
  }
  const where = id && $(`seg-${id}`) ? $(`seg-${id}`).querySelector(".refusal") : null;
  if (where) where.textContent = `Refused: ${error.message}`;
  else notice(error.message, false);
}

async function write(id, path, body) {
  if (page.busy) return null;
  page.busy = true;
  try {
    const answer = await api("POST", path, { ...body, version: page.version });
    page.version = answer.version;
    page.doc.undo = answer.undo;
    rerender(answer.segment);
    return answer.segment;
  } catch (error) {
    refuse(id, error);
    return null;
  } finally {
    page.busy = false;
  }
}

async function save(id, state, next) {
  const s = segmentOf(id);
  const saved = await write(id, `/api/segments/${encodeURIComponent(id)}`, { target: englishOf(id), state, base: s.base });
  if (saved && next) nextAwaiting(id);
  else if (saved) select(id);
}

async function comment(id) {
  const box = $(`seg-${id}`).querySelector(".comment-text");
  if (!box.value.trim()) return;
  await write(id, `/api/segments/${encodeURIComponent(id)}/comments`, { text: box.value });
}

async function undo() {
  if (page.busy) return;
  page.busy = true;
  try {
    const answer = await api("POST", "/api/undo", { version: page.version });
    page.version = answer.version;
    page.doc.undo = answer.undo;
    rerender(answer.segment);
    select(answer.segment.id);
    notice("", false);
  } catch (error) {
    refuse(null, error);
  } finally {
    page.busy = false;
  }
}

async function publishDraft() {
  const button = $("publish");
  button.disabled = true;
  try {
    const answer = await api("POST", "/api/publish", { version: page.version });
    const link = $("pdf-link");
    link.href = `${answer.url}?t=${Date.now()}`;
    link.textContent = `draft PDF (${new Date().toLocaleTimeString()})`;
    link.hidden = false;
    notice("", false);
  } catch (error) {
    refuse(null, error);
  } finally {
    button.disabled = false;
  }
}

async function load() {
  try {
    page.doc = await api("GET", "/api/document");
  } catch (error) {
    $("document").textContent = `Cannot load the document: ${error.message}`;
    return;
  }
  page.version = page.doc.version;
  page.changedOnDisk = false;
  $("title").textContent = page.doc.title ? `${page.doc.name} — ${page.doc.title}` : page.doc.name;
  if (page.doc.pdf) $("pdf-link").hidden = false;
  render();
  notice("", false);
  if (page.doc.segments.length) select(page.current && segmentOf(page.current) ? page.current : page.doc.segments[0].id, false);
}

async function watch() {
  if (page.busy || page.changedOnDisk || !page.version) return;
  try {
    const answer = await api("GET", "/api/version");
    if (answer.version !== page.version && !page.busy) {
      page.changedOnDisk = true;
      notice("The segment file was changed on disk by another tool. Reload to see it; nothing you saved is lost, and this page will not overwrite the file.", true);
    }
  } catch (error) { /* the server stopped: the next save says so */ }
}

function inTextBox(target) {
  return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement || target instanceof HTMLSelectElement;
}

document.addEventListener("click", (event) => {
  const div = event.target.closest(".segment");
  if (!div) return;
  const id = div.dataset.id;
  const button = event.target.closest("button");
  if (!button) {
    if (event.target.closest(".target") && page.editing !== id) edit(id);
    else if (page.current !== id) select(id, false);
    return;
  }
  if (button.classList.contains("edit")) edit(id);
  else if (button.classList.contains("review")) save(id, "reviewed", false);
  else if (button.classList.contains("approve")) save(id, "approved", false);
  else if (button.classList.contains("add-comment")) comment(id);
  else if (button.classList.contains("use-match")) {
    const match = segmentOf(id).matches[Number(button.dataset.match)];
    edit(id);
    $(`seg-${id}`).querySelector(".target textarea").value = match.target;
  }
});

document.addEventListener("keydown", (event) => {
  const id = page.current;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && id) {
    event.preventDefault();
    save(id, event.shiftKey ? "reviewed" : "approved", true);
    return;
  }
  if (event.key === "Escape" && inTextBox(event.target)) {
    event.target.blur();
    if (id) $(`seg-${id}`).focus();
    return;
  }
  if (inTextBox(event.target)) {
    if (event.key === "Enter" && event.target.classList.contains("comment-text")) comment(event.target.closest(".segment").dataset.id);
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") { event.preventDefault(); undo(); }
  else if (event.key === "ArrowDown" || event.key === "j") { event.preventDefault(); move(1); }
  else if (event.key === "ArrowUp" || event.key === "k") { event.preventDefault(); move(-1); }
  else if (event.key === "Enter" && id) { event.preventDefault(); edit(id); }
});

for (const id of ["search", "filter-state", "filter-severity", "filter-term"]) {
  $(id).addEventListener("input", applyFilters);
  $(id).addEventListener("change", applyFilters);
}
window.addEventListener("beforeunload", (event) => {
  // English typed but not saved: the browser asks before the page goes.
  const open = page.editing && $(`seg-${page.editing}`)?.querySelector(".target textarea");
  if (open && open.value !== segmentOf(page.editing).target) event.preventDefault();
});
$("undo").addEventListener("click", undo);
$("publish").addEventListener("click", publishDraft);
$("reload").addEventListener("click", load);
load().then(() => { if (page.doc) fillFilters(); });
setInterval(watch, 3000);
