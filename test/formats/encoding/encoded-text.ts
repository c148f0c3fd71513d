/**
 * Test files in the encodings Sluice reads, written byte by byte. Node can only encode UTF-8,
 * UTF-16LE and Latin-1 itself, so the other encodings' characters come from fixed tables of their
 * byte sequences (taken from the encodings' published mappings) — never from the decoder under test.
 */

/** Windows-1252 bytes 0x80–0x9F that differ from ISO-8859-1 (the rest of 0xA0–0xFF is Latin-1). */
const WINDOWS_1252: Record<string, number> = {
  '€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c,
  'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b,
  'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
};

/** ISO-8859-15 replaces eight Latin-1 characters. */
const ISO_8859_15: Record<string, number> = { '€': 0xa4, 'Š': 0xa6, 'š': 0xa8, 'Ž': 0xb4, 'ž': 0xb8, 'Œ': 0xbc, 'œ': 0xbd, 'Ÿ': 0xbe };
const ISO_8859_15_REPLACED = new Set([0xa4, 0xa6, 0xa8, 0xb4, 0xb8, 0xbc, 0xbd, 0xbe]);

/** Shift_JIS (JIS X 0208) — ソ 表 能 end in 0x5C (`\`), ポ in 0x7C (`|`). */
const SHIFT_JIS: Record<string, number[]> = {
  '東': [0x93, 0x8c], '京': [0x8b, 0x9e], '都': [0x93, 0x73], '大': [0x91, 0xe5], '阪': [0x8d, 0xe3], '府': [0x95, 0x7b],
  '日': [0x93, 0xfa], '本': [0x96, 0x7b], '語': [0x8c, 0xea], '表': [0x95, 0x5c], '示': [0x8e, 0xa6], 'ソ': [0x83, 0x5c],
  'フ': [0x83, 0x74], 'ト': [0x83, 0x67], 'ポ': [0x83, 0x7c], 'イ': [0x83, 0x43], 'ン': [0x83, 0x93], '名': [0x96, 0xbc],
  '前': [0x91, 0x4f], '価': [0x89, 0xbf], '格': [0x8a, 0x69], '商': [0x8f, 0xa4], '品': [0x95, 0x69], '円': [0x89, 0x7e],
  '能': [0x94, 0x5c], '山': [0x8e, 0x52], '田': [0x93, 0x63], '太': [0x91, 0xbe], '郎': [0x98, 0x59], '鈴': [0x97, 0xe9],
  '木': [0x96, 0xd8], '花': [0x89, 0xd4], '子': [0x8e, 0x71], '佐': [0x8d, 0xb2], '藤': [0x93, 0xa1], '次': [0x8e, 0x9f],
  '住': [0x8f, 0x5a], '所': [0x8f, 0x8a], '新': [0x90, 0x56], '宿': [0x8f, 0x68], '区': [0x8b, 0xe6], '北': [0x96, 0x6b],
  '海': [0x8a, 0x43], '道': [0x93, 0xb9], '札': [0x8e, 0x44], '幌': [0x96, 0x79], '市': [0x8e, 0x73], '社': [0x8e, 0xd0],
  '員': [0x88, 0xf5], '番': [0x94, 0xd4], '号': [0x8d, 0x86], '氏': [0x8e, 0x81],
};

/** Half-width katakana (JIS X 0201) are single bytes in Shift_JIS: U+FF61–U+FF9F are 0xA1–0xDF. */
const HALFWIDTH_KATAKANA_FIRST = 0xff61;
const HALFWIDTH_KATAKANA_LAST = 0xff9f;

/** Big5 (traditional Chinese). */
const BIG5: Record<string, number[]> = {
  '姓': [0xa9, 0x6d], '名': [0xa6, 0x57], '城': [0xab, 0xb0], '市': [0xa5, 0xab], '張': [0xb1, 0x69], '偉': [0xb0, 0xb6],
  '台': [0xa5, 0x78], '北': [0xa5, 0x5f], '王': [0xa4, 0xfd], '芳': [0xaa, 0xda], '高': [0xb0, 0xaa], '雄': [0xb6, 0xaf],
  '李': [0xa7, 0xf5], '娜': [0xae, 0x52], '中': [0xa4, 0xa4],
};

/** EUC-KR (KS X 1001 Hangul). */
const EUC_KR: Record<string, number[]> = {
  '이': [0xc0, 0xcc], '름': [0xb8, 0xa7], '도': [0xb5, 0xb5], '시': [0xbd, 0xc3], '김': [0xb1, 0xe8], '철': [0xc3, 0xb6],
  '수': [0xbc, 0xf6], '서': [0xbc, 0xad], '울': [0xbf, 0xef], '영': [0xbf, 0xb5], '희': [0xc8, 0xf1], '부': [0xba, 0xce],
  '산': [0xbb, 0xea], '박': [0xb9, 0xda], '민': [0xb9, 0xce], '대': [0xb4, 0xeb], '구': [0xb1, 0xb8],
};

/** KOI8-R: Cyrillic letters at 0xC0–0xFF in KOI8's own order (lowercase, then uppercase), ё and Ё apart. */
const KOI8_R_LETTERS = 'юабцдефгхийклмнопярстужвьызшэщчъЮАБЦДЕФГХИЙКЛМНОПЯРСТУЖВЬЫЗШЭЩЧЪ';
const KOI8_R: Record<string, number> = { 'ё': 0xa3, 'Ё': 0xb3, ...Object.fromEntries([...KOI8_R_LETTERS].map((c, i) => [c, 0xc0 + i])) };

/** GB18030 — 乗 ends in 0x5C, 亅 in 0x7C; € and 😀 as GB18030 writes them (two and four bytes). */
const GB18030: Record<string, number[]> = {
  '中': [0xd6, 0xd0], '文': [0xce, 0xc4], '北': [0xb1, 0xb1], '京': [0xbe, 0xa9], '上': [0xc9, 0xcf], '海': [0xba, 0xa3],
  '数': [0xca, 0xfd], '据': [0xbe, 0xdd], '乗': [0x81, 0x5c], '亅': [0x81, 0x7c], '€': [0xa2, 0xe3], 'é': [0xa8, 0xa6],
  '名': [0xc3, 0xfb], '称': [0xb3, 0xc6], '价': [0xbc, 0xdb], '格': [0xb8, 0xf1], '城': [0xb3, 0xc7], '市': [0xca, 0xd0],
  '😀': [0x94, 0x39, 0xfc, 0x36], '姓': [0xd0, 0xd5], '张': [0xd5, 0xc5], '伟': [0xce, 0xb0], '王': [0xcd, 0xf5], '芳': [0xb7, 0xbc],
  '李': [0xc0, 0xee], '娜': [0xc4, 0xc8], '广': [0xb9, 0xe3], '州': [0xd6, 0xdd],
};

export type FixtureEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252' | 'iso-8859-1' | 'iso-8859-15' | 'shift_jis' | 'gb18030' | 'big5'
  | 'euc-kr' | 'koi8-r';

function singleByte(text: string, high: (char: string, code: number) => number | undefined, name: string): Buffer {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const byte = code < 0x80 ? code : high(char, code);
    if (byte === undefined) throw new Error(`${JSON.stringify(char)} has no ${name} byte`);
    out.push(byte);
  }
  return Buffer.from(out);
}

function multiByte(text: string, table: Record<string, number[]>, name: string): Buffer {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else if (name === 'shift_jis' && code >= HALFWIDTH_KATAKANA_FIRST && code <= HALFWIDTH_KATAKANA_LAST) out.push(0xa1 + code - HALFWIDTH_KATAKANA_FIRST);
    else if (table[char] !== undefined) out.push(...table[char]);
    else throw new Error(`${JSON.stringify(char)} is not in the ${name} fixture table`);
  }
  return Buffer.from(out);
}

/** `text` in `encoding`, without a byte order mark. */
export function encodeText(text: string, encoding: FixtureEncoding): Buffer {
  switch (encoding) {
    case 'utf-8': return Buffer.from(text, 'utf8');
    case 'utf-16le': return Buffer.from(text, 'utf16le');
    case 'utf-16be': return Buffer.from(text, 'utf16le').swap16();
    case 'iso-8859-1': return singleByte(text, (_, code) => (code <= 0xff ? code : undefined), encoding);
    case 'windows-1252': return singleByte(text, (char, code) => WINDOWS_1252[char] ?? (code >= 0xa0 && code <= 0xff ? code : undefined), encoding);
    case 'iso-8859-15': return singleByte(text, (char, code) => ISO_8859_15[char] ?? (code >= 0xa0 && code <= 0xff && !ISO_8859_15_REPLACED.has(code) ? code : undefined), encoding);
    case 'shift_jis': return multiByte(text, SHIFT_JIS, encoding);
    case 'gb18030': return multiByte(text, GB18030, encoding);
    case 'big5': return multiByte(text, BIG5, encoding);
    case 'euc-kr': return multiByte(text, EUC_KR, encoding);
    case 'koi8-r': return singleByte(text, (char) => KOI8_R[char], encoding);
  }
}

export const BOMS: Partial<Record<FixtureEncoding, Buffer>> = {
  'utf-8': Buffer.from([0xef, 0xbb, 0xbf]),
  'utf-16le': Buffer.from([0xff, 0xfe]),
  'utf-16be': Buffer.from([0xfe, 0xff]),
};

/** A file: the lines encoded, each line's byte offset, and the whole as bytes. */
export interface EncodedFile {
  bytes: Buffer;
  /** Byte offset in the file of each line (after the BOM, if any). */
  lineOffsets: number[];
}

/** Encodes `lines` joined by `newline` (each line followed by it), optionally behind a BOM. */
export function encodeLines(lines: readonly string[], encoding: FixtureEncoding, options: { bom?: boolean; newline?: string } = {}): EncodedFile {
  const newline = options.newline ?? '\n';
  const parts: Buffer[] = [];
  const lineOffsets: number[] = [];
  let offset = 0;
  if (options.bom === true) {
    const bom = BOMS[encoding];
    if (bom === undefined) throw new Error(`${encoding} has no BOM`);
    parts.push(bom);
    offset += bom.length;
  }
  for (const line of lines) {
    lineOffsets.push(offset);
    const bytes = encodeText(line + newline, encoding);
    parts.push(bytes);
    offset += bytes.length;
  }
  return { bytes: Buffer.concat(parts), lineOffsets };
}
