import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { IssuedTickets } from './tickets.queries.js';
import { QR_OPTIONS, qrSegments } from './tickets.queries.js';

const A6 = 'A6';
const MARGIN = 24;
const FOOTER = 20;

/** When the event starts, as printed: in UTC, since the catalog keeps no time zone for a venue. */
const startsAt = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * The tickets as a PDF: one A6 page per ticket with the event, the seat and the QR code, drawn as
 * vector squares (sharp at any size, on paper or on a screen). pdfkit's standard fonts need no files.
 */
export const ticketsPdf = (issued: IssuedTickets): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: A6, margin: MARGIN, autoFirstPage: false, info: { Title: `Tickets of booking ${issued.bookingId}`, Creator: 'Eventix' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const { event } = issued;
    issued.tickets.forEach((ticket, i) => {
      doc.addPage();
      const width = doc.page.width - 2 * MARGIN;
      doc.font('Helvetica-Bold').fontSize(14).text(event.name, { width });
      doc.font('Helvetica').fontSize(9).text([event.venue, event.location].filter(Boolean).join(', '), { width });
      doc.text(startsAt(event.startTime), { width });
      doc.moveDown(0.5);
      const seat = [ticket.section && `Section ${ticket.section}`, `Row ${ticket.row}`, `Seat ${ticket.number}`].filter(Boolean).join('  ·  ');
      doc.font('Helvetica-Bold').fontSize(12).text(seat, { width });
      doc.font('Helvetica').fontSize(8).text(`${ticket.type}  ·  ticket ${i + 1} of ${issued.tickets.length}`, { width });
      const top = doc.y + 8;
      drawQr(doc, ticket.code, MARGIN, top, Math.min(width, doc.page.height - MARGIN - FOOTER - top));
      // Inside the bottom margin, or pdfkit starts a new page for it.
      doc.fontSize(6).text(`Ticket ${ticket.ticketId}\nBooking ${issued.bookingId}`, MARGIN, doc.page.height - MARGIN - FOOTER + 2, { width });
    });
    doc.end();
  });

/** The code's QR modules as black squares in a `size`-wide square at (x, y). */
const drawQr = (doc: PDFKit.PDFDocument, code: string, x: number, y: number, size: number) => {
  const { modules } = QRCode.create(qrSegments(code), { errorCorrectionLevel: QR_OPTIONS.errorCorrectionLevel });
  const count = modules.size + 2 * QR_OPTIONS.margin;
  const cell = size / count;
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) doc.rect(x + (col + QR_OPTIONS.margin) * cell, y + (row + QR_OPTIONS.margin) * cell, cell, cell);
    }
  }
  doc.fill('black');
};
