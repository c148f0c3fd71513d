import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { columnTypeName } from '../../../src/schema/column-type.js';
import { BACKSLASH, DOUBLE_QUOTE, HASH, NONE } from '../../../src/formats/csv/dialect.js';
import { type CsvSniffResult, type SniffOverrides, sniffCsv } from '../../../src/formats/csv/sniffer.js';

/** Sniffs a whole small file given as text. */
function sniff(text: string, overrides: SniffOverrides = {}): CsvSniffResult {
  return sniffCsv({ head: Buffer.from(text, 'utf8'), headIsWholeFile: true, spots: [] }, overrides);
}

function lines(count: number, make: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => `${make(i)}\n`).join('');
}

/** Column names and inferred types, `name:type`. */
function columnsOf(result: CsvSniffResult): string[] {
  return result.columns.map((c) => `${c.name}:${columnTypeName(c.type)}`);
}

/** The text from where the data starts to the end of its line: the first data row. */
function firstDataLine(text: string, result: CsvSniffResult): string {
  const bytes = Buffer.from(text, 'utf8');
  const end = bytes.indexOf(0x0a, result.dataStart);
  return bytes.subarray(result.dataStart, end === -1 ? bytes.length : end).toString('utf8');
}

describe('sniffer: the delimiter is the one consistent from line 1 on', () => {
  test('`a;b` over `x,y;x,y` rows is ;-delimited with a header, not a comma file after a skipped line', () => {
    const text = `a;b\n${lines(40, (i) => `x${i},y;x,y${i}`)}`;
    const result = sniff(text);
    assert.equal(String.fromCharCode(result.dialect.delimiter), ';');
    assert.deepEqual([result.header, result.preambleLines], [true, 0]);
    assert.deepEqual(columnsOf(result), ['a:text', 'b:text']);
    assert.equal(firstDataLine(text, result), 'x0,y;x,y0');
    // The comma reading was about as consistent: the confidence says it was a contest.
    assert.ok(result.delimiterConfidence < 1);
  });

  test('a | file whose text column holds commas in every row is |-delimited', () => {
    const result = sniff(`id|name|city\n${lines(30, (i) => `${i}|Smith, John ${i}|Paris, France`)}`);
    assert.equal(String.fromCharCode(result.dialect.delimiter), '|');
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text', 'city:text']);
  });

  test('a comma file whose notes hold one ; in every row stays a comma file', () => {
    const result = sniff(`id,note,amount\n${lines(40, (i) => `${i},see p. ${i}; ch. 2,${i}.5`)}${lines(2, (i) => `${i},short,1,extra`)}`);
    assert.equal(String.fromCharCode(result.dialect.delimiter), ',');
    assert.deepEqual(columnsOf(result), ['id:int', 'note:text', 'amount:float']);
  });

  test('a quoted header whose names hold the other delimiter does not steer it', () => {
    const result = sniff(`"id;key","name, full"\n${lines(10, (i) => `${i},n${i}`)}`);
    assert.equal(String.fromCharCode(result.dialect.delimiter), ',');
    assert.deepEqual(result.columns.map((c) => c.source), ['id;key', 'name, full']);
  });

  test('a TSV whose fields hold JSON arrays full of commas is a TSV', () => {
    const result = sniff(`id\tvalues\tname\n${lines(30, (i) => `${i}\t[${i},${i + 1},${i + 2},[1,2]]\tn${i}`)}`);
    assert.equal(result.dialect.delimiter, 0x09);
    assert.deepEqual(columnsOf(result), ['id:int', 'values:text', 'name:text']);
  });

  test('a TSV whose fields hold JSON objects (quotes inside, commas everywhere) is a TSV', () => {
    const result = sniff(`id\tpayload\tname\n${lines(30, (i) => `${i}\t{"a":${i},"b":[1,2,3],"c":"x, y"}\tn${i}`)}`);
    assert.equal(result.dialect.delimiter, 0x09);
    assert.deepEqual(columnsOf(result), ['id:int', 'payload:text', 'name:text']);
    assert.equal(result.padMissing, false);
  });

  test('a ;-delimited export with decimal commas after a title is ; with the title as preamble', () => {
    const text = 'Sales report\nexported 2024-05-01\n\nDatum;Betrag;Menge\n31.12.2023;1.234,56;2.500\n01.02.2024;3,14;1.000.000\n';
    const result = sniff(text);
    assert.equal(String.fromCharCode(result.dialect.delimiter), ';');
    assert.equal(result.preambleLines, 2);
    assert.deepEqual(result.preamble.map((l) => l.line), [1, 2]);
    assert.deepEqual(columnsOf(result), ['datum:date', 'betrag:float', 'menge:int']);
  });
});

describe('sniffer: a one-column file of numbers is one column', () => {
  test('decimal commas under a header: one float column', () => {
    const result = sniff('value\n12,5\n3,75\n100\n0,5\n');
    assert.deepEqual(columnsOf(result), ['value:float']);
    assert.notEqual(result.dialect.delimiter, 0x2c);
  });

  test('thousands commas under a header: one float column read with thousands', () => {
    const result = sniff('amount\n100,000.00\n1,234.56\n12.00\n1,000,000.00\n');
    assert.deepEqual(columnsOf(result), ['amount:float']);
    assert.notEqual(result.dialect.delimiter, 0x2c);
  });

  test('thousands without a fraction under a header stay thousands (not decimal commas)', () => {
    const result = sniff('amount\n1,000\n25,000\n3,500\n');
    assert.deepEqual(columnsOf(result), ['amount:int']);
  });

  test('headerless numbers no two-column reading would give (several groups) are one column', () => {
    const result = sniff('1,234,567.5\n12,000.25\n3.5\n');
    assert.equal(result.columns.length, 1);
    assert.equal(columnTypeName(result.columns[0].type), 'float');
  });

  test('headerless `1,2` lines stay two columns of integers (an edge list as likely as decimal commas)', () => {
    const result = sniff('1,2\n3,4\n5,6\n');
    assert.deepEqual(result.columns.map((c) => columnTypeName(c.type)), ['int', 'int']);
  });

  test('a real comma table of numbers under a comma header is a table', () => {
    const result = sniff('x,y\n1,2\n3,4\n');
    assert.deepEqual(columnsOf(result), ['x:int', 'y:int']);
  });
});

describe('sniffer: headers whose field count differs from the rows', () => {
  test('a trailing delimiter on the header only: the empty last name is no column', () => {
    const text = 'a,b,c,\n1,2,3\n4,5,6\n';
    const result = sniff(text);
    assert.deepEqual(columnsOf(result), ['a:int', 'b:int', 'c:int']);
    assert.deepEqual([result.header, result.preambleLines, result.trailingDelimiter, result.padMissing], [true, 0, true, false]);
    assert.equal(firstDataLine(text, result), '1,2,3');
  });

  test('a trailing delimiter on the header and every row: still three columns', () => {
    const result = sniff('a,b,c,\n1,2,3,\n4,5,6,\n');
    assert.deepEqual(columnsOf(result), ['a:int', 'b:int', 'c:int']);
    assert.equal(result.trailingDelimiter, true);
  });

  test('a trailing delimiter on the rows only: the header names the columns', () => {
    const result = sniff('a|b|c\n1|2|3|\n4|5|6|\n');
    assert.deepEqual(columnsOf(result), ['a:int', 'b:int', 'c:int']);
    assert.deepEqual([result.header, result.trailingDelimiter], [true, true]);
  });

  test('an empty last field with values below it is a column of its own', () => {
    const result = sniff('a,b,\n1,2,x\n4,5,y\n');
    assert.deepEqual(columnsOf(result), ['a:int', 'b:int', 'column_3:text']);
    assert.equal(result.trailingDelimiter, false);
  });

  test('a name-like header one name wider than the rows is the header; rows are padded', () => {
    const text = 'id,name,comment\n1,ann\n2,bob\n3,cy\n';
    const result = sniff(text);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text', 'comment:text']);
    assert.deepEqual([result.header, result.preambleLines, result.padMissing], [true, 0, true]);
    assert.equal(firstDataLine(text, result), '1,ann');
  });

  test('a name-like header one name narrower than the rows: the first column is unnamed (R row names)', () => {
    const result = sniff('"x","y"\n"r1",1,2\n"r2",3,4\n"r3",5,6\n');
    assert.deepEqual(columnsOf(result), ['column_1:text', 'x:int', 'y:int']);
    assert.deepEqual([result.header, result.padMissing], [true, false]);
  });

  test('a first line one field wider that is not name-like is not a header', () => {
    const result = sniff('1,2,3\n4,5\n6,7\n8,9\n');
    assert.equal(result.padMissing, false);
    assert.equal(result.columns.length, 2);
  });

  test('a short key<TAB>value title block before a wider table is a preamble', () => {
    const text = 'Title\tWeights\nDate\t2024-01-01\nAuthor\tBob\nUnit\tkg\nid\tname\tweight\tday\n1\ta\t3.5\t2024-01-02\n2\tb\t4.5\t2024-01-03\n';
    const result = sniff(text);
    assert.equal(result.preambleLines, 4);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text', 'weight:float', 'day:date']);
    assert.equal(firstDataLine(text, result), '1\ta\t3.5\t2024-01-02');
  });

  test('a two-column table that ends in wider rows is still the two-column table (no name-like line above them)', () => {
    const result = sniff(`x,y\n${lines(9, (i) => `${i},v${i}`)}1,2,3\n4,5,6\n7,8,9\n`);
    assert.deepEqual([result.preambleLines, result.header], [0, true]);
    assert.deepEqual(columnsOf(result), ['x:int', 'y:text']);
  });

  test('a title block before a longer table is a preamble too', () => {
    const result = sniff(`Title\tWeights\nUnit\tkg\nid\tname\tweight\n${lines(20, (i) => `${i}\tn${i}\t${i}.5`)}`);
    assert.equal(result.preambleLines, 2);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text', 'weight:float']);
  });
});

describe('sniffer: quoting, escapes and comments', () => {
  test('a TSV whose values start with " but never close a quote has no quoting', () => {
    const result = sniff('id\tsize\tname\n1\t"12 inch\tpizza\n2\t10\tsalad\n3\t"big\tsoup\n4\t8\tbread\n');
    assert.equal(result.dialect.quote, NONE);
    assert.deepEqual(columnsOf(result), ['id:int', 'size:text', 'name:text']);
  });

  test('values starting with " where one of them closes by accident: still no quoting', () => {
    const result = sniff('id\tsize\tdish\n1\t"12 inch\tpizza\n2\t10\tsalad\n3\t"big\tsoup "of the day"\n4\t"small\tbread\n');
    assert.equal(result.dialect.quote, NONE);
    assert.equal(result.columns.length, 3);
  });

  test('one stray quote does not make a file unquoted; quoted fields that pair keep the quote', () => {
    assert.equal(sniff('a,b\n1,"x, y"\n2,"open\n3,z\n').dialect.quote, DOUBLE_QUOTE);
    assert.equal(sniff('a,b\n1,"x\n2,y\n').dialect.quote, DOUBLE_QUOTE);
  });

  test('a quoted field with a newline is not a reason to drop quoting', () => {
    const result = sniff('a,b\n1,"line one\nline two"\n2,"x"\n3,"again\nand again"\n');
    assert.equal(result.dialect.quote, DOUBLE_QUOTE);
    assert.equal(result.columns.length, 2);
  });

  test('\\" inside quoted fields is a backslash escape', () => {
    const result = sniff('id,text,n\n1,"He said \\"hi\\" then",2\n2,"plain",3\n3,"x \\"y\\" z",4\n');
    assert.equal(result.dialect.escape, BACKSLASH);
    assert.deepEqual(columnsOf(result), ['id:int', 'text:text', 'n:int']);
  });

  test('\\" just before the closing quote is a backslash escape (RFC 4180 would run past the line)', () => {
    const result = sniff(`id,text,n\n${lines(10, (i) => `${i},"say \\"hi ${i}\\"",${i}`)}`);
    assert.equal(result.dialect.escape, BACKSLASH);
    assert.equal(result.columns.length, 3);
  });

  test('doubled quotes keep RFC 4180 escaping, even beside a Windows path', () => {
    const result = sniff('id,text,path\n1,"say ""hi""","C:\\temp\\"\n2,"x","C:\\"\n');
    assert.equal(result.dialect.escape, NONE);
  });

  test('\\, and \\<newline> in an unquoted text dump are backslash escapes', () => {
    const result = sniff('id,name,city\n1,Smith\\, John,NY\n2,two\\\nlines,LA\n3,plain,SF\n4,O\\, Brien,LA\n');
    assert.equal(result.dialect.escape, BACKSLASH);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text', 'city:text']);
  });

  test('a backslash that escapes nothing a split depends on is no escape', () => {
    assert.equal(sniff('id,path\n1,C:\\temp\\a.txt\n2,D:\\x\n').dialect.escape, NONE);
  });

  test('# lines before the header are comments and do not steer the delimiter', () => {
    const text = `# exported by tool, version 2, build 7\n# columns: a, b, c\n${'a;b\n'}${lines(5, (i) => `${i};x${i}`)}`;
    const result = sniff(text);
    assert.equal(result.dialect.comment, HASH);
    assert.equal(String.fromCharCode(result.dialect.delimiter), ';');
    assert.deepEqual(columnsOf(result), ['a:int', 'b:text']);
    assert.equal(result.preambleLines, 2);
  });

  test('# lines among the rows are comments', () => {
    const result = sniff('id,name\n1,a\n# a note\n2,b\n# another, note, here, with, commas\n3,c\n');
    assert.equal(result.dialect.comment, HASH);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text']);
  });

  test('#id,name over the rows is the header', () => {
    const result = sniff('#id,name\n1,ann\n2,bob\n');
    assert.deepEqual([result.header, result.dialect.comment], [true, HASH]);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text']);
    assert.equal(result.columns[0].source, 'id');
  });

  test('#name,city over text rows is the header too', () => {
    const result = sniff('#name,city\nann,paris\nbob,rome\n');
    assert.deepEqual(columnsOf(result), ['name:text', 'city:text']);
  });

  test('VCF: ## lines are comments, #CHROM… is the header', () => {
    const result = sniff('##fileformat=VCFv4.2\n##source=x\n#CHROM\tPOS\tID\nchr1\t100\trs1\nchr2\t200\trs2\n');
    assert.deepEqual(columnsOf(result), ['chrom:text', 'pos:int', 'id:text']);
    assert.equal(result.preambleLines, 2);
  });

  test('a first column of #colours is data, not comments', () => {
    const result = sniff('colour,name\n#ff0000,red\n#00ff00,green\n#0000ff,blue\n');
    assert.equal(result.dialect.comment, NONE);
    assert.deepEqual(columnsOf(result), ['colour:text', 'name:text']);
    assert.ok(result.commentConfidence < 1 || result.dialect.comment === NONE);
  });

  test('a comment line that looks like a header does not beat a real header above typed rows', () => {
    const result = sniff('# a,b,c\nid,name,n\n1,x,2\n3,y,4\n');
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text', 'n:int']);
  });
});

describe('sniffer: overrides win over detection', () => {
  test('--quote none, --escape \\, --comment none', () => {
    const text = '#id,name\n1,"a\n2,b\n';
    assert.equal(sniff(text, { quote: NONE }).dialect.quote, NONE);
    assert.equal(sniff(text, { escape: BACKSLASH }).dialect.escape, BACKSLASH);
    const plain = sniff(text, { comment: NONE });
    assert.equal(plain.dialect.comment, NONE);
    assert.deepEqual(plain.columns.map((c) => c.source), ['#id', 'name']);
  });

  test('--escape none keeps a file with \\" on doubled quotes', () => {
    assert.equal(sniff('a,b\n1,"x \\"y\\" z"\n', { escape: NONE }).dialect.escape, NONE);
  });

  test('--comment # makes # lines comments even where they look like rows', () => {
    const result = sniff('colour,name\n#ff0000,red\n#00ff00,green\nblue,b\n', { comment: HASH });
    assert.equal(result.dialect.comment, HASH);
  });
});

describe('sniffer: preamble lines are counted and located', () => {
  test('title lines and blank lines before the header: the non-blank ones, with their lines', () => {
    const text = 'Report\n\nGenerated 2024-01-01 by ERP\nid,name\n1,a\n2,b\n';
    const result = sniff(text);
    assert.equal(result.preambleLines, 2);
    assert.deepEqual(result.preamble.map((l) => [l.line, text.slice(l.start, l.end)]), [[1, 'Report'], [3, 'Generated 2024-01-01 by ERP']]);
    assert.deepEqual(columnsOf(result), ['id:int', 'name:text']);
  });

  test('CRLF lines: the CR is not part of a preamble line', () => {
    const text = 'Title\r\nid,n\r\n1,2\r\n3,4\r\n';
    const result = sniff(text);
    assert.deepEqual(result.preamble.map((l) => text.slice(l.start, l.end)), ['Title']);
  });

  test('no preamble: zero lines', () => {
    assert.deepEqual([sniff('a,b\n1,2\n').preambleLines, sniff('a,b\n1,2\n').preamble], [0, []]);
  });
});
