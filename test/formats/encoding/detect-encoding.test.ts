/**
 * Encoding detection on sniff samples: BOMs, UTF-16 without one, binary files, UTF-8 (also with a
 * few broken rows), and chardet's guesses for the legacy encodings; `--encoding` wins.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectEncoding, type EncodingSample } from '../../../src/formats/encoding/detect-encoding.js';
import { canonicalEncoding, overrideEncoding } from '../../../src/formats/encoding/text-encoding.js';
import { BOMS, encodeLines, encodeText, type FixtureEncoding } from './encoded-text.js';

function whole(bytes: Buffer): EncodingSample {
  return { head: bytes, headIsWholeFile: true, spots: [] };
}

const WESTERN = ['id,city,note', ...Array.from({ length: 40 }, (_, i) => `${i},Zürich,café au lait à la française ${i}, naïve façade, Müller Straße, São Paulo`)];
const JAPANESE = ['id|name|city|note', ...Array.from({ length: 12 }, (_, i) => `${i}|ソフト表示${i}|東京都|ポイント`)];
const CHINESE = ['id,name,city', ...Array.from({ length: 12 }, (_, i) => `${i},中文数据${i},北京上海`)];

describe('detectEncoding', () => {
  for (const encoding of ['utf-8', 'utf-16le', 'utf-16be'] as const) {
    test(`a ${encoding} BOM decides, and is skipped`, () => {
      const detected = detectEncoding(whole(encodeLines(['a,b', '1,2'], encoding, { bom: true }).bytes));
      assert.deepEqual(detected, { encoding, confidence: 1, bomLength: BOMS[encoding]!.length, source: 'bom' });
    });
  }

  test('a UTF-32 BOM is refused as unsupported', () => {
    assert.throws(() => detectEncoding(whole(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]))), { code: 'SLUICE_ERR_FORMAT_UNSUPPORTED' });
  });

  for (const encoding of ['utf-16le', 'utf-16be'] as const) {
    test(`${encoding} without a BOM is recognised by its zero bytes (ASCII and CJK text)`, () => {
      assert.equal(detectEncoding(whole(encodeLines(WESTERN, encoding).bytes)).encoding, encoding);
      assert.equal(detectEncoding(whole(encodeLines(JAPANESE, encoding).bytes)).encoding, encoding);
      const cut = encodeLines(WESTERN, encoding).bytes.subarray(0, 1001);
      assert.equal(detectEncoding({ head: cut, headIsWholeFile: false, spots: [] }).encoding, encoding, 'a head cut mid-unit');
    });
  }

  test('binary files fail with SLUICE_ERR_FORMAT_BINARY, even when their zeros form a pattern', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    // Little-endian int16 values below 256: every odd byte is zero, like UTF-16LE ASCII.
    const int16 = Buffer.alloc(4096);
    for (let i = 0; i < 2048; i++) int16.writeInt16LE((i * 37) % 256, i * 2);
    let seed = 7;
    const noise = Buffer.from(Array.from({ length: 4096 }, () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24; }));
    noise[100] = 0;
    for (const bytes of [png, int16, noise]) assert.throws(() => detectEncoding(whole(bytes)), { code: 'SLUICE_ERR_FORMAT_BINARY' });
  });

  test('ASCII is UTF-8 with a little less than full confidence; UTF-8 text with full', () => {
    assert.deepEqual(detectEncoding(whole(Buffer.from('a,b\n1,2\n'))), { encoding: 'utf-8', confidence: 0.9, bomLength: 0, source: 'utf-8' });
    assert.equal(detectEncoding(whole(encodeLines(WESTERN, 'utf-8').bytes)).confidence, 1);
  });

  test('UTF-8 with a few broken rows stays UTF-8 (those rows are rejected later, not garbled)', () => {
    const bytes = Buffer.concat([encodeLines(WESTERN, 'utf-8').bytes, Buffer.from([0x39, 0x2c, 0xe9, 0x0a, 0x39, 0x2c, 0xff, 0x0a])]);
    const detected = detectEncoding(whole(bytes));
    assert.equal(detected.encoding, 'utf-8');
    assert.ok(detected.confidence > 0.9 && detected.confidence < 1, String(detected.confidence));
  });

  const legacy: [FixtureEncoding, string[], string][] = [
    ['windows-1252', [...WESTERN, '99,“quoted” – €,x'], 'windows-1252'],
    // Without 0x80–0x9F bytes chardet says ISO-8859-1, which is windows-1252 by its WHATWG name.
    ['iso-8859-1', WESTERN, 'windows-1252'],
    ['shift_jis', JAPANESE, 'shift_jis'],
    ['gb18030', CHINESE, 'gb18030'],
  ];
  for (const [fixture, lines, expected] of legacy) {
    test(`${fixture} is detected by chardet as ${expected}`, () => {
      const detected = detectEncoding(whole(encodeLines(lines, fixture).bytes));
      assert.equal(detected.encoding, expected);
      assert.equal(detected.source, 'chardet');
      assert.ok(detected.confidence > 0 && detected.confidence <= 1);
    });
  }

  test('the spots count: an ASCII head with Windows-1252 later is not UTF-8', () => {
    const head = Buffer.from('id,city\n1,plain\n2,ascii\n');
    const spot = encodeText('\n3,Zürich café\n4,Müller Straße façade\n5,naïve à la française\n', 'windows-1252');
    assert.equal(detectEncoding({ head, headIsWholeFile: false, spots: [spot] }).encoding, 'windows-1252');
  });

  test('--encoding wins over the BOM and the bytes; its own BOM is still skipped', () => {
    const utf8WithBom = encodeLines(['a,b'], 'utf-8', { bom: true }).bytes;
    assert.deepEqual(detectEncoding(whole(utf8WithBom), 'latin1'), { encoding: 'windows-1252', confidence: 1, bomLength: 0, source: 'override' });
    const utf16 = encodeLines(['a,b'], 'utf-16le', { bom: true }).bytes;
    assert.deepEqual(detectEncoding(whole(utf16), 'UTF-16'), { encoding: 'utf-16le', confidence: 1, bomLength: 2, source: 'override' });
    assert.throws(() => detectEncoding(whole(utf16), 'klingon'), { code: 'SLUICE_ERR_CONFIG_INVALID' });
  });
});

describe('detectEncoding: a stray NUL byte', () => {
  test('one NUL byte in UTF-8 text is UTF-8 (a NUL_BYTE reject later), not binary and not a UTF-16 guess', () => {
    for (const text of ['id,v\n1,\0\n', 'id,v\n1,a\n2,b\0c\n3,d\n', 'a\0', `id,city\n${Array.from({ length: 200 }, (_, i) => `${i},Zürich ${i === 77 ? '\0' : ''}`).join('\n')}\n`]) {
      const detected = detectEncoding(whole(Buffer.from(text, 'utf8')));
      assert.equal(detected.encoding, 'utf-8', JSON.stringify(text));
      assert.equal(detected.source, 'utf-8');
    }
    const cut = Buffer.from(`id,v\n${Array.from({ length: 2000 }, (_, i) => `${i},${i === 3 ? '\0' : 'x'}`).join('\n')}\n`);
    assert.equal(detectEncoding({ head: cut.subarray(0, 4000), headIsWholeFile: false, spots: [] }).encoding, 'utf-8', 'a head cut before the end');
  });

  test('control bytes used as delimiters are text: Hive\'s ^A, the ASCII unit and record separators', () => {
    const hive = Buffer.from(Array.from({ length: 300 }, (_, i) => `${i}\u0001name ${i}\u0001a\u0002b\u0003c\n`).join(''));
    const separators = Buffer.from(Array.from({ length: 300 }, (_, i) => `${i}\u001fx${i}\u001e`).join(''));
    for (const bytes of [hive, separators]) assert.equal(detectEncoding(whole(bytes)).encoding, 'utf-8');
  });

  test('a NUL in Windows-1252 text leaves it to chardet', () => {
    const bytes = Buffer.concat([encodeLines(WESTERN, 'windows-1252').bytes, Buffer.from('99,x\0y\n')]);
    assert.equal(detectEncoding(whole(bytes)).encoding, 'windows-1252');
  });

  test('NULs and control bytes beyond a stray one are binary: executables, images, random bytes', () => {
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x3e, 0x00]);
    const padded = Buffer.concat([Buffer.from('name\n'), Buffer.alloc(200), Buffer.from('more\n')]);
    let seed = 11;
    const noise = Buffer.from(Array.from({ length: 300 }, () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24; }));
    for (const bytes of [elf, padded, noise]) assert.throws(() => detectEncoding(whole(bytes)), { code: 'SLUICE_ERR_FORMAT_BINARY' });
  });
});

describe('detectEncoding: multi-byte candidates are checked before a single-byte guess wins', () => {
  test('the fixture byte tables are what the decoders read, strictly', () => {
    const texts: [FixtureEncoding, string][] = [
      ['shift_jis', '東京都大阪府日本語表示ソフトポイント名前価格商品円能山田太郎鈴木花子佐藤次住所新宿区北海道札幌市社員番号氏ｺｰﾄﾞﾒｲｼｮｳﾃｽﾄﾔﾏﾀﾞﾛｽｽﾞｷﾊﾅｻﾄｼﾞ'],
      ['gb18030', '中文北京上海数据乗亅€é名称价格城市😀姓张伟王芳李娜广州'],
      ['big5', '姓名城市張偉台北王芳高雄李娜中'],
      ['euc-kr', '이름도시김철수서울영희부산박민대구'],
      ['koi8-r', 'имя,город Иван Москва Пётр Санкт-Петербург Анна Новосибирск ЁЩЪЮЯ'],
    ];
    for (const [encoding, text] of texts) {
      assert.equal(new TextDecoder(encoding, { fatal: true }).decode(encodeText(text, encoding)), text, encoding);
    }
  });

  const cases: [string, FixtureEncoding, string[]][] = [
    ['a short Shift_JIS file of names (chardet: Windows-1252)', 'shift_jis', ['id,名前,住所', '1,山田太郎,東京都新宿区', '2,鈴木花子,大阪府大阪市', '3,佐藤次郎,北海道札幌市']],
    ['Shift_JIS half-width katakana (chardet: ISO-8859-1)', 'shift_jis', ['ｺｰﾄﾞ,ﾒｲｼｮｳ', '1,ﾃｽﾄ', '2,ｺｰﾄﾞ', '3,ﾃｽﾄ ﾒｲｼｮｳ']],
    ['three Shift_JIS city names', 'shift_jis', ['id,都市', '1,東京', '2,大阪', '3,札幌']],
    ['Shift_JIS kanji names with half-width kana readings (chardet: Windows-1252, then KOI8-R)', 'shift_jis',
      ['社員番号,氏名,ｶﾅ', '0,山田太郎,ﾔﾏﾀﾞ ﾀﾛｳ', '1,鈴木花子,ｽｽﾞｷ ﾊﾅｺ', '2,佐藤次郎,ｻﾄｳ ｼﾞﾛｳ']],
    ['a short Big5 file (chardet: ISO-8859-1)', 'big5', ['id,城市', '1,台北', '2,高雄']],
    ['a short EUC-KR file (chardet: ISO-8859-1; Big5 and GB18030 decode it too, as hanzi)', 'euc-kr', ['id,도시', '1,서울', '2,부산', '3,대구']],
  ];
  for (const [name, encoding, lines] of cases) {
    test(`${name} is ${encoding}`, () => {
      const detected = detectEncoding(whole(encodeLines(lines, encoding).bytes));
      assert.equal(detected.encoding, encoding);
      assert.equal(detected.source, 'coherence check');
      assert.ok(detected.confidence > 0 && detected.confidence < 1, String(detected.confidence));
    });
  }

  test('KOI8-R Russian, which decodes strictly as Shift_JIS and which chardet ranks Shift_JIS first, is KOI8-R', () => {
    const bytes = encodeLines(['имя,город', 'Иван,Москва', 'Пётр,Санкт-Петербург', 'Анна,Новосибирск'], 'koi8-r').bytes;
    new TextDecoder('shift_jis', { fatal: true }).decode(bytes);
    const detected = detectEncoding(whole(bytes));
    assert.equal(detected.encoding, 'koi8-r');
  });

  test('Western text that happens to decode strictly as Shift_JIS stays Windows-1252', () => {
    const lines = ['name,stadt', 'Schäfer,Bär', 'Käse,Männer', 'Ärger,Mädchen'];
    const bytes = encodeLines(lines, 'windows-1252').bytes;
    new TextDecoder('shift_jis', { fatal: true }).decode(bytes);
    assert.equal(detectEncoding(whole(bytes)).encoding, 'windows-1252');
    assert.equal(detectEncoding(whole(encodeLines(['name,stadt', 'Müller,Zürich', 'Größer,Düsseldorf', 'Jürgen,Köln'], 'windows-1252').bytes)).encoding, 'windows-1252');
  });

  test('GB18030, Big5 and EUC-KR files chardet is sure of are kept', () => {
    assert.equal(detectEncoding(whole(encodeLines(['姓名,城市', '张伟,北京', '王芳,上海'], 'gb18030').bytes)).encoding, 'gb18030');
    assert.equal(detectEncoding(whole(encodeLines(['姓名,城市', '張偉,台北', '王芳,高雄'], 'big5').bytes)).encoding, 'big5');
    assert.equal(detectEncoding(whole(encodeLines(['이름,도시', '김철수,서울', '이영희,부산'], 'euc-kr').bytes)).encoding, 'euc-kr');
  });
});

describe('encoding names', () => {
  test('labels become WHATWG canonical names', () => {
    assert.equal(canonicalEncoding('UTF8'), 'utf-8');
    assert.equal(canonicalEncoding('latin1'), 'windows-1252');
    assert.equal(canonicalEncoding('ISO-8859-1'), 'windows-1252');
    assert.equal(canonicalEncoding('iso-8859-15'), 'iso-8859-15');
    assert.equal(canonicalEncoding('sjis'), 'shift_jis');
    assert.equal(canonicalEncoding('GB18030'), 'gb18030');
    assert.equal(canonicalEncoding('utf-16'), 'utf-16le');
  });

  test('encodings Sluice cannot read are refused by --encoding', () => {
    for (const label of ['utf-32', 'iso-2022-jp', 'replacement', 'nonsense']) {
      assert.equal(canonicalEncoding(label), null, label);
      assert.throws(() => overrideEncoding(label), { code: 'SLUICE_ERR_CONFIG_INVALID' }, label);
    }
  });
});
