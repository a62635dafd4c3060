import { ApiProperty } from '@nestjs/swagger';

export class IssuedTicket {
  @ApiProperty({ format: 'uuid' }) ticketId!: string;
  @ApiProperty({ format: 'uuid' }) seatId!: string;
  @ApiProperty({ example: 'Block 104', description: '"" for a venue without sections' }) section!: string;
  @ApiProperty({ example: 'A' }) row!: string;
  @ApiProperty({ type: 'integer', example: 12 }) number!: number;
  @ApiProperty({
    description: 'What the QR code holds: a compact JWS, `alg` EdDSA (Ed25519), `kid` the key in getTicketKey, payload `{tid, eid, sid, bid}` (ticket, event, seat and booking ids). A gate verifies it offline with the event\'s public key',
  })
  code!: string;
  @ApiProperty({ description: 'The code as a QR code, an SVG document' }) qrSvg!: string;
}

export class BookingTickets {
  @ApiProperty({ format: 'uuid' }) bookingId!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ type: IssuedTicket, isArray: true, description: 'One per seat, by section, row and number' }) tickets!: IssuedTicket[];
}

/** An Ed25519 public key as RFC 8037 writes it. */
export class TicketKey {
  @ApiProperty({ enum: ['OKP'] }) kty!: 'OKP';
  @ApiProperty({ enum: ['Ed25519'] }) crv!: 'Ed25519';
  @ApiProperty({ description: 'The public key, base64url' }) x!: string;
  @ApiProperty({ description: "The key's id (its RFC 7638 thumbprint), as a code's JWS header names it" }) kid!: string;
  @ApiProperty({ enum: ['EdDSA'] }) alg!: 'EdDSA';
  @ApiProperty({ enum: ['sig'] }) use!: 'sig';
}

export class TicketKeySet {
  @ApiProperty({ type: TicketKey, isArray: true, description: 'The current key first, then retired keys that still verify tickets issued before a rotation' }) keys!: TicketKey[];
}

export class Attendance {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ type: 'integer', description: 'Tickets of confirmed bookings: one per seat' }) tickets!: number;
  @ApiProperty({ type: 'integer', description: 'Tickets admitted (each once)' }) admitted!: number;
  @ApiProperty({ type: 'integer', description: 'Scans refused as duplicates' }) duplicates!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Admissions by the gate of the scan that admitted', example: { 'North 3': 812, 'South 1': 640 } })
  byGate!: Record<string, number>;
}
