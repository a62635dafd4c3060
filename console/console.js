// The operator console: a live seat map, the door's attendance and a booking's audit timeline, on
// the service's own API.
// Plain ES module, no framework and no build step. Data goes into the page as text (textContent),
// never as HTML.
const $ = (selector) => document.querySelector(selector);
const COLOURS = { AVAILABLE: '#2e9d5b', RESERVED: '#e3a21a', SOLD: '#c8423a', HELD: '#8a6fbf' };
const STATUSES = Object.keys(COLOURS);
/** The outline of the seats best available just got, drawn over their status colour. */
const HIGHLIGHT = '#111827';

// ---- The token: kept for this tab only, sent as the API wants it.
const token = () => sessionStorage.getItem('eventix.token') ?? '';
/** A call to the service with the token, if any; a `body` goes as JSON. */
const api = (path, { method = 'GET', body } = {}) =>
  fetch(path, {
    method,
    headers: { ...(token() ? { authorization: `Bearer ${token()}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body && JSON.stringify(body),
  });

const showWho = () => {
  try {
    $('#who').textContent = token() ? `as ${JSON.parse(atob(token().split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub}` : 'no token';
  } catch {
    $('#who').textContent = 'not a JWT';
  }
};

$('#token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('eventix.token', $('#token').value.trim().replace(/^Bearer\s+/i, ''));
  $('#token').value = '';
  showWho();
  refreshDoor(); // a token that may open the door: ask now, not at the next poll
});

// ---- Live seat map: drawn once from the snapshot, then only the seats that change are repainted.
const map = {
  eventId: '',
  source: null, // the EventSource
  position: '', // the last position applied: a reconnect asks for what came after it
  currency: '', // what the seats' prices are in (the snapshot says; "1500" is yen, "45.50" dollars)
  seats: new Map(), // seatId → { section, row, number, type, rank, price, status, block, x, y }
  blocks: new Map(), // canvas → its section's { name, context, labels, grid: "column,row" → seat }
  sections: [], // the sections the best-available form offers: none in a venue without sections
  cell: 8, // a seat's size, the same in every section
  dirty: new Set(), // seats to repaint on the next frame
  highlighted: new Set(), // ids of the seats best available just got: outlined, whatever their status
  received: [], // every `changes` message: { position, seatIds } (for tests and curiosity)
};
const container = $('#seat-map');

const setState = (state, text) => {
  $('#stream-state').dataset.state = state;
  $('#stream-state').textContent = text;
};

const counts = () => {
  const tally = { ...Object.fromEntries(STATUSES.map((status) => [status, 0])), total: map.seats.size };
  for (const seat of map.seats.values()) tally[seat.status]++;
  return tally;
};

const renderLegend = (prices) => {
  const tally = counts();
  const items = STATUSES.map((status) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch ${status}`;
    li.append(swatch, `${status} ${tally[status]}`);
    return li;
  });
  $('#counts').replaceChildren(...items);
  container.dataset.counts = JSON.stringify(tally);
  if (prices) $('#prices').replaceChildren(...prices.map(([type, price]) => Object.assign(document.createElement('li'), { textContent: `${type} ${price === null ? '—' : `${price} ${map.currency}`}` })));
};

/** A … Z before AA, 9 before 10: shorter labels first, then in natural order. */
const byLabel = (a, b) => a.length - b.length || a.localeCompare(b, undefined, { numeric: true });

/**
 * Lays the seats out and draws them: one canvas per section, in the map's order, under the
 * section's name; in each, the rows and numbers of that section only, so that two sections' rows A
 * never fall on each other. A venue without sections (all "") is one canvas with no name, as it
 * always was. Seats have one size everywhere, the one the widest section fits in.
 */
const drawAll = (seats) => {
  const sections = new Map(); // name → its seats, in the map's order
  for (const seat of seats) {
    if (!sections.has(seat.section)) sections.set(seat.section, []);
    sections.get(seat.section).push(seat);
  }
  const layouts = [...sections].map(([name, seatsOf]) => {
    const numbers = seatsOf.map((seat) => seat.number);
    const first = Math.min(...numbers);
    return { name, seats: seatsOf, rows: [...new Set(seatsOf.map((seat) => seat.row))].sort(byLabel), first, columns: Math.max(...numbers) - first + 1 };
  });
  const widest = Math.max(1, ...layouts.map((layout) => layout.columns));
  map.cell = Math.max(3, Math.min(18, Math.floor((container.clientWidth - 40) / widest)));
  const named = layouts.some((layout) => layout.name !== '');
  map.seats.clear();
  map.blocks.clear();
  container.replaceChildren(...layouts.map((layout) => drawSection(layout, named)));
  map.sections = named ? layouts.map((layout) => layout.name) : [];
};

const sectionLabel = (name) => name || '(no section)';

/** One section: its label (when the venue has sections) over a canvas of its rows. */
const drawSection = ({ name, seats, rows, first, columns }, named) => {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  if (named) figure.append(Object.assign(document.createElement('figcaption'), { textContent: sectionLabel(name) }));
  figure.append(canvas);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${named ? `${sectionLabel(name)}: ` : ''}${seats.length} seats in ${rows.length} rows`);
  const labels = map.cell >= 10 ? 28 : 0; // the width of the row labels left of the seats
  const width = labels + columns * map.cell;
  const height = rows.length * map.cell;
  const ratio = window.devicePixelRatio || 1;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.ceil(width * ratio);
  canvas.height = Math.ceil(height * ratio);
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.font = `${Math.min(map.cell - 2, 11)}px system-ui`;
  context.textBaseline = 'middle';
  rows.forEach((row, y) => labels && context.fillText(row, 2, y * map.cell + map.cell / 2));
  const rowIndex = new Map(rows.map((row, y) => [row, y]));
  const block = { name, context, labels, grid: new Map() };
  for (const seat of seats) {
    const column = seat.number - first;
    const y = rowIndex.get(seat.row);
    const placed = { ...seat, block, x: labels + column * map.cell, y: y * map.cell };
    map.seats.set(seat.seatId, placed);
    block.grid.set(`${column},${y}`, placed);
    paint(placed);
  }
  map.blocks.set(canvas, block);
  return figure;
};

const paint = (seat) => {
  const { context } = seat.block;
  const size = map.cell > 4 ? map.cell - 1 : map.cell; // a gap between seats when there is room for one
  context.clearRect(seat.x, seat.y, map.cell, map.cell);
  context.fillStyle = COLOURS[seat.status] ?? '#999';
  context.fillRect(seat.x, seat.y, size, size);
  if (map.highlighted.has(seat.seatId)) {
    // Inside the seat's square, so that its status colour still shows in the middle.
    const line = Math.max(1, Math.floor(map.cell / 6));
    context.strokeStyle = HIGHLIGHT;
    context.lineWidth = line;
    context.strokeRect(seat.x + line / 2, seat.y + line / 2, size - line, size - line);
  }
};

/** Many changes in one frame are one repaint of just those seats: no full redraw per event. */
const repaintSoon = () => {
  if (map.frame) return;
  map.frame = requestAnimationFrame(() => {
    map.frame = 0;
    for (const seat of map.dirty) paint(seat);
    map.dirty.clear();
    renderLegend();
  });
};

/** Outlines these seats, and no longer the ones outlined before. */
const highlight = (seatIds) => {
  for (const seatId of [...map.highlighted, ...seatIds]) if (map.seats.has(seatId)) map.dirty.add(map.seats.get(seatId));
  map.highlighted = new Set(seatIds);
  $('#highlight-key').hidden = map.highlighted.size === 0;
  repaintSoon();
};

/** The best-available form asks for the sections of the event shown. */
const offerSections = () => {
  const option = (value, text) => Object.assign(document.createElement('option'), { value, textContent: text });
  // Values are indexes into map.sections: "" is "any", which a section named "" must not be taken for.
  $('#best-section').replaceChildren(option('', 'any'), ...map.sections.map((name, i) => option(String(i), sectionLabel(name))));
  $('#best-section').disabled = map.sections.length === 0;
};

const onSnapshot = (message) => {
  const snapshot = JSON.parse(message.data);
  drawAll(snapshot.seats);
  map.position = snapshot.position;
  map.currency = snapshot.currency;
  const prices = new Map(snapshot.seats.map((seat) => [seat.type, seat.price]));
  renderLegend([...prices].sort());
  offerSections();
  $('#best-submit').disabled = false;
  setState('live', `live · ${snapshot.seats.length} seats`);
};

const onChanges = (message) => {
  const { position, seats } = JSON.parse(message.data);
  if (seats.some((change) => !map.seats.has(change.seatId))) return restart(); // seats added to the venue: start over
  for (const { seatId, status } of seats) {
    const seat = map.seats.get(seatId);
    seat.status = status;
    map.dirty.add(seat);
  }
  map.position = position;
  map.received.push({ position, seatIds: seats.map((change) => change.seatId) });
  repaintSoon();
  setState('live', `live · ${map.seats.size} seats · last change ${new Date().toLocaleTimeString()}`);
};

/** Opens the stream: from the start (a snapshot first), or after the position already shown. */
const connect = () => {
  const after = map.position ? `?after=${encodeURIComponent(map.position)}` : '';
  const source = new EventSource(`/events/${map.eventId}/seat-map/stream${after}`);
  source.addEventListener('snapshot', onSnapshot);
  source.addEventListener('changes', onChanges);
  // EventSource reconnects by itself, sending the last id it saw (Last-Event-ID): nothing missed or repeated.
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setState('error', 'stream refused; retrying in 3 s');
      setTimeout(() => map.source === source && (disconnect(), connect()), 3_000);
    } else setState('reconnecting', 'reconnecting…');
  });
  map.source = source;
};

const disconnect = () => {
  map.source?.close();
  map.source = null;
  setState('paused', 'paused');
};

const restart = () => {
  disconnect();
  map.position = '';
  connect();
};

const watch = (eventId) => {
  disconnect();
  Object.assign(map, { eventId, position: '', received: [], sections: [] });
  map.seats.clear();
  map.blocks.clear();
  map.dirty.clear();
  highlight([]);
  container.replaceChildren();
  offerSections();
  $('#best-submit').disabled = true; // until the snapshot says what the event has
  $('#best-result').replaceChildren();
  if (eventId) {
    setState('loading', 'loading…');
    connect();
  } else setState('idle', 'not watching');
  refreshDoor();
};

const loadEvents = async () => {
  const response = await api('/events?limit=100');
  const { items } = await response.json();
  const options = items.map((event) => Object.assign(document.createElement('option'), { value: event.id, textContent: `${event.name} · ${event.status} · ${event.startTime.slice(0, 16).replace('T', ' ')}` }));
  $('#event').replaceChildren(Object.assign(document.createElement('option'), { value: '', textContent: `(choose one of ${items.length})` }), ...options);
};

$('#event').addEventListener('change', (e) => watch(e.target.value));

container.addEventListener('mousemove', (e) => {
  const block = map.blocks.get(e.target);
  const box = e.target.getBoundingClientRect();
  const seat = block?.grid.get(`${Math.floor((e.clientX - box.left - block.labels) / map.cell)},${Math.floor((e.clientY - box.top) / map.cell)}`);
  $('#seat-info').textContent = seat ? `${describe(seat.seatId)} · ${seat.type} ${seat.price === null ? '' : `${seat.price} ${map.currency}`} · ${seat.status}` : '\u00a0';
});

/** "Circle · row C seat 12", or without the section in a venue that has none. */
const describe = (seatId) => {
  const seat = map.seats.get(seatId);
  return seat ? `${seat.section ? `${seat.section} · ` : ''}row ${seat.row} seat ${seat.number}` : seatId;
};

// ---- Best available: the buyer (the token's user) asks for a number of seats, the service chooses them.
const paragraph = (text) => Object.assign(document.createElement('p'), { textContent: text });
const showResult = (outcome, ...content) => {
  $('#best-result').dataset.outcome = outcome;
  $('#best-result').replaceChildren(...content);
};

$('#best-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const { eventId } = map;
  const body = { eventId, quantity: Number($('#best-quantity').value) };
  if ($('#best-type').value) body.seatType = $('#best-type').value;
  if ($('#best-section').value) body.section = map.sections[Number($('#best-section').value)];
  $('#best-submit').disabled = true; // one request at a time: a double click books once
  highlight([]);
  showResult('pending', paragraph('Asking for seats…'));
  try {
    const response = await api('/bookings', { method: 'POST', body });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 201) {
      const seats = document.createElement('ul');
      seats.append(...answer.items.map(({ seatId, price }) => Object.assign(document.createElement('li'), { textContent: `${describe(seatId)} · ${price} ${answer.currency}` })));
      const count = `${answer.items.length} seat${answer.items.length > 1 ? 's' : ''}`;
      showResult('booked', paragraph(`Booked ${count} · total ${answer.totalAmount} ${answer.currency} · held until ${new Date(answer.expiresAt).toLocaleTimeString()} (booking ${answer.id})`), seats);
      // Another event may be shown by now, maybe of the same venue (the same seat ids): outline only on this one.
      if (map.eventId === eventId) highlight(answer.items.map((item) => item.seatId));
      $('#booking-id').value = answer.id; // its timeline is a click away
    } else {
      // A problem (application/problem+json): `detail` says what went wrong; not-enough-seats also how many are free.
      const free = /not-enough-seats$/.test(answer.type ?? '') ? [paragraph(`Free seats of that kind: ${answer.available}, not ${body.quantity} side by side.`)] : [];
      const hint = response.status === 401 ? ' Paste a token above.' : '';
      showResult('refused', paragraph(`${answer.detail ?? `${response.status} ${answer.title ?? response.statusText}`}${hint}`), ...free);
    }
  } catch (error) {
    showResult('refused', paragraph(`The service could not be reached: ${error.message}`));
  } finally {
    $('#best-submit').disabled = !map.eventId || map.seats.size === 0;
  }
});

// ---- Door: who has come in to the event shown, asked again every 2 s while the door view is open.
const DOOR_POLL_MS = 2_000;
const door = {
  shown: false,
  eventId: '', // the event whose figures are shown (or asked for)
  run: 0, // the polling under way: each start or stop makes a new one, and an older one's answers and timers are dropped
  timer: 0,
};

/** A message instead of the figures: never beside numbers that may no longer be true. */
const doorMessage = (text, kind = 'info') => {
  $('#door-message').dataset.kind = kind;
  $('#door-message').textContent = text;
  $('#door-figures').hidden = true;
};

const percent = (part, whole) => (whole > 0 ? Math.round((part / whole) * 100) : 0);

/** A bar filled to `share` %; more than 100 (admissions of a booking cancelled since) fills it. */
const fill = (bar, share) => {
  bar.firstElementChild.style.width = `${Math.min(100, share)}%`;
};

/** Natural order, as a person reads gate names: "North 2" before "North 10". */
const byGateName = (a, b) => a.localeCompare(b, undefined, { numeric: true });

const showAttendance = ({ tickets, admitted, duplicates, byGate }) => {
  $('#door-admitted').textContent = String(admitted);
  $('#door-tickets').textContent = String(tickets);
  $('#door-duplicates').textContent = String(duplicates);
  $('#door-percent').textContent = `${percent(admitted, tickets)}%`;
  fill($('#door-bar'), percent(admitted, tickets));
  $('#door-bar').setAttribute('aria-valuemax', String(tickets));
  $('#door-bar').setAttribute('aria-valuenow', String(admitted));
  const gates = Object.entries(byGate).sort(([a], [b]) => byGateName(a, b));
  const cell = (text) => Object.assign(document.createElement('td'), { textContent: text });
  const rows = gates.map(([gate, count]) => {
    const share = percent(count, admitted);
    const bar = Object.assign(document.createElement('span'), { className: 'bar' });
    bar.append(document.createElement('span'));
    fill(bar, share);
    const tr = document.createElement('tr');
    const shareCell = cell(`${share}%`);
    shareCell.prepend(bar, ' ');
    tr.append(cell(gate), cell(String(count)), shareCell);
    return tr;
  });
  if (rows.length === 0) {
    const none = Object.assign(document.createElement('tr'), { className: 'empty' });
    none.append(Object.assign(cell('no one admitted yet'), { colSpan: 3 }));
    rows.push(none);
  }
  $('#door-gates tbody').replaceChildren(...rows);
  $('#door-updated').textContent = `updated ${new Date().toLocaleTimeString()}, again every ${DOOR_POLL_MS / 1000} s`;
  $('#door-message').textContent = '';
  $('#door-figures').hidden = false;
};

const pollDoor = async (run) => {
  try {
    const response = await api(`/events/${encodeURIComponent(door.eventId)}/attendance`);
    const answer = await response.json().catch(() => ({}));
    if (run !== door.run) return; // closed, or another event chosen, while this was asked
    if (response.ok) showAttendance(answer);
    else if (response.status === 401 || response.status === 403)
      doorMessage(`The door needs a token with checkin:write${response.status === 401 ? ': paste one above.' : '; this one has not got it.'}`, 'refused');
    else if (response.status === 404) doorMessage('Unknown event: the service has no such event.', 'refused');
    else doorMessage(`${response.status}: ${answer.detail ?? answer.title ?? response.statusText}`, 'refused');
  } catch (error) {
    if (run !== door.run) return;
    doorMessage(`The service could not be reached: ${error.message}`, 'refused');
  }
  // Still asking after a refusal: a token pasted or a service back shows up by itself. The next
  // poll is 2 s after this answer, not on a fixed interval, so a slow service never gets a pile of them.
  if (run === door.run) door.timer = setTimeout(() => pollDoor(run), DOOR_POLL_MS);
};

/** Stops the polling under way, if any, and polls again from now for the event shown, if the view is open. */
const refreshDoor = () => {
  clearTimeout(door.timer);
  const run = ++door.run;
  if (door.eventId !== map.eventId) doorMessage('Loading…'); // not another event's figures, even for a moment
  door.eventId = map.eventId;
  if (!door.shown) return;
  if (door.eventId) pollDoor(run);
  else doorMessage('Choose an event above to see who has come in.');
};

$('#door-toggle').addEventListener('click', () => {
  door.shown = !door.shown;
  $('#door').hidden = !door.shown;
  $('#door-toggle').setAttribute('aria-expanded', String(door.shown));
  $('#door-toggle').textContent = door.shown ? 'Hide the door' : 'Show the door';
  refreshDoor();
});

/** What the door shows, read from the page: null figures while a message stands in for them. */
const doorShown = () => {
  const figures = !$('#door').hidden && !$('#door-figures').hidden;
  const number = (selector) => (figures ? Number($(selector).textContent) : null);
  const rows = [...document.querySelectorAll('#door-gates tbody tr:not(.empty)')];
  return {
    shown: !$('#door').hidden,
    message: $('#door-message').textContent,
    admitted: number('#door-admitted'),
    tickets: number('#door-tickets'),
    duplicates: number('#door-duplicates'),
    byGate: figures ? Object.fromEntries(rows.map((tr) => [tr.cells[0].textContent, Number(tr.cells[1].textContent)])) : null,
  };
};

// ---- Audit timeline: a booking's events in order, who and why, and the state after each.
const pre = (value) => Object.assign(document.createElement('pre'), { textContent: JSON.stringify(value, null, 2) });
const line = (className, text) => Object.assign(document.createElement('div'), { className, textContent: text });

const showTimeline = async (bookingId) => {
  $('#timeline').replaceChildren();
  $('#timeline-message').textContent = '';
  const response = await api(`/bookings/${encodeURIComponent(bookingId)}/history`);
  if (!response.ok) {
    $('#timeline-message').textContent =
      response.status === 404 ? 'Not found, or not yours.' : response.status === 401 ? 'The token is missing or not valid.' : `${response.status}: ${(await response.json()).detail ?? ''}`;
    return;
  }
  const events = await response.json();
  $('#timeline').replaceChildren(
    ...events.map((event, i) => {
      const before = events[i - 1]?.stateAfter;
      const changed = !before ? ['(new)'] : Object.keys(event.stateAfter ?? {}).filter((key) => JSON.stringify(event.stateAfter[key]) !== JSON.stringify(before[key]));
      const { userId, correlationId, causationId } = event.metadata;
      const li = document.createElement('li');
      li.dataset.type = event.type;
      const columns = document.createElement('div');
      columns.className = 'columns';
      const data = document.createElement('div');
      const after = document.createElement('div');
      data.append(line('meta', 'data'), pre(event.data));
      after.append(line('meta', `state after: ${event.stateAfter?.status ?? '—'} · changed ${changed.join(', ') || 'nothing'}`), pre(event.stateAfter));
      columns.append(data, after);
      li.append(
        line('type', `${event.type}  ·  ${event.occurredAt}`),
        line('meta', `by ${userId ?? '(the system)'} · ${event.stream} #${event.revision} · position ${event.position}`),
        line('meta', `correlation ${correlationId} · causation ${causationId ?? '—'}`),
        columns,
      );
      return li;
    }),
  );
};

$('#booking-form').addEventListener('submit', (e) => {
  e.preventDefault();
  showTimeline($('#booking-id').value.trim());
});

$('#my-bookings').addEventListener('click', async () => {
  const response = await api('/me/bookings?limit=50');
  if (!response.ok) {
    $('#timeline-message').textContent = response.status === 401 ? 'The token is missing or not valid.' : `${response.status}`;
    return;
  }
  const { items } = await response.json();
  $('#bookings').replaceChildren(
    ...items.map((booking) => {
      const button = Object.assign(document.createElement('button'), { type: 'button', textContent: `${booking.id.slice(0, 8)} ${booking.status}` });
      button.addEventListener('click', () => (($('#booking-id').value = booking.id), showTimeline(booking.id)));
      const li = document.createElement('li');
      li.append(button);
      return li;
    }),
  );
});

// What the browser test (and a curious operator, from devtools) can ask the page.
/** The colour the canvas shows at (dx, dy) in the seat's square, as #rrggbb. */
const pixel = (seatId, dx, dy) => {
  const seat = map.seats.get(seatId);
  const ratio = window.devicePixelRatio || 1;
  const [r, g, b] = seat.block.context.getImageData(Math.floor((seat.x + dx) * ratio), Math.floor((seat.y + dy) * ratio), 1, 1).data;
  return `#${[r, g, b].map((n) => n.toString(16).padStart(2, '0')).join('')}`;
};
window.eventixConsole = {
  seatStatus: (seatId) => map.seats.get(seatId)?.status,
  /** The seat's colour: the middle of its square (an outline does not reach it). */
  seatColour: (seatId) => pixel(seatId, Math.floor((map.cell - 1) / 2), Math.floor((map.cell - 1) / 2)),
  /** The colour of the seat's edge: HIGHLIGHT when outlined, else its status colour. */
  edgeColour: (seatId) => pixel(seatId, 0, 0),
  colours: COLOURS,
  highlightColour: HIGHLIGHT,
  counts,
  /** The section labels shown over the map, in order (none for a venue without sections). */
  sections: () => [...container.querySelectorAll('figcaption')].map((caption) => caption.textContent),
  highlighted: () => [...map.highlighted],
  position: () => map.position,
  received: () => map.received,
  disconnect,
  connect,
  door: doorShown,
};

showWho();
loadEvents();
