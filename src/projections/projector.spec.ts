import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { nameUuid } from './projector.js';

describe('nameUuid', () => {
  it("gives the uuid package's v5 for any name in any namespace", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uuid(), (name, namespace) => {
        expect(nameUuid(name, namespace)).toBe(uuidv5(name, namespace));
      }),
      { numRuns: 2_000 },
    );
  });

  it("gives RFC 4122's own example", () => {
    expect(nameUuid('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});
