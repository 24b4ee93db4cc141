import Keygrip from 'keygrip';
import { describe, expect, it } from 'vitest';
import { CookieKeys } from '../src/http/cookie-keys.ts';

const current = 'a current cookie secret of at least 32 characters';
const previous = 'the previous cookie secret, still accepted for now';

describe('cookie signatures', () => {
  it('are the ones keygrip makes, so that cookies signed before an upgrade stay valid, and keygrip accepts ours', () => {
    const keygrip = new Keygrip([current, previous]);
    const keys = new CookieKeys([current, previous]);
    for (const data of ['_interaction=abc', 'csrf_secret=Zx-9_/+=', `signin.device=${'é'.repeat(40)}`]) {
      expect(keys.sign(data)).toBe(keygrip.sign(data));
      expect(keys.index(data, keygrip.sign(data))).toBe(0);
      expect(keygrip.index(data, keys.sign(data))).toBe(0);
    }
  });

  it('accept a cookie signed with a previous secret (COOKIE_SECRETS rotation), and say which', () => {
    const signedBefore = new CookieKeys([previous]).sign('_session=xyz');
    expect(new CookieKeys([current, previous]).index('_session=xyz', signedBefore)).toBe(1);
    expect(new CookieKeys([current]).verify('_session=xyz', signedBefore)).toBe(false);
  });

  it('refuse a changed value, a changed or truncated signature and an empty one', () => {
    const keys = new CookieKeys([current]);
    const signature = keys.sign('_session=xyz');
    expect(keys.verify('_session=xyz', signature)).toBe(true);
    expect(keys.verify('_session=xyZ', signature)).toBe(false);
    expect(keys.verify('_session=xyz', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(keys.verify('_session=xyz', signature.slice(0, -2))).toBe(false);
    expect(keys.verify('_session=xyz', '')).toBe(false);
  });
});
