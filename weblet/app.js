/* Support Assistant weblet: plain ES5, no framework, no cookies, no storage in the browser.
 * It asks the device (Session, app configuration and settings, WS-SNMP), talks to the assistant's
 * App API with the device credential, and shows the assistant's pages in #main. See README.md. */
(function () {
  'use strict';

  var APP_ID = 'support-assistant';
  /* What the device's own JavaScript library sends: SOAP 1.1 to Device Configuration and Session,
   * SOAP 1.2 (with an empty Header) to WS-SNMP, both as text/xml with SOAPAction "". */
  var SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
  var SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
  var ENVELOPE_NS = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"' +
    ' xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"';
  var DEVCFG = { path: '/webservices/office/device_configuration/1', ns: 'http://www.xerox.com/webservices/office/device_configuration/1', soap12: false };
  var SESSION = { path: '/webservices/office/cuisession/1', ns: 'http://www.xerox.com/webservices/office/cuisession/1', soap12: false };
  var SNMP = { path: '/webservices/SNMP/1', ns: 'http://www.xerox.com/webservices/SNMP/1', soap12: true };
  var ADMIN_ROLE = 'xesystemadministrator';
  var MAX_WALK = 3000;

  var S = {
    base: '', credential: '', sealed: '', admin: false, demo: false, from: '', guarded: false, inRequest: false,
    startup: null, tab: 'services', report: null, reportError: null,
    collecting: false, waiters: [], submitter: null, generation: 0
  };

  function $(id) { return document.getElementById(id); }

  /* ---- texts: weblet/strings.js (generated from the assistant's weblet.ftl catalogues) ---- */

  var STRINGS = window.SA_STRINGS || {};

  /* One of our languages for a tag such as "de-CH" (its primary subtag), or null. */
  function ourLanguage(tag) {
    var primary = String(tag || '').toLowerCase().split(/[-_]/)[0];
    return STRINGS.hasOwnProperty(primary) ? primary : null;
  }

  /* Until the assistant says which language the app configuration chose: the device's (the
   * panel browser's language), else English. */
  var LANG = ourLanguage(navigator.language || navigator.userLanguage) || 'en';

  /* The text id in the current language (English when missing), {$name} filled from args. */
  function tr(id, args) {
    var text = (STRINGS[LANG] && STRINGS[LANG][id]) || (STRINGS.en && STRINGS.en[id]) || id;
    for (var k in args) {
      if (args.hasOwnProperty(k)) { text = text.split('{$' + k + '}').join(String(args[k])); }
    }
    return text;
  }

  /* The texts of index.html itself. */
  function drawChrome() {
    document.documentElement.setAttribute('lang', LANG);
    $('gear').title = tr('weblet-settings');
  }

  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  function show(html) {
    $('main').innerHTML = html;
    $('main').scrollTop = 0;
    window.scrollTo(0, 0);
    prefill();
  }

  /* A logged-in user's e-mail address (the Session's from) goes into an empty e-mail field. */
  function prefill() {
    var email = $('email');
    if (S.from && email && !email.value) { email.value = S.from; }
  }

  function message(text, cls, retryTab) {
    show('<p class="' + (cls || 'error') + '" role="alert" id="app-message">' + esc(text) + '</p>' +
      (retryTab ? '<p><a class="button" href="" data-tab="' + esc(retryTab) + '">' + esc(tr('weblet-try-again')) + '</a></p>' : ''));
  }

  function busy(text) { show('<p class="busy">' + esc(text) + '</p>'); }

  /* One HTTP request; cb(status, text, xhr). status 0: no answer. */
  function request(method, url, headers, body, timeoutMs, cb) {
    var x = new XMLHttpRequest();
    var done = false;
    function finish() {
      if (done) { return; }
      done = true;
      cb(x.status, x.responseText || '', x);
    }
    x.open(method, url, true);
    x.timeout = timeoutMs || 20000;
    for (var h in headers) {
      if (headers.hasOwnProperty(h)) { x.setRequestHeader(h, headers[h]); }
    }
    x.onreadystatechange = function () { if (x.readyState === 4) { finish(); } };
    x.ontimeout = function () { done = true; cb(0, '', x); };
    x.send(body === undefined ? null : body);
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  /* ---- the device ---- */

  function parseXml(text) {
    var doc = null;
    try { doc = new DOMParser().parseFromString(text, 'text/xml'); } catch (e) { doc = null; }
    if (doc && doc.getElementsByTagName('parsererror').length) { doc = null; }
    return doc;
  }

  /* Reads a document as the device's library does: the first element of a local name, anywhere. */
  function reader(doc) {
    return function (name) {
      var list = doc ? doc.getElementsByTagNameNS('*', name) : [];
      return list.length ? list[0].textContent : null;
    };
  }

  function soap(service, op, inner, cb) {
    var env = service.soap12 ? SOAP12 : SOAP11;
    var p = service.soap12 ? 'soap12' : 'soap';
    var body = '<?xml version="1.0" encoding="utf-8"?><' + p + ':Envelope xmlns:' + p + '="' + env + '"' + ENVELOPE_NS + '>' +
      (service.soap12 ? '<' + p + ':Header/>' : '') + '<' + p + ':Body>' +
      '<' + op + ' xmlns="' + service.ns + '">' + inner + '</' + op + '></' + p + ':Body></' + p + ':Envelope>';
    request('POST', service.path, { 'Content-Type': 'text/xml', 'SOAPAction': '""' }, body, 8000, function (status, text) {
      var doc = parseXml(text);
      var first = reader(doc);
      if (status === 200 && doc) { cb(null, first); return; }
      cb({
        status: status,
        code: (doc && first('ErrorCode')) || '',
        text: (doc && (first('faultstring') || first('Text'))) ||
          (status ? tr('weblet-reason-device-answered', { status: status }) : tr('weblet-reason-device-silent'))
      }, null);
    });
  }

  function xmlText(s) { return esc(s); }

  /* GetNext walks over the subtrees the App API named, one OID per request, two walks at once. */
  function collect(subtrees, community, cb) {
    var varbinds = [];
    var queue = subtrees.slice(0);
    var running = 0;
    var failed = null;
    var steps = 0;
    function walk(root, oid) {
      if (failed) { return finished(); }
      if (steps++ > MAX_WALK) { return finished(); }
      soap(SNMP, 'GetNextRequest', '<SNMPVersion>2c</SNMPVersion><SNMPv2cData><communityString>' +
        xmlText(community) + '</communityString></SNMPv2cData><OID>' + xmlText(oid) + '</OID>', function (err, get) {
        if (err) { failed = failed || err; return finished(); }
        var next = (get('OID') || '').replace(/^\./, '');
        var type = get('Type') || '';
        if (type === 'endOfMibView' || next.indexOf(root + '.') !== 0) { return finished(); }
        varbinds.push({ oid: next, type: type, value: get('returnValue') || '' });
        walk(root, next);
      });
    }
    function finished() {
      running--;
      if (queue.length && !failed) { start(); return; }
      if (running === 0) { cb(failed, varbinds); }
    }
    function start() {
      running++;
      var root = queue.shift().replace(/^\./, '');
      walk(root, root);
    }
    if (!queue.length) { cb(null, varbinds); return; }
    start();
    if (queue.length) { start(); }
  }

  /* ---- the assistant ---- */

  function api(method, path, body, extra, cb) {
    var h = { 'Authorization': 'Bearer ' + S.credential, 'X-App-Config': S.sealed };
    if (S.demo) { h['X-Demo-Mode'] = 'on'; }
    for (var k in extra) { if (extra.hasOwnProperty(k)) { h[k] = extra[k]; } }
    request(method, S.base + path, h, body, 20000, cb);
  }

  /* An answer of the assistant: its page, or what went wrong in words. */
  function showAnswer(status, text, x, retryTab) {
    var type = (x && x.getResponseHeader('Content-Type')) || '';
    if (status && type.indexOf('text/html') === 0) { show(text); return; }
    if (status === 0) {
      message(tr('weblet-unreachable'), 'error', retryTab);
      return;
    }
    var p = parseJson(text);
    message((p && p.detail) ? p.detail : tr('weblet-answered', { status: status }), 'error', retryTab);
  }

  function whenReport(cb) {
    if (S.report || S.reportError) { cb(); return; }
    S.waiters.push(cb);
    readDevice();
  }

  function reportReady() {
    var w = S.waiters;
    S.waiters = [];
    for (var i = 0; i < w.length; i++) { w[i](); }
  }

  function readDevice() {
    if (S.collecting || S.report || S.reportError || !S.startup) { return; }
    S.collecting = true;
    var gen = S.generation;
    collect(S.startup.subtrees || [], S.startup.settings.snmp_community, function (err, varbinds) {
      if (gen !== S.generation) { return; }
      if (err) {
        S.collecting = false;
        if (err.code === 'AuthenticationFailure') {
          S.reportError = tr('weblet-community-mismatch');
        } else {
          S.reportError = tr('weblet-device-unreadable', { reason: err.text });
        }
        reportReady();
        return;
      }
      api('POST', '/api/v1/device-report', JSON.stringify({ varbinds: varbinds }),
        { 'Content-Type': 'application/json' }, function (status, text) {
          if (gen !== S.generation) { return; }
          S.collecting = false;
          var r = status === 200 ? parseJson(text) : null;
          if (r) { S.report = r; } else {
            var p = parseJson(text);
            S.reportError = tr('weblet-report-failed', {
              reason: (p && p.detail) || (status ? tr('weblet-reason-service-answered', { status: status })
                : tr('weblet-reason-service-unreachable'))
            });
          }
          reportReady();
        });
    });
  }

  /* ---- tabs ---- */

  function tabList() {
    var t = S.startup.settings.tabs;
    var list = [];
    if (t.service) { list.push(['services', tr('weblet-tab-services')]); }
    if (t.supplies) { list.push(['supplies', tr('weblet-tab-supplies')]); }
    if (t.meters) { list.push(['meters', tr('weblet-tab-meters')]); }
    if (t.help && S.startup.settings.help_desk_text) { list.push(['help', tr('weblet-tab-help')]); }
    return list;
  }

  function drawTabs() {
    var html = '';
    var list = tabList();
    for (var i = 0; i < list.length; i++) {
      html += '<button type="button" id="tab-' + list[i][0] + '" data-tab="' + list[i][0] + '"' +
        (list[i][0] === S.tab ? ' class="on"' : '') + '>' + esc(list[i][1]) + '</button>';
    }
    $('tabs').innerHTML = html;
  }

  function openTab(name) {
    if (!S.startup) { return; }
    S.tab = name;
    S.inRequest = false;
    drawTabs();
    var gen = S.generation;
    if (name === 'services') {
      busy(tr('weblet-loading-incidents'));
      api('GET', '/ui/v1/services', undefined, {}, function (status, text, x) {
        if (gen === S.generation && S.tab === name) { showAnswer(status, text, x, 'services'); }
      });
    } else if (name === 'supplies' || name === 'meters') {
      busy(tr('weblet-reading-device'));
      whenReport(function () {
        if (gen !== S.generation || S.tab !== name) { return; }
        if (S.reportError) {
          show('<p class="error" role="alert" id="app-message">' + esc(S.reportError) + '</p>' +
            '<p><a class="button" href="" data-reread="1">' + esc(tr('weblet-read-again')) + '</a></p>');
          return;
        }
        api('POST', '/ui/v1/' + name, JSON.stringify(S.report), { 'Content-Type': 'application/json' },
          function (status, text, x) {
            if (gen === S.generation && S.tab === name) { showAnswer(status, text, x, name); }
          });
      });
    } else if (name === 'help') {
      show('<h2>' + esc(tr('weblet-tab-help')) + '</h2><p id="help-text"></p>');
      $('help-text').textContent = S.startup.settings.help_desk_text;
    }
  }

  /* ---- forms of the assistant's pages ---- */

  function formBody(form, submitter) {
    var parts = [];
    function add(n, v) {
      parts.push(encodeURIComponent(n).replace(/%20/g, '+') + '=' + encodeURIComponent(v).replace(/%20/g, '+'));
    }
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      var type = (el.type || '').toLowerCase();
      if (!el.name || el.disabled || type === 'submit' || type === 'button' || type === 'reset') { continue; }
      if ((type === 'checkbox' || type === 'radio') && !el.checked) { continue; }
      add(el.name, el.value);
    }
    if (submitter && submitter.name) { add(submitter.name, submitter.value); }
    return parts.join('&');
  }

  function newKey() {
    var bytes = [];
    var c = window.crypto || window.msCrypto;
    if (c && c.getRandomValues) {
      var a = new Uint8Array(16);
      c.getRandomValues(a);
      for (var i = 0; i < a.length; i++) { bytes.push(a[i]); }
    } else {
      for (var j = 0; j < 16; j++) { bytes.push(Math.floor(Math.random() * 256)); }
    }
    var hex = '';
    for (var k = 0; k < bytes.length; k++) { hex += (bytes[k] < 16 ? '0' : '') + bytes[k].toString(16); }
    return 'wb-' + new Date().getTime().toString(36) + '-' + hex;
  }

  /* One Send: its key is kept for every retry of that Send, so it is recorded once. */
  function post(action, body, key) {
    var extra = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (key) { extra['Idempotency-Key'] = key; }
    var gen = S.generation;
    api('POST', action, body, extra, function (status, text, x) {
      if (gen !== S.generation) { return; }
      var html = status && ((x && x.getResponseHeader('Content-Type')) || '').indexOf('text/html') === 0;
      if (status === 0 || (status >= 500 && !html)) {
        show('<p class="error" role="alert" id="send-retry">' + esc(tr(key ? 'weblet-no-answer-kept' : 'weblet-no-answer')) + '</p>' +
          '<p><button type="button" class="primary" id="retry">' + esc(tr('weblet-try-again')) + '</button> ' +
          '<a class="button" href="" data-tab="' + esc(S.tab) + '">' + esc(tr('weblet-cancel')) + '</a></p>');
        $('retry').onclick = function () { busy(tr('weblet-sending')); post(action, body, key); };
        return;
      }
      showAnswer(status, text, x, S.tab);
    });
  }

  function ancestor(el, test) {
    while (el && el !== document) {
      if (test(el)) { return el; }
      el = el.parentNode;
    }
    return null;
  }

  function onClick(ev) {
    var t = ev.target || ev.srcElement;
    guard();
    var tab = ancestor(t, function (e) { return e.getAttribute && e.getAttribute('data-tab'); });
    if (tab) { ev.preventDefault(); openTab(tab.getAttribute('data-tab')); return; }
    var reread = ancestor(t, function (e) { return e.getAttribute && e.getAttribute('data-reread'); });
    if (reread) { ev.preventDefault(); S.report = null; S.reportError = null; openTab(S.tab); return; }
    var reload = ancestor(t, function (e) { return e.getAttribute && e.getAttribute('data-reload'); });
    if (reload) { ev.preventDefault(); openTab(S.tab); return; }
    /* A supply row is one touch target (the checkbox alone is 24 px); its checkbox and label
     * toggle by themselves. */
    var row = ancestor(t, function (e) { return e.tagName === 'TR' && /(^| )pick( |$)/.test(e.className); });
    if (row && !ancestor(t, function (e) { return e.tagName === 'INPUT' || e.tagName === 'LABEL'; })) {
      var box = row.getElementsByTagName('input')[0];
      if (box && !box.disabled) { box.checked = !box.checked; }
      return;
    }
    var btn = ancestor(t, function (e) { return e.tagName === 'BUTTON' && (e.type || '').toLowerCase() === 'submit'; });
    if (btn) { S.submitter = { name: btn.name, value: btn.value }; return; }
    var link = ancestor(t, function (e) { return e.tagName === 'A' && e.getAttribute('href'); });
    if (link && ancestor(link, function (e) { return e.id === 'main'; })) {
      ev.preventDefault();
      var href = link.getAttribute('href');
      if (href.charAt(0) !== '/') { return; }
      busy(tr('weblet-loading'));
      api('GET', href, undefined, {}, function (status, text, x) { showAnswer(status, text, x, S.tab); });
    }
  }

  function onSubmit(ev) {
    var form = ev.target || ev.srcElement;
    ev.preventDefault();
    guard();
    var submitter = S.submitter;
    S.submitter = null;
    if (!submitter) {
      var primary = form.querySelector('button.primary');
      submitter = primary ? { name: primary.name, value: primary.value } : null;
    }
    var action = form.getAttribute('action') || '';
    if (action.charAt(0) !== '/') { return; }
    var body = formBody(form, submitter);
    var send = submitter && submitter.name === 'op' && submitter.value === 'send';
    S.inRequest = !(submitter && submitter.name === 'op' && (submitter.value === 'send' || submitter.value === 'cancel'));
    busy(tr(send ? 'weblet-sending' : 'weblet-one-moment'));
    post(action, body, send ? newKey() : null);
  }

  /* ---- Demo Mode (administrators only), kept on the device ---- */

  function drawSettings() {
    var box = $('settings');
    box.innerHTML = '<strong id="demo-state">' + esc(tr(S.demo ? 'weblet-demo-on' : 'weblet-demo-off')) + '</strong> ' +
      esc(tr('weblet-demo-explained')) + ' ' +
      '<button type="button" class="primary" id="demo-toggle">' + esc(tr(S.demo ? 'weblet-demo-switch-off' : 'weblet-demo-switch-on')) + '</button>' +
      '<button type="button" id="settings-close">' + esc(tr('weblet-close')) + '</button><span id="settings-error" class="error"></span>';
    $('settings-close').onclick = function () { box.style.display = 'none'; };
    $('demo-toggle').onclick = function () {
      request('PUT', '/api/apps/' + APP_ID + '/settings', { 'Content-Type': 'application/json' },
        JSON.stringify({ demo_mode: !S.demo }), 8000, function (status, text) {
          var r = parseJson(text);
          if (status === 200 && r) {
            S.demo = !!r.demo_mode;
            box.style.display = 'none';
            restart();
          } else {
            $('settings-error').textContent = ' ' + ((r && r.detail) ? r.detail : tr('weblet-demo-not-stored', { status: status }));
          }
        });
    };
  }

  /* ---- the panel ---- */

  /* Lays the app out for the device's canvas (display/canvasSize): the bar stays, #main scrolls
   * inside the rest; small canvases (800 px wide or less, 480 px high or less) get the compact style. */
  function fitCanvas(width, height) {
    if (!(width > 0 && height > 0)) { return; }
    var root = document.documentElement;
    root.setAttribute('data-canvas', width + 'x' + height);
    var compact = width <= 800 || height <= 480;
    document.body.className = compact ? 'compact' : '';
    var bar = $('bar').offsetHeight || 52;
    $('main').style.maxHeight = Math.max(120, height - bar) + 'px';
  }

  /* Whether a request is under way: a step of it was sent on (Next, Back), or the person changed
   * something on the current screen (a pre-filled e-mail address does not count). */
  function halfFilled() {
    if (S.inRequest) { return true; }
    var forms = $('main').getElementsByTagName('form');
    for (var f = 0; f < forms.length; f++) {
      var els = forms[f].elements;
      for (var i = 0; i < els.length; i++) {
        var el = els[i];
        var t = (el.type || '').toLowerCase();
        if (t === 'hidden' || t === 'submit' || t === 'button') { continue; }
        if (t === 'checkbox' || t === 'radio') {
          if (el.checked !== el.defaultChecked) { return true; }
        } else if (el.value !== el.defaultValue && el.value !== S.from) { return true; }
      }
    }
    return false;
  }

  /* The device browser's Back leaves the app. Once the person works inside it, one history entry
   * guards the screen: Back with a half-filled request asks first, and staying keeps the step. */
  function guard() {
    if (S.guarded || !window.history || !history.pushState) { return; }
    history.pushState({ sa: 1 }, '', location.href);
    S.guarded = true;
  }

  window.onpopstate = function () {
    if (!S.guarded) { return; }
    if (halfFilled() && !window.confirm(tr('weblet-leave'))) {
      history.pushState({ sa: 1 }, '', location.href);
      return;
    }
    S.guarded = false;
    history.back();
  };

  /* ---- start ---- */

  function restart() {
    S.generation++;
    S.startup = null;
    S.report = null;
    S.reportError = null;
    S.collecting = false;
    S.waiters = [];
    $('badge').style.display = S.demo ? '' : 'none';
    busy(tr('weblet-starting'));
    startAssistant();
  }

  function startAssistant() {
    var gen = S.generation;
    var pending = 2;
    var startup = null;
    var services = null;
    function both() {
      if (--pending > 0 || gen !== S.generation) { return; }
      if (startup[0] !== 200) {
        showAnswer(startup[0], startup[1], startup[2], null);
        $('main').innerHTML += '<p><button type="button" class="primary" id="restart">' + esc(tr('weblet-try-again')) + '</button></p>';
        $('restart').onclick = restart;
        return;
      }
      S.startup = parseJson(startup[1]);
      if (!S.startup) { message(tr('weblet-unreadable-answer')); return; }
      // The language the assistant chose: the app configuration's, else the device's, else English.
      LANG = ourLanguage(S.startup.settings.language) || LANG;
      drawChrome();
      S.demo = !!S.startup.demo;
      $('badge').style.display = S.demo ? '' : 'none';
      var logo = S.startup.settings.logo_url;
      if (logo) { $('logo').src = logo; $('logo').style.display = ''; }
      // The first tab the partner's navigation override shows (Services unless switched off).
      var first = tabList()[0];
      S.tab = first ? first[0] : 'services';
      drawTabs();
      if (S.tab === 'services') {
        showAnswer(services[0], services[1], services[2], 'services');
      } else {
        openTab(S.tab);
      }
      if (window.performance && performance.mark) { performance.mark('sa-services-shown'); }
      // Read supplies and meters in the background, once the first tab is on screen.
      setTimeout(readDevice, 50);
    }
    api('POST', '/api/v1/startup', '{}', { 'Content-Type': 'application/json' },
      function (s, t, x) { startup = [s, t, x]; both(); });
    api('GET', '/ui/v1/services', undefined, {},
      function (s, t, x) { services = [s, t, x]; both(); });
  }

  function start() {
    drawChrome();
    busy(tr('weblet-starting'));
    var meta = document.querySelector('meta[name="assistant-url"]');
    var fromMeta = (meta && meta.getAttribute('content')) || '';
    var pending = fromMeta ? 3 : 4;
    var failure = null;
    var manifest = null;
    function done() {
      if (--pending > 0) { return; }
      if (failure) { message(failure); return; }
      S.base = (fromMeta || (manifest && manifest.assistant_url) || '').replace(/\/+$/, '');
      if (!S.base) {
        message(tr('weblet-no-address'));
        return;
      }
      $('gear').style.display = S.admin ? '' : 'none';
      $('badge').style.display = S.demo ? '' : 'none';
      startAssistant();
    }
    soap(SESSION, 'GetSessionInformationRequest', '', function (err, get) {
      var doc = parseXml(get ? (get('Information') || '') : '');
      var roles = doc ? doc.getElementsByTagNameNS('*', 'role') : [];
      S.admin = false;
      for (var i = 0; i < roles.length; i++) {
        if (String(roles[i].textContent).replace(/^\s+|\s+$/g, '').toLowerCase() === ADMIN_ROLE) { S.admin = true; }
      }
      var info = reader(doc);
      var user = (info('username') || '').replace(/^\s+|\s+$/g, '');
      var from = (info('from') || '').replace(/^\s+|\s+$/g, '');
      S.from = (user && user.toLowerCase() !== 'guest' && from.indexOf('@') > 0) ? from : '';
      done();
    });
    // The panel's drawing area: applied when it comes, nothing waits for it.
    soap(DEVCFG, 'GetDeviceInformationRequest', '', function (err, get) {
      var doc = parseXml(get ? (get('Information') || '') : '');
      var canvas = doc ? doc.getElementsByTagNameNS('*', 'canvasSize') : [];
      if (canvas.length) {
        var size = reader(canvas[0]);
        fitCanvas(parseInt(size('width'), 10), parseInt(size('height'), 10));
      }
    });
    request('GET', '/api/apps/' + APP_ID + '/config', {}, undefined, 8000, function (status, text) {
      var c = status === 200 ? parseJson(text) : null;
      if (c && c.credential && c.sealed_config) {
        S.credential = c.credential;
        S.sealed = c.sealed_config;
      } else {
        var p = parseJson(text);
        failure = tr('weblet-not-set-up', {
          reason: (p && p.detail) || tr('weblet-reason-device-answered', { status: status })
        });
      }
      done();
    });
    request('GET', '/api/apps/' + APP_ID + '/settings', {}, undefined, 8000, function (status, text) {
      var s = status === 200 ? parseJson(text) : null;
      S.demo = !!(s && s.demo_mode);
      done();
    });
    if (!fromMeta) {
      request('GET', 'manifest.json', {}, undefined, 8000, function (status, text) {
        manifest = status === 200 ? parseJson(text) : null;
        done();
      });
    }
  }

  $('main').addEventListener('click', onClick, false);
  $('main').addEventListener('submit', onSubmit, false);
  $('tabs').addEventListener('click', onClick, false);
  $('gear').onclick = function () {
    var box = $('settings');
    if (box.style.display === 'none') { drawSettings(); box.style.display = ''; } else { box.style.display = 'none'; }
  };
  start();
}());
