// firstseen web front end: one page, hash routes, no dependencies.
//
// Rules this file keeps:
// - Data from the server or from files (titles, publishers, URLs, file names) only ever reaches
//   the page through textContent or attributes, never innerHTML, and is shown with dir="auto"
//   so right-to-left titles read correctly.
// - Every API call goes through api(), which adds the key and turns error bodies into Error.
// - Every date and clock time on the page is formatted by the `format` object.
'use strict';

(function () {
  const KEY_STORAGE = 'firstseen.apiKey';
  const BATCH_CONCURRENCY = 2;
  // The same list the command line uses when it walks a folder.
  const VIDEO_EXTENSIONS = ['3gp', 'avi', 'flv', 'm2ts', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg',
    'mts', 'ogv', 'ts', 'webm', 'wmv'];
  const CSV_COLUMNS = ['file', 'earliest_first_seen', 'source_url', 'footage_id', 'score',
    'segments', 'verdict', 'error', 'fact_checks', 'rating', 'review_url'];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------------------------------
  // Formatting: the one place that turns dates, clock times and numbers into text.

  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
    'September', 'October', 'November', 'December'];

  const format = {
    // Dates are shown in UTC: the server stores a bare day as midnight UTC, and showing it in
    // the reader's time zone would move it to the previous day west of Greenwich.
    parse(value) {
      if (value == null || value === '') return null;
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? null : date;
    },
    // "2020-11-10"
    isoDate(value) {
      const date = format.parse(value);
      return date ? date.toISOString().slice(0, 10) : String(value ?? '');
    },
    // "10 November 2020"
    dateWords(value) {
      const date = format.parse(value);
      if (!date) return String(value ?? '');
      return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
    },
    // "10 Nov 2020", for tight spaces such as the timeline
    dateShort(value) {
      const date = format.parse(value);
      if (!date) return String(value ?? '');
      return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()].slice(0, 3)} ${date.getUTCFullYear()}`;
    },
    // "10 November 2020, 14:03 UTC"
    dateTime(value) {
      const date = format.parse(value);
      if (!date) return String(value ?? '');
      const pad = (n) => String(n).padStart(2, '0');
      return `${format.dateWords(date)}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
    },
    // Timeline axis ticks: "2021" or "Mar 2021"
    axisLabel(ms, withMonth) {
      const date = new Date(ms);
      const year = date.getUTCFullYear();
      return withMonth ? `${MONTHS[date.getUTCMonth()].slice(0, 3)} ${year}` : String(year);
    },
    // Seconds as a player shows them: "0:06", "1:02:03". Rounds like the server does, so that
    // the page, the CLI and the summary sentence agree.
    clock(seconds) {
      const total = Math.floor((Math.round(Math.max(0, Number(seconds) || 0) * 1000) + 500) / 1000);
      const h = Math.floor(total / 3600);
      const m = Math.floor(total / 60) % 60;
      const s = String(total % 60).padStart(2, '0');
      return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
    },
    clockRange(start, end) {
      return `${format.clock(start)}–${format.clock(end)}`;
    },
    percent(score) {
      return `${Math.round((Number(score) || 0) * 100)}%`;
    },
    // Score in the batch table and CSV, as the command line writes it: "0.870"
    score(score) {
      return score == null ? '' : Number(score).toFixed(3);
    },
    speed(speed) {
      const value = Number(speed) || 1;
      return `${Number(value.toFixed(2))}× speed`;
    },
    bytes(size) {
      if (size < 1024) return `${size} bytes`;
      const units = ['KB', 'MB', 'GB', 'TB'];
      let value = size;
      let unit = -1;
      do { value /= 1024; unit += 1; } while (value >= 1024 && unit < units.length - 1);
      return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
    },
    plural(count, one, many) {
      return `${count} ${count === 1 ? one : many}`;
    },
  };

  // ---------------------------------------------------------------------------------------------
  // Small DOM helpers. el() sets text through textContent only.

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    for (const child of children.flat()) {
      if (child == null) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  // Text that came from the outside world: a title, publisher, source or file name.
  function userText(value, tag = 'span', className) {
    return el(tag, { dir: 'auto', class: className }, value == null ? '' : String(value));
  }

  // A link to a source, opened in a new tab without giving it access to this page. Anything
  // that is not http(s) is shown as plain text so that a stored "javascript:" URL cannot run.
  function sourceLink(url, label) {
    const text = label || url || '';
    if (!isWebUrl(url)) return userText(text, 'span', 'source');
    return el('a', { href: url, rel: 'noopener noreferrer', target: '_blank', dir: 'auto', class: 'source' }, text);
  }

  function isWebUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:';
    } catch {
      return false;
    }
  }

  function showError(node, message) {
    node.textContent = message;
    node.hidden = !message;
  }

  // A form's first problem, [field id, sentence]: said in the form's error box, the field
  // marked and focused. Returns whether there was one.
  function showProblem(errorBox, problem) {
    if (!problem) return false;
    showError(errorBox, problem[1]);
    const field = $(problem[0]);
    field.setAttribute('aria-invalid', 'true');
    field.closest('details')?.setAttribute('open', ''); // a folded field cannot be seen
    field.focus();
    return true;
  }

  function clearError(node) {
    showError(node, '');
  }

  // ---------------------------------------------------------------------------------------------
  // The API helper.

  function storedKey() {
    try { return localStorage.getItem(KEY_STORAGE) || ''; } catch { return ''; }
  }

  function authHeaders() {
    const key = storedKey();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  // The error the server put in {"error": "..."}, or a sentence of our own when there is none
  // (a proxy's HTML error page, an empty body).
  function apiError(status, bodyText) {
    let message = '';
    try { message = JSON.parse(bodyText).error || ''; } catch { /* not JSON */ }
    if (!message) {
      message = status === 413
        ? 'The file is larger than the server accepts.'
        : `The server could not answer (HTTP ${status}). Try again in a moment; if it keeps happening, tell whoever runs firstseen.`;
    }
    const error = new Error(message);
    error.status = status;
    if (status === 401) onUnauthorized(message);
    return error;
  }

  function networkError() {
    return new Error('Could not reach the firstseen server. Check your connection and try again.');
  }

  function abortError() {
    const error = new Error('Cancelled.');
    error.cancelled = true;
    return error;
  }

  /**
   * Calls the API and resolves with the parsed JSON (or a Blob with `as: 'blob'`).
   * options: method, body (FormData or object, sent as JSON), signal, as ('json' | 'blob'),
   * onUploadProgress(fraction) and onUploaded(): when either is given the request goes through
   * XMLHttpRequest, because fetch cannot report upload progress.
   */
  function api(path, options = {}) {
    const method = options.method || (options.body ? 'POST' : 'GET');
    const headers = { Accept: 'application/json', ...authHeaders() };
    let body = options.body;
    if (body && !(body instanceof FormData) && typeof body === 'object') {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    if (options.onUploadProgress || options.onUploaded) {
      return xhrRequest(method, path, headers, body, options);
    }
    return fetch(path, { method, headers, body, signal: options.signal })
      .catch((error) => { throw options.signal?.aborted ? abortError() : networkError(error); })
      .then(async (response) => {
        if (!response.ok) throw apiError(response.status, await response.text());
        return options.as === 'blob' ? response.blob() : response.json();
      });
  }

  function xhrRequest(method, path, headers, body, options) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, path);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable && options.onUploadProgress) options.onUploadProgress(event.loaded / event.total);
      });
      xhr.upload.addEventListener('load', () => options.onUploaded?.());
      xhr.addEventListener('load', () => {
        if (xhr.status < 200 || xhr.status >= 300) return reject(apiError(xhr.status, xhr.responseText));
        try { resolve(JSON.parse(xhr.responseText)); } catch { reject(new Error('The server sent an answer this page cannot read.')); }
      });
      xhr.addEventListener('error', () => reject(networkError()));
      xhr.addEventListener('abort', () => reject(abortError()));
      if (options.signal) {
        if (options.signal.aborted) return reject(abortError());
        options.signal.addEventListener('abort', () => xhr.abort(), { once: true });
      }
      xhr.send(body);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Key and session.

  const session = { anonymousLookups: false, caller: null, known: false };

  async function checkSession() {
    clearError($('app-error'));
    try {
      const answer = await api('/api/v1/session');
      session.known = true;
      session.anonymousLookups = Boolean(answer.anonymous_lookups);
      session.caller = answer.caller || null;
    } catch (error) {
      if (error.status !== 401) showError($('app-error'), error.message);
      return;
    }
    renderKeyStatus();
    if (session.caller) {
      hideKeyPanel();
    } else if (storedKey()) {
      // A key is stored but the server does not know it (revoked, or typed wrong).
      showKeyPanel('The server did not accept the stored key. Enter a valid key, or choose “Forget key”.');
    } else if (!session.anonymousLookups) {
      showKeyPanel('');
    }
    renderAddRoleNote();
    renderReviewAccess();
  }

  function renderKeyStatus() {
    const status = $('key-status');
    const hasKey = Boolean(storedKey());
    if (session.caller) {
      status.textContent = '';
      status.append('Signed in as ', userText(session.caller.name, 'strong'), ` (${session.caller.role})`);
    } else if (hasKey) {
      status.textContent = 'Key not accepted';
    } else if (session.anonymousLookups) {
      status.textContent = 'No key: checks only';
    } else {
      status.textContent = 'No key';
    }
    $('key-button').textContent = hasKey ? 'Change key' : 'Enter key';
    $('forget-key').hidden = !hasKey;
  }

  function showKeyPanel(message) {
    const panel = $('key-panel');
    panel.hidden = false;
    $('key-button').setAttribute('aria-expanded', 'true');
    showError($('key-error'), message || '');
    $('api-key').focus();
  }

  function hideKeyPanel() {
    $('key-panel').hidden = true;
    $('key-button').setAttribute('aria-expanded', 'false');
    clearError($('key-error'));
  }

  // Any 401 anywhere: the key is missing or no longer valid, so ask for it again.
  function onUnauthorized(message) {
    session.caller = null;
    renderKeyStatus();
    renderReviewAccess();
    showKeyPanel(message);
  }

  async function saveKey(event) {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) {
      showError($('key-error'), 'Paste your key into the box first.');
      $('api-key').focus();
      return;
    }
    try { localStorage.setItem(KEY_STORAGE, key); } catch {
      showError($('key-error'), 'This browser does not allow the page to remember the key (private mode?).');
      return;
    }
    $('api-key').value = '';
    await checkSession();
    if (session.caller && currentRoute().name === 'footage') route(false);
  }

  function forgetKey() {
    try { localStorage.removeItem(KEY_STORAGE); } catch { /* nothing stored */ }
    session.caller = null;
    renderKeyStatus();
    checkSession();
  }

  function renderAddRoleNote() {
    const note = $('add-role-note');
    const role = session.caller?.role;
    if (role === 'contributor' || role === 'admin') {
      note.hidden = true;
    } else {
      note.hidden = false;
      note.textContent = role
        ? `Your key has the “${role}” role, which can check videos but not add footage. Ask an admin for a contributor key.`
        : 'Adding footage needs a contributor key. Enter one with the key button at the top of the page.';
    }
  }

  function setupKeyControls() {
    $('key-form').addEventListener('submit', saveKey);
    $('key-button').addEventListener('click', () => {
      if ($('key-panel').hidden) showKeyPanel(''); else hideKeyPanel();
    });
    $('close-key').addEventListener('click', () => { hideKeyPanel(); $('key-button').focus(); });
    $('forget-key').addEventListener('click', forgetKey);
  }

  // ---------------------------------------------------------------------------------------------
  // Routing.

  const TITLES = { check: 'Check a video', batch: 'Check many videos', add: 'Add footage', footage: 'Footage' };

  function currentRoute() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const footage = hash.match(/^\/footage\/(\d+)\/?$/);
    if (footage) return { name: 'footage', id: footage[1] };
    if (hash === '/batch') return { name: 'batch' };
    if (hash === '/add') return { name: 'add' };
    return { name: 'check' };
  }

  function route(moveFocus) {
    const current = currentRoute();
    for (const view of document.querySelectorAll('.view')) view.hidden = view.dataset.view !== current.name;
    for (const link of document.querySelectorAll('.site-nav a')) {
      if (link.dataset.route === current.name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${TITLES[current.name]} · firstseen`;
    if (current.name === 'footage') loadFootage(current.id);
    // After a click on a link, move focus to the new heading so keyboard and screen-reader
    // users start at the top of the new page rather than on a link that is now hidden.
    if (moveFocus) $(`${current.name}-heading`).focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Check a video.

  const check = { file: null, controller: null, objectUrls: [] };

  function setupCheck() {
    const zone = $('drop-zone');
    const input = $('video');
    zone.addEventListener('click', () => input.click());
    zone.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        input.click();
      }
    });
    input.addEventListener('click', (event) => event.stopPropagation());
    input.addEventListener('change', () => chooseVideo(input.files[0] || null));

    zone.addEventListener('dragenter', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
    zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
    zone.addEventListener('dragleave', (event) => {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove('dragging');
    });
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      event.stopPropagation();
      zone.classList.remove('dragging');
      takeDroppedFile(event.dataTransfer);
    });

    // A file dropped beside the zone would otherwise make the browser open the video and leave
    // the page. On the Check page treat it as dropped on the zone; elsewhere just ignore it.
    // File inputs keep their own drop behaviour.
    const onFileInput = (event) => event.target instanceof HTMLInputElement && event.target.type === 'file';
    window.addEventListener('dragover', (event) => { if (!onFileInput(event)) event.preventDefault(); });
    window.addEventListener('drop', (event) => {
      if (onFileInput(event)) return;
      event.preventDefault();
      if (currentRoute().name === 'check') takeDroppedFile(event.dataTransfer);
    });

    $('check-form').addEventListener('submit', (event) => { event.preventDefault(); runCheck(); });
    $('cancel-check').addEventListener('click', () => check.controller?.abort());
  }

  function takeDroppedFile(transfer) {
    const file = transfer?.files?.[0];
    if (!file) return;
    try { $('video').files = transfer.files; } catch { /* older browsers: keep our own reference */ }
    chooseVideo(file);
    $('check').focus();
  }

  function chooseVideo(file) {
    check.file = file;
    $('drop-zone-file').textContent = file
      ? `Chosen: ${file.name} (${format.bytes(file.size)})`
      : 'No file chosen yet.';
    $('drop-zone-file').setAttribute('dir', 'auto');
    $('drop-zone').classList.toggle('has-file', Boolean(file));
    if (file) clearError($('check-error'));
  }

  async function runCheck() {
    const errorBox = $('check-error');
    clearError(errorBox);
    if (!check.file && $('video').files[0]) chooseVideo($('video').files[0]);
    if (!check.file) {
      showError(errorBox, 'Choose a video file first: drop it on the box above or press it to pick one.');
      $('drop-zone').focus();
      return;
    }
    const form = new FormData();
    form.append('video', check.file, check.file.name);
    const claimed = $('claimed-date').value;
    if (claimed) form.append('claimed_date', claimed);

    clearReport();
    setChecking(true);
    check.controller = new AbortController();
    try {
      const report = await api('/api/v1/lookup', {
        body: form,
        signal: check.controller.signal,
        onUploadProgress: (fraction) => showUploadProgress(fraction),
        onUploaded: () => showDecoding(),
      });
      renderReport(report);
    } catch (error) {
      showError(errorBox, error.cancelled ? 'The check was cancelled.' : error.message);
    } finally {
      check.controller = null;
      setChecking(false);
    }
  }

  function setChecking(busy) {
    $('check').disabled = busy;
    $('cancel-check').hidden = !busy;
    $('check-progress').hidden = !busy;
    if (busy) showUploadProgress(0);
  }

  function showUploadProgress(fraction) {
    const bar = $('upload-progress');
    bar.max = 100;
    bar.value = Math.round(fraction * 100);
    $('check-status').textContent = `Uploading… ${Math.round(fraction * 100)}%`;
  }

  function showDecoding() {
    // An indeterminate bar: the server does not say how far along the decoding is.
    $('upload-progress').removeAttribute('value');
    $('check-status').textContent = 'Checking… the server is decoding the video and comparing it with the archive. Long videos take a while.';
  }

  function clearReport() {
    for (const url of check.objectUrls) URL.revokeObjectURL(url);
    check.objectUrls = [];
    $('report').textContent = '';
  }

  // --- The report ------------------------------------------------------------------------------

  const VERDICT_LABELS = {
    predates_claim: 'Older than claimed',
    consistent_with_claim: 'Consistent with the claimed date',
    no_known_footage: 'No known footage',
    no_claim: 'Earliest known appearance',
  };

  function renderReport(report) {
    const container = $('report');
    const matches = [...(report.matches || [])];
    container.append(verdictBlock(report));
    if ((report.fact_checks || []).length) container.append(factCheckBlock(report.fact_checks));
    if (report.verdict === 'no_known_footage' || matches.length === 0) {
      container.append(noMatchBlock(report.query || {}, report.summary || ''));
      return;
    }
    if (matches.some((m) => (m.sightings || []).length)) container.append(timelineBlock(report, matches));
    container.append(el('h2', { class: 'section-heading' },
      matches.length === 1 ? 'The matching footage' : `The ${matches.length} matching footage items`));
    for (const match of matches) container.append(matchCard(match));
    $('verdict').focus();
  }

  function verdictBlock(report) {
    const verdict = report.verdict || 'no_claim';
    const block = el('section', { class: `verdict-block verdict-${verdict}`, 'aria-labelledby': 'verdict-label' },
      el('p', { id: 'verdict-label', class: 'verdict-label' }, VERDICT_LABELS[verdict] || 'Result'));
    const sentence = el('p', { id: 'verdict', class: 'verdict', dir: 'auto', tabindex: '-1' });
    appendWithDateWords(sentence, report.summary || '');
    const copy = el('button', { type: 'button', id: 'copy-verdict', class: 'secondary' }, 'Copy');
    const copied = el('span', { class: 'copy-status', role: 'status' });
    copy.addEventListener('click', () => copyText(sentence.textContent, copied));
    block.append(sentence, el('div', { class: 'verdict-actions' }, copy, copied), keyFacts(report));
    return block;
  }

  // Writes the summary, adding the date in words after each ISO date in it:
  // "2020-11-10" becomes "2020-11-10 (10 November 2020)", so the sentence can be quoted as is.
  // Only dates standing as words count, not digits inside a URL such as /2020-11-10/.
  function appendWithDateWords(node, text) {
    const pattern = /(^|[\s(])(\d{4}-\d{2}-\d{2})(?=$|[\s.,;:)])/g;
    let last = 0;
    for (const found of text.matchAll(pattern)) {
      const iso = found[2];
      const end = found.index + found[1].length + iso.length;
      node.append(text.slice(last, end));
      if (format.parse(iso)) node.append(el('span', { class: 'date-words' }, ` (${format.dateWords(iso)})`));
      last = end;
    }
    node.append(text.slice(last));
  }

  function keyFacts(report) {
    const facts = el('dl', { class: 'key-facts' });
    const add = (term, ...value) => facts.append(el('div', null, el('dt', null, term), el('dd', null, ...value)));
    if (report.earliest) {
      add('First seen', dateBoth(report.earliest.first_seen));
      add('Where', sourceLink(report.earliest.source_url));
      if (report.earliest.title) add('Title', userText(report.earliest.title));
      if (report.earliest.publisher) add('Publisher', userText(report.earliest.publisher));
    }
    if (report.claimed_date) add('Claimed date', dateBoth(report.claimed_date));
    if (report.days_before_claim != null) {
      add('Difference', `${format.plural(report.days_before_claim, 'day', 'days')} before the claimed date`);
    }
    return facts.childElementCount ? facts : null;
  }

  function dateBoth(value) {
    return el('span', null,
      el('time', { datetime: format.isoDate(value) }, format.dateWords(value)),
      el('span', { class: 'iso' }, ` (${format.isoDate(value)})`));
  }

  async function copyText(text, statusNode) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = copyWithSelection(text);
    }
    statusNode.textContent = ok ? 'Copied.' : 'Could not copy: select the sentence and copy it by hand.';
    setTimeout(() => { statusNode.textContent = ''; }, 4000);
  }

  // Clipboard API is missing on plain-http pages other than localhost; fall back to the old way.
  function copyWithSelection(text) {
    const area = el('textarea', { readonly: true, class: 'offscreen', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }

  function noMatchBlock(query, summary) {
    const informative = query.informative_keyframes ?? 0;
    const keyframes = query.keyframes ?? 0;
    const sentence = 'No known footage matches this video.';
    // Say it once: the verdict above usually already is this sentence.
    const saidAlready = summary.toLowerCase().includes(sentence.toLowerCase());
    const block = el('section', { class: 'no-match card' },
      el('h2', null, saidAlready ? 'What was looked at' : sentence),
      el('p', null, 'firstseen looked at ',
        el('span', { class: 'query-duration' }, `${format.clock(query.duration)} of video (duration)`), ': ',
        el('span', { class: 'query-keyframes' }, format.plural(keyframes, 'keyframe', 'keyframes')), ', of which ',
        el('span', { class: 'query-informative' }, `${informative} informative keyframes`),
        ' (with enough detail to be indexed).'),
      el('p', null, 'This does not show that the footage is new, only that this archive has not seen it. Try a reverse image search of a few frames as well.'));
    if (keyframes > 0 && informative < keyframes / 2) {
      block.append(el('p', { class: 'note' }, 'Many frames were plain (dark, blank, blurred or text only): they were searched too, but can only meet footage that was indexed with more detail. A longer or sharper copy of the video may give a better answer.'));
    }
    return block;
  }

  // --- Fact-checks -----------------------------------------------------------------------------

  // A published fact-check already covers this footage: say so before anything else, so that
  // the desk does not redo the work (or contradict it without knowing).
  function factCheckBlock(factChecks) {
    const block = el('section', { class: 'fact-checks', 'aria-labelledby': 'fact-checks-heading' },
      el('h2', { id: 'fact-checks-heading' }, factChecks.length === 1 ? 'Already fact-checked' : `Already fact-checked ${factChecks.length} times`));
    const list = el('ul', { class: 'review-list' });
    for (const factCheck of factChecks) list.append(reviewItem(factCheck, factCheck.footage_id));
    block.append(list);
    return block;
  }

  // One fact-check: the rating first, then who published it when, the claim, and the article.
  function reviewItem(review, footageId) {
    const retraction = review.retraction;
    const reviewer = isWebUrl(review.reviewer_url) ? sourceLink(review.reviewer_url, review.reviewer) : userText(review.reviewer, 'strong');
    const claimBy = [review.claimant ? userText(review.claimant) : null,
      review.claim_date ? el('span', null, ` on ${format.dateWords(review.claim_date)}`) : null];
    const item = el('li', { class: retraction ? 'review retracted' : 'review', 'data-review-url': review.url },
      el('p', { class: 'review-head' },
        el('span', { class: 'rating' }, userText(review.rating)),
        ' ', reviewer, ` · ${format.dateWords(review.published)}`,
        footageId != null ? el('span', { class: 'review-footage' }, ` · footage ${footageId}`) : null),
      el('p', { class: 'review-claim', dir: 'auto' }, 'Claim: “', userText(review.claim), '”',
        review.claimant || review.claim_date ? el('span', { class: 'review-claimant' }, ' — ', ...claimBy) : null,
        isWebUrl(review.claim_url) ? el('span', null, ' · ', sourceLink(review.claim_url, 'where it was made')) : null),
      el('p', { class: 'review-article' }, sourceLink(review.url, review.url)),
      // Who put it in this archive: anyone with a contributor key can name any fact-checker.
      el('p', { class: 'review-recorded' }, 'recorded by ', userText(review.recorded_by || 'an unnamed key'),
        review.recorded_at ? ` on ${format.dateWords(review.recorded_at)}` : '',
        review.imported_by ? el('span', null, ', imported by ', userText(review.imported_by)) : null));
    if (retraction) {
      item.append(el('p', { class: 'retraction-note' },
        'retracted by ', userText(retraction.retracted_by), ` on ${format.dateWords(retraction.retracted_at)}: `,
        userText(retraction.reason)));
    }
    return item;
  }

  // --- Timeline --------------------------------------------------------------------------------

  function timelineBlock(report, matches) {
    const figure = el('figure', { class: 'timeline-figure card' },
      el('figcaption', null, el('h2', null, 'Timeline of sightings')));
    const holder = el('div', { class: 'timeline-holder' });
    figure.append(holder, timelineLegend(Boolean(report.claimed_date)));
    const draw = () => {
      holder.textContent = '';
      holder.append(timelineSvg(report, matches, Math.max(300, holder.clientWidth || 800)));
    };
    // Draw at the real width so the labels stay readable on a phone; redraw when it changes.
    // The observer also reports the first size, as soon as the figure is on the page.
    let lastWidth = -100;
    const observer = new ResizeObserver(() => {
      if (!holder.isConnected) return observer.disconnect();
      if (Math.abs(holder.clientWidth - lastWidth) > 8) { lastWidth = holder.clientWidth; draw(); }
    });
    observer.observe(holder);
    return figure;
  }

  function timelineLegend(withClaim) {
    return el('p', { class: 'timeline-legend' },
      el('span', { class: 'legend-item' }, el('span', { class: 'legend-dot' }), 'sighting'),
      el('span', { class: 'legend-item' }, el('span', { class: 'legend-dot earliest' }), 'earliest known'),
      withClaim ? el('span', { class: 'legend-item' }, el('span', { class: 'legend-line' }), 'claimed date') : null);
  }

  // Every sighting of every matched footage, earliest first, with the one the report calls
  // earliest flagged.
  function allSightings(report, matches) {
    const points = [];
    for (const match of matches) {
      for (const sighting of match.sightings || []) {
        const date = format.parse(sighting.first_seen);
        if (date) points.push({ ...sighting, footage_id: match.footage_id, time: date.getTime() });
      }
    }
    points.sort((a, b) => a.time - b.time);
    if (points.length) {
      const e = report.earliest;
      const flagged = e && points.find((p) => p.footage_id === e.footage_id && p.source_url === e.source_url
        && format.isoDate(p.first_seen) === format.isoDate(e.first_seen));
      (flagged || points[0]).earliest = true;
    }
    return points;
  }

  function timelineSvg(report, matches, width) {
    const points = allSightings(report, matches);
    const claimed = format.parse(report.claimed_date);
    const times = points.map((p) => p.time).concat(claimed ? [claimed.getTime()] : []);
    const DAY = 86400000;
    let min = Math.min(...times);
    let max = Math.max(...times);
    if (max - min < 60 * DAY) { min -= 30 * DAY; max += 30 * DAY; }
    const pad = (max - min) * 0.06;
    min -= pad; max += pad;

    const left = 16, right = width - 16, axisY = 92, baseY = 76, height = 124;
    const x = (t) => left + ((t - min) / (max - min)) * (right - left);

    const root = svg('svg', {
      id: 'timeline', class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': timelineDescription(points, claimed),
    });
    root.append(svg('line', { class: 'axis', x1: left, x2: right, y1: axisY, y2: axisY }));
    for (const tick of axisTicks(min, max, right - left)) {
      root.append(svg('line', { class: 'tick', x1: x(tick.time), x2: x(tick.time), y1: axisY, y2: axisY + 5 }));
      root.append(svg('text', { class: 'tick-label', x: x(tick.time), y: axisY + 20, 'text-anchor': 'middle' }, tick.label));
    }

    if (claimed) {
      const cx = x(claimed.getTime());
      root.append(svg('g', { class: 'claimed-group' },
        svg('line', { class: 'claimed', x1: cx, x2: cx, y1: 20, y2: axisY },
          svg('title', null, `Claimed date: ${format.dateWords(claimed)}`)),
        svg('text', { class: 'claimed-label', x: cx, y: 13, 'text-anchor': anchorFor(cx, left, right) }, 'claimed')));
    }

    // Sightings on the same few pixels are stacked upwards instead of hiding each other.
    const stacks = [];
    let earliestTop = null;
    for (const point of points) {
      const cx = x(point.time);
      let level = 0;
      while (stacks.some((s) => s.level === level && Math.abs(s.x - cx) < 12)) level += 1;
      stacks.push({ x: cx, level });
      const cy = baseY - Math.min(level, 3) * 13;
      const tip = [format.dateWords(point.first_seen), point.source_url, point.title].filter(Boolean).join(' — ');
      root.append(svg('circle', {
        class: point.earliest ? 'sighting earliest' : 'sighting', cx, cy, r: point.earliest ? 7 : 5,
        'data-footage-id': point.footage_id,
      }, svg('title', null, point.earliest ? `Earliest known: ${tip}` : tip)));
      if (point.earliest) earliestTop = { cx, cy };
    }
    if (earliestTop) {
      const { cx, cy } = earliestTop;
      const label = `first seen ${format.dateShort(points.find((p) => p.earliest).first_seen)}`;
      root.append(svg('text', { class: 'earliest-label', x: cx, y: Math.min(cy - 13, 40), 'text-anchor': anchorFor(cx, left, right) }, label));
    }
    return root;
  }

  // Labels near an edge grow inwards so they are not cut off.
  function anchorFor(cx, left, right) {
    if (cx - left < 70) return 'start';
    if (right - cx < 70) return 'end';
    return 'middle';
  }

  // Year ticks for long spans, month ticks for short ones; no more than fit in `width` pixels,
  // so that the labels do not run into each other on a narrow screen.
  function axisTicks(min, max, width) {
    const months = (max - min) / (30.44 * 86400000);
    const steps = [1, 2, 3, 6, 12, 24, 60, 120];
    const fits = (s) => months / s <= Math.min(8, width / (s >= 12 ? 55 : 85));
    const step = steps.find(fits) || 120;
    const start = new Date(min);
    let year = start.getUTCFullYear();
    let month = start.getUTCMonth() + 1;
    if (step >= 12) { year += 1; month = 0; year = Math.ceil(year / (step / 12)) * (step / 12); }
    else month = Math.ceil(month / step) * step;
    const ticks = [];
    for (let t = Date.UTC(year, month, 1); t <= max; t = Date.UTC(year, month, 1)) {
      if (t >= min) ticks.push({ time: t, label: format.axisLabel(t, step < 12) });
      month += step;
    }
    return ticks;
  }

  function timelineDescription(points, claimed) {
    const parts = [`Timeline of ${format.plural(points.length, 'sighting', 'sightings')}`];
    const earliest = points.find((p) => p.earliest);
    if (earliest) parts.push(`earliest ${format.dateWords(earliest.first_seen)}`);
    if (claimed) parts.push(`claimed date ${format.dateWords(claimed)}`);
    return parts.join(', ');
  }

  // --- Match cards -----------------------------------------------------------------------------

  function matchCard(match) {
    const sightings = [...(match.sightings || [])].sort(byFirstSeen);
    const card = el('article', { class: 'match card', 'data-footage-id': match.footage_id });
    card.append(
      el('header', { class: 'match-header' },
        el('h3', null, `Footage ${match.footage_id}`, match.title ? ': ' : '', match.title ? userText(match.title) : null),
        el('span', { class: 'score', title: 'How closely the frames match' }, `${format.percent(match.score)} match`)),
      el('p', { class: 'segment' },
        `this video ${format.clockRange(match.query_start, match.query_end)} ↔ footage ${format.clockRange(match.reference_start, match.reference_end)}`),
      el('ul', { class: 'match-facts' },
        el('li', { class: 'speed' }, format.speed(match.speed)),
        match.mirrored ? el('li', { class: 'mirrored' }, 'mirrored') : null,
        match.turned_degrees ? el('li', { class: 'mirrored' }, match.turned_degrees === 180 ? 'upside down' : `turned ${match.turned_degrees}°`) : null,
        match.tilted ? el('li', { class: 'mirrored' }, `tilted a few degrees ${match.tilted}`) : null,
        match.cropped ? el('li', { class: 'mirrored' }, 'cropped off-centre') : null,
        match.matched_keyframes != null ? el('li', null, format.plural(match.matched_keyframes, 'matching keyframe', 'matching keyframes')) : null,
        match.traced_through_footage_id ? el('li', { class: 'traced' }, 'found through ',
          el('a', { href: `#/footage/${encodeURIComponent(match.traced_through_footage_id)}` }, `footage ${match.traced_through_footage_id}`),
          ', another upload that shows it') : null,
        el('li', null, 'first seen ', dateBoth(match.first_seen))),
      el('p', null, el('a', { href: `#/footage/${encodeURIComponent(match.footage_id)}`, class: 'footage-link' },
        `All sightings of footage ${match.footage_id}`)),
      el('h4', null, 'Where it was seen, earliest first'),
      sightingList(sightings),
      evidenceSection(match));
    return card;
  }

  function byFirstSeen(a, b) {
    return (format.parse(a.first_seen)?.getTime() ?? 0) - (format.parse(b.first_seen)?.getTime() ?? 0);
  }

  function sightingList(sightings) {
    const list = el('ol', { class: 'sightings' });
    for (const sighting of sightings) {
      list.append(el('li', { class: 'sighting-item' },
        el('span', { class: 'sighting-date' }, dateBoth(sighting.first_seen)), ' ',
        sourceLink(sighting.source_url),
        sighting.title ? el('span', { class: 'sighting-title' }, ' · ', userText(sighting.title)) : null,
        sighting.publisher ? el('span', { class: 'sighting-publisher' }, ' · ', userText(sighting.publisher)) : null));
    }
    if (!sightings.length) list.append(el('li', null, 'No sightings recorded.'));
    return list;
  }

  function evidenceSection(match) {
    const evidence = match.evidence || [];
    if (!evidence.length) return null;
    const section = el('div', { class: 'evidence-section' }, el('h4', null, 'Matching frames'));
    if (evidence.some((item) => !item.reference_image)) {
      section.append(el('p', { class: 'no-pictures note' },
        'No pictures were stored for this footage (it was ingested as fingerprints only)'));
    }
    const grid = el('div', { class: 'evidence-list' });
    for (const item of evidence) grid.append(evidencePair(item, match.footage_id));
    section.append(grid);
    return section;
  }

  function evidencePair(item, footageId) {
    const queryTime = format.clock(item.query_time);
    const referenceTime = format.clock(item.reference_time);
    const queryImage = el('img', {
      class: 'evidence-query', alt: `Frame of this video at ${queryTime}`, loading: 'lazy', decoding: 'async',
    });
    // Only pictures the server embedded; anything else is ignored rather than loaded.
    if (typeof item.query_image === 'string' && item.query_image.startsWith('data:image/')) queryImage.src = item.query_image;

    let reference;
    if (item.reference_image) {
      reference = el('img', {
        class: 'evidence-reference', alt: `Frame of footage ${footageId} at ${referenceTime}`, decoding: 'async',
      });
      loadReferenceImage(reference, item.reference_image);
    } else {
      reference = el('div', { class: 'evidence-missing' }, 'No picture stored');
    }
    return el('figure', { class: 'evidence' },
      el('div', { class: 'evidence-pair' },
        el('div', { class: 'evidence-side' }, el('span', { class: 'evidence-tag' }, 'This video'), queryImage),
        el('div', { class: 'evidence-side' }, el('span', { class: 'evidence-tag' }, `Footage ${footageId}`), reference)),
      el('figcaption', null, `This video at ${queryTime} ↔ footage at ${referenceTime}`));
  }

  // Reference frames need the key, which an <img src> cannot send: fetch them and show a blob.
  // Only paths on this server are fetched, so the key is never sent anywhere else.
  async function loadReferenceImage(img, path) {
    if (typeof path !== 'string' || !path.startsWith('/api/')) {
      img.alt = 'The picture is not on this server and was not loaded.';
      return;
    }
    img.classList.add('loading');
    try {
      const blob = await api(path, { as: 'blob' });
      const url = URL.createObjectURL(blob);
      check.objectUrls.push(url);
      img.src = url;
    } catch (error) {
      img.alt = `The picture could not be loaded: ${error.message}`;
      img.classList.add('failed');
    } finally {
      img.classList.remove('loading');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Batch.

  const batch = { files: [], rows: [], running: false };

  function setupBatch() {
    $('batch-folder').addEventListener('change', updateBatchSelection);
    $('batch-files').addEventListener('change', updateBatchSelection);
    $('batch-form').addEventListener('submit', (event) => { event.preventDefault(); runBatch(); });
    $('batch-csv').addEventListener('click', downloadCsv);
  }

  function fileLabel(file) {
    return file.webkitRelativePath || file.name;
  }

  // A folder holds more than videos; keep what looks like one (same rule as the command line).
  function isVideo(file) {
    if (file.type && file.type.startsWith('video/')) return true;
    const extension = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : '';
    return VIDEO_EXTENSIONS.includes(extension);
  }

  function selectedBatchFiles() {
    const folder = [...$('batch-folder').files].filter(isVideo);
    const files = [...$('batch-files').files];
    return folder.concat(files);
  }

  function updateBatchSelection() {
    const files = selectedBatchFiles();
    const folder = [...$('batch-folder').files];
    const skipped = folder.length - folder.filter(isVideo).length;
    let text = files.length ? `${format.plural(files.length, 'video', 'videos')} chosen.` : 'No files chosen yet.';
    if (skipped > 0) text += ` ${format.plural(skipped, 'file in the folder is', 'files in the folder are')} not a video and will be skipped.`;
    $('batch-selection').textContent = text;
  }

  async function runBatch() {
    if (batch.running) return;
    const errorBox = $('batch-error');
    clearError(errorBox);
    const files = selectedBatchFiles();
    if (!files.length) {
      showError(errorBox, 'Choose a folder or some video files first.');
      $('batch-folder').focus();
      return;
    }
    batch.files = files;
    batch.rows = [];
    batch.running = true;
    $('batch-results').tBodies[0].textContent = '';
    $('batch-start').disabled = true;
    $('batch-csv').disabled = true;
    $('batch-progress-block').hidden = false;
    const claimed = $('batch-claimed-date').value;
    const state = { next: 0, done: 0, active: new Map() };
    updateBatchStatus(state);

    // A fixed number of workers each take the next file until none are left.
    const worker = async () => {
      while (state.next < files.length) {
        const index = state.next++;
        state.active.set(index, 0);
        updateBatchStatus(state);
        const row = await batchLookup(files[index], claimed, (fraction) => {
          state.active.set(index, fraction);
          updateBatchStatus(state);
        });
        state.active.delete(index);
        state.done += 1;
        addBatchRow(index, row);
        updateBatchStatus(state);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, files.length) }, worker));

    batch.running = false;
    $('batch-start').disabled = false;
    updateBatchStatus(state, true);
  }

  async function batchLookup(file, claimed, onProgress) {
    const form = new FormData();
    form.append('video', file, file.name);
    if (claimed) form.append('claimed_date', claimed);
    try {
      const report = await api('/api/v1/lookup', { body: form, onUploadProgress: onProgress, onUploaded: () => onProgress(1) });
      return rowFromReport(fileLabel(file), report);
    } catch (error) {
      return rowFromError(fileLabel(file), error.message);
    }
  }

  // The same fields, in the same order and format, as `firstseen lookup --out results.csv`.
  function rowFromReport(file, report) {
    const earliest = report.earliest || null;
    const matches = report.matches || [];
    const earliestMatch = earliest ? matches.find((m) => m.footage_id === earliest.footage_id) : null;
    const factChecks = report.fact_checks || [];
    return {
      file,
      earliest_first_seen: earliest ? earliest.first_seen : '',
      source_url: earliest ? earliest.source_url : '',
      footage_id: earliest ? String(earliest.footage_id) : '',
      score: earliestMatch ? format.score(earliestMatch.score) : '',
      segments: matches.map((m) => `${format.clockRange(m.query_start, m.query_end)} → footage ${m.footage_id} ${format.clockRange(m.reference_start, m.reference_end)}`).join('; '),
      verdict: report.verdict || '',
      error: '',
      fact_checks: factChecks.map((f) => f.sentence).join('; '),
      rating: factChecks.length ? factChecks[0].rating : '',
      review_url: factChecks.length ? factChecks[0].url : '',
    };
  }

  function rowFromError(file, message) {
    return { file, earliest_first_seen: '', source_url: '', footage_id: '', score: '', segments: '', verdict: 'error', error: message,
      fact_checks: '', rating: '', review_url: '' };
  }

  // Rows are inserted in the order of the chosen files, whichever finishes first.
  function addBatchRow(index, row) {
    batch.rows[index] = row;
    const tr = el('tr', { class: row.verdict === 'error' ? 'row row-error' : 'row', 'data-index': index });
    for (const column of CSV_COLUMNS) {
      const td = el('td', { class: `col-${column}`, 'data-column': column });
      if (column === 'source_url' && row.source_url) td.append(sourceLink(row.source_url));
      else if (column === 'segments' && row.segments) td.append(...segmentItems(row.segments));
      else if (column === 'footage_id' && row.footage_id) td.append(el('a', { href: `#/footage/${row.footage_id}` }, row.footage_id));
      else if (column === 'earliest_first_seen' && row.earliest_first_seen) {
        td.append(el('time', { datetime: row.earliest_first_seen, title: format.dateWords(row.earliest_first_seen) }, row.earliest_first_seen));
      } else td.append(userText(row[column]));
      tr.append(td);
    }
    const body = $('batch-results').tBodies[0];
    const after = [...body.rows].find((r) => Number(r.dataset.index) > index);
    body.insertBefore(tr, after || null);
    $('batch-csv').disabled = false;
  }

  // Each segment kept on one line; the cell's text stays exactly the CSV value.
  function segmentItems(segments) {
    const parts = [];
    const list = segments.split('; ');
    list.forEach((segment, i) => {
      const last = i === list.length - 1;
      parts.push(el('span', { class: 'segment-item' }, last ? segment : `${segment};`));
      if (!last) parts.push(' ');
    });
    return parts;
  }

  function updateBatchStatus(state, finished) {
    const total = batch.files.length;
    const bar = $('batch-progress');
    const partial = [...state.active.values()].reduce((sum, f) => sum + f * 0.5, 0);
    bar.max = total;
    bar.value = state.done + partial;
    const failed = batch.rows.filter((r) => r && r.verdict === 'error').length;
    const matched = batch.rows.filter((r) => r && r.footage_id).length;
    const status = $('batch-status');
    if (finished) {
      let text = `Done: ${format.plural(total, 'video', 'videos')} checked, ${matched} matched known footage.`;
      if (failed) text += ` ${format.plural(failed, 'video', 'videos')} could not be checked (see the Error column).`;
      status.textContent = text;
    } else {
      status.textContent = `${state.done} of ${total} done${state.active.size ? `, ${state.active.size} in progress` : ''}…`;
    }
  }

  // RFC 4180: fields with a comma, quote or line break are quoted, quotes are doubled, lines end in CRLF.
  // A cell that starts like a formula gets a leading ' (as `lookup --out` writes it), so that a
  // spreadsheet shows contributed text such as "=HYPERLINK(…)" rather than running it.
  function csvField(value) {
    let text = value == null ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function toCsv(rows) {
    const lines = [CSV_COLUMNS.join(',')];
    for (const row of rows) if (row) lines.push(CSV_COLUMNS.map((c) => csvField(row[c])).join(','));
    return `${lines.join('\r\n')}\r\n`;
  }

  function downloadCsv() {
    const blob = new Blob([toCsv(batch.rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: 'firstseen-results.csv', class: 'offscreen' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------------------------------------
  // Add footage.

  function setupAdd() {
    $('add-form').addEventListener('submit', (event) => { event.preventDefault(); runIngest(); });
  }

  function ingestProblem() {
    if (!$('add-video').files[0]) return ['add-video', 'Choose the video file to add.'];
    if (!$('add-first-seen').value) return ['add-first-seen', 'Enter the date this copy was first seen.'];
    const url = $('add-source-url').value.trim();
    if (!url) return ['add-source-url', 'Enter the address (URL) where this copy was published.'];
    if (!isWebUrl(url)) return ['add-source-url', 'The source URL should start with https:// or http://.'];
    return null;
  }

  async function runIngest() {
    const errorBox = $('add-error');
    clearError(errorBox);
    $('add-result').textContent = '';
    for (const id of ['add-video', 'add-first-seen', 'add-source-url']) $(id).removeAttribute('aria-invalid');
    if (showProblem(errorBox, ingestProblem())) return;

    const file = $('add-video').files[0];
    const form = new FormData();
    form.append('video', file, file.name);
    form.append('first_seen', $('add-first-seen').value);
    form.append('source_url', $('add-source-url').value.trim());
    form.append('title', $('add-title').value.trim());
    form.append('publisher', $('add-publisher').value.trim());

    const bar = $('add-progress');
    const status = $('add-status');
    $('add-submit').disabled = true;
    $('add-progress-block').hidden = false;
    bar.value = 0;
    status.textContent = 'Uploading… 0%';
    try {
      const result = await api('/api/v1/ingest', {
        body: form,
        onUploadProgress: (fraction) => { bar.value = Math.round(fraction * 100); status.textContent = `Uploading… ${bar.value}%`; },
        onUploaded: () => { bar.removeAttribute('value'); status.textContent = 'Adding… the server is decoding the video.'; },
      });
      renderIngestResult(result);
    } catch (error) {
      showError(errorBox, error.message);
    } finally {
      $('add-submit').disabled = false;
      $('add-progress-block').hidden = true;
    }
  }

  function renderIngestResult(result) {
    const box = $('add-result');
    const heading = result.new_footage ? 'Added as new footage' : (result.new_sighting ? 'Added a sighting to known footage' : 'Already recorded');
    box.append(el('section', { class: 'card success' },
      el('h2', null, heading),
      el('p', { class: 'add-summary', dir: 'auto' }, result.summary || ''),
      el('p', null, el('a', { href: `#/footage/${encodeURIComponent(result.footage_id)}`, class: 'footage-link' },
        `Open footage ${result.footage_id}`))));
    box.querySelector('h2').setAttribute('tabindex', '-1');
    box.querySelector('h2').focus();
  }

  // ---------------------------------------------------------------------------------------------
  // One footage.

  let footageRequest = 0;

  async function loadFootage(id) {
    const request = ++footageRequest;
    const detail = $('footage-detail');
    const errorBox = $('footage-error');
    clearError(errorBox);
    $('footage-heading').textContent = `Footage ${id}`;
    detail.textContent = '';
    if (reviewForm.shownFor !== id) $('review-form').reset(); // a half-typed review stays with its footage
    reviewForm.shownFor = id;
    reviewForm.footageId = null;
    renderReviewAccess();
    clearError($('review-error'));
    $('review-status').textContent = '';
    detail.append(el('p', { class: 'status' }, 'Loading…'));
    try {
      const footage = await api(`/api/v1/footage/${encodeURIComponent(id)}`);
      if (request !== footageRequest) return; // the reader has moved on to other footage
      renderFootage(detail, footage);
      reviewForm.footageId = footage.footage_id;
      renderReviewAccess();
    } catch (error) {
      if (request !== footageRequest) return;
      detail.textContent = '';
      showError(errorBox, error.message);
    }
  }

  function renderFootage(detail, footage) {
    detail.textContent = '';
    const sightings = [...(footage.sightings || [])].sort(byFirstSeen);
    detail.append(el('dl', { class: 'key-facts card' },
      el('div', null, el('dt', null, 'First seen'), el('dd', { id: 'footage-first-seen' }, dateBoth(footage.first_seen))),
      el('div', null, el('dt', null, 'Duration'), el('dd', null, format.clock(footage.duration))),
      el('div', null, el('dt', null, 'Keyframes'), el('dd', null, String(footage.keyframes ?? '')))));
    detail.append(el('h2', null, `${format.plural(sightings.length, 'sighting', 'sightings')}, earliest first`));
    const table = el('table', { id: 'footage-sightings', class: 'data-table' },
      el('thead', null, el('tr', null,
        ['Date', 'Source', 'Title', 'Publisher', 'Recorded by', 'Recorded at'].map((h) => el('th', { scope: 'col' }, h)))));
    const body = el('tbody');
    for (const sighting of sightings) body.append(footageRow(sighting));
    table.append(body);
    detail.append(el('div', { class: 'table-wrap' }, table));
    const reviews = footage.reviews || [];
    detail.append(el('h2', null, reviews.length ? format.plural(reviews.length, 'fact-check', 'fact-checks') : 'No fact-checks recorded'));
    if (reviews.length) {
      const list = el('ul', { id: 'footage-reviews', class: 'review-list' });
      for (const review of reviews) list.append(reviewItem(review, null));
      detail.append(list);
    }
  }

  // --- Recording a fact-check ------------------------------------------------------------------

  // footageId: the footage the form records for, once it has loaded; shownFor: the last one asked for.
  const reviewForm = { footageId: null, shownFor: null };

  const REVIEW_FIELDS = ['review-by', 'review-published', 'review-url', 'review-rating', 'review-claim', 'review-claim-url'];

  function setupReview() {
    $('review-form').addEventListener('submit', (event) => { event.preventDefault(); runReview(); });
  }

  // The form is offered on a footage page, to keys that may add reviews; called again once the
  // session is known, since a page opened on a footage link loads it before the key is checked.
  function renderReviewAccess() {
    const role = session.caller?.role;
    $('review-section').hidden = reviewForm.footageId == null || !(role === 'contributor' || role === 'admin');
  }

  function reviewProblem() {
    const value = (id) => $(id).value.trim();
    if (!value('review-by')) return ['review-by', 'Enter the fact-checking organisation.'];
    if (!value('review-published')) return ['review-published', 'Enter the day the fact-check was published.'];
    if (!value('review-url')) return ['review-url', 'Enter the address (URL) of the fact-check article.'];
    if (!isWebUrl(value('review-url'))) return ['review-url', 'The article URL should start with https:// or http://.'];
    if (!value('review-rating')) return ['review-rating', 'Enter the rating as the fact-checker published it, such as “False”.'];
    if (!value('review-claim')) return ['review-claim', 'Enter the claim that was checked.'];
    if (value('review-claim-url') && !isWebUrl(value('review-claim-url'))) return ['review-claim-url', 'Where the claim was made should be an https:// or http:// address.'];
    return null;
  }

  // The form's fields as ClaimReview JSON-LD: the one format the API takes, the same a
  // fact-check page publishes, so that pasting it and typing it in go the same way.
  function claimReviewFromFields() {
    const value = (id) => $(id).value.trim();
    const item = { '@type': 'Claim' };
    if (value('review-claimant')) item.author = { '@type': 'Person', name: value('review-claimant') };
    if (value('review-claim-date')) item.datePublished = value('review-claim-date');
    if (value('review-claim-url')) item.appearance = { '@type': 'CreativeWork', url: value('review-claim-url') };
    return {
      '@context': 'https://schema.org',
      '@type': 'ClaimReview',
      url: value('review-url'),
      datePublished: value('review-published'),
      claimReviewed: value('review-claim'),
      author: { '@type': 'Organization', name: value('review-by') },
      reviewRating: { '@type': 'Rating', alternateName: value('review-rating') },
      itemReviewed: item,
    };
  }

  async function runReview() {
    const errorBox = $('review-error');
    const status = $('review-status');
    clearError(errorBox);
    status.textContent = '';
    for (const id of REVIEW_FIELDS) $(id).removeAttribute('aria-invalid');
    const pasted = $('review-jsonld').value.trim();
    if (!pasted && showProblem(errorBox, reviewProblem())) return;
    const body = pasted || claimReviewFromFields();
    const footageId = reviewForm.footageId;
    $('review-submit').disabled = true;
    status.textContent = 'Recording…';
    try {
      const result = await api(`/api/v1/footage/${encodeURIComponent(footageId)}/reviews`, { body });
      if (footageId !== reviewForm.footageId) return;
      renderFootage($('footage-detail'), result.footage);
      status.textContent = result.new_reviews
        ? `Recorded ${format.plural(result.new_reviews, 'fact-check', 'fact-checks')}.`
        : 'That fact-check was already on record.';
      $('review-form').reset();
    } catch (error) {
      status.textContent = '';
      showError(errorBox, error.message);
    } finally {
      $('review-submit').disabled = false;
    }
  }

  function footageRow(sighting) {
    const retraction = sighting.retraction;
    const recordedBy = el('td', null, userText(sighting.recorded_by),
      sighting.imported_by ? el('span', { class: 'imported' }, ' (imported by ', userText(sighting.imported_by), ')') : null);
    const row = el('tr', { class: retraction ? 'sighting-row retracted' : 'sighting-row' },
      el('td', null, dateBoth(sighting.first_seen)),
      el('td', null, sourceLink(sighting.source_url)),
      el('td', null, userText(sighting.title)),
      el('td', null, userText(sighting.publisher)),
      recordedBy,
      el('td', null, format.dateTime(sighting.ingested_at)));
    if (retraction) {
      // The struck-through cells stay readable; the note says who retracted it and why.
      row.cells[0].append(el('div', { class: 'retraction-note' },
        'retracted by ', userText(retraction.retracted_by), ` on ${format.dateWords(retraction.retracted_at)}: `,
        userText(retraction.reason)));
    }
    return row;
  }

  // ---------------------------------------------------------------------------------------------
  // Start.

  function start() {
    setupKeyControls();
    setupCheck();
    setupBatch();
    setupAdd();
    setupReview();
    window.addEventListener('hashchange', () => route(true));
    route(false);
    renderKeyStatus();
    renderAddRoleNote();
    checkSession();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
