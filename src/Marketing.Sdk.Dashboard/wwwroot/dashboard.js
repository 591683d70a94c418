// Marketing.Sdk dashboard: renders the page's JSON (aggregates only) with Apache ECharts and refreshes it
// without a reload. Every text goes through textContent, never innerHTML.
(function () {
  'use strict';
  var body = document.body;
  var page = body.dataset.page;
  var api = body.dataset.api;
  var refreshMs = parseInt(body.dataset.refreshMs, 10) || 15000;
  var canWrite = body.dataset.canWrite === 'true';
  var S = JSON.parse(document.getElementById('dashboard-strings').textContent);
  var lang = S.lang;
  var content = document.getElementById('dashboard-content');
  var charts = {};
  var cards = {};
  var loads = 0;
  var number = new Intl.NumberFormat(lang);
  var percent = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });

  function t(key) { return Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key; }
  function label(prefix, name) { var k = prefix + '.' + name; return Object.prototype.hasOwnProperty.call(S, k) ? S[k] : name; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function money(amount, currency) {
    if (amount === null || amount === undefined) { return '–'; }
    if (!currency) { return number.format(amount); }
    try { return new Intl.NumberFormat(lang, { style: 'currency', currency: currency }).format(amount); } catch (e) { return number.format(amount) + ' ' + currency; }
  }
  function rate(v) { return v === null || v === undefined ? '–' : percent.format(v); }

  function card(name, title, wide, withChart) {
    if (cards[name]) { return cards[name]; }
    var c = el('section', 'card' + (wide ? ' wide' : ''));
    c.dataset.card = name;
    c.appendChild(el('h2', null, title));
    var holder = null;
    if (withChart !== false) {
      holder = el('div', 'chart');
      holder.dataset.chart = name;
      c.appendChild(holder);
    }
    content.appendChild(c);
    cards[name] = { card: c, chart: holder };
    return cards[name];
  }

  // Draws a chart; `points` is how many non-zero values it shows (read by the browser tests and shown when empty).
  function chart(name, title, option, points, wide) {
    var c = card(name, title, wide);
    var instance = charts[name];
    if (!instance) {
      instance = echarts.init(c.chart, null, { locale: S.echartsLocale, renderer: 'canvas' });
      charts[name] = instance;
    }
    option.animation = false;
    option.tooltip = option.tooltip || { trigger: 'item' };
    instance.setOption(option, true);
    c.chart.dataset.points = String(points);
    c.chart.dataset.rendered = 'true';
  }

  function kpis(items) {
    var box = content.querySelector('.kpis');
    if (!box) { box = el('div', 'kpis'); content.insertBefore(box, content.firstChild); }
    box.textContent = '';
    items.forEach(function (k) {
      var d = el('div', 'kpi');
      d.dataset.kpi = k.key;
      d.appendChild(el('div', 'label', t(k.label)));
      d.appendChild(el('div', 'value', k.value));
      if (k.change !== undefined && k.change !== null) {
        d.appendChild(el('div', 'change ' + (k.change >= 0 ? 'up' : 'down'), (k.change >= 0 ? '▲ ' : '▼ ') + percent.format(Math.abs(k.change)) + ' ' + t('common.vsPrevious')));
      }
      box.appendChild(d);
    });
  }

  function table(name, title, headers, rows, wide) {
    var c = card(name, title, wide, false);
    var old = c.card.querySelector('table, p.note');
    if (old) { old.remove(); }
    if (rows.length === 0) { c.card.appendChild(el('p', 'note', t('common.noData'))); return; }
    var tbl = el('table');
    tbl.dataset.table = name;
    var head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', h.num ? 'num' : null, t(h.label))); });
    var thead = el('thead'); thead.appendChild(head); tbl.appendChild(thead);
    var tbody = el('tbody');
    rows.forEach(function (r) {
      var tr = el('tr');
      r.forEach(function (cell, i) {
        var td = el('td', headers[i].num ? 'num' : null);
        if (cell instanceof Node) { td.appendChild(cell); } else { td.textContent = cell === null || cell === undefined ? '' : String(cell); }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    tbl.appendChild(tbody);
    c.card.appendChild(tbl);
  }

  function note(text, cls) {
    var n = content.querySelector('p.note.page');
    if (!text) { if (n) { n.remove(); } return; }
    if (!n) { n = el('p', 'note page'); content.insertBefore(n, content.firstChild); }
    n.className = (cls || 'note') + ' page';
    n.textContent = text;
  }

  function sum(values) { return values.reduce(function (a, b) { return a + (b ? 1 : 0); }, 0); }

  var renderers = {
    overview: function (d) {
      var k = d.kpis;
      kpis([
        { key: 'customers', label: 'overview.customers', value: number.format(k.customers) },
        { key: 'activeCustomers', label: 'overview.activeCustomers', value: number.format(k.activeCustomers), change: k.activeCustomersChange },
        { key: 'buyers', label: 'overview.buyers', value: number.format(k.buyers) },
        { key: 'orders', label: 'overview.orders', value: number.format(k.orders), change: k.ordersChange },
        { key: 'revenue', label: 'overview.revenue', value: money(k.revenue, k.currency), change: k.revenueChange },
        { key: 'aov', label: 'overview.aov', value: money(k.averageOrderValue, k.currency) },
        { key: 'conversionRate', label: 'overview.conversionRate', value: rate(k.conversionRate) },
        { key: 'events', label: 'overview.events', value: number.format(k.events) }
      ]);
      var days = d.daily.map(function (p) { return p.date; });
      var series = [['overview.views', 'views'], ['overview.addToCarts', 'addToCarts'], ['overview.purchases', 'purchases'], ['overview.active', 'activeCustomers']];
      var points = 0;
      chart('activity', t('overview.activityChart') + ' · ' + t('common.lastDays').replace('{0}', d.windowDays), {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: days }, yAxis: { type: 'value', minInterval: 1 },
        series: series.map(function (s) {
          var data = d.daily.map(function (p) { return p[s[1]]; });
          points += sum(data);
          return { name: t(s[0]), type: 'line', smooth: true, data: data };
        })
      }, points, true);
      var revenue = d.daily.map(function (p) { return p.revenue; });
      chart('revenue', t('overview.revenueChart') + (k.currency ? ' (' + k.currency + ')' : ''), {
        tooltip: { trigger: 'axis' }, grid: { left: 56, right: 16, top: 16, bottom: 28 },
        xAxis: { type: 'category', data: days }, yAxis: { type: 'value' },
        series: [{ name: t('overview.revenue'), type: 'bar', data: revenue }]
      }, sum(revenue), true);
    },

    delivery: function (d) {
      var x = d.totals;
      kpis([
        { key: 'pending', label: 'delivery.pending', value: number.format(x.pending) },
        { key: 'inFlight', label: 'delivery.inFlight', value: number.format(x.inFlight) },
        { key: 'retrying', label: 'delivery.retrying', value: number.format(x.retrying) },
        { key: 'delivered', label: 'delivery.delivered', value: number.format(x.delivered) },
        { key: 'deadLettered', label: 'delivery.deadLettered', value: number.format(x.deadLettered) },
        { key: 'withheld', label: 'delivery.withheld', value: number.format(x.withheld) }
      ]);
      var names = d.destinations.map(function (r) { return r.destination; });
      var parts = [['delivery.pending', 'pending'], ['delivery.retrying', 'retrying'], ['delivery.deadLettered', 'deadLettered'], ['delivery.withheld', 'withheld']];
      var points = 0;
      chart('destinations', t('delivery.byDestination'), {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: names }, yAxis: { type: 'value', minInterval: 1 },
        series: parts.map(function (p) {
          var data = d.destinations.map(function (r) { return r[p[1]]; });
          points += sum(data);
          return { name: t(p[0]), type: 'bar', stack: 'all', data: data };
        })
      }, points, true);
      var pie = function (name, title, rows) {
        chart(name, title, {
          series: [{ type: 'pie', radius: ['35%', '65%'], data: rows.map(function (r) { return { name: r.name, value: r.count }; }) }]
        }, sum(rows.map(function (r) { return r.count; })));
      };
      pie('failureReasons', t('delivery.failureReasons'), d.failureReasons);
      pie('withheldReasons', t('delivery.withheldReasons'), d.withheldReasons);
      if (!d.canRetry) { note(t('delivery.readOnly')); } else { note(null); }
      table('deadLetters', t('delivery.deadLetters'), [
        { label: 'delivery.id', num: true }, { label: 'delivery.destination' }, { label: 'delivery.attempts', num: true },
        { label: 'delivery.reason' }, { label: 'delivery.when' }, { label: '' }
      ], d.deadLetters.map(function (r) {
        var action = '';
        if (d.canRetry) {
          var b = el('button', 'primary', t('delivery.retry'));
          b.type = 'button';
          b.dataset.retry = String(r.id);
          b.addEventListener('click', function () { retry(r.id, b); });
          action = b;
        }
        return [r.id, r.destination, r.attempts, r.reason, r.deadLetteredAt ? new Date(r.deadLetteredAt).toLocaleString(lang) : '', action];
      }), true);
    },

    consent: function (d) {
      kpis([{ key: 'customers', label: 'consent.customers', value: number.format(d.customers) }]);
      var names = d.purposes.map(function (p) { return label('purpose', p.purpose); });
      var parts = [['consent.granted', 'granted'], ['consent.withdrawn', 'withdrawn'], ['consent.undecided', 'undecided']];
      var points = 0;
      chart('purposes', t('consent.byPurpose'), {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 120, right: 24, top: 36, bottom: 24 },
        yAxis: { type: 'category', data: names }, xAxis: { type: 'value', minInterval: 1 },
        series: parts.map(function (p) {
          var data = d.purposes.map(function (r) { return r[p[1]]; });
          if (p[1] !== 'undecided') { points += sum(data); }
          return { name: t(p[0]), type: 'bar', stack: 'all', data: data };
        })
      }, points, true);
      table('purposeTable', t('consent.byPurpose'), [
        { label: 'consent.purpose' }, { label: 'consent.granted', num: true }, { label: 'consent.withdrawn', num: true },
        { label: 'consent.undecided', num: true }, { label: 'consent.rate', num: true }
      ], d.purposes.map(function (p) {
        var row = [label('purpose', p.purpose), number.format(p.granted), number.format(p.withdrawn), number.format(p.undecided), rate(p.grantRate)];
        return row;
      }), true);
      Array.prototype.forEach.call(content.querySelectorAll('table[data-table="purposeTable"] tbody tr'), function (tr, i) { tr.dataset.purpose = d.purposes[i].purpose; });
    },

    segments: function (d) {
      if (!d.available) { note(t('segments.notConfigured')); return; }
      kpis([{ key: 'scored', label: 'segments.scored', value: number.format(d.scoredCustomers) }]);
      chart('segmentSizes', t('segments.sizes'), {
        tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 16, bottom: 40 },
        xAxis: { type: 'category', data: d.segments.map(function (s) { return s.name; }) }, yAxis: { type: 'value', minInterval: 1 },
        series: [{ name: t('segments.customers'), type: 'bar', data: d.segments.map(function (s) { return s.count; }) }]
      }, sum(d.segments.map(function (s) { return s.count; })));
      var cells = [];
      var max = 1;
      d.rfmGrid.forEach(function (row, r) { row.forEach(function (v, f) { cells.push([f, r, v]); if (v > max) { max = v; } }); });
      chart('rfm', t('segments.rfmGrid'), {
        tooltip: { position: 'top' }, grid: { left: 56, right: 16, top: 16, bottom: 64 },
        xAxis: { type: 'category', name: t('segments.frequency'), nameLocation: 'middle', nameGap: 28, data: ['1', '2', '3', '4', '5'] },
        yAxis: { type: 'category', name: t('segments.recency'), nameLocation: 'middle', nameGap: 36, data: ['1', '2', '3', '4', '5'] },
        visualMap: { min: 0, max: max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 80 },
        series: [{ name: t('segments.customers'), type: 'heatmap', data: cells, label: { show: true } }]
      }, sum(cells.map(function (c) { return c[2]; })));
      chart('rfmSegments', t('segments.rfmSegments'), {
        tooltip: { trigger: 'axis' }, grid: { left: 130, right: 16, top: 16, bottom: 24 },
        yAxis: { type: 'category', data: d.rfmSegments.map(function (s) { return s.name; }) }, xAxis: { type: 'value', minInterval: 1 },
        series: [{ name: t('segments.customers'), type: 'bar', data: d.rfmSegments.map(function (s) { return s.count; }) }]
      }, sum(d.rfmSegments.map(function (s) { return s.count; })));
      chart('layers', t('segments.valueLayers'), {
        legend: { bottom: 0 },
        series: [{ type: 'pie', radius: ['35%', '62%'], data: d.valueLayers.map(function (l) { return { name: label('layer', l.name), value: l.count }; }) }]
      }, sum(d.valueLayers.map(function (l) { return l.count; })));
    },

    funnel: function (d) {
      var names = d.steps.map(function (s) { return label('step', s.step); });
      chart('funnel', t('funnel.chart') + ' · ' + t('common.lastDays').replace('{0}', d.windowDays), {
        series: [{ type: 'funnel', sort: 'none', left: '10%', width: '80%', minSize: '10%', label: { show: true, position: 'inside' },
          data: d.steps.map(function (s, i) { return { name: names[i], value: s.reached }; }) }]
      }, sum(d.steps.map(function (s) { return s.reached; })));
      var points = 0;
      chart('channels', t('funnel.byChannel'), {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: names }, yAxis: { type: 'value', minInterval: 1 },
        series: d.channels.map(function (c) { points += sum(c.reached); return { name: c.channel, type: 'bar', data: c.reached }; })
      }, points);
      table('steps', t('funnel.chart'), [
        { label: 'funnel.step' }, { label: 'funnel.reached', num: true }, { label: 'funnel.stepRate', num: true },
        { label: 'funnel.overallRate', num: true }, { label: 'funnel.droppedOff', num: true }
      ], d.steps.map(function (s, i) { return [names[i], number.format(s.reached), rate(s.stepRate), rate(s.overallRate), number.format(s.droppedOff)]; }), true);
    }
  };

  function retry(id, button) {
    var token = document.getElementById('dashboard-antiforgery');
    button.disabled = true;
    fetch(api + '/delivery/dead-letters/' + encodeURIComponent(id) + '/retry', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'RequestVerificationToken': token ? token.value : '' }
    }).then(function (r) {
      button.textContent = r.ok ? t('delivery.retried') : t('delivery.retryFailed');
      body.dataset.lastRetry = r.ok ? 'ok' : 'failed';
      return load();
    });
  }

  var loading = null;
  function load() {
    if (loading) { return loading; }
    loading = fetch(api + '/' + page, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (d) {
        var spinner = content.querySelector('p.loading');
        if (spinner) { spinner.remove(); }
        renderers[page](d);
        if (d.truncated) { note(t('common.truncated')); }
        loads++;
        body.dataset.loads = String(loads);
        body.dataset.state = 'ready';
        document.getElementById('dashboard-updated').textContent = t('common.updated') + ' ' + new Date(d.generatedAt).toLocaleTimeString(lang);
      })
      .catch(function (e) {
        body.dataset.state = 'error';
        note(t('common.error') + ' (' + e.message + ')', 'error');
      })
      .then(function () { loading = null; });
    return loading;
  }

  document.getElementById('dashboard-refresh').addEventListener('click', function () { load(); });
  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  load();
  setInterval(function () { if (!document.hidden) { load(); } }, refreshMs);
}());
