/** This host only: `localhost`, 127.0.0.0/8 or ::1 (brackets as in a URL allowed). One rule for binds and URLs. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
