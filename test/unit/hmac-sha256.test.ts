import { createHmac, randomBytes } from 'node:crypto';
import { HmacSha256 } from '../../src/lib/hmac-sha256.js';

describe('HmacSha256', () => {
  it('gives node:crypto createHmac output for every message length around the block edges', () => {
    for (const keyLength of [0, 1, 16, 63, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      const mac = new HmacSha256(key);
      for (let n = 0; n <= 300; n++) {
        const message = randomBytes(n);
        expect([keyLength, n, mac.hex(message)]).toEqual([
          keyLength,
          n,
          createHmac('sha256', key).update(message).digest('hex'),
        ]);
      }
    }
  });

  it('matches RFC 4231 test case 2', () => {
    const mac = new HmacSha256(Buffer.from('Jefe'));
    expect(mac.hex(Buffer.from('what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
