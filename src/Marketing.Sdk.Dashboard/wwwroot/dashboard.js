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
  function ratio(v) { return v === null || v === undefined ? '–' : new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(v) + '×'; }
  function fixed(v, digits) { return v === null || v === undefined ? '–' : new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(v); }

  // Marks the KPI tiles whose latest flagged day is the last day of the window.
  function flagKpis(anomalies) {
    Array.prototype.forEach.call(content.querySelectorAll('.kpi'), function (k) { k.classList.remove('anomaly'); });
    anomalies.forEach(function (a) {
      var tile = content.querySelector('.kpi[data-kpi="' + a.kpi + '"]');
      if (tile) { tile.classList.add('anomaly'); tile.title = t('overview.anomalies') + ': ' + a.date; }
    });
  }

  function button(text, attribute, value, onClick) {
    var b = el('button', 'primary', text);
    b.type = 'button';
    b.dataset[attribute] = value;
    b.addEventListener('click', function () { onClick(b); });
    return b;
  }

  // A write action: POST with the antiforgery token, then reload the page's data.
  function write(path, b, okText, failText) {
    var token = document.getElementById('dashboard-antiforgery');
    b.disabled = true;
    return fetch(api + path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'RequestVerificationToken': token ? token.value : '' }
    }).then(function (r) {
      b.textContent = r.ok ? okText : failText;
      body.dataset.lastWrite = r.ok ? 'ok' : 'failed';
      return load();
    });
  }

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

  function table(name, title, headers, rows, wide, empty) {
    var c = card(name, title, wide, false);
    c.card.querySelector('h2').textContent = title;
    var old = c.card.querySelector('table, p.note');
    if (old) { old.remove(); }
    if (rows.length === 0) { c.card.appendChild(el('p', 'note', empty || t('common.noData'))); return; }
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
      ].concat(d.spend.known ? [
        { key: 'spend', label: 'overview.spend', value: money(d.spend.spend, d.spend.currency) },
        { key: 'cpa', label: 'overview.cpa', value: money(d.spend.cpa, d.spend.currency) },
        { key: 'cac', label: 'overview.cac', value: money(d.spend.cac, d.spend.currency) },
        { key: 'roas', label: 'overview.roas', value: ratio(d.spend.roas) },
        { key: 'roi', label: 'overview.roi', value: rate(d.spend.roi) },
        { key: 'ltvCac', label: 'overview.ltvCac', value: ratio(d.spend.ltvToCac) }
      ] : []));
      note(d.spend.known ? null : t('spend.unknown').replace('{0}', label('reason', d.spend.reason)));
      flagKpis(d.anomalies);
      var days = d.daily.map(function (p) { return p.date; });
      var series = [['overview.views', 'views'], ['overview.addToCarts', 'addToCarts'], ['overview.purchases', 'purchases'], ['overview.active', 'activeCustomers']];
      var points = 0;
      chart('activity', t('overview.activityChart') + ' · ' + t('common.lastDays').replace('{0}', d.windowDays), {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: 'category', data: days }, yAxis: { type: 'value', minInterval: 1 },
        series: series.map(function (s) {
          var data = d.daily.map(function (p) { return p[s[1]]; });
          points += sum(data);
          var kpi = s[1] === 'purchases' ? 'orders' : s[1];
          var marks = d.anomalies.filter(function (a) { return a.kpi === kpi; }).map(function (a) {
            return { coord: [a.date, a.value], value: '!', itemStyle: { color: '#d9480f' } };
          });
          return { name: t(s[0]), type: 'line', smooth: true, data: data, markPoint: marks.length ? { symbolSize: 34, data: marks } : undefined };
        })
      }, points, true);
      var revenue = d.daily.map(function (p) { return p.revenue; });
      chart('revenue', t('overview.revenueChart') + (k.currency ? ' (' + k.currency + ')' : ''), {
        tooltip: { trigger: 'axis' }, grid: { left: 56, right: 16, top: 16, bottom: 28 },
        xAxis: { type: 'category', data: days }, yAxis: { type: 'value' },
        series: [{ name: t('overview.revenue'), type: 'bar', data: revenue }]
      }, sum(revenue), true);
      table('anomalies', t('overview.anomalies') + ' · ' + t('overview.anomalyRule').replace('{0}', d.anomalyRule.windowDays).replace('{1}', d.anomalyRule.threshold), [
        { label: 'overview.kpi' }, { label: 'overview.date' }, { label: 'overview.value', num: true }, { label: 'overview.expected', num: true }, { label: 'overview.direction' }
      ], d.anomalies.map(function (a) {
        return [label('kpi', a.kpi), a.date, number.format(a.value), number.format(Math.max(0, a.low)) + ' – ' + number.format(a.high), label('direction', a.direction)];
      }), true, t('overview.noAnomalies'));
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
          action = el('span', 'actions');
          action.appendChild(button(t('delivery.retry'), 'retry', String(r.id), function (b) { retry(r.id, b); }));
          action.appendChild(button(t('delivery.discard'), 'discard', String(r.id), function (b) {
            write('/delivery/dead-letters/' + encodeURIComponent(r.id) + '/discard', b, t('delivery.discarded'), t('delivery.discardFailed'));
          }));
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

  function bars(name, title, categories, series, points, wide, horizontal) {
    var cat = { type: 'category', data: categories, axisLabel: { interval: 0 } };
    var val = { type: 'value' };
    chart(name, title, {
      tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' },
      grid: { left: horizontal ? 130 : 56, right: 16, top: 40, bottom: 28 },
      xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val, series: series
    }, points, wide);
  }

  renderers.attribution = function (d) {
    if (!d.available) { note(label('reason', d.spend.reason)); return; }
    var channels = d.channels;
    kpis([
      { key: 'paths', label: 'attribution.paths', value: number.format(d.paths) },
      { key: 'conversions', label: 'attribution.conversions', value: fixed(d.conversions, 1) },
      { key: 'value', label: 'attribution.value', value: fixed(d.value, 2) }
    ].concat(d.spend.known ? [{ key: 'spend', label: 'attribution.spend', value: money(d.spend.total, d.spend.currency) }] : []));
    note(d.spend.known ? null : t('spend.unknown').replace('{0}', label('reason', d.spend.reason)));
    var points = 0;
    bars('models', t('attribution.byModel') + ' · ' + t('common.lastDays').replace('{0}', d.windowDays), d.models.map(function (m) { return m.model; }),
      channels.map(function (c, i) {
        var data = d.models.map(function (m) { return m.conversions[i]; });
        points += sum(data);
        return { name: c, type: 'bar', data: data };
      }), points, true, true);
    var valuePoints = 0;
    bars('modelValue', t('attribution.valueByModel'), channels, d.models.map(function (m) {
      valuePoints += sum(m.value);
      return { name: m.model, type: 'bar', data: m.value };
    }), valuePoints, true);
    table('modelTable', t('attribution.byModel'), [{ label: 'attribution.model' }].concat(channels.map(function (c) { return { label: c, num: true }; })),
      d.models.map(function (m) { return [m.model].concat(m.conversions.map(function (v) { return fixed(v, 2); })); }), true);
    if (d.spend.known) {
      var roiPoints = 0;
      bars('roi', t('attribution.roiChart'), d.channelRoi.map(function (r) { return r.channel; }), [
        { name: t('attribution.spend'), type: 'bar', data: d.channelRoi.map(function (r) { roiPoints += r.spend ? 1 : 0; return r.spend; }) },
        { name: t('attribution.revenue'), type: 'bar', data: d.channelRoi.map(function (r) { roiPoints += r.revenue ? 1 : 0; return r.revenue; }) }
      ], roiPoints, true);
      table('channelRoi', t('attribution.channelRoi').replace('{0}', d.roiModel || ''), [
        { label: 'attribution.channel' }, { label: 'attribution.spend', num: true }, { label: 'attribution.conversions', num: true }, { label: 'attribution.revenue', num: true },
        { label: 'attribution.ctr', num: true }, { label: 'attribution.cvr', num: true }, { label: 'attribution.cpa', num: true }, { label: 'attribution.roas', num: true }, { label: 'attribution.roi', num: true }
      ], d.channelRoi.map(function (r) {
        return [r.channel, money(r.spend, d.spend.currency), fixed(r.conversions, 2), money(r.revenue, d.spend.currency), rate(r.ctr), rate(r.cvr), money(r.cpa, d.spend.currency), ratio(r.roas), rate(r.roi)];
      }), true);
      table('proposals', t('attribution.proposals'), [
        { label: 'attribution.rule' }, { label: 'attribution.channel' }, { label: 'attribution.campaign' }, { label: 'attribution.action' },
        { label: 'attribution.current', num: true }, { label: 'attribution.proposed', num: true }, { label: 'attribution.why' }
      ], d.proposals.map(function (p) {
        return [p.rule, p.channel, p.campaign || '', p.action, money(p.currentBudget, d.spend.currency),
          p.bidMultiplier !== null && p.bidMultiplier !== undefined ? '×' + fixed(p.bidMultiplier, 2) : money(p.proposedBudget, d.spend.currency), p.explanation];
      }), true, t('attribution.noProposals'));
    }
  };

  function lifetime(d) {
    var bandCounts = d.clv.bands.map(function (b) { return b.count; });
    bars('clv', t('lifecycle.clv'), d.clv.bands.map(function (b) { return fixed(b.from, 0) + '–' + fixed(b.to, 0); }),
      [{ name: t('lifecycle.customers'), type: 'bar', data: bandCounts }], sum(bandCounts), false);
    chart('churn', t('lifecycle.churn'), {
      legend: { bottom: 0 },
      series: [{ type: 'pie', radius: ['35%', '62%'], data: d.churnBands.map(function (b) { return { name: label('churn', b.name), value: b.count }; }) }]
    }, sum(d.churnBands.map(function (b) { return b.count; })));
  }

  renderers.lifecycle = function (d) {
    if (!d.available) { note(label('reason', d.clv.reason)); return; }
    kpis([
      { key: 'staged', label: 'lifecycle.staged', value: number.format(d.stagedCustomers) },
      { key: 'clvMean', label: 'lifecycle.clvMean', value: money(d.clv.mean, d.clv.currency) },
      { key: 'clvMedian', label: 'lifecycle.clvMedian', value: money(d.clv.median, d.clv.currency) },
      { key: 'clvTotal', label: 'lifecycle.clvTotal', value: money(d.clv.total, d.clv.currency) }
    ]);
    note(d.clv.fitted ? null : label('reason', d.clv.reason));
    var stageCounts = d.stages.map(function (s) { return s.count; });
    bars('stages', t('lifecycle.stages'), d.stages.map(function (s) { return label('stage', s.name); }),
      [{ name: t('lifecycle.customers'), type: 'bar', data: stageCounts }], sum(stageCounts), false);
    if (d.clv.fitted) { lifetime(d); }
    table('journeys', t('lifecycle.journeys'), [
      { label: 'lifecycle.journey' }, { label: 'lifecycle.trigger' }, { label: 'lifecycle.status' }, { label: 'lifecycle.active', num: true },
      { label: 'lifecycle.completed', num: true }, { label: 'lifecycle.exited', num: true }, { label: '' }
    ], d.journeys.map(function (j) {
      var action = '';
      if (d.canWrite) {
        var verb = j.paused ? 'resume' : 'pause';
        action = button(t('lifecycle.' + verb), verb, j.id, function (b) {
          write('/lifecycle/journeys/' + encodeURIComponent(j.id) + '/' + verb, b, j.paused ? t('lifecycle.running') : t('lifecycle.paused'), t('lifecycle.actionFailed'));
        });
      }
      return [j.id, j.trigger, j.paused ? t('lifecycle.paused') : t('lifecycle.running'), number.format(j.active), number.format(j.completed), number.format(j.exited), action];
    }), true);
    Array.prototype.forEach.call(content.querySelectorAll('table[data-table="journeys"] tbody tr'), function (tr, i) {
      tr.dataset.journey = d.journeys[i].id;
      tr.dataset.paused = String(d.journeys[i].paused);
    });
  };

  renderers.experiments = function (d) {
    if (!d.available) { note(t('common.notConfigured')); return; }
    if (d.experiments.length === 0) { note(t('experiments.none')); return; }
    note(null);
    d.experiments.forEach(function (x) {
      var rates = x.variants.map(function (v) { return Math.round(v.rate * 10000) / 100; });
      bars('experiment-' + x.key, t('experiments.chart') + ' · ' + x.key + (x.active ? '' : ' (' + t('experiments.inactive') + ')') + ' · ' + label('decision', x.decision),
        x.variants.map(function (v) { return v.variant; }), [{ name: t('experiments.rate') + ' %', type: 'bar', data: rates }],
        sum(x.variants.map(function (v) { return v.units; })), false);
    });
    table('experiments', t('experiments.decision'), [
      { label: 'experiments.experiment' }, { label: 'experiments.decision' }, { label: 'experiments.winner' }, { label: 'experiments.srm', num: true },
      { label: 'experiments.progress', num: true }, { label: 'experiments.why' }
    ], d.experiments.map(function (x) {
      return [x.key, label('decision', x.decision), x.winner || '', fixed(x.sampleRatioPValue, 4), rate(x.progress), x.reason];
    }), true);
    var rows = [];
    d.experiments.forEach(function (x) {
      x.variants.forEach(function (v) {
        rows.push([x.key, v.variant + (v.variant === x.control ? ' (' + t('experiments.control') + ')' : ''), number.format(v.units), number.format(v.conversions),
          rate(v.rate), rate(v.lift), fixed(v.pValue, 4), rate(v.probabilityToBeatControl)]);
      });
    });
    table('variants', t('experiments.variant'), [
      { label: 'experiments.experiment' }, { label: 'experiments.variant' }, { label: 'experiments.units', num: true }, { label: 'experiments.conversions', num: true },
      { label: 'experiments.rate', num: true }, { label: 'experiments.lift', num: true }, { label: 'experiments.pValue', num: true }, { label: 'experiments.p2bc', num: true }
    ], rows, true);
  };

  renderers.messages = function (d) {
    if (!d.available) { note(t('common.notConfigured')); return; }
    kpis([{ key: 'records', label: 'messages.records', value: number.format(d.records) }]);
    var parts = ['Sent', 'Deferred', 'Suppressed', 'Failed'];
    var points = 0;
    bars('channels', t('messages.byChannel') + ' · ' + t('common.lastDays').replace('{0}', d.windowDays), d.channels.map(function (c) { return c.channel; }),
      parts.map(function (p) {
        var key = p.charAt(0).toLowerCase() + p.slice(1);
        var data = d.channels.map(function (c) { return c[key]; });
        points += sum(data);
        return { name: label('status', p), type: 'bar', stack: 'all', data: data };
      }), points, true);
    var byReason = {};
    d.reasons.forEach(function (r) { byReason[r.reason] = (byReason[r.reason] || 0) + r.count; });
    var names = Object.keys(byReason);
    chart('reasons', t('messages.reasons'), {
      legend: { bottom: 0 },
      series: [{ type: 'pie', radius: ['35%', '62%'], data: names.map(function (n) { return { name: label('skip', n), value: byReason[n] }; }) }]
    }, sum(names.map(function (n) { return byReason[n]; })));
    table('reasonTable', t('messages.reasons'), [
      { label: 'messages.channel' }, { label: 'messages.status' }, { label: 'messages.reason' }, { label: 'messages.count', num: true }
    ], d.reasons.map(function (r) { return [r.channel, label('status', r.status), label('skip', r.reason), number.format(r.count)]; }), false);
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
