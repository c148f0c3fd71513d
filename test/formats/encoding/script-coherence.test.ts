/**
 * Script coherence, the measure that checks chardet's guess: clean text in any script scores 1,
 * text decoded in the wrong encoding scores below 0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scriptCoherence } from '../../../src/formats/encoding/script-coherence.js';

describe('scriptCoherence', () => {
  test('clean text in one script per word scores 1, quotes and brackets at a word\'s edges included', () => {
    for (const text of ['Müller,Zürich\nFrançois,“Besançon”', 'Иван,Москва', '山田太郎,東京都新宿区,ソフト', 'ｺｰﾄﾞ,ﾃｽﾄ', '김철수,서울', 'Γιάννης,Αθήνα']) {
      assert.equal(scriptCoherence(text).score, 1, text);
    }
  });

  test('ASCII-only text has nothing to judge', () => {
    assert.deepEqual(scriptCoherence('id,name\n1,ann\n'), { score: 0, characters: 0, phonetic: 0 });
  });

  test('Hangul and full-width kana are counted apart from Han (which any pairing of high bytes gives)', () => {
    assert.equal(scriptCoherence('서울,부산').phonetic, 1);
    assert.equal(scriptCoherence('りんご,東京').phonetic, 0.6);
    assert.equal(scriptCoherence('北京,上海').phonetic, 0);
    assert.equal(scriptCoherence('ｺｰﾄﾞ').phonetic, 0, 'half-width katakana: any byte 0xA1–0xDF in Shift_JIS');
  });

  test('wrong decodings score below 0: symbols inside words, scripts glued together, noise', () => {
    // Shift_JIS 山田太郎 read as Windows-1252; KOI8-R Иван read as Shift_JIS; Shift_JIS read as KOI8-R.
    for (const text of ['ŽR“c‘¾˜Y', '\u9ad4\uff81\uff8e', 'Б─п▒Б─я\u0090']) {
      assert.ok(scriptCoherence(text).score < 0, text);
    }
    assert.ok(scriptCoherence('a\ue000b').score < 0, 'private use');
    assert.ok(scriptCoherence('caf\ufffd').score < 0, 'U+FFFD');
  });
});
