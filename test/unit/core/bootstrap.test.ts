import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesM1, explainM1, bootstrapRule, compilePatterns } from '../../../src/core/bootstrap';

test('M1 accepts lower-case security words in prose', () => {
  for (const t of [
    'This is a security issue.',
    'Is this secure against replay?',
    'The token is stored insecurely in the cookie',
    'this looks insecure to me',
    'Please securely wipe the buffer',
    'Could this be a securty hole? (typo) but security matters',
  ]) assert.equal(matchesM1(t), true, t);
});

test('M1 rejects paths, file names, folders and identifiers', () => {
  const cases: [string, string][] = [
    ['see security/Foo.java for details', 'folder-name'],
    ['Rename SecurityConfig to AuthConfig', 'camel-case'],
    ['call this.secure() here', 'path-separator-before'],
    ['the flag _secure is unused', 'path-separator-before'],
    ['import org/secure/Thing', 'path-separator-before'],
    ['update securityUtils.java please', 'file-name'],
    ['move it into secure-utils/helpers', 'folder-name'],
    ['the isSecureRandom method', 'camel-case'],
  ];
  for (const [text, reason] of cases) {
    assert.equal(matchesM1(text), false, text);
    assert.equal(explainM1(text)[0]?.reason, reason, text);
  }
});

test('M1 rejects a capitalized match, exactly as the paper\'s CamelCase test does', () => {
  // The CamelCase test `^[a-z0-9]*[A-Z]` applies to the text from the match on, so a match that
  // starts with a capital is rejected: "Security" at the start of a sentence, "SECURITY".
  assert.equal(matchesM1('Security is not handled here.'), false);
  assert.equal(matchesM1('SECURITY: this leaks the key'), false);
  assert.deepEqual(explainM1('Security first').map((m) => m.reason), ['camel-case']);
});

test('M1 is a candidate when only a later match survives', () => {
  const text = 'SecurityConfig in security/Foo.java is fine, but this endpoint is insecure';
  const m = explainM1(text);
  assert.equal(m.length, 3);
  assert.deepEqual(m.map((x) => x.accepted), [false, false, true]);
  assert.equal(matchesM1(text), true);
});

test('M1 on text without the keyword and on empty text', () => {
  assert.equal(matchesM1(''), false);
  assert.equal(matchesM1('LGTM, thanks!'), false);
  assert.deepEqual(explainM1('nothing here'), []);
});

test('user patterns extend M1; invalid patterns name themselves', () => {
  const rule = bootstrapRule({ patterns: ['injection', '/\\bXSS\\b/'] });
  assert.equal(rule.test('possible SQL Injection here'), true);
  assert.equal(rule.test('this is an XSS vector'), true);
  assert.equal(rule.test('this is an xss vector'), false, 'explicit flags are kept (case-sensitive)');
  assert.equal(rule.test('a security problem'), true, 'M1 still applies');
  const only = bootstrapRule({ useM1: false, patterns: ['csrf'] });
  assert.equal(only.test('a security problem'), false);
  assert.equal(only.test('missing CSRF token'), true);
  assert.throws(() => compilePatterns(['ok', '(unclosed']), /pattern 2 .*not a valid regular expression/);
  assert.throws(() => bootstrapRule({ useM1: false }), /empty/);
});

test('patterns with the global flag stay stateless', () => {
  const rule = bootstrapRule({ useM1: false, patterns: ['/token/g'] });
  assert.equal(rule.test('token'), true);
  assert.equal(rule.test('token'), true);
});
