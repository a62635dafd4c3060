import { SignJWT } from 'jose';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config.js';

export type BearerOptions = { permissions?: string[]; expiresIn?: string; secret?: string; issuer?: string; audience?: string };

/**
 * An `Authorization` header value for `userId`, as the service accepts outside production:
 * HS256, signed with the development secret unless told otherwise.
 */
export const bearer = async (userId: string, options: BearerOptions = {}): Promise<string> => {
  const { permissions, expiresIn = '5m', secret = DEVELOPMENT_JWT_SECRET, issuer, audience } = options;
  // `permissions` only when asked for: a token without the claim must mean "no permissions".
  const token = new SignJWT(permissions ? { permissions } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (issuer) token.setIssuer(issuer);
  if (audience) token.setAudience(audience);
  return `Bearer ${await token.sign(new TextEncoder().encode(secret))}`;
};
