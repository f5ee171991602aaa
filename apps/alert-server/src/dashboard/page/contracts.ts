/**
 * What the page takes from @app/contracts (see tsconfig.json "paths"): the resource types
 * only. The library's index also exports the server's DTOs and Node's crypto, which have no
 * place in a browser bundle; the page imports types alone, so nothing of it is bundled.
 */
export type * from '../../../../../libs/contracts/src/alert';
export type * from '../../../../../libs/contracts/src/device';
