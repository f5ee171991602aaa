/**
 * What travels on the wire, as plain types, names and constants: no decorators, no
 * validation libraries, no Node built-ins. The dashboard page bundles it for the browser
 * and the button agent imports it without paying for the server's DTO machinery; the
 * DTO classes stay in `@app/contracts`, which re-exports all of this.
 */
export * from './alert';
export * from './device';
export * from './device-stream';
export * from './event-names';
