// The operator console: a live seat map and a booking's audit timeline, on the service's own API.
// Plain ES module, no framework and no build step. Data goes into the page as text (textContent),
// never as HTML.
const $ = (selector) => document.querySelector(selector);
const COLOURS = { AVAILABLE: '#2e9d5b', RESERVED: '#e3a21a', SOLD: '#c8423a' };
const STATUSES = Object.keys(COLOURS);

// ---- The token: kept for this tab only, sent as the API wants it.
const token = () => sessionStorage.getItem('eventix.token') ?? '';
const api = (path) => fetch(path, { headers: token() ? { authorization: `Bearer ${token()}` } : {} });

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
});

// ---- Live seat map: drawn once from the snapshot, then only the seats that change are repainted.
const map = {
  eventId: '',
  source: null, // the EventSource
  position: '', // the last position applied: a reconnect asks for what came after it
  seats: new Map(), // seatId → { row, number, type, price, status, x, y }
  grid: new Map(), // "x,y" → seat, for the pointer
  cell: 8,
  labels: 0, // width of the row labels left of the seats
  dirty: new Set(), // seats to repaint on the next frame
  received: [], // every `changes` message: { position, seatIds } (for tests and curiosity)
};
const canvas = $('#seat-map');
const context = canvas.getContext('2d');

const setState = (state, text) => {
  $('#stream-state').dataset.state = state;
  $('#stream-state').textContent = text;
};

const counts = () => {
  const tally = { AVAILABLE: 0, RESERVED: 0, SOLD: 0, total: map.seats.size };
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
  $('#seat-map').dataset.counts = JSON.stringify(tally);
  if (prices) $('#prices').replaceChildren(...prices.map(([type, price]) => Object.assign(document.createElement('li'), { textContent: `${type} ${price ?? '—'}` })));
};

/** Lays the seats out by row (in the map's order) and number, sizes the canvas, draws every seat. */
const drawAll = (seats) => {
  // A … Z before AA, 9 before 10: shorter labels first, then in natural order.
  const rows = [...new Set(seats.map((seat) => seat.row))].sort((a, b) => a.length - b.length || a.localeCompare(b, undefined, { numeric: true }));
  const numbers = seats.map((seat) => seat.number);
  const first = Math.min(...numbers);
  const columns = Math.max(...numbers) - first + 1;
  const width = canvas.parentElement.clientWidth - 40;
  map.cell = Math.max(3, Math.min(18, Math.floor(width / Math.max(columns, 1))));
  const labels = (map.labels = map.cell >= 10 ? 28 : 0);
  const ratio = window.devicePixelRatio || 1;
  canvas.style.width = `${labels + columns * map.cell}px`;
  canvas.style.height = `${rows.length * map.cell}px`;
  canvas.width = Math.ceil((labels + columns * map.cell) * ratio);
  canvas.height = Math.ceil(rows.length * map.cell * ratio);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.font = `${Math.min(map.cell - 2, 11)}px system-ui`;
  context.textBaseline = 'middle';
  rows.forEach((row, y) => labels && context.fillText(row, 2, y * map.cell + map.cell / 2));
  const rowIndex = new Map(rows.map((row, y) => [row, y]));
  map.seats.clear();
  map.grid.clear();
  for (const seat of seats) {
    const placed = { ...seat, x: labels + (seat.number - first) * map.cell, y: rowIndex.get(seat.row) * map.cell };
    map.seats.set(seat.seatId, placed);
    map.grid.set(`${Math.floor((placed.x - labels) / map.cell)},${rowIndex.get(seat.row)}`, placed);
    paint(placed);
  }
};

const paint = (seat) => {
  context.fillStyle = COLOURS[seat.status] ?? '#999';
  const gap = map.cell > 4 ? 1 : 0;
  context.clearRect(seat.x, seat.y, map.cell, map.cell);
  context.fillRect(seat.x, seat.y, map.cell - gap, map.cell - gap);
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

const onSnapshot = (message) => {
  const snapshot = JSON.parse(message.data);
  drawAll(snapshot.seats);
  map.position = snapshot.position;
  const prices = new Map(snapshot.seats.map((seat) => [seat.type, seat.price]));
  renderLegend([...prices].sort());
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
  Object.assign(map, { eventId, position: '', received: [] });
  map.seats.clear();
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (eventId) {
    setState('loading', 'loading…');
    connect();
  } else setState('idle', 'not watching');
};

const loadEvents = async () => {
  const response = await api('/events?limit=100');
  const { items } = await response.json();
  const options = items.map((event) => Object.assign(document.createElement('option'), { value: event.id, textContent: `${event.name} · ${event.status} · ${event.startTime.slice(0, 16).replace('T', ' ')}` }));
  $('#event').replaceChildren(Object.assign(document.createElement('option'), { value: '', textContent: `(choose one of ${items.length})` }), ...options);
};

$('#event').addEventListener('change', (e) => watch(e.target.value));

canvas.addEventListener('mousemove', (e) => {
  const box = canvas.getBoundingClientRect();
  const seat = map.grid.get(`${Math.floor((e.clientX - box.left - map.labels) / map.cell)},${Math.floor((e.clientY - box.top) / map.cell)}`);
  $('#seat-info').textContent = seat ? `row ${seat.row} seat ${seat.number} · ${seat.type} ${seat.price ?? ''} · ${seat.status}` : '\u00a0';
});

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
window.eventixConsole = {
  seatStatus: (seatId) => map.seats.get(seatId)?.status,
  /** The colour the canvas shows at the seat, as #rrggbb. */
  seatColour: (seatId) => {
    const seat = map.seats.get(seatId);
    const ratio = window.devicePixelRatio || 1;
    const [r, g, b] = context.getImageData(Math.floor((seat.x + 1) * ratio), Math.floor((seat.y + 1) * ratio), 1, 1).data;
    return `#${[r, g, b].map((n) => n.toString(16).padStart(2, '0')).join('')}`;
  },
  colours: COLOURS,
  counts,
  position: () => map.position,
  received: () => map.received,
  disconnect,
  connect,
};

showWho();
loadEvents();
