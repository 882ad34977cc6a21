/*! Patron loyalty widget v1 - docs/WIDGET.md. No framework, no cookies, no third-party requests. */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : '';
  var CSS = ':host{all:initial;font-family:var(--patron-font,system-ui,-apple-system,"Segoe UI",sans-serif);color:var(--patron-text,#1f2937);font-size:15px;line-height:1.4}' +
    '*{box-sizing:border-box}' +
    '.launcher{position:fixed;right:var(--patron-offset,20px);bottom:var(--patron-offset,20px);z-index:var(--patron-z,2147483000);border:0;border-radius:999px;padding:12px 18px;background:var(--patron-accent,#4f46e5);color:var(--patron-accent-text,#fff);font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}' +
    '.panel{position:fixed;right:var(--patron-offset,20px);bottom:calc(var(--patron-offset,20px) + 60px);z-index:var(--patron-z,2147483000);width:min(360px,calc(100vw - 40px));max-height:min(560px,calc(100vh - 120px));overflow:auto;background:var(--patron-bg,#fff);border-radius:var(--patron-radius,12px);box-shadow:0 10px 40px rgba(0,0,0,.25);padding:18px}' +
    '.inline .panel{position:static;width:auto;max-height:none;box-shadow:none;border:1px solid var(--patron-border,#e5e7eb)}' +
    '.panel[hidden]{display:none}' +
    'h2{margin:0 0 12px;font-size:18px}h3{margin:16px 0 8px;font-size:15px}' +
    '.top{display:flex;justify-content:space-between;align-items:center}' +
    '.close{border:0;background:transparent;font:inherit;font-size:22px;line-height:1;cursor:pointer;color:inherit;padding:4px 8px}' +
    '.balance{font-size:32px;font-weight:700;color:var(--patron-accent,#4f46e5)}' +
    '.muted{color:var(--patron-muted,#6b7280);font-size:13px}' +
    'ul{list-style:none;margin:0;padding:0}li{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:8px 0;border-top:1px solid var(--patron-border,#e5e7eb)}' +
    '.passes{display:flex;gap:8px;flex-wrap:wrap}.passes a{text-decoration:none;border-radius:calc(var(--patron-radius,12px) / 2);padding:6px 12px;background:#000;color:#fff;font-size:13px}.passes a[hidden]{display:none}a:focus-visible{outline:3px solid var(--patron-focus,#f59e0b);outline-offset:2px}' +
    '.redeem,.copy{border:0;border-radius:calc(var(--patron-radius,12px) / 2);padding:6px 12px;background:var(--patron-accent,#4f46e5);color:var(--patron-accent-text,#fff);font:inherit;font-size:13px;cursor:pointer;white-space:nowrap}' +
    'button:disabled{opacity:.45;cursor:not-allowed}' +
    'button:focus-visible,input:focus-visible{outline:3px solid var(--patron-focus,#f59e0b);outline-offset:2px}' +
    '.ref{display:flex;gap:6px}.ref input{flex:1;min-width:0;font:inherit;font-size:13px;padding:6px;border:1px solid var(--patron-border,#e5e7eb);border-radius:6px;background:transparent;color:inherit}' +
    '.status{min-height:1.4em;margin-top:12px;font-size:13px}.status.error{color:var(--patron-error,#b91c1c)}' +
    '.code{font-family:ui-monospace,monospace;font-weight:700;user-select:all}';

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { node.textContent = attrs[k]; } else if (k.slice(0, 2) === 'on') { node.addEventListener(k.slice(2), attrs[k]); } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function Widget(cfg) {
    this.cfg = cfg;
    this.base = (cfg.base || base).replace(/\/$/, '');
    this.host = el('div', { 'class': 'patron-widget', 'data-patron-widget': '' });
    var mount = cfg.mount ? document.querySelector(cfg.mount) : null;
    (mount || document.body).appendChild(this.host);
    this.inline = !!mount;
    this.root = this.host.attachShadow({ mode: 'open' });
    this.root.appendChild(el('style', { text: CSS }));
    this.build();
    if (this.inline || cfg.open) { this.open(false); }
    this.refresh();
  }

  Widget.prototype.api = function (method, path, body, key) {
    var c = this.cfg;
    var headers = { 'X-Patron-Program': c.program, 'X-Patron-Customer': c.customer, 'X-Patron-Timestamp': String(c.timestamp), 'X-Patron-Signature': c.signature };
    if (body) { headers['Content-Type'] = 'application/json'; }
    if (key) { headers['Idempotency-Key'] = key; }
    return fetch(this.base + '/api/v1/me' + path + (path.indexOf('?') < 0 ? '?' : '&') + 'program=' + encodeURIComponent(c.program), {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: 'omit', mode: 'cors'
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || ('Request failed (' + r.status + ')')); }
        return j;
      });
    });
  };

  Widget.prototype.build = function () {
    var self = this;
    var wrap = el('div', { 'class': this.inline ? 'inline' : 'floating' });
    this.launcher = el('button', { 'class': 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'patron-panel', text: this.cfg.label || 'Rewards', onclick: function () { self.toggle(); } });
    this.title = el('h2', { id: 'patron-title', text: 'Rewards' });
    this.close = el('button', { 'class': 'close', type: 'button', 'aria-label': 'Close', text: '\u00d7', onclick: function () { self.hide(); } });
    this.balance = el('span', { 'class': 'balance', 'data-balance': '', text: '\u2013' });
    this.details = el('div', { 'class': 'muted' });
    this.rewards = el('ul', { 'aria-label': 'Rewards' });
    this.refInput = el('input', { type: 'text', readonly: '', 'aria-label': 'Your referral link' });
    this.refSection = el('div', { hidden: '' }, [el('h3', { text: 'Refer a friend' }), el('div', { 'class': 'ref' }, [this.refInput,
      el('button', { 'class': 'copy', type: 'button', text: 'Copy', onclick: function () { self.copy(); } })])]);
    this.apple = el('a', { 'data-pass': 'apple', hidden: '', text: 'Add to Apple Wallet' });
    this.google = el('a', { 'data-pass': 'google', hidden: '', target: '_blank', rel: 'noopener', text: 'Add to Google Wallet' });
    this.passSection = el('div', { hidden: '' }, [el('h3', { text: 'Your card' }), el('div', { 'class': 'passes' }, [this.apple, this.google])]);
    this.status = el('div', { 'class': 'status', role: 'status', 'aria-live': 'polite' });
    this.panel = el('div', { 'class': 'panel', id: 'patron-panel', role: this.inline ? 'region' : 'dialog', 'aria-labelledby': 'patron-title', hidden: '', tabindex: '-1',
    }, [
      el('div', { 'class': 'top' }, [this.title, this.inline ? null : this.close]),
      el('div', {}, [this.balance, document.createTextNode(' points')]), this.details,
      el('h3', { text: 'Rewards' }), this.rewards, this.refSection, this.passSection, this.status]);
    if (!this.inline) { wrap.appendChild(this.launcher); }
    wrap.appendChild(this.panel);
    this.root.appendChild(wrap);
    // On the document, not the panel: Escape still closes after a redraw has taken the focus away.
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && !self.inline && !self.panel.hidden) { self.hide(); } });
  };

  Widget.prototype.open = function (focus) {
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    if (focus !== false) { (this.inline ? this.panel : this.close).focus(); }
  };
  Widget.prototype.hide = function () {
    if (this.inline) { return; }
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
  };
  Widget.prototype.toggle = function () { if (this.panel.hidden) { this.open(); } else { this.hide(); } };

  Widget.prototype.say = function (text, error, code) {
    this.status.className = 'status' + (error ? ' error' : '');
    this.status.textContent = text;
    if (code) { this.status.appendChild(el('span', { 'class': 'code', 'data-code': '', text: ' ' + code })); }
  };

  Widget.prototype.refresh = function () {
    var self = this;
    return Promise.all([this.api('GET', ''), this.api('GET', '/rewards')]).then(function (r) {
      self.render(r[0], r[1].data);
    }).catch(function (e) { self.say(e.message, true); });
  };

  Widget.prototype.render = function (me, rewards) {
    var self = this;
    this.title.textContent = me.program.name || 'Rewards';
    this.balance.textContent = String(me.points_balance);
    this.launcher.textContent = (this.cfg.label || 'Rewards') + ' \u00b7 ' + me.points_balance;
    var bits = [];
    if (me.pending_points) { bits.push(me.pending_points + ' pending'); }
    if (me.tier) { bits.push(me.tier.name); }
    if (me.next_tier) { bits.push(me.next_tier.remaining + (me.next_tier.measure === 'spend' ? ' ' + me.program.currency : ' points') + ' to ' + me.next_tier.name); }
    this.details.textContent = bits.join(' \u00b7 ');
    this.rewards.textContent = '';
    rewards.forEach(function (rw) {
      var cost = rw.points_cost != null ? rw.points_cost : (rw.variable ? rw.variable.min_points : 0);
      var button = el('button', { 'class': 'redeem', type: 'button', 'aria-label': 'Redeem ' + rw.name + ' for ' + cost + ' points', text: 'Redeem',
        onclick: function () { self.redeem(rw, button); } });
      button.disabled = !rw.affordable || !!rw.variable;
      self.rewards.appendChild(el('li', { 'data-reward': rw.id }, [el('span', {}, [el('div', { text: rw.name }), el('div', { 'class': 'muted', text: cost + ' points' })]), button]));
    });
    if (!rewards.length) { this.rewards.appendChild(el('li', { 'class': 'muted', text: 'No rewards yet.' })); }
    var link = me.referral && (me.referral.url || me.referral.code);
    this.refSection.hidden = !link;
    this.refInput.value = link || '';
    // Pass buttons: Apple's .pkpass by a link that carries the credential (a link sends no headers), Google's signed Save link.
    var w = me.wallet || {}, c = this.cfg;
    if (w.apple_pass_url) {
      this.apple.href = this.base + w.apple_pass_url + '?program=' + encodeURIComponent(c.program) + '&customer=' + encodeURIComponent(c.customer) +
        '&timestamp=' + encodeURIComponent(String(c.timestamp)) + '&signature=' + encodeURIComponent(c.signature);
    }
    if (w.google_pass_url) { this.google.href = w.google_pass_url; }
    this.apple.hidden = !w.apple_pass_url;
    this.google.hidden = !w.google_pass_url;
    this.passSection.hidden = !w.apple_pass_url && !w.google_pass_url;
  };

  Widget.prototype.redeem = function (reward, button) {
    var self = this;
    button.disabled = true;
    this.say('Redeeming ' + reward.name + '\u2026');
    // One key per click: a request the network repeats, or a retry of it, redeems once.
    var key = 'widget-' + (window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + '-' + Math.random().toString(36).slice(2));
    return this.api('POST', '/redemptions', { reward_id: reward.id }, key).then(function (r) {
      self.say(reward.name + ' redeemed.' + (r.discount_code ? ' Your code:' : ''), false, r.discount_code);
      return self.refresh().then(function () {
        self.say(reward.name + ' redeemed.' + (r.discount_code ? ' Your code:' : ''), false, r.discount_code);
        self.panel.focus();
      });
    }).catch(function (e) { button.disabled = false; self.say(e.message, true); });
  };

  Widget.prototype.copy = function () {
    var self = this;
    this.refInput.select();
    var done = function () { self.say('Link copied.'); };
    if (navigator.clipboard) { navigator.clipboard.writeText(this.refInput.value).then(done, function () { self.say('Select the link and copy it.'); }); } else { done(); }
  };

  var api = {
    init: function (cfg) {
      if (!cfg || !cfg.program || !cfg.customer || !cfg.timestamp || !cfg.signature) { throw new Error('PatronWidget.init needs program, customer, timestamp and signature'); }
      return new Widget(cfg);
    }
  };
  window.PatronWidget = api;
  if (script && script.dataset.program && script.dataset.customer) {
    var d = script.dataset;
    var start = function () { api.widget = api.init({ program: d.program, customer: d.customer, timestamp: d.timestamp, signature: d.signature, mount: d.mount, open: d.open === 'true', label: d.label }); };
    if (document.body) { start(); } else { document.addEventListener('DOMContentLoaded', start); }
  }
})();
