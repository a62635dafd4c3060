// pg's own value serialisation (pg/lib/utils), which @types/pg does not describe.
declare module 'pg/lib/utils.js' {
  const utils: {
    /** A value as the driver sends it as a text parameter (arrays as array literals, objects as JSON, dates in ISO). */
    prepareValue(value: unknown): string | Buffer | null;
    escapeLiteral(text: string): string;
  };
  export default utils;
}
