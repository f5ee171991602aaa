import { MAX_JSON_DEPTH, nestingDepth, parseJsonObject } from './json-body';

const parse = (text: string) => parseJsonObject(Buffer.from(text, 'utf8'));

describe('parseJsonObject', () => {
  it('accepts one JSON object', () => {
    expect(parse('{"deviceId":"pi-1","type":"fire"}')).toEqual({
      ok: true,
      value: { deviceId: 'pi-1', type: 'fire' },
    });
  });

  it.each([
    ['', 'body must be a JSON object, not empty'],
    ['[1,2]', 'body must be a JSON object'],
    ['"text"', 'body must be a JSON object'],
    ['null', 'body must be a JSON object'],
    ['42', 'body must be a JSON object'],
  ])('refuses %j as not an object', (text, message) => {
    expect(parse(text)).toEqual({ ok: false, messages: [message] });
  });

  it('refuses malformed JSON with the parser reason', () => {
    const result = parse('{"deviceId": ');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.messages[0]).toMatch(/^body is not valid JSON: /);
  });

  it('refuses prototype keys at any depth, by name', () => {
    expect(parse('{"a":{"b":{"__proto__":{"polluted":true}}}}')).toEqual({
      ok: false,
      messages: ['property __proto__ should not exist'],
    });
    expect(parse('{"constructor":{"prototype":{}}}')).toEqual({
      ok: false,
      messages: ['property constructor should not exist', 'property prototype should not exist'],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses keys every object inherits, which validators mistake for declared fields', () => {
    expect(parse('{"deviceId":"pi","toString":"x","hasOwnProperty":1}')).toEqual({
      ok: false,
      messages: ['property toString should not exist', 'property hasOwnProperty should not exist'],
    });
  });

  it('refuses bytes that are not UTF-8 rather than altering them', () => {
    expect(parseJsonObject(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))).toEqual({
      ok: false,
      messages: ['body must be valid UTF-8'],
    });
  });

  it('refuses nesting deeper than the limit before parsing', () => {
    const deep = `{"a":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
    expect(parse(deep)).toEqual({
      ok: false,
      messages: [`body must not nest deeper than ${MAX_JSON_DEPTH} levels`],
    });
  });
});

describe('nestingDepth', () => {
  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestingDepth('{"a":"[[[{{{\\"[["}')).toBe(1);
    expect(nestingDepth('{"a":[{"b":[]}]}')).toBe(4);
    expect(nestingDepth('"plain"')).toBe(0);
  });
});
